// SPDX-License-Identifier: Apache-2.0
/// \file
/// The comparison operators on the value model (detail/value_eval.hpp): `$eq $ne $gt $gte $lt
/// $lte $cmp` in MongoDB's order over BSON values (bson/compare.hpp): numbers by value across
/// int32, int64, double and Decimal128, then the canonical type ranks.

#include "reel/bson/compare.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

/// An int32 or a non-NaN double, exactly as a double: the common operands, compared without a
/// call into `bson::compare` (whose answer for them is the same).
inline bool plain_number(const bson::value& v, double& out) noexcept {
  if (v.type() == bson::type::int32) {
    out = v.as_int32();
    return true;
  }
  if (v.type() == bson::type::double_) {
    out = v.as_double();
    return out == out;
  }
  return false;
}

inline int compare_values(const bson::value& a, const bson::value& b) noexcept {
  double x = 0, y = 0;
  if (plain_number(a, x) && plain_number(b, y)) return x < y ? -1 : (x > y ? 1 : 0);
  return bson::compare(a, b);
}

template <int Kind>  // 0 eq, 1 ne, 2 gt, 3 gte, 4 lt, 5 lte, 6 cmp
bson::value compare_op(const node& n, const value_scope& s) {
  const int c = compare_values(vev(n.args[0], s), vev(n.args[1], s));
  switch (Kind) {
    case 0:
      return bson::value::boolean(c == 0);
    case 1:
      return bson::value::boolean(c != 0);
    case 2:
      return bson::value::boolean(c > 0);
    case 3:
      return bson::value::boolean(c >= 0);
    case 4:
      return bson::value::boolean(c < 0);
    case 5:
      return bson::value::boolean(c <= 0);
    default:
      return bson::value::int32(c < 0 ? -1 : (c > 0 ? 1 : 0));
  }
}

}  // namespace

void register_value_compare_ops(value_op_table& t) {
  t.emplace("$eq", &compare_op<0>);
  t.emplace("$ne", &compare_op<1>);
  t.emplace("$gt", &compare_op<2>);
  t.emplace("$gte", &compare_op<3>);
  t.emplace("$lt", &compare_op<4>);
  t.emplace("$lte", &compare_op<5>);
  t.emplace("$cmp", &compare_op<6>);
}

}  // namespace reel::json::detail
