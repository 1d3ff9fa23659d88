// SPDX-License-Identifier: Apache-2.0
/// \file
/// The sink interface that connectors implement ($merge into a collection, $emit to a topic or a
/// bucket, files, callbacks): write a batch, report documents rejected one by one (they go to
/// the DLQ with the reason), flush.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace reel {

/// Documents of a batch that the sink refused, by index in the batch, with the reason.
struct write_result {
  std::vector<std::pair<std::size_t, std::string>> rejected;
};

class source;

/// What a processor tells its sinks before it restores or starts them (`sink::attach`).
struct sink_context {
  /// The processor's name (a transactional sink derives its transactional id from it).
  std::string processor_name;
  /// The processor's `$source`, if any (a Kafka sink commits its offsets in its transactions).
  reel::source* source = nullptr;
  /// Whether the processor keeps checkpoints in a store.
  bool checkpoints = false;
};

class sink {
 public:
  /// Receives a document rejected after the `write()` call that carried it returned.
  using rejection_handler =
      std::function<void(const nlohmann::ordered_json& doc, const std::string& reason)>;

  virtual ~sink() = default;
  /// Writes `docs`; a document that cannot be written alone is reported in `result`; a failure
  /// of the whole sink throws `reel::error`.
  virtual void write(std::span<const nlohmann::ordered_json> docs, write_result& result) = 0;
  /// Makes everything written so far durable (or delivered).
  virtual void flush() {}
  /// Processing time moved (the processor's `advance()`): sinks that write on a timer (S3's
  /// `writeOptions.interval`, batched `$merge`) write what is due.
  virtual void on_time_passed() {}
  /// Lets the sink buffer across `write()` calls (batched `$merge`, Kafka's asynchronous
  /// delivery): a document rejected later goes to `handler` (the processor's DLQ). Sinks that
  /// report every rejection in `write()` ignore it.
  virtual void set_rejection_handler(rejection_handler /*handler*/) {}
  /// Makes everything written so far durable and says how far that is (a file sink: its length
  /// in bytes), for a checkpoint; null when the sink cannot be rewound (it is then at least
  /// once, or idempotent like `$merge`).
  [[nodiscard]] virtual nlohmann::ordered_json commit_point() { return nullptr; }
  /// Called by a processor once, before its first write. `resume_point` null: a first start,
  /// the sink's own rules apply (a file sink refuses, appends to or truncates an existing file,
  /// as its mode says). Otherwise the processor restored a checkpoint and this is the sink's
  /// `commit_point()` stored in it: whatever was written after it is dropped (a file sink
  /// truncates to it), so that the output is what an uninterrupted run writes. Throws
  /// `reel::error` when it cannot. A sink used without a processor starts on its first write.
  virtual void start(const nlohmann::ordered_json& /*resume_point*/) {}

  /// **Transactional sinks** (Kafka `$emit` in exactly-once mode) commit their output with each
  /// checkpoint. A processor calls, in this order: `attach()` once, when it is built (before
  /// `output_committed()` and `start()`); at every checkpoint `prepare_checkpoint(version,
  /// source positions)`, `commit_point()` (the sink flushes and adds the positions to its
  /// transaction), then stores the checkpoint and calls `checkpoint_stored()` (the sink commits).
  /// When it restores, it asks `output_committed(commit point)` of the newest checkpoint: false
  /// means the transaction of that checkpoint did not commit (the process died between storing
  /// it and committing), and the previous checkpoint is restored instead. Throws `reel::error`
  /// when the sink cannot work as configured (exactly-once without checkpoints).
  virtual void attach(const sink_context& /*context*/) {}
  /// A checkpoint numbered `version` is being taken; the source is at `source_positions`.
  virtual void prepare_checkpoint(std::uint64_t /*version*/,
                                  const nlohmann::ordered_json& /*source_positions*/) {}
  /// The checkpoint whose `commit_point()` was taken last is stored. Throws `reel::error` when
  /// the sink cannot commit (the processor must stop: a restart restores the right checkpoint).
  virtual void checkpoint_stored() {}
  /// Whether the output recorded by a checkpoint with this commit point was committed.
  [[nodiscard]] virtual bool output_committed(const nlohmann::ordered_json& /*commit_point*/) {
    return true;
  }
  /// The sink's own counters (documents written, batches, retries, ...) for the processor's
  /// `stats()` (`sinkMetrics`); null when it keeps none.
  [[nodiscard]] virtual nlohmann::ordered_json metrics() const { return nullptr; }
};

}  // namespace reel
