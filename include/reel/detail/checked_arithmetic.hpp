// SPDX-License-Identifier: Apache-2.0
/// \file
/// Overflow-checked 64-bit arithmetic for time computations (window bounds, watermarks,
/// timeouts). Event times and window durations are validated to ranges where these never
/// overflow (`reel::min_event_time`, `reel::max_window_duration`); these helpers keep a corrupted
/// checkpoint or a clock at the end of time from wrapping around silently.
#pragma once

#include <cstdint>

#include "reel/error.hpp"

namespace reel::detail {

/// `a + b`, or throws `reel.time.overflow`.
inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    throw_error("reel.time.overflow", "", "time computation overflows 64-bit milliseconds");
  return out;
}
/// `a - b`, or throws `reel.time.overflow`.
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out))
    throw_error("reel.time.overflow", "", "time computation overflows 64-bit milliseconds");
  return out;
}
/// `a * b`, or throws `reel.time.overflow`.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out))
    throw_error("reel.time.overflow", "", "time computation overflows 64-bit milliseconds");
  return out;
}

/// `a + b` clamped to the int64 range: for deadlines where "never" is the natural limit.
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}
/// `a - b` clamped to the int64 range.
constexpr std::int64_t saturating_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return b < 0 ? INT64_MAX : INT64_MIN;
  return out;
}

}  // namespace reel::detail
