// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the value-model tests (value_eval_*.cpp, value_group.cpp): typed comparison
// of BSON values, their canonical Extended JSON, and mongosh's numbers in case files.
#pragma once

#if defined(REEL_JSON_VALUE_EVAL)

#include <cmath>
#include <string>

#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/value.hpp"
#include "reel/json/value.hpp"

namespace value_test {

/// Equal with equal types, recursively; decimals also with the same digits ("200.0" is not
/// "200", as the server prints them); doubles within `tolerance` (relative) when given.
inline bool same_typed(const reel::bson::value& a, const reel::bson::value& b,
                       double tolerance = 0) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case reel::bson::type::document:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a.fields()[i].name() != b.fields()[i].name() ||
            !same_typed(a.fields()[i].val, b.fields()[i].val, tolerance)) {
          return false;
        }
      }
      return true;
    case reel::bson::type::array:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_typed(a.elements()[i], b.elements()[i], tolerance)) return false;
      }
      return true;
    case reel::bson::type::decimal128:
      return reel::bson::decimal_to_string(a.as_decimal()) ==
             reel::bson::decimal_to_string(b.as_decimal());
    case reel::bson::type::double_:
      return reel::bson::compare(a, b) == 0 ||
             std::fabs(a.as_double() - b.as_double()) <= tolerance * std::fabs(b.as_double());
    default:
      return reel::bson::compare(a, b) == 0;
  }
}

/// Canonical Extended JSON, "missing" for the missing value.
inline std::string show(const reel::bson::value& v) {
  if (v.is_missing()) return "missing";
  std::string out;
  reel::bson::write_ejson(out, v, {reel::bson::ejson_format::canonical});
  return out;
}

/// mongosh's numbers are doubles: plain JSON integers of the case files become doubles (int32,
/// int64 and decimals are written as Extended JSON wrappers).
inline reel::json::document as_mongosh(reel::json::document d) {
  if (d.is_number_integer()) return reel::json::document(d.get<double>());
  if (d.is_array() || d.is_object()) {
    for (auto& e : d)
      e = as_mongosh(std::move(e));
  }
  return d;
}

}  // namespace value_test

#endif  // REEL_JSON_VALUE_EVAL
