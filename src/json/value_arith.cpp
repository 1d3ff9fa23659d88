// SPDX-License-Identifier: Apache-2.0
/// \file
/// The arithmetic operators on the value model (detail/value_eval.hpp): `$add $subtract
/// $multiply $divide $mod $abs $ceil $floor $round $trunc $sqrt $pow $exp $ln $log $log10` and
/// the expression forms of `$sum $avg $min $max`, on
/// `bson::number` with MongoDB's rules (bson/numeric.hpp): int32 → int64 → double on overflow,
/// Decimal128 arithmetic in decimal, doubles rounded through 34 digits by `$round`/`$trunc`.
/// The messages are the nlohmann operators' (detail/ops_arith.hpp).

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

using bson::number;
using bson::value;

/// `bson::number::of`, inline: the operands of the common cases (int32, int64, double) are read
/// without a call into reel::bson.
inline std::optional<number> number_of(const value& v) noexcept {
  switch (v.type()) {
    case bson::type::int32:
      return number::int32(v.as_int32());
    case bson::type::int64:
      return number::int64(v.as_int64());
    case bson::type::double_:
      return number::double_(v.as_double());
    case bson::type::decimal128:
      return number::decimal(v.as_decimal());
    default:
      return std::nullopt;
  }
}

/// A number as a double without a call, for the common double operand.
inline double as_double_inline(const number& x) noexcept {
  return x.type == bson::type::double_ ? x.d : static_cast<double>(x.i);
}

/// The double fast path of `$add`/`$multiply`: a double operand met by a double or an integer
/// total gives a double, as `bson::add`/`bson::multiply` do (`Multiply` chooses the operation).
template <bool Multiply>
inline bool double_step(number& total, const value& v) noexcept {
  if (v.type() != bson::type::double_ || total.type == bson::type::decimal128) return false;
  const double x = as_double_inline(total);
  total = number::double_(Multiply ? x * v.as_double() : x + v.as_double());
  return true;
}

std::string type_of_value(const value& v) {
  return value_type_name(v);
}

[[noreturn]] void not_numeric(const node& n, const value& v, bool dates = false) {
  eval_fail(n, std::string(n.op) + " only supports numeric" + (dates ? " or date" : "") +
                   " types, not " + type_of_value(v));
}
[[noreturn]] void not_numeric2(const node& n, const value& a, const value& b, bool dates = false) {
  eval_fail(n, std::string(n.op) + " only supports numeric" + (dates ? " or date" : "") +
                   " types, not " + type_of_value(a) + " and " + type_of_value(b));
}

/// A number's text as the messages show it (`-1`, `0.5`, `NumberDecimal("-1")`).
std::string number_text(const number& x) {
  if (x.type == bson::type::decimal128) {
    return "NumberDecimal(\"" + bson::decimal_to_string(x.dec) + "\")";
  }
  return bson::number_to_string(x);
}

/// Milliseconds to add to a date: integers as they are, doubles and decimals rounded half away
/// from zero (the server's `llround`).
std::int64_t millis_delta(const node& n, const number& x) {
  if (x.type == bson::type::int32 || x.type == bson::type::int64) return x.i;
  const double d = x.as_double();
  if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) {
    eval_fail(n, std::string(n.op) + ": date overflow");
  }
  return std::llround(d);
}

value put(const number& x, const value_scope& s) {
  return x.to_value(*s.memory);
}

value add_op(const node& n, const value_scope& s) {
  number total = number::int32(0);
  std::optional<std::int64_t> date;
  for (const node& a : n.args) {
    const value v = vev(a, s);
    if (v.is_nullish()) return value::null();
    if (double_step<false>(total, v)) continue;
    if (auto x = number_of(v)) {
      total = bson::add(total, *x);
    } else if (v.type() == bson::type::date) {
      if (date) eval_fail(n, "only one date allowed in an $add expression");
      date = v.as_date();
    } else {
      not_numeric(n, v, true);
    }
  }
  if (!date) return put(total, s);
  std::int64_t ms = 0;
  if (__builtin_add_overflow(*date, millis_delta(n, total), &ms)) {
    eval_fail(n, "$add: date overflow");
  }
  return value::date(ms);
}

