// SPDX-License-Identifier: Apache-2.0
/// \file
/// Arithmetic expression operators: `$add $subtract $multiply $divide $mod $abs $ceil $floor
/// $round $trunc $sqrt $pow $exp $ln $log $log10` and the expression forms of `$sum $avg $min
/// $max`. Integers stay integers; int overflow promotes to long, long overflow to double.
#pragma once

#include <cmath>
#include <unordered_map>

#include "reel/json/detail/expr_core.hpp"

namespace reel::json::detail {

inline const document& put(document& out, const numeric& v) {
  out = v.to_document();
  return out;
}
inline const document& put_null(document& out) {
  out = nullptr;
  return out;
}

/// `[[noreturn]]` "`op` only supports numeric types, not `t`".
[[noreturn]] inline void not_numeric(const node& n, const document& v, bool dates = false) {
  eval_fail(n, std::string(n.op) + " only supports numeric" + (dates ? " or date" : "") +
                   " types, not " + type_name(v));
}
[[noreturn]] inline void not_numeric2(const node& n, const document& a, const document& b,
                                      bool dates = false) {
  eval_fail(n, std::string(n.op) + " only supports numeric" + (dates ? " or date" : "") +
                   " types, not " + type_name(a) + " and " + type_name(b));
}

inline std::int64_t millis_from_double(const node& n, double d) {
  if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18)
    eval_fail(n, std::string(n.op) + ": date overflow");
  return std::llround(d);
}

inline const document& eval_add(const node& n, const scope& s, document& out) {
  numeric total = numeric::from_int(0);
  std::optional<std::int64_t> date;
  for (const node& a : n.args) {
    document tmp;
    const document& v = ev(a, s, tmp);
    if (is_nullish(v)) return put_null(out);
    if (auto x = as_numeric(v)) {
      total = add(total, *x);
    } else if (is_date(v)) {
      if (date) eval_fail(n, "only one date allowed in an $add expression");
      date = date_millis_of(v).value_or(0);
    } else {
      not_numeric(n, v, true);
    }
  }
  if (!date) return put(out, total);
  std::int64_t ms = 0;
  const std::int64_t delta = total.integral() ? total.i : millis_from_double(n, total.d);
  if (__builtin_add_overflow(*date, delta, &ms)) eval_fail(n, "$add: date overflow");
  out = make_date(from_millis(ms));
  return out;
}

inline const document& eval_subtract(const node& n, const scope& s, document& out) {
  document ta, tb;
  const document& a = ev(n.args[0], s, ta);
  const document& b = ev(n.args[1], s, tb);
  if (is_nullish(a) || is_nullish(b)) return put_null(out);
  const auto na = as_numeric(a), nb = as_numeric(b);
  if (na && nb) return put(out, subtract(*na, *nb));
  if (is_date(a)) {
    const std::int64_t da = date_millis_of(a).value_or(0);
    std::int64_t r = 0;
    if (is_date(b)) {
      if (__builtin_sub_overflow(da, date_millis_of(b).value_or(0), &r)) {
        eval_fail(n, "$subtract: date overflow");
      }
      out = r;
      return out;
    }
    if (nb) {
      const std::int64_t delta = nb->integral() ? nb->i : millis_from_double(n, nb->d);
      if (__builtin_sub_overflow(da, delta, &r)) eval_fail(n, "$subtract: date overflow");
      out = make_date(from_millis(r));
      return out;
    }
  }
  if (na && is_date(b)) eval_fail(n, "can't $subtract a date from " + type_name(a));
  not_numeric2(n, a, b, true);
}

inline const document& eval_multiply(const node& n, const scope& s, document& out) {
  numeric total = numeric::from_int(1);
  for (const node& a : n.args) {
    document tmp;
    const document& v = ev(a, s, tmp);
    if (is_nullish(v)) return put_null(out);
    auto x = as_numeric(v);
    if (!x) not_numeric(n, v);
    total = multiply(total, *x);
  }
  return put(out, total);
}

/// Evaluates two numeric operands; false when either is null/missing (result null).
inline bool two_numbers(const node& n, const scope& s, numeric& x, numeric& y) {
  document ta, tb;
  const document& a = ev(n.args[0], s, ta);
  const document& b = ev(n.args[1], s, tb);
  if (is_nullish(a) || is_nullish(b)) return false;
  auto na = as_numeric(a), nb = as_numeric(b);
  if (!na || !nb) not_numeric2(n, a, b);
  x = *na;
  y = *nb;
  return true;
}

