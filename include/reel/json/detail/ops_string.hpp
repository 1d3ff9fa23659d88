// SPDX-License-Identifier: Apache-2.0
/// \file
/// String expression operators: `$concat $substr $substrBytes $substrCP $toLower $toUpper $trim
/// $ltrim $rtrim $split $strLenBytes $strLenCP $strcasecmp $indexOfBytes $indexOfCP $regexMatch
/// $regexFind $regexFindAll $replaceOne $replaceAll`. Strings are UTF-8; case mapping is ASCII
/// only, as in MongoDB.
#pragma once

#include <cstdio>
#include <unordered_map>

#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/regex.hpp"
#include "reel/json/detail/value_limits.hpp"

namespace reel::json::detail {

// --- UTF-8 helpers -----------------------------------------------------------------------------

inline bool is_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

inline std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

/// Byte offset of code point `cp` (clamped to the end).
inline std::size_t utf8_offset(std::string_view s, std::size_t cp) noexcept {
  std::size_t i = 0;
  while (i < s.size() && cp > 0) {
    ++i;
    while (i < s.size() && is_continuation(static_cast<unsigned char>(s[i])))
      ++i;
    --cp;
  }
  return i;
}

/// Code point index of byte offset `byte`.
inline std::size_t utf8_index(std::string_view s, std::size_t byte) noexcept {
  return utf8_length(s.substr(0, std::min(byte, s.size())));
}

/// The code points of `s` as byte ranges.
inline std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    while (j < s.size() && is_continuation(static_cast<unsigned char>(s[j])))
      ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// --- conversions to string ---------------------------------------------------------------------

/// A double as MongoDB prints it in `$toString` and string coercion: C's "%g" (six significant
/// digits: "1.5", "3", "1.23457", "1e+21"), "NaN", "Infinity", "-Infinity", "-0".
inline std::string double_to_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0.0 && std::signbit(d)) return "-0";
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%g", d);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

/// `$toString` of a scalar; empty when the type has no string form.
inline std::optional<std::string> scalar_to_string(const document& v) {
  switch (type_of(v)) {
    case bson_type::string:
      return v.get<std::string>();
    case bson_type::int32:
    case bson_type::int64:
      return std::to_string(as_numeric(v)->i);
    case bson_type::double_:
    case bson_type::decimal:
      return double_to_string(as_numeric(v)->d);
    case bson_type::boolean:
      return v.get<bool>() ? "true" : "false";
    case bson_type::date: {
      auto t = as_date(v);
      if (!t) return std::nullopt;
      return format_iso8601(*t);
    }
    case bson_type::object_id:
      return lower_hex(v.begin()->get<std::string>());
    default:
      return std::nullopt;
  }
}

/// MongoDB's string coercion for `$substr`, `$toLower`, `$strcasecmp`: null/missing is "".
inline std::string coerce_to_string(const node& n, const document& v) {
  if (is_nullish(v)) return {};
  if (type_of(v) == bson_type::timestamp) {
    const auto ts = timestamp_of(v);
    return "Timestamp(" + std::to_string(ts.first) + ", " + std::to_string(ts.second) + ")";
  }
  if (auto s = scalar_to_string(v);
      s && type_of(v) != bson_type::object_id && type_of(v) != bson_type::boolean) {
    return *s;
  }
  eval_fail(n, std::string(n.op) + ": can't convert from BSON type " + type_name(v) + " to String");
}

/// Evaluates a string operand: empty optional for null/missing, error for other types.
inline std::optional<std::string_view> string_operand(const node& n, const document& v,
                                                      std::string_view what) {
  if (is_nullish(v)) return std::nullopt;
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + " requires " + std::string(what) + " to be a string, found " +
                     type_name(v));
  }
  return std::string_view(v.get_ref<const std::string&>());
}

// --- operators ---------------------------------------------------------------------------------

