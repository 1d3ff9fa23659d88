// SPDX-License-Identifier: Apache-2.0
/// \file
/// Calendar support for the date expression operators: time zones (UTC, fixed offsets and Olson
/// names from the system's TZif database),
/// calendar parts in a zone, ISO weeks, MongoDB `%` format specifiers for `$dateToString` and
/// `$dateFromString`, and `$dateTrunc` / `$dateAdd` / `$dateDiff` arithmetic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/time.hpp"

namespace reel::json::detail {

inline constexpr std::int64_t ms_per_second = 1000;
inline constexpr std::int64_t ms_per_minute = 60'000;
inline constexpr std::int64_t ms_per_hour = 3'600'000;
inline constexpr std::int64_t ms_per_day = 86'400'000;

/// Rules of an Olson time zone read from the system's TZif database: transitions (UTC seconds)
/// with the offset in effect after each, and the POSIX TZ rule for times after the last one.
struct tz_rules {
  struct posix_date {
    int kind = 0;  ///< 0 Mm.w.d, 1 Jn (1-365, no Feb 29), 2 n (0-365)
    int month = 0, week = 0, weekday = 0, day = 0;
    std::int64_t time = 7200;  ///< seconds after local midnight
  };
  std::vector<std::int64_t> transitions;
  std::vector<std::int64_t> offsets;  ///< seconds, in effect from transitions[i]
  std::int64_t initial = 0;
  bool has_rule = false;
  std::int64_t std_offset = 0, dst_offset = 0;
  bool has_dst = false;
  posix_date start, end;
};

/// A time zone: UTC, a fixed offset from UTC, or an Olson zone (`tz_rules`).
class time_zone {
 public:
  time_zone() = default;
  static time_zone fixed(std::int64_t offset_ms) {
    time_zone z;
    z.offset_ = offset_ms;
    return z;
  }
  static time_zone olson(std::shared_ptr<const tz_rules> rules) {
    time_zone z;
    z.rules_ = std::move(rules);
    return z;
  }
  /// Local time minus UTC at the UTC instant `utc_ms`.
  [[nodiscard]] std::int64_t offset_at(std::int64_t utc_ms) const noexcept {
    if (!rules_) return offset_;
    return rules_offset(*rules_, reel::detail::floor_div(utc_ms, 1000)) * 1000;
  }
  [[nodiscard]] std::int64_t to_local(std::int64_t utc_ms) const noexcept {
    return utc_ms + offset_at(utc_ms);
  }
  /// The UTC instant of a local time; in an overlap the earlier instant, in a gap the local
  /// time read with the offset before the gap.
  [[nodiscard]] std::int64_t to_utc(std::int64_t local_ms) const noexcept {
    if (!rules_) return local_ms - offset_;
    constexpr std::int64_t day = 86'400'000;
    const std::int64_t before = offset_at(local_ms - day);
    const std::int64_t after = offset_at(local_ms + day);
    const std::int64_t u1 = local_ms - before;
    const std::int64_t u2 = local_ms - after;
    const bool v1 = offset_at(u1) == before;
    const bool v2 = offset_at(u2) == after;
    if (v1 && v2) return std::min(u1, u2);
    if (v2) return u2;
    return u1;
  }
  [[nodiscard]] bool is_utc() const noexcept { return !rules_ && offset_ == 0; }

 private:
  static std::int64_t rule_day(const tz_rules::posix_date& d, std::int64_t year) noexcept {
    const std::int64_t jan1 = reel::detail::days_from_civil(year, 1, 1);
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (d.kind == 1) return jan1 + d.day - 1 + (leap && d.day >= 60 ? 1 : 0);
    if (d.kind == 2) return jan1 + d.day;
    const std::int64_t first =
        reel::detail::days_from_civil(year, static_cast<unsigned>(d.month), 1);
    const std::int64_t dow = ((first + 4) % 7 + 7) % 7;
    std::int64_t day = first + (d.weekday - dow + 7) % 7 + (d.week - 1) * 7;
    static constexpr int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const std::int64_t len = dim[d.month - 1] + (d.month == 2 && leap ? 1 : 0);
    while (day >= first + len)
      day -= 7;
    return day;
  }
  static std::int64_t rules_offset(const tz_rules& r, std::int64_t secs) noexcept {
    if (!r.transitions.empty() && secs < r.transitions.front()) return r.initial;
    if (r.has_rule && (r.transitions.empty() || secs >= r.transitions.back())) {
      if (!r.has_dst) return r.std_offset;
      const std::int64_t year =
          reel::detail::civil_from_days(reel::detail::floor_div(secs + r.std_offset, 86400)).year;
      // DST starts at `start` local standard time and ends at `end` local daylight time.
      const std::int64_t on = rule_day(r.start, year) * 86400 + r.start.time - r.std_offset;
      const std::int64_t off = rule_day(r.end, year) * 86400 + r.end.time - r.dst_offset;
      const bool dst = on < off ? (secs >= on && secs < off) : (secs >= on || secs < off);
      return dst ? r.dst_offset : r.std_offset;
    }
    if (r.transitions.empty()) return r.initial;
    const auto it = std::upper_bound(r.transitions.begin(), r.transitions.end(), secs);
    return r.offsets[static_cast<std::size_t>(it - r.transitions.begin()) - 1];
  }

