// SPDX-License-Identifier: Apache-2.0
/// \file
/// Deterministic sample data, like the sample connections of Atlas Stream Processing.
///
/// - `solar_generator` (`sample_stream_solar`): readings shaped exactly like Atlas's solar
///   sample, `{device_id: "device_8", group_id: 7, timestamp: "2024-08-12T21:41:01.788+00:00",
///   max_watts: 450, event_type: 0, obs: {watts: 252, temp: 17}}`. Ten devices report about once
///   a second each, with a little jitter, so readings arrive slightly out of order; about one
///   reading in 50 is `event_type: 1` with no `obs.watts`. `timestamp` is a string, as in Atlas.
/// - `movie_ticket_generator` (`sample_movie_tickets`): ticket sales
///   `{movie: "Dune", amountPaid: 25.0, ticketCount: 2, customer: "c-017",
///   ts: "2024-06-01T20:00:03.250Z"}`. Event time moves forward 250 ms a ticket with up to 3 s of
///   out-of-order jitter; by default one ticket in 50 is late by 2–5 minutes and one in 40 is
///   malformed (`amountPaid` spelled out, `movie` missing, or `ts` not a date).
///
/// Output depends only on the seed, the start time and the options: the generators use their
/// own xoshiro256** generator and integer arithmetic, so every platform and standard library
/// produces the same documents.
///
/// **Example**
/// ```cpp
/// reel::samples::solar_generator solar;           // seed 42, starting 2024-08-12T21:41:00Z
/// reel::json::document reading = solar.next();
/// reading["obs"]["temp"];                          // an integer, e.g. 17
///
/// using reel::samples::movie_ticket_generator;
/// movie_ticket_generator tickets{7, movie_ticket_generator::default_start,
///                                {.late_fraction = 0.1, .malformed_fraction = 0}};
/// auto ticket = tickets.next();
/// ```
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/time.hpp"

namespace reel::json {
/// A Reel document: JSON with MongoDB's field order. (Also declared by `reel/json/value.hpp`.)
using document = nlohmann::ordered_json;
}  // namespace reel::json

namespace reel::samples {

using document = reel::json::document;

/// Connection name of the solar sample, as in Atlas.
inline constexpr std::string_view solar_connection_name = "sample_stream_solar";
/// Connection name of the movie-ticket sample.
inline constexpr std::string_view movie_tickets_connection_name = "sample_movie_tickets";
/// Every sample connection name, for a connection registry.
inline constexpr std::array<std::string_view, 2> connection_names = {solar_connection_name,
                                                                     movie_tickets_connection_name};

namespace detail {

/// SplitMix64: seeds the main generator from one 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna): small, fast, and the same everywhere.
class prng {
 public:
  explicit constexpr prng(std::uint64_t seed) noexcept {
    for (auto& word : s_)
      word = splitmix64(seed);
  }

  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, n), without modulo bias; n > 0.
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    const std::uint64_t threshold = (0 - n) % n;
    while (true) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % n;
    }
  }

  /// Uniform in [lo, hi], inclusive; lo <= hi.
  constexpr std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  /// Uniform in [0, 1) with 53 random bits.
  constexpr double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4]{};
};

/// Milliseconds since the epoch of a UTC date and time, at compile time.
constexpr timestamp utc(std::int64_t y, unsigned mo, unsigned d, std::int64_t h, std::int64_t mi,
                        std::int64_t s) noexcept {
  return from_millis(reel::detail::days_from_civil(y, mo, d) * 86'400'000 + h * 3'600'000 +
                     mi * 60'000 + s * 1000);
}

}  // namespace detail

/// Solar panel readings shaped like Atlas's `sample_stream_solar`.
///
/// Devices `device_0`…`device_9` each have a fixed `group_id` (0–9) and `max_watts` (250–450)
/// drawn from the seed, and report once per second at their own phase within the second, ±50 ms
/// of jitter. Documents come in rounds: each round has one reading per device, in phase order.
class solar_generator {
 public:
  static constexpr std::string_view connection_name = solar_connection_name;
  /// 2024-08-12T21:41:00.000Z, the day of Atlas's example reading.
  static constexpr timestamp default_start = detail::utc(2024, 8, 12, 21, 41, 0);
  static constexpr int device_count = 10;

