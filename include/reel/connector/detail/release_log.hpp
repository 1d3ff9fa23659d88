// SPDX-License-Identifier: Apache-2.0
/// \file
/// Which source positions a processor still needs, per partition, for `source::commit`.
///
/// A message whose events sit in an open window is needed until every window holding events of
/// its time has closed, that is until the window's `retained_from()` passes that time. Per
/// partition the log keeps (position, time) entries with strictly increasing times: a message
/// whose time is not above the last entry's is covered by that entry (it is released no earlier),
/// and entries closer than `granularity` share one (keeping the earlier position: conservative).
/// The first entry whose time is not yet released is the first position still needed.
#pragma once

#include <deque>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/source.hpp"
#include "reel/time.hpp"

namespace reel::detail {

class release_log {
 public:
  /// A message of `partition` put events of time `t` into a window; `position()` gives the
  /// message's position, asked for only when the log keeps a new entry (about one per
  /// `granularity` of event time, not one per message).
  template <class Position>
  void held(partition_id partition, Position&& position, timestamp t) {
    part& p = part_of(partition);
    if (!p.entries.empty()) {
      entry& last = p.entries.back();
      if (t <= last.time) return;
      if (t - last.time < granularity) {
        last.time = t;
        return;
      }
    }
    p.entries.push_back({position(), t});
  }
  /// The partition delivered a message (held or not): it gets a release from now on.
  void delivered(partition_id partition) { part_of(partition); }
  /// The partition went away (a rebalance): no more releases for it.
  void forget(partition_id partition) {
    if (partition < parts_.size()) parts_[partition] = part{};
  }

  /// Releases for every partition that delivered, given that events of partition `p` before
  /// `retained_from(p)` are no longer needed (`max_timestamp`: nothing is held, as in a pipeline
  /// without a window).
  template <class RetainedFrom>
  [[nodiscard]] std::vector<partition_release> release(RetainedFrom&& retained_from_of) {
    std::vector<partition_release> out;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      part& p = parts_[i];
      if (!p.known) continue;
      const timestamp retained_from = retained_from_of(static_cast<partition_id>(i));
      while (!p.entries.empty() && p.entries.front().time < retained_from)
        p.entries.pop_front();
      partition_release r;
      r.partition = static_cast<partition_id>(i);
      r.closed_before = retained_from == max_timestamp ? min_timestamp : retained_from;
      if (!p.entries.empty()) r.first_needed = p.entries.front().position;
      out.push_back(std::move(r));
    }
    return out;
  }

  /// Entries kept (for statistics and tests).
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const auto& p : parts_)
      n += p.entries.size();
    return n;
  }

  static constexpr duration granularity{1000};

 private:
  struct entry {
    nlohmann::ordered_json position;
    timestamp time;
  };
  struct part {
    std::deque<entry> entries;
    bool known = false;
  };
  part& part_of(partition_id partition) {
    if (partition >= parts_.size()) parts_.resize(partition + 1);
    parts_[partition].known = true;
    return parts_[partition];
  }
  std::vector<part> parts_;
};

}  // namespace reel::detail
