// SPDX-License-Identifier: Apache-2.0
/// \file
/// Decimal128 arithmetic and text, as MongoDB does them. The arithmetic is the Intel BID library
/// that GCC ships in libgcc (`_Decimal128`, the same BID encoding as BSON), the text conversions
/// are libbson's (`bson_decimal128_to_string`/`from_string`, the algorithm of the BSON
/// Decimal128 specification that the server also follows): nothing here computes digits by hand.
/// Results are rounded to 34 digits, ties to even, as the server does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reel/bson/value.hpp"

namespace reel::bson {

/// How a double becomes a decimal: the server's `kRoundTo15Digits` (what `$toDecimal`,
/// `$convert` and mixed decimal/double arithmetic use: 10.99 → 10.9900000000000) or
/// `kRoundTo34Digits` (what `$round`/`$trunc` use: 2.45 → 2.450000000000000177635683940025046).
enum class double_digits { fifteen, thirty_four };

/// Rounding of `decimal_round`: `$round` (half to even) or `$trunc` (toward zero).
enum class rounding { half_even, toward_zero };

/// Text (`"1.50"`, `"-1.2E+3"`, `"NaN"`, `"-Infinity"`), or empty when it is not a number.
/// Trailing zeros are kept (`"1.50"` has exponent −2).
[[nodiscard]] std::optional<decimal128> decimal_from_string(std::string_view text);
/// The text of the BSON Decimal128 specification (what the server and mongosh print):
/// `"1.50"`, `"1.2E+3"`, `"-0"`, `"NaN"`, `"Infinity"`.
void append_decimal_string(std::string& out, const decimal128& d);
[[nodiscard]] std::string decimal_to_string(const decimal128& d);

[[nodiscard]] decimal128 decimal_from_int64(std::int64_t n) noexcept;
[[nodiscard]] decimal128 decimal_from_double(double d,
                                             double_digits digits = double_digits::fifteen);
/// Nearest double.
[[nodiscard]] double decimal_to_double(const decimal128& d) noexcept;
/// Truncated toward zero; empty for NaN, infinities and values outside int64.
[[nodiscard]] std::optional<std::int64_t> decimal_to_int64(const decimal128& d) noexcept;

[[nodiscard]] bool decimal_is_nan(const decimal128& d) noexcept;
[[nodiscard]] bool decimal_is_infinite(const decimal128& d) noexcept;
[[nodiscard]] bool decimal_is_zero(const decimal128& d) noexcept;
[[nodiscard]] bool decimal_is_negative(const decimal128& d) noexcept;
/// The exponent of the value (1.50 → −2); 0 for NaN and infinities.
[[nodiscard]] int decimal_exponent(const decimal128& d) noexcept;

[[nodiscard]] decimal128 decimal_add(const decimal128& a, const decimal128& b) noexcept;
[[nodiscard]] decimal128 decimal_subtract(const decimal128& a, const decimal128& b) noexcept;
[[nodiscard]] decimal128 decimal_multiply(const decimal128& a, const decimal128& b) noexcept;
/// IEEE division (x/0 is ±Infinity, 0/0 NaN); MongoDB's `$divide` refuses a zero divisor first.
[[nodiscard]] decimal128 decimal_divide(const decimal128& a, const decimal128& b) noexcept;
/// `a − b·trunc(a/b)`: the sign of `a`, as the server's `$mod`.
[[nodiscard]] decimal128 decimal_modulo(const decimal128& a, const decimal128& b) noexcept;
/// MongoDB's order for decimals: NaN equals NaN and is below every other number; −0 == 0.
[[nodiscard]] int decimal_compare(const decimal128& a, const decimal128& b) noexcept;
/// `d` rounded to `place` decimal places (negative: left of the point) and carrying exactly
/// that exponent, as IEEE `quantize` does (`$round: [NumberDecimal("2"), 1]` → 2.0).
[[nodiscard]] decimal128 decimal_round(const decimal128& d, int place, rounding mode) noexcept;

}  // namespace reel::bson
