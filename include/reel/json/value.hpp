// SPDX-License-Identifier: Apache-2.0
/// \file
/// Documents and values of Reel's JSON front end: `reel::json::document` (an
/// `nlohmann::ordered_json`, because MongoDB keeps field order), MongoDB Extended JSON for the
/// BSON types JSON lacks (dates, ObjectIds, 64-bit integers, ...), the "missing" value, MongoDB's
/// BSON comparison order across types, `$type` names, numbers with MongoDB's integer promotion,
/// and compiled field paths with MongoDB's implicit array traversal.
///
/// **Example**
/// ```cpp
/// using namespace reel::json;
/// document d = normalize_ejson(document::parse(
///     R"({"ts": {"$date": {"$numberLong": "1704067200000"}}, "n": {"$numberLong": "5"},
///         "items": [{"qty": 1}, {"qty": 2}]})"));
/// // d["ts"] == {"$date": "2024-01-01T00:00:00.000Z"}, d["n"] == 5
/// as_date(d["ts"]);                                 // 2024-01-01T00:00:00Z as reel::timestamp
/// type_name(d["n"]);                                // "int"
/// compare_values(document(1), document("a")) < 0;   // numbers sort before strings
/// field_path("items.qty").evaluate(d);              // [1, 2] (aggregation semantics)
/// *field_path("items.1.qty").lookup(d);             // 2 (numeric components index arrays)
/// ```
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/error.hpp"
#include "reel/time.hpp"

