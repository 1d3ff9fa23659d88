// SPDX-License-Identifier: Apache-2.0
/// \file
/// The in-flight machinery of enrichment stages in the stream processor
/// (`reel/json/enrichment.hpp` says what it guarantees): per asynchronous stage, an ordered queue
/// of events whose calls were started, released from its front only, in input order. A call
/// that completes frees its place among the `parallelism` running calls at once; its document
/// waits in the queue for the earlier ones.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "reel/connector/source.hpp"
#include "reel/json/enrichment.hpp"
#include "reel/json/value.hpp"
#include "reel/time.hpp"

namespace reel::json::detail {

/// Signalled by every call that completes; the processor waits on it when it must (a full
/// queue, a drain). Shared with the calls, so it outlives a processor destroyed mid-call.
class completion_signal {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    cv_.notify_all();
  }
  [[nodiscard]] std::uint64_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  /// Waits until a call completes after `seen` was read from `count()`, at most `timeout`.
  void wait_past(std::uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return count_ != seen; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t count_ = 0;
};

/// One document's call.
struct call_slot {
  std::mutex mutex;
  bool done = false;
  call_outcome outcome;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point finished;
};

/// An event whose documents wait at an enrichment stage.
struct pending_event {
  source_message message;  ///< for DLQ records, positions and `$meta: "stream.source"`
  timestamp time;          ///< its event time
  timestamp now;           ///< the processing time it was read at
  std::vector<document> docs;
  std::vector<std::shared_ptr<call_slot>> calls;  ///< one per document started so far
};

/// Documents a stage may hold per unit of `parallelism`: `parallelism` calls running, the rest
/// completed early and waiting for an earlier call (a slow call does not stop the others from
/// starting until this many documents wait behind it).
inline constexpr std::size_t held_per_call = 4;

/// The queue of one asynchronous stage.
struct enrichment_queue {
  const enrichment_stage* stage = nullptr;
  std::size_t index = 0;  ///< in the processor's list of per-event stages
  std::deque<pending_event> events;
  std::size_t documents = 0;  ///< in `events` (started or not)
  std::size_t started = 0;    ///< calls started and not yet released
  /// Of `started`, the calls that completed (counted by the calls themselves, on any thread).
  std::shared_ptr<std::atomic<std::size_t>> completed_waiting =
      std::make_shared<std::atomic<std::size_t>>(0);
  // statistics
  std::uint64_t calls = 0, completed = 0, errors = 0;
  std::chrono::steady_clock::duration latency_total{}, latency_max{};

  /// Calls started and not yet completed.
  [[nodiscard]] std::size_t running() const noexcept {
    return started - std::min(started, completed_waiting->load(std::memory_order_acquire));
  }
  /// How many more documents the stage takes now: no more than can start a call at once, and
  /// no more than `held_per_call × parallelism` in all.
  [[nodiscard]] std::size_t room() const noexcept {
    const std::size_t max = stage->max_in_flight();
    const std::size_t busy = running() + (documents - started);  // running or not yet started
    const std::size_t held_limit = held_per_call * max;
    if (busy >= max || documents >= held_limit) return 0;
    return std::min(max - busy, held_limit - documents);
  }
  /// No room: the processor stops reading its source.
  [[nodiscard]] bool full() const noexcept { return room() == 0; }
  /// The front event's calls have all completed.
  [[nodiscard]] bool front_ready() const {
    if (events.empty()) return false;
    const pending_event& e = events.front();
    if (e.calls.size() != e.docs.size()) return false;
    for (const auto& c : e.calls) {
      std::lock_guard lock(c->mutex);
      if (!c->done) return false;
    }
    return true;
  }
};

}  // namespace reel::json::detail