value subtract_op(const node& n, const value_scope& s) {
  const value a = vev(n.args[0], s);
  const value b = vev(n.args[1], s);
  if (a.is_nullish() || b.is_nullish()) return value::null();
  const auto na = number_of(a), nb = number_of(b);
  if (na && nb) return put(bson::subtract(*na, *nb), s);
  if (a.type() == bson::type::date) {
    std::int64_t r = 0;
    if (b.type() == bson::type::date) {
      if (__builtin_sub_overflow(a.as_date(), b.as_date(), &r)) {
        eval_fail(n, "$subtract: date overflow");
      }
      return value::int64(r);  // the server's difference of two dates is a long
    }
    if (nb) {
      if (__builtin_sub_overflow(a.as_date(), millis_delta(n, *nb), &r)) {
        eval_fail(n, "$subtract: date overflow");
      }
      return value::date(r);
    }
  }
  if (na && b.type() == bson::type::date) {
    eval_fail(n, "can't $subtract a date from " + type_of_value(a));
  }
  not_numeric2(n, a, b, true);
}

value multiply_op(const node& n, const value_scope& s) {
  number total = number::int32(1);
  for (const node& a : n.args) {
    const value v = vev(a, s);
    if (v.is_nullish()) return value::null();
    if (double_step<true>(total, v)) continue;
    auto x = number_of(v);
    if (!x) not_numeric(n, v);
    total = bson::multiply(total, *x);
  }
  return put(total, s);
}

/// The two numeric operands; empty when either is null or missing (the result is null).
std::optional<std::pair<number, number>> two_numbers(const node& n, const value_scope& s) {
  const value a = vev(n.args[0], s);
  const value b = vev(n.args[1], s);
  if (a.is_nullish() || b.is_nullish()) return std::nullopt;
  auto na = number_of(a), nb = number_of(b);
  if (!na || !nb) not_numeric2(n, a, b);
  return std::pair{*na, *nb};
}

/// The single numeric operand; empty when null or missing.
std::optional<number> one_number(const node& n, const value_scope& s) {
  const value v = vev(n.args[0], s);
  if (v.is_nullish()) return std::nullopt;
  auto x = number_of(v);
  if (!x) not_numeric(n, v);
  return x;
}

value divide_op(const node& n, const value_scope& s) {
  auto ab = two_numbers(n, s);
  if (!ab) return value::null();
  auto r = bson::divide(ab->first, ab->second);
  if (!r) eval_fail(n, "can't $divide by zero");
  return put(*r, s);
}

value mod_op(const node& n, const value_scope& s) {
  auto ab = two_numbers(n, s);
  if (!ab) return value::null();
  auto r = bson::mod(ab->first, ab->second);
  if (!r) eval_fail(n, "can't $mod by zero");
  return put(*r, s);
}

bool is_integer(const number& x) noexcept {
  return x.type == bson::type::int32 || x.type == bson::type::int64;
}

bson::decimal128 decimal_abs(bson::decimal128 d) noexcept {
  d.bytes[15] &= 0x7F;  // BID: the sign is the top bit of the little-endian 128-bit word
  return d;
}

value abs_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  switch (x->type) {
    case bson::type::double_:
      return value::double_(std::fabs(x->d));
    case bson::type::decimal128:
      return put(number::decimal(decimal_abs(x->dec)), s);
    default: {
      if (x->i == std::numeric_limits<std::int64_t>::min()) {
        eval_fail(n, "can't take $abs of long long min");
      }
      const std::int64_t r = x->i < 0 ? -x->i : x->i;
      if (x->type == bson::type::int32 && r <= std::numeric_limits<std::int32_t>::max()) {
        return value::int32(static_cast<std::int32_t>(r));
      }
      return value::int64(r);  // |INT32_MIN| becomes a long, as the server's createIntOrLong
    }
  }
}

