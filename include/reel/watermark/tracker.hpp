// SPDX-License-Identifier: Apache-2.0
/// \file
/// Watermarks per source partition, and the processor watermark derived from them.
///
/// Contract (docs/semantics.md, "Watermark"):
/// - a partition's watermark is the largest event time it has delivered;
/// - the processor watermark is the minimum over partitions that are not idle; a partition that
///   is known but has delivered nothing holds it at "no watermark";
/// - with an idle timeout, a partition that delivered nothing for that long (processing time)
///   stops holding the watermark back until it delivers again; when every partition is idle the
///   watermark is the largest event time seen anywhere;
/// - the watermark never moves backwards.
///
/// **Example**
/// ```cpp
/// reel::watermark_tracker wm;
/// wm.add_partition("p0"); wm.add_partition("p1");
/// wm.observe(0, t(10), now);   // watermark(): none yet, p1 holds it back
/// wm.observe(1, t(7), now);    // watermark() == t(7)
/// ```
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/time.hpp"

namespace reel {

using partition_id = std::uint32_t;

/// What `stats()` shows about one partition.
struct partition_watermark {
  std::string name;
  timestamp watermark = min_timestamp;      ///< largest event time delivered, or min_timestamp
  timestamp last_activity = min_timestamp;  ///< processing time of the last delivery
  bool idle = false;
  std::uint64_t events = 0;
};

class watermark_tracker {
 public:
  /// Partitions idle for `timeout` of processing time stop holding the watermark back.
  void set_idle_timeout(std::optional<duration> timeout) noexcept { idle_timeout_ = timeout; }
  [[nodiscard]] std::optional<duration> idle_timeout() const noexcept { return idle_timeout_; }

  /// Declares a partition that holds the watermark back until it delivers (or goes idle).
  partition_id add_partition(std::string name, timestamp now = min_timestamp) {
    partitions_.push_back(partition_watermark{std::move(name), min_timestamp, now, false, 0});
    recompute();
    return static_cast<partition_id>(partitions_.size() - 1);
  }
  /// Makes sure partitions `0..id` exist, naming new ones by number.
  void ensure_partition(partition_id id, timestamp now = min_timestamp) {
    while (partitions_.size() <= id)
      add_partition(std::to_string(partitions_.size()), now);
  }
  /// Declares partition `id` under `name` (a Kafka rebalance assigned it; ids of partitions
  /// assigned again are reused): it holds the watermark back until it delivers or goes idle.
  void declare_partition(partition_id id, std::string name, timestamp now = min_timestamp) {
    ensure_partition(id, now);
    partition_watermark& p = partitions_[id];
    p.name = std::move(name);
    if (is_removed(id)) {
      removed_[id] = false;
      p.idle = false;
      p.last_activity = now;
    }
    recompute();
  }
  /// Forgets a partition (a Kafka rebalance took it away): it no longer holds the watermark.
  void remove_partition(partition_id id) {
    if (id < partitions_.size()) {
      partitions_[id].idle = true;
      partitions_[id].name += " (removed)";
      removed_.resize(partitions_.size(), false);
      removed_[id] = true;
      recompute();
    }
  }

  /// An event with time `t` arrived on `partition` at processing time `now`. Returns true when
  /// the processor watermark moved.
  bool observe(partition_id partition, timestamp t, timestamp now = min_timestamp) {
    if (partition < partitions_.size()) [[likely]] {
      partition_watermark& p = partitions_[partition];
      if (!p.idle && t <= p.watermark) {  // the common case: nothing moves
        ++p.events;
        p.last_activity = now;
        return false;
      }
    }
    return observe_slow(partition, t, now);
  }

  /// For batches: the latest time an event on `partition` can have and change nothing but the
  /// partition's counters (`observe` would return false at once), or min_timestamp when every
  /// event would do more. Such events are counted together with `count_quiet_events`.
  [[nodiscard]] timestamp quiet_through(partition_id partition) const noexcept {
    if (partition >= partitions_.size() || partitions_[partition].idle) return min_timestamp;
    return partitions_[partition].watermark;
  }
  void count_quiet_events(partition_id partition, std::uint64_t n, timestamp now) noexcept {
    partition_watermark& p = partitions_[partition];
    p.events += n;
    p.last_activity = now;
  }