inline const document& eval_divide(const node& n, const scope& s, document& out) {
  numeric a, b;
  if (!two_numbers(n, s, a, b)) return put_null(out);
  if (b.to_double() == 0.0) eval_fail(n, "can't $divide by zero");
  out = a.to_double() / b.to_double();
  return out;
}

inline const document& eval_mod(const node& n, const scope& s, document& out) {
  numeric a, b;
  if (!two_numbers(n, s, a, b)) return put_null(out);
  if (b.to_double() == 0.0) eval_fail(n, "can't $mod by zero");
  if (a.integral() && b.integral()) {
    if (b.i == -1) return put(out, numeric::from_int(0));
    return put(out, numeric::from_int(a.i % b.i));
  }
  return put(out, numeric{wider(a.k, b.k), 0, std::fmod(a.to_double(), b.to_double())});
}

/// Evaluates the single numeric operand; false when null/missing.
inline bool one_number(const node& n, const scope& s, numeric& x) {
  document t;
  const document& v = ev(n.args[0], s, t);
  if (is_nullish(v)) return false;
  auto nv = as_numeric(v);
  if (!nv) not_numeric(n, v);
  x = *nv;
  return true;
}

inline const document& eval_abs(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  if (x.integral()) {
    if (x.i == INT64_MIN) eval_fail(n, "can't take $abs of long long min");
    return put(out, numeric::from_int(x.i < 0 ? -x.i : x.i));
  }
  x.d = std::fabs(x.d);
  return put(out, x);
}

inline double ceil_of(double v) noexcept {
  return std::ceil(v);
}
inline double floor_of(double v) noexcept {
  return std::floor(v);
}

template <double (*F)(double)>
const document& eval_int_preserving(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  if (!x.integral()) x.d = F(x.d);
  return put(out, x);
}

inline double round_half_even(double v) noexcept {
  const double r = std::round(v);
  if (std::fabs(v - std::trunc(v)) == 0.5) return 2.0 * std::round(v / 2.0);
  return r;
}

template <bool Round>
const document& eval_round_trunc(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  std::int64_t place = 0;
  if (n.args.size() > 1) {
    document t;
    const document& p = ev(n.args[1], s, t);
    if (is_nullish(p)) return put_null(out);
    auto pi = integral_of(p);
    if (!pi || *pi < -20 || *pi > 100) {
      eval_fail(n, std::string(n.op) + " requires 'place' to be an integer between -20 and 100");
    }
    place = *pi;
  }
  if (x.integral()) {
    if (place >= 0) return put(out, x);
    std::int64_t scale = 1;
    for (std::int64_t i = 0; i < -place; ++i) {
      if (__builtin_mul_overflow(scale, 10, &scale)) return put(out, numeric::from_int(0));
    }
    std::int64_t q = x.i / scale;
    const std::int64_t r = x.i % scale;
    if (Round) {
      const std::int64_t twice = (r < 0 ? -r : r) * 2;  // r < scale <= 1e18: no overflow
      if (twice > scale || (twice == scale && (q % 2 != 0))) q += (x.i < 0 ? -1 : 1);
    }
    std::int64_t res = 0;
    if (__builtin_mul_overflow(q, scale, &res)) {
      return put(out, numeric::from_double(static_cast<double>(q) * static_cast<double>(scale)));
    }
    return put(out, numeric{x.k, res, 0});
  }
  if (!std::isfinite(x.d)) return put(out, x);
  const double scale = std::pow(10.0, static_cast<double>(place < 0 ? -place : place));
  const double scaled = place >= 0 ? x.d * scale : x.d / scale;
  const double r = Round ? round_half_even(scaled) : std::trunc(scaled);
  const double result = place >= 0 ? r / scale : r * scale;
  if (std::isfinite(result)) x.d = result;
  return put(out, x);
}

inline const document& eval_sqrt(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  if (x.to_double() < 0) eval_fail(n, "$sqrt's argument must be greater than or equal to 0");
  out = std::sqrt(x.to_double());
  return out;
}

inline const document& eval_exp(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  out = std::exp(x.to_double());
  return out;
}

template <int Base>  // 0 = natural
const document& eval_log1(const node& n, const scope& s, document& out) {
  numeric x;
  if (!one_number(n, s, x)) return put_null(out);
  const double v = x.to_double();
  if (!(v > 0)) {
    eval_fail(n, std::string(n.op) + "'s argument must be a positive number, but is " +
                     document(x.to_document()).dump());
  }
  out = Base == 10 ? std::log10(v) : std::log(v);
  return out;
}

