// SPDX-License-Identifier: Apache-2.0
/// \file
/// The source interface that connectors implement (Kafka, change streams, files, samples, your
/// own): poll a batch of messages, each with payload bytes or an already decoded document, a
/// record timestamp, a partition and a position; report partitions and end of input; seek to
/// stored positions on restore; commit positions once what derives from them is safe.
///
/// **Delivery.** A processor calls `commit()` with, per partition, the first message it still
/// needs: one held by an open window, or one whose output the sink has not flushed yet. A source
/// that commits exactly that (Kafka's committed offsets) gives at-least-once processing: after a
/// crash, reading resumes at the committed positions.
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
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"

namespace reel {

/// Where a line of a text source (a file, standard input) sits, as plain data: the `position`
/// document `{"line": …, "offset": …}` and the metadata `{"path": …}` are built from it only
/// when a DLQ record, an output's `_stream_meta`, `{$meta: "stream.source"}` or a commit needs
/// them, not for every line.
struct line_position {
  std::uint64_t line = 0;    ///< 1-based line number
  std::uint64_t offset = 0;  ///< 0-based byte offset of the line's first byte
  /// The file's path (`_stream_meta.source.path`), one string shared by every line of the file;
  /// null for a source without one (standard input).
  std::shared_ptr<const std::string> path;
};

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
  /// `{$meta: "stream.source..."}` fields: topic, partition, offset, key, headers, ...: an
  /// object, or null for none.
  nlohmann::ordered_json metadata;
  /// Where this message sits in its partition (an offset, a resume token), for DLQ records and
  /// for `source::commit`.
  nlohmann::ordered_json position;
  /// Set by line-oriented sources instead of `position` and `metadata`: what they would hold, as
  /// plain data (see `position_document()`, `metadata_document()`).
  std::optional<line_position> line;
  /// Set by a source that resumed this partition from a committed position (a restart, a
  /// rebalance): windows of this partition ending before this event time were already closed by
  /// the reader that committed it (see `partition_release::closed_before`).
  std::optional<timestamp> closed_before;
  /// Set when the source could not decode the message (a key that does not fit `keyFormat`, a
  /// tombstone): it goes to the DLQ with this reason and the payload.
  std::string error;
  /// The reader that committed the position had already processed this message: with an event
  /// time before `closed_before` it is skipped (and counted), not treated as late.
  bool redelivered = false;

  /// `position`, or `{"line": …, "offset": …}` for a message with a `line`; null for none.
  [[nodiscard]] nlohmann::ordered_json position_document() const {
    if (!line) return position;
    nlohmann::ordered_json p = nlohmann::ordered_json::object();
    p["line"] = line->line;
    p["offset"] = line->offset;
    return p;
  }
  /// Whether `position_document()` is not null.
  [[nodiscard]] bool has_position() const noexcept {
    return line.has_value() || !position.is_null();
  }
  /// `metadata`, followed by `"path"` for a message with a `line` that has one; null for none.
  [[nodiscard]] nlohmann::ordered_json metadata_document() const {
    if (!line || !line->path || metadata.contains("path")) return metadata;
    nlohmann::ordered_json m = metadata.is_object() ? metadata : nlohmann::ordered_json::object();
    m["path"] = *line->path;
    return m;
  }
};

/// What a processor no longer needs from one partition, for `source::commit`.
struct partition_release {
  partition_id partition = 0;
  /// The position of the first message still needed (the source commits up to it, exclusive);
  /// null: every message delivered so far is safe.
  nlohmann::ordered_json first_needed;
  /// Every window holding events before this time has closed, and an event this old would be
  /// late (`min_timestamp` when unknown). A source may store it with the committed position and
  /// hand it back in `source_message::closed_before` after a restart or a rebalance, so that
  /// messages read again do not reopen closed windows with part of their events.
  timestamp closed_before = min_timestamp;
};

/// Partitions that came and went since the last call (Kafka rebalances).
struct partition_changes {
  /// Partition ids with their names (`"tickets[3]"`), to hold the watermark back until they
  /// deliver or go idle.
  std::vector<std::pair<partition_id, std::string>> assigned;
  std::vector<partition_id> revoked;
  [[nodiscard]] bool empty() const noexcept { return assigned.empty() && revoked.empty(); }
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
  /// The largest message to deliver (`limits::max_message_bytes`, 0: none), set by the processor
  /// before the first poll. A source that can tell a message's size before holding it all (a
  /// line reader) delivers a larger one as a message with `error` set
  /// (`message_too_large_reason`) and only its first bytes as payload; the processor checks
  /// every message besides.
  virtual void limit_message_bytes(std::size_t /*max_bytes*/) {}
  /// Resume from positions previously returned by `positions()`.
  virtual void seek(const nlohmann::ordered_json& /*positions*/) {}
  /// Partitions assigned and revoked since the last call; polled by the processor after each
  /// `poll()`. Sources with a fixed partition set return nothing.
  virtual partition_changes take_partition_changes() { return {}; }
  /// What derives from the released messages has been written by the sink (and the DLQ): the
  /// source may commit these positions (at-least-once: a crash replays from them).
  virtual void commit(const std::vector<partition_release>& /*released*/) {}
  /// The source's own counters (commits, rebalances, errors, ...) for the processor's `stats()`
  /// (`sourceMetrics`); null when it keeps none.
  [[nodiscard]] virtual nlohmann::ordered_json metrics() const { return nullptr; }
};

}  // namespace reel
