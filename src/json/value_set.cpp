// SPDX-License-Identifier: Apache-2.0
/// \file
/// The set operators on the value model (detail/value_eval.hpp): `$setUnion`,
/// `$setIntersection`, `$setDifference`, `$setEquals`, `$setIsSubset`, with the nlohmann
/// operators' rules and messages (ops_set.hpp): arrays are sets under `bson::compare` equality
/// (`1 == 1.0 == NumberLong(1)`), the first of equal elements is kept, `$setUnion` and
/// `$setIntersection` give BSON order, `$setDifference` the order of its first array. Sorting
/// happens in arena blocks (no heap allocation).

#include <algorithm>
#include <span>
#include <string>

#include "reel/bson/compare.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

bool before(const bson::value& a, const bson::value& b) {
  return bson::compare(a, b) < 0;
}
bool same_value(const bson::value& a, const bson::value& b) {
  return bson::compare(a, b) == 0;
}

/// The distinct elements of `a` in BSON order, in an arena block.
std::span<bson::value> sorted_set(std::span<const bson::value> a, bson::arena& memory) {
  bson::value* out = memory.allocate_array<bson::value>(a.size());
  std::copy(a.begin(), a.end(), out);
  std::stable_sort(out, out + a.size(), before);
  bson::value* end = std::unique(out, out + a.size(), same_value);
  return {out, static_cast<std::size_t>(end - out)};
}

bool set_contains(std::span<const bson::value> set, const bson::value& v) {
  auto it = std::lower_bound(set.begin(), set.end(), v, before);
  return it != set.end() && same_value(*it, v);
}

bson::value operand(const node& n, const node& arg, const value_scope& s, const char* message) {
  const bson::value v = vev(arg, s);
  if (!v.is_nullish() && !v.is_array()) eval_fail(n, message + value_type_name(v));
  return v;
}

bson::value set_union_op(const node& n, const value_scope& s) {
  std::size_t total = 0;
  bson::value* inputs = s.memory->allocate_array<bson::value>(n.args.size());
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    inputs[i] = operand(n, n.args[i], s,
                        "All operands of $setUnion must be arrays. One argument is of type: ");
    if (inputs[i].is_nullish()) return bson::value::null();
    total += inputs[i].size();
  }
  bson::value* all = s.memory->allocate_array<bson::value>(total);
  std::size_t at = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    std::copy(inputs[i].elements().begin(), inputs[i].elements().end(), all + at);
    at += inputs[i].size();
  }
  std::stable_sort(all, all + total, before);
  bson::value* end = std::unique(all, all + total, same_value);
  return bson::value::array({all, static_cast<std::size_t>(end - all)});
}

bson::value set_intersection_op(const node& n, const value_scope& s) {
  std::span<bson::value> current;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value v =
        operand(n, n.args[i], s,
                "All operands of $setIntersection must be arrays. One argument is of type: ");
    if (v.is_nullish()) return bson::value::null();
    if (i == 0) {
      current = sorted_set(v.elements(), *s.memory);
      continue;
    }
    const std::span<bson::value> next = sorted_set(v.elements(), *s.memory);
    auto end = std::remove_if(current.begin(), current.end(),
                              [&](const bson::value& e) { return !set_contains(next, e); });
    current = current.first(static_cast<std::size_t>(end - current.begin()));
  }
  return bson::value::array({current.data(), current.size()});
}

bson::value set_difference_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  const bson::value b = vev(n.args[1], s);
  if (a.is_nullish() || b.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, "both operands of $setDifference must be arrays. First argument is of type: " +
                     value_type_name(a));
  }
  if (!b.is_array()) {
    eval_fail(n, "both operands of $setDifference must be arrays. Second argument is of type: " +
                     value_type_name(b));
  }
  const std::span<bson::value> exclude = sorted_set(b.elements(), *s.memory);
  // The first of equal elements of `a` represents them all, in the order of `a`: indexes
  // sorted stably by value mark the first of each run.
  const auto elements = a.elements();
  const std::size_t size = elements.size();
  std::size_t* order = s.memory->allocate_array<std::size_t>(size);
  bool* first = s.memory->allocate_array<bool>(size);
  for (std::size_t i = 0; i < size; ++i) {
    order[i] = i;
    first[i] = false;
  }
  std::stable_sort(order, order + size,
                   [&](std::size_t x, std::size_t y) { return before(elements[x], elements[y]); });
  for (std::size_t k = 0; k < size; ++k) {
    first[order[k]] = k == 0 || !same_value(elements[order[k - 1]], elements[order[k]]);
  }
  bson::value* out = s.memory->allocate_array<bson::value>(size);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (first[i] && !set_contains(exclude, elements[i])) out[kept++] = elements[i];
  }
  return bson::value::array({out, kept});
}

bson::value set_equals_op(const node& n, const value_scope& s) {
  std::span<bson::value> first;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value v = vev(n.args[i], s);
    if (!v.is_array()) {
      eval_fail(n, "All operands of $setEquals must be arrays. One argument is of type: " +
                       value_type_name(v));
    }
    if (i == 0) {
      first = sorted_set(v.elements(), *s.memory);
      continue;
    }
    const std::span<bson::value> other = sorted_set(v.elements(), *s.memory);
    if (other.size() != first.size() ||
        !std::equal(first.begin(), first.end(), other.begin(), same_value)) {
      return bson::value::boolean(false);  // as MongoDB, the remaining operands are not evaluated
    }
  }
  return bson::value::boolean(true);
}

bson::value set_is_subset_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  const bson::value b = vev(n.args[1], s);
  if (!a.is_array()) {
    eval_fail(n, "both operands of $setIsSubset must be arrays. First argument is of type: " +
                     value_type_name(a));
  }
  if (!b.is_array()) {
    eval_fail(n, "both operands of $setIsSubset must be arrays. Second argument is of type: " +
                     value_type_name(b));
  }
  const std::span<bson::value> super = sorted_set(b.elements(), *s.memory);
  return bson::value::boolean(
      std::all_of(a.elements().begin(), a.elements().end(),
                  [&](const bson::value& e) { return set_contains(super, e); }));
}

}  // namespace

void register_value_set_ops(value_op_table& t) {
  t.emplace("$setUnion", &set_union_op);
  t.emplace("$setIntersection", &set_intersection_op);
  t.emplace("$setDifference", &set_difference_op);
  t.emplace("$setEquals", &set_equals_op);
  t.emplace("$setIsSubset", &set_is_subset_op);
}

}  // namespace reel::json::detail
