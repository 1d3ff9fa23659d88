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
#include "reel/limits.hpp"
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
  /// The most windows one event may belong to (`interval / hop`, rounded up; each one costs a
  /// result when it closes): more is `reel.window.invalid_option`. 0: no limit.
  std::uint64_t max_windows_per_event = limits{}.max_windows_per_event;
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

  /// How many windows one event belongs to: `interval / hop`, rounded up (0 before `validate`
  /// passes).
  [[nodiscard]] std::uint64_t windows_per_event() const noexcept {
    if (interval.count() <= 0 || hop.count() <= 0) return 0;
    const auto i = static_cast<std::uint64_t>(interval.count());
    const auto h = static_cast<std::uint64_t>(hop.count());
    return i / h + (i % h != 0 ? 1 : 0);
  }
};

inline sliced_spec to_sliced(const tumbling_options& o) {
  return {o.interval, o.interval, o.offset};
}
inline sliced_spec to_sliced(const hopping_options& o) {
  return {o.interval, o.hop, o.offset};
}

/// Throws `reel.window.invalid_option` when `o` puts an event in more windows than
/// `o.max_windows_per_event`.
inline void check_windows_per_event(const hopping_options& o, const char* where = "") {
  const std::uint64_t windows = to_sliced(o).windows_per_event();
  if (o.max_windows_per_event > 0 && windows > o.max_windows_per_event) {
    throw_error("reel.window.invalid_option", where,
                "interval / hop puts each event in " + std::to_string(windows) +
                    " windows, more than max_windows_per_event (" +
                    std::to_string(o.max_windows_per_event) + "): use a larger hop");
  }
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
