// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB Extended JSON (EJSON v2) input and output for Reel documents.
///
/// Input (`parse_ejson_line`) is strict JSON text holding relaxed or canonical EJSON. Number and
/// date wrappers are normalised on the way in, so the rest of Reel sees one shape per type:
///
/// | input                                         | document                                |
/// |-----------------------------------------------|-----------------------------------------|
/// | `{"$numberInt": "5"}`, `{"$numberLong": "5"}` | integer `5`                             |
/// | `{"$numberDouble": "1.5"}`                    | double `1.5` (also `Infinity`, `NaN`)   |
/// | `{"$date": "2024-01-01T01:00:00+01:00"}`      | `{"$date": "2024-01-01T00:00:00.000Z"}` |
/// | `{"$date": {"$numberLong": "1704067200000"}}` | `{"$date": "2024-01-01T00:00:00.000Z"}` |
/// | `{"$date": 1704067200000}` (legacy)           | `{"$date": "2024-01-01T00:00:00.000Z"}` |
///
/// Dates outside years 0000–9999 stay `{"$date": {"$numberLong": "…"}}`. Integers that fit in 64
/// bits are signed integers; larger ones become doubles. Other wrappers (`$oid`,
/// `$numberDecimal`, `$binary`, `$timestamp`, `$regularExpression`, …) are kept as they are.
/// Nesting deeper than `max_nesting_depth` (200) is rejected, so no later recursive walk over a
/// document can exhaust the stack.
///
/// Output comes in three flavours, all compact and on one line:
/// - `to_relaxed_ejson`: plain numbers, `{"$date":"…Z"}` for years 1970–9999, wrappers only where
///   JSON has no spelling (non-finite doubles, dates outside that range);
/// - `to_canonical_ejson`: every number typed (`{"$numberInt":"5"}`, `{"$numberLong":"…"}`,
///   `{"$numberDouble":"1.5"}`) and dates as `{"$date":{"$numberLong":"…"}}`. Documents do not
///   keep BSON's int32/int64 distinction, so an integer is `$numberInt` whenever it fits in 32
///   bits (`{"$numberLong": "5"}` comes back as `{"$numberInt":"5"}`);
/// - `to_basic_json`: for consumers that know no EJSON: dates as epoch milliseconds, `$oid` as
///   its hex string, non-finite doubles as `null`.
///
/// **Example**
/// ```cpp
/// auto doc = reel::json::parse_ejson_line(
///     R"({"n": {"$numberLong": "7"}, "at": {"$date": {"$numberLong": "1704067200000"}}})");
/// reel::json::to_relaxed_ejson(doc);  // {"n":7,"at":{"$date":"2024-01-01T00:00:00.000Z"}}
/// reel::json::to_basic_json(doc);     // {"n":7,"at":1704067200000}
/// reel::json::to_canonical_ejson(doc);
/// // {"n":{"$numberInt":"7"},"at":{"$date":{"$numberLong":"1704067200000"}}}
/// ```
///
/// Errors throw `reel::error`: `reel.input.invalid_json` with the byte offset (0-based) in the
/// message for text that is not JSON or nests too deeply, and `reel.input.invalid_ejson` with
/// the JSON pointer of the wrapper as `where` for a malformed wrapper (`{"$numberInt": "x"}`).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/detail/utf8.hpp"
#include "reel/error.hpp"
#include "reel/json/value.hpp"
#include "reel/time.hpp"