/// `$ceil` (Up) and `$floor`: integers unchanged, doubles by the C library, decimals exactly.
template <bool Up>
value ceil_floor_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  if (x->type == bson::type::double_)
    return value::double_(Up ? std::ceil(x->d) : std::floor(x->d));
  if (x->type != bson::type::decimal128) return put(*x, s);
  if (bson::decimal_is_nan(x->dec) || bson::decimal_is_infinite(x->dec)) return put(*x, s);
  bson::decimal128 t = bson::decimal_round(x->dec, 0, bson::rounding::toward_zero);
  const int c = bson::decimal_compare(x->dec, t);
  if (Up && c > 0) t = bson::decimal_add(t, bson::decimal_from_int64(1));
  if (!Up && c < 0) t = bson::decimal_subtract(t, bson::decimal_from_int64(1));
  return put(number::decimal(t), s);
}

/// The `place` operand of `$round`/`$trunc`: an integral number.
std::optional<std::int64_t> integral_value(const value& v) {
  auto x = number_of(v);
  if (!x) return std::nullopt;
  if (is_integer(*x)) return x->i;
  const double d = x->as_double();
  if (!std::isfinite(d) || d != std::trunc(d) || d >= 9.2e18 || d <= -9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

template <bson::rounding Mode>
value round_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  std::int64_t place = 0;
  if (n.args.size() > 1) {
    const value p = vev(n.args[1], s);
    if (p.is_nullish()) return value::null();
    auto pi = integral_value(p);
    if (!pi || *pi < -20 || *pi > 100) {
      eval_fail(n, std::string(n.op) + " requires 'place' to be an integer between -20 and 100");
    }
    place = *pi;
  }
  if (auto r = bson::round(*x, static_cast<int>(place), Mode)) return put(*r, s);
  // An integer carried out of its type by a negative place: a long, else a double.
  const bson::decimal128 r =
      bson::decimal_round(bson::decimal_from_int64(x->i), static_cast<int>(place), Mode);
  if (auto back = bson::decimal_to_int64(r)) return value::int64(*back);
  return value::double_(bson::decimal_to_double(r));
}

/// A function of one double (`$sqrt`, `$exp`, `$ln`, `$log10`): a double, or a decimal for a
/// decimal operand (computed in double: libgcc's decimal library has no transcendental
/// functions; docs/document-model.md §7).
value real_result(const number& x, double r, const value_scope& s) {
  if (x.type == bson::type::decimal128) {
    return put(number::decimal(bson::decimal_from_double(r)), s);
  }
  return value::double_(r);
}

value sqrt_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  if (x->as_double() < 0) eval_fail(n, "$sqrt's argument must be greater than or equal to 0");
  return real_result(*x, std::sqrt(x->as_double()), s);
}

value exp_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  return real_result(*x, std::exp(x->as_double()), s);
}

template <int Base>  // 0 = natural
value log1_op(const node& n, const value_scope& s) {
  auto x = one_number(n, s);
  if (!x) return value::null();
  const double v = x->as_double();
  if (!(v > 0)) {
    eval_fail(
        n, std::string(n.op) + "'s argument must be a positive number, but is " + number_text(*x));
  }
  return real_result(*x, Base == 10 ? std::log10(v) : std::log(v), s);
}

value log_op(const node& n, const value_scope& s) {
  auto xb = two_numbers(n, s);
  if (!xb) return value::null();
  const auto& [x, b] = *xb;
  if (!(x.as_double() > 0)) {
    eval_fail(n, "$log's argument must be a positive number, but is " + number_text(x));
  }
  if (!(b.as_double() > 0) || b.as_double() == 1) {
    eval_fail(n, "$log's base must be a positive number not equal to 1, but is " + number_text(b));
  }
  const double r = std::log(x.as_double()) / std::log(b.as_double());
  return real_result(x.type == bson::type::decimal128 ? x : b, r, s);
}

