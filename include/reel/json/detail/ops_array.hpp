// SPDX-License-Identifier: Apache-2.0
/// \file
/// Array expression operators: `$size $arrayElemAt $first $last $filter $map $reduce $in
/// $concatArrays $slice $reverseArray $range $isArray $indexOfArray $arrayToObject
/// $objectToArray $zip $allElementsTrue $anyElementTrue $sortArray` and the array forms of
/// `$firstN $lastN $maxN $minN` (`{n, input}`; the `$group` accumulators of the same names are in
/// `json/accumulators`).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/value_limits.hpp"

namespace reel::json::detail {

/// Returns `elem` (inside `container`), copying it to `out` when `container` is the scratch
/// `tmp` that dies with the caller.
inline const document& sub_result(const document& container, const document& tmp,
                                  const document& elem, document& out) {
  if (&container == &tmp) {
    out = elem;
    return out;
  }
  return elem;
}

inline const document& eval_size(const node& n, const scope& s, document& out) {
  document t;
  const document& v = ev(n.args[0], s, t);
  if (!v.is_array()) {
    eval_fail(n, "the argument to $size must be an array, but was of type: " + type_name(v));
  }
  out = static_cast<std::int64_t>(v.size());
  return out;
}

/// An index operand that must be an integral number.
inline std::int64_t index_operand(const node& n, const document& v, const std::string& what) {
  if (!is_number(v)) {
    eval_fail(
        n, std::string(n.op) + "'s " + what + " must be a numeric value, but is " + type_name(v));
  }
  auto i = integral_of(v);
  if (!i) {
    eval_fail(
        n, std::string(n.op) + "'s " + what + " must be representable as an integer: " + v.dump());
  }
  return *i;
}

inline const document& eval_array_elem_at(const node& n, const scope& s, document& out) {
  document ta, ti;
  const document& a = ev(n.args[0], s, ta);
  const document& i = ev(n.args[1], s, ti);
  if (is_nullish(a) || is_nullish(i)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, "$arrayElemAt's first argument must be an array, but is " + type_name(a));
  }
  std::int64_t idx = index_operand(n, i, "second argument");
  const auto size = static_cast<std::int64_t>(a.size());
  if (idx < 0) idx += size;
  if (idx < 0 || idx >= size) return missing_ref();
  return sub_result(a, ta, a[static_cast<std::size_t>(idx)], out);
}

template <bool First>
const document& eval_first_last(const node& n, const scope& s, document& out) {
  document t;
  const document& a = ev(n.args[0], s, t);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, std::string(n.op) + "'s argument must be an array, but is " + type_name(a));
  }
  if (a.empty()) return missing_ref();
  return sub_result(a, t, First ? a.front() : a.back(), out);
}

/// args: input, (limit | initialValue), body; `slot` is the bound variable ($reduce: value at
/// `slot`, this at `slot + 1`).
template <int Kind>  // 0 filter, 1 map, 2 reduce
node compile_iteration(compiler& c, const op_spec& spec, const document& arg,
                       const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) {
    bad_arguments(where, std::string(spec.name) + " requires an object as its argument, found " +
                             type_name(arg));
  }
  const std::string base = pointer_append(where, spec.name);
  std::vector<std::string> allowed;
  if (Kind == 0) allowed = {"input", "as", "cond", "limit"};
  if (Kind == 1) allowed = {"input", "as", "in"};
  if (Kind == 2) allowed = {"input", "initialValue", "in"};
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      bad_arguments(where, std::string(spec.name) + " does not take an argument named '" +
                               it.key() + "'" + reel::detail::did_you_mean(it.key(), allowed));
    }
  }
  const char* body = Kind == 0 ? "cond" : "in";
  for (const char* required : {"input", body}) {
    if (!arg.contains(required)) {
      bad_arguments(where,
                    std::string(spec.name) + " requires an argument named '" + required + "'");
    }
  }
  if (Kind == 2 && !arg.contains("initialValue")) {
    bad_arguments(where, "$reduce requires an argument named 'initialValue'");
  }
  n.args.resize(3);
  n.args[0] = c.compile(arg["input"], pointer_append(base, "input"));
  if (Kind == 0 && arg.contains("limit")) {
    n.args[1] = c.compile(arg["limit"], pointer_append(base, "limit"));
  }
  if (Kind == 2) n.args[1] = c.compile(arg["initialValue"], pointer_append(base, "initialValue"));
  if (Kind == 2) {
    n.slot = c.declare("value", base, false);
    c.declare("this", base, false);
    n.args[2] = c.compile(arg["in"], pointer_append(base, "in"));
    c.pop(2);
    return n;
  }
  std::string as = "this";
  if (arg.contains("as")) {
    if (!arg["as"].is_string()) {
      bad_arguments(pointer_append(base, "as"),
                    std::string(spec.name) + " requires 'as' to be a string");
    }
    as = arg["as"].get<std::string>();
  }
  n.slot = c.declare(as, pointer_append(base, "as"));
  n.names.push_back(as);
  n.args[2] = c.compile(arg[body], pointer_append(base, body));
  c.pop(1);
  return n;
}