namespace reel::json {

/// A Reel document: JSON with MongoDB's field order. (Also declared by `reel/json/value.hpp`.)
using document = nlohmann::ordered_json;

/// Deepest nesting of arrays and objects accepted from text input.
inline constexpr std::size_t max_nesting_depth = 200;

namespace detail {

// ---------------------------------------------------------------------------------------------
// Small parsing helpers

/// A whole string as a signed 64-bit decimal integer (an optional leading '-', digits only).
inline std::optional<std::int64_t> parse_int64(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: the JSON number grammar.
inline bool is_json_number(std::string_view s) noexcept {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i - from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

/// The string of a canonical `$numberDouble`: `Infinity`, `-Infinity`, `NaN` or a decimal number
/// (a leading '+' or '.' and a trailing '.' are tolerated; hex and `inf`/`nan` spellings are not).
inline std::optional<double> parse_double_text(std::string_view s) noexcept {
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      return std::nullopt;
    }
  }
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

using reel::detail::utf8_sequence_length;

/// Appends `cp` encoded as UTF-8.
inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range an ISO string can hold.
inline constexpr std::int64_t iso_min_millis = reel::detail::days_from_civil(0, 1, 1) * 86'400'000;
inline constexpr std::int64_t iso_max_millis =
    reel::detail::days_from_civil(10000, 1, 1) * 86'400'000 - 1;
/// Relaxed EJSON writes `$date` as a string for years 1970–9999 only.
inline constexpr std::int64_t relaxed_max_millis = iso_max_millis;

/// The normalised date document: `{"$date": "…Z"}`, or `{"$date": {"$numberLong": "…"}}` for a
/// time an ISO string cannot hold.
inline document make_date_millis(std::int64_t millis) {
  document d = document::object();
  if (millis >= iso_min_millis && millis <= iso_max_millis) {
    d["$date"] = format_iso8601(from_millis(millis));
  } else {
    d["$date"] = {{"$numberLong", std::to_string(millis)}};
  }
  return d;
}

/// The epoch milliseconds of a date value in any accepted form: the `$date` operand being an ISO
/// string, an integer, an integral double or `{"$numberLong": "…"}`.
inline std::optional<std::int64_t> date_operand_millis(const document& v) noexcept {
  switch (v.type()) {
    case document::value_t::string: {
      const auto t = parse_iso8601(v.get_ref<const std::string&>());
      if (!t) return std::nullopt;
      return to_millis(*t);
    }
    case document::value_t::number_integer:
      return v.get<std::int64_t>();
    case document::value_t::number_unsigned: {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(u);
    }
    case document::value_t::number_float: {
      const double d = v.get<double>();
      if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d) return std::nullopt;
      return static_cast<std::int64_t>(d);
    }
    case document::value_t::object: {
      if (v.size() != 1) return std::nullopt;
      const auto it = v.begin();
      if (it.key() != "$numberLong" || !it->is_string()) return std::nullopt;
      return parse_int64(it->get_ref<const std::string&>());
    }
    default:
      return std::nullopt;
  }
}

/// The epoch milliseconds of `{"$date": …}`, or empty when `v` is not a date.
inline std::optional<std::int64_t> date_millis(const document& v) noexcept {
  if (!v.is_object() || v.size() != 1) return std::nullopt;
  const auto it = v.begin();
  if (it.key() != "$date") return std::nullopt;
  return date_operand_millis(*it);
}

/// Every `{"$date": …}` in `d` replaced by its ISO-8601 string (the `dateFormat: "ISO8601"`
/// option of sinks that write JSON).
inline void dates_to_iso8601(document& d) {
  if (d.is_object()) {
    if (auto ms = date_millis(d)) {
      d = format_iso8601(from_millis(*ms));
      return;
    }
    for (auto& [k, v] : d.items())
      dates_to_iso8601(v);
  } else if (d.is_array()) {
    for (auto& v : d)
      dates_to_iso8601(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Input

/// Whether the builder normalises `obj` (then an object that just closed): one member whose key
/// starts with `$`.
inline bool is_wrapper_candidate(const document& obj) {
  if (obj.size() != 1) return false;
  const std::string& k = obj.begin().key();
  return k.size() > 1 && k[0] == '$';
}

/// Sets `message`; false.
inline bool fail_with(std::string& message, std::string text) {
  message = std::move(text);
  return false;
}

/// Normalises a wrapper candidate: `$numberInt`, `$numberLong`, `$numberDouble` and `$date`
/// become the number or the normalised date (other keys stay as they are); false, with
/// `message`, for a malformed one.
inline bool normalise_wrapper(document& obj, std::string& message) {
  const std::string k = obj.begin().key();
  const document& v = *obj.begin();
  if (k == "$numberInt") {
    const auto n = v.is_string() ? parse_int64(v.get_ref<const std::string&>()) : std::nullopt;
    if (!n || *n < std::numeric_limits<std::int32_t>::min() ||
        *n > std::numeric_limits<std::int32_t>::max()) {
      return fail_with(message,
                       "$numberInt must be a string holding a 32-bit integer, found " + v.dump());
    }
    obj = *n;
  } else if (k == "$numberLong") {
    const auto n = v.is_string() ? parse_int64(v.get_ref<const std::string&>()) : std::nullopt;
    if (!n) {
      return fail_with(message,
                       "$numberLong must be a string holding a 64-bit integer, found " + v.dump());
    }
    obj = *n;
  } else if (k == "$numberDouble") {
    const auto d =
        v.is_string() ? parse_double_text(v.get_ref<const std::string&>()) : std::nullopt;
    if (!d)
      return fail_with(message,
                       "$numberDouble must be a string holding a number, found " + v.dump());
    obj = *d;
  } else if (k == "$date") {
    // The usual input, an ISO string as `make_date_millis` writes it, is already normalised:
    // read in place, not parsed, formatted and built again.
    if (v.is_string() && detail::exact_iso8601_millis(v.get_ref<const std::string&>())) {
      return true;
    }
    const auto ms = date_operand_millis(v);
    if (!ms) {
      return fail_with(message,
                       "$date must be an ISO-8601 string, an integer or {\"$numberLong\": \"…\"}, "
                       "found " +
                           v.dump());
    }
    obj = make_date_millis(*ms);
  }
  return true;
}

/// Builds a document from nlohmann's SAX events, bounding the depth and normalising wrappers as
/// each object closes. `Projected`: when the root is an object, only its members named in the
/// sorted list given to the constructor are kept; the others are still checked exactly as the
/// full build checks them (a skipped object or array is built aside, wrappers and depth
/// included, and dropped; a skipped scalar needs no check), so the builder accepts the texts
/// that the full build accepts, except a root whose first key starts with `$` (declined).
template <bool Projected>
class basic_ejson_builder {
 public:
  basic_ejson_builder() = default;
  explicit basic_ejson_builder(const std::vector<std::string>* keep) { projection_.keep = keep; }

  using number_integer_t = document::number_integer_t;
  using number_unsigned_t = document::number_unsigned_t;
  using number_float_t = document::number_float_t;
  using string_t = document::string_t;
  using binary_t = document::binary_t;

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(number_integer_t v) { return put(v); }
  bool number_unsigned(number_unsigned_t v) {
    if (v > static_cast<number_unsigned_t>(std::numeric_limits<number_integer_t>::max())) {
      return put(static_cast<double>(v));
    }
    return put(static_cast<number_integer_t>(v));
  }
  bool number_float(number_float_t v, const string_t&) { return put(v); }
  bool string(string_t& v) { return put(std::move(v)); }
  bool binary(binary_t&) { return false; }  // never produced by the JSON parser

  bool start_object(std::size_t) { return open(document::value_t::object); }
  bool key(string_t& k) {
    if constexpr (Projected) {
      if (stack_.size() == 1) {
        // A root whose first key starts with '$' may be a wrapper, which depends on all its
        // members: declined, for the caller to parse it whole.
        if (std::exchange(projection_.first_member, false) && k.size() > 1 && k[0] == '$')
          return false;
        const auto& keep = *projection_.keep;
        projection_.skip = !std::binary_search(keep.begin(), keep.end(), k);
        if (projection_.skip) {
          member_ = &projection_.skipped;
          return true;
        }
      }
    }
    member_ = &(*stack_.back())[std::move(k)];
    return true;
  }
  bool end_object() {
    document* obj = stack_.back();
    stack_.pop_back();
    return !is_wrapper_candidate(*obj) || normalise(*obj);
  }
  bool start_array(std::size_t) { return open(document::value_t::array); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const document::exception& ex) {
    syntax_error_ = true;
    position_ = position;
    message_ = ex.what();
    return false;
  }

  document root;
  bool syntax_error_ = false;  ///< the text is not JSON
  bool too_deep_ = false;      ///< nesting beyond max_nesting_depth
  bool bad_wrapper_ = false;   ///< a malformed `$number…`/`$date` wrapper
  std::size_t position_ = 0;   ///< nlohmann's chars_read_total at a syntax error
  std::string message_;        ///< nlohmann's message, or the wrapper problem
  std::string pointer_;        ///< JSON pointer of the malformed wrapper

 private:
  template <class V>
  document* place(V&& v) {
    if (stack_.empty()) {
      root = document(std::forward<V>(v));
      return &root;
    }
    document& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(document(std::forward<V>(v)));
      return &top.back();
    }
    *member_ = document(std::forward<V>(v));
    return member_;
  }
  template <class V>
  bool put(V&& v) {
    if constexpr (Projected) {
      if (projection_.skip && stack_.size() == 1) return true;  // a skipped top-level scalar
    }
    place(std::forward<V>(v));
    return true;
  }
  bool open(document::value_t t) {
    if (stack_.size() >= max_nesting_depth) {
      too_deep_ = true;
      return false;
    }
    stack_.push_back(place(t));
    if constexpr (Projected) {
      // Room for the kept fields and the event time the processor adds: no regrowth.
      if (stack_.size() == 1 && t == document::value_t::object) {
        root.get_ref<document::object_t&>().reserve(projection_.keep->size() + 1);
      }
    }
    return true;
  }

  bool fail(const document& at, std::string message) {
    bad_wrapper_ = true;
    message_ = std::move(message);
    pointer_ = pointer_of(at);
    return false;
  }

  /// The JSON pointer of `target`, a member or element of the containers on the stack (or the
  /// most recently closed one).
  std::string pointer_of(const document& target) const {
    std::vector<const document*> chain(stack_.begin(), stack_.end());
    chain.push_back(&target);
    std::string out;
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      const document& parent = *chain[i];
      const document* child = chain[i + 1];
      if (parent.is_array()) {
        for (std::size_t k = 0; k < parent.size(); ++k) {
          if (&parent[k] == child) {
            out += '/';
            out += std::to_string(k);
            break;
          }
        }
      } else {
        for (auto it = parent.begin(); it != parent.end(); ++it) {
          if (&*it == child) {
            out += '/';
            out += json_pointer_token(it.key());
            break;
          }
        }
      }
    }
    return out;
  }

  bool normalise(document& obj) {
    std::string message;
    return normalise_wrapper(obj, message) || fail(obj, std::move(message));
  }

  std::vector<document*> stack_;
  document* member_ = nullptr;
  struct projection {
    const std::vector<std::string>* keep = nullptr;  // the members to keep, sorted
    bool first_member = true;                        // no root member seen yet
    bool skip = false;                               // the current member is not kept
    document skipped;                                // where a skipped object or array is built
  };
  struct no_projection {};
  [[no_unique_address]] std::conditional_t<Projected, projection, no_projection> projection_;
};
using ejson_builder = basic_ejson_builder<false>;

/// The 0-based byte offset where nesting first exceeds `max_nesting_depth`.
inline std::size_t depth_overflow_offset(std::string_view text) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_nesting_depth) return i;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    }
  }
  return text.size();
}

