// SPDX-License-Identifier: Apache-2.0
/// \file
/// Type conversion operators: `$convert $toInt $toLong $toDouble $toDecimal $toString $toBool
/// $toDate $toObjectId`. Decimal128 results are doubles. Unlike MongoDB, `$toDate` accepts
/// 32-bit integers too (plain JSON cannot tell an int from a long).
///
/// binData, as Atlas Stream Processing documents it for Kafka headers (and MongoDB 8.1+):
/// `{$convert: {input, to: "binData" | {type: "binData", subtype}, byteOrder, format}}`.
/// - int → 4 bytes, long → 8 bytes, double → 8 bytes (IEEE 754); binData → int from 1, 2 or 4
///   bytes, → long from 1, 2, 4 or 8 bytes (signed), → double from 4 (float) or 8 bytes;
///   `byteOrder` is `"little"` (the default) or `"big"`;
/// - string ↔ binData with `format` (required by `$convert`): `base64`, `base64url` (written
///   without padding), `hex`, `uuid` (16 bytes, subtype 4) or `utf8`. `$toString` of binData is
///   its base64.
#pragma once

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "reel/json/detail/datetime.hpp"
#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/ops_string.hpp"
#include "reel/json/ejson.hpp"

namespace reel::json::detail {

enum class convert_target {
  double_,
  string,
  object_id,
  boolean,
  date,
  int32,
  int64,
  decimal,
  bin_data
};

/// The binData options of `$convert`.
struct convert_options {
  bool big_endian = false;
  std::string format;  ///< base64, base64url, hex, uuid, utf8; empty when not given
  int subtype = 0;     ///< of binData results
};

inline std::optional<convert_target> parse_convert_target(const document& to) {
  if (to.is_string()) {
    const auto& s = to.get_ref<const std::string&>();
    if (s == "double") return convert_target::double_;
    if (s == "string") return convert_target::string;
    if (s == "objectId") return convert_target::object_id;
    if (s == "bool") return convert_target::boolean;
    if (s == "date") return convert_target::date;
    if (s == "int") return convert_target::int32;
    if (s == "long") return convert_target::int64;
    if (s == "decimal") return convert_target::decimal;
    if (s == "binData") return convert_target::bin_data;
    return std::nullopt;
  }
  if (auto i = integral_of(to)) {
    switch (*i) {
      case 1:
        return convert_target::double_;
      case 2:
        return convert_target::string;
      case 7:
        return convert_target::object_id;
      case 8:
        return convert_target::boolean;
      case 9:
        return convert_target::date;
      case 16:
        return convert_target::int32;
      case 18:
        return convert_target::int64;
      case 19:
        return convert_target::decimal;
      case 5:
        return convert_target::bin_data;
      default:
        return std::nullopt;
    }
  }
  if (to.is_object() && to.contains("type")) return parse_convert_target(to["type"]);
  return std::nullopt;
}

inline const char* target_name(convert_target t) noexcept {
  switch (t) {
    case convert_target::double_:
      return "double";
    case convert_target::string:
      return "string";
    case convert_target::object_id:
      return "objectId";
    case convert_target::boolean:
      return "bool";
    case convert_target::date:
      return "date";
    case convert_target::int32:
      return "int";
    case convert_target::int64:
      return "long";
    case convert_target::decimal:
      return "decimal";
    case convert_target::bin_data:
      return "binData";
  }
  return "?";
}

/// Bytes of `bytes` as an unsigned integer in the given byte order.
inline std::uint64_t bytes_to_integer(const std::vector<std::uint8_t>& bytes, bool big_endian) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::uint8_t b = big_endian ? bytes[i] : bytes[bytes.size() - 1 - i];
    v = (v << 8) | b;
  }
  return v;
}

/// The `width` low bytes of `v` in the given byte order.
inline std::string integer_to_bytes(std::uint64_t v, std::size_t width, bool big_endian) {
  std::string out(width, '\0');
  for (std::size_t i = 0; i < width; ++i) {
    const auto b = static_cast<char>((v >> (8 * i)) & 0xFF);
    out[big_endian ? width - 1 - i : i] = b;
  }
  return out;
}

