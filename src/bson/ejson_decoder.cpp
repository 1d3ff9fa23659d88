// SPDX-License-Identifier: Apache-2.0
#include "ejson_decoder.hh"

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "reel/bson/decimal.hpp"
#include "reel/error.hpp"
#include "reel/time.hpp"
#include "text_codecs.hh"

namespace reel::bson::detail {
namespace {

std::optional<std::int64_t> parse_int64_text(std::string_view s) noexcept {
  std::int64_t n = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return n;
}

/// `$numberDouble` text: a decimal number, `Infinity`, `-Infinity` or `NaN`.
std::optional<double> parse_double_text(std::string_view s) noexcept {
  if (s == "Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  if (*b == '+') ++b;
  double d = 0;
  const auto [p, ec] = std::from_chars(b, s.data() + s.size(), d, std::chars_format::general);
  if (ec != std::errc{} || p != s.data() + s.size() || std::isnan(d) || std::isinf(d)) {
    return std::nullopt;
  }
  return d;
}

/// Milliseconds of a `$date` operand: ISO-8601 string, integer, integral double.
std::optional<std::int64_t> date_operand(const value& v) noexcept {
  switch (v.type()) {
    case type::string: {
      const auto t = parse_iso8601(v.as_string());
      if (!t) return std::nullopt;
      return to_millis(*t);
    }
    case type::int32:
    case type::int64:
      return v.as_int64();
    case type::double_: {
      const double d = v.as_double();
      if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d) return std::nullopt;
      return static_cast<std::int64_t>(d);
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::uint32_t> uint32_of(const value& v) noexcept {
  if (v.type() != type::int32 && v.type() != type::int64) return std::nullopt;
  const std::int64_t n = v.as_int64();
  if (n < 0 || n > 0xFFFFFFFFLL) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

std::string shown(const value& v) {
  return to_ejson(v);
}

[[noreturn]] void malformed(const builder& b, std::string message) {
  throw_error("reel.input.invalid_ejson", b.json_pointer(), std::move(message));
}

}  // namespace

void ejson_decoder::end_object() {
  const auto fields = builder_.open_fields();
  if (!fields.empty() && fields.size() <= 2) {
    const std::string_view k = fields[0].name();
    if (k.size() > 1 && k[0] == '$') {
      value w;
      if (decode_wrapper(w)) {
        builder_.end_replacing(w);
        return;
      }
    }
  }
  builder_.end();
}

bool ejson_decoder::decode_wrapper(value& out) {
  const auto fields = builder_.open_fields();
  if (fields.size() == 2) {
    // Legacy two-key forms, in either order.
    const field* a = &fields[0];
    const field* b = &fields[1];
    const auto pair_is = [&](std::string_view x, std::string_view y) {
      if (a->name() == y && b->name() == x) std::swap(a, b);
      return a->name() == x && b->name() == y;
    };
    if (pair_is("$binary", "$type")) {
      if (!a->val.is_string() || !b->val.is_string()) {
        malformed(builder_, "legacy $binary needs string $binary and $type, found " +
                                shown(value::document(fields)));
      }
      const auto subtype = parse_hex_byte(b->val.as_string());
      if (!subtype)
        malformed(builder_, "$type must be one or two hex digits, found " + shown(b->val));
      out = decode_base64(a->val.as_string(), *subtype, *memory_);
      if (out.is_missing()) malformed(builder_, "$binary must be base64, found " + shown(a->val));
      return true;
    }
    if (pair_is("$regex", "$options")) {
      if (!a->val.is_string() || !b->val.is_string()) return false;  // a query operator
      out = memory_->regex(a->val.as_string(), b->val.as_string());
      return true;
    }
    return false;
  }
  const std::string_view k = fields[0].name();
  const value& v = fields[0].val;
  switch (k[1]) {
    case 'n':
      if (k == "$numberInt") {
        const auto n = v.is_string() ? parse_int64_text(v.as_string()) : std::nullopt;
        if (!n || *n < INT32_MIN || *n > INT32_MAX) {
          malformed(builder_,
                    "$numberInt must be a string holding a 32-bit integer, found " + shown(v));
        }
        out = value::int32(static_cast<std::int32_t>(*n));
        return true;
      }
      if (k == "$numberLong") {
        const auto n = v.is_string() ? parse_int64_text(v.as_string()) : std::nullopt;
        if (!n)
          malformed(builder_,
                    "$numberLong must be a string holding a 64-bit integer, found " + shown(v));
        out = value::int64(*n);
        return true;
      }
      if (k == "$numberDouble") {
        const auto d = v.is_string() ? parse_double_text(v.as_string()) : std::nullopt;
        if (!d)
          malformed(builder_, "$numberDouble must be a string holding a number, found " + shown(v));
        out = value::double_(*d);
        return true;
      }
      if (k == "$numberDecimal") {
        const auto d = v.is_string() ? decimal_from_string(v.as_string()) : std::nullopt;
        if (!d)
          malformed(builder_,
                    "$numberDecimal must be a string holding a decimal, found " + shown(v));
        out = memory_->decimal(*d);
        return true;
      }
      return false;
    case 'd':
      if (k == "$date") {
        const auto ms = date_operand(v);
        if (!ms) {
          malformed(
              builder_,
              "$date must be an ISO-8601 string, an integer or {\"$numberLong\": \"…\"}, found " +
                  shown(v));
        }
        out = value::date(*ms);
        return true;
      }
      return false;
    case 'o':
      if (k == "$oid") {
        object_id id;
        if (!v.is_string() || !decode_hex(v.as_string(), id.bytes.data(), id.bytes.size())) {
          malformed(builder_, "$oid must be a string of 24 hex digits, found " + shown(v));
        }
        out = memory_->oid(id);
        return true;
      }
      return false;
    case 'b':
      if (k == "$binary") {
        const value b64 = v["base64"], sub = v["subType"];
        if (!v.is_document() || v.size() != 2 || !b64.is_string() || !sub.is_string()) {
          malformed(builder_,
                    "$binary must be {\"base64\": <string>, \"subType\": <hex string>}, found " +
                        shown(v));
        }
        const auto subtype = parse_hex_byte(sub.as_string());
        if (!subtype)
          malformed(builder_, "$binary subType must be one or two hex digits, found " + shown(sub));
        out = decode_base64(b64.as_string(), *subtype, *memory_);
        if (out.is_missing())
          malformed(builder_, "$binary base64 is not valid base64, found " + shown(b64));
        return true;
      }
      return false;
    case 'u':
      if (k == "$uuid") {
        std::uint8_t bytes[16];
        if (!v.is_string() || !decode_uuid(v.as_string(), bytes)) {
          malformed(builder_,
                    "$uuid must be a string like 01234567-89ab-cdef-0123-456789abcdef, found " +
                        shown(v));
        }
        out = memory_->binary({bytes, 16}, 4);
        return true;
      }
      if (k == "$undefined") {
        if (!(v.type() == type::boolean && v.as_bool()))
          malformed(builder_, "$undefined must be true, found " + shown(v));
        out = value::undefined();
        return true;
      }
      return false;
    case 't':
      if (k == "$timestamp") {
        const auto t = uint32_of(v["t"]), i = uint32_of(v["i"]);
        if (!v.is_document() || v.size() != 2 || !t || !i) {
          malformed(builder_,
                    "$timestamp must be {\"t\": <uint32>, \"i\": <uint32>}, found " + shown(v));
        }
        out = value::timestamp({*t, *i});
        return true;
      }
      return false;
    case 'r':
      if (k == "$regularExpression") {
        const value p = v["pattern"], o = v["options"];
        if (!v.is_document() || v.size() != 2 || !p.is_string() || !o.is_string()) {
          malformed(
              builder_,
              "$regularExpression must be {\"pattern\": <string>, \"options\": <string>}, found " +
                  shown(v));
        }
        out = memory_->regex(p.as_string(), o.as_string());
        return true;
      }
      return false;
    case 'm':
      if (k == "$minKey" || k == "$maxKey") {
        if (!(v.type() == type::int32 && v.as_int32() == 1)) {
          malformed(builder_, std::string(k) + " must be 1, found " + shown(v));
        }
        out = k == "$minKey" ? value::min_key() : value::max_key();
        return true;
      }
      return false;
    case 's':
      if (k == "$symbol") {
        if (!v.is_string()) malformed(builder_, "$symbol must be a string, found " + shown(v));
        out = value::string(v.as_string(), type::symbol);
        return true;
      }
      return false;
    case 'c':
      if (k == "$code") {
        if (!v.is_string()) malformed(builder_, "$code must be a string, found " + shown(v));
        out = value::string(v.as_string(), type::code);
        return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace reel::bson::detail