/// nlohmann's message without its `[json.exception…] parse error at line L, column C: ` prefix.
inline std::string strip_nlohmann_prefix(const std::string& what) {
  const auto col = what.find("column ");
  if (col != std::string::npos) {
    const auto colon = what.find(": ", col);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

// ---------------------------------------------------------------------------------------------
// Output

enum class ejson_mode { relaxed, canonical, basic };

/// Appends `s` as a JSON string: `"` `\` and control characters escaped, UTF-8 kept, invalid
/// UTF-8 replaced by U+FFFD so the output is always valid JSON.
inline void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(s, i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    ++i;
  }
  out += '"';
}

inline void write_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, p);
}

/// Shortest round-trip text of a finite double, laid out as nlohmann's `dump()` lays it out
/// (fixed notation for decimal exponents −4…15 with `.0` on integral values, `1e+20` and
/// `1e-05` outside), so Reel's output and `document::dump()` agree.
inline void write_finite_double(std::string& out, double v) {
  if (v == 0) {
    out += std::signbit(v) ? "-0.0" : "0.0";
    return;
  }
  char sci[40];
  const auto [end, ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  (void)ec;
  // sci = [-]d[.ddd]e±XX
  const char* p = sci;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[24];
  int len = 0;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') digits[len++] = *p;
  }
  int exp10 = 0;
  if (p != end) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp10);
  const int n = exp10 + 1;  // position of the decimal point relative to the digits
  const std::string_view d(digits, static_cast<std::size_t>(len));
  constexpr int min_exp = -4;
  constexpr int max_exp = 15;
  if (len <= n && n <= max_exp) {
    out += d;
    out.append(static_cast<std::size_t>(n - len), '0');
    out += ".0";
  } else if (0 < n && n <= max_exp) {
    out += d.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += d.substr(static_cast<std::size_t>(n));
  } else if (min_exp < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += d;
  } else {
    out += d.front();
    if (len > 1) {
      out += '.';
      out += d.substr(1);
    }
    int e = n - 1;
    out += 'e';
    out += e < 0 ? '-' : '+';
    if (e < 0) e = -e;
    if (e < 10) out += '0';
    write_int(out, e);
  }
}