inline const document& eval_filter(const node& n, const scope& s, document& out) {
  document ta;
  const document& a = ev(n.args[0], s, ta);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) eval_fail(n, "input to $filter must be an array not " + type_name(a));
  std::int64_t limit = -1;
  if (present(n.args[1])) {
    document tl;
    const document& l = ev(n.args[1], s, tl);
    if (!is_nullish(l)) {
      auto li = integral_of(l);
      if (!li || *li < 1) {
        eval_fail(n, "$filter: limit must be a positive integral value, found " + l.dump());
      }
      limit = *li;
    }
  }
  binding b{s.vars, n.slot, nullptr};
  const scope inner{s.root, s.ctx, &b};
  document result = document::array();
  for (const auto& e : a) {
    if (limit >= 0 && static_cast<std::int64_t>(result.size()) >= limit) break;
    b.value = &e;
    document t;
    if (truthy(ev(n.args[2], inner, t))) result.push_back(e);
  }
  out = std::move(result);
  return out;
}

inline const document& eval_map(const node& n, const scope& s, document& out) {
  document ta;
  const document& a = ev(n.args[0], s, ta);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) eval_fail(n, "input to $map must be an array not " + type_name(a));
  binding b{s.vars, n.slot, nullptr};
  const scope inner{s.root, s.ctx, &b};
  document result = document::array();
  std::size_t bytes = 5;
  for (const auto& e : a) {
    b.value = &e;
    document t;
    const document& r = ev(n.args[2], inner, t);
    bytes = add_value_bytes(n, r, bytes + 1, 1);
    if (is_missing(r)) {
      result.push_back(nullptr);
    } else if (&r == &t) {
      result.push_back(std::move(t));
    } else {
      result.push_back(r);
    }
  }
  out = std::move(result);
  return out;
}

inline const document& eval_reduce(const node& n, const scope& s, document& out) {
  document ta;
  const document& a = ev(n.args[0], s, ta);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) eval_fail(n, "$reduce requires an array as its input, found " + type_name(a));
  document acc;
  {
    document ti;
    const document& init = ev(n.args[1], s, ti);
    acc = &init == &ti ? std::move(ti) : init;
  }
  binding value{s.vars, n.slot, &acc};
  binding self{&value, n.slot + 1, nullptr};
  const scope inner{s.root, s.ctx, &self};
  for (const auto& e : a) {
    self.value = &e;
    document t;
    const document& r = ev(n.args[2], inner, t);
    if (&r == &t) {
      acc = std::move(t);
    } else if (&r != &acc) {
      document copy = r;
      acc = std::move(copy);
    }
    // The value may grow with each element (`{a: "$$value"}`, `[$$value, $$value]`): checked
    // every time, so no value gets far past the limits (the body copied it already).
    if (acc.is_structured()) check_built_value(n, acc);
  }
  out = std::move(acc);
  return out;
}