  std::int64_t offset_ = 0;
  std::shared_ptr<const tz_rules> rules_;
};

namespace tzdb {

/// Parses a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") into `r`; false when malformed.
inline bool parse_posix(std::string_view s, tz_rules& r) {
  std::size_t p = 0;
  auto name = [&]() {
    if (p < s.size() && s[p] == '<') {
      const std::size_t close = s.find('>', p);
      if (close == std::string_view::npos) return false;
      p = close + 1;
      return true;
    }
    const std::size_t b = p;
    while (p < s.size() && ((s[p] >= 'A' && s[p] <= 'Z') || (s[p] >= 'a' && s[p] <= 'z')))
      ++p;
    return p - b >= 3;
  };
  auto number = [&](std::int64_t& out) {
    if (p >= s.size() || s[p] < '0' || s[p] > '9') return false;
    out = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9')
      out = out * 10 + (s[p++] - '0');
    return true;
  };
  auto hms = [&](std::int64_t& out) {  // [+-]hh[:mm[:ss]]
    int sign = 1;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) sign = s[p++] == '-' ? -1 : 1;
    std::int64_t h = 0, m = 0, sec = 0;
    if (!number(h)) return false;
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!number(m)) return false;
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!number(sec)) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  };
  auto date = [&](tz_rules::posix_date& d) {
    std::int64_t a = 0, b = 0, c = 0;
    if (p < s.size() && s[p] == 'M') {
      ++p;
      if (!number(a) || p >= s.size() || s[p++] != '.' || !number(b) || p >= s.size() ||
          s[p++] != '.' || !number(c) || a < 1 || a > 12 || b < 1 || b > 5 || c > 6) {
        return false;
      }
      d.kind = 0;
      d.month = static_cast<int>(a);
      d.week = static_cast<int>(b);
      d.weekday = static_cast<int>(c);
    } else if (p < s.size() && s[p] == 'J') {
      ++p;
      if (!number(a) || a < 1 || a > 365) return false;
      d.kind = 1;
      d.day = static_cast<int>(a);
    } else {
      if (!number(a) || a > 365) return false;
      d.kind = 2;
      d.day = static_cast<int>(a);
    }
    d.time = 7200;
    if (p < s.size() && s[p] == '/') {
      ++p;
      if (!hms(d.time)) return false;
    }
    return true;
  };
  std::int64_t std_west = 0;
  if (!name() || !hms(std_west)) return false;
  r.std_offset = -std_west;
  r.has_rule = true;
  if (p == s.size()) return true;
  if (!name()) return false;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (p < s.size() && s[p] != ',') {
    std::int64_t dst_west = 0;
    if (!hms(dst_west)) return false;
    r.dst_offset = -dst_west;
  }
  if (p >= s.size() || s[p++] != ',' || !date(r.start) || p >= s.size() || s[p++] != ',' ||
      !date(r.end)) {
    return false;
  }
  return p == s.size();
}