/// The string of a canonical `$numberDouble`: `Infinity`, `-Infinity`, `NaN`, or the shortest
/// round-trip text in the spelling of the EJSON corpus (`1.5`, `2.0`, `-0.0`, `1.0E+20`,
/// `2.5E-12`).
inline std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::string s;
  write_finite_double(s, v);
  const auto e = s.find('e');
  if (e != std::string::npos) {
    s[e] = 'E';
    if (s.find('.') == std::string::npos) s.insert(e, ".0");
  }
  return s;
}

inline void write_wrapped(std::string& out, std::string_view key, const std::string& text) {
  out += "{\"";
  out += key;
  out += "\":\"";
  out += text;
  out += "\"}";
}

inline void write_integer(std::string& out, std::int64_t v, ejson_mode mode) {
  if (mode != ejson_mode::canonical) {
    write_int(out, v);
  } else if (v >= std::numeric_limits<std::int32_t>::min() &&
             v <= std::numeric_limits<std::int32_t>::max()) {
    write_wrapped(out, "$numberInt", std::to_string(v));
  } else {
    write_wrapped(out, "$numberLong", std::to_string(v));
  }
}

inline void write_double(std::string& out, double v, ejson_mode mode) {
  if (mode == ejson_mode::canonical) {
    write_wrapped(out, "$numberDouble", double_text(v));
  } else if (std::isfinite(v)) {
    write_finite_double(out, v);
  } else if (mode == ejson_mode::relaxed) {
    write_wrapped(out, "$numberDouble", double_text(v));
  } else {
    out += "null";
  }
}

