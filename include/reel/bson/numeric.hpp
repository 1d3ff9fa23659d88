// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB's numeric rules over `number` (an int32, int64, double or Decimal128 held by value):
/// int32 → int64 → double promotion on overflow, decimal wins over everything, `$sum`/`$avg`
/// accumulation, `$round`/`$trunc` with a place, and the numeric conversions of `$convert`.
/// Functions answer empty where the server raises an error (division by zero, a value out of
/// range); the expression layer turns that into the server's message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "reel/bson/arena.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson {

/// Exact integer sums (GCC and Clang extension).
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

/// A numeric value held by value (no arena needed), the currency of arithmetic.
struct number {
  bson::type type = type::int32;  ///< int32, int64, double_ or decimal128
  std::int64_t i = 0;             ///< int32 and int64
  double d = 0;                   ///< double_
  decimal128 dec{};               ///< decimal128

  static number int32(std::int32_t n) noexcept { return {type::int32, n, 0, {}}; }
  static number int64(std::int64_t n) noexcept { return {type::int64, n, 0, {}}; }
  static number double_(double x) noexcept { return {type::double_, 0, x, {}}; }
  static number decimal(const decimal128& x) noexcept { return {type::decimal128, 0, 0, x}; }

  /// The number in `v`, or empty when `v` is not a number.
  static std::optional<number> of(const value& v) noexcept;
  /// As a value (a decimal's 16 bytes go into `memory`).
  [[nodiscard]] value to_value(arena& memory) const;

  [[nodiscard]] double as_double() const noexcept;
  [[nodiscard]] decimal128 as_decimal() const;
};

[[nodiscard]] number add(const number& a, const number& b);
[[nodiscard]] number subtract(const number& a, const number& b);
[[nodiscard]] number multiply(const number& a, const number& b);
/// `$divide`: a double (a decimal if either is one); empty for a zero divisor.
[[nodiscard]] std::optional<number> divide(const number& a, const number& b);
/// `$mod`: the type of the wider operand, the sign of the dividend; empty for a zero divisor.
[[nodiscard]] std::optional<number> mod(const number& a, const number& b);

/// `$round` (half to even) and `$trunc` (toward zero) with `place` in [−20, 100]. Doubles are
/// rounded through a 34-digit decimal as the server does (`$round: [2.45, 1]` → 2.5); integers
/// keep their type (empty when a negative place carries them out of range).
[[nodiscard]] std::optional<number> round(const number& n, int place, rounding mode);

/// `$sum` and `$avg` over a stream of values: non-numbers are ignored. An all-integer sum stays
/// int32 while it fits, then int64, then double; doubles are summed with compensation
/// (Neumaier), decimals exactly in decimal; any decimal makes the result a decimal.
class sum_accumulator {
 public:
  void add(const value& v);
  void add(const number& n);
  /// Adds `n` as the sum of `count` values (a partial sum read back from a checkpoint).
  void add(const number& n, std::int64_t count);
  /// Adds another accumulator's values (a later or disjoint part of the same stream).
  void merge(const sum_accumulator& other);
  /// `$sum`: int32 0 over no numbers.
  [[nodiscard]] number sum() const;
  /// `$avg`: double (decimal when a decimal was seen), empty (null) over no numbers.
  [[nodiscard]] std::optional<number> average() const;
  [[nodiscard]] std::int64_t count() const noexcept { return count_; }

 private:
  [[nodiscard]] double compensated_doubles() const noexcept;

  bson::type widest_ = type::int32;
  int128 integers_ = 0;  // exact sum of the int32/int64 inputs
  double doubles_ = 0;   // Neumaier sum of the double inputs
  double compensation_ = 0;
  bool has_decimal_ = false;
  decimal128 decimals_{};
  std::int64_t count_ = 0;
};

// ---- $convert ----

/// `$toDouble`: numbers, bool, date (ms) and numeric strings; empty where the server errors.
[[nodiscard]] std::optional<double> to_double(const value& v);
/// `$toInt`: truncates doubles and decimals; empty when out of int32 or not convertible.
[[nodiscard]] std::optional<std::int32_t> to_int(const value& v);
/// `$toLong`: as `$toInt` with int64; dates give their milliseconds.
[[nodiscard]] std::optional<std::int64_t> to_long(const value& v);
/// `$toDecimal`: doubles through 15 digits (10.99 → 10.9900000000000), strings exactly
/// ("1.50" → 1.50), bool 0/1, dates their milliseconds.
[[nodiscard]] std::optional<decimal128> to_decimal(const value& v);
/// `$toString` of a number: int text; a double's shortest round-trip text without a trailing
/// `.0` (`2.5`, `1`, `1e+20`); decimal text.
[[nodiscard]] std::string number_to_string(const number& n);

}  // namespace reel::bson
