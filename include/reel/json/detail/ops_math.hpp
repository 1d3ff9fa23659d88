// SPDX-License-Identifier: Apache-2.0
/// \file
/// Trigonometry, bitwise, statistics and random expression operators: `$sin $cos $tan $asin $acos
/// $atan $atan2 $sinh $cosh $tanh $asinh $acosh $atanh $degreesToRadians $radiansToDegrees $bitAnd
/// $bitOr $bitXor $bitNot $rand $createUUID` and the expression forms of `$stdDevPop $stdDevSamp
/// $median $percentile` (the `$group` accumulators of the same names are in `json/accumulators`).
///
/// As in MongoDB: null or missing operands give null, NaN gives NaN, and an operand outside the
/// domain of the function is an error (`$sin` of infinity, `$acos` of 2). Bitwise operators take
/// int and long operands only. `$median`/`$percentile` ignore non-numeric values and use the same
/// nearest-rank percentiles as the accumulators, so every result is one of the inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/ops_arith.hpp"

namespace reel::json::detail {

/// The domain of a one-argument trigonometric function.
enum class trig_domain {
  any,     ///< every number, infinities included
  finite,  ///< (-inf, inf)
  unit,    ///< [-1, 1]
  ge_one,  ///< [1, inf]
};

/// A number in an error message: "inf", "-inf", else the value as given ("2", "1.5").
inline std::string trig_operand_text(const numeric& x) {
  const double d = x.to_double();
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  return x.to_document().dump();
}

template <double (*F)(double), trig_domain Domain>
const document& eval_trig(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  const double v = x.to_double();
  if (std::isnan(v)) {
    out = v;
    return out;
  }
  const char* range = nullptr;
  if (Domain == trig_domain::finite && std::isinf(v)) range = "(-inf,inf)";
  if (Domain == trig_domain::unit && (v < -1 || v > 1)) range = "[-1,1]";
  if (Domain == trig_domain::ge_one && v < 1) range = "[1,inf]";
  if (range) {
    eval_fail(n, "cannot apply " + std::string(n.op) + " to " + trig_operand_text(x) +
                     ", value must be in " + range);
  }
  out = F(v);
  return out;
}

inline double sin_of(double v) noexcept {
  return std::sin(v);
}
inline double cos_of(double v) noexcept {
  return std::cos(v);
}
inline double tan_of(double v) noexcept {
  return std::tan(v);
}
inline double asin_of(double v) noexcept {
  return std::asin(v);
}
inline double acos_of(double v) noexcept {
  return std::acos(v);
}
inline double atan_of(double v) noexcept {
  return std::atan(v);
}
inline double sinh_of(double v) noexcept {
  return std::sinh(v);
}
inline double cosh_of(double v) noexcept {
  return std::cosh(v);
}
inline double tanh_of(double v) noexcept {
  return std::tanh(v);
}
inline double asinh_of(double v) noexcept {
  return std::asinh(v);
}
inline double acosh_of(double v) noexcept {
  return std::acosh(v);
}
inline double atanh_of(double v) noexcept {
  return std::atanh(v);  // ±1 gives ±inf
}
inline double degrees_to_radians(double v) noexcept {
  return v * (std::numbers::pi / 180.0);
}
inline double radians_to_degrees(double v) noexcept {
  return v * (180.0 / std::numbers::pi);
}

inline const document& eval_atan2(const node& n, const scope& s, document& out) {
  numeric y, x;
  if (!two_numbers(n, s, y, x)) return put_null(out);
  out = std::atan2(y.to_double(), x.to_double());
  return out;
}

/// An int or long operand of a bitwise operator.
inline std::int64_t bitwise_operand(const node& n, const document& v) {
  auto x = as_numeric(v);
  if (!x || !x->integral()) {
    eval_fail(n, std::string(n.op) + " only supports int and long operands, not " + type_name(v));
  }
  return x->i;
}

template <int Kind>  // 0 and, 1 or, 2 xor
const document& eval_bitwise(const node& n, const scope& s, document& out) {
  std::int64_t result = Kind == 0 ? -1 : 0;
  for (const node& a : n.args) {
    document t;
    const document& v = ev(a, s, t);
    if (is_nullish(v)) return put_null(out);
    const std::int64_t x = bitwise_operand(n, v);
    result = Kind == 0 ? (result & x) : Kind == 1 ? (result | x) : (result ^ x);
  }
  out = result;
  return out;
}

inline const document& eval_bit_not(const node& n, const scope& s, document& out) {
  document t;
  const document& v = ev(n.args[0], s, t);
  if (is_nullish(v)) return put_null(out);
  out = ~bitwise_operand(n, v);
  return out;
}

/// `$stdDevPop` / `$stdDevSamp` over the numeric operands (Welford, as the accumulators).
template <bool Sample>
const document& eval_std_dev(const node& n, const scope& s, document& out) {
  std::int64_t count = 0;
  double mean = 0, m2 = 0;
  for_each_operand(n, s, [&](const document& v) {
    auto x = as_numeric(v);
    if (!x) return;
    ++count;
    const double delta = x->to_double() - mean;
    mean += delta / static_cast<double>(count);
    m2 += delta * (x->to_double() - mean);
  });
  const std::int64_t divisor = Sample ? count - 1 : count;
  if (divisor <= 0) return put_null(out);
  out = std::sqrt(m2 / static_cast<double>(divisor));
  return out;
}

/// args: input; `value` holds the percentiles (`[0.5]` for `$median`), `slot` is 1 for `$median`.
inline const document& eval_percentile(const node& n, const scope& s, document& out) {
  document t;
  const document& input = ev(n.args[0], s, t);
  std::vector<double> values;
  if (auto x = as_numeric(input)) {
    values.push_back(x->to_double());
  } else if (input.is_array()) {
    for (const auto& e : input) {
      if (auto v = as_numeric(e)) values.push_back(v->to_double());
    }
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double p) -> document {
    if (values.empty()) return nullptr;
    const auto rank =
        static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
    return values[std::min(rank, values.size()) - 1];
  };
  if (n.slot == 1) {
    out = at(0.5);
    return out;
  }
  document result = document::array();
  for (const auto& p : n.value)
    result.push_back(at(p.get<double>()));
  out = std::move(result);
  return out;
}

/// `$median: {input, method}` and `$percentile: {input, p, method}`; `p` and `method` must be
/// constants.
template <bool Median>
node compile_percentile(compiler& c, const op_spec& spec, const document& arg,
                        const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  const std::string base = pointer_append(where, spec.name);
  std::vector<node> args =
      Median ? compile_named(c, spec.name, arg, where, {{"input", true}, {"method", true}})
             : compile_named(c, spec.name, arg, where,
                             {{"input", true}, {"p", true}, {"method", true}});
  const node& method = args.back();
  if (!method.constant || !method.value.is_string() ||
      (method.value != "approximate" && method.value != "discrete" &&
       method.value != "continuous")) {
    bad_arguments(pointer_append(base, "method"),
                  std::string(spec.name) +
                      " requires 'method' to be 'approximate', 'discrete' or 'continuous'");
  }
  if (Median) {
    n.slot = 1;
    n.value = document::array({0.5});
  } else {
    const node& p = args[1];
    const std::string pw = pointer_append(base, "p");
    if (!p.constant || !p.value.is_array() || p.value.empty()) {
      bad_arguments(pw,
                    "$percentile requires 'p' to be a constant, non-empty array of numbers "
                    "between 0 and 1");
    }
    n.value = document::array();
    for (const auto& v : p.value) {
      auto x = as_numeric(v);
      if (!x || !(x->to_double() >= 0 && x->to_double() <= 1)) {
        bad_arguments(
            pw, "$percentile requires 'p' values to be numbers between 0 and 1, found " + v.dump());
      }
      n.value.push_back(x->to_double());
    }
  }
  n.args.push_back(std::move(args[0]));
  return n;
}

/// A random version 4 UUID (RFC 4122) as BSON binary subtype 4.
inline const document& eval_create_uuid(const node&, const scope&, document& out) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t r = engine();
    for (int k = 0; k < 8; ++k)
      bytes[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  out = make_binary(bytes, sizeof bytes, 4);
  return out;
}

/// Operators without arguments (`$rand: {}`, `$createUUID: {}`); never folded.
inline node compile_no_arguments(compiler&, const op_spec& spec, const document& arg,
                                 const std::string& where) {
  if (!(arg.is_object() || arg.is_array()) || !arg.empty()) {
    bad_arguments(where, std::string(spec.name) + " does not accept arguments; use " +
                             std::string(spec.name) + ": {}");
  }
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  return n;
}

/// A uniform double in [0, 1).
inline const document& eval_rand(const node&, const scope&, document& out) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  out = static_cast<double>(engine() >> 11) * 0x1.0p-53;
  return out;
}