/// binData → string in `format`; false with `error` when the bytes do not fit it.
inline bool binary_to_string(const binary_view& b, const std::string& format, document& out,
                             std::string& error) {
  static constexpr char hex[] = "0123456789abcdef";
  if (format == "base64" || format == "base64url") {
    std::string s = base64_encode(b.bytes.data(), b.bytes.size());
    if (format == "base64url") {
      while (!s.empty() && s.back() == '=')
        s.pop_back();
      for (char& c : s)
        c = c == '+' ? '-' : (c == '/' ? '_' : c);
    }
    out = std::move(s);
    return true;
  }
  if (format == "hex" || format == "uuid") {
    if (format == "uuid" && b.bytes.size() != 16) {
      error = "Failed to convert binData of " + std::to_string(b.bytes.size()) +
              " bytes to a UUID string: a UUID has 16 bytes";
      return false;
    }
    std::string s;
    for (std::size_t i = 0; i < b.bytes.size(); ++i) {
      if (format == "uuid" && (i == 4 || i == 6 || i == 8 || i == 10)) s += '-';
      s += hex[b.bytes[i] >> 4];
      s += hex[b.bytes[i] & 0x0F];
    }
    out = std::move(s);
    return true;
  }
  // utf8
  std::string s(b.bytes.begin(), b.bytes.end());
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i != s.size()) {
    error = "Failed to convert binData to a utf8 string: the bytes are not valid UTF-8";
    return false;
  }
  out = std::move(s);
  return true;
}

/// string in `format` → bytes; nullopt with `error` when the string does not fit it.
inline std::optional<std::string> string_to_bytes(const std::string& s, const std::string& format,
                                                  std::string& error) {
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (format == "base64" || format == "base64url") {
    auto bytes = base64_decode(s);
    if (!bytes) {
      error = "Failed to parse BinData '" + s + "' as " + format;
      return std::nullopt;
    }
    return std::string(bytes->begin(), bytes->end());
  }
  if (format == "hex" || format == "uuid") {
    std::string digits;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (format == "uuid" && s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
      digits += s[i];
    }
    const bool ok =
        digits.size() % 2 == 0 && (format != "uuid" || (digits.size() == 32 && s.size() == 36)) &&
        std::all_of(digits.begin(), digits.end(), [&](char c) { return hex_value(c) >= 0; });
    if (!ok) {
      error = "Failed to parse BinData '" + s + "' as " + format;
      return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 0; i < digits.size(); i += 2)
      out += static_cast<char>(hex_value(digits[i]) * 16 + hex_value(digits[i + 1]));
    return out;
  }
  return s;  // utf8
}

