// SPDX-License-Identifier: Apache-2.0
// A group key without std::hash.
#include "common.hpp"

int main() {
  std::vector<int> out;
  auto proc = reel::make_processor(
      reel::from<keyed_order>(reel::event_time(&keyed_order::ts)) |
      reel::tumbling_window({.interval = 1min}, reel::group(&keyed_order::key, reel::count())) |
      reel::emit([&out](const auto&) { out.push_back(1); }));
  (void)proc;
}
