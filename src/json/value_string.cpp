// SPDX-License-Identifier: Apache-2.0
/// \file
/// The string operators on the value model (detail/value_eval.hpp): `$concat`, `$substr`,
/// `$substrBytes`, `$substrCP`, `$toLower`, `$toUpper`, `$strLenBytes`, `$strLenCP`,
/// `$strcasecmp`, `$split`, `$trim`, `$ltrim`, `$rtrim`, `$indexOfBytes`, `$indexOfCP`, with the
/// nlohmann operators' rules and messages (ops_string.hpp: UTF-8 aware, ASCII-only case mapping
/// as the server's; `$strcasecmp` compares upper-cased, as the server does, where the nlohmann
/// operator lower-cases). Results are int32 where the server's are (lengths, indexes,
/// `$strcasecmp`); a Decimal128 coerced to a string keeps its digits. A string built here is one
/// arena block; a
/// `$concat` result over 16 MiB fails as the nlohmann one does (value_limits.hpp).
/// `$regexMatch`/`$regexFind`/`$regexFindAll` run the project's PCRE2 wrapper (detail/regex.hpp)
/// with its limits: a constant pattern compiled once with the tree, one from the input through
/// the per-thread cache; `$replaceOne`/`$replaceAll` size their result before building it.

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "reel/bson/decimal.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/detail/ops_string.hpp"
#include "reel/json/detail/regex.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/detail/value_limits.hpp"
#include "reel/time.hpp"

namespace reel::json::detail {

namespace {

/// MongoDB's string coercion (`$substr`, `$toLower`, `$strcasecmp`): null/missing is "",
/// numbers and dates their text, a timestamp `Timestamp(t, i)`; others fail. Short results
/// live in `scratch`, others in the arena.
std::string_view coerce(const node& n, const bson::value& v, const value_scope& s) {
  switch (v.type()) {
    case bson::type::null:
    case bson::type::undefined:
    case bson::type::missing:
      return {};
    case bson::type::string:
    case bson::type::symbol:
      return v.as_string();
    case bson::type::int32:
    case bson::type::int64:
      return s.memory->copy(std::to_string(v.as_int64()));
    case bson::type::double_:
      return s.memory->copy(double_to_string(v.as_double()));
    case bson::type::decimal128:
      return s.memory->copy(bson::number_to_string(bson::number::decimal(v.as_decimal())));
    case bson::type::date:
      return s.memory->copy(format_iso8601(from_millis(v.as_date())));
    case bson::type::timestamp: {
      const auto ts = v.as_timestamp();
      return s.memory->copy("Timestamp(" + std::to_string(ts.t) + ", " + std::to_string(ts.i) +
                            ")");
    }
    default:
      eval_fail(n, std::string(n.op) + ": can't convert from BSON type " + value_type_name(v) +
                       " to String");
  }
}

bson::value concat_op(const node& n, const value_scope& s) {
  // Two passes: check and size, then one arena block.
  std::size_t total = 0;
  bson::value pieces_small[8];
  std::vector<bson::value> pieces_large;
  bson::value* pieces = pieces_small;
  if (n.args.size() > 8) {
    pieces_large.resize(n.args.size());
    pieces = pieces_large.data();
  }
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value v = vev(n.args[i], s);
    if (v.is_nullish()) return bson::value::null();
    if (!v.is_string()) eval_fail(n, "$concat only supports strings, not " + value_type_name(v));
    if (total + v.size() > max_document_bytes) value_too_large(n, "a string");
    total += v.size();
    pieces[i] = v;
  }
  if (n.args.size() == 1) return pieces[0];
  char* out = s.memory->allocate_array<char>(total ? total : 1);
  std::size_t at = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    if (pieces[i].size()) std::memcpy(out + at, pieces[i].as_string().data(), pieces[i].size());
    at += pieces[i].size();
  }
  return bson::value::string({out, total});
}

/// `numeric_index` of ops_string.hpp on a value.
std::int64_t index_operand(const node& n, const bson::value& v, std::string_view what) {
  if (!v.is_number()) {
    eval_fail(n, std::string(n.op) + ": " + std::string(what) + " must be a numeric type (is " +
                     value_type_name(v) + ")");
  }
  if (v.type() == bson::type::int32 || v.type() == bson::type::int64) return v.as_int64();
  const double d = *bson::to_double(v);
  if (!std::isfinite(d)) {
    eval_fail(n, std::string(n.op) + ": " + std::string(what) + " must be a finite number");
  }
  return static_cast<std::int64_t>(std::max(-9e18, std::min(9e18, d)));
}

