// SPDX-License-Identifier: Apache-2.0
/// \file
/// The conversion operators moved so far to the value model (detail/value_eval.hpp): `$type`,
/// `$isNumber`, and `$toDecimal $toDouble $toLong $toInt` of numbers, booleans, dates and
/// strings by the server's tables (bson/numeric.hpp: `$toDecimal: "1.50"` is
/// `NumberDecimal("1.50")`, a long stays a long). Other inputs (binData) and the error messages
/// still come from the nlohmann operator through the bridge; `$convert` is bridged.

#include <optional>

#include "reel/bson/numeric.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

bson::value type_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  const auto name = bson::type_name(v.type());
  return bson::value::string(name);  // static storage
}

bson::value is_number_op(const node& n, const value_scope& s) {
  return bson::value::boolean(vev(n.args[0], s).is_number());
}

bool has_table_entry(const bson::value& v) noexcept {
  switch (v.type()) {
    case bson::type::int32:
    case bson::type::int64:
    case bson::type::double_:
    case bson::type::decimal128:
    case bson::type::boolean:
    case bson::type::date:
    case bson::type::string:
      return true;
    default:
      return false;
  }
}

enum class to_target { decimal, double_, int64, int32 };

template <to_target To>
bson::value to_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  if (v.is_nullish()) return bson::value::null();
  if (To == to_target::int32 && v.type() == bson::type::date) return value_bridge(n, s);
  if (has_table_entry(v)) {
    switch (To) {
      case to_target::decimal:
        if (auto d = bson::to_decimal(v)) return s.memory->decimal(*d);
        break;
      case to_target::double_:
        if (auto d = bson::to_double(v)) return bson::value::double_(*d);
        break;
      case to_target::int64:
        if (auto d = bson::to_long(v)) return bson::value::int64(*d);
        break;
      case to_target::int32:
        if (auto d = bson::to_int(v)) return bson::value::int32(*d);
        break;
    }
  }
  // Inputs outside the numeric table (binData, unsupported types) and failures: the nlohmann
  // operator converts binData and raises the server's messages.
  const bson::value r = value_bridge(n, s);
  if (has_table_entry(v)) {
    eval_fail(n, std::string(n.op) + ": cannot convert " + value_type_name(v) +
                     " value in $convert with no onError value");
  }
  return r;
}

}  // namespace

void register_value_convert_ops(value_op_table& t) {
  t.emplace("$type", &type_op);
  t.emplace("$isNumber", &is_number_op);
  t.emplace("$toDecimal", &to_op<to_target::decimal>);
  t.emplace("$toDouble", &to_op<to_target::double_>);
  t.emplace("$toLong", &to_op<to_target::int64>);
  t.emplace("$toInt", &to_op<to_target::int32>);
}

}  // namespace reel::json::detail