inline void write_value(std::string& out, const document& v, ejson_mode mode);

/// Writes a single-key `$…` object specially where the mode asks for it; false to fall back to
/// writing it as an ordinary object.
inline bool write_wrapper(std::string& out, const document& obj, ejson_mode mode) {
  const std::string& k = obj.begin().key();
  const document& v = *obj.begin();
  if (k == "$date") {
    const auto ms = date_operand_millis(v);
    if (!ms) return false;
    if (mode == ejson_mode::basic) {
      write_int(out, *ms);
    } else if (mode == ejson_mode::relaxed && *ms >= 0 && *ms <= relaxed_max_millis) {
      out += "{\"$date\":\"";
      out += format_iso8601(from_millis(*ms));
      out += "\"}";
    } else {
      out += "{\"$date\":";
      write_wrapped(out, "$numberLong", std::to_string(*ms));
      out += '}';
    }
    return true;
  }
  if (k == "$numberInt" || k == "$numberLong") {
    const auto n = v.is_string() ? parse_int64(v.get_ref<const std::string&>()) : std::nullopt;
    if (!n) return false;
    write_integer(out, *n, mode);
    return true;
  }
  if (k == "$numberDouble") {
    const auto d =
        v.is_string() ? parse_double_text(v.get_ref<const std::string&>()) : std::nullopt;
    if (!d) return false;
    write_double(out, *d, mode);
    return true;
  }
  if (mode == ejson_mode::basic && k == "$oid" && v.is_string()) {
    write_string(out, v.get_ref<const std::string&>());
    return true;
  }
  if (mode == ejson_mode::basic && k == "$numberDecimal" && v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (is_json_number(s)) {
      out += s;
    } else {
      write_string(out, s);
    }
    return true;
  }
  if (mode == ejson_mode::canonical && k == "$timestamp") {
    // {"$timestamp": {"t": <uint32>, "i": <uint32>}} holds plain JSON integers in every form.
    out += "{\"$timestamp\":";
    write_value(out, v, ejson_mode::relaxed);
    out += '}';
    return true;
  }
  return false;
}

