// SPDX-License-Identifier: Apache-2.0
// reel::event_time over a field that is not a time point.
#include "common.hpp"

int main() {
  auto source = reel::from<order>(reel::event_time(&order::ts_millis));
  (void)source;
}