  explicit solar_generator(std::uint64_t seed = 42, timestamp start = default_start)
      : rng_(seed), start_(start) {
    static constexpr int watt_classes[] = {250, 300, 350, 400, 450};
    devices_.reserve(device_count);
    for (int i = 0; i < device_count; ++i) {
      device d;
      d.id = "device_" + std::to_string(i);
      d.group_id = static_cast<int>(rng_.below(10));
      d.max_watts = watt_classes[rng_.below(5)];
      d.efficiency_pct = static_cast<int>(rng_.between(35, 85));
      d.temp = static_cast<int>(rng_.between(12, 24));
      d.phase_ms = rng_.between(0, 999);
      devices_.push_back(std::move(d));
    }
    std::stable_sort(devices_.begin(), devices_.end(),
                     [](const device& a, const device& b) { return a.phase_ms < b.phase_ms; });
  }

  /// The next reading.
  document next() {
    device& d = devices_[index_];
    const std::int64_t at_ms = to_millis(start_) + static_cast<std::int64_t>(round_) * 1000 +
                               d.phase_ms + rng_.between(-50, 50);
    std::string ts = format_iso8601(from_millis(at_ms));
    ts.pop_back();  // 'Z'
    ts += "+00:00";

    // Temperature drifts by at most a degree a reading, within 5–35 °C.
    d.temp = static_cast<int>(std::clamp<std::int64_t>(d.temp + rng_.between(-1, 1), 5, 35));
    const bool fault = rng_.below(50) == 0;
    const std::int64_t expected = static_cast<std::int64_t>(d.max_watts) * d.efficiency_pct / 100;
    const std::int64_t watts =
        std::clamp<std::int64_t>(expected + rng_.between(-40, 40), 0, d.max_watts);

    document doc = document::object();
    doc["device_id"] = d.id;
    doc["group_id"] = d.group_id;
    doc["timestamp"] = std::move(ts);
    doc["max_watts"] = d.max_watts;
    doc["event_type"] = fault ? 1 : 0;
    document obs = document::object();
    if (!fault) obs["watts"] = watts;
    obs["temp"] = d.temp;
    doc["obs"] = std::move(obs);

    if (++index_ == devices_.size()) {
      index_ = 0;
      ++round_;
    }
    ++produced_;
    return doc;
  }

  /// How many documents `next()` has returned.
  [[nodiscard]] std::uint64_t produced() const noexcept { return produced_; }

 private:
  struct device {
    std::string id;
    int group_id = 0;
    int max_watts = 0;
    int efficiency_pct = 0;
    int temp = 0;
    std::int64_t phase_ms = 0;
  };

  detail::prng rng_;
  timestamp start_;
  std::vector<device> devices_;
  std::size_t index_ = 0;
  std::uint64_t round_ = 0;
  std::uint64_t produced_ = 0;
};

/// Knobs of `movie_ticket_generator`. Late and malformed tickets are drawn exclusively: a ticket
/// is malformed with probability `malformed_fraction`, else late with `late_fraction`.
struct movie_ticket_options {
  double late_fraction = 1.0 / 50;       ///< share of tickets with `ts` far behind
  double malformed_fraction = 1.0 / 40;  ///< share of tickets that fail validation
  std::int64_t step_ms = 250;            ///< event-time advance per ticket
  std::int64_t max_jitter_ms = 3000;     ///< on-time tickets are at most this much out of order
  std::int64_t late_min_ms = 120'000;    ///< late tickets are this far behind …
  std::int64_t late_max_ms = 300'000;    ///< … up to this far
  int customers = 20;                    ///< customers `c-000` … `c-<customers-1>`
};

/// Movie ticket sales with out-of-order, late and malformed tickets, for event-time pipelines.
///
/// Ticket k has the nominal time `start + k * step_ms`. An on-time ticket's `ts` is its nominal
/// time plus 0…`max_jitter_ms`, so on-time tickets are at most `max_jitter_ms` out of order; a
/// late ticket's is `late_min_ms`…`late_max_ms` behind its nominal time. A
/// malformed ticket is one of: `amountPaid` as a word (`"twelve"`), no `movie` field, or a `ts`
/// that is not a date (`"yesterday"`). `amountPaid` is the movie's price times `ticketCount`.
class movie_ticket_generator {
 public:
  static constexpr std::string_view connection_name = movie_tickets_connection_name;
  /// 2024-06-01T20:00:00.000Z.
  static constexpr timestamp default_start = detail::utc(2024, 6, 1, 20, 0, 0);