inline void register_math_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$sin", &eval_trig<&sin_of, trig_domain::finite>, 1, 1});
  add_op({"$cos", &eval_trig<&cos_of, trig_domain::finite>, 1, 1});
  add_op({"$tan", &eval_trig<&tan_of, trig_domain::finite>, 1, 1});
  add_op({"$asin", &eval_trig<&asin_of, trig_domain::unit>, 1, 1});
  add_op({"$acos", &eval_trig<&acos_of, trig_domain::unit>, 1, 1});
  add_op({"$atan", &eval_trig<&atan_of, trig_domain::any>, 1, 1});
  add_op({"$atan2", &eval_atan2, 2, 2});
  add_op({"$sinh", &eval_trig<&sinh_of, trig_domain::any>, 1, 1});
  add_op({"$cosh", &eval_trig<&cosh_of, trig_domain::any>, 1, 1});
  add_op({"$tanh", &eval_trig<&tanh_of, trig_domain::any>, 1, 1});
  add_op({"$asinh", &eval_trig<&asinh_of, trig_domain::any>, 1, 1});
  add_op({"$acosh", &eval_trig<&acosh_of, trig_domain::ge_one>, 1, 1});
  add_op({"$atanh", &eval_trig<&atanh_of, trig_domain::unit>, 1, 1});
  add_op({"$degreesToRadians", &eval_trig<&degrees_to_radians, trig_domain::any>, 1, 1});
  add_op({"$radiansToDegrees", &eval_trig<&radians_to_degrees, trig_domain::any>, 1, 1});
  add_op({"$bitAnd", &eval_bitwise<0>, 0, -1});
  add_op({"$bitOr", &eval_bitwise<1>, 0, -1});
  add_op({"$bitXor", &eval_bitwise<2>, 0, -1});
  add_op({"$bitNot", &eval_bit_not, 1, 1});
  add_op({"$stdDevPop", &eval_std_dev<false>, 0, -1});
  add_op({"$stdDevSamp", &eval_std_dev<true>, 0, -1});
  add_op({"$median", &eval_percentile, 1, 1, &compile_percentile<true>});
  add_op({"$percentile", &eval_percentile, 1, 1, &compile_percentile<false>});
  add_op({"$rand", &eval_rand, 1, 1, &compile_no_arguments, false});
  add_op({"$createUUID", &eval_create_uuid, 1, 1, &compile_no_arguments, false});
}

}  // namespace reel::json::detail
