// SPDX-License-Identifier: Apache-2.0
/// \file
/// The sink interface that connectors implement ($merge into a collection, $emit to a topic or a
/// bucket, files, callbacks): write a batch, report documents rejected one by one (they go to
/// the DLQ with the reason), flush.
#pragma once

#include <cstddef>
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
  /// The sink's own counters (documents written, batches, retries, ...) for the processor's
  /// `stats()` (`sinkMetrics`); null when it keeps none.
  [[nodiscard]] virtual nlohmann::ordered_json metrics() const { return nullptr; }
};

}  // namespace reel