inline const document& eval_concat(const node& n, const scope& s, document& out) {
  std::string result;
  for (const node& a : n.args) {
    document t;
    const document& v = ev(a, s, t);
    if (is_nullish(v)) {
      out = nullptr;
      return out;
    }
    if (!v.is_string()) eval_fail(n, "$concat only supports strings, not " + type_name(v));
    const std::string& piece = v.get_ref<const std::string&>();
    if (result.size() + piece.size() > max_document_bytes) value_too_large(n, "a string");
    result += piece;
  }
  out = std::move(result);
  return out;
}

inline std::int64_t numeric_index(const node& n, const document& v, std::string_view what) {
  auto x = as_numeric(v);
  if (!x) {
    eval_fail(n, std::string(n.op) + ": " + std::string(what) + " must be a numeric type (is " +
                     type_name(v) + ")");
  }
  if (x->integral()) return x->i;
  if (!std::isfinite(x->d)) {
    eval_fail(n, std::string(n.op) + ": " + std::string(what) + " must be a finite number");
  }
  return static_cast<std::int64_t>(std::max(-9e18, std::min(9e18, x->d)));
}

inline const document& eval_substr_bytes(const node& n, const scope& s, document& out) {
  document t0, t1, t2;
  const std::string str = coerce_to_string(n, ev(n.args[0], s, t0));
  const std::int64_t start = numeric_index(n, ev(n.args[1], s, t1), "starting index");
  const std::int64_t length = numeric_index(n, ev(n.args[2], s, t2), "length");
  if (start < 0) {
    eval_fail(n, std::string(n.op) +
                     ": starting index must be non-negative (got: " + std::to_string(start) + ")");
  }
  if (static_cast<std::size_t>(start) >= str.size()) {
    out = "";
    return out;
  }
  const auto b = static_cast<std::size_t>(start);
  if (is_continuation(static_cast<unsigned char>(str[b]))) {
    eval_fail(n,
              std::string(n.op) + ": invalid range, starting index is a UTF-8 continuation byte");
  }
  const std::size_t len =
      length < 0 ? str.size() - b
                 : std::min<std::size_t>(static_cast<std::size_t>(length), str.size() - b);
  if (b + len < str.size() && is_continuation(static_cast<unsigned char>(str[b + len]))) {
    eval_fail(n, std::string(n.op) +
                     ": invalid range, ending index is in the middle of a UTF-8 character");
  }
  out = str.substr(b, len);
  return out;
}

inline const document& eval_substr_cp(const node& n, const scope& s, document& out) {
  document t0, t1, t2;
  const std::string str = coerce_to_string(n, ev(n.args[0], s, t0));
  const document& a1 = ev(n.args[1], s, t1);
  const document& a2 = ev(n.args[2], s, t2);
  auto i1 = integral_of(a1), i2 = integral_of(a2);
  if (!is_number(a1))
    eval_fail(n, "$substrCP: starting index must be a numeric type (is " + type_name(a1) + ")");
  if (!is_number(a2))
    eval_fail(n, "$substrCP: length must be a numeric type (is " + type_name(a2) + ")");
  if (!i1)
    eval_fail(n, "$substrCP: starting index cannot be represented as a 32-bit integral value");
  if (!i2) eval_fail(n, "$substrCP: length cannot be represented as a 32-bit integral value");
  if (*i1 < 0) eval_fail(n, "$substrCP: starting index must be non-negative");
  if (*i2 < 0) eval_fail(n, "$substrCP: length must be non-negative");
  const std::size_t b = utf8_offset(str, static_cast<std::size_t>(*i1));
  const std::size_t e =
      b + utf8_offset(std::string_view(str).substr(b), static_cast<std::size_t>(*i2));
  out = str.substr(b, e - b);
  return out;
}

