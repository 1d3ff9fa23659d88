// SPDX-License-Identifier: Apache-2.0
// Small event types and helpers shared by the engine tests.
#pragma once

#include <cstdint>
#include <string>

#include <reel/reel.hpp>

namespace reel_test {

inline reel::timestamp at(std::int64_t ms) {
  return reel::from_millis(ms);
}
inline reel::timestamp secs(std::int64_t s) {
  return reel::from_millis(s * 1000);
}

struct tick {
  std::int64_t key;
  std::int64_t value;
  reel::timestamp ts;
};

}  // namespace reel_test