inline const document& eval_in(const node& n, const scope& s, document& out) {
  document tv, ta;
  const document& v = ev(n.args[0], s, tv);
  const document& a = ev(n.args[1], s, ta);
  if (!a.is_array()) {
    eval_fail(n, "$in requires an array as a second argument, found: " + type_name(a));
  }
  bool found = false;
  for (const auto& e : a) {
    if (compare_values(v, e) == 0) {
      found = true;
      break;
    }
  }
  out = found;
  return out;
}

inline const document& eval_concat_arrays(const node& n, const scope& s, document& out) {
  document result = document::array();
  std::size_t bytes = 5;
  for (const node& arg : n.args) {
    document t;
    const document& v = ev(arg, s, t);
    if (is_nullish(v)) return null_ref();
    if (!v.is_array()) eval_fail(n, "$concatArrays only supports arrays, not " + type_name(v));
    for (const auto& e : v) {
      bytes = add_value_bytes(n, e, bytes + 1, 1);
      result.push_back(e);
    }
  }
  out = std::move(result);
  return out;
}

inline const document& eval_slice(const node& n, const scope& s, document& out) {
  document ta, t1, t2;
  const document& a = ev(n.args[0], s, ta);
  const document& x = ev(n.args[1], s, t1);
  const document& y = n.args.size() > 2 ? ev(n.args[2], s, t2) : missing_ref();
  if (is_nullish(a) || is_nullish(x) || (n.args.size() > 2 && is_nullish(y))) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, "first argument to $slice must be an array, but is of type: " + type_name(a));
  }
  const auto size = static_cast<std::int64_t>(a.size());
  std::int64_t begin = 0, count = 0;
  if (n.args.size() == 2) {
    const std::int64_t k = index_operand(n, x, "second argument");
    if (k >= 0) {
      count = std::min(k, size);
    } else {
      begin = std::max<std::int64_t>(0, size + k);
      count = size - begin;
    }
  } else {
    std::int64_t pos = index_operand(n, x, "second argument");
    const std::int64_t k = index_operand(n, y, "third argument");
    if (k <= 0) eval_fail(n, "third argument to $slice must be positive: " + std::to_string(k));
    if (pos < 0) pos = std::max<std::int64_t>(0, size + pos);
    begin = std::min(pos, size);
    count = std::min(k, size - begin);
  }
  document result = document::array();
  for (std::int64_t i = begin; i < begin + count; ++i)
    result.push_back(a[static_cast<std::size_t>(i)]);
  out = std::move(result);
  return out;
}

inline const document& eval_reverse_array(const node& n, const scope& s, document& out) {
  document t;
  const document& a = ev(n.args[0], s, t);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n,
              "the argument to $reverseArray must be an array, but was of type: " + type_name(a));
  }
  document result = document::array();
  for (auto it = a.rbegin(); it != a.rend(); ++it)
    result.push_back(*it);
  out = std::move(result);
  return out;
}

inline const document& eval_range(const node& n, const scope& s, document& out) {
  std::int64_t v[3] = {0, 0, 1};
  static constexpr const char* names[] = {"starting value", "ending value", "step value"};
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    document t;
    const document& x = ev(n.args[i], s, t);
    if (!is_number(x)) {
      eval_fail(n, std::string("$range requires a numeric ") + names[i] +
                       ", found value of type: " + type_name(x));
    }
    auto xi = integral_of(x);
    if (!xi || *xi < INT32_MIN || *xi > INT32_MAX) {
      eval_fail(n, std::string("$range requires a ") + names[i] +
                       " that can be represented as a 32-bit integer, found value: " + x.dump());
    }
    v[i] = *xi;
  }
  if (v[2] == 0) eval_fail(n, "$range requires a non-zero step value");
  const std::int64_t count = v[2] > 0 ? (v[1] > v[0] ? (v[1] - v[0] + v[2] - 1) / v[2] : 0)
                                      : (v[0] > v[1] ? (v[0] - v[1] - v[2] - 1) / -v[2] : 0);
  // Each element weighs 8 bytes and its separator 1 (value_limits.hpp): at most ~1.9 M.
  if (static_cast<std::uint64_t>(count) * 9 + 5 > max_document_bytes)
    value_too_large(n, "an array");
  document result = document::array();
  for (std::int64_t i = 0, x = v[0]; i < count; ++i, x += v[2])
    result.push_back(x);
  out = std::move(result);
  return out;
}

