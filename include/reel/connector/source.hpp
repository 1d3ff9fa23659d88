// SPDX-License-Identifier: Apache-2.0
/// \file
/// The source interface that connectors implement (Kafka, change streams, files, samples, your
/// own): poll a batch of messages, each with payload bytes or an already decoded document, a
/// record timestamp, a partition and a position; report partitions and end of input; seek to
/// stored positions on restore; commit positions once what derives from them is safe.
///
/// **Example** (a complete custom source is in `examples/custom_connector.cpp`)
/// ```cpp
/// class counter_source final : public reel::source {
///   int next_ = 0;
///  public:
///   std::string type() const override { return "counter"; }
///   reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t) override {
///     if (next_ == 3) return reel::poll_status::end_of_input;
///     out.push_back({.document = reel::json::document{{"n", next_++}}});
///     return reel::poll_status::ready;
///   }
/// };
/// ```
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"

namespace reel {

/// One message from a source.
struct source_message {
  /// The raw payload (JSON / Extended JSON text) when `document` is empty. Kept in DLQ records
  /// when it cannot be decoded.
  std::string payload;
  /// An already decoded document (in-memory sources, change streams).
  std::optional<nlohmann::ordered_json> document;
  /// The source's own timestamp (Kafka record time, change event wall time), used as event time
  /// when the pipeline has no `timeField`.
  std::optional<timestamp> record_time;
  /// Index into `source::partitions()`; each partition has its own watermark.
  partition_id partition = 0;
  /// `{$meta: "stream.source..."}` fields: topic, partition, offset, key, headers, ...
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  /// Where this message sits in its partition (an offset, a resume token), for DLQ records.
  nlohmann::ordered_json position;
};

enum class poll_status {
  ready,        ///< messages were appended (possibly none yet: call again)
  idle,         ///< nothing available right now
  end_of_input  ///< a finite source is drained; nothing will follow
};

class source {
 public:
  virtual ~source() = default;
  /// `"memory"`, `"kafka"`, `"atlas"`, `"file"`, `"generated"`: reported in
  /// `_stream_meta.source.type`.
  [[nodiscard]] virtual std::string type() const = 0;
  /// Appends up to `max` messages to `out`.
  virtual poll_status poll(std::vector<source_message>& out, std::size_t max) = 0;
  /// The partitions known now (each holds the watermark back until it delivers or goes idle).
  [[nodiscard]] virtual std::vector<std::string> partitions() const { return {"0"}; }
  /// Where the source stands, to be stored in a checkpoint.
  [[nodiscard]] virtual nlohmann::ordered_json positions() const { return nullptr; }
  /// Resume from positions previously returned by `positions()`.
  virtual void seek(const nlohmann::ordered_json& /*positions*/) {}
  /// Everything up to `positions` has been written by the sink (or checkpointed).
  virtual void commit(const nlohmann::ordered_json& /*positions*/) {}
};

}  // namespace reel
