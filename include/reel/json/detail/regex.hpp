// SPDX-License-Identifier: Apache-2.0
/// \file
/// Regular expressions for `$regex`, `$regexMatch`, `pattern` (JSON Schema): MongoDB options
/// (`i`, `m`, `s`, `x`, `u`) on top of `std::regex` (ECMAScript), compiled once and shared.
/// PCRE-only syntax (lookbehind, named groups, possessive quantifiers) is not available.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "reel/error.hpp"

namespace reel::json::detail {

/// A compiled regular expression with the MongoDB pattern and options it came from.
struct regex_program {
  std::string pattern;
  std::string options;
  std::regex re;

  [[nodiscard]] bool search(std::string_view s) const {
    return std::regex_search(s.begin(), s.end(), re);
  }
};

/// Rewrites `pattern` for the `s` (dot matches newline) and `x` (extended) options.
inline std::string rewrite_regex(std::string_view pattern, bool dotall, bool extended) {
  std::string out;
  out.reserve(pattern.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (extended) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
      if (c == '#') {
        while (i + 1 < pattern.size() && pattern[i + 1] != '\n')
          ++i;
        continue;
      }
    }
    if (dotall && c == '.') {
      out += "[\\s\\S]";
      continue;
    }
    out += c;
  }
  return out;
}

/// Compiles `pattern` with MongoDB `options`. A leading inline flag group such as `(?i)` is
/// accepted too. Throws `error_id` at `where` for unknown options or an invalid pattern.
inline std::shared_ptr<const regex_program> compile_regex(std::string_view pattern,
                                                          std::string_view options,
                                                          std::string_view where,
                                                          std::string_view error_id) {
  bool icase = false, multiline = false, dotall = false, extended = false;
  auto apply = [&](char o) {
    switch (o) {
      case 'i':
        icase = true;
        return true;
      case 'm':
        multiline = true;
        return true;
      case 's':
        dotall = true;
        return true;
      case 'x':
        extended = true;
        return true;
      case 'u':
        return true;
      default:
        return false;
    }
  };
  for (char o : options) {
    if (!apply(o)) {
      throw_error(std::string(error_id), std::string(where),
                  "invalid regular expression option '" + std::string(1, o) +
                      "' (supported: i, m, s, x, u)");
    }
  }
  std::string_view body = pattern;
  if (body.size() > 3 && body.substr(0, 2) == "(?") {
    const std::size_t close = body.find(')');
    if (close != std::string_view::npos && close > 2) {
      bool all_flags = true;
      for (std::size_t i = 2; i < close; ++i) {
        const char f = body[i];
        if (f != 'i' && f != 'm' && f != 's' && f != 'x' && f != 'u') all_flags = false;
      }
      if (all_flags) {
        for (std::size_t i = 2; i < close; ++i)
          apply(body[i]);
        body = body.substr(close + 1);
      }
    }
  }
  auto out = std::make_shared<regex_program>();
  out->pattern = std::string(pattern);
  out->options = std::string(options);
  auto flags = std::regex::ECMAScript;
  if (icase) flags |= std::regex::icase;
  if (multiline) flags |= std::regex::multiline;
  try {
    out->re = std::regex(rewrite_regex(body, dotall, extended), flags);
  } catch (const std::regex_error&) {
    throw_error(std::string(error_id), std::string(where),
                "invalid regular expression '" + std::string(pattern) + "'");
  }
  return out;
}

}  // namespace reel::json::detail