bson::value substr_bytes_op(const node& n, const value_scope& s) {
  const std::string_view str = coerce(n, vev(n.args[0], s), s);
  const std::int64_t start = index_operand(n, vev(n.args[1], s), "starting index");
  const std::int64_t length = index_operand(n, vev(n.args[2], s), "length");
  if (start < 0) {
    eval_fail(n, std::string(n.op) +
                     ": starting index must be non-negative (got: " + std::to_string(start) + ")");
  }
  if (static_cast<std::size_t>(start) >= str.size()) return bson::value::string("");
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
  return bson::value::string(str.substr(b, len));
}

bson::value substr_cp_op(const node& n, const value_scope& s) {
  const std::string_view str = coerce(n, vev(n.args[0], s), s);
  const bson::value a1 = vev(n.args[1], s);
  const bson::value a2 = vev(n.args[2], s);
  const auto i1 = value_integral(a1), i2 = value_integral(a2);
  if (!a1.is_number()) {
    eval_fail(n,
              "$substrCP: starting index must be a numeric type (is " + value_type_name(a1) + ")");
  }
  if (!a2.is_number()) {
    eval_fail(n, "$substrCP: length must be a numeric type (is " + value_type_name(a2) + ")");
  }
  if (!i1) {
    eval_fail(n, "$substrCP: starting index cannot be represented as a 32-bit integral value");
  }
  if (!i2) eval_fail(n, "$substrCP: length cannot be represented as a 32-bit integral value");
  if (*i1 < 0) eval_fail(n, "$substrCP: starting index must be non-negative");
  if (*i2 < 0) eval_fail(n, "$substrCP: length must be non-negative");
  const std::size_t b = utf8_offset(str, static_cast<std::size_t>(*i1));
  const std::size_t e = b + utf8_offset(str.substr(b), static_cast<std::size_t>(*i2));
  return bson::value::string(str.substr(b, e - b));
}

template <bool Upper>
bson::value case_op(const node& n, const value_scope& s) {
  const std::string_view str = coerce(n, vev(n.args[0], s), s);
  if (str.empty()) return bson::value::string("");
  char* out = s.memory->allocate_array<char>(str.size());
  for (std::size_t i = 0; i < str.size(); ++i) {
    char c = str[i];
    if (Upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!Upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out[i] = c;
  }
  return bson::value::string({out, str.size()});
}

template <bool CodePoints>
bson::value str_len_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + " requires a string argument, found: " + value_type_name(v));
  }
  const std::string_view str = v.as_string();
  return bson::value::int32(static_cast<std::int32_t>(CodePoints ? utf8_length(str) : str.size()));
}

bson::value strcasecmp_op(const node& n, const value_scope& s) {
  const std::string_view a = coerce(n, vev(n.args[0], s), s);
  const std::string_view b = coerce(n, vev(n.args[1], s), s);
  // The server compares the strings upper-cased (ASCII): '_' sorts before 'a' there.
  auto upper = [](char c) {
    return static_cast<unsigned char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  };
  const std::size_t common = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < common; ++i) {
    const unsigned char x = upper(a[i]), y = upper(b[i]);
    if (x != y) return bson::value::int32(x < y ? -1 : 1);
  }
  return bson::value::int32(a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1));
}

/// A string operand: empty for null/missing, an error for other types (`string_operand`).
std::optional<std::string_view> string_arg(const node& n, const bson::value& v,
                                           std::string_view what) {
  if (v.is_nullish()) return std::nullopt;
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + " requires " + std::string(what) + " to be a string, found " +
                     value_type_name(v));
  }
  return v.as_string();
}

/// The code point at byte `i` of `s` (its bytes).
std::string_view code_point_at(std::string_view s, std::size_t i) noexcept {
  std::size_t j = i + 1;
  while (j < s.size() && is_continuation(static_cast<unsigned char>(s[j])))
    ++j;
  return s.substr(i, j - i);
}

/// The code point that ends at byte `e` (exclusive) of `s`.
std::string_view code_point_before(std::string_view s, std::size_t e) noexcept {
  std::size_t b = e - 1;
  while (b > 0 && is_continuation(static_cast<unsigned char>(s[b])))
    --b;
  return s.substr(b, e - b);
}