template <bool Upper>
const document& eval_case(const node& n, const scope& s, document& out) {
  document t;
  std::string str = coerce_to_string(n, ev(n.args[0], s, t));
  for (char& c : str) {
    if (Upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!Upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  out = std::move(str);
  return out;
}

inline bool is_default_trim_char(std::string_view ch) noexcept {
  static constexpr std::string_view chars[] = {std::string_view("\0", 1),
                                               " ",
                                               "\t",
                                               "\n",
                                               "\v",
                                               "\f",
                                               "\r",
                                               "\u00A0",
                                               "\u1680",
                                               "\u2000",
                                               "\u2001",
                                               "\u2002",
                                               "\u2003",
                                               "\u2004",
                                               "\u2005",
                                               "\u2006",
                                               "\u2007",
                                               "\u2008",
                                               "\u2009",
                                               "\u200A",
                                               "\u2028",
                                               "\u2029",
                                               "\u202F",
                                               "\u205F",
                                               "\u3000"};
  for (auto c : chars) {
    if (c == ch) return true;
  }
  return false;
}

template <int Side>  // 0 both, 1 left, 2 right
const document& eval_trim(const node& n, const scope& s, document& out) {
  document ti, tc;
  const auto input = string_operand(n, ev(n.args[0], s, ti), "its input");
  if (!input) {
    out = nullptr;
    return out;
  }
  std::vector<std::string_view> set;
  bool custom = false;
  if (present(n.args[1])) {
    const auto chars = string_operand(n, ev(n.args[1], s, tc), "'chars'");
    if (!chars) {
      out = nullptr;
      return out;
    }
    set = utf8_chars(*chars);
    custom = true;
  }
  auto trimmed = [&](std::string_view ch) {
    if (!custom) return is_default_trim_char(ch);
    for (auto c : set) {
      if (c == ch) return true;
    }
    return false;
  };
  const auto cps = utf8_chars(*input);
  std::size_t b = 0, e = cps.size();
  if (Side != 2) {
    while (b < e && trimmed(cps[b]))
      ++b;
  }
  if (Side != 1) {
    while (e > b && trimmed(cps[e - 1]))
      --e;
  }
  if (b == e) {
    out = "";
  } else {
    const char* begin = cps[b].data();
    const char* end = cps[e - 1].data() + cps[e - 1].size();
    out = std::string(begin, end);
  }
  return out;
}

template <int Side>
node compile_trim(compiler& c, const op_spec& spec, const document& arg, const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where, {{"input", true}, {"chars", false}});
  return n;
}

inline const document& eval_split(const node& n, const scope& s, document& out) {
  document t0, t1;
  const document& a = ev(n.args[0], s, t0);
  const document& d = ev(n.args[1], s, t1);
  if (is_nullish(a) || is_nullish(d)) {
    out = nullptr;
    return out;
  }
  if (!a.is_string()) {
    eval_fail(n,
              "$split requires an expression that evaluates to a string as a first argument, "
              "found: " +
                  type_name(a));
  }
  if (!d.is_string()) {
    eval_fail(n,
              "$split requires an expression that evaluates to a string as a second argument, "
              "found: " +
                  type_name(d));
  }
  const std::string& str = a.get_ref<const std::string&>();
  const std::string& sep = d.get_ref<const std::string&>();
  if (sep.empty()) eval_fail(n, "$split requires a non-empty separator");
  document result = document::array();
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = str.find(sep, start);
    if (pos == std::string::npos) {
      result.push_back(str.substr(start));
      break;
    }
    result.push_back(str.substr(start, pos - start));
    start = pos + sep.size();
  }
  out = std::move(result);
  return out;
}

template <bool CodePoints>
const document& eval_str_len(const node& n, const scope& s, document& out) {
  document t;
  const document& v = ev(n.args[0], s, t);
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + " requires a string argument, found: " + type_name(v));
  }
  const std::string& str = v.get_ref<const std::string&>();
  out = static_cast<std::int64_t>(CodePoints ? utf8_length(str) : str.size());
  return out;
}