value pow_op(const node& n, const value_scope& s) {
  auto be = two_numbers(n, s);
  if (!be) return value::null();
  const auto& [b, e] = *be;
  if (b.as_double() == 0 && e.as_double() < 0) {
    eval_fail(n, "$pow cannot take a base of 0 and a negative exponent");
  }
  if (b.type == bson::type::decimal128 || e.type == bson::type::decimal128) {
    return put(number::decimal(bson::decimal_from_double(std::pow(b.as_double(), e.as_double()))),
               s);
  }
  if (!is_integer(b) || !is_integer(e)) {
    return value::double_(std::pow(b.as_double(), e.as_double()));
  }
  // Integers: a long when either is a long, else an int while the result fits.
  const bool is_long = b.type == bson::type::int64 || e.type == bson::type::int64;
  auto integer = [&](std::int64_t r) {
    if (!is_long && r >= std::numeric_limits<std::int32_t>::min() &&
        r <= std::numeric_limits<std::int32_t>::max()) {
      return value::int32(static_cast<std::int32_t>(r));
    }
    return value::int64(r);
  };
  if (e.i < 0) {
    if (b.i == 1) return integer(1);
    if (b.i == -1) return integer(e.i % 2 == 0 ? 1 : -1);
    return value::double_(std::pow(static_cast<double>(b.i), static_cast<double>(e.i)));
  }
  std::int64_t result = 1, base = b.i, exp = e.i;
  bool overflow = false;
  while (exp > 0 && !overflow) {
    if (exp & 1) overflow = __builtin_mul_overflow(result, base, &result);
    exp >>= 1;
    if (exp > 0 && !overflow) overflow = __builtin_mul_overflow(base, base, &base);
  }
  if (!overflow) return integer(result);
  return value::double_(std::pow(static_cast<double>(b.i), static_cast<double>(e.i)));
}

value sum_op(const node& n, const value_scope& s) {
  bson::sum_accumulator total;
  for_each_value_operand(n, s, [&](const value& v) { total.add(v); });
  return put(total.sum(), s);
}

value avg_op(const node& n, const value_scope& s) {
  bson::sum_accumulator total;
  for_each_value_operand(n, s, [&](const value& v) { total.add(v); });
  const auto average = total.average();
  return average ? put(*average, s) : value::null();
}

template <int Sign>
value min_max_op(const node& n, const value_scope& s) {
  value best = value::null();
  bool have = false;
  for_each_value_operand(n, s, [&](const value& v) {
    if (v.is_nullish()) return;
    if (!have || Sign * bson::compare(v, best) > 0) {
      best = v;
      have = true;
    }
  });
  return best;
}

}  // namespace

void register_value_arith_ops(value_op_table& t) {
  t.emplace("$add", &add_op);
  t.emplace("$subtract", &subtract_op);
  t.emplace("$multiply", &multiply_op);
  t.emplace("$divide", &divide_op);
  t.emplace("$mod", &mod_op);
  t.emplace("$abs", &abs_op);
  t.emplace("$ceil", &ceil_floor_op<true>);
  t.emplace("$floor", &ceil_floor_op<false>);
  t.emplace("$round", &round_op<bson::rounding::half_even>);
  t.emplace("$trunc", &round_op<bson::rounding::toward_zero>);
  t.emplace("$sqrt", &sqrt_op);
  t.emplace("$exp", &exp_op);
  t.emplace("$ln", &log1_op<0>);
  t.emplace("$log10", &log1_op<10>);
  t.emplace("$log", &log_op);
  t.emplace("$pow", &pow_op);
  t.emplace("$sum", &sum_op);
  t.emplace("$avg", &avg_op);
  t.emplace("$min", &min_max_op<-1>);
  t.emplace("$max", &min_max_op<1>);
}

}  // namespace reel::json::detail
