// SPDX-License-Identifier: Apache-2.0
// Small event types and helpers shared by the engine tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <reel/reel.hpp>

namespace reel_test {

inline reel::timestamp at(std::int64_t ms) {
  return reel::from_millis(ms);
}
inline reel::timestamp secs(std::int64_t s) {
  return reel::from_millis(s * 1000);
}
inline reel::timestamp mins(std::int64_t m) {
  return reel::from_millis(m * 60'000);
}
/// `hm(12, 2)` is 12:02 on 1970-01-01 (UTC): convenient for Atlas's worked examples.
inline reel::timestamp hm(std::int64_t h, std::int64_t m) {
  return reel::from_millis(h * 3'600'000 + m * 60'000);
}
/// An ISO-8601 date, for tests that read better with real dates.
inline reel::timestamp iso(const char* text) {
  return reel::parse_iso8601(text).value();
}

struct tick {
  std::int64_t key;
  std::int64_t value;
  reel::timestamp ts;
};

/// A tick with a session partition key (`who`) beside the group key.
struct visit {
  std::string who;
  std::int64_t key;
  std::int64_t value;
  reel::timestamp ts;
};

/// String keys and floating-point values.
struct trade {
  std::string symbol;
  double price;
  std::int64_t qty;
  reel::timestamp ts;
};

/// The group key, sum and count of a `group(&tick::key, sum(&tick::value), count())` result.
using sum_count_result = reel::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>;
using count_all_result = reel::window_result<reel::no_key, std::tuple<std::int64_t>>;

/// Collects dead letters.
template <class T>
struct dlq_collector {
  std::vector<reel::dead_letter<T>>* out;
  void operator()(const reel::dead_letter<T>& d) const { out->push_back(d); }
};

inline std::vector<reel::timestamp> starts(std::initializer_list<std::int64_t> ms) {
  std::vector<reel::timestamp> out;
  for (std::int64_t m : ms)
    out.push_back(reel::from_millis(m));
  return out;
}

}  // namespace reel_test