/// Parses TZif data (RFC 8536, versions 1-4); empty when malformed.
inline std::shared_ptr<const tz_rules> parse_tzif(std::string_view data) {
  auto be = [&](std::size_t at, int bytes) -> std::int64_t {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v = (v << 8) | static_cast<unsigned char>(data[at + i]);
    if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  };
  if (data.size() < 44 || data.substr(0, 4) != "TZif") return nullptr;
  const char version = data[4];
  std::size_t pos = 0;
  int time_size = 4;
  auto counts = [&](std::size_t at, std::int64_t c[6]) {
    for (int i = 0; i < 6; ++i)
      c[i] = be(at + 20 + 4 * i, 4);
  };
  std::int64_t c[6];
  counts(0, c);
  auto block_size = [&](const std::int64_t k[6], int ts) {
    return static_cast<std::size_t>(k[3] * ts + k[3] + k[4] * 6 + k[5] + k[2] * (ts + 4) + k[1] +
                                    k[0]);
  };
  if (version >= '2') {
    pos = 44 + block_size(c, 4);
    if (data.size() < pos + 44 || data.substr(pos, 4) != "TZif") return nullptr;
    counts(pos, c);
    time_size = 8;
  }
  for (auto k : c) {
    if (k < 0 || k > 100000) return nullptr;
  }
  const std::size_t body = pos + 44;
  if (data.size() < body + block_size(c, time_size)) return nullptr;
  const auto timecnt = static_cast<std::size_t>(c[3]);
  const auto typecnt = static_cast<std::size_t>(c[4]);
  if (typecnt == 0) return nullptr;
  auto r = std::make_shared<tz_rules>();
  const std::size_t idx_at = body + timecnt * static_cast<std::size_t>(time_size);
  const std::size_t types_at = idx_at + timecnt;
  std::vector<std::int64_t> type_offsets(typecnt);
  for (std::size_t i = 0; i < typecnt; ++i)
    type_offsets[i] = be(types_at + 6 * i, 4);
  for (std::size_t i = 0; i < timecnt; ++i) {
    const auto type = static_cast<unsigned char>(data[idx_at + i]);
    if (type >= typecnt) return nullptr;
    r->transitions.push_back(be(body + i * static_cast<std::size_t>(time_size), time_size));
    r->offsets.push_back(type_offsets[type]);
  }
  r->initial = type_offsets[0];
  if (version >= '2') {
    const std::size_t footer = body + block_size(c, time_size);
    if (footer < data.size() && data[footer] == '\n') {
      const std::size_t end = data.find('\n', footer + 1);
      if (end != std::string_view::npos && end > footer + 1) {
        tz_rules rule;
        if (parse_posix(data.substr(footer + 1, end - footer - 1), rule)) {
          r->has_rule = true;
          r->has_dst = rule.has_dst;
          r->std_offset = rule.std_offset;
          r->dst_offset = rule.dst_offset;
          r->start = rule.start;
          r->end = rule.end;
        }
      }
    }
  }
  return r;
}

/// An Olson zone from `$TZDIR` or /usr/share/zoneinfo, cached; empty when unknown.
inline std::shared_ptr<const tz_rules> load(std::string_view name) {
  if (name.empty() || name.size() > 128 || name[0] == '/' ||
      name.find("..") != std::string_view::npos) {
    return nullptr;
  }
  for (char ch : name) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          ch == '/' || ch == '_' || ch == '-' || ch == '+')) {
      return nullptr;
    }
  }
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const tz_rules>, std::less<>> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const char* dir = std::getenv("TZDIR");
  std::string path = dir && *dir ? dir : "/usr/share/zoneinfo";
  path += '/';
  path += name;
  std::shared_ptr<const tz_rules> rules;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::string data;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && data.size() < (1u << 20)) {
      data.append(buf, n);
    }
    std::fclose(f);
    rules = parse_tzif(data);
  }
  cache.emplace(std::string(name), rules);
  return rules;
}

}  // namespace tzdb

/// "UTC", "GMT", "Z", "+hh", "+hhmm", "+hh:mm" (and '-'), or an Olson name ("Europe/Berlin")
/// found in the system time zone database (`$TZDIR`, else /usr/share/zoneinfo); else empty.
inline std::optional<time_zone> parse_time_zone(std::string_view s) {
  if (s == "UTC" || s == "GMT" || s == "Etc/UTC" || s == "Etc/GMT" || s == "Z" || s == "Zulu" ||
      s == "Etc/Zulu" || s == "Etc/Universal" || s == "Universal") {
    return time_zone{};
  }
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s.size() < 3) return std::nullopt;
    const int sign = s[0] == '-' ? -1 : 1;
    unsigned h = 0, m = 0;
    if (!reel::detail::parse_digits(s, 1, 2, h)) return std::nullopt;
    std::size_t pos = 3;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size()) {
      if (!reel::detail::parse_digits(s, pos, 2, m) || pos + 2 != s.size()) return std::nullopt;
    } else if (pos != s.size()) {
      return std::nullopt;
    }
    if (h > 23 || m > 59) return std::nullopt;
    return time_zone::fixed(sign * (static_cast<std::int64_t>(h) * ms_per_hour +
                                    static_cast<std::int64_t>(m) * ms_per_minute));
  }
  if (auto rules = tzdb::load(s)) return time_zone::olson(std::move(rules));
  return std::nullopt;
}

