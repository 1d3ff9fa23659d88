// SPDX-License-Identifier: Apache-2.0
/// \file
/// How the JSON front end estimates the memory of window state (`stateSize` in `stats()`) and
/// bounds it (`stream_processor_options::max_state_bytes`).
///
/// The estimate is kept as events arrive, not by scanning the state: each event adds what it
/// makes the window hold, each state that leaves (its pane's last window or its session closed)
/// gives back what it was charged, and a checkpoint keeps each state's charge so that a restore
/// gives the same figure.
///
/// - A **buffered document** (a window whose inner pipeline does not start with an incremental
///   `$group`, e.g. `[{$sort: ...}]`) costs `buffered_document_overhead` plus
///   `detail::document_bytes` of the document (its fields, keys and strings as they are held).
/// - A **group** of an incremental `$group` costs `group_overhead` plus the bytes of its key and
///   of its accumulators' initial states, once, when it is made (one per key and pane, or per key
///   and session); then an accumulator whose state is a list (`$push`, `$addToSet`,
///   `$mergeObjects`, `$median`, `$percentile`, `$firstN`, `$topN`, ...) costs
///   `list_element_overhead` plus the bytes of the value for each element its list gains.
///   Fixed-size states (`$sum`, `$avg`, `$min`, `$first`, ...) cost nothing per event.
///
/// The figure follows real memory (allocator headers, table slack and the processor's own
/// structures excepted): the unit tests hold it within a stated factor of what the allocator
/// reports for known documents.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "reel/json/accumulator.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

/// The id of the error, and of the DLQ reason, of a document refused by the state limit.
inline constexpr std::string_view state_limit_error_id = "reel.window.state_limit";

/// The default `max_state_bytes`: 1 GiB of estimated window state per processor.
inline constexpr std::size_t default_max_state_bytes = std::size_t{1} << 30;

/// One buffered document beyond its own bytes: its slot in the window's list, the `[seq, doc]`
/// pair that keeps arrival order, and the allocations of the document's containers.
inline constexpr std::size_t buffered_document_overhead = 4 * sizeof(document) + 64;
/// One group beyond its key and accumulator states: its slot in the window's hash table, the
/// accumulator list and the allocations behind them.
inline constexpr std::size_t group_overhead = 2 * sizeof(document) + 64;
/// One element of an accumulator's list beyond the value: its slot and `[seq, value]` pair.
inline constexpr std::size_t list_element_overhead = 3 * sizeof(document) + 16;

/// The state limit of one processor, shared by its windows (one per source partition with
/// `partitioned_windows`): `used` is the sum of their estimates, `limit` 0 means no limit.
struct state_budget {
  std::size_t limit = 0;
  std::size_t used = 0;
  std::size_t peak = 0;  ///< the highest `used` so far
};

}  // namespace reel::json
