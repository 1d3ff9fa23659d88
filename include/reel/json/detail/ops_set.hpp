// SPDX-License-Identifier: Apache-2.0
/// \file
/// Set expression operators: `$setUnion $setIntersection $setDifference $setEquals
/// $setIsSubset`. Arrays are treated as sets: duplicates (BSON equality, so `1 == 1.0`) are
/// ignored and nested arrays are elements, not descended into. As in MongoDB, `$setUnion` and
/// `$setIntersection` return their elements in BSON order, `$setDifference` keeps the order of its
/// first array; null or missing operands give null, except for `$setEquals` and `$setIsSubset`
/// that require arrays.
#pragma once

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <vector>

#include "reel/json/detail/expr_core.hpp"

namespace reel::json::detail {

/// The distinct elements of `a` in BSON order (the first of equal elements is kept).
inline std::vector<const document*> sorted_set(const document& a) {
  std::vector<const document*> out;
  out.reserve(a.size());
  for (const auto& e : a)
    out.push_back(&e);
  std::stable_sort(out.begin(), out.end(),
                   [](const document* x, const document* y) { return compare_values(*x, *y) < 0; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const document* x, const document* y) { return values_equal(*x, *y); }),
            out.end());
  return out;
}

/// True when `v` is in `set` (from `sorted_set`).
inline bool set_contains(const std::vector<const document*>& set, const document& v) {
  auto it = std::lower_bound(set.begin(), set.end(), &v, [](const document* x, const document* y) {
    return compare_values(*x, *y) < 0;
  });
  return it != set.end() && values_equal(**it, v);
}

inline const document& eval_set_union(const node& n, const scope& s, document& out) {
  std::vector<document> tmps(n.args.size());
  std::vector<const document*> all;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const document& v = ev(n.args[i], s, tmps[i]);
    if (is_nullish(v)) return null_ref();
    if (!v.is_array()) {
      eval_fail(
          n, "All operands of $setUnion must be arrays. One argument is of type: " + type_name(v));
    }
    for (const auto& e : v)
      all.push_back(&e);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const document* x, const document* y) { return compare_values(*x, *y) < 0; });
  document result = document::array();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0 && values_equal(*all[i - 1], *all[i])) continue;
    result.push_back(*all[i]);
  }
  out = std::move(result);
  return out;
}

inline const document& eval_set_intersection(const node& n, const scope& s, document& out) {
  std::vector<document> tmps(n.args.size());
  std::vector<const document*> current;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const document& v = ev(n.args[i], s, tmps[i]);
    if (is_nullish(v)) return null_ref();
    if (!v.is_array()) {
      eval_fail(n, "All operands of $setIntersection must be arrays. One argument is of type: " +
                       type_name(v));
    }
    if (i == 0) {
      current = sorted_set(v);
      continue;
    }
    const std::vector<const document*> next = sorted_set(v);
    std::erase_if(current, [&](const document* e) { return !set_contains(next, *e); });
  }
  document result = document::array();
  for (const document* e : current)
    result.push_back(*e);
  out = std::move(result);
  return out;
}

inline const document& eval_set_difference(const node& n, const scope& s, document& out) {
  document ta, tb;
  const document& a = ev(n.args[0], s, ta);
  const document& b = ev(n.args[1], s, tb);
  if (is_nullish(a) || is_nullish(b)) return null_ref();
  if (!a.is_array()) {
    eval_fail(n, "both operands of $setDifference must be arrays. First argument is of type: " +
                     type_name(a));
  }
  if (!b.is_array()) {
    eval_fail(n, "both operands of $setDifference must be arrays. Second argument is of type: " +
                     type_name(b));
  }
  const std::vector<const document*> exclude = sorted_set(b);
  // The first of equal elements of `a` represents them all, in the order of `a`.
  std::vector<const document*> firsts = sorted_set(a);
  std::sort(firsts.begin(), firsts.end(), std::less<const document*>());
  document result = document::array();
  for (const auto& e : a) {
    if (!std::binary_search(firsts.begin(), firsts.end(), &e, std::less<const document*>())) {
      continue;
    }
    if (!set_contains(exclude, e)) result.push_back(e);
  }
  out = std::move(result);
  return out;
}

inline const document& eval_set_equals(const node& n, const scope& s, document& out) {
  std::vector<document> tmps(n.args.size());
  std::vector<const document*> first;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const document& v = ev(n.args[i], s, tmps[i]);
    if (!v.is_array()) {
      eval_fail(
          n, "All operands of $setEquals must be arrays. One argument is of type: " + type_name(v));
    }
    if (i == 0) {
      first = sorted_set(v);
      continue;
    }
    const std::vector<const document*> other = sorted_set(v);
    if (other.size() != first.size() ||
        !std::equal(first.begin(), first.end(), other.begin(),
                    [](const document* x, const document* y) { return values_equal(*x, *y); })) {
      out = false;  // as MongoDB, the remaining operands are not evaluated
      return out;
    }
  }
  out = true;
  return out;
}

inline const document& eval_set_is_subset(const node& n, const scope& s, document& out) {
  document ta, tb;
  const document& a = ev(n.args[0], s, ta);
  const document& b = ev(n.args[1], s, tb);
  if (!a.is_array()) {
    eval_fail(n, "both operands of $setIsSubset must be arrays. First argument is of type: " +
                     type_name(a));
  }
  if (!b.is_array()) {
    eval_fail(n, "both operands of $setIsSubset must be arrays. Second argument is of type: " +
                     type_name(b));
  }
  const std::vector<const document*> super = sorted_set(b);
  out = std::all_of(a.begin(), a.end(), [&](const document& e) { return set_contains(super, e); });
  return out;
}

inline void register_set_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$setUnion", &eval_set_union, 0, -1});
  add_op({"$setIntersection", &eval_set_intersection, 0, -1});
  add_op({"$setDifference", &eval_set_difference, 2, 2});
  add_op({"$setEquals", &eval_set_equals, 2, -1});
  add_op({"$setIsSubset", &eval_set_is_subset, 2, 2});
}

}  // namespace reel::json::detail