 private:
  [[gnu::noinline]] bool observe_slow(partition_id partition, timestamp t, timestamp now) {
    if (partition >= partitions_.size()) ensure_partition(partition, now);
    partition_watermark& p = partitions_[partition];
    ++p.events;
    p.last_activity = now;
    const bool was_idle = p.idle && !is_removed(partition);
    if (was_idle) p.idle = false;
    if (t > p.watermark) {
      p.watermark = t;
      if (partitions_.size() == 1) {
        return raise(t);
      }
      if (partition == holder_ || was_idle || watermark_ == min_timestamp) return recompute();
      if (t > max_seen_) max_seen_ = t;
      return false;
    }
    if (was_idle) return recompute();
    return false;
  }

 public:
  /// Processing time moved to `now`: partitions may become idle. Returns true when the
  /// watermark moved.
  bool advance(timestamp now) {
    if (!idle_timeout_) return false;
    bool changed = false;
    for (partition_watermark& p : partitions_) {
      if (p.last_activity == min_timestamp) {
        p.last_activity = now;  // known but never seen: its idle timer starts now
        continue;
      }
      if (!p.idle && now - p.last_activity >= *idle_timeout_) {
        p.idle = true;
        changed = true;
      }
    }
    return changed ? recompute() : false;
  }

  /// Raises the watermark to at least `t` (an idle window closed and moved it). Never lowers it.
  bool raise(timestamp t) noexcept {
    if (t <= watermark_) return false;
    watermark_ = t;
    if (t > max_seen_) max_seen_ = t;
    return true;
  }

  [[nodiscard]] timestamp watermark() const noexcept { return watermark_; }
  [[nodiscard]] bool has_watermark() const noexcept { return watermark_ != min_timestamp; }
  /// The non-idle partition with the smallest watermark (what holds the processor back).
  [[nodiscard]] std::optional<partition_id> holding_back() const noexcept {
    if (holder_ >= partitions_.size()) return std::nullopt;
    return holder_;
  }
  [[nodiscard]] const std::vector<partition_watermark>& partitions() const noexcept {
    return partitions_;
  }
  [[nodiscard]] timestamp max_event_time() const noexcept { return max_seen_; }

  [[nodiscard]] nlohmann::json save() const {
    nlohmann::json parts = nlohmann::json::array();
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
      const auto& p = partitions_[i];
      parts.push_back({p.name, to_millis(p.watermark), to_millis(p.last_activity), p.idle, p.events,
                       is_removed(static_cast<partition_id>(i))});
    }
    return {
        {"watermark", to_millis(watermark_)}, {"max", to_millis(max_seen_)}, {"partitions", parts}};
  }
  void load(const nlohmann::json& j) {
    partitions_.clear();
    removed_.clear();
    for (const auto& p : j.at("partitions")) {
      partitions_.push_back(partition_watermark{p.at(0).get<std::string>(),
                                                from_millis(p.at(1).get<std::int64_t>()),
                                                from_millis(p.at(2).get<std::int64_t>()),
                                                p.at(3).get<bool>(), p.at(4).get<std::uint64_t>()});
      removed_.push_back(p.at(5).get<bool>());
    }
    watermark_ = from_millis(j.at("watermark").get<std::int64_t>());
    max_seen_ = from_millis(j.at("max").get<std::int64_t>());
    const timestamp keep = watermark_;
    recompute();
    watermark_ = std::max(watermark_, keep);
  }

 private:
  [[nodiscard]] bool is_removed(partition_id id) const noexcept {
    return id < removed_.size() && removed_[id];
  }
  /// Recomputes the minimum over active partitions; returns true when the watermark moved.
  bool recompute() {
    timestamp lowest = max_timestamp;
    bool any_active = false;
    holder_ = static_cast<partition_id>(-1);
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
      const partition_watermark& p = partitions_[i];
      if (p.watermark > max_seen_) max_seen_ = p.watermark;
      if (p.idle || is_removed(static_cast<partition_id>(i))) continue;
      any_active = true;
      if (p.watermark < lowest) {
        lowest = p.watermark;
        holder_ = static_cast<partition_id>(i);
      }
    }
    if (!any_active) lowest = max_seen_;  // everything idle: nothing holds the watermark back
    return raise(lowest);
  }

  std::vector<partition_watermark> partitions_;
  std::vector<bool> removed_;
  std::optional<duration> idle_timeout_;
  timestamp watermark_ = min_timestamp;
  timestamp max_seen_ = min_timestamp;
  partition_id holder_ = static_cast<partition_id>(-1);
};

}  // namespace reel