/// Calendar parts of a local time.
struct date_parts {
  std::int64_t year = 1970;
  int month = 1;  ///< 1-12
  int day = 1;    ///< 1-31
  int hour = 0, minute = 0, second = 0, millisecond = 0;
  int day_of_week = 5;  ///< 1 = Sunday ... 7 = Saturday
  int day_of_year = 1;  ///< 1-366
};

inline bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
inline int days_in_month(std::int64_t y, int m) noexcept {
  static constexpr int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/// Days since 1970-01-01 of the local time `local_ms`.
inline std::int64_t local_days(std::int64_t local_ms) noexcept {
  return reel::detail::floor_div(local_ms, ms_per_day);
}

inline date_parts parts_of_local(std::int64_t local_ms) noexcept {
  const std::int64_t days = local_days(local_ms);
  const std::int64_t in_day = local_ms - days * ms_per_day;
  const auto c = reel::detail::civil_from_days(days);
  date_parts p;
  p.year = c.year;
  p.month = static_cast<int>(c.month);
  p.day = static_cast<int>(c.day);
  p.hour = static_cast<int>(in_day / ms_per_hour);
  p.minute = static_cast<int>(in_day / ms_per_minute % 60);
  p.second = static_cast<int>(in_day / ms_per_second % 60);
  p.millisecond = static_cast<int>(in_day % 1000);
  const std::int64_t dow0 = ((days + 4) % 7 + 7) % 7;  // 0 = Sunday; 1970-01-01 was a Thursday
  p.day_of_week = static_cast<int>(dow0) + 1;
  p.day_of_year = static_cast<int>(days - reel::detail::days_from_civil(c.year, 1, 1)) + 1;
  return p;
}

/// Local milliseconds for calendar parts; month and day may be out of range (carried).
inline std::int64_t local_from_parts(std::int64_t year, std::int64_t month, std::int64_t day,
                                     std::int64_t hour = 0, std::int64_t minute = 0,
                                     std::int64_t second = 0, std::int64_t ms = 0) noexcept {
  const std::int64_t m0 = month - 1;
  year += reel::detail::floor_div(m0, 12);
  const std::int64_t m = m0 - reel::detail::floor_div(m0, 12) * 12 + 1;
  const std::int64_t days =
      reel::detail::days_from_civil(year, static_cast<unsigned>(m), 1) + (day - 1);
  return days * ms_per_day + hour * ms_per_hour + minute * ms_per_minute + second * ms_per_second +
         ms;
}

struct iso_week_date {
  std::int64_t year;
  int week;         ///< 1-53
  int day_of_week;  ///< 1 = Monday ... 7 = Sunday
};

inline iso_week_date iso_week_of(std::int64_t local_ms) noexcept {
  const std::int64_t days = local_days(local_ms);
  const int iso_dow = static_cast<int>(((days + 3) % 7 + 7) % 7) + 1;  // Monday = 1
  const std::int64_t thursday = days + (4 - iso_dow);
  const auto c = reel::detail::civil_from_days(thursday);
  const std::int64_t jan1 = reel::detail::days_from_civil(c.year, 1, 1);
  return {c.year, static_cast<int>((thursday - jan1) / 7 + 1), iso_dow};
}

/// `%U` / `$week`: weeks start on Sunday; days before the first Sunday are week 0.
inline int sunday_week_of(const date_parts& p) noexcept {
  return (p.day_of_year - 1 + 7 - (p.day_of_week - 1)) / 7;
}

/// Local milliseconds of the Monday of ISO week `week` of `iso_year`, plus `dow - 1` days.
inline std::int64_t local_from_iso_week(std::int64_t iso_year, std::int64_t week,
                                        std::int64_t dow) noexcept {
  const std::int64_t jan4 = reel::detail::days_from_civil(iso_year, 1, 4);
  const std::int64_t jan4_dow = ((jan4 + 3) % 7 + 7) % 7;  // 0 = Monday
  const std::int64_t week1_monday = jan4 - jan4_dow;
  return (week1_monday + (week - 1) * 7 + (dow - 1)) * ms_per_day;
}

// ---------------------------------------------------------------------------------------------
// Formats

/// Empty when `fmt` is a valid `$dateToString` format, else the error message.
inline std::optional<std::string> check_date_format(std::string_view fmt, bool parsing) {
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') continue;
    if (i + 1 >= fmt.size()) return std::string("format must not end with a single '%'");
    const char c = fmt[++i];
    static constexpr std::string_view known = "dGHjLmMSuUVwYzZ%";
    if (known.find(c) == std::string_view::npos || (parsing && (c == 'w' || c == 'U'))) {
      return "invalid format character '%" + std::string(1, c) + "' in format string";
    }
  }
  return std::nullopt;
}

