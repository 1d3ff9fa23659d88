// SPDX-License-Identifier: Apache-2.0
#include "reel/bson/numeric.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "reel/bson/ejson.hpp"

namespace reel::bson {
namespace {

constexpr std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();

int rank(bson::type t) noexcept {
  switch (t) {
    case type::int32:
      return 0;
    case type::int64:
      return 1;
    case type::double_:
      return 2;
    default:
      return 3;
  }
}
bson::type wider(bson::type a, bson::type b) noexcept {
  return rank(a) >= rank(b) ? a : b;
}

/// An integer result of type `t` (int32 or int64), promoted when it does not fit.
number integer_of(bson::type t, std::int64_t n) noexcept {
  if (t == type::int32 && n >= int32_min && n <= int32_max)
    return number::int32(static_cast<std::int32_t>(n));
  return number::int64(n);
}

template <class IntOp, class DoubleOp, class DecimalOp>
number arithmetic(const number& a, const number& b, IntOp int_op, DoubleOp double_op,
                  DecimalOp decimal_op) {
  const bson::type t = wider(a.type, b.type);
  if (t == type::decimal128) return number::decimal(decimal_op(a.as_decimal(), b.as_decimal()));
  if (t == type::double_) return number::double_(double_op(a.as_double(), b.as_double()));
  std::int64_t out;
  if (int_op(a.i, b.i, &out)) {  // overflowed int64: the server goes to double
    return number::double_(double_op(static_cast<double>(a.i), static_cast<double>(b.i)));
  }
  return integer_of(t, out);
}

std::optional<std::int64_t> parse_integer_text(std::string_view s) noexcept {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

decimal128 decimal_of_int128(int128 n) {
  if (n >= std::numeric_limits<std::int64_t>::min() &&
      n <= std::numeric_limits<std::int64_t>::max()) {
    return decimal_from_int64(static_cast<std::int64_t>(n));
  }
  // Beyond int64: 2^64·high + low, computed by the decimal library.
  const bool negative = n < 0;
  const uint128 m = negative ? -static_cast<uint128>(n) : static_cast<uint128>(n);
  const auto high = static_cast<std::int64_t>(m >> 62);
  const auto low = static_cast<std::int64_t>(m & ((std::uint64_t{1} << 62) - 1));
  const decimal128 two62 = decimal_from_int64(std::int64_t{1} << 62);
  decimal128 r =
      decimal_add(decimal_multiply(decimal_from_int64(high), two62), decimal_from_int64(low));
  return negative ? decimal_subtract(decimal_from_int64(0), r) : r;
}

}  // namespace

std::optional<number> number::of(const value& v) noexcept {
  switch (v.type()) {
    case type::int32:
      return int32(v.as_int32());
    case type::int64:
      return int64(v.as_int64());
    case type::double_:
      return double_(v.as_double());
    case type::decimal128:
      return decimal(v.as_decimal());
    default:
      return std::nullopt;
  }
}

value number::to_value(arena& memory) const {
  switch (type) {
    case type::int32:
      return value::int32(static_cast<std::int32_t>(i));
    case type::int64:
      return value::int64(i);
    case type::double_:
      return value::double_(d);
    default:
      return memory.decimal(dec);
  }
}

double number::as_double() const noexcept {
  switch (type) {
    case type::double_:
      return d;
    case type::decimal128:
      return decimal_to_double(dec);
    default:
      return static_cast<double>(i);
  }
}

decimal128 number::as_decimal() const {
  switch (type) {
    case type::double_:
      return decimal_from_double(d, double_digits::fifteen);
    case type::decimal128:
      return dec;
    default:
      return decimal_from_int64(i);
  }
}

number add(const number& a, const number& b) {
  return arithmetic(
      a, b,
      [](std::int64_t x, std::int64_t y, std::int64_t* r) {
        return __builtin_add_overflow(x, y, r);
      },
      [](double x, double y) { return x + y; }, decimal_add);
}
number subtract(const number& a, const number& b) {
  return arithmetic(
      a, b,
      [](std::int64_t x, std::int64_t y, std::int64_t* r) {
        return __builtin_sub_overflow(x, y, r);
      },
      [](double x, double y) { return x - y; }, decimal_subtract);
}
number multiply(const number& a, const number& b) {
  return arithmetic(
      a, b,
      [](std::int64_t x, std::int64_t y, std::int64_t* r) {
        return __builtin_mul_overflow(x, y, r);
      },
      [](double x, double y) { return x * y; }, decimal_multiply);
}

std::optional<number> divide(const number& a, const number& b) {
  if (wider(a.type, b.type) == type::decimal128) {
    const decimal128 divisor = b.as_decimal();
    if (decimal_is_zero(divisor)) return std::nullopt;
    return number::decimal(decimal_divide(a.as_decimal(), divisor));
  }
  const double divisor = b.as_double();
  if (divisor == 0) return std::nullopt;
  return number::double_(a.as_double() / divisor);
}

std::optional<number> mod(const number& a, const number& b) {
  const bson::type t = wider(a.type, b.type);
  if (t == type::decimal128) {
    const decimal128 divisor = b.as_decimal();
    if (decimal_is_zero(divisor)) return std::nullopt;
    return number::decimal(decimal_modulo(a.as_decimal(), divisor));
  }
  if (t == type::double_) {
    const double divisor = b.as_double();
    if (divisor == 0) return std::nullopt;
    return number::double_(std::fmod(a.as_double(), divisor));
  }
  if (b.i == 0) return std::nullopt;
  if (b.i == -1) return integer_of(t, 0);  // INT64_MIN % -1 overflows in C++; the answer is 0
  return integer_of(t, a.i % b.i);
}

std::optional<number> round(const number& n, int place, rounding mode) {
  switch (n.type) {
    case type::decimal128:
      return number::decimal(decimal_round(n.dec, place, mode));
    case type::double_: {
      if (!std::isfinite(n.d)) return n;
      const decimal128 exact = decimal_from_double(n.d, double_digits::thirty_four);
      return number::double_(decimal_to_double(decimal_round(exact, place, mode)));
    }
    default: {
      if (place >= 0) return n;
      const decimal128 r = decimal_round(decimal_from_int64(n.i), place, mode);
      const auto back = decimal_to_int64(r);
      if (!back) return std::nullopt;
      if (n.type == type::int32 && (*back < int32_min || *back > int32_max)) return std::nullopt;
      return n.type == type::int32 ? number::int32(static_cast<std::int32_t>(*back))
                                   : number::int64(*back);
    }
  }
}

void sum_accumulator::add(const value& v) {
  if (auto n = number::of(v)) add(*n);
}

void sum_accumulator::add(const number& n) {
  ++count_;
  widest_ = wider(widest_, n.type);
  switch (n.type) {
    case type::decimal128:
      decimals_ = has_decimal_ ? decimal_add(decimals_, n.dec) : n.dec;
      has_decimal_ = true;
      break;
    case type::double_: {
      const double t = doubles_ + n.d;
      if (!std::isfinite(t)) {
        // Infinities and NaN: no compensation (inf − inf would turn the sum into NaN).
      } else if (std::fabs(doubles_) >= std::fabs(n.d)) {
        compensation_ += (doubles_ - t) + n.d;
      } else {
        compensation_ += (n.d - t) + doubles_;
      }
      doubles_ = t;
      break;
    }
    default:
      integers_ += n.i;
  }
}

void sum_accumulator::add(const number& n, std::int64_t count) {
  add(n);
  count_ += count - 1;
}

void sum_accumulator::merge(const sum_accumulator& other) {
  if (other.count_ == 0) return;
  // The double parts: one Neumaier step, then the other's compensation.
  const double t = doubles_ + other.doubles_;
  if (!std::isfinite(t)) {
  } else if (std::fabs(doubles_) >= std::fabs(other.doubles_)) {
    compensation_ += (doubles_ - t) + other.doubles_;
  } else {
    compensation_ += (other.doubles_ - t) + doubles_;
  }
  doubles_ = t;
  compensation_ += other.compensation_;
  if (other.has_decimal_) {
    decimals_ = has_decimal_ ? decimal_add(decimals_, other.decimals_) : other.decimals_;
    has_decimal_ = true;
  }
  integers_ += other.integers_;
  widest_ = wider(widest_, other.widest_);
  count_ += other.count_;
}

double sum_accumulator::compensated_doubles() const noexcept {
  return std::isfinite(doubles_) ? doubles_ + compensation_ : doubles_;
}

number sum_accumulator::sum() const {
  constexpr int128 long_min = std::numeric_limits<std::int64_t>::min();
  constexpr int128 long_max = std::numeric_limits<std::int64_t>::max();
  const bool fits_long = integers_ >= long_min && integers_ <= long_max;
  switch (widest_) {
    case type::decimal128: {
      decimal128 total = decimals_;
      if (integers_ != 0) total = decimal_add(total, decimal_of_int128(integers_));
      const double d = compensated_doubles();
      // The server adds the double part as a 34-digit decimal (0.5 stays 0.5).
      if (d != 0 || std::isnan(d)) {
        total = decimal_add(total, decimal_from_double(d, double_digits::thirty_four));
      }
      return number::decimal(total);
    }
    case type::double_:
      return number::double_(static_cast<double>(integers_) + compensated_doubles());
    case type::int64:
      if (fits_long) return number::int64(static_cast<std::int64_t>(integers_));
      return number::double_(static_cast<double>(integers_));
    default:
      if (fits_long) return integer_of(type::int32, static_cast<std::int64_t>(integers_));
      return number::double_(static_cast<double>(integers_));
  }
}

std::optional<number> sum_accumulator::average() const {
  if (count_ == 0) return std::nullopt;
  const number total = sum();
  if (total.type == type::decimal128) {
    return number::decimal(decimal_divide(total.dec, decimal_from_int64(count_)));
  }
  return number::double_(total.as_double() / static_cast<double>(count_));
}

std::optional<double> to_double(const value& v) {
  switch (v.type()) {
    case type::boolean:
      return v.as_bool() ? 1.0 : 0.0;
    case type::date:
      return static_cast<double>(v.as_date());
    case type::string: {
      const std::string_view s = v.as_string();
      double d = 0;
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
      return d;
    }
    default:
      if (auto n = number::of(v)) return n->as_double();
      return std::nullopt;
  }
}

std::optional<std::int64_t> to_long(const value& v) {
  switch (v.type()) {
    case type::int32:
    case type::int64:
    case type::date:
      return v.as_int64();
    case type::boolean:
      return v.as_bool() ? 1 : 0;
    case type::double_: {
      const double d = std::trunc(v.as_double());
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
      return static_cast<std::int64_t>(d);
    }
    case type::decimal128:
      return decimal_to_int64(v.as_decimal());
    case type::string:
      return parse_integer_text(v.as_string());
    default:
      return std::nullopt;
  }
}

std::optional<std::int32_t> to_int(const value& v) {
  if (v.type() == type::date) return std::nullopt;  // the server's table refuses date → int
  const auto n = to_long(v);
  if (!n || *n < int32_min || *n > int32_max) return std::nullopt;
  return static_cast<std::int32_t>(*n);
}

std::optional<decimal128> to_decimal(const value& v) {
  switch (v.type()) {
    case type::int32:
    case type::int64:
    case type::date:
      return decimal_from_int64(v.as_int64());
    case type::boolean:
      return decimal_from_int64(v.as_bool() ? 1 : 0);
    case type::double_:
      return decimal_from_double(v.as_double(), double_digits::fifteen);
    case type::decimal128:
      return v.as_decimal();
    case type::string:
      return decimal_from_string(v.as_string());
    default:
      return std::nullopt;
  }
}

std::string number_to_string(const number& n) {
  std::string out;
  switch (n.type) {
    case type::double_:
      append_double_text(out, n.d);
      if (out.size() > 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
      break;
    case type::decimal128:
      append_decimal_string(out, n.dec);
      break;
    default:
      out = std::to_string(n.i);
  }
  return out;
}

}  // namespace reel::bson