inline const document& eval_log(const node& n, const scope& s, document& out) {
  numeric x, b;
  if (!two_numbers(n, s, x, b)) return put_null(out);
  if (!(x.to_double() > 0)) {
    eval_fail(n, "$log's argument must be a positive number, but is " + x.to_document().dump());
  }
  if (!(b.to_double() > 0) || b.to_double() == 1) {
    eval_fail(n, "$log's base must be a positive number not equal to 1, but is " +
                     b.to_document().dump());
  }
  out = std::log(x.to_double()) / std::log(b.to_double());
  return out;
}

inline const document& eval_pow(const node& n, const scope& s, document& out) {
  numeric b, e;
  if (!two_numbers(n, s, b, e)) return put_null(out);
  if (b.to_double() == 0 && e.to_double() < 0) {
    eval_fail(n, "$pow cannot take a base of 0 and a negative exponent");
  }
  if (b.integral() && e.integral()) {
    if (e.i < 0) {
      if (b.i == 1) return put(out, numeric::from_int(1));
      if (b.i == -1) return put(out, numeric::from_int(e.i % 2 == 0 ? 1 : -1));
      out = std::pow(static_cast<double>(b.i), static_cast<double>(e.i));
      return out;
    }
    std::int64_t result = 1, base = b.i, exp = e.i;
    bool overflow = false;
    while (exp > 0 && !overflow) {
      if (exp & 1) overflow = __builtin_mul_overflow(result, base, &result);
      exp >>= 1;
      if (exp > 0 && !overflow) overflow = __builtin_mul_overflow(base, base, &base);
    }
    if (!overflow) return put(out, numeric::from_int(result));
    out = std::pow(static_cast<double>(b.i), static_cast<double>(e.i));
    return out;
  }
  return put(out, numeric{wider(b.k, e.k), 0, std::pow(b.to_double(), e.to_double())});
}

/// Calls `f(value)` for the operands of `$sum`-like operators: the elements of a single array
/// operand, or else each operand.
template <class F>
void for_each_operand(const node& n, const scope& s, F&& f) {
  if (n.args.size() == 1) {
    document t;
    const document& v = ev(n.args[0], s, t);
    if (v.is_array()) {
      for (const auto& e : v)
        f(e);
    } else {
      f(v);
    }
    return;
  }
  for (const node& a : n.args) {
    document t;
    f(ev(a, s, t));
  }
}

inline const document& eval_sum(const node& n, const scope& s, document& out) {
  numeric total = numeric::from_int(0);
  for_each_operand(n, s, [&](const document& v) {
    if (auto x = as_numeric(v)) total = add(total, *x);
  });
  return put(out, total);
}

inline const document& eval_avg(const node& n, const scope& s, document& out) {
  numeric total = numeric::from_int(0);
  std::int64_t count = 0;
  for_each_operand(n, s, [&](const document& v) {
    if (auto x = as_numeric(v)) {
      total = add(total, *x);
      ++count;
    }
  });
  if (count == 0) return put_null(out);
  out = total.to_double() / static_cast<double>(count);
  return out;
}

template <int Sign>
const document& eval_min_max(const node& n, const scope& s, document& out) {
  bool have = false;
  for_each_operand(n, s, [&](const document& v) {
    if (is_nullish(v)) return;
    if (!have || Sign * compare_values(v, out) > 0) {
      out = v;
      have = true;
    }
  });
  if (!have) out = nullptr;
  return out;
}

inline void register_arith_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$add", &eval_add, 0, -1});
  add_op({"$subtract", &eval_subtract, 2, 2});
  add_op({"$multiply", &eval_multiply, 0, -1});
  add_op({"$divide", &eval_divide, 2, 2});
  add_op({"$mod", &eval_mod, 2, 2});
  add_op({"$abs", &eval_abs, 1, 1});
  add_op({"$ceil", &eval_int_preserving<&ceil_of>, 1, 1});
  add_op({"$floor", &eval_int_preserving<&floor_of>, 1, 1});
  add_op({"$round", &eval_round_trunc<true>, 1, 2});
  add_op({"$trunc", &eval_round_trunc<false>, 1, 2});
  add_op({"$sqrt", &eval_sqrt, 1, 1});
  add_op({"$pow", &eval_pow, 2, 2});
  add_op({"$exp", &eval_exp, 1, 1});
  add_op({"$ln", &eval_log1<0>, 1, 1});
  add_op({"$log10", &eval_log1<10>, 1, 1});
  add_op({"$log", &eval_log, 2, 2});
  add_op({"$sum", &eval_sum, 0, -1});
  add_op({"$avg", &eval_avg, 0, -1});
  add_op({"$min", &eval_min_max<-1>, 0, -1});
  add_op({"$max", &eval_min_max<1>, 0, -1});
}

}  // namespace reel::json::detail
