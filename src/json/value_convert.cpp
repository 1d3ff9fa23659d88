// SPDX-License-Identifier: Apache-2.0
/// \file
/// The conversion operators on the value model (detail/value_eval.hpp): `$type`, `$isNumber`,
/// `$convert` (with `onError`, `onNull` and the binData options of ops_convert.hpp) and its
/// shorthands `$toBool $toDate $toDecimal $toDouble $toInt $toLong $toObjectId $toString`, by
/// the server's conversion table (mongo `src/mongo/db/exec/expression/evaluate_convert.cpp`):
/// numbers keep their exact type (`$toDecimal: "1.50"` is `NumberDecimal("1.50")`, a long stays a
/// long); an int32 does not convert to a date and a date not to an int32; documents, arrays,
/// binData, regular expressions, timestamps, MinKey and MaxKey convert to `true`; a double's
/// `$toString` is its shortest round-trip text, as the server's `fmt::format("{}")` (the nlohmann
/// path prints C's `%g`, six digits); strings become dates by `parse_date_default` (ISO 8601,
/// an offset after a space allowed: `"2018-03-20 11:00:06 +0500"`).
///
/// Error messages are the nlohmann operator's (`reel.expression.evaluation_failed`), so both
/// evaluations fail alike.

#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "reel/bson/decimal.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/detail/ops_convert.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/time.hpp"

