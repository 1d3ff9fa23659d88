// SPDX-License-Identifier: Apache-2.0
// reel::avg over a std::string field.
#include "common.hpp"

int main() {
  std::vector<int> out;
  auto proc = reel::make_processor(
      reel::from<order>(reel::event_time(&order::ts)) |
      reel::tumbling_window({.interval = 1min},
                            reel::group(&order::customer, reel::avg(&order::item))) |
      reel::emit([&out](const auto&) { out.push_back(1); }));
  (void)proc;
}