inline void append_padded(std::string& out, std::int64_t v, int width) {
  if (v < 0) {
    out += '-';
    v = -v;
  }
  const std::string s = std::to_string(v);
  for (int pad = width - static_cast<int>(s.size()); pad > 0; --pad)
    out += '0';
  out += s;
}

/// Formats `utc_ms` in `tz` with MongoDB `%` specifiers (`check_date_format` first). Returns
/// empty when the year is outside 0-9999 (MongoDB refuses to format those).
inline std::optional<std::string> format_date(std::int64_t utc_ms, const time_zone& tz,
                                              std::string_view fmt) {
  const std::int64_t offset = tz.offset_at(utc_ms);
  const std::int64_t local = utc_ms + offset;
  const date_parts p = parts_of_local(local);
  std::string out;
  out.reserve(fmt.size() + 16);
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    switch (fmt[++i]) {
      case 'd':
        append_padded(out, p.day, 2);
        break;
      case 'G': {
        const auto w = iso_week_of(local);
        if (w.year < 0 || w.year > 9999) return std::nullopt;
        append_padded(out, w.year, 4);
        break;
      }
      case 'H':
        append_padded(out, p.hour, 2);
        break;
      case 'j':
        append_padded(out, p.day_of_year, 3);
        break;
      case 'L':
        append_padded(out, p.millisecond, 3);
        break;
      case 'm':
        append_padded(out, p.month, 2);
        break;
      case 'M':
        append_padded(out, p.minute, 2);
        break;
      case 'S':
        append_padded(out, p.second, 2);
        break;
      case 'u':
        append_padded(out, iso_week_of(local).day_of_week, 1);
        break;
      case 'U':
        append_padded(out, sunday_week_of(p), 2);
        break;
      case 'V':
        append_padded(out, iso_week_of(local).week, 2);
        break;
      case 'w':
        append_padded(out, p.day_of_week, 1);
        break;
      case 'Y':
        if (p.year < 0 || p.year > 9999) return std::nullopt;
        append_padded(out, p.year, 4);
        break;
      case 'z': {
        const std::int64_t minutes = offset / ms_per_minute;
        out += minutes < 0 ? '-' : '+';
        append_padded(out, (minutes < 0 ? -minutes : minutes) / 60, 2);
        append_padded(out, (minutes < 0 ? -minutes : minutes) % 60, 2);
        break;
      }
      case 'Z':  // the offset in minutes, signed only when negative (the server's `os << minutes`)
        out += std::to_string(offset / ms_per_minute);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += fmt[i];
    }
  }
  return out;
}