namespace reel::json {

/// A JSON document in field order. BSON-only types are Extended JSON objects (`{"$date": ...}`).
using document = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Missing values

/// True for the "missing" value (a field that is absent), represented as a discarded document.
inline bool is_missing(const document& d) noexcept {
  return d.is_discarded();
}
/// The "missing" value.
inline document missing() {
  return document(document::value_t::discarded);
}

namespace detail {
inline const document& missing_ref() noexcept {
  static const document m(document::value_t::discarded);
  return m;
}
inline const document& null_ref() noexcept {
  static const document n(nullptr);
  return n;
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Types

/// The BSON type of a value, as MongoDB sees it. `missing` is an absent field.
enum class bson_type : std::uint8_t {
  missing,
  min_key,
  null,
  int32,
  int64,
  double_,
  decimal,
  string,
  object,
  array,
  bin_data,
  object_id,
  boolean,
  date,
  timestamp,
  regex,
  max_key,
};

namespace detail {

/// The single key of a one-field object whose key starts with '$' (an EJSON wrapper or an
/// operator), or an empty view.
inline std::string_view dollar_key(const document& d) noexcept {
  if (!d.is_object() || d.empty() || d.size() > 2) return {};
  const std::string& k = d.begin().key();
  if (k.empty() || k[0] != '$') return {};
  return k;
}

inline bool parse_int64(std::string_view s, std::int64_t& out) noexcept {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

/// Parses a double the way MongoDB's `$numberDouble`/`$convert` accept it (incl. NaN, Infinity).
inline bool parse_double(std::string_view s, double& out) noexcept {
  if (s == "NaN" || s == "nan" || s == "-NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "Infinity" || s == "+Infinity" || s == "inf" || s == "infinity") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Infinity" || s == "-inf" || s == "-infinity") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

inline bool is_hex24(std::string_view s) noexcept {
  if (s.size() != 24) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

/// Standard base64 with padding.
inline std::string base64_encode(const std::uint8_t* data, std::size_t size) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t chunk = (static_cast<std::uint32_t>(data[i]) << 16) |
                                (i + 1 < size ? static_cast<std::uint32_t>(data[i + 1]) << 8 : 0) |
                                (i + 2 < size ? static_cast<std::uint32_t>(data[i + 2]) : 0);
    out += alphabet[(chunk >> 18) & 63];
    out += alphabet[(chunk >> 12) & 63];
    out += i + 1 < size ? alphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < size ? alphabet[chunk & 63] : '=';
  }
  return out;
}

/// Standard base64 (with or without padding); empty on invalid input.
inline std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(s.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace detail

/// BSON binData as Extended JSON: `{"$binary": {"base64": ..., "subType": "00"}}`.
inline document make_binary(const std::uint8_t* data, std::size_t size, int subtype = 0) {
  char sub[3];
  std::snprintf(sub, sizeof sub, "%02x", subtype & 0xFF);
  return document{
      {"$binary", document{{"base64", detail::base64_encode(data, size)}, {"subType", sub}}}};
}
inline document make_binary(std::string_view bytes, int subtype = 0) {
  return make_binary(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), subtype);
}

/// The BSON type of `d`, recognising Extended JSON wrappers (`$date`, `$oid`, `$numberLong`,
/// `$numberInt`, `$numberDouble`, `$numberDecimal`, `$binary`, `$timestamp`,
/// `$regularExpression`, `$minKey`, `$maxKey`). Integers that fit 32 bits are `int32`.
inline bson_type type_of(const document& d) noexcept {
  using vt = document::value_t;
  switch (d.type()) {
    case vt::null:
      return bson_type::null;
    case vt::boolean:
      return bson_type::boolean;
    case vt::string:
      return bson_type::string;
    case vt::array:
      return bson_type::array;
    case vt::binary:
      return bson_type::bin_data;
    case vt::discarded:
      return bson_type::missing;
    case vt::number_float:
      return bson_type::double_;
    case vt::number_integer: {
      const auto v = d.get_ref<const document::number_integer_t&>();
      return (v >= INT32_MIN && v <= INT32_MAX) ? bson_type::int32 : bson_type::int64;
    }
    case vt::number_unsigned: {
      const auto v = d.get_ref<const document::number_unsigned_t&>();
      if (v <= static_cast<std::uint64_t>(INT32_MAX)) return bson_type::int32;
      if (v <= static_cast<std::uint64_t>(INT64_MAX)) return bson_type::int64;
      return bson_type::double_;
    }
    case vt::object:
      break;
  }
  const std::string_view k = detail::dollar_key(d);
  if (k.empty()) return bson_type::object;
  const document& v = d.begin().value();
  if (d.size() == 1) {
    if (k == "$date") {
      if (v.is_string() || v.is_number()) return bson_type::date;
      if (v.is_object() && v.size() == 1 && v.contains("$numberLong")) return bson_type::date;
    } else if (k == "$oid") {
      if (v.is_string()) return bson_type::object_id;
    } else if (k == "$numberInt") {
      if (v.is_string()) return bson_type::int32;
    } else if (k == "$numberLong") {
      if (v.is_string()) return bson_type::int64;
    } else if (k == "$numberDouble") {
      if (v.is_string()) return bson_type::double_;
    } else if (k == "$numberDecimal") {
      if (v.is_string()) return bson_type::decimal;
    } else if (k == "$binary") {
      if (v.is_object()) return bson_type::bin_data;
    } else if (k == "$timestamp") {
      if (v.is_object()) return bson_type::timestamp;
    } else if (k == "$regularExpression") {
      if (v.is_object()) return bson_type::regex;
    } else if (k == "$minKey") {
      return bson_type::min_key;
    } else if (k == "$maxKey") {
      return bson_type::max_key;
    }
  } else if (k == "$binary" && v.is_string() && d.contains("$type")) {
    return bson_type::bin_data;  // legacy extended JSON
  }
  return bson_type::object;
}

/// MongoDB's `$type` name: "double", "string", "object", "array", "binData", "objectId", "bool",
/// "date", "null", "regex", "int", "timestamp", "long", "decimal", "minKey", "maxKey", "missing".
inline std::string type_name(const document& d) {
  switch (type_of(d)) {
    case bson_type::missing:
      return "missing";
    case bson_type::min_key:
      return "minKey";
    case bson_type::null:
      return "null";
    case bson_type::int32:
      return "int";
    case bson_type::int64:
      return "long";
    case bson_type::double_:
      return "double";
    case bson_type::decimal:
      return "decimal";
    case bson_type::string:
      return "string";
    case bson_type::object:
      return "object";
    case bson_type::array:
      return "array";
    case bson_type::bin_data:
      return "binData";
    case bson_type::object_id:
      return "objectId";
    case bson_type::boolean:
      return "bool";
    case bson_type::date:
      return "date";
    case bson_type::timestamp:
      return "timestamp";
    case bson_type::regex:
      return "regex";
    case bson_type::max_key:
      return "maxKey";
  }
  return "unknown";
}

/// The BSON type number MongoDB uses in `$type` (1 double ... 19 decimal, -1 minKey, 127 maxKey;
/// 0 for missing, which has none).
inline int type_code(bson_type t) noexcept {
  switch (t) {
    case bson_type::missing:
      return 0;
    case bson_type::min_key:
      return -1;
    case bson_type::null:
      return 10;
    case bson_type::int32:
      return 16;
    case bson_type::int64:
      return 18;
    case bson_type::double_:
      return 1;
    case bson_type::decimal:
      return 19;
    case bson_type::string:
      return 2;
    case bson_type::object:
      return 3;
    case bson_type::array:
      return 4;
    case bson_type::bin_data:
      return 5;
    case bson_type::object_id:
      return 7;
    case bson_type::boolean:
      return 8;
    case bson_type::date:
      return 9;
    case bson_type::timestamp:
      return 17;
    case bson_type::regex:
      return 11;
    case bson_type::max_key:
      return 127;
  }
  return 0;
}

/// A `$type` alias ("double", "int", "number", ...) to the types it covers; false if unknown.
/// "number" covers the four numeric types.
inline bool type_alias_matches(std::string_view alias, bson_type t, bool& known) noexcept {
  known = true;
  const bool numeric = t == bson_type::int32 || t == bson_type::int64 || t == bson_type::double_ ||
                       t == bson_type::decimal;
  if (alias == "number") return numeric;
  if (alias == "double") return t == bson_type::double_;
  if (alias == "string") return t == bson_type::string;
  if (alias == "object") return t == bson_type::object;
  if (alias == "array") return t == bson_type::array;
  if (alias == "binData") return t == bson_type::bin_data;
  if (alias == "undefined") return false;
  if (alias == "objectId") return t == bson_type::object_id;
  if (alias == "bool") return t == bson_type::boolean;
  if (alias == "date") return t == bson_type::date;
  if (alias == "null") return t == bson_type::null;
  if (alias == "regex") return t == bson_type::regex;
  if (alias == "dbPointer" || alias == "javascript" || alias == "symbol" ||
      alias == "javascriptWithScope") {
    return false;
  }
  if (alias == "int") return t == bson_type::int32;
  if (alias == "timestamp") return t == bson_type::timestamp;
  if (alias == "long") return t == bson_type::int64;
  if (alias == "decimal") return t == bson_type::decimal;
  if (alias == "minKey") return t == bson_type::min_key;
  if (alias == "maxKey") return t == bson_type::max_key;
  known = false;
  return false;
}

/// The `$type` aliases MongoDB knows (for "did you mean" suggestions).
inline const std::vector<std::string>& type_aliases() {
  static const std::vector<std::string> names = {
      "double",    "string",    "object",     "array",   "binData",
      "undefined", "objectId",  "bool",       "date",    "null",
      "regex",     "dbPointer", "javascript", "symbol",  "javascriptWithScope",
      "int",       "timestamp", "long",       "decimal", "minKey",
      "maxKey",    "number"};
  return names;
}

/// True for the numeric types (plain JSON numbers and `$numberInt/Long/Double/Decimal`).
inline bool is_number(const document& d) noexcept {
  if (d.is_number()) return true;
  const bson_type t = type_of(d);
  return t == bson_type::int32 || t == bson_type::int64 || t == bson_type::double_ ||
         t == bson_type::decimal;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// A number with MongoDB's numeric type: int32/int64 carry `i`, double/decimal carry `d`.
/// Decimal128 is approximated by a double (Reel has no decimal arithmetic).
struct numeric {
  enum class kind : std::uint8_t { int32, int64, dbl, decimal };
  kind k = kind::int32;
  std::int64_t i = 0;
  double d = 0;

  [[nodiscard]] bool integral() const noexcept { return k == kind::int32 || k == kind::int64; }
  [[nodiscard]] double to_double() const noexcept {
    return integral() ? static_cast<double>(i) : d;
  }
  static numeric from_int(std::int64_t v) noexcept {
    return {(v >= INT32_MIN && v <= INT32_MAX) ? kind::int32 : kind::int64, v, 0};
  }
  static numeric from_double(double v, bool decimal = false) noexcept {
    return {decimal ? kind::decimal : kind::dbl, 0, v};
  }
  /// A plain JSON number (integers as int64, doubles and decimals as double).
  [[nodiscard]] document to_document() const { return integral() ? document(i) : document(d); }
};

/// The number in `d`, or empty when `d` is not numeric.
inline std::optional<numeric> as_numeric(const document& d) noexcept {
  using vt = document::value_t;
  switch (d.type()) {
    case vt::number_integer:
      return numeric::from_int(d.get_ref<const document::number_integer_t&>());
    case vt::number_unsigned: {
      const auto v = d.get_ref<const document::number_unsigned_t&>();
      if (v <= static_cast<std::uint64_t>(INT64_MAX)) {
        return numeric::from_int(static_cast<std::int64_t>(v));
      }
      return numeric::from_double(static_cast<double>(v));
    }
    case vt::number_float:
      return numeric::from_double(d.get_ref<const document::number_float_t&>());
    case vt::object:
      break;
    default:
      return std::nullopt;
  }
  const std::string_view k = detail::dollar_key(d);
  if (k.empty() || d.size() != 1) return std::nullopt;
  const document& v = d.begin().value();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (k == "$numberInt" || k == "$numberLong") {
    std::int64_t x = 0;
    if (!detail::parse_int64(s, x)) return std::nullopt;
    return numeric::from_int(x);
  }
  if (k == "$numberDouble" || k == "$numberDecimal") {
    double x = 0;
    if (!detail::parse_double(s, x)) return std::nullopt;
    return numeric::from_double(x, k == "$numberDecimal");
  }
  return std::nullopt;
}

namespace detail {
inline numeric::kind wider(numeric::kind a, numeric::kind b) noexcept {
  return static_cast<numeric::kind>(std::max(static_cast<int>(a), static_cast<int>(b)));
}
}  // namespace detail

/// `a + b` as MongoDB: integers stay integers, overflow promotes to long then to double.
inline numeric add(const numeric& a, const numeric& b) noexcept {
  if (a.integral() && b.integral()) {
    std::int64_t r = 0;
    if (!__builtin_add_overflow(a.i, b.i, &r)) return numeric::from_int(r);
    return numeric::from_double(static_cast<double>(a.i) + static_cast<double>(b.i));
  }
  return {detail::wider(a.k, b.k), 0, a.to_double() + b.to_double()};
}
/// `a - b`, same typing rules as `add`.
inline numeric subtract(const numeric& a, const numeric& b) noexcept {
  if (a.integral() && b.integral()) {
    std::int64_t r = 0;
    if (!__builtin_sub_overflow(a.i, b.i, &r)) return numeric::from_int(r);
    return numeric::from_double(static_cast<double>(a.i) - static_cast<double>(b.i));
  }
  return {detail::wider(a.k, b.k), 0, a.to_double() - b.to_double()};
}
/// `a * b`, same typing rules as `add`.
inline numeric multiply(const numeric& a, const numeric& b) noexcept {
  if (a.integral() && b.integral()) {
    std::int64_t r = 0;
    if (!__builtin_mul_overflow(a.i, b.i, &r)) return numeric::from_int(r);
    return numeric::from_double(static_cast<double>(a.i) * static_cast<double>(b.i));
  }
  return {detail::wider(a.k, b.k), 0, a.to_double() * b.to_double()};
}

// ---------------------------------------------------------------------------------------------
// Dates

/// True for an Extended JSON date: `{"$date": "<ISO-8601>"}`, `{"$date": <ms>}` or
/// `{"$date": {"$numberLong": "<ms>"}}`.
inline bool is_date(const document& d) noexcept {
  return type_of(d) == bson_type::date;
}

/// The time of an Extended JSON date, or empty when `d` is not a (valid) date.
inline std::optional<timestamp> as_date(const document& d) noexcept {
  if (!d.is_object() || d.size() != 1) return std::nullopt;
  auto it = d.find("$date");
  if (it == d.end()) return std::nullopt;
  const document& v = *it;
  if (v.is_string()) return parse_iso8601(v.get_ref<const std::string&>());
  if (v.is_number_integer()) return from_millis(v.get<std::int64_t>());
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (!std::isfinite(x) || x >= 9.2e18 || x <= -9.2e18) return std::nullopt;
    return from_millis(static_cast<std::int64_t>(x));
  }
  if (v.is_object() && v.size() == 1) {
    auto n = v.find("$numberLong");
    if (n != v.end() && n->is_string()) {
      std::int64_t ms = 0;
      if (detail::parse_int64(n->get_ref<const std::string&>(), ms)) return from_millis(ms);
    }
  }
  return std::nullopt;
}

/// A relaxed Extended JSON date, `{"$date": "2024-01-01T00:00:00.000Z"}`; for years outside
/// 0000-9999 the canonical `{"$date": {"$numberLong": "<ms>"}}`.
inline document make_date(timestamp t) {
  document out = document::object();
  auto& members = out.get_ref<document::object_t&>();
  char text[24];
  if (reel::detail::write_iso8601(text, t)) {
    members.emplace_back("$date", std::string(text, sizeof text));
  } else {
    members.emplace_back("$date", document{{"$numberLong", std::to_string(to_millis(t))}});
  }
  return out;
}

namespace detail {
/// The epoch milliseconds of an ISO-8601 text exactly as `make_date` writes it for years
/// 0000-9999, `YYYY-MM-DDTHH:MM:SS.mmmZ` (so `make_date(from_millis(ms))` holds `s`), read at
/// fixed positions; empty for any other text, which may still be a date (see `parse_iso8601`).
inline std::optional<std::int64_t> exact_iso8601_millis(std::string_view s) noexcept {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z') {
    return std::nullopt;
  }
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!reel::detail::parse_digits(s, 0, 4, year) || !reel::detail::parse_digits(s, 5, 2, month) ||
      !reel::detail::parse_digits(s, 8, 2, day) || !reel::detail::parse_digits(s, 11, 2, hour) ||
      !reel::detail::parse_digits(s, 14, 2, minute) ||
      !reel::detail::parse_digits(s, 17, 2, second) ||
      !reel::detail::parse_digits(s, 20, 3, millis)) {
    return std::nullopt;
  }
  static constexpr unsigned days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  return reel::detail::days_from_civil(year, month, day) * 86'400'000 + hour * 3'600'000LL +
         minute * 60'000LL + second * 1000LL + millis;
}

/// The epoch milliseconds of a date exactly as `make_date` writes it for years 0000-9999,
/// `{"$date": "YYYY-MM-DDTHH:MM:SS.mmmZ"}` (so `make_date(from_millis(ms)) == d`), read at fixed
/// positions; empty for anything else, which may still be a date (see `as_date`).
inline std::optional<std::int64_t> relaxed_date_millis(const document& d) noexcept {
  if (!d.is_object() || d.size() != 1) return std::nullopt;
  const auto it = d.begin();
  if (it.key() != "$date" || !it->is_string()) return std::nullopt;
  return exact_iso8601_millis(it->get_ref<const std::string&>());
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Extended JSON conversion

/// Turns canonical Extended JSON into the working form, recursively: `$numberInt`,
/// `$numberLong`, `$numberDouble` and `$numberDecimal` become plain numbers (decimals become
/// doubles), every date form becomes a relaxed date (`make_date`). Other wrappers (`$oid`,
/// `$binary`, `$timestamp`, ...) stay as they are.
inline document normalize_ejson(document d) {
  if (d.is_array()) {
    for (auto& e : d)
      e = normalize_ejson(std::move(e));
    return d;
  }
  if (!d.is_object()) return d;
  const std::string_view k = detail::dollar_key(d);
  if (!k.empty() && d.size() == 1) {
    if (k == "$numberInt" || k == "$numberLong" || k == "$numberDouble" || k == "$numberDecimal") {
      if (auto n = as_numeric(d)) return n->to_document();
      return d;
    }
    if (k == "$date") {
      if (auto t = as_date(d)) return make_date(*t);
      return d;
    }
    if (k == "$oid" || k == "$binary" || k == "$timestamp" || k == "$regularExpression" ||
        k == "$minKey" || k == "$maxKey") {
      return d;
    }
  }
  for (auto& [key, value] : d.items()) {
    (void)key;
    value = normalize_ejson(std::move(value));
  }
  return d;
}

namespace detail {
/// Canonical EJSON spelling of a double: "1.0", "-0.0", "1.5E+20", "NaN", "Infinity".
inline std::string canonical_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  std::string s(buf, end);
  const auto e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e);
    std::string exp = s.substr(e + 1);
    if (mant.find('.') == std::string::npos) mant += ".0";
    if (!exp.empty() && exp[0] != '-' && exp[0] != '+') exp = "+" + exp;
    return mant + "E" + exp;
  }
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}
}  // namespace detail

/// Canonical Extended JSON for output to systems that need exact BSON types: numbers become
/// `$numberInt` / `$numberLong` / `$numberDouble`, dates `{"$date": {"$numberLong": ...}}`.
inline document to_canonical_document(const document& d) {
  using vt = document::value_t;
  switch (d.type()) {
    case vt::number_integer:
    case vt::number_unsigned: {
      auto n = as_numeric(d);
      if (n->integral()) {
        return document{
            {n->k == numeric::kind::int32 ? "$numberInt" : "$numberLong", std::to_string(n->i)}};
      }
      return document{{"$numberDouble", detail::canonical_double(n->d)}};
    }
    case vt::number_float:
      return document{{"$numberDouble", detail::canonical_double(d.get<double>())}};
    case vt::array: {
      document out = document::array();
      for (const auto& e : d)
        out.push_back(to_canonical_document(e));
      return out;
    }
    case vt::object: {
      const bson_type t = type_of(d);
      if (t == bson_type::date) {
        if (auto ts = as_date(d)) {
          return document{{"$date", document{{"$numberLong", std::to_string(to_millis(*ts))}}}};
        }
        return d;
      }
      if (t != bson_type::object) return d;
      document out = document::object();
      for (auto it = d.begin(); it != d.end(); ++it)
        out[it.key()] = to_canonical_document(*it);
      return out;
    }
    default:
      return d;
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison

namespace detail {

/// MongoDB's canonical type order: MinKey < missing < Null < Numbers < String < Object < Array <
/// BinData < ObjectId < Boolean < Date < Timestamp < Regex < MaxKey.
inline int canonical_rank(bson_type t) noexcept {
  switch (t) {
    case bson_type::min_key:
      return 0;
    case bson_type::missing:
      return 1;
    case bson_type::null:
      return 2;
    case bson_type::int32:
    case bson_type::int64:
    case bson_type::double_:
    case bson_type::decimal:
      return 3;
    case bson_type::string:
      return 4;
    case bson_type::object:
      return 5;
    case bson_type::array:
      return 6;
    case bson_type::bin_data:
      return 7;
    case bson_type::object_id:
      return 8;
    case bson_type::boolean:
      return 9;
    case bson_type::date:
      return 10;
    case bson_type::timestamp:
      return 11;
    case bson_type::regex:
      return 12;
    case bson_type::max_key:
      return 13;
  }
  return 1;
}

inline int compare_int_double(std::int64_t i, double d) noexcept {
  if (std::isnan(d)) return 1;
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  const auto t = static_cast<std::int64_t>(d);
  if (i < t) return -1;
  if (i > t) return 1;
  const double frac = d - static_cast<double>(t);
  return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

inline int compare_numeric(const numeric& a, const numeric& b) noexcept {
  if (a.integral() && b.integral()) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.integral()) return compare_int_double(a.i, b.d);
  if (b.integral()) return -compare_int_double(b.i, a.d);
  const bool an = std::isnan(a.d), bn = std::isnan(b.d);
  if (an || bn) return an && bn ? 0 : (an ? -1 : 1);
  return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
}

inline int compare_strings(std::string_view a, std::string_view b) noexcept {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

struct binary_view {
  std::vector<std::uint8_t> bytes;
  int subtype = 0;
};

inline binary_view binary_of(const document& d) {
  binary_view out;
  if (d.is_binary()) {
    const auto& b = d.get_binary();
    out.bytes.assign(b.begin(), b.end());
    out.subtype = b.has_subtype() ? static_cast<int>(b.subtype()) : 0;
    return out;
  }
  const document& v = d.begin().value();
  std::string data, sub;
  if (v.is_object()) {
    if (auto it = v.find("base64"); it != v.end() && it->is_string()) data = it->get<std::string>();
    if (auto it = v.find("subType"); it != v.end() && it->is_string()) sub = it->get<std::string>();
  } else if (v.is_string()) {
    data = v.get<std::string>();
    if (auto it = d.find("$type"); it != d.end() && it->is_string()) sub = it->get<std::string>();
  }
  if (auto bytes = base64_decode(data)) out.bytes = std::move(*bytes);
  out.subtype = sub.empty() ? 0 : static_cast<int>(std::strtol(sub.c_str(), nullptr, 16));
  return out;
}

inline std::string lower_hex(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

inline std::pair<std::uint64_t, std::uint64_t> timestamp_of(const document& d) {
  const document& v = d.begin().value();
  std::uint64_t t = 0, i = 0;
  if (auto it = v.find("t"); it != v.end() && it->is_number()) t = it->get<std::uint64_t>();
  if (auto it = v.find("i"); it != v.end() && it->is_number()) i = it->get<std::uint64_t>();
  return {t, i};
}

inline std::pair<std::string, std::string> regex_of(const document& d) {
  const document& v = d.begin().value();
  std::string p, o;
  if (auto it = v.find("pattern"); it != v.end() && it->is_string()) p = it->get<std::string>();
  if (auto it = v.find("options"); it != v.end() && it->is_string()) o = it->get<std::string>();
  return {p, o};
}

}  // namespace detail

int compare_values(const document& a, const document& b);

namespace detail {
inline int compare_same_rank(const document& a, bson_type ta, const document& b) {
  switch (canonical_rank(ta)) {
    case 0:   // minKey
    case 1:   // missing
    case 2:   // null
    case 13:  // maxKey
      return 0;
    case 3:
      return compare_numeric(*as_numeric(a), *as_numeric(b));
    case 4:
      return compare_strings(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
    case 5: {
      auto ia = a.begin(), ib = b.begin();
      for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
        const bson_type ea = type_of(*ia), eb = type_of(*ib);
        const int ra = canonical_rank(ea), rb = canonical_rank(eb);
        if (ra != rb) return ra < rb ? -1 : 1;
        if (const int c = compare_strings(ia.key(), ib.key()); c != 0) return c;
        if (const int c = compare_same_rank(*ia, ea, *ib); c != 0) return c;
      }
      if (ia == a.end() && ib == b.end()) return 0;
      return ia == a.end() ? -1 : 1;
    }
    case 6: {
      const std::size_t n = std::min(a.size(), b.size());
      for (std::size_t i = 0; i < n; ++i) {
        if (const int c = compare_values(a[i], b[i]); c != 0) return c;
      }
      return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
    }
    case 7: {
      const binary_view x = binary_of(a), y = binary_of(b);
      if (x.bytes.size() != y.bytes.size()) return x.bytes.size() < y.bytes.size() ? -1 : 1;
      if (x.subtype != y.subtype) return x.subtype < y.subtype ? -1 : 1;
      const int c =
          x.bytes.empty() ? 0 : std::memcmp(x.bytes.data(), y.bytes.data(), x.bytes.size());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case 8:
      return compare_strings(lower_hex(a.begin()->get<std::string>()),
                             lower_hex(b.begin()->get<std::string>()));
    case 9:
      return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
    case 10: {
      const std::int64_t x = to_millis(as_date(a).value_or(timestamp{}));
      const std::int64_t y = to_millis(as_date(b).value_or(timestamp{}));
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case 11: {
      const auto x = timestamp_of(a), y = timestamp_of(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case 12: {
      const auto x = regex_of(a), y = regex_of(b);
      if (const int c = compare_strings(x.first, y.first); c != 0) return c;
      return compare_strings(x.second, y.second);
    }
    default:
      return 0;
  }
}
}  // namespace detail

/// MongoDB's BSON comparison: negative, zero or positive. Across types the canonical order is
/// MinKey < missing < Null < Numbers < String < Object < Array < BinData < ObjectId < Boolean <
/// Date < Timestamp < Regex < MaxKey. Numbers compare by value across int/long/double (NaN is
/// the lowest number and equals NaN); strings bytewise; objects field by field (the value's type,
/// then the field name, then the value; a prefix sorts first); arrays element by element.
/// Missing sorts below null (as in aggregation `$cmp`); a `$sort` that wants missing == null maps
/// missing to null first.
inline int compare_values(const document& a, const document& b) {
  const bson_type ta = type_of(a), tb = type_of(b);
  const int ra = detail::canonical_rank(ta), rb = detail::canonical_rank(tb);
  if (ra != rb) return ra < rb ? -1 : 1;
  return detail::compare_same_rank(a, ta, b);
}

/// `compare_values(a, b) == 0`.
inline bool values_equal(const document& a, const document& b) {
  return compare_values(a, b) == 0;
}

/// MongoDB truthiness: false, null, missing and numeric zero are false, everything else (empty
/// strings, arrays and objects included) is true.
inline bool truthy(const document& d) noexcept {
  using vt = document::value_t;
  switch (d.type()) {
    case vt::boolean:
      return d.get<bool>();
    case vt::null:
    case vt::discarded:
      return false;
    case vt::number_integer:
      return d.get_ref<const document::number_integer_t&>() != 0;
    case vt::number_unsigned:
      return d.get_ref<const document::number_unsigned_t&>() != 0;
    case vt::number_float:
      return d.get_ref<const document::number_float_t&>() != 0.0;
    case vt::object:
      if (auto n = as_numeric(d)) return n->integral() ? n->i != 0 : n->d != 0.0;
      return true;
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Field paths

/// A dotted field path ("a.b.0.c") split once. Components that are all digits can index arrays
/// (query semantics and `lookup`); aggregation expressions never index arrays (MongoDB).
class field_path {
 public:
  field_path() = default;
  /// Throws `reel.json.bad_field_path` for an empty path, an empty component ("a..b") or a
  /// component starting with '$'. `where` is used as the error location.
  explicit field_path(std::string_view dotted, std::string_view where = {}) : text_(dotted) {
    if (dotted.empty()) fail(where, "field path must not be empty");
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = dotted.find('.', start);
      const std::string_view part = dotted.substr(
          start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (part.empty()) fail(where, "field path '" + text_ + "' has an empty component");
      if (part[0] == '$') {
        fail(where, "field path component '" + std::string(part) + "' must not start with '$'");
      }
      parts_.emplace_back(part);
      indexes_.push_back(array_index(part));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }

  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  [[nodiscard]] std::size_t size() const noexcept { return parts_.size(); }
  [[nodiscard]] bool empty() const noexcept { return parts_.empty(); }
  [[nodiscard]] const std::string& operator[](std::size_t i) const { return parts_[i]; }
  [[nodiscard]] const std::vector<std::string>& parts() const noexcept { return parts_; }
  /// The component as an array index, or -1 when it is not all digits.
  [[nodiscard]] std::int64_t index(std::size_t i) const { return indexes_[i]; }

  /// Direct lookup, no allocation: objects by name, arrays by numeric component. Null when the
  /// path is absent or meets an array with a non-numeric component.
  [[nodiscard]] const document* lookup(const document& doc) const noexcept {
    const document* cur = &doc;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      if (cur->is_object()) {
        auto it = cur->find(parts_[i]);
        if (it == cur->end()) return nullptr;
        cur = &*it;
      } else if (cur->is_array() && indexes_[i] >= 0 &&
                 static_cast<std::size_t>(indexes_[i]) < cur->size()) {
        cur = &(*cur)[static_cast<std::size_t>(indexes_[i])];
      } else {
        return nullptr;
      }
    }
    return cur;
  }

  /// Aggregation semantics (`"$a.b"`): objects by name; an array on the way maps the rest of
  /// the path over its elements (objects yield their value when present, nested arrays recurse,
  /// other elements are skipped), so `a.b` on `{a: [{b: 1}, {b: 2}]}` is `[1, 2]`. Returns a
  /// reference into `doc` when no array is traversed, else into `scratch`; `missing` when absent.
  const document& resolve(const document& doc, document& scratch) const {
    if (doc.is_array() && !parts_.empty()) {
      scratch = expand(doc, 0);
      return scratch;
    }
    const document* cur = &doc;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      if (!cur->is_object()) return detail::missing_ref();
      auto it = cur->find(parts_[i]);
      if (it == cur->end()) return detail::missing_ref();
      cur = &*it;
      if (cur->is_array() && i + 1 < parts_.size()) {
        scratch = expand(*cur, i + 1);
        return scratch;
      }
    }
    return *cur;
  }
  /// `resolve` as a value.
  [[nodiscard]] document evaluate(const document& doc) const {
    document scratch;
    const document& r = resolve(doc, scratch);
    if (&r == &scratch) return scratch;
    return r;
  }

  /// Query semantics (MongoDB's element iterator): calls `pred(const document* v)` for every
  /// value the path reaches, `nullptr` for "missing", until `pred` returns true; returns whether
  /// it did. Arrays met before the end of the path are traversed (object elements continue the
  /// path, a numeric component also selects that element); a leaf array yields its elements
  /// and then itself when `expand_leaf_arrays`, else only itself.
  template <class Pred>
  bool any_query_value(const document& doc, bool expand_leaf_arrays, Pred&& pred) const {
    return walk(doc, 0, expand_leaf_arrays, pred);
  }

 private:
  [[noreturn]] static void fail(std::string_view where, std::string message) {
    throw_error("reel.json.bad_field_path", std::string(where), std::move(message));
  }
  static std::int64_t array_index(std::string_view s) noexcept {
    if (s.empty() || s.size() > 18) return -1;
    std::int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

  document expand(const document& arr, std::size_t i) const {
    document out = document::array();
    for (const auto& e : arr) {
      if (e.is_object()) {
        const document* cur = &e;
        bool found = true;
        std::size_t j = i;
        for (; j < parts_.size(); ++j) {
          auto it = cur->find(parts_[j]);
          if (it == cur->end()) {
            found = false;
            break;
          }
          cur = &*it;
          if (j + 1 < parts_.size()) {
            if (cur->is_array()) {
              out.push_back(expand(*cur, j + 1));
              found = false;
              break;
            }
            if (!cur->is_object()) {
              found = false;
              break;
            }
          }
        }
        if (found) out.push_back(*cur);
      } else if (e.is_array()) {
        out.push_back(expand(e, i));
      }
    }
    return out;
  }

  template <class Pred>
  bool leaf(const document& v, bool expand, Pred& pred) const {
    if (expand && v.is_array()) {
      for (const auto& e : v) {
        if (pred(&e)) return true;
      }
    }
    return pred(&v);
  }

  /// Looks up component `i` onwards starting in `node` (an object or array).
  template <class Pred>
  bool walk(const document& node, std::size_t i, bool expand, Pred& pred) const {
    const document* cur = &node;
    while (i < parts_.size()) {
      if (cur->is_object()) {
        auto it = cur->find(parts_[i]);
        if (it == cur->end()) return pred(static_cast<const document*>(nullptr));
        cur = &*it;
        ++i;
      } else if (cur->is_array()) {
        return walk_array(*cur, i, expand, pred);
      } else {
        return pred(static_cast<const document*>(nullptr));
      }
    }
    return leaf(*cur, expand, pred);
  }

  /// Component `i` applies to the elements of `arr`.
  template <class Pred>
  bool walk_array(const document& arr, std::size_t i, bool expand, Pred& pred) const {
    const std::int64_t idx = indexes_[i];
    std::int64_t pos = 0;
    for (const auto& e : arr) {
      const bool offset_match = idx == pos++;
      if (e.is_object()) {
        if (walk(e, i, expand, pred)) return true;
        if (offset_match) {
          if (i + 1 == parts_.size()) {
            if (pred(&e)) return true;
          } else if (walk(e, i + 1, expand, pred)) {
            return true;
          }
        }
      } else if (offset_match) {
        if (i + 1 == parts_.size()) {
          if (pred(&e)) return true;
        } else if (e.is_array()) {
          if (walk_array(e, i + 1, expand, pred)) return true;
        }
      }
    }
    return false;
  }

  std::string text_;
  std::vector<std::string> parts_;
  std::vector<std::int64_t> indexes_;
};

}  // namespace reel::json
