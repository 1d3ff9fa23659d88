// SPDX-License-Identifier: Apache-2.0
/// \file
/// The time logic every window shares, written once for both front ends: it owns a window
/// operator (sliced or session) and the watermark tracker, and decides when windows close.
///
/// - An event is placed first, then its time updates its partition's watermark; whenever the
///   processor watermark moves, every window with `end <= watermark - allowedLateness` closes.
/// - `advance(now)` applies processing time: partitions idle for `partitionIdleTimeout` stop
///   holding the watermark back; with `idleTimeout`, when the source has delivered nothing since
///   `idle_since` and `now >= idle_since + idleTimeout`, every open window (one holding events)
///   with `end <= now` closes and the watermark moves to the last closed window's end; with
///   `boundary: processingTime`, the watermark is the processing clock.
/// - `flush()` closes everything (end of input).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "reel/detail/checked_arithmetic.hpp"
#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"
#include "reel/window/options.hpp"
#include "reel/window/sliced_window_operator.hpp"

namespace reel {

template <class Operator>
class window_driver {
 public:
  window_driver(Operator op, close_policy policy,
                std::optional<duration> partition_idle_timeout = std::nullopt)
      : op_(std::move(op)), policy_(policy) {
    policy_.validate();
    if (partition_idle_timeout)
      check_window_duration(*partition_idle_timeout, "partitionIdleTimeout");
    tracker_.set_idle_timeout(partition_idle_timeout);
  }

  [[nodiscard]] Operator& op() noexcept { return op_; }
  [[nodiscard]] const Operator& op() const noexcept { return op_; }
  [[nodiscard]] watermark_tracker& tracker() noexcept { return tracker_; }
  [[nodiscard]] const watermark_tracker& tracker() const noexcept { return tracker_; }
  [[nodiscard]] const close_policy& policy() const noexcept { return policy_; }

  /// Whether events must be stamped with processing time (idleness or processing-time windows).
  [[nodiscard]] bool needs_processing_time() const noexcept {
    return policy_.idle_timeout.has_value() || tracker_.idle_timeout().has_value() ||
           policy_.time_boundary == boundary::processing_time;
  }
  [[nodiscard]] bool processing_time_windows() const noexcept {
    return policy_.time_boundary == boundary::processing_time;
  }

  /// Places one event with `add(timestamp t, missed_windows&) -> placement`, then updates the
  /// watermark and closes what it allows, calling `emit` for each closing window.
  template <class Add, class Emit>
  placement on_event(partition_id partition, timestamp t, timestamp now, Add&& add, Emit&& emit) {
    if (policy_.time_boundary == boundary::processing_time) t = now;
    last_arrival_ = now;
    const placement where = add(t, missed_);
    bool moved = tracker_.observe(partition, t, now);
    // Processing-time windows close when the clock passes their end, whatever other partitions
    // have delivered (as in advance()).
    if (policy_.time_boundary == boundary::processing_time) moved = tracker_.raise(now) || moved;
    if (moved) [[unlikely]]
      close_to_watermark(emit);
    return where;
  }

  /// For batches of event-time windows: the times `[first, last)` (milliseconds) at which an
  /// event from `partition` only adds to the pane of the previous event (`Operator::fast_pane`)
  /// without moving the watermark. Such events are added with `op().add_to_fast_pane` and counted
  /// with `count_fast_events`; the range holds until the next `on_event`, `advance` or `flush`.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> fast_range(
      partition_id partition) const noexcept {
    const auto [first, last] = op_.fast_pane();
    const std::int64_t quiet = to_millis(tracker_.quiet_through(partition));
    return {first, quiet < last ? std::max(first, quiet + 1) : last};
  }
  void count_fast_events(partition_id partition, std::uint64_t n, timestamp now) noexcept {
    op_.count_fast_events(n);
    tracker_.count_quiet_events(partition, n, now);
    last_arrival_ = now;
  }

  /// Windows the last event missed (valid right after `on_event`).
  [[nodiscard]] const missed_windows& missed() const noexcept { return missed_; }

  /// Processing time moved to `now`.
  template <class Emit>
  void advance(timestamp now, Emit&& emit) {
    if (started_ == min_timestamp) started_ = now;
    tracker_.advance(now);
    if (policy_.time_boundary == boundary::processing_time) tracker_.raise(now);
    // Also closes what a watermark move outside events allows (a partition revoked by a
    // rebalance); cheap when nothing is due.
    close_to_watermark(emit);
    if (policy_.idle_timeout && op_.has_open_windows()) {
      const timestamp idle_since = last_arrival_ != min_timestamp ? last_arrival_ : started_;
      if (detail::saturating_sub(to_millis(now), to_millis(idle_since)) >=
          policy_.idle_timeout->count()) {
        // Close the open windows (those holding events) that end by `now`, one end at a time, so
        // that the close bound moves only to the last closed end: a window that never held an
        // event is not open, does not close, and events for it are late only by the watermark
        // rule (DESIGN.md §4).
        std::optional<timestamp> last;
        while (op_.has_open_windows()) {
          const timestamp end = op_.next_close_end();
          if (end > now) break;
          const std::optional<timestamp> closed = op_.close_through(end, emit);
          if (!closed) break;
          last = closed;
        }
        if (last) tracker_.raise(*last);
      }
    }
  }

  /// End of input: every window closes.
  template <class Emit>
  void flush(Emit&& emit) {
    op_.close_all(emit);
  }

  /// The bound below which windows close: watermark minus allowed lateness.
  [[nodiscard]] std::optional<timestamp> close_bound() const noexcept {
    if (!tracker_.has_watermark()) return std::nullopt;
    const timestamp wm = tracker_.watermark();
    const duration lateness =
        policy_.time_boundary == boundary::processing_time ? duration{0} : policy_.allowed_lateness;
    std::int64_t bound = 0;
    if (__builtin_sub_overflow(to_millis(wm), lateness.count(), &bound)) return std::nullopt;
    return from_millis(bound);
  }

  /// Processing time at which an idle timeout would close the window ending at `end`.
  [[nodiscard]] std::optional<timestamp> idle_close_time(timestamp end) const noexcept {
    if (!policy_.idle_timeout) return std::nullopt;
    const timestamp idle_since = last_arrival_ != min_timestamp ? last_arrival_ : started_;
    if (idle_since == min_timestamp) return std::nullopt;
    return std::max(end, from_millis(detail::saturating_add(to_millis(idle_since),
                                                            policy_.idle_timeout->count())));
  }

  [[nodiscard]] nlohmann::json save() const {
    return {{"watermarks", tracker_.save()},
            {"windows", op_.save()},
            {"last_arrival", to_millis(last_arrival_)},
            {"started", to_millis(started_)}};
  }
  void load(const nlohmann::json& j) {
    tracker_.load(j.at("watermarks"));
    op_.load(j.at("windows"));
    last_arrival_ = from_millis(j.at("last_arrival").get<std::int64_t>());
    started_ = from_millis(j.at("started").get<std::int64_t>());
  }

 private:
  // Out of line: runs only when the watermark moves, and keeps the per-event path small enough
  // for the compiler to inline.
  template <class Emit>
  [[gnu::noinline]] void close_to_watermark(Emit& emit) {
    if (auto bound = close_bound()) op_.close_through(*bound, emit);
  }

  Operator op_;
  close_policy policy_;
  watermark_tracker tracker_;
  missed_windows missed_;
  timestamp last_arrival_ = min_timestamp;
  timestamp started_ = min_timestamp;
};

}  // namespace reel
