// SPDX-License-Identifier: Apache-2.0
// An event-time window after a source without reel::event_time.
#include "common.hpp"

int main() {
  std::vector<reel::window_result<std::string, std::tuple<std::int64_t>>> out;
  auto proc = reel::make_processor(
      reel::from<order>() |
      reel::tumbling_window({.interval = 1min}, reel::group(&order::customer, reel::count())) |
      reel::emit_to(out));
  (void)proc;
}