inline const document& eval_is_array(const node& n, const scope& s, document& out) {
  document t;
  out = ev(n.args[0], s, t).is_array();
  return out;
}

inline const document& eval_index_of_array(const node& n, const scope& s, document& out) {
  document ta, tv;
  const document& a = ev(n.args[0], s, ta);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, "$indexOfArray requires an array as a first argument, found: " + type_name(a));
  }
  const document& v = ev(n.args[1], s, tv);
  std::int64_t bounds[2] = {0, static_cast<std::int64_t>(a.size())};
  for (std::size_t k = 2; k < n.args.size(); ++k) {
    document t;
    const document& x = ev(n.args[k], s, t);
    const std::int64_t i = index_operand(n, x, k == 2 ? "starting index" : "ending index");
    if (i < 0) {
      eval_fail(n, std::string("$indexOfArray ") + (k == 2 ? "starting" : "ending") +
                       " index must be a non-negative integer");
    }
    bounds[k - 2] = i;
  }
  const std::int64_t end = std::min<std::int64_t>(bounds[1], static_cast<std::int64_t>(a.size()));
  for (std::int64_t i = bounds[0]; i < end; ++i) {
    if (compare_values(a[static_cast<std::size_t>(i)], v) == 0) {
      out = i;
      return out;
    }
  }
  out = -1;
  return out;
}

inline const document& eval_array_to_object(const node& n, const scope& s, document& out) {
  document t;
  const document& a = ev(n.args[0], s, t);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, "$arrayToObject requires an array input, found: " + type_name(a));
  }
  document result = document::object();
  int form = 0;  // 1 pairs, 2 {k, v}
  for (const auto& e : a) {
    const document* k = nullptr;
    const document* v = nullptr;
    if (e.is_array()) {
      if (form == 2) eval_fail(n, "$arrayToObject requires a consistent input format");
      form = 1;
      if (e.size() != 2) {
        eval_fail(n, "$arrayToObject requires an array of size 2 arrays, found array of size: " +
                         std::to_string(e.size()));
      }
      k = &e[0];
      v = &e[1];
    } else if (type_of(e) == bson_type::object) {
      if (form == 1) eval_fail(n, "$arrayToObject requires a consistent input format");
      form = 2;
      if (e.size() != 2 || !e.contains("k") || !e.contains("v")) {
        eval_fail(n, "$arrayToObject requires an object with keys 'k' and 'v'");
      }
      k = &e["k"];
      v = &e["v"];
    } else {
      eval_fail(n,
                "$arrayToObject requires an array of key-value pairs, found an element of type " +
                    type_name(e));
    }
    if (!k->is_string()) {
      eval_fail(n, "$arrayToObject requires string keys, found: " + type_name(*k));
    }
    result[k->get<std::string>()] = *v;
  }
  out = std::move(result);
  return out;
}

inline const document& eval_object_to_array(const node& n, const scope& s, document& out) {
  document t;
  const document& o = ev(n.args[0], s, t);
  if (is_nullish(o)) return null_ref();
  if (type_of(o) != bson_type::object) {
    eval_fail(n, "$objectToArray requires a document input, found: " + type_name(o));
  }
  document result = document::array();
  for (auto it = o.begin(); it != o.end(); ++it) {
    result.push_back(document{{"k", it.key()}, {"v", *it}});
  }
  out = std::move(result);
  return out;
}