/// Converts `v` (not null/missing) as `$convert` does; on failure returns false with `error`.
inline bool convert_value(const document& v, convert_target to, document& out, std::string& error,
                          const convert_options& options = {}) {
  const bson_type from = type_of(v);
  auto unsupported = [&] {
    error = "Unsupported conversion from " + type_name(v) + " to " + target_name(to) +
            " in $convert with no onError value";
    return false;
  };
  const auto num = as_numeric(v);
  switch (to) {
    case convert_target::double_:
    case convert_target::decimal: {
      if (num) {
        out = num->to_double();
        return true;
      }
      if (from == bson_type::boolean) {
        out = v.get<bool>() ? 1.0 : 0.0;
        return true;
      }
      if (from == bson_type::date) {
        out = static_cast<double>(date_millis_of(v).value_or(0));
        return true;
      }
      if (from == bson_type::bin_data && to == convert_target::double_) {
        const binary_view b = binary_of(v);
        const std::uint64_t bits = bytes_to_integer(b.bytes, options.big_endian);
        if (b.bytes.size() == 8) {
          out = std::bit_cast<double>(bits);
          return true;
        }
        if (b.bytes.size() == 4) {
          out = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
          return true;
        }
        error = "Failed to convert binData of " + std::to_string(b.bytes.size()) +
                " bytes to double: it needs 4 or 8 bytes";
        return false;
      }
      if (from == bson_type::string) {
        double d = 0;
        if (!parse_double(v.get_ref<const std::string&>(), d)) {
          error = "Failed to parse number '" + v.get<std::string>() +
                  "' in $convert with no onError value";
          return false;
        }
        out = d;
        return true;
      }
      return unsupported();
    }
    case convert_target::int32:
    case convert_target::int64: {
      const bool is32 = to == convert_target::int32;
      const std::int64_t lo = is32 ? INT32_MIN : INT64_MIN;
      const std::int64_t hi = is32 ? INT32_MAX : INT64_MAX;
      auto overflow = [&](const std::string& what) {
        error = "Conversion would overflow target type in $convert with no onError value: " + what;
        return false;
      };
      if (num) {
        if (num->integral()) {
          if (num->i < lo || num->i > hi) return overflow(std::to_string(num->i));
          out = num->i;
          return true;
        }
        if (std::isnan(num->d)) {
          error = "Attempt to convert NaN value to integer type in $convert with no onError value";
          return false;
        }
        const double t = std::trunc(num->d);
        if (!std::isfinite(t) || t < static_cast<double>(lo) || t >= -static_cast<double>(lo)) {
          return overflow(double_to_string(num->d));
        }
        out = static_cast<std::int64_t>(t);
        return true;
      }
      if (from == bson_type::boolean) {
        out = v.get<bool>() ? 1 : 0;
        return true;
      }
      if (from == bson_type::string) {
        std::int64_t x = 0;
        const auto& s = v.get_ref<const std::string&>();
        if (!parse_int64(s, x)) {
          error = "Failed to parse number '" + s + "' in $convert with no onError value";
          return false;
        }
        if (x < lo || x > hi) return overflow(s);
        out = x;
        return true;
      }
      if (from == bson_type::date && !is32) {
        out = date_millis_of(v).value_or(0);
        return true;
      }
      if (from == bson_type::bin_data) {
        const binary_view b = binary_of(v);
        const std::size_t n = b.bytes.size();
        if (n != 1 && n != 2 && n != 4 && (is32 || n != 8)) {
          error = "Failed to convert binData of " + std::to_string(n) + " bytes to " +
                  target_name(to) + ": it needs " + (is32 ? "1, 2 or 4" : "1, 2, 4 or 8") +
                  " bytes";
          return false;
        }
        const std::uint64_t raw = bytes_to_integer(b.bytes, options.big_endian);
        const unsigned shift = static_cast<unsigned>(64 - 8 * n);
        // Sign-extend the n-byte value.
        const auto value = static_cast<std::int64_t>(raw << shift) >> shift;
        out = value;
        return true;
      }
      return unsupported();
    }
    case convert_target::boolean: {
      if (num) {
        out = num->integral() ? num->i != 0 : num->d != 0.0;
        return true;
      }
      switch (from) {
        case bson_type::boolean:
          out = v.get<bool>();
          return true;
        case bson_type::string:
        case bson_type::object_id:
        case bson_type::date:
        case bson_type::timestamp:
        case bson_type::regex:
        case bson_type::min_key:
        case bson_type::max_key:
          out = true;
          return true;
        default:
          return unsupported();
      }
    }
    case convert_target::string: {
      if (from == bson_type::bin_data) {
        if (options.format.empty()) {
          error = "Format must be specified when converting from 'binData' to 'string'";
          return false;
        }
        return binary_to_string(binary_of(v), options.format, out, error);
      }
      if (auto s = scalar_to_string(v)) {
        out = std::move(*s);
        return true;
      }
      return unsupported();
    }
    case convert_target::date: {
      if (num) {
        if (num->integral()) {
          out = make_date(from_millis(num->i));
          return true;
        }
        if (!std::isfinite(num->d) || num->d >= 9.2e18 || num->d <= -9.2e18) {
          error = "Conversion would overflow target type in $convert with no onError value: " +
                  double_to_string(num->d);
          return false;
        }
        out = make_date(from_millis(static_cast<std::int64_t>(num->d)));
        return true;
      }
      if (from == bson_type::string) {
        std::string err;
        auto ms = parse_date_default(v.get_ref<const std::string&>(), time_zone{}, false, err);
        if (!ms) {
          error = err + " in $convert with no onError value";
          return false;
        }
        out = make_date(from_millis(*ms));
        return true;
      }
      if (auto ms = date_millis_of(v)) {
        out = make_date(from_millis(*ms));
        return true;
      }
      return unsupported();
    }
    case convert_target::bin_data: {
      if (from == bson_type::bin_data) {
        out = v;
        return true;
      }
      if (from == bson_type::string) {
        if (options.format.empty()) {
          error = "Format must be specified when converting from 'string' to 'binData'";
          return false;
        }
        if (options.format == "uuid" && options.subtype != 4) {
          error = "Only the UUID subtype (4) is allowed with the 'uuid' format";
          return false;
        }
        auto bytes = string_to_bytes(v.get<std::string>(), options.format, error);
        if (!bytes) return false;
        out = make_binary(*bytes, options.subtype);
        return true;
      }
      if (from == bson_type::int32 || from == bson_type::int64) {
        const std::size_t width = from == bson_type::int32 ? 4 : 8;
        out = make_binary(
            integer_to_bytes(static_cast<std::uint64_t>(num->i), width, options.big_endian),
            options.subtype);
        return true;
      }
      if (from == bson_type::double_) {
        out = make_binary(
            integer_to_bytes(std::bit_cast<std::uint64_t>(num->to_double()), 8, options.big_endian),
            options.subtype);
        return true;
      }
      return unsupported();
    }
    case convert_target::object_id: {
      if (from == bson_type::object_id) {
        out = v;
        return true;
      }
      if (from == bson_type::string) {
        const auto& s = v.get_ref<const std::string&>();
        if (!is_hex24(s)) {
          error = "Failed to parse objectId '" + s +
                  "' in $convert with no onError value: "
                  "invalid string length for parsing to OID, expected 24 hex digits";
          return false;
        }
        out = document{{"$oid", lower_hex(s)}};
        return true;
      }
      return unsupported();
    }
  }
  return unsupported();
}