/// Parses `s` with a `%` format (`$dateFromString`). `tz` applies when the string has no
/// offset (`%z`/`%Z`). Returns the UTC milliseconds, or the reason it failed in `error`.
inline std::optional<std::int64_t> parse_date_format(std::string_view s, std::string_view fmt,
                                                     const time_zone& tz, bool tz_given,
                                                     std::string& error) {
  std::int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0;
  std::int64_t doy = -1, iso_year = -1, iso_week = -1, iso_dow = -1;
  std::optional<std::int64_t> offset;
  std::size_t pos = 0;
  auto digits = [&](std::size_t min_count, std::size_t max_count, std::int64_t& out) {
    std::size_t n = 0;
    std::int64_t v = 0;
    while (n < max_count && pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      v = v * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    if (n < min_count) return false;
    out = v;
    return true;
  };
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      if (pos >= s.size() || s[pos] != fmt[i]) {
        error = "error parsing date string '" + std::string(s) +
                "': the string does not match the format";
        return std::nullopt;
      }
      ++pos;
      continue;
    }
    const char c = fmt[++i];
    bool ok = true;
    switch (c) {
      case 'Y':
        ok = digits(4, 4, year);
        break;
      case 'm':
        ok = digits(1, 2, month) && month >= 1 && month <= 12;
        break;
      case 'd':
        ok = digits(1, 2, day) && day >= 1 && day <= 31;
        break;
      case 'H':
        ok = digits(1, 2, hour) && hour <= 23;
        break;
      case 'M':
        ok = digits(1, 2, minute) && minute <= 59;
        break;
      case 'S':
        ok = digits(1, 2, second) && second <= 60;
        break;
      case 'L': {
        const std::size_t start = pos;
        ok = digits(1, 3, ms);
        for (std::size_t n = pos - start; ok && n < 3; ++n)
          ms *= 10;
        break;
      }
      case 'j':
        ok = digits(1, 3, doy) && doy >= 1 && doy <= 366;
        break;
      case 'G':
        ok = digits(4, 4, iso_year);
        break;
      case 'V':
        ok = digits(1, 2, iso_week) && iso_week >= 1 && iso_week <= 53;
        break;
      case 'u':
        ok = digits(1, 1, iso_dow) && iso_dow >= 1 && iso_dow <= 7;
        break;
      case 'z': {
        if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
          ++pos;
          offset = 0;
          break;
        }
        if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) {
          ok = false;
          break;
        }
        const int sign = s[pos++] == '-' ? -1 : 1;
        std::int64_t h = 0, m = 0;
        ok = digits(2, 2, h);
        if (ok && pos < s.size() && s[pos] == ':') ++pos;
        if (ok && pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ok = digits(2, 2, m);
        if (ok) offset = sign * (h * ms_per_hour + m * ms_per_minute);
        break;
      }
      case 'Z': {
        if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) {
          ok = false;
          break;
        }
        const int sign = s[pos++] == '-' ? -1 : 1;
        std::int64_t m = 0;
        ok = digits(1, 4, m);
        if (ok) offset = sign * m * ms_per_minute;
        break;
      }
      case '%':
        ok = pos < s.size() && s[pos++] == '%';
        break;
      default:
        ok = false;
    }
    if (!ok) {
      error = "error parsing date string '" + std::string(s) + "' with format '" +
              std::string(fmt) + "'";
      return std::nullopt;
    }
  }
  if (pos != s.size()) {
    error = "error parsing date string '" + std::string(s) + "': trailing data";
    return std::nullopt;
  }
  std::int64_t local = 0;
  if (iso_year >= 0 || iso_week >= 0 || iso_dow >= 0) {
    local = local_from_iso_week(iso_year >= 0 ? iso_year : year, iso_week >= 1 ? iso_week : 1,
                                iso_dow >= 1 ? iso_dow : 1) +
            hour * ms_per_hour + minute * ms_per_minute + second * ms_per_second + ms;
  } else if (doy >= 1) {
    local = local_from_parts(year, 1, doy, hour, minute, second, ms);
  } else {
    if (day > days_in_month(year, static_cast<int>(month))) {
      error = "error parsing date string '" + std::string(s) + "': the day is out of range";
      return std::nullopt;
    }
    local = local_from_parts(year, month, day, hour, minute, second, ms);
  }
  if (offset) {
    if (tz_given) {
      error = "you cannot pass in a date/time string with a time zone offset ('" + std::string(s) +
              "') together with a timezone argument";
      return std::nullopt;
    }
    return local - *offset;
  }
  return tz.to_utc(local);
}

/// `$dateFromString` without a format (and `$convert` of a string to a date): ISO-8601
/// (`reel::parse_iso8601`), the offset also after one space as the server's parser reads it
/// (`"2018-03-20 11:00:06 +0500"`, the `$convert` page's example); `tz` applies when the string
/// has no offset of its own.
inline std::optional<std::int64_t> parse_date_default(std::string_view s, const time_zone& tz,
                                                      bool tz_given, std::string& error) {
  std::string joined;
  if (const auto space = s.rfind(' ');
      space != std::string_view::npos && space >= 10 && space + 1 < s.size() &&
      (s[space + 1] == '+' || s[space + 1] == '-' || s[space + 1] == 'Z' || s[space + 1] == 'z')) {
    joined = std::string(s.substr(0, space)) + std::string(s.substr(space + 1));
  }
  const std::string_view text = joined.empty() ? s : std::string_view(joined);
  const auto t = parse_iso8601(text);
  if (!t) {
    error = "error parsing date string '" + std::string(s) + "'";
    return std::nullopt;
  }
  bool has_zone = false;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) has_zone = true;
  for (std::size_t i = 10; i < text.size() && !has_zone; ++i) {
    if (text[i] == '+' || text[i] == '-') has_zone = true;
  }
  if (has_zone) {
    if (tz_given) {
      error = "you cannot pass in a date/time string with a time zone offset ('" + std::string(s) +
              "') together with a timezone argument";
      return std::nullopt;
    }
    return to_millis(*t);
  }
  return tz.to_utc(to_millis(*t));
}

// ---------------------------------------------------------------------------------------------
// Units and arithmetic

enum class date_unit { year, quarter, month, week, day, hour, minute, second, millisecond };