inline void write_value(std::string& out, const document& v, ejson_mode mode) {
  switch (v.type()) {
    case document::value_t::null:
    case document::value_t::discarded:
      out += "null";
      break;
    case document::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case document::value_t::number_integer:
      write_integer(out, v.get<std::int64_t>(), mode);
      break;
    case document::value_t::number_unsigned: {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        write_double(out, static_cast<double>(u), mode);
      } else {
        write_integer(out, static_cast<std::int64_t>(u), mode);
      }
      break;
    }
    case document::value_t::number_float:
      write_double(out, v.get<double>(), mode);
      break;
    case document::value_t::string:
      write_string(out, v.get_ref<const std::string&>());
      break;
    case document::value_t::binary: {
      // Not produced by Reel's parsers (binData is `{"$binary": ...}`), but written as binData.
      const auto& b = v.get_binary();
      write_value(out, make_binary(b.data(), b.size(), b.has_subtype() ? b.subtype() : 0), mode);
      break;
    }
    case document::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        write_value(out, e, mode);
      }
      out += ']';
      break;
    }
    case document::value_t::object: {
      if (v.size() == 1 && v.begin().key().size() > 1 && v.begin().key()[0] == '$' &&
          write_wrapper(out, v, mode)) {
        break;
      }
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        write_string(out, it.key());
        out += ':';
        write_value(out, *it, mode);
      }
      out += '}';
      break;
    }
  }
}

inline std::string write_document(const document& v, ejson_mode mode) {
  std::string out;
  out.reserve(128);
  write_value(out, v, mode);
  return out;
}

}  // namespace detail

/// Parses one JSON text (typically one NDJSON line) holding relaxed or canonical Extended JSON.
/// Number and date wrappers are normalised (see the file comment).
///
/// Throws `reel::error`:
/// - `reel.input.invalid_json`, message `invalid JSON at byte N: …` (N 0-based), for text that
///   is not one JSON value, and `invalid JSON at byte N: nesting deeper than 200 levels`;
/// - `reel.input.invalid_ejson`, where = JSON pointer of the wrapper, for a malformed
///   `$numberInt`/`$numberLong`/`$numberDouble`/`$date`.
inline document parse_ejson_line(std::string_view text) {
  detail::ejson_builder builder;
  const bool ok = document::sax_parse(text.begin(), text.end(), &builder);
  if (ok) return std::move(builder.root);
  if (builder.too_deep_) {
    throw_error("reel.input.invalid_json", "",
                "invalid JSON at byte " + std::to_string(detail::depth_overflow_offset(text)) +
                    ": nesting deeper than " + std::to_string(max_nesting_depth) + " levels");
  }
  if (builder.bad_wrapper_) {
    throw_error("reel.input.invalid_ejson", builder.pointer_, builder.message_);
  }
  const std::size_t byte = builder.position_ > 0 ? builder.position_ - 1 : 0;
  throw_error("reel.input.invalid_json", "",
              "invalid JSON at byte " + std::to_string(byte) + ": " +
                  detail::strip_nlohmann_prefix(builder.message_));
}

namespace detail {
/// Parses `text` as `parse_ejson_line` does, keeping only the root object's members named in
/// `keep` (sorted, unique): for a pipeline that reads no other field, the rest need not be
/// built. False when `text` is not accepted (exactly when `parse_ejson_line` throws, which then
/// tells why), and for a root object whose first key starts with `$` (it may be a wrapper, which
/// `parse_ejson_line` normalises as a whole).
inline bool parse_ejson_fields(std::string_view text, const std::vector<std::string>& keep,
                               document& out) {
  basic_ejson_builder<true> builder(&keep);
  if (!document::sax_parse(text.begin(), text.end(), &builder)) return false;
  out = std::move(builder.root);
  return true;
}
}  // namespace detail

/// Relaxed Extended JSON on one line, compact: plain numbers, `{"$date":"…Z"}` for years
/// 1970–9999 (canonical `$date` otherwise), `{"$numberDouble":"NaN"}` and the infinities.
/// Canonical wrappers found in `doc` are written relaxed.
inline std::string to_relaxed_ejson(const document& doc) {
  return detail::write_document(doc, detail::ejson_mode::relaxed);
}

/// Canonical Extended JSON on one line: `{"$numberInt":"5"}` (int32 range),
/// `{"$numberLong":"…"}` (other integers), `{"$numberDouble":"1.5"}`,
/// `{"$date":{"$numberLong":"…"}}`.
inline std::string to_canonical_ejson(const document& doc) {
  return detail::write_document(doc, detail::ejson_mode::canonical);
}

/// Plain JSON on one line for consumers that know no EJSON: dates as epoch milliseconds, `$oid`
/// as its string, number wrappers as numbers, `$numberDecimal` as a number (or a string when it
/// is `NaN`/`Infinity`), non-finite doubles as `null`. Other wrappers are written as they are.
inline std::string to_basic_json(const document& doc) {
  return detail::write_document(doc, detail::ejson_mode::basic);
}

}  // namespace reel::json