  explicit movie_ticket_generator(std::uint64_t seed = 42, timestamp start = default_start,
                                  movie_ticket_options options = {})
      : rng_(seed), start_(start), options_(options) {
    if (options_.customers < 1) options_.customers = 1;
    if (options_.max_jitter_ms < 0) options_.max_jitter_ms = 0;
    if (options_.late_max_ms < options_.late_min_ms) options_.late_max_ms = options_.late_min_ms;
  }

  /// The next ticket.
  document next() {
    struct movie {
      std::string_view title;
      int price_quarters;  // price of one ticket in units of $0.25, exact in binary
    };
    static constexpr movie movies[] = {
        {"Dune", 50},         {"Oppenheimer", 54}, {"Barbie", 46},
        {"Inside Out 2", 42}, {"Wicked", 56},      {"Gladiator II", 52},
    };
    static constexpr int ticket_counts[] = {1, 1, 1, 2, 2, 2, 2, 3, 4, 6};
    static constexpr std::string_view bad_dates[] = {"yesterday", "not-a-date", "2024-06-01 8pm",
                                                     "2024-13-01T00:00:00Z"};

    const std::int64_t nominal_ms =
        to_millis(start_) + static_cast<std::int64_t>(produced_) * options_.step_ms;
    const movie& m = movies[rng_.below(std::size(movies))];
    const int count = ticket_counts[rng_.below(std::size(ticket_counts))];
    const int customer =
        static_cast<int>(rng_.below(static_cast<std::uint64_t>(options_.customers)));
    const double roll = rng_.unit();
    const bool malformed = roll < options_.malformed_fraction;
    const bool late = !malformed && roll < options_.malformed_fraction + options_.late_fraction;
    const std::int64_t shift = late ? -rng_.between(options_.late_min_ms, options_.late_max_ms)
                                    : rng_.between(0, options_.max_jitter_ms);
    const int defect = malformed ? static_cast<int>(rng_.below(3)) : -1;

    document doc = document::object();
    if (defect != 1) doc["movie"] = m.title;
    const int amount_quarters = m.price_quarters * count;
    if (defect == 0) {
      doc["amountPaid"] = spelled(amount_quarters / 4);
    } else {
      doc["amountPaid"] = static_cast<double>(amount_quarters) / 4.0;
    }
    doc["ticketCount"] = count;
    char id[16];
    id[0] = 'c';
    id[1] = '-';
    id[2] = static_cast<char>('0' + customer / 100 % 10);
    id[3] = static_cast<char>('0' + customer / 10 % 10);
    id[4] = static_cast<char>('0' + customer % 10);
    doc["customer"] = std::string(id, 5);
    if (defect == 2) {
      doc["ts"] = bad_dates[rng_.below(std::size(bad_dates))];
    } else {
      doc["ts"] = format_iso8601(from_millis(nominal_ms + shift));
    }
    ++produced_;
    return doc;
  }

  /// How many documents `next()` has returned.
  [[nodiscard]] std::uint64_t produced() const noexcept { return produced_; }
  [[nodiscard]] const movie_ticket_options& options() const noexcept { return options_; }

 private:
  /// An amount in words: "twelve", "forty-one"; larger amounts as "lots".
  static std::string spelled(int n) {
    static constexpr std::string_view ones[] = {
        "zero",     "one",     "two",     "three",     "four",     "five",    "six",
        "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    static constexpr std::string_view tens[] = {"",      "",      "twenty",  "thirty", "forty",
                                                "fifty", "sixty", "seventy", "eighty", "ninety"};
    if (n < 0 || n >= 100) return "lots";
    if (n < 20) return std::string(ones[n]);
    std::string s(tens[n / 10]);
    if (n % 10 != 0) {
      s += '-';
      s += ones[n % 10];
    }
    return s;
  }

  detail::prng rng_;
  timestamp start_;
  movie_ticket_options options_;
  std::uint64_t produced_ = 0;
};

}  // namespace reel::samples
