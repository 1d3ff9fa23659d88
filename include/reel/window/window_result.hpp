// SPDX-License-Identifier: Apache-2.0
/// \file
/// What a typed window emits (`reel::window_result`) and what it hands to the dead letter
/// handler for an event that arrived too late (`reel::dead_letter`).
#pragma once

#include <string>
#include <vector>

#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"

namespace reel {

/// The partition of a window that has none (tumbling and hopping windows).
struct no_partition {
  friend constexpr bool operator==(no_partition, no_partition) noexcept { return true; }
};

/// One group of one closed window: `[start, end)`, the group key, the accumulators' results
/// (a tuple, in the order given to `reel::group`) and, for session windows, the partition key.
template <class Key, class Values, class Partition = no_partition>
struct window_result {
  timestamp start;
  timestamp end;
  Key key;
  Values values;
  [[no_unique_address]] Partition partition{};
  friend bool operator==(const window_result&, const window_result&) = default;
};

/// An event that could not be processed, with the reason (DESIGN.md §4, DLQ record).
template <class T>
struct dead_letter {
  T event;
  timestamp event_time;
  partition_id partition = 0;
  std::string operator_name;  ///< the stage that rejected it
  std::string reason;         ///< "Input document arrived late."
  std::vector<timestamp> missed_window_starts;
};

inline constexpr const char* late_event_reason = "Input document arrived late.";

}  // namespace reel