/// $convert args: input, to, onError, onNull; `value` holds a constant target (its index).
inline bool is_binary_format(std::string_view f) noexcept {
  return f == "base64" || f == "base64url" || f == "hex" || f == "uuid" || f == "utf8";
}

inline const document& eval_convert(const node& n, const scope& s, document& out) {
  document ti;
  const document& input = ev(n.args[0], s, ti);
  if (is_nullish(input)) {
    if (n.args.size() > 3 && present(n.args[3])) return ev(n.args[3], s, out);
    return null_ref();
  }
  convert_target to;
  if (n.value.is_number()) {
    to = static_cast<convert_target>(n.value.get<int>());
  } else {
    document tt;
    const document& t = ev(n.args[1], s, tt);
    if (is_nullish(t)) return null_ref();
    auto parsed = parse_convert_target(t);
    if (!parsed) eval_fail(n, std::string(n.op) + ": unknown target type " + t.dump());
    to = *parsed;
  }
  convert_options options;
  if (n.op == "$toString") options.format = "base64";
  if (n.args.size() > 4 && present(n.args[4])) {
    document tb;
    const document& b = ev(n.args[4], s, tb);
    if (b != "little" && b != "big") {
      eval_fail(n,
                std::string(n.op) + ": byteOrder must be \"little\" or \"big\", not " + b.dump());
    }
    options.big_endian = b == "big";
  }
  if (n.args.size() > 5 && present(n.args[5])) {
    document tf;
    const document& f = ev(n.args[5], s, tf);
    if (!f.is_string() || !is_binary_format(f.get<std::string>())) {
      eval_fail(n, std::string(n.op) +
                       ": format must be base64, base64url, hex, uuid or utf8, not " + f.dump());
    }
    options.format = f.get<std::string>();
  }
  if (n.args.size() > 1 && present(n.args[1])) {
    document tt;
    const document& t = ev(n.args[1], s, tt);
    if (t.is_object() && t.contains("subtype")) {
      auto sub = integral_of(t["subtype"]);
      if (!sub || *sub < 0 || *sub > 255) {
        eval_fail(n, std::string(n.op) + ": to.subtype must be an integer from 0 to 255");
      }
      options.subtype = static_cast<int>(*sub);
    }
  }
  std::string error;
  document result;
  if (convert_value(input, to, result, error, options)) {
    out = std::move(result);
    return out;
  }
  if (n.args.size() > 2 && present(n.args[2])) return ev(n.args[2], s, out);
  eval_fail(n, std::string(n.op) + ": " + error);
}