inline const document& eval_strcasecmp(const node& n, const scope& s, document& out) {
  document t0, t1;
  std::string a = coerce_to_string(n, ev(n.args[0], s, t0));
  std::string b = coerce_to_string(n, ev(n.args[1], s, t1));
  for (auto* str : {&a, &b}) {
    for (char& c : *str) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  const int c = a.compare(b);
  out = c < 0 ? -1 : (c > 0 ? 1 : 0);
  return out;
}

template <bool CodePoints>
const document& eval_index_of(const node& n, const scope& s, document& out) {
  document t0, t1;
  const document& a = ev(n.args[0], s, t0);
  if (is_nullish(a)) {
    out = nullptr;
    return out;
  }
  if (!a.is_string()) {
    eval_fail(
        n, std::string(n.op) + " requires a string as the first argument, found: " + type_name(a));
  }
  const document& b = ev(n.args[1], s, t1);
  if (!b.is_string()) {
    eval_fail(
        n, std::string(n.op) + " requires a string as the second argument, found: " + type_name(b));
  }
  const std::string& str = a.get_ref<const std::string&>();
  const std::string& sub = b.get_ref<const std::string&>();
  const std::size_t units = CodePoints ? utf8_length(str) : str.size();
  std::int64_t bounds[2] = {0, static_cast<std::int64_t>(units)};
  for (std::size_t k = 2; k < n.args.size(); ++k) {
    document t;
    const document& v = ev(n.args[k], s, t);
    auto i = integral_of(v);
    const char* what = k == 2 ? "starting index" : "ending index";
    if (!is_number(v)) {
      eval_fail(n, std::string(n.op) + " requires an integral " + what +
                       ", found a value of type: " + type_name(v));
    }
    if (!i) eval_fail(n, std::string(n.op) + " " + what + " must be an integral value");
    if (*i < 0) eval_fail(n, std::string(n.op) + " " + what + " must be a non-negative integer");
    bounds[k - 2] = *i;
  }
  const std::int64_t start = bounds[0];
  const std::int64_t end = std::min<std::int64_t>(bounds[1], static_cast<std::int64_t>(units));
  if (start > end || static_cast<std::size_t>(start) > units) {
    out = -1;
    return out;
  }
  const std::size_t bstart = CodePoints ? utf8_offset(str, static_cast<std::size_t>(start))
                                        : static_cast<std::size_t>(start);
  const std::size_t bend =
      CodePoints ? utf8_offset(str, static_cast<std::size_t>(end)) : static_cast<std::size_t>(end);
  const std::size_t pos = str.find(sub, bstart);
  if (pos == std::string::npos || pos + sub.size() > bend) {
    out = -1;
  } else {
    out = static_cast<std::int64_t>(CodePoints ? utf8_index(str, pos) : pos);
  }
  return out;
}

// --- regular expressions -----------------------------------------------------------------------

/// The pattern and options of `$regexMatch`/`$regexFind`/`$regexFindAll` (args: input, regex,
/// options), from a string or a BSON regex and the `options` string.
inline std::pair<std::string, std::string> regex_operands(const node& n, const document& re,
                                                          const document& opts) {
  std::string pattern, options;
  if (type_of(re) == bson_type::regex) {
    auto [p, o] = regex_of(re);
    pattern = std::move(p);
    options = std::move(o);
    if (opts.is_string() && !options.empty()) {
      eval_fail(n, std::string(n.op) +
                       ": found regex options specified in both 'regex' and "
                       "'options' fields");
    }
  } else if (re.is_string()) {
    pattern = re.get<std::string>();
  } else {
    eval_fail(n, std::string(n.op) + " needs 'regex' to be of type string or regex, found " +
                     type_name(re));
  }
  if (!is_nullish(opts)) {
    if (!opts.is_string()) {
      eval_fail(
          n, std::string(n.op) + " needs 'options' to be of type string, found " + type_name(opts));
    }
    if (options.empty()) options = opts.get<std::string>();
  }
  return {std::move(pattern), std::move(options)};
}

/// Runs `f` (a regex compile or match); its error names the operator, as a DLQ record's reason
/// shows only the message: `$regexMatch: regular expression '(a+)+$' stopped at a limit: ...`.
template <class F>
decltype(auto) naming_operator(const node& n, F&& f) {
  try {
    return f();
  } catch (const reel::error& e) {
    throw_error(e.id(), e.where(), std::string(n.op) + ": " + e.message());
  }
}

/// `{match, idx, captures}` of one match; `idx` counts code points, `cp_before` is the code point
/// index of byte `cp_byte` (so that `$regexFindAll` counts each byte of the input once).
inline document regex_match_doc(std::string_view input, const std::vector<regex_span>& groups,
                                std::size_t& cp_byte, std::size_t& cp_before) {
  const regex_span whole = groups[0];
  cp_before += utf8_length(input.substr(cp_byte, whole.begin - cp_byte));
  cp_byte = whole.begin;
  document r = document::object();
  r["match"] = std::string(input.substr(whole.begin, whole.end - whole.begin));
  r["idx"] = static_cast<std::int64_t>(cp_before);
  document caps = document::array();
  for (std::size_t i = 1; i < groups.size(); ++i) {
    if (groups[i].unset()) {
      caps.push_back(nullptr);
    } else {
      caps.push_back(std::string(input.substr(groups[i].begin, groups[i].end - groups[i].begin)));
    }
  }
  r["captures"] = std::move(caps);
  return r;
}

template <int Kind>  // 0 match, 1 find, 2 findAll
const document& eval_regex(const node& n, const scope& s, document& out) {
  document ti, tr, to;
  const document& input = ev(n.args[0], s, ti);
  auto none = [&out]() -> const document& {
    if (Kind == 0) out = false;
    if (Kind == 1) out = nullptr;
    if (Kind == 2) out = document::array();
    return out;
  };
  if (is_nullish(input)) return none();
  if (!input.is_string()) {
    eval_fail(n,
              std::string(n.op) + " needs 'input' to be of type string, found " + type_name(input));
  }
  const auto* prog = static_cast<const regex_program*>(n.data.get());
  std::shared_ptr<const regex_program> dynamic;
  if (!prog) {
    const document& re = ev(n.args[1], s, tr);
    if (is_nullish(re)) return none();
    const document& opts = present(n.args[2]) ? ev(n.args[2], s, to) : missing_ref();
    // A pattern from the input: cached per thread; one that does not compile is a DLQ record.
    const auto operands = regex_operands(n, re, opts);
    dynamic = naming_operator(n, [&] {
      return cached_regex(operands.first, operands.second, n.where,
                          "reel.expression.invalid_regex");
    });
    prog = dynamic.get();
  }
  const std::string& str = input.get_ref<const std::string&>();
  if (Kind == 0) {
    out = naming_operator(n, [&] { return prog->search(str, n.where); });
    return out;
  }
  std::vector<regex_span> groups;
  std::size_t cp_byte = 0, cp_before = 0;
  if (Kind == 1) {
    if (naming_operator(n, [&] { return prog->find(str, 0, groups, false, n.where); })) {
      out = regex_match_doc(str, groups, cp_byte, cp_before);
    } else {
      out = nullptr;
    }
    return out;
  }
  document all = document::array();
  std::size_t cur = 0;
  bool checked = false;
  auto next = [&] { return prog->find(str, cur, groups, checked, n.where); };
  while (cur <= str.size() && naming_operator(n, next)) {
    checked = true;  // PCRE2 checked the input's UTF-8 once; later calls skip it
    const regex_span whole = groups[0];
    all.push_back(regex_match_doc(str, groups, cp_byte, cp_before));
    if (whole.begin == whole.end) {
      // An empty match: the next search starts one code point further.
      if (whole.end >= str.size()) break;
      cur = whole.end + 1;
      while (cur < str.size() && is_continuation(static_cast<unsigned char>(str[cur])))
        ++cur;
    } else {
      cur = whole.end;
    }
  }
  out = std::move(all);
  return out;
}

template <int Kind>
node compile_regex_op(compiler& c, const op_spec& spec, const document& arg,
                      const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where,
                         {{"input", true}, {"regex", true}, {"options", false}});
  const node& re = n.args[1];
  const node& opts = n.args[2];
  if (re.constant && (!present(opts) || opts.constant) && !is_nullish(re.value)) {
    try {
      const auto [pattern, options] =
          regex_operands(n, re.value, present(opts) ? opts.value : missing_ref());
      n.data = compile_regex(pattern, options, where, "reel.expression.bad_arguments");
    } catch (const reel::error& e) {
      bad_arguments(where, e.message());
    }
  }
  return n;
}

