// SPDX-License-Identifier: Apache-2.0
/// \file
/// Time in Reel: UTC timestamps with millisecond precision, durations with the units of Atlas
/// Stream Processing (`ms`, `second`, `minute`, `hour`, `day`, singular or plural), ISO-8601
/// formatting and parsing, and clocks. All processing time flows through a `reel::clock`, so tests
/// inject a `manual_clock` and never sleep.
///
/// **Example**
/// ```cpp
/// reel::manual_clock clock{reel::parse_iso8601("2024-01-01T00:00:00Z").value()};
/// clock.advance(reel::make_duration(5, reel::time_unit::second));
/// reel::format_iso8601(clock.now());  // "2024-01-01T00:00:05.000Z"
/// ```
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reel/error.hpp"

namespace reel {

using duration = std::chrono::milliseconds;
/// A point in UTC time, millisecond precision.
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// The earliest representable time: "no event seen yet".
inline constexpr timestamp min_timestamp = timestamp{duration{INT64_MIN}};
/// The latest representable time.
inline constexpr timestamp max_timestamp = timestamp{duration{INT64_MAX}};

/// Milliseconds since the Unix epoch, and back.
constexpr std::int64_t to_millis(timestamp t) noexcept {
  return t.time_since_epoch().count();
}
constexpr timestamp from_millis(std::int64_t ms) noexcept {
  return timestamp{duration{ms}};
}

enum class time_unit { ms, second, minute, hour, day };

/// `ms`/`millisecond(s)`, `second(s)`, `minute(s)`, `hour(s)`, `day(s)`; anything else is empty.
constexpr std::optional<time_unit> parse_time_unit(std::string_view s) noexcept {
  if (s == "ms" || s == "millisecond" || s == "milliseconds") return time_unit::ms;
  if (s == "second" || s == "seconds") return time_unit::second;
  if (s == "minute" || s == "minutes") return time_unit::minute;
  if (s == "hour" || s == "hours") return time_unit::hour;
  if (s == "day" || s == "days") return time_unit::day;
  return std::nullopt;
}

constexpr std::int64_t unit_millis(time_unit u) noexcept {
  switch (u) {
    case time_unit::ms:
      return 1;
    case time_unit::second:
      return 1000;
    case time_unit::minute:
      return 60'000;
    case time_unit::hour:
      return 3'600'000;
    case time_unit::day:
      return 86'400'000;
  }
  return 1;
}

/// `size` units as a duration; throws `reel.time.overflow` when it does not fit.
inline duration make_duration(std::int64_t size, time_unit unit) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(size, unit_millis(unit), &out)) {
    throw_error("reel.time.overflow", "", "duration does not fit in 64-bit milliseconds");
  }
  return duration{out};
}

