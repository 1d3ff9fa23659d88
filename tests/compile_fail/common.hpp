// SPDX-License-Identifier: Apache-2.0
// Shared by the must-not-compile files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <reel/reel.hpp>

struct order {
  std::string customer;
  std::string item;
  std::int64_t qty;
  double price;
  reel::timestamp ts;
  std::int64_t ts_millis;
};

struct unhashable {
  int x;
  friend auto operator<=>(const unhashable&, const unhashable&) = default;
};

struct keyed_order {
  unhashable key;
  reel::timestamp ts;
};

using namespace std::chrono_literals;