namespace reel::json::detail {

namespace {

bson::value type_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  const auto name = bson::type_name(v.type());
  return bson::value::string(name);  // static storage
}

bson::value is_number_op(const node& n, const value_scope& s) {
  return bson::value::boolean(vev(n.args[0], s).is_number());
}

/// `to` evaluated: `"int"`, `16`, `{type: "binData", subtype: 4}`, ... (parse_convert_target's
/// rules on a value).
std::optional<convert_target> target_of(const bson::value& to) {
  if (to.is_string()) return parse_convert_target(document(std::string(to.as_string())));
  if (to.is_number()) {
    if (auto i = bson::to_long(to)) {
      if (auto d = bson::to_double(to); d && *d == static_cast<double>(*i)) {
        return parse_convert_target(document(*i));
      }
    }
    return std::nullopt;
  }
  if (to.is_document()) {
    const bson::value type = to["type"];
    if (!type.is_missing()) return target_of(type);
  }
  return std::nullopt;
}

std::string text_of_number(const bson::value& v) {
  return bson::number_to_string(*bson::number::of(v));
}

/// The nlohmann operator's text of a double in messages.
std::string message_number(const bson::value& v) {
  if (v.type() == bson::type::double_) return double_to_string(v.as_double());
  return text_of_number(v);
}

std::string unsupported(const bson::value& v, convert_target to) {
  return "Unsupported conversion from " + value_type_name(v) + " to " + target_name(to) +
         " in $convert with no onError value";
}

std::string overflow(const std::string& what) {
  return "Conversion would overflow target type in $convert with no onError value: " + what;
}

std::string parse_failure(std::string_view s) {
  return "Failed to parse number '" + std::string(s) + "' in $convert with no onError value";
}

/// NaN and infinities cannot become integers (the server's messages); empty when `v` is finite.
std::optional<std::string> non_finite(const bson::value& v) {
  bool nan = false, inf = false;
  if (v.type() == bson::type::double_) {
    nan = std::isnan(v.as_double());
    inf = std::isinf(v.as_double());
  } else if (v.type() == bson::type::decimal128) {
    nan = bson::decimal_is_nan(v.as_decimal());
    inf = bson::decimal_is_infinite(v.as_decimal());
  }
  if (nan) return "Attempt to convert NaN value to integer type in $convert with no onError value";
  if (inf) {
    return "Attempt to convert infinity value to integer type in $convert with no onError value";
  }
  return std::nullopt;
}

/// Converts `v` (not nullish) to `to`; the result, or the failure's text in `error`.
std::optional<bson::value> convert(const bson::value& v, convert_target to,
                                   const convert_options& options, bson::arena& memory,
                                   std::string& error) {
  const bson::type from = v.type();
  const bool number = v.is_number();
  switch (to) {
    case convert_target::double_:
      if (from == bson::type::binary) break;
      if (number || from == bson::type::boolean || from == bson::type::date ||
          from == bson::type::string) {
        if (auto d = bson::to_double(v)) return bson::value::double_(*d);
        error =
            from == bson::type::string ? parse_failure(v.as_string()) : overflow(message_number(v));
        return std::nullopt;
      }
      error = unsupported(v, to);
      return std::nullopt;
    case convert_target::decimal:
      if (number || from == bson::type::boolean || from == bson::type::date ||
          from == bson::type::string) {
        if (auto d = bson::to_decimal(v)) return memory.decimal(*d);
        error = parse_failure(from == bson::type::string ? v.as_string() : "");
        return std::nullopt;
      }
      error = unsupported(v, to);
      return std::nullopt;
    case convert_target::int32:
    case convert_target::int64: {
      const bool is32 = to == convert_target::int32;
      if (from == bson::type::binary) break;
      if (from == bson::type::date && is32) {
        error = unsupported(v, to);
        return std::nullopt;
      }
      if (!(number || from == bson::type::boolean || from == bson::type::date ||
            from == bson::type::string)) {
        error = unsupported(v, to);
        return std::nullopt;
      }
      if (is32) {
        if (auto i = bson::to_int(v)) return bson::value::int32(*i);
      } else if (auto i = bson::to_long(v)) {
        return bson::value::int64(*i);
      }
      if (auto bad = non_finite(v)) {
        error = *bad;
      } else if (from == bson::type::string) {
        std::int64_t x = 0;
        error = parse_int64(v.as_string(), x) ? overflow(std::string(v.as_string()))
                                              : parse_failure(v.as_string());
      } else {
        error = overflow(message_number(v));
      }
      return std::nullopt;
    }
    case convert_target::boolean:
      switch (from) {
        case bson::type::boolean:
          return v;
        case bson::type::int32:
        case bson::type::int64:
        case bson::type::double_:
        case bson::type::decimal128:
          return bson::value::boolean(value_truthy(v));
        case bson::type::null:
        case bson::type::undefined:
        case bson::type::missing:
          error = unsupported(v, to);
          return std::nullopt;
        default:  // every other type is true, as the server's table says
          return bson::value::boolean(true);
      }
    case convert_target::string:
      switch (from) {
        case bson::type::string:
          return v;
        case bson::type::int32:
        case bson::type::int64:
        case bson::type::double_:
        case bson::type::decimal128:
          return memory.string(text_of_number(v));
        case bson::type::boolean:
          return bson::value::string(v.as_bool() ? "true" : "false");
        case bson::type::date:
          return memory.string(format_iso8601(from_millis(v.as_date())));
        case bson::type::object_id: {
          static constexpr char hex[] = "0123456789abcdef";
          char* out = memory.allocate_array<char>(24);
          const bson::object_id id = v.as_oid();
          for (std::size_t i = 0; i < 12; ++i) {
            out[2 * i] = hex[id.bytes[i] >> 4];
            out[2 * i + 1] = hex[id.bytes[i] & 0x0F];
          }
          return bson::value::string({out, 24});
        }
        case bson::type::binary:
          break;
        default:
          error = unsupported(v, to);
          return std::nullopt;
      }
      break;
    case convert_target::date:
      switch (from) {
        case bson::type::date:
          return v;
        case bson::type::int64:
          return bson::value::date(v.as_int64());
        case bson::type::double_:
        case bson::type::decimal128:
          if (auto bad = non_finite(v)) {
            error = *bad;
            return std::nullopt;
          }
          if (auto ms = bson::to_long(v)) return bson::value::date(*ms);
          error = overflow(message_number(v));
          return std::nullopt;
        case bson::type::string: {
          std::string err;
          auto ms = parse_date_default(v.as_string(), time_zone{}, false, err);
          if (!ms) {
            error = err + " in $convert with no onError value";
            return std::nullopt;
          }
          return bson::value::date(*ms);
        }
        case bson::type::object_id: {
          const bson::object_id id = v.as_oid();
          const std::uint32_t seconds = (std::uint32_t{id.bytes[0]} << 24) |
                                        (std::uint32_t{id.bytes[1]} << 16) |
                                        (std::uint32_t{id.bytes[2]} << 8) | id.bytes[3];
          return bson::value::date(static_cast<std::int64_t>(seconds) * 1000);
        }
        case bson::type::timestamp:
          return bson::value::date(static_cast<std::int64_t>(v.as_timestamp().t) * 1000);
        default:
          error = unsupported(v, to);
          return std::nullopt;
      }
    case convert_target::object_id:
      if (from == bson::type::object_id) return v;
      if (from == bson::type::string) {
        const std::string_view text = v.as_string();
        if (!is_hex24(text)) {
          error = "Failed to parse objectId '" + std::string(text) +
                  "' in $convert with no onError value: "
                  "invalid string length for parsing to OID, expected 24 hex digits";
          return std::nullopt;
        }
        auto digit = [](char c) {
          return c <= '9' ? c - '0' : (c <= 'F' ? c - 'A' + 10 : c - 'a' + 10);
        };
        bson::object_id id;
        for (std::size_t i = 0; i < 12; ++i) {
          id.bytes[i] = static_cast<std::uint8_t>(digit(text[2 * i]) * 16 + digit(text[2 * i + 1]));
        }
        return memory.oid(id);
      }
      error = unsupported(v, to);
      return std::nullopt;
    case convert_target::bin_data:
      break;
  }
  // binData, in or out: ops_convert.hpp's byte tables (rare; these allocate).
  if (from == bson::type::binary) {
    const auto data = v.binary_data();
    const std::vector<std::uint8_t> bytes(data.begin(), data.end());
    switch (to) {
      case convert_target::bin_data:
        return v;
      case convert_target::string: {
        if (options.format.empty()) {
          error = "Format must be specified when converting from 'binData' to 'string'";
          return std::nullopt;
        }
        document out;
        if (!binary_to_string(binary_view{bytes, v.binary_subtype()}, options.format, out, error)) {
          return std::nullopt;
        }
        return memory.string(out.get_ref<const std::string&>());
      }
      case convert_target::double_: {
        const std::uint64_t bits = bytes_to_integer(bytes, options.big_endian);
        if (bytes.size() == 8) return bson::value::double_(std::bit_cast<double>(bits));
        if (bytes.size() == 4) {
          return bson::value::double_(
              static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits))));
        }
        error = "Failed to convert binData of " + std::to_string(bytes.size()) +
                " bytes to double: it needs 4 or 8 bytes";
        return std::nullopt;
      }
      case convert_target::int32:
      case convert_target::int64: {
        const bool is32 = to == convert_target::int32;
        const std::size_t n = bytes.size();
        if (n != 1 && n != 2 && n != 4 && (is32 || n != 8)) {
          error = "Failed to convert binData of " + std::to_string(n) + " bytes to " +
                  target_name(to) + ": it needs " + (is32 ? "1, 2 or 4" : "1, 2, 4 or 8") +
                  " bytes";
          return std::nullopt;
        }
        const std::uint64_t raw = bytes_to_integer(bytes, options.big_endian);
        const auto shift = static_cast<unsigned>(64 - 8 * n);
        const auto value = static_cast<std::int64_t>(raw << shift) >> shift;
        return is32 ? bson::value::int32(static_cast<std::int32_t>(value))
                    : bson::value::int64(value);
      }
      default:
        error = unsupported(v, to);
        return std::nullopt;
    }
  }
  // → binData.
  auto binary = [&](const std::string& b) {
    return memory.binary({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()},
                         static_cast<std::uint8_t>(options.subtype));
  };
  switch (from) {
    case bson::type::string: {
      if (options.format.empty()) {
        error = "Format must be specified when converting from 'string' to 'binData'";
        return std::nullopt;
      }
      if (options.format == "uuid" && options.subtype != 4) {
        error = "Only the UUID subtype (4) is allowed with the 'uuid' format";
        return std::nullopt;
      }
      auto b = string_to_bytes(std::string(v.as_string()), options.format, error);
      if (!b) return std::nullopt;
      return binary(*b);
    }
    case bson::type::int32:
      return binary(
          integer_to_bytes(static_cast<std::uint32_t>(v.as_int32()), 4, options.big_endian));
    case bson::type::int64:
      return binary(
          integer_to_bytes(static_cast<std::uint64_t>(v.as_int64()), 8, options.big_endian));
    case bson::type::double_:
      return binary(
          integer_to_bytes(std::bit_cast<std::uint64_t>(v.as_double()), 8, options.big_endian));
    default:
      error = unsupported(v, to);
      return std::nullopt;
  }
}

