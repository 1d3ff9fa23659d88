// SPDX-License-Identifier: Apache-2.0
// Positive control: a correct pipeline of the same shapes as the failing files compiles.
#include "common.hpp"

int main() {
  std::vector<reel::window_result<std::string, std::tuple<std::int64_t, double>>> out;
  auto proc = reel::make_processor(
      reel::from<order>(reel::event_time(&order::ts)) |
      reel::tumbling_window(
          {.interval = 1min},
          reel::group(&order::customer, reel::sum(&order::qty), reel::avg(&order::price))) |
      reel::emit_to(out));
  proc.push({"c", "i", 1, 2.0, reel::timestamp{}, 0});
  proc.flush();
  return out.size() == 1 ? 0 : 1;
}