/// args: inputs..., then defaults (optional); value: useLongestLength.
inline const document& eval_zip(const node& n, const scope& s, document& out) {
  const bool longest = n.value.get<bool>();
  const std::size_t inputs = static_cast<std::size_t>(n.slot);
  std::vector<document> tmps(n.args.size());
  std::vector<const document*> arrays;
  std::size_t length = longest ? 0 : SIZE_MAX;
  for (std::size_t i = 0; i < inputs; ++i) {
    const document& a = ev(n.args[i], s, tmps[i]);
    if (is_nullish(a)) return null_ref();
    if (!a.is_array()) {
      eval_fail(n, "$zip found a non-array expression in input: " + a.dump());
    }
    arrays.push_back(&a);
    length = longest ? std::max(length, a.size()) : std::min(length, a.size());
  }
  if (arrays.empty()) length = 0;
  const document* defaults = nullptr;
  if (n.args.size() > inputs) {
    defaults = &ev(n.args[inputs], s, tmps[inputs]);
    if (!defaults->is_array()) eval_fail(n, "$zip requires 'defaults' to be an array");
    if (defaults->size() != inputs) {
      eval_fail(n, "$zip requires 'defaults' to have the same length as 'inputs'");
    }
  }
  document result = document::array();
  for (std::size_t r = 0; r < length; ++r) {
    document row = document::array();
    for (std::size_t i = 0; i < inputs; ++i) {
      if (r < arrays[i]->size()) {
        row.push_back((*arrays[i])[r]);
      } else if (defaults) {
        row.push_back((*defaults)[i]);
      } else {
        row.push_back(nullptr);
      }
    }
    result.push_back(std::move(row));
  }
  out = std::move(result);
  return out;
}

inline node compile_zip(compiler& c, const op_spec& spec, const document& arg,
                        const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) bad_arguments(where, "$zip requires an object as its argument");
  const std::string base = pointer_append(where, "$zip");
  bool longest = false;
  const document* defaults = nullptr;
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (it.key() == "inputs" || it.key() == "defaults") {
      if (it.key() == "defaults") defaults = &*it;
    } else if (it.key() == "useLongestLength") {
      if (!it->is_boolean())
        bad_arguments(where, "$zip requires 'useLongestLength' to be a boolean");
      longest = it->get<bool>();
    } else {
      bad_arguments(where, "$zip does not take an argument named '" + it.key() + "'" +
                               reel::detail::did_you_mean(
                                   it.key(), std::vector<std::string>{"inputs", "useLongestLength",
                                                                      "defaults"}));
    }
  }
  if (!arg.contains("inputs") || !arg["inputs"].is_array()) {
    bad_arguments(where, "$zip requires 'inputs' to be an array of expressions");
  }
  const document& inputs = arg["inputs"];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    n.args.push_back(c.compile(inputs[i], pointer_append(pointer_append(base, "inputs"), i)));
  }
  n.slot = static_cast<std::int64_t>(inputs.size());
  if (defaults) {
    if (!longest) {
      bad_arguments(where, "$zip requires 'useLongestLength' to be true to use 'defaults'");
    }
    n.args.push_back(c.compile(*defaults, pointer_append(base, "defaults")));
  }
  n.value = longest;
  return n;
}

template <bool All>
const document& eval_all_any(const node& n, const scope& s, document& out) {
  document t;
  const document& a = ev(n.args[0], s, t);
  if (!a.is_array()) {
    eval_fail(n, std::string(n.op) + "'s argument must be an array, but is " + type_name(a));
  }
  bool result = All;
  for (const auto& e : a) {
    if (All && !truthy(e)) {
      result = false;
      break;
    }
    if (!All && truthy(e)) {
      result = true;
      break;
    }
  }
  out = result;
  return out;
}

/// `$sortArray`'s `sortBy`: the whole value (`direction` 1 or -1), or document fields.
struct sort_array_spec {
  int direction = 0;  ///< 1 or -1 for a whole-value sort, 0 for `keys`
  std::vector<std::pair<field_path, int>> keys;
};

/// The value of `path` inside `e` for a `$sortArray` key: objects only (no array traversal, no
/// positional components); anything else, missing included, is null.
inline const document& sort_array_key(const document& e, const field_path& path) {
  const document* cur = &e;
  for (const auto& part : path.parts()) {
    if (type_of(*cur) != bson_type::object) return null_ref();
    auto it = cur->find(part);
    if (it == cur->end()) return null_ref();
    cur = &*it;
  }
  return *cur;
}

