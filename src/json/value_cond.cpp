// SPDX-License-Identifier: Apache-2.0
/// \file
/// The boolean and conditional operators moved so far to the value model
/// (detail/value_eval.hpp): `$and $or $not $cond $ifNull`, with MongoDB's truthiness (false,
/// null, undefined, missing and numeric zero, Decimal128 zero included, are false), and
/// `$switch`.

#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

bson::value and_op(const node& n, const value_scope& s) {
  for (const node& a : n.args) {
    if (!value_truthy(vev(a, s))) return bson::value::boolean(false);
  }
  return bson::value::boolean(true);
}

bson::value or_op(const node& n, const value_scope& s) {
  for (const node& a : n.args) {
    if (value_truthy(vev(a, s))) return bson::value::boolean(true);
  }
  return bson::value::boolean(false);
}

bson::value not_op(const node& n, const value_scope& s) {
  return bson::value::boolean(!value_truthy(vev(n.args[0], s)));
}

bson::value cond_op(const node& n, const value_scope& s) {
  return vev(n.args[value_truthy(vev(n.args[0], s)) ? 1 : 2], s);
}

bson::value if_null_op(const node& n, const value_scope& s) {
  for (std::size_t i = 0; i + 1 < n.args.size(); ++i) {
    const bson::value v = vev(n.args[i], s);
    if (!v.is_nullish()) return v;
  }
  return vev(n.args.back(), s);
}

/// `$switch` (compile_switch in ops_logic.hpp): args are case, then, case, then, ..., then the
/// default when `n.value` is true.
bson::value switch_op(const node& n, const value_scope& s) {
  const bool has_default = n.value.get<bool>();
  const std::size_t branches = (n.args.size() - (has_default ? 1 : 0)) / 2;
  for (std::size_t i = 0; i < branches; ++i) {
    if (value_truthy(vev(n.args[2 * i], s))) return vev(n.args[2 * i + 1], s);
  }
  if (!has_default) {
    eval_fail(n,
              "$switch could not find a matching branch for an input, and no default was "
              "specified");
  }
  return vev(n.args.back(), s);
}

}  // namespace

void register_value_cond_ops(value_op_table& t) {
  t.emplace("$and", &and_op);
  t.emplace("$or", &or_op);
  t.emplace("$not", &not_op);
  t.emplace("$cond", &cond_op);
  t.emplace("$ifNull", &if_null_op);
  t.emplace("$switch", &switch_op);
}

}  // namespace reel::json::detail
