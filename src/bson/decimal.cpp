// SPDX-License-Identifier: Apache-2.0
// Decimal128: arithmetic by libgcc's BID library through GCC's decimal floating type, text by
// libbson. Both use BSON's encoding (BID, little-endian on x86-64), so values pass by memcpy.
#include "reel/bson/decimal.hpp"

#include <bson/bson.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#if !defined(__DECIMAL_BID_FORMAT__)
#error "reel::bson needs GCC's decimal floating point in BID encoding (x86-64, aarch64)"
#endif

namespace reel::bson {
namespace {

// GCC's C++ front end spells _Decimal128 as a float of machine mode TD.
typedef float d128 __attribute__((mode(TD)));
static_assert(sizeof(d128) == 16);

d128 to_native(const decimal128& d) noexcept {
  d128 x;
  std::memcpy(&x, d.bytes.data(), 16);
  return x;
}
decimal128 from_native(d128 x) noexcept {
  decimal128 d;
  std::memcpy(d.bytes.data(), &x, 16);
  return d;
}
std::uint64_t high_word(const decimal128& d) noexcept {
  std::uint64_t h;
  std::memcpy(&h, d.bytes.data() + 8, 8);
  return h;
}
decimal128 parse_or_nan(const char* text) noexcept {
  bson_decimal128_t out;
  bson_decimal128_from_string(text, &out);
  decimal128 d;
  std::memcpy(d.bytes.data(), &out.low, 8);
  std::memcpy(d.bytes.data() + 8, &out.high, 8);
  return d;
}
// 1 followed by `zeros` zeros, times 10^exponent (exact).
decimal128 power_of_ten(int zeros, int exponent, bool negative) noexcept {
  char text[96];
  int n = 0;
  if (negative) text[n++] = '-';
  text[n++] = '1';
  for (int i = 0; i < zeros && n < 60; ++i)
    text[n++] = '0';
  std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), "E%d", exponent);
  return parse_or_nan(text);
}
decimal128 with_sign(decimal128 d, bool negative) noexcept {
  d.bytes[15] = static_cast<std::uint8_t>((d.bytes[15] & 0x7F) | (negative ? 0x80 : 0));
  return d;
}

}  // namespace

std::optional<decimal128> decimal_from_string(std::string_view text) {
  // libbson 1.23's bson_decimal128_from_string_w_len reads past `len` (seen as text parsed
  // correctly or refused depending on the bytes after it), so the text is NUL-terminated here.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char small[128];
  std::string large;
  const char* terminated = small;
  if (text.size() < sizeof small) {
    if (!text.empty()) std::memcpy(small, text.data(), text.size());
    small[text.size()] = '\0';
  } else {
    large.assign(text);
    terminated = large.c_str();
  }
  bson_decimal128_t out;
  if (!bson_decimal128_from_string(terminated, &out)) return std::nullopt;
  decimal128 d;
  std::memcpy(d.bytes.data(), &out.low, 8);
  std::memcpy(d.bytes.data() + 8, &out.high, 8);
  // libbson answers NaN for text it cannot read: only an explicit NaN is a number.
  if (decimal_is_nan(d)) {
    std::string_view t = text;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
    if (t != "NaN" && t != "nan" && t != "NAN") return std::nullopt;
  }
  return d;
}

void append_decimal_string(std::string& out, const decimal128& d) {
  bson_decimal128_t in;
  std::memcpy(&in.low, d.bytes.data(), 8);
  std::memcpy(&in.high, d.bytes.data() + 8, 8);
  char buf[BSON_DECIMAL128_STRING];
  bson_decimal128_to_string(&in, buf);
  out += buf;
}

std::string decimal_to_string(const decimal128& d) {
  std::string s;
  append_decimal_string(s, d);
  return s;
}

decimal128 decimal_from_int64(std::int64_t n) noexcept {
  return from_native(static_cast<d128>(n));
}

decimal128 decimal_from_double(double d, double_digits digits) {
  if (std::isnan(d)) return parse_or_nan("NaN");
  if (std::isinf(d)) return parse_or_nan(d > 0 ? "Infinity" : "-Infinity");
  if (digits == double_digits::thirty_four) return from_native(static_cast<d128>(d));
  if (d == 0) return parse_or_nan(std::signbit(d) ? "-0" : "0");
  char text[40];
  std::snprintf(text, sizeof text, "%.14e", d);  // 15 significant digits, correctly rounded
  return parse_or_nan(text);
}

