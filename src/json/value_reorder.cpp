// SPDX-License-Identifier: Apache-2.0
/// \file
/// The array operators that pick and reorder elements, on the value model
/// (detail/value_eval.hpp): `$zip`, `$sortArray` (in BSON order, `bson::compare`), and the
/// expression forms of `$firstN $lastN $maxN $minN`. Their compiled operands are the nlohmann
/// operators' (ops_array.hpp): `$zip`'s input count in `n.slot` and `useLongestLength` in
/// `n.value`, `$sortArray`'s parsed `sortBy` in `n.data`. Elements are not copied: a result is
/// one arena block of values pointing into the inputs (for `$zip`, one block per row), and
/// `$zip`, which can repeat its `defaults`, holds what it builds to the 16 MiB / 200-level
/// limits (value_limits.hpp) as the nlohmann result is.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "reel/bson/compare.hpp"
#include "reel/json/detail/ops_array.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

using bson::value;

value array_in_arena(const std::vector<value>& items, bson::arena& memory) {
  value* out = memory.allocate_array<value>(items.size());
  std::copy(items.begin(), items.end(), out);
  return value::array({out, items.size()});
}

// $zip: inputs..., then defaults when given.
value zip_op(const node& n, const value_scope& s) {
  const bool longest = n.value.get<bool>();
  const auto inputs = static_cast<std::size_t>(n.slot);
  std::vector<value> arrays;
  arrays.reserve(inputs);
  std::size_t length = longest ? 0 : SIZE_MAX;
  for (std::size_t i = 0; i < inputs; ++i) {
    const value a = vev(n.args[i], s);
    if (a.is_nullish()) return value::null();
    if (!a.is_array()) eval_fail(n, "$zip found a non-array expression in input: " + value_dump(a));
    arrays.push_back(a);
    length =
        longest ? std::max<std::size_t>(length, a.size()) : std::min<std::size_t>(length, a.size());
  }
  if (arrays.empty()) length = 0;
  value defaults;
  if (n.args.size() > inputs) {
    defaults = vev(n.args[inputs], s);
    if (!defaults.is_array()) eval_fail(n, "$zip requires 'defaults' to be an array");
    if (defaults.size() != inputs) {
      eval_fail(n, "$zip requires 'defaults' to have the same length as 'inputs'");
    }
  }
  value* rows = s.memory->allocate_array<value>(length);
  std::size_t bytes = 5;
  for (std::size_t r = 0; r < length; ++r) {
    value* row = s.memory->allocate_array<value>(inputs);
    for (std::size_t i = 0; i < inputs; ++i) {
      if (r < arrays[i].size()) {
        row[i] = arrays[i].elements()[r];
      } else {
        row[i] = defaults.is_array() ? defaults.elements()[i] : value::null();
      }
    }
    rows[r] = value::array({row, inputs});
    bytes = add_value_weight(n, rows[r], bytes + 1, 1);
  }
  return value::array({rows, length});
}

/// The value of `path` inside `e` for a `$sortArray` key, as `sort_array_key`: documents only
/// (no array traversal); anything else, missing included, is null.
value sort_key(const value& e, const field_path& path) {
  value cur = e;
  for (const std::string& part : path.parts()) {
    if (!cur.is_document()) return value::null();
    cur = cur[part];
    if (cur.is_missing()) return value::null();
  }
  return cur;
}

value sort_array_op(const node& n, const value_scope& s) {
  const value a = vev(n.args[0], s);
  if (a.is_nullish()) return value::null();
  if (!a.is_array()) {
    eval_fail(n, "The input argument to $sortArray must be an array, but was of type: " +
                     value_type_name(a));
  }
  const auto& spec = *static_cast<const sort_array_spec*>(n.data.get());
  std::vector<value> items(a.elements().begin(), a.elements().end());
  if (spec.direction != 0) {
    std::stable_sort(items.begin(), items.end(), [&](const value& x, const value& y) {
      return spec.direction * bson::compare(x, y) < 0;
    });
  } else {
    std::stable_sort(items.begin(), items.end(), [&](const value& x, const value& y) {
      for (const auto& [path, direction] : spec.keys) {
        const int c = bson::compare(sort_key(x, path), sort_key(y, path));
        if (c != 0) return direction * c < 0;
      }
      return false;
    });
  }
  return array_in_arena(items, *s.memory);
}

/// The `n` operand of `$firstN`-like operators: a positive integer (`check_n_operand`).
std::int64_t n_operand(const node& n, const value& v) {
  const auto i = value_integral(v);
  if (!i) {
    eval_fail(n, std::string(n.op) + " requires 'n' to be an integer, found " +
                     (v.is_missing() ? std::string("missing") : value_dump(v)));
  }
  if (*i < 1) {
    eval_fail(n, std::string(n.op) + " requires 'n' to be greater than 0, found " + value_dump(v));
  }
  return *i;
}

/// args: n, input. `$firstN`, `$lastN` keep nulls and order; `$maxN`, `$minN` drop nulls and
/// missing values and return the best first.
template <int Kind>  // 0 firstN, 1 lastN, 2 maxN, 3 minN
value n_array_op(const node& n, const value_scope& s) {
  const std::int64_t count = n_operand(n, vev(n.args[0], s));
  const value a = vev(n.args[1], s);
  if (!a.is_array()) {
    eval_fail(n,
              std::string(n.op) + " requires 'input' to be an array, found " + value_type_name(a));
  }
  std::vector<value> items;
  items.reserve(a.size());
  for (const value& e : a.elements()) {
    if (Kind >= 2 && e.is_nullish()) continue;
    items.push_back(e);
  }
  if (Kind >= 2) {
    std::stable_sort(items.begin(), items.end(), [](const value& x, const value& y) {
      return Kind == 2 ? bson::compare(x, y) > 0 : bson::compare(x, y) < 0;
    });
  }
  const auto size = static_cast<std::int64_t>(items.size());
  const std::int64_t take = std::min(count, size);
  const std::int64_t begin = Kind == 1 ? size - take : 0;
  const value whole = array_in_arena(items, *s.memory);
  return value::array(
      whole.elements().subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(take)));
}

}  // namespace

void register_value_reorder_ops(value_op_table& t) {
  t.emplace("$zip", &zip_op);
  t.emplace("$sortArray", &sort_array_op);
  t.emplace("$firstN", &n_array_op<0>);
  t.emplace("$lastN", &n_array_op<1>);
  t.emplace("$maxN", &n_array_op<2>);
  t.emplace("$minN", &n_array_op<3>);
}

}  // namespace reel::json::detail