inline node compile_convert(compiler& c, const op_spec& spec, const document& arg,
                            const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where,
                         {{"input", true},
                          {"to", true},
                          {"onError", false},
                          {"onNull", false},
                          {"byteOrder", false},
                          {"format", false}});
  if (n.args[4].constant && n.args[4].value != "little" && n.args[4].value != "big") {
    bad_arguments(
        where + "/$convert/byteOrder",
        "$convert: byteOrder must be \"little\" or \"big\", not " + n.args[4].value.dump());
  }
  if (n.args[5].constant &&
      (!n.args[5].value.is_string() || !is_binary_format(n.args[5].value.get<std::string>()))) {
    const std::string given =
        n.args[5].value.is_string() ? n.args[5].value.get<std::string>() : std::string();
    bad_arguments(
        where + "/$convert/format",
        "$convert: format must be base64, base64url, hex, uuid or utf8, not " +
            n.args[5].value.dump() +
            reel::detail::did_you_mean(
                given, std::vector<std::string>{"base64", "base64url", "hex", "uuid", "utf8"}));
  }
  if (n.args[1].constant) {
    auto t = parse_convert_target(n.args[1].value);
    if (!t) {
      bad_arguments(
          where,
          "$convert: unknown target type " + n.args[1].value.dump() +
              reel::detail::did_you_mean(
                  n.args[1].value.is_string() ? n.args[1].value.get<std::string>() : std::string(),
                  std::vector<std::string>{"double", "string", "objectId", "bool", "date", "int",
                                           "long", "decimal", "binData"}));
    }
    n.value = static_cast<int>(*t);
  }
  return n;
}

template <convert_target To>
node compile_to(compiler& c, const op_spec& spec, const document& arg, const std::string& where) {
  node n = compile_list(c, spec, arg, where, 1, 1);
  n.fn = &eval_convert;
  n.args.emplace_back();  // to (unused)
  n.value = static_cast<int>(To);
  return n;
}

inline void register_convert_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$convert", &eval_convert, 1, 1, &compile_convert});
  add_op({"$toInt", &eval_convert, 1, 1, &compile_to<convert_target::int32>});
  add_op({"$toLong", &eval_convert, 1, 1, &compile_to<convert_target::int64>});
  add_op({"$toDouble", &eval_convert, 1, 1, &compile_to<convert_target::double_>});
  add_op({"$toDecimal", &eval_convert, 1, 1, &compile_to<convert_target::decimal>});
  add_op({"$toString", &eval_convert, 1, 1, &compile_to<convert_target::string>});
  add_op({"$toBool", &eval_convert, 1, 1, &compile_to<convert_target::boolean>});
  add_op({"$toDate", &eval_convert, 1, 1, &compile_to<convert_target::date>});
  add_op({"$toObjectId", &eval_convert, 1, 1, &compile_to<convert_target::object_id>});
}

}  // namespace reel::json::detail