inline const document& eval_sort_array(const node& n, const scope& s, document& out) {
  document t;
  const document& a = ev(n.args[0], s, t);
  if (is_nullish(a)) return null_ref();
  if (!a.is_array()) {
    eval_fail(
        n, "The input argument to $sortArray must be an array, but was of type: " + type_name(a));
  }
  const auto& spec = *static_cast<const sort_array_spec*>(n.data.get());
  std::vector<const document*> items;
  items.reserve(a.size());
  for (const auto& e : a)
    items.push_back(&e);
  if (spec.direction != 0) {
    std::stable_sort(items.begin(), items.end(), [&](const document* x, const document* y) {
      return spec.direction * compare_values(*x, *y) < 0;
    });
  } else {
    std::stable_sort(items.begin(), items.end(), [&](const document* x, const document* y) {
      for (const auto& [path, direction] : spec.keys) {
        const int c = compare_values(sort_array_key(*x, path), sort_array_key(*y, path));
        if (c != 0) return direction * c < 0;
      }
      return false;
    });
  }
  document result = document::array();
  for (const document* e : items)
    result.push_back(*e);
  out = std::move(result);
  return out;
}

/// A `$sortArray` direction: 1 or -1.
inline int sort_direction(const document& d, const std::string& where) {
  auto i = is_number(d) ? integral_of(d) : std::nullopt;
  if (!i || (*i != 1 && *i != -1)) {
    bad_arguments(where, "$sortArray sort direction must be 1 or -1, found " + d.dump());
  }
  return static_cast<int>(*i);
}

/// `{input, sortBy}`; `sortBy` is parsed here, not evaluated.
inline node compile_sort_array(compiler& c, const op_spec& spec, const document& arg,
                               const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) {
    bad_arguments(where, "$sortArray requires an object as its argument, found " + type_name(arg));
  }
  const std::string base = pointer_append(where, spec.name);
  const std::vector<std::string> allowed{"input", "sortBy"};
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      bad_arguments(where, "$sortArray does not take an argument named '" + it.key() + "'" +
                               reel::detail::did_you_mean(it.key(), allowed));
    }
  }
  for (const char* required : {"input", "sortBy"}) {
    if (!arg.contains(required)) {
      bad_arguments(where, std::string("$sortArray requires an argument named '") + required + "'");
    }
  }
  n.args.push_back(c.compile(arg["input"], pointer_append(base, "input")));
  const document& sort_by = arg["sortBy"];
  const std::string sw = pointer_append(base, "sortBy");
  auto sorted = std::make_shared<sort_array_spec>();
  if (type_of(sort_by) == bson_type::object) {
    if (sort_by.empty()) bad_arguments(sw, "$sortArray requires a non-empty 'sortBy' document");
    for (auto it = sort_by.begin(); it != sort_by.end(); ++it) {
      const std::string kw = pointer_append(sw, it.key());
      sorted->keys.emplace_back(field_path(it.key(), kw), sort_direction(*it, kw));
    }
  } else if (is_number(sort_by)) {
    sorted->direction = sort_direction(sort_by, sw);
  } else {
    bad_arguments(sw,
                  "$sortArray requires 'sortBy' to be 1, -1 or a document of field "
                  "directions, found " +
                      type_name(sort_by));
  }
  n.data = std::move(sorted);
  return n;
}

/// Checks the `n` operand of `$firstN`-like operators (a positive integer): the error message,
/// or empty with `out` set.
inline std::string check_n_operand(const document& v, std::string_view op, std::int64_t& out) {
  auto i = is_number(v) ? integral_of(v) : std::nullopt;
  if (!i) {
    return std::string(op) + " requires 'n' to be an integer, found " +
           (is_missing(v) ? std::string("missing") : v.dump());
  }
  if (*i < 1) return std::string(op) + " requires 'n' to be greater than 0, found " + v.dump();
  out = *i;
  return {};
}

