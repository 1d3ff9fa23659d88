// SPDX-License-Identifier: Apache-2.0
/// \file
/// The mongosh syntax reader of `reel/json/mongosh_syntax.hpp`, compiled once in the `reel::json`
/// library.
#include "reel/json/mongosh_syntax.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/time.hpp"

namespace reel::json {

/// A Reel document: JSON with MongoDB's field order. (Also declared by `reel/json/value.hpp`.)
using document = nlohmann::ordered_json;

namespace detail {

class mongosh_parser {
 public:
  mongosh_parser(std::string_view text, std::string_view origin) : text_(text), origin_(origin) {}

  document parse_all() {
    skip_space();
    document first = parse_value(0);
    skip_space();
    if (peek() == ',' && first.is_object()) {
      // A bare list of stages, as the documentation often shows them.
      document stages = document::array();
      stages.push_back(std::move(first));
      while (peek() == ',') {
        ++pos_;
        skip_space();
        if (at_end() || peek() == ';') break;
        stages.push_back(parse_value(0));
        skip_space();
      }
      first = std::move(stages);
    }
    if (peek() == ';') {
      ++pos_;
      skip_space();
    }
    if (!at_end()) fail_here("expected end of input after the pipeline, found " + describe(pos_));
    return first;
  }

 private:
  // -- errors -----------------------------------------------------------------------------------

  [[noreturn]] void fail_at(std::size_t at, std::string message) const {
    std::size_t line = 1, column = 1;
    const std::size_t end = std::min(at, text_.size());
    for (std::size_t i = 0; i < end; ++i) {
      const auto c = static_cast<unsigned char>(text_[i]);
      if (c == '\n' || (c == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
        ++line;
        column = 1;
      } else if (c == '\r') {
        // first half of \r\n: the \n ends the line
      } else if ((c & 0xC0) != 0x80) {
        ++column;
      }
    }
    std::string where;
    if (!origin_.empty()) {
      where.append(origin_);
      where += ':';
    }
    where += std::to_string(line);
    where += ':';
    where += std::to_string(column);
    throw_error("reel.syntax.error", std::move(where), std::move(message));
  }
  [[noreturn]] void fail_here(std::string message) const { fail_at(pos_, std::move(message)); }

  /// How the token at `at` reads in a message: `end of input`, `'word'`, `'12abc'`, `','`, `"'"`.
  std::string describe(std::size_t at) const {
    if (at >= text_.size()) return "end of input";
    const auto c = static_cast<unsigned char>(text_[at]);
    std::size_t end = at;
    if (is_ident_start(at) || is_digit(c)) {
      while (end < text_.size() && (is_ident_part(end) || text_[end] == '.')) {
        end += char_length(end);
      }
    }
    if (end == at) {
      if (c < 0x20 || c == 0x7F) {
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string s = "character U+00";
        s += hex[c >> 4];
        s += hex[c & 0xF];
        return s;
      }
      end = at + char_length(at);
    }
    std::string_view token = text_.substr(at, end - at);
    const char quote = token == "'" ? '"' : '\'';
    std::string out(1, quote);
    if (token.size() > 40) {
      out.append(token.substr(0, 40));
      out += "...";
    } else {
      out.append(token);
    }
    out += quote;
    return out;
  }

  // -- characters -------------------------------------------------------------------------------

  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  char peek_at(std::size_t at) const noexcept { return at < text_.size() ? text_[at] : '\0'; }
  static bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }
  static bool is_hex(char c) noexcept {
    return is_digit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
  }
  static unsigned hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
  }

  /// Bytes of the (possibly invalid) UTF-8 character at `at`; at least 1.
  std::size_t char_length(std::size_t at) const noexcept {
    const std::size_t n = utf8_sequence_length(text_, at);
    return n == 0 ? 1 : n;
  }