namespace detail {

/// Floor division for signed integers (rounds towards negative infinity).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool parse_digits(std::string_view s, std::size_t pos, std::size_t count,
                            unsigned& out) noexcept {
  if (pos + count > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace detail

namespace detail {
/// ISO-8601 with a signed, at least four-digit year (outside 0000-9999).
inline std::string fmt_extended_iso8601_impl(const civil_date& date, std::int64_t in_day) {
  std::string out = date.year < 0 ? "-" : "+";
  std::string year = std::to_string(date.year < 0 ? -date.year : date.year);
  if (year.size() < 6) out.append(6 - year.size(), '0');
  out += year;
  char rest[21];
  auto two = [](char* p, std::int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  rest[0] = '-';
  two(rest + 1, date.month);
  rest[3] = '-';
  two(rest + 4, date.day);
  rest[6] = 'T';
  two(rest + 7, in_day / 3'600'000);
  rest[9] = ':';
  two(rest + 10, in_day / 60'000 % 60);
  rest[12] = ':';
  two(rest + 13, in_day / 1000 % 60);
  rest[15] = '.';
  rest[16] = static_cast<char>('0' + in_day % 1000 / 100);
  rest[17] = static_cast<char>('0' + in_day % 100 / 10);
  rest[18] = static_cast<char>('0' + in_day % 10);
  rest[19] = 'Z';
  out.append(rest, 20);
  return out;
}
}  // namespace detail

namespace detail {
/// Milliseconds since midnight UTC (0 to 86,399,999), for every `ms` including the int64 extremes
/// (`ms - days * 86'400'000` overflows there).
inline std::int64_t millis_in_day(std::int64_t ms) noexcept {
  const std::int64_t r = ms % 86'400'000;
  return r < 0 ? r + 86'400'000 : r;
}

/// Writes `t` as the 24 characters `YYYY-MM-DDTHH:MM:SS.mmmZ` (no terminator) when its year is
/// within 0000-9999; false (and `out` untouched) otherwise.
inline bool write_iso8601(char* out, timestamp t) noexcept {
  const std::int64_t ms = to_millis(t);
  const std::int64_t days = floor_div(ms, 86'400'000);
  const std::int64_t in_day = millis_in_day(ms);
  const civil_date date = civil_from_days(days);
  if (date.year < 0 || date.year > 9999) return false;
  auto put = [out](int pos, std::int64_t v, int width) {
    for (int i = pos + width - 1; i >= pos; --i) {
      out[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, date.year, 4);
  out[4] = '-';
  put(5, date.month, 2);
  out[7] = '-';
  put(8, date.day, 2);
  out[10] = 'T';
  put(11, in_day / 3'600'000, 2);
  out[13] = ':';
  put(14, in_day / 60'000 % 60, 2);
  out[16] = ':';
  put(17, in_day / 1000 % 60, 2);
  out[19] = '.';
  put(20, in_day % 1000, 3);
  out[23] = 'Z';
  return true;
}
}  // namespace detail

/// `2024-08-12T21:41:01.788Z`: always UTC, always three fraction digits.
inline std::string format_iso8601(timestamp t) {
  char buf[24];
  if (detail::write_iso8601(buf, t)) return std::string(buf, 24);
  // Rare: extended years, written with a sign.
  const std::int64_t ms = to_millis(t);
  const std::int64_t days = detail::floor_div(ms, 86'400'000);
  return detail::fmt_extended_iso8601_impl(detail::civil_from_days(days),
                                           detail::millis_in_day(ms));
}

/// The event times Reel accepts: the years 0000 through 9999 (UTC), the range that
/// `$dateFromString` parses and ISO-8601 writes with four-digit years. An event whose time falls
/// outside goes to the dead letter queue (`reel.event_time.out_of_range`), so that every window
/// bound, watermark, lateness and idleness computed from an event time fits in 64 bits.
inline constexpr timestamp min_event_time = from_millis(-62'167'219'200'000);  // 0000-01-01
inline constexpr timestamp max_event_time = from_millis(253'402'300'799'999);  // 9999-12-31
/// The longest window duration (interval, hopSize, offset, gap, allowedLateness, idleTimeout):
/// the span of the event-time range, 3,652,425 days (10,000 years).
inline constexpr duration max_window_duration = max_event_time - min_event_time + duration{1};

/// Whether `t` is in `[min_event_time, max_event_time]`.
constexpr bool is_valid_event_time(timestamp t) noexcept {
  return t >= min_event_time && t <= max_event_time;
}
/// Whether `d` (in absolute value) is at most `max_window_duration`.
constexpr bool is_valid_window_duration(duration d) noexcept {
  return d >= -max_window_duration && d <= max_window_duration;
}

/// The dead-letter reason of an event whose time is outside the valid range.
inline std::string event_time_out_of_range_reason(timestamp t) {
  return "[reel.event_time.out_of_range] event time " + format_iso8601(t) +
         " is outside the supported range 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z";
}

/// Parses ISO-8601 as MongoDB's `$dateFromString` accepts its common forms: `YYYY-MM-DD`,
/// optionally `THH:MM[:SS[.fff…]]` (`T` or a space), then `Z`, `±HH:MM`, `±HHMM`, `±HH` or
/// nothing (UTC). Returns empty on anything else, including impossible dates.
inline std::optional<timestamp> parse_iso8601(std::string_view s) noexcept {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!detail::parse_digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' ||
      !detail::parse_digits(s, 5, 2, month) || s[7] != '-' || !detail::parse_digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  static constexpr unsigned days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > days_in_month[month - 1] || (month == 2 && day == 29 && !leap)) return std::nullopt;
  std::size_t pos = 10;
  std::int64_t millis = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    ++pos;
    if (!detail::parse_digits(s, pos, 2, hour) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !detail::parse_digits(s, pos + 3, 2, minute)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!detail::parse_digits(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits < 3) millis = millis * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 3; ++digits)
          millis *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      unsigned oh = 0, om = 0;
      if (!detail::parse_digits(s, pos + 1, 2, oh)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size()) {
        if (!detail::parse_digits(s, pos, 2, om)) return std::nullopt;
        pos += 2;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = sign * static_cast<std::int64_t>(oh * 60 + om);
    }
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days = detail::days_from_civil(year, month, day);
  const std::int64_t ms = days * 86'400'000 + hour * 3'600'000LL + minute * 60'000LL +
                          second * 1000LL + millis - offset_minutes * 60'000;
  return from_millis(ms);
}

/// Where processing time comes from. Reel reads it only through this interface.
class clock {
 public:
  virtual ~clock() = default;
  [[nodiscard]] virtual timestamp now() const = 0;
};

/// The wall clock (UTC).
class system_clock final : public clock {
 public:
  [[nodiscard]] timestamp now() const override {
    return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  }
  /// A process-wide instance, the default clock of processors.
  static const system_clock& instance() {
    static const system_clock c;
    return c;
  }
};

/// A clock that moves only when told to: for tests and replays.
class manual_clock final : public clock {
 public:
  explicit manual_clock(timestamp start = timestamp{}) noexcept : now_(start) {}
  [[nodiscard]] timestamp now() const override { return now_; }
  void set(timestamp t) noexcept { now_ = t; }
  void advance(duration d) noexcept { now_ += d; }

 private:
  timestamp now_;
};

}  // namespace reel