/// args: n, input. `$firstN`, `$lastN` keep nulls and order; `$maxN`, `$minN` drop nulls and
/// return the best first.
template <int Kind>  // 0 firstN, 1 lastN, 2 maxN, 3 minN
const document& eval_n_array(const node& n, const scope& s, document& out) {
  document tn, ta;
  std::int64_t count = 0;
  if (std::string e = check_n_operand(ev(n.args[0], s, tn), n.op, count); !e.empty()) {
    eval_fail(n, std::move(e));
  }
  const document& a = ev(n.args[1], s, ta);
  if (!a.is_array()) {
    eval_fail(n, std::string(n.op) + " requires 'input' to be an array, found " + type_name(a));
  }
  std::vector<const document*> items;
  items.reserve(a.size());
  for (const auto& e : a) {
    if (Kind >= 2 && is_nullish(e)) continue;
    items.push_back(&e);
  }
  if (Kind >= 2) {
    std::stable_sort(items.begin(), items.end(), [](const document* x, const document* y) {
      return Kind == 2 ? compare_values(*x, *y) > 0 : compare_values(*x, *y) < 0;
    });
  }
  const auto size = static_cast<std::int64_t>(items.size());
  const std::int64_t take = std::min(count, size);
  const std::int64_t begin = Kind == 1 ? size - take : 0;
  document result = document::array();
  for (std::int64_t i = begin; i < begin + take; ++i)
    result.push_back(*items[static_cast<std::size_t>(i)]);
  out = std::move(result);
  return out;
}

/// `{n, input}`; a constant `n` is checked here.
inline node compile_n_array(compiler& c, const op_spec& spec, const document& arg,
                            const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where, {{"n", true}, {"input", true}});
  if (n.args[0].constant) {
    const std::string nw = pointer_append(pointer_append(where, spec.name), "n");
    std::int64_t count = 0;
    if (std::string e = check_n_operand(n.args[0].value, spec.name, count); !e.empty()) {
      bad_arguments(nw, std::move(e));
    }
  }
  return n;
}

inline void register_array_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$size", &eval_size, 1, 1});
  add_op({"$arrayElemAt", &eval_array_elem_at, 2, 2});
  add_op({"$first", &eval_first_last<true>, 1, 1});
  add_op({"$last", &eval_first_last<false>, 1, 1});
  add_op({"$filter", &eval_filter, 1, 1, &compile_iteration<0>});
  add_op({"$map", &eval_map, 1, 1, &compile_iteration<1>});
  add_op({"$reduce", &eval_reduce, 1, 1, &compile_iteration<2>});
  add_op({"$in", &eval_in, 2, 2});
  add_op({"$concatArrays", &eval_concat_arrays, 0, -1});
  add_op({"$slice", &eval_slice, 2, 3});
  add_op({"$reverseArray", &eval_reverse_array, 1, 1});
  add_op({"$range", &eval_range, 2, 3});
  add_op({"$isArray", &eval_is_array, 1, 1});
  add_op({"$indexOfArray", &eval_index_of_array, 2, 4});
  add_op({"$arrayToObject", &eval_array_to_object, 1, 1});
  add_op({"$objectToArray", &eval_object_to_array, 1, 1});
  add_op({"$zip", &eval_zip, 1, 1, &compile_zip});
  add_op({"$allElementsTrue", &eval_all_any<true>, 1, 1});
  add_op({"$anyElementTrue", &eval_all_any<false>, 1, 1});
  add_op({"$sortArray", &eval_sort_array, 1, 1, &compile_sort_array});
  add_op({"$firstN", &eval_n_array<0>, 1, 1, &compile_n_array});
  add_op({"$lastN", &eval_n_array<1>, 1, 1, &compile_n_array});
  add_op({"$maxN", &eval_n_array<2>, 1, 1, &compile_n_array});
  add_op({"$minN", &eval_n_array<3>, 1, 1, &compile_n_array});
}

}  // namespace reel::json::detail