  /// Length of a non-ASCII white-space character at `at` (U+00A0, U+FEFF, U+2028, U+2029), or 0.
  std::size_t unicode_space(std::size_t at) const noexcept {
    const auto b = [&](std::size_t k) {
      return at + k < text_.size() ? static_cast<unsigned char>(text_[at + k]) : 0u;
    };
    if (b(0) == 0xC2 && b(1) == 0xA0) return 2;
    if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;
    if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) == 0xA8 || b(2) == 0xA9)) return 3;
    return 0;
  }

  bool is_ident_start(std::size_t at) const noexcept {
    if (at >= text_.size()) return false;
    const auto c = static_cast<unsigned char>(text_[at]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$') return true;
    return c >= 0x80 && unicode_space(at) == 0 && utf8_sequence_length(text_, at) != 0;
  }
  bool is_ident_part(std::size_t at) const noexcept {
    return is_ident_start(at) ||
           (at < text_.size() && is_digit(static_cast<unsigned char>(text_[at])));
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos_;
      } else if (const std::size_t n = unicode_space(pos_); n != 0) {
        pos_ += n;
      } else if (c == '/' && peek_at(pos_ + 1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r')
          ++pos_;
      } else if (c == '/' && peek_at(pos_ + 1) == '*') {
        const std::size_t close = text_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) fail_here("unterminated comment");
        pos_ = close + 2;
      } else {
        break;
      }
    }
  }

  /// Consumes `c` after optional space, or fails with `expected 'c' <context>, found …`.
  void expect(char c, std::string_view context) {
    skip_space();
    if (peek() != c || at_end()) {
      std::string m = "expected '";
      m += c;
      m += "' ";
      m.append(context);
      m += ", found ";
      m += describe(pos_);
      fail_here(std::move(m));
    }
    ++pos_;
  }

  // -- values -----------------------------------------------------------------------------------

  document parse_value(std::size_t depth) {
    skip_space();
    if (at_end()) fail_here("expected a value, found end of input");
    const char c = peek();
    switch (c) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
      case '\'':
        return document(parse_string());
      case '/':
        return parse_regex();
      case '`':
        fail_here("template literals are not supported; use '...' or \"...\"");
      default:
        break;
    }
    if (c == '-' || c == '+' || c == '.' || is_digit(static_cast<unsigned char>(c))) {
      return parse_number();
    }
    if (is_ident_start(pos_)) return parse_identifier_value(depth);
    fail_here("expected a value, found " + describe(pos_));
  }

  void check_depth(std::size_t depth) const {
    if (depth > max_nesting_depth) {
      fail_here("nesting deeper than " + std::to_string(max_nesting_depth) + " levels");
    }
  }

  document parse_object(std::size_t depth) {
    check_depth(depth);
    ++pos_;  // '{'
    document obj = document::object();
    while (true) {
      skip_space();
      if (peek() == '}' && !at_end()) {
        ++pos_;
        return obj;
      }
      const std::size_t key_at = pos_;
      std::string key = parse_key();
      expect(':', "after object key '" + key + "'");
      document value = parse_value(depth);
      if (obj.contains(key)) fail_at(key_at, "duplicate key '" + key + "'");
      obj.emplace(std::move(key), std::move(value));
      skip_space();
      if (peek() == ',' && !at_end()) {
        ++pos_;
        continue;
      }
      if (peek() == '}' && !at_end()) {
        ++pos_;
        return obj;
      }
      fail_here("expected ',' or '}' after object member, found " + describe(pos_));
    }
  }

  std::string parse_key() {
    const char c = peek();
    if (!at_end() && (c == '"' || c == '\'')) return parse_string();
    if (is_ident_start(pos_)) {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && (is_ident_part(pos_) || text_[pos_] == '.')) {
        pos_ += char_length(pos_);
      }
      return std::string(text_.substr(from, pos_ - from));
    }
    if (!at_end() && is_digit(static_cast<unsigned char>(c))) {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && is_digit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      if (is_ident_part(pos_) || peek() == '.') {
        pos_ = from;
        fail_here("expected an object key, found " + describe(pos_));
      }
      return std::string(text_.substr(from, pos_ - from));
    }
    fail_here("expected an object key, found " + describe(pos_));
  }

  document parse_array(std::size_t depth) {
    check_depth(depth);
    ++pos_;  // '['
    document arr = document::array();
    while (true) {
      skip_space();
      if (peek() == ']' && !at_end()) {
        ++pos_;
        return arr;
      }
      arr.push_back(parse_value(depth));
      skip_space();
      if (peek() == ',' && !at_end()) {
        ++pos_;
        continue;
      }
      if (peek() == ']' && !at_end()) {
        ++pos_;
        return arr;
      }
      fail_here("expected ',' or ']' after array element, found " + describe(pos_));
    }
  }

  std::string parse_string() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (at_end()) fail_at(start, "unterminated string");
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c == '\n' || c == '\r') fail_at(start, "unterminated string");
      if (c == '\\') {
        parse_escape(out, start);
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x80) {
        out += c;
        ++pos_;
        continue;
      }
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) fail_here("invalid UTF-8 in string");
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  void parse_escape(std::string& out, std::size_t string_start) {
    const std::size_t at = pos_;
    ++pos_;  // backslash
    if (at_end()) fail_at(string_start, "unterminated string");
    const char e = text_[pos_++];
    const auto bad = [&]() {
      const std::size_t end = std::min(pos_ + 1, text_.size());
      fail_at(at, "invalid escape sequence '" + std::string(text_.substr(at, end - at)) + "'");
    };
    switch (e) {
      case 'n':
        out += '\n';
        return;
      case 't':
        out += '\t';
        return;
      case 'r':
        out += '\r';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'v':
        out += '\v';
        return;
      case '\n':
        return;  // line continuation
      case '\r':
        if (peek() == '\n') ++pos_;
        return;
      case '0':
        if (is_digit(static_cast<unsigned char>(peek()))) {
          fail_at(at, "octal escape sequences are not supported");
        }
        out += '\0';
        return;
      case 'x': {
        unsigned v = 0;
        for (int k = 0; k < 2; ++k) {
          if (at_end() || !is_hex(peek())) bad();
          v = v * 16 + hex_value(text_[pos_++]);
        }
        append_utf8(out, v);
        return;
      }
      case 'u': {
        std::uint32_t cp = read_unicode_escape(bad);
        if (cp >= 0xD800 && cp <= 0xDBFF && peek() == '\\' && peek_at(pos_ + 1) == 'u') {
          const std::size_t save = pos_;
          pos_ += 2;
          const std::uint32_t low = read_unicode_escape(bad);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else {
            pos_ = save;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate cannot be UTF-8
        append_utf8(out, cp);
        return;
      }
      default:
        if (e >= '1' && e <= '9') fail_at(at, "octal escape sequences are not supported");
        // Any other character stands for itself, as in JavaScript ('\d' is 'd').
        --pos_;
        {
          const std::size_t n = utf8_sequence_length(text_, pos_);
          if (n == 0) fail_here("invalid UTF-8 in string");
          out.append(text_.substr(pos_, n));
          pos_ += n;
        }
        return;
    }
  }

  template <class Bad>
  std::uint32_t read_unicode_escape(const Bad& bad) {
    std::uint32_t cp = 0;
    if (peek() == '{') {
      ++pos_;
      int digits = 0;
      while (!at_end() && is_hex(peek())) {
        cp = cp * 16 + hex_value(text_[pos_++]);
        if (++digits > 6 || cp > 0x10FFFF) bad();
      }
      if (digits == 0 || peek() != '}') bad();
      ++pos_;
      return cp;
    }
    for (int k = 0; k < 4; ++k) {
      if (at_end() || !is_hex(peek())) bad();
      cp = cp * 16 + hex_value(text_[pos_++]);
    }
    return cp;
  }

  document parse_number() {
    const std::size_t start = pos_;
    bool negative = false;
    if (peek() == '-' || peek() == '+') {
      negative = peek() == '-';
      ++pos_;
    }
    const auto invalid = [&]() {
      std::size_t end = pos_;
      while (end < text_.size() && (is_ident_part(end) || text_[end] == '.' ||
                                    ((text_[end] == '+' || text_[end] == '-') &&
                                     (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
        end += char_length(end);
      }
      fail_at(start, "invalid number '" + std::string(text_.substr(start, end - start)) + "'");
    };
    if (peek() == '0' &&
        (peek_at(pos_ + 1) == 'x' || peek_at(pos_ + 1) == 'X' || peek_at(pos_ + 1) == 'o' ||
         peek_at(pos_ + 1) == 'O' || peek_at(pos_ + 1) == 'b' || peek_at(pos_ + 1) == 'B')) {
      fail_at(start, "hexadecimal, octal and binary numbers are not supported");
    }
    const std::size_t int_from = pos_;
    while (is_digit(static_cast<unsigned char>(peek())))
      ++pos_;
    const std::size_t int_digits = pos_ - int_from;
    if (int_digits > 1 && text_[int_from] == '0') invalid();
    std::size_t frac_digits = 0;
    bool is_float = false;
    if (peek() == '.') {
      is_float = true;
      ++pos_;
      const std::size_t frac_from = pos_;
      while (is_digit(static_cast<unsigned char>(peek())))
        ++pos_;
      frac_digits = pos_ - frac_from;
    }
    if (int_digits == 0 && frac_digits == 0) invalid();
    if (peek() == 'e' || peek() == 'E') {
      is_float = true;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(static_cast<unsigned char>(peek()))) invalid();
      while (is_digit(static_cast<unsigned char>(peek())))
        ++pos_;
    }
    if (is_ident_part(pos_) || peek() == '.') invalid();

    // Normalise into from_chars' grammar: no '+', digits before and after a '.'.
    std::string text;
    if (negative) text += '-';
    text.append(int_digits == 0 ? std::string_view("0") : text_.substr(int_from, int_digits));
    if (!is_float) {
      std::int64_t v = 0;
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc{} && p == text.data() + text.size()) return document(v);
    } else {
      std::size_t rest = int_from + int_digits;
      if (peek_at(rest) == '.') {
        text += '.';
        text.append(frac_digits == 0 ? std::string_view("0") : text_.substr(rest + 1, frac_digits));
        rest += 1 + frac_digits;
      }
      text.append(text_.substr(rest, pos_ - rest));
    }
    double d = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      fail_at(start,
              "number out of range '" + std::string(text_.substr(start, pos_ - start)) + "'");
    }
    if (ec != std::errc{} || p != text.data() + text.size()) invalid();
    return document(d);
  }

  document parse_regex() {
    const std::size_t start = pos_;
    ++pos_;  // '/'
    std::string pattern;
    bool in_class = false;
    while (true) {
      if (at_end() || peek() == '\n' || peek() == '\r') {
        fail_at(start, "unterminated regular expression");
      }
      const char c = text_[pos_];
      if (c == '\\') {
        pattern += c;
        ++pos_;
        if (at_end() || peek() == '\n' || peek() == '\r') {
          fail_at(start, "unterminated regular expression");
        }
        const std::size_t n = utf8_sequence_length(text_, pos_);
        if (n == 0) fail_here("invalid UTF-8 in regular expression");
        pattern.append(text_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c == '/' && !in_class) {
        ++pos_;
        break;
      }
      if (c == '[') in_class = true;
      if (c == ']') in_class = false;
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) fail_here("invalid UTF-8 in regular expression");
      pattern.append(text_.substr(pos_, n));
      pos_ += n;
    }
    std::string options;
    while (is_ident_part(pos_)) {
      const char f = text_[pos_];
      if (f != 'i' && f != 'm' && f != 's' && f != 'u') {
        fail_here("unsupported regular expression flag '" +
                  std::string(text_.substr(pos_, char_length(pos_))) + "' (supported: i, m, s, u)");
      }
      if (options.find(f) == std::string::npos) options += f;
      ++pos_;
    }
    std::sort(options.begin(), options.end());
    document inner = document::object();
    inner["pattern"] = std::move(pattern);
    inner["options"] = std::move(options);
    document out = document::object();
    out["$regularExpression"] = std::move(inner);
    return out;
  }

  std::string_view lex_identifier() {
    const std::size_t from = pos_;
    while (pos_ < text_.size() && (is_ident_part(pos_) || text_[pos_] == '.')) {
      pos_ += char_length(pos_);
    }
    return text_.substr(from, pos_ - from);
  }

  document parse_identifier_value(std::size_t depth) {
    const std::size_t start = pos_;
    std::string_view name = lex_identifier();
    if (name == "true") return document(true);
    if (name == "false") return document(false);
    if (name == "null" || name == "undefined") return document(nullptr);
    bool with_new = false;
    if (name == "new") {
      with_new = true;
      skip_space();
      if (!is_ident_start(pos_))
        fail_here("expected a constructor after 'new', found " + describe(pos_));
      name = lex_identifier();
    }
    if (name == "Date" && !with_new) {
      fail_at(start,
              "'Date()' without 'new' gives the current time as a string; use "
              "new Date(...) or ISODate(...)");
    }
    if (name != "Date" && name != "ISODate" && name != "NumberLong" && name != "NumberInt" &&
        name != "NumberDecimal" && name != "ObjectId" && name != "Timestamp") {
      if (with_new) fail_at(start, "unsupported constructor 'new " + std::string(name) + "'");
      if (name.substr(0, 3) == "sp.") {
        fail_at(start, "unexpected identifier '" + std::string(name) +
                           "'; give the pipeline array itself, without the " + std::string(name) +
                           "(...) call around it");
      }
      fail_at(start, "unexpected identifier '" + std::string(name) + "'");
    }
    const std::string fn(name);
    expect('(', "after " + fn);
    std::vector<std::pair<std::size_t, document>> args;
    std::vector<std::string_view> arg_text;
    while (true) {
      skip_space();
      if (peek() == ')' && !at_end()) {
        ++pos_;
        break;
      }
      const std::size_t arg_at = pos_;
      document v = parse_value(depth + 1);
      arg_text.push_back(text_.substr(arg_at, pos_ - arg_at));
      args.emplace_back(arg_at, std::move(v));
      skip_space();
      if (peek() == ',' && !at_end()) {
        ++pos_;
        continue;
      }
      if (peek() == ')' && !at_end()) {
        ++pos_;
        break;
      }
      fail_here("expected ',' or ')' after argument of " + fn + ", found " + describe(pos_));
    }
    const std::string call = with_new ? "new " + fn : fn;
    return make_constructed(start, call, fn, args, arg_text);
  }

  document make_constructed(std::size_t start, const std::string& call, const std::string& fn,
                            const std::vector<std::pair<std::size_t, document>>& args,
                            const std::vector<std::string_view>& arg_text) {
    const auto one_arg = [&](std::string_view what) -> const std::pair<std::size_t, document>& {
      if (args.size() != 1) {
        fail_at(start, call + "(...) takes " + std::string(what) + ", given " +
                           std::to_string(args.size()) + " arguments");
      }
      return args.front();
    };
    if (fn == "ISODate" || fn == "Date") {
      const auto& [at, v] = one_arg("one date string");
      if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        const auto t = parse_iso8601(s);
        if (!t) fail_at(at, "invalid date '" + s + "' in " + call + "(...)");
        return make_date_millis(to_millis(*t));
      }
      if (fn == "Date" && v.is_number()) {
        const auto ms = integral_value(v);
        if (!ms)
          fail_at(at, call + "(...) needs whole milliseconds, found " + std::string(arg_text[0]));
        return make_date_millis(*ms);
      }
      fail_at(at, call + "(...) takes a date string" + (fn == "Date" ? " or milliseconds" : "") +
                      ", found " + std::string(arg_text[0]));
    }
    if (fn == "NumberLong" || fn == "NumberInt") {
      const auto& [at, v] = one_arg("one integer");
      std::optional<std::int64_t> n;
      if (v.is_string()) {
        n = parse_int64(v.get_ref<const std::string&>());
      } else if (v.is_number()) {
        n = integral_value(v);
      }
      if (!n) fail_at(at, call + "(...) needs an integer, found " + std::string(arg_text[0]));
      if (fn == "NumberInt" && (*n < std::numeric_limits<std::int32_t>::min() ||
                                *n > std::numeric_limits<std::int32_t>::max())) {
        fail_at(at, call + "(...) value " + std::to_string(*n) + " is out of the 32-bit range");
      }
      return document(*n);
    }
    if (fn == "NumberDecimal") {
      const auto& [at, v] = one_arg("one decimal string");
      std::string s;
      if (v.is_string()) {
        s = v.get_ref<const std::string&>();
      } else if (v.is_number()) {
        s = std::string(arg_text[0]);
        if (!s.empty() && s.front() == '+') s.erase(0, 1);
      }
      if (!is_decimal_text(s)) {
        fail_at(at, call + "(...) needs a decimal number, found " + std::string(arg_text[0]));
      }
      document out = document::object();
      out["$numberDecimal"] = std::move(s);
      return out;
    }
    if (fn == "ObjectId") {
      const auto& [at, v] = one_arg("one 24-digit hexadecimal string");
      const bool ok = v.is_string() && v.get_ref<const std::string&>().size() == 24 &&
                      std::all_of(v.get_ref<const std::string&>().begin(),
                                  v.get_ref<const std::string&>().end(), is_hex);
      if (!ok) {
        fail_at(at, call + "(...) needs a 24-digit hexadecimal string, found " +
                        std::string(arg_text[0]));
      }
      std::string hex = v.get<std::string>();
      for (char& c : hex) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      }
      document out = document::object();
      out["$oid"] = std::move(hex);
      return out;
    }
    // Timestamp(t, i) or Timestamp({t, i})
    std::optional<std::int64_t> t, i;
    if (args.size() == 2) {
      t = integral_value(args[0].second);
      i = integral_value(args[1].second);
    } else if (args.size() == 1 && args[0].second.is_object()) {
      const document& o = args[0].second;
      if (o.size() == 2 && o.contains("t") && o.contains("i")) {
        t = integral_value(o["t"]);
        i = integral_value(o["i"]);
      }
    }
    const auto u32 = [](const std::optional<std::int64_t>& x) {
      return x && *x >= 0 && *x <= std::numeric_limits<std::uint32_t>::max();
    };
    if (!u32(t) || !u32(i)) {
      fail_at(start, call + "(...) takes two unsigned 32-bit integers (t, i) or {t, i}");
    }
    document inner = document::object();
    inner["t"] = *t;
    inner["i"] = *i;
    document out = document::object();
    out["$timestamp"] = std::move(inner);
    return out;
  }

  static std::optional<std::int64_t> integral_value(const document& v) noexcept {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() &&
          v.get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return v.get<std::int64_t>();
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d) return std::nullopt;
      return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
  }

  /// A decimal literal as Decimal128 reads it: a JSON-like number (leading '.', trailing '.',
  /// leading zeros allowed), `NaN`, `Infinity`, `-Infinity`.
  static bool is_decimal_text(std::string_view s) noexcept {
    if (s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "+Infinity") return true;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])))
      ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])))
        ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      std::size_t exp = 0;
      while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])))
        ++i, ++exp;
      if (exp == 0) return false;
    }
    return i == s.size();
  }

  std::string_view text_;
  std::string_view origin_;
  std::size_t pos_ = 0;
};

}  // namespace detail

document parse_pipeline_text(std::string_view text, std::string_view origin) {
  return detail::mongosh_parser(text, origin).parse_all();
}

}  // namespace reel::json
