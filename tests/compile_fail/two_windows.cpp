// SPDX-License-Identifier: Apache-2.0
// Two window stages in one pipeline.
#include "common.hpp"

struct first_window_result {
  std::string customer;
  reel::timestamp ts;
};

int main() {
  std::vector<int> out;
  auto proc = reel::make_processor(
      reel::from<order>(reel::event_time(&order::ts)) |
      reel::tumbling_window({.interval = 1min}, reel::group(&order::customer, reel::count())) |
      reel::map([](const auto& r) {
        return first_window_result{r.key, r.start};
      }) |
      reel::tumbling_window({.interval = 1h},
                            reel::group(&first_window_result::customer, reel::count())) |
      reel::emit([&out](const auto&) { out.push_back(1); }));
  (void)proc;
}