template <int Side>  // 0 both, 1 left, 2 right
bson::value trim_op(const node& n, const value_scope& s) {
  const auto input = string_arg(n, vev(n.args[0], s), "its input");
  if (!input) return bson::value::null();
  std::optional<std::string_view> chars;
  if (present(n.args[1])) {
    chars = string_arg(n, vev(n.args[1], s), "'chars'");
    if (!chars) return bson::value::null();
  }
  auto trimmed = [&](std::string_view ch) {
    if (!chars) return is_default_trim_char(ch);
    for (std::size_t i = 0; i < chars->size();) {
      const std::string_view c = code_point_at(*chars, i);
      if (c == ch) return true;
      i += c.size();
    }
    return false;
  };
  const std::string_view str = *input;
  std::size_t b = 0, e = str.size();
  if (Side != 2) {
    while (b < e) {
      const std::string_view c = code_point_at(str.substr(0, e), b);
      if (!trimmed(c)) break;
      b += c.size();
    }
  }
  if (Side != 1) {
    while (e > b) {
      const std::string_view c = code_point_before(str.substr(b), e - b);
      if (!trimmed(c)) break;
      e -= c.size();
    }
  }
  return bson::value::string(str.substr(b, e - b));
}

bson::value split_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  const bson::value d = vev(n.args[1], s);
  if (a.is_nullish() || d.is_nullish()) return bson::value::null();
  if (!a.is_string()) {
    eval_fail(n,
              "$split requires an expression that evaluates to a string as a first argument, "
              "found: " +
                  value_type_name(a));
  }
  if (!d.is_string()) {
    eval_fail(n,
              "$split requires an expression that evaluates to a string as a second argument, "
              "found: " +
                  value_type_name(d));
  }
  const std::string_view str = a.as_string();
  const std::string_view sep = d.as_string();
  if (sep.empty()) eval_fail(n, "$split requires a non-empty separator");
  std::size_t parts = 1;
  for (std::size_t pos = str.find(sep); pos != std::string_view::npos;
       pos = str.find(sep, pos + sep.size())) {
    ++parts;
  }
  bson::value* out = s.memory->allocate_array<bson::value>(parts);
  std::size_t start = 0, k = 0;
  while (true) {
    const std::size_t pos = str.find(sep, start);
    if (pos == std::string_view::npos) {
      out[k++] = bson::value::string(str.substr(start));
      break;
    }
    out[k++] = bson::value::string(str.substr(start, pos - start));
    start = pos + sep.size();
  }
  return bson::value::array({out, parts});
}

/// The code point index of byte `pos` of `s`.
std::size_t code_point_index(std::string_view s, std::size_t pos) noexcept {
  return utf8_length(s.substr(0, pos));
}

template <bool CodePoints>
bson::value index_of_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_string()) {
    eval_fail(n, std::string(n.op) +
                     " requires a string as the first argument, found: " + value_type_name(a));
  }
  const bson::value b = vev(n.args[1], s);
  if (!b.is_string()) {
    eval_fail(n, std::string(n.op) +
                     " requires a string as the second argument, found: " + value_type_name(b));
  }
  const std::string_view str = a.as_string();
  const std::string_view sub = b.as_string();
  const std::size_t units = CodePoints ? utf8_length(str) : str.size();
  std::int64_t bounds[2] = {0, static_cast<std::int64_t>(units)};
  for (std::size_t k = 2; k < n.args.size(); ++k) {
    const bson::value v = vev(n.args[k], s);
    const auto i = value_integral(v);
    const char* what = k == 2 ? "starting index" : "ending index";
    if (!v.is_number()) {
      eval_fail(n, std::string(n.op) + " requires an integral " + what +
                       ", found a value of type: " + value_type_name(v));
    }
    if (!i) eval_fail(n, std::string(n.op) + " " + what + " must be an integral value");
    if (*i < 0) eval_fail(n, std::string(n.op) + " " + what + " must be a non-negative integer");
    bounds[k - 2] = *i;
  }
  const std::int64_t start = bounds[0];
  const std::int64_t end = std::min<std::int64_t>(bounds[1], static_cast<std::int64_t>(units));
  if (start > end || static_cast<std::size_t>(start) > units) return bson::value::int32(-1);
  const std::size_t bstart = CodePoints ? utf8_offset(str, static_cast<std::size_t>(start))
                                        : static_cast<std::size_t>(start);
  const std::size_t bend =
      CodePoints ? utf8_offset(str, static_cast<std::size_t>(end)) : static_cast<std::size_t>(end);
  const std::size_t pos = str.find(sub, bstart);
  if (pos == std::string_view::npos || pos + sub.size() > bend) return bson::value::int32(-1);
  return bson::value::int32(
      static_cast<std::int32_t>(CodePoints ? code_point_index(str, pos) : pos));
}