template <bool All>
const document& eval_replace(const node& n, const scope& s, document& out) {
  document t[3];
  const document* v[3];
  static constexpr const char* names[] = {"input", "find", "replacement"};
  for (int i = 0; i < 3; ++i) {
    v[i] = &ev(n.args[static_cast<std::size_t>(i)], s, t[i]);
    if (!is_nullish(*v[i]) && !v[i]->is_string()) {
      eval_fail(n, std::string(n.op) + " requires that '" + names[i] +
                       "' be a string, found: " + type_name(*v[i]));
    }
  }
  for (auto* x : v) {
    if (is_nullish(*x)) {
      out = nullptr;
      return out;
    }
  }
  const std::string& input = v[0]->get_ref<const std::string&>();
  const std::string& find = v[1]->get_ref<const std::string&>();
  const std::string& repl = v[2]->get_ref<const std::string&>();
  std::string result;
  if (find.empty()) {
    if (!All) {
      result = repl + input;
    } else {
      for (auto ch : utf8_chars(input)) {
        result += repl;
        result += ch;
      }
      result += repl;
    }
    out = std::move(result);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = input.find(find, start);
    if (pos == std::string::npos) break;
    result.append(input, start, pos - start);
    result += repl;
    start = pos + find.size();
    if (!All) break;
  }
  result.append(input, start, std::string::npos);
  out = std::move(result);
  return out;
}

