// SPDX-License-Identifier: Apache-2.0
// value → Extended JSON text, appended to a caller's buffer (no allocation per value).
#include <charconv>
#include <cmath>
#include <cstring>

#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/time.hpp"
#include "text_codecs.hh"

namespace reel::bson {
namespace {

void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
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
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void write_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Shortest round-trip text of a finite double in nlohmann's layout (fixed notation for decimal
/// exponents −4…15 with `.0` on integral values, else `1e+20`, `1e-05`), as Reel wrote it so far.
void write_finite_double(std::string& out, double v) {
  if (v == 0) {
    out += std::signbit(v) ? "-0.0" : "0.0";
    return;
  }
  char sci[40];
  const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[24];
  int len = 0;
  for (; p != r.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[len++] = *p;
  }
  int exp10 = 0;
  if (p != r.ptr) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), r.ptr, exp10);
  const int n = exp10 + 1;  // position of the decimal point relative to the digits
  const std::string_view d(digits, static_cast<std::size_t>(len));
  if (len <= n && n <= 15) {
    out += d;
    out.append(static_cast<std::size_t>(n - len), '0');
    out += ".0";
  } else if (0 < n && n <= 15) {
    out += d.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += d.substr(static_cast<std::size_t>(n));
  } else if (-4 < n && n <= 0) {
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

/// The text of a canonical `$numberDouble` (the EJSON corpus spelling: `1.0`, `1.0E+20`).
void write_canonical_double_text(std::string& out, double v) {
  if (!std::isfinite(v)) {
    append_double_text(out, v);
    return;
  }
  const std::size_t start = out.size();
  write_finite_double(out, v);
  const std::size_t e = out.find('e', start);
  if (e == std::string::npos) return;
  out[e] = 'E';
  if (out.find('.', start) == std::string::npos) out.insert(e, ".0");
}

class writer {
 public:
  writer(std::string& out, const ejson_options& o) : out_(out), o_(o) {}

  void write(const value& v) {
    const bool canonical = o_.format == ejson_format::canonical;
    const bool basic = o_.format == ejson_format::basic;
    switch (v.type()) {
      case type::missing:
        return;
      case type::null:
        out_ += "null";
        return;
      case type::boolean:
        out_ += v.as_bool() ? "true" : "false";
        return;
      case type::int32:
        if (canonical) return wrapped_int("$numberInt", v.as_int64());
        return write_int(out_, v.as_int64());
      case type::int64:
        if (canonical) return wrapped_int("$numberLong", v.as_int64());
        return write_int(out_, v.as_int64());
      case type::double_: {
        const double d = v.as_double();
        if (canonical || (!basic && !std::isfinite(d))) {
          out_ += "{\"$numberDouble\":\"";
          write_canonical_double_text(out_, d);
          out_ += "\"}";
        } else if (std::isfinite(d)) {
          write_finite_double(out_, d);
        } else {
          out_ += "null";
        }
        return;
      }
      case type::decimal128: {
        const decimal128 d = v.as_decimal();
        if (basic && !decimal_is_nan(d) && !decimal_is_infinite(d)) {
          append_decimal_string(out_, d);
          return;
        }
        out_ += "{\"$numberDecimal\":\"";
        append_decimal_string(out_, d);
        out_ += "\"}";
        return;
      }
      case type::string:
        return write_string(out_, v.as_string());
      case type::document: {
        out_ += '{';
        bool first = true;
        for (const field& f : v.fields()) {
          if (f.val.is_missing()) continue;
          if (!first) out_ += ',';
          first = false;
          write_string(out_, f.name());
          out_ += ':';
          write(f.val);
        }
        out_ += '}';
        return;
      }
      case type::array: {
        out_ += '[';
        bool first = true;
        for (const value& e : v.elements()) {
          if (!first) out_ += ',';
          first = false;
          if (e.is_missing()) {
            out_ += "null";
          } else {
            write(e);
          }
        }
        out_ += ']';
        return;
      }
      case type::date:
        return date(v.as_date());
      case type::object_id: {
        const object_id id = v.as_oid();
        out_ += basic ? "\"" : "{\"$oid\":\"";
        detail::append_hex(out_, id.bytes.data(), id.bytes.size());
        out_ += basic ? "\"" : "\"}";
        return;
      }
      case type::binary: {
        out_ += "{\"$binary\":{\"base64\":\"";
        detail::append_base64(out_, v.binary_data());
        out_ += "\",\"subType\":\"";
        const std::uint8_t sub = v.binary_subtype();
        detail::append_hex(out_, &sub, 1);
        out_ += "\"}}";
        return;
      }
      case type::regex:
        out_ += "{\"$regularExpression\":{\"pattern\":";
        write_string(out_, v.regex_pattern());
        out_ += ",\"options\":";
        write_string(out_, v.regex_options());
        out_ += "}}";
        return;
      case type::timestamp: {
        const auto t = v.as_timestamp();
        out_ += "{\"$timestamp\":{\"t\":";
        write_int(out_, t.t);
        out_ += ",\"i\":";
        write_int(out_, t.i);
        out_ += "}}";
        return;
      }
      case type::min_key:
        out_ += "{\"$minKey\":1}";
        return;
      case type::max_key:
        out_ += "{\"$maxKey\":1}";
        return;
      case type::undefined:
        out_ += "{\"$undefined\":true}";
        return;
      case type::symbol:
        out_ += "{\"$symbol\":";
        write_string(out_, v.as_string());
        out_ += '}';
        return;
      case type::code:
        out_ += "{\"$code\":";
        write_string(out_, v.as_string());
        out_ += '}';
        return;
    }
  }

 private:
  void wrapped_int(const char* key, std::int64_t n) {
    out_ += "{\"";
    out_ += key;
    out_ += "\":\"";
    write_int(out_, n);
    out_ += "\"}";
  }

  void date(std::int64_t ms) {
    char iso[24];
    const bool fits_iso = detail_write_iso(iso, ms);
    if (o_.dates_as_iso8601) {
      if (fits_iso) {
        out_ += '"';
        out_.append(iso, 24);
        out_ += '"';
      } else {
        write_string(out_, format_iso8601(from_millis(ms)));
      }
      return;
    }
    if (o_.format == ejson_format::basic) return write_int(out_, ms);
    if (o_.format == ejson_format::relaxed && ms >= 0 && fits_iso) {
      out_ += "{\"$date\":\"";
      out_.append(iso, 24);
      out_ += "\"}";
      return;
    }
    out_ += "{\"$date\":";
    wrapped_int("$numberLong", ms);
    out_ += '}';
  }

  static bool detail_write_iso(char* out, std::int64_t ms) noexcept {
    return reel::detail::write_iso8601(out, from_millis(ms));
  }

  std::string& out_;
  const ejson_options& o_;
};

}  // namespace

void append_double_text(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    write_finite_double(out, d);
  }
}

void write_ejson(std::string& out, const value& v, const ejson_options& options) {
  writer(out, options).write(v);
}

std::string to_ejson(const value& v, const ejson_options& options) {
  std::string out;
  write_ejson(out, v, options);
  return out;
}

}  // namespace reel::bson