/// A match document `{match, idx, captures}` (`regex_match_doc` of ops_string.hpp): `idx`
/// counts code points; `cp_byte`/`cp_before` carry the count forward between matches.
bson::value match_document(std::string_view input, const std::vector<regex_span>& groups,
                           std::size_t& cp_byte, std::size_t& cp_before, bson::arena& memory) {
  static constexpr std::string_view names[] = {"match", "idx", "captures"};
  const regex_span whole = groups[0];
  cp_before += utf8_length(input.substr(cp_byte, whole.begin - cp_byte));
  cp_byte = whole.begin;
  bson::value* caps = memory.allocate_array<bson::value>(groups.size() - 1);
  for (std::size_t i = 1; i < groups.size(); ++i) {
    caps[i - 1] =
        groups[i].unset()
            ? bson::value::null()
            : bson::value::string(input.substr(groups[i].begin, groups[i].end - groups[i].begin));
  }
  bson::field* fields = memory.allocate_array<bson::field>(3);
  const bson::value values[] = {
      bson::value::string(input.substr(whole.begin, whole.end - whole.begin)),
      bson::value::int32(static_cast<std::int32_t>(cp_before)),
      bson::value::array({caps, groups.size() - 1})};
  for (std::size_t i = 0; i < 3; ++i) {
    fields[i] =
        bson::field{names[i].data(), static_cast<std::uint32_t>(names[i].size()), values[i]};
  }
  return bson::value::document({fields, 3});
}

/// The program of a regex operator: compiled with the tree for a constant pattern, else from
/// the evaluated `regex` and `options` (`regex_operands` of ops_string.hpp) through the cache.
/// Null when the pattern is null or missing.
std::shared_ptr<const regex_program> regex_of_operands(const node& n, const value_scope& s) {
  const bson::value re = vev(n.args[1], s);
  if (re.is_nullish()) return nullptr;
  const bson::value opts = present(n.args[2]) ? vev(n.args[2], s) : bson::value{};
  std::string_view pattern, options;
  if (re.type() == bson::type::regex) {
    pattern = re.regex_pattern();
    options = re.regex_options();
    if (opts.is_string() && !options.empty()) {
      eval_fail(n, std::string(n.op) +
                       ": found regex options specified in both 'regex' and "
                       "'options' fields");
    }
  } else if (re.is_string()) {
    pattern = re.as_string();
  } else {
    eval_fail(n, std::string(n.op) + " needs 'regex' to be of type string or regex, found " +
                     value_type_name(re));
  }
  if (!opts.is_nullish()) {
    if (!opts.is_string()) {
      eval_fail(n, std::string(n.op) + " needs 'options' to be of type string, found " +
                       value_type_name(opts));
    }
    if (options.empty()) options = opts.as_string();
  }
  return naming_operator(
      n, [&] { return cached_regex(pattern, options, n.where, "reel.expression.invalid_regex"); });
}

