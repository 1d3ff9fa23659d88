// SPDX-License-Identifier: Apache-2.0
/// \file
/// What a typed stage sees of the processor while an event passes: counters, the partition and
/// processing time of the current event, and its arrival sequence number.
#pragma once

#include <cstdint>

#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"

namespace reel {

/// Event counts; every event that enters is either filtered, in a window, late, in a gap, out of
/// the event-time range, or (for stateless pipelines) emitted.
struct stage_counters {
  std::uint64_t input = 0;           ///< events pushed
  std::uint64_t output = 0;          ///< results delivered to the sink
  std::uint64_t filtered = 0;        ///< dropped by `match`
  std::uint64_t late = 0;            ///< arrived after all their windows closed
  std::uint64_t dead_letters = 0;    ///< records handed to the dead letter handler
  std::uint64_t in_gap = 0;          ///< fell between hopping windows (`hop > interval`)
  std::uint64_t partially_late = 0;  ///< hopping: missed some windows, counted in the open ones
  std::uint64_t out_of_range = 0;    ///< event time outside `[min_event_time, max_event_time]`
};

struct stage_context {
  stage_counters counters;
  partition_id partition = 0;
  timestamp now = min_timestamp;
  std::uint64_t seq = 0;
};

}  // namespace reel
