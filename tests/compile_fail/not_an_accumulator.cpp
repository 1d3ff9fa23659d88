// SPDX-License-Identifier: Apache-2.0
// Something that is neither a reel accumulator nor has the accumulator members.
#include "common.hpp"

struct not_an_accumulator {
  int state;
};

int main() {
  std::vector<int> out;
  auto proc = reel::make_processor(
      reel::from<order>(reel::event_time(&order::ts)) |
      reel::tumbling_window({.interval = 1min},
                            reel::group(&order::customer, not_an_accumulator{1})) |
      reel::emit([&out](const auto&) { out.push_back(1); }));
  (void)proc;
}
