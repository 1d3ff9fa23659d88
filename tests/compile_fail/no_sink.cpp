// SPDX-License-Identifier: Apache-2.0
// A pipeline that does not end with reel::emit / reel::emit_to.
#include "common.hpp"

int main() {
  auto proc = reel::make_processor(
      reel::from<order>(reel::event_time(&order::ts)) |
      reel::tumbling_window({.interval = 1min}, reel::group(&order::customer, reel::count())));
  (void)proc;
}