template <bool All>
node compile_replace(compiler& c, const op_spec& spec, const document& arg,
                     const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where,
                         {{"input", true}, {"find", true}, {"replacement", true}});
  return n;
}

inline void register_string_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$concat", &eval_concat, 0, -1});
  add_op({"$substr", &eval_substr_bytes, 3, 3});
  add_op({"$substrBytes", &eval_substr_bytes, 3, 3});
  add_op({"$substrCP", &eval_substr_cp, 3, 3});
  add_op({"$toLower", &eval_case<false>, 1, 1});
  add_op({"$toUpper", &eval_case<true>, 1, 1});
  add_op({"$trim", &eval_trim<0>, 1, 1, &compile_trim<0>});
  add_op({"$ltrim", &eval_trim<1>, 1, 1, &compile_trim<1>});
  add_op({"$rtrim", &eval_trim<2>, 1, 1, &compile_trim<2>});
  add_op({"$split", &eval_split, 2, 2});
  add_op({"$strLenBytes", &eval_str_len<false>, 1, 1});
  add_op({"$strLenCP", &eval_str_len<true>, 1, 1});
  add_op({"$strcasecmp", &eval_strcasecmp, 2, 2});
  add_op({"$indexOfBytes", &eval_index_of<false>, 2, 4});
  add_op({"$indexOfCP", &eval_index_of<true>, 2, 4});
  add_op({"$regexMatch", &eval_regex<0>, 1, 1, &compile_regex_op<0>});
  add_op({"$regexFind", &eval_regex<1>, 1, 1, &compile_regex_op<1>});
  add_op({"$regexFindAll", &eval_regex<2>, 1, 1, &compile_regex_op<2>});
  add_op({"$replaceOne", &eval_replace<false>, 1, 1, &compile_replace<false>});
  add_op({"$replaceAll", &eval_replace<true>, 1, 1, &compile_replace<true>});
}

}  // namespace reel::json::detail