inline std::optional<date_unit> parse_date_unit(std::string_view s) noexcept {
  if (s == "year") return date_unit::year;
  if (s == "quarter") return date_unit::quarter;
  if (s == "month") return date_unit::month;
  if (s == "week") return date_unit::week;
  if (s == "day") return date_unit::day;
  if (s == "hour") return date_unit::hour;
  if (s == "minute") return date_unit::minute;
  if (s == "second") return date_unit::second;
  if (s == "millisecond") return date_unit::millisecond;
  return std::nullopt;
}

/// "sunday"/"sun" ... (case-insensitive) to 0 = Sunday ... 6 = Saturday.
inline std::optional<int> parse_day_of_week(std::string_view s) noexcept {
  std::string l;
  for (char c : s)
    l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  static constexpr std::string_view full[] = {"sunday",   "monday", "tuesday", "wednesday",
                                              "thursday", "friday", "saturday"};
  for (int i = 0; i < 7; ++i) {
    if (l == full[i] || l == full[i].substr(0, 3)) return i;
  }
  return std::nullopt;
}

inline std::int64_t fixed_unit_ms(date_unit u) noexcept {
  switch (u) {
    case date_unit::week:
      return 7 * ms_per_day;
    case date_unit::day:
      return ms_per_day;
    case date_unit::hour:
      return ms_per_hour;
    case date_unit::minute:
      return ms_per_minute;
    case date_unit::second:
      return ms_per_second;
    default:
      return 1;
  }
}

/// Index of the week (weeks starting on `start_dow`, 0 = Sunday) containing local day `days`.
inline std::int64_t week_index(std::int64_t days, int start_dow) noexcept {
  return reel::detail::floor_div(days + 4 - start_dow, 7);
}

inline std::int64_t month_index(std::int64_t local_ms) noexcept {
  const date_parts p = parts_of_local(local_ms);
  return p.year * 12 + (p.month - 1);
}

/// `$dateAdd`; empty on overflow.
inline std::optional<std::int64_t> date_add(std::int64_t utc_ms, date_unit unit,
                                            std::int64_t amount, const time_zone& tz) noexcept {
  std::int64_t out = 0;
  switch (unit) {
    case date_unit::millisecond:
    case date_unit::second:
    case date_unit::minute:
    case date_unit::hour: {
      std::int64_t delta = 0;
      if (__builtin_mul_overflow(amount, fixed_unit_ms(unit), &delta) ||
          __builtin_add_overflow(utc_ms, delta, &out)) {
        return std::nullopt;
      }
      return out;
    }
    case date_unit::day:
    case date_unit::week: {
      std::int64_t delta = 0;
      if (__builtin_mul_overflow(amount, fixed_unit_ms(unit), &delta) ||
          __builtin_add_overflow(tz.to_local(utc_ms), delta, &out)) {
        return std::nullopt;
      }
      return tz.to_utc(out);
    }
    default:
      break;
  }
  const std::int64_t months_per =
      unit == date_unit::year ? 12 : (unit == date_unit::quarter ? 3 : 1);
  std::int64_t months = 0;
  if (__builtin_mul_overflow(amount, months_per, &months) || months > 12 * 300000 ||
      months < -12 * 300000) {
    return std::nullopt;
  }
  const std::int64_t local = tz.to_local(utc_ms);
  const date_parts p = parts_of_local(local);
  const std::int64_t m0 = p.year * 12 + (p.month - 1) + months;
  const std::int64_t y = reel::detail::floor_div(m0, 12);
  const int m = static_cast<int>(m0 - y * 12) + 1;
  const int d = std::min(p.day, days_in_month(y, m));
  return tz.to_utc(local_from_parts(y, m, d, p.hour, p.minute, p.second, p.millisecond));
}

__extension__ typedef __int128 wide_int;  // NOLINT: GCC/Clang extension, checked arithmetic

/// Whether local-time conversions of `utc_ms` in any zone stay within 64 bits (zone offsets
/// are under a day; `to_utc` probes a day either side).
constexpr bool convertible_to_local(std::int64_t utc_ms) noexcept {
  constexpr std::int64_t margin = 3 * ms_per_day;
  return utc_ms > INT64_MIN + margin && utc_ms < INT64_MAX - margin;
}