template <int Kind>  // 0 match, 1 find, 2 findAll
bson::value regex_op(const node& n, const value_scope& s) {
  const bson::value input = vev(n.args[0], s);
  auto none = [] {
    if (Kind == 0) return bson::value::boolean(false);
    if (Kind == 1) return bson::value::null();
    return bson::value::array({});
  };
  if (input.is_nullish()) return none();
  if (!input.is_string()) {
    eval_fail(n, std::string(n.op) + " needs 'input' to be of type string, found " +
                     value_type_name(input));
  }
  const auto* prog = static_cast<const regex_program*>(n.data.get());
  std::shared_ptr<const regex_program> dynamic;
  if (!prog) {
    dynamic = regex_of_operands(n, s);
    if (!dynamic) return none();
    prog = dynamic.get();
  }
  const std::string_view str = input.as_string();
  if (Kind == 0)
    return bson::value::boolean(naming_operator(n, [&] { return prog->search(str, n.where); }));
  thread_local std::vector<regex_span> groups;
  std::size_t cp_byte = 0, cp_before = 0;
  if (Kind == 1) {
    if (naming_operator(n, [&] { return prog->find(str, 0, groups, false, n.where); })) {
      return match_document(str, groups, cp_byte, cp_before, *s.memory);
    }
    return bson::value::null();
  }
  thread_local std::vector<bson::value> all;
  all.clear();
  std::size_t cur = 0;
  bool checked = false;
  auto next = [&] { return prog->find(str, cur, groups, checked, n.where); };
  while (cur <= str.size() && naming_operator(n, next)) {
    checked = true;  // PCRE2 checked the input's UTF-8 once; later calls skip it
    const regex_span whole = groups[0];
    all.push_back(match_document(str, groups, cp_byte, cp_before, *s.memory));
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
  bson::value* out = s.memory->allocate_array<bson::value>(all.size());
  std::copy(all.begin(), all.end(), out);
  return bson::value::array({out, all.size()});
}

template <bool All>
bson::value replace_op(const node& n, const value_scope& s) {
  static constexpr const char* names[] = {"input", "find", "replacement"};
  bson::value v[3];
  for (std::size_t i = 0; i < 3; ++i) {
    v[i] = vev(n.args[i], s);
    if (!v[i].is_nullish() && !v[i].is_string()) {
      eval_fail(n, std::string(n.op) + " requires that '" + names[i] +
                       "' be a string, found: " + value_type_name(v[i]));
    }
  }
  for (const bson::value& x : v) {
    if (x.is_nullish()) return bson::value::null();
  }
  const std::string_view input = v[0].as_string();
  const std::string_view find = v[1].as_string();
  const std::string_view repl = v[2].as_string();
  // Where the replacements go: an empty `find` matches before every code point (and at the end
  // for $replaceAll), as the server does.
  std::size_t count = 0;
  if (find.empty()) {
    count = All ? utf8_length(input) + 1 : 1;
  } else {
    for (std::size_t pos = input.find(find); pos != std::string_view::npos;
         pos = input.find(find, pos + find.size())) {
      ++count;
      if (!All) break;
    }
  }
  if (count == 0) return v[0];
  const std::size_t size =
      input.size() + count * repl.size() - (find.empty() ? 0 : count * find.size());
  if (size > max_document_bytes) value_too_large(n, "a string");
  char* out = s.memory->allocate_array<char>(size ? size : 1);
  std::size_t at = 0;
  auto put = [&](std::string_view piece) {
    if (!piece.empty()) std::memcpy(out + at, piece.data(), piece.size());
    at += piece.size();
  };
  if (find.empty()) {
    if (!All) {
      put(repl);
      put(input);
    } else {
      for (std::size_t i = 0; i < input.size();) {
        const std::string_view c = code_point_at(input, i);
        put(repl);
        put(c);
        i += c.size();
      }
      put(repl);
    }
  } else {
    std::size_t start = 0;
    for (std::size_t done = 0; done < count; ++done) {
      const std::size_t pos = input.find(find, start);
      put(input.substr(start, pos - start));
      put(repl);
      start = pos + find.size();
    }
    put(input.substr(start));
  }
  return bson::value::string({out, size});
}

}  // namespace

void register_value_string_ops(value_op_table& t) {
  t.emplace("$concat", &concat_op);
  t.emplace("$substr", &substr_bytes_op);
  t.emplace("$substrBytes", &substr_bytes_op);
  t.emplace("$substrCP", &substr_cp_op);
  t.emplace("$toLower", &case_op<false>);
  t.emplace("$toUpper", &case_op<true>);
  t.emplace("$strLenBytes", &str_len_op<false>);
  t.emplace("$strLenCP", &str_len_op<true>);
  t.emplace("$strcasecmp", &strcasecmp_op);
  t.emplace("$split", &split_op);
  t.emplace("$trim", &trim_op<0>);
  t.emplace("$ltrim", &trim_op<1>);
  t.emplace("$rtrim", &trim_op<2>);
  t.emplace("$indexOfBytes", &index_of_op<false>);
  t.emplace("$indexOfCP", &index_of_op<true>);
  t.emplace("$regexMatch", &regex_op<0>);
  t.emplace("$regexFind", &regex_op<1>);
  t.emplace("$regexFindAll", &regex_op<2>);
  t.emplace("$replaceOne", &replace_op<false>);
  t.emplace("$replaceAll", &replace_op<true>);
}

}  // namespace reel::json::detail
