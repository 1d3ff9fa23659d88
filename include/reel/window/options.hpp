// SPDX-License-Identifier: Apache-2.0
/// \file
/// Options of the three window kinds, with Atlas's defaults (allowed lateness 3 seconds when not
/// given; processing-time windows take none).
///
/// **Example**
/// ```cpp
/// using namespace std::chrono_literals;
/// reel::tumbling_options every_30s{.interval = 30s, .allowed_lateness = 1min};
/// reel::hopping_options h{.interval = 20min, .hop = 10min};
/// reel::session_options per_customer{.gap = 5min};
/// ```
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "reel/error.hpp"
#include "reel/time.hpp"

namespace reel {

/// Where a window's time comes from.
enum class boundary { event_time, processing_time };

inline constexpr duration default_allowed_lateness = std::chrono::seconds(3);

struct tumbling_options {
  duration interval{};
  duration offset{0};                          ///< shifts boundaries from UTC alignment
  std::optional<duration> allowed_lateness{};  ///< 3 seconds when not given
  std::optional<duration> idle_timeout{};
};

struct hopping_options {
  duration interval{};
  duration hop{};  ///< `hop < interval`: overlapping windows; `hop > interval`: gaps
  duration offset{0};
  std::optional<duration> allowed_lateness{};  ///< 3 seconds when not given
  std::optional<duration> idle_timeout{};
};

struct session_options {
  duration gap{};
  std::optional<duration> allowed_lateness{};  ///< 3 seconds when not given
  std::optional<duration> idle_timeout{};
};

/// Throws `reel.window.invalid_option` unless `0 <= d <= max_window_duration`.
inline void check_window_duration(duration d, const char* name, const char* where = "") {
  if (d.count() < 0)
    throw_error("reel.window.invalid_option", where,
                std::string(name) + " must not be a negative duration");
  if (!is_valid_window_duration(d))
    throw_error("reel.window.invalid_option", where,
                std::string(name) + " must be at most 3652425 days (10000 years)");
}

/// `[start, end)` of one window.
struct window_bounds {
  timestamp start;
  timestamp end;
  friend bool operator==(const window_bounds&, const window_bounds&) = default;
};

/// The closing and idleness rules that every window kind shares.
struct close_policy {
  duration allowed_lateness = default_allowed_lateness;
  std::optional<duration> idle_timeout{};
  boundary time_boundary = boundary::event_time;

  /// Throws `reel.window.invalid_option` on a negative duration or one longer than
  /// `max_window_duration`.
  void validate(const char* where = "") const {
    check_window_duration(allowed_lateness, "allowedLateness", where);
    if (idle_timeout) check_window_duration(*idle_timeout, "idleTimeout", where);
  }
};

/// Fixed-size windows every `hop`, aligned to the epoch plus `offset` (tumbling: hop == interval).
struct sliced_spec {
  duration interval{};
  duration hop{};
  duration offset{0};

  /// Throws `reel.window.invalid_option` on a non-positive size.
  void validate(const char* where = "") const {
    if (interval.count() <= 0)
      throw_error("reel.window.invalid_option", where, "interval must be a positive duration");
    if (hop.count() <= 0)
      throw_error("reel.window.invalid_option", where, "hopSize must be a positive duration");
    check_window_duration(interval, "interval", where);
    check_window_duration(hop, "hopSize", where);
    if (!is_valid_window_duration(offset))
      throw_error("reel.window.invalid_option", where,
                  "offset must be at most 3652425 days (10000 years) either way");
  }
};

inline sliced_spec to_sliced(const tumbling_options& o) {
  return {o.interval, o.interval, o.offset};
}
inline sliced_spec to_sliced(const hopping_options& o) {
  return {o.interval, o.hop, o.offset};
}
inline close_policy to_close_policy(const tumbling_options& o, boundary b = boundary::event_time) {
  return {o.allowed_lateness.value_or(default_allowed_lateness), o.idle_timeout, b};
}
inline close_policy to_close_policy(const hopping_options& o, boundary b = boundary::event_time) {
  return {o.allowed_lateness.value_or(default_allowed_lateness), o.idle_timeout, b};
}
inline close_policy to_close_policy(const session_options& o, boundary b = boundary::event_time) {
  return {o.allowed_lateness.value_or(default_allowed_lateness), o.idle_timeout, b};
}

}  // namespace reel