double decimal_to_double(const decimal128& d) noexcept {
  return static_cast<double>(to_native(d));
}

std::optional<std::int64_t> decimal_to_int64(const decimal128& d) noexcept {
  if (decimal_is_nan(d) || decimal_is_infinite(d)) return std::nullopt;
  const d128 x = to_native(d);
  static const d128 two63 = to_native(parse_or_nan("9223372036854775808"));
  // Truncation keeps (−2^63 − 1, 2^63) inside int64.
  if (!(x < two63) || !(x > -two63 - static_cast<d128>(1))) return std::nullopt;
  return static_cast<std::int64_t>(x);  // truncates toward zero
}

bool decimal_is_nan(const decimal128& d) noexcept {
  return ((high_word(d) >> 58) & 0x1F) == 0x1F;
}
bool decimal_is_infinite(const decimal128& d) noexcept {
  return ((high_word(d) >> 58) & 0x1F) == 0x1E;
}
bool decimal_is_zero(const decimal128& d) noexcept {
  return !decimal_is_nan(d) && to_native(d) == static_cast<d128>(0);
}
bool decimal_is_negative(const decimal128& d) noexcept {
  return (high_word(d) >> 63) != 0;
}

int decimal_exponent(const decimal128& d) noexcept {
  const std::uint64_t h = high_word(d);
  if (((h >> 59) & 0xF) == 0xF) return 0;  // NaN or infinity
  const std::uint64_t biased = ((h >> 61) & 3) == 3 ? (h >> 47) & 0x3FFF : (h >> 49) & 0x3FFF;
  return static_cast<int>(biased) - 6176;
}

decimal128 decimal_add(const decimal128& a, const decimal128& b) noexcept {
  return from_native(to_native(a) + to_native(b));
}
decimal128 decimal_subtract(const decimal128& a, const decimal128& b) noexcept {
  return from_native(to_native(a) - to_native(b));
}
decimal128 decimal_multiply(const decimal128& a, const decimal128& b) noexcept {
  return from_native(to_native(a) * to_native(b));
}
decimal128 decimal_divide(const decimal128& a, const decimal128& b) noexcept {
  return from_native(to_native(a) / to_native(b));
}

decimal128 decimal_modulo(const decimal128& a, const decimal128& b) noexcept {
  if (decimal_is_nan(a) || decimal_is_nan(b) || decimal_is_infinite(a) || decimal_is_zero(b)) {
    return parse_or_nan("NaN");
  }
  if (decimal_is_infinite(b)) return a;
  const decimal128 q = decimal_round(decimal_divide(a, b), 0, rounding::toward_zero);
  return decimal_subtract(a, decimal_multiply(b, q));
}

int decimal_compare(const decimal128& a, const decimal128& b) noexcept {
  const bool an = decimal_is_nan(a), bn = decimal_is_nan(b);
  if (an || bn) return an && bn ? 0 : (an ? -1 : 1);
  const d128 x = to_native(a), y = to_native(b);
  return x < y ? -1 : (y < x ? 1 : 0);
}

decimal128 decimal_round(const decimal128& d, int place, rounding mode) noexcept {
  if (decimal_is_nan(d) || decimal_is_infinite(d)) return d;
  const bool negative = decimal_is_negative(d);
  const int exponent = decimal_exponent(d);
  if (decimal_is_zero(d)) {
    char text[24];
    std::snprintf(text, sizeof text, "%s0E%d", negative ? "-" : "", -place);
    return parse_or_nan(text);
  }
  if (exponent >= -place) {
    // Nothing to round: give it the exponent −place by multiplying by 1 = 10^k × 10^−k.
    const int k = exponent + place;
    if (k > 33) return d;
    return decimal_multiply(d, power_of_ten(k, -k, false));
  }
  // |d| < 10^(33−place) = c, so d + c has 34 digits down to 10^−place: the BID addition rounds
  // there (ties to even), and subtracting c back is exact with exponent −place.
  const decimal128 c = power_of_ten(0, 33 - place, negative);
  decimal128 r = decimal_subtract(decimal_add(d, c), c);
  if (mode == rounding::toward_zero) {
    const d128 rx = to_native(r), dx = to_native(d);
    if (negative ? rx < dx : rx > dx) {
      r = decimal_subtract(r, power_of_ten(0, -place, negative));
    }
  }
  if (decimal_is_zero(r)) r = with_sign(r, negative);
  return r;
}

}  // namespace reel::bson