/// `$convert` and its shorthands (compile_convert / compile_to in ops_convert.hpp): args are
/// input, to, onError, onNull, byteOrder, format; `n.value` holds a constant target.
bson::value convert_op(const node& n, const value_scope& s) {
  const bson::value input = vev(n.args[0], s);
  if (input.is_nullish()) {
    if (n.args.size() > 3 && present(n.args[3])) return vev(n.args[3], s);
    return bson::value::null();
  }
  convert_target to{};
  bson::value to_value;
  const bool to_given = n.args.size() > 1 && present(n.args[1]);
  if (n.value.is_number()) {  // a constant target, checked at compile time
    to = static_cast<convert_target>(n.value.get<int>());
  } else {
    to_value = vev(n.args[1], s);
    if (to_value.is_nullish()) return bson::value::null();
    auto parsed = target_of(to_value);
    if (!parsed) {
      eval_fail(n,
                std::string(n.op) + ": unknown target type " + bson::to_nlohmann(to_value).dump());
    }
    to = *parsed;
  }
  convert_options options;
  if (n.op == "$toString") options.format = "base64";
  if (n.args.size() > 4 && present(n.args[4])) {
    const bson::value b = vev(n.args[4], s);
    if (!b.is_string() || (b.as_string() != "little" && b.as_string() != "big")) {
      eval_fail(n, std::string(n.op) + ": byteOrder must be \"little\" or \"big\", not " +
                       bson::to_nlohmann(b).dump());
    }
    options.big_endian = b.as_string() == "big";
  }
  if (n.args.size() > 5 && present(n.args[5])) {
    const bson::value f = vev(n.args[5], s);
    if (!f.is_string() || !is_binary_format(f.as_string())) {
      eval_fail(n, std::string(n.op) +
                       ": format must be base64, base64url, hex, uuid or utf8, not " +
                       bson::to_nlohmann(f).dump());
    }
    options.format = std::string(f.as_string());
  }
  if (to_given) {
    if (to_value.is_missing()) to_value = vev(n.args[1], s);
    if (to_value.is_document()) {
      const bson::value sub = to_value["subtype"];
      if (!sub.is_missing()) {
        const auto i = sub.is_number() ? bson::to_long(sub) : std::nullopt;
        const auto d = sub.is_number() ? bson::to_double(sub) : std::nullopt;
        if (!i || !d || *d != static_cast<double>(*i) || *i < 0 || *i > 255) {
          eval_fail(n, std::string(n.op) + ": to.subtype must be an integer from 0 to 255");
        }
        options.subtype = static_cast<int>(*i);
      }
    }
  }
  std::string error;
  if (auto r = convert(input, to, options, *s.memory, error)) return *r;
  if (n.args.size() > 2 && present(n.args[2])) return vev(n.args[2], s);
  eval_fail(n, std::string(n.op) + ": " + error);
}

}  // namespace

void register_value_convert_ops(value_op_table& t) {
  t.emplace("$type", &type_op);
  t.emplace("$isNumber", &is_number_op);
  for (const char* name : {"$convert", "$toBool", "$toDate", "$toDecimal", "$toDouble", "$toInt",
                           "$toLong", "$toObjectId", "$toString"}) {
    t.emplace(name, &convert_op);
  }
}

}  // namespace reel::json::detail