/// `$dateTrunc` with MongoDB's reference point 2000-01-01 (local), for weeks the first
/// `start_dow` on or after it. Empty when the result does not fit.
inline std::optional<std::int64_t> date_trunc(std::int64_t utc_ms, date_unit unit, std::int64_t bin,
                                              const time_zone& tz, int start_dow) noexcept {
  constexpr std::int64_t ref_utc = 946684800000LL;  // 2000-01-01T00:00:00Z
  const std::int64_t ref = ref_utc - tz.offset_at(ref_utc);
  auto mod = [](std::int64_t a, std::int64_t b) {
    const std::int64_t r = a % b;
    return r < 0 ? r + b : r;
  };
  auto fits = [](wide_int v) -> std::optional<std::int64_t> {
    if (v < INT64_MIN || v > INT64_MAX) return std::nullopt;
    return static_cast<std::int64_t>(v);
  };
  const bool fixed = unit == date_unit::millisecond || unit == date_unit::second ||
                     unit == date_unit::minute || unit == date_unit::hour;
  if (!fixed && !tz.is_utc() && !convertible_to_local(utc_ms)) return std::nullopt;
  switch (unit) {
    case date_unit::millisecond:
    case date_unit::second:
    case date_unit::minute:
    case date_unit::hour: {
      std::int64_t size = 0, shifted = 0;
      std::int64_t out = 0;
      if (__builtin_mul_overflow(bin, fixed_unit_ms(unit), &size) ||
          __builtin_sub_overflow(utc_ms, ref, &shifted) ||
          __builtin_sub_overflow(utc_ms, mod(shifted, size), &out)) {
        return std::nullopt;
      }
      return out;
    }
    case date_unit::day: {
      const std::int64_t dist = local_days(tz.to_local(utc_ms)) - 10957;
      const wide_int lower = static_cast<wide_int>(dist) - mod(dist, bin);
      auto local = fits((10957 + lower) * ms_per_day);
      if (!local) return std::nullopt;
      return tz.to_utc(*local);
    }
    case date_unit::week: {
      const int ref_dow = (6 - start_dow + 7) % 7;  // 2000-01-01 is a Saturday
      const std::int64_t ref_day = 10957 + (7 - ref_dow) % 7;
      const std::int64_t dist =
          week_index(local_days(tz.to_local(utc_ms)), start_dow) - week_index(ref_day, start_dow);
      const wide_int lower = static_cast<wide_int>(dist) - mod(dist, bin);
      auto local = fits((ref_day + lower * 7) * ms_per_day);
      if (!local) return std::nullopt;
      return tz.to_utc(*local);
    }
    default: {
      const std::int64_t per = unit == date_unit::year ? 12 : (unit == date_unit::quarter ? 3 : 1);
      const std::int64_t dist =
          reel::detail::floor_div(month_index(tz.to_local(utc_ms)) - 2000 * 12, per);
      const wide_int lower = (static_cast<wide_int>(dist) - mod(dist, bin)) * per;
      if (lower < -12 * 300000 || lower > 12 * 300000) return std::nullopt;
      return tz.to_utc(local_from_parts(2000, 1 + static_cast<std::int64_t>(lower), 1));
    }
  }
}

/// `$dateDiff`: the number of unit boundaries crossed from `start` to `end` (local time). Empty
/// when it overflows (MongoDB: "dateDiff overflowed").
inline std::optional<std::int64_t> date_diff(std::int64_t start, std::int64_t end, date_unit unit,
                                             const time_zone& tz, int start_dow) noexcept {
  if (unit == date_unit::millisecond) {
    std::int64_t r = 0;
    if (__builtin_sub_overflow(end, start, &r)) return std::nullopt;
    return r;
  }
  if (!tz.is_utc() && (!convertible_to_local(start) || !convertible_to_local(end)))
    return std::nullopt;
  const std::int64_t ls = tz.to_local(start), le = tz.to_local(end);
  switch (unit) {
    case date_unit::millisecond:
      break;
    case date_unit::second:
    case date_unit::minute:
    case date_unit::hour: {
      const std::int64_t u = fixed_unit_ms(unit);
      return reel::detail::floor_div(le, u) - reel::detail::floor_div(ls, u);
    }
    case date_unit::day:
      return local_days(le) - local_days(ls);
    case date_unit::week:
      return week_index(local_days(le), start_dow) - week_index(local_days(ls), start_dow);
    case date_unit::month:
      return month_index(le) - month_index(ls);
    case date_unit::quarter:
      return reel::detail::floor_div(month_index(le), 3) -
             reel::detail::floor_div(month_index(ls), 3);
    case date_unit::year:
      return parts_of_local(le).year - parts_of_local(ls).year;
  }
  return std::int64_t{0};
}

}  // namespace reel::json::detail
