// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$source` from Kafka topics through a consumer group, as in Atlas Stream Processing:
///
/// ```json
/// {"$source": {"connectionName": "kafka", "topic": ["tickets"],
///              "timeField": {"$toDate": "$ts"}, "partitionIdleTimeout": {"size": 30, "unit":
///              "second"}, "config": {"group_id": "movies", "auto_offset_reset": "earliest",
///                         "keyFormat": "string", "keyFormatError": "dlq"}}}
/// ```
///
/// - `topic`: a topic name or an array of them. Every topic-partition the group assigns to this
///   process is a watermark partition (named `"tickets[3]"`): it holds the watermark back until
///   it delivers or is idle for `partitionIdleTimeout`; one taken away by a rebalance stops
///   holding it. Without `timeField`, the record timestamp is the event time.
/// - `config.group_id`: the consumer group (default `reel-<first topic>`); processes running the
///   same pipeline with the same group share the partitions, as Kafka Streams instances do.
///   `config.group_instance_id` makes the member static. Partitions are handed out with the
///   `cooperative-sticky` assignor: a rebalance moves only the partitions that must move.
/// - `config.auto_offset_reset`: where a group without committed offsets starts: `earliest`,
///   `latest` (default, as in Atlas) or `error`.
/// - `config.keyFormat`: how the key is decoded for `{$meta: "stream.source.key"}`: `binData`
///   (default), `string`, `json`, `int` (4 bytes big-endian), `long` (8 bytes big-endian);
///   `config.keyFormatError`: `dlq` (default: the message goes to the DLQ) or `passThrough` (the
///   key stays binData).
/// - Other `config` entries are passed to librdkafka as consumer properties (with `.` or `_`:
///   `fetch_max_bytes` is `fetch.max.bytes`).
///
/// Each message's metadata (`{$meta: "stream.source.topic"}` and so on): `topic`, `partition`,
/// `offset`, `key`, `headers` (`[{k, v}]`, values binData), `ts` (the record timestamp). Its
/// value is the payload, decoded by the processor as relaxed or canonical Extended JSON; one that
/// is not goes to the DLQ with topic, partition, offset and the bytes.
///
/// **Delivery: at-least-once.** Offsets are never committed automatically. The processor calls
/// `commit()` with, per partition, the first message it still needs (held in an open window, or
/// not yet flushed by the sink); that offset is committed, with metadata recording how far the
/// windows had closed and how far this process had read. After a crash, a restart, or when a
/// rebalance moves a partition, reading resumes at the committed offset: messages the previous
/// reader had already processed and whose windows it had closed are skipped (and counted),
/// the others are processed again, so no input is lost and a window result may be written twice
/// (identical when the group key is partitioned upstream: with `$merge` and a deterministic
/// `_id` the second write changes nothing). A partition being revoked commits its last released
/// offset first.
///
/// Checkpoints: `positions()` gives `{topic: {partition: next offset}}` for a processor
/// checkpoint; `seek()` makes the partitions start there when assigned (instead of the
/// committed offsets).
///
/// **Exactly-once.** With a `$emit` to Kafka in exactly-once mode (`reel/kafka/sink.hpp`), the
/// sink calls `commit_in_transactions()`: `commit()` then does nothing, and the group's offsets
/// are the checkpoints' positions, committed by the sink's transactions with its output.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/source.hpp"
#include "reel/kafka/properties.hpp"

namespace reel::kafka {

struct source_options {
  std::vector<std::string> topics;
  std::string group_id;
  std::string auto_offset_reset = "latest";
  enum key_format key_format = key_format::bin_data;
  /// `keyFormatError: "passThrough"`: keys that do not decode stay binData.
  bool key_error_pass_through = false;
  /// More consumer properties (the stage's `config` entries that are not Reel's).
  properties consumer;
  /// How long `poll()` waits for a first message before answering `idle`.
  std::chrono::milliseconds poll_timeout{100};
  /// Where the stage is (`/0/$source`), for error locations.
  std::string where;
};

/// Reads a `$source` stage object for a Kafka connection. Throws
/// `reel.pipeline.invalid_option` at `where + pointer`.
source_options parse_source_stage(const nlohmann::ordered_json& stage, const std::string& where);

class kafka_source final : public reel::source {
 public:
  /// Subscribes; throws `reel.connection.invalid` for properties librdkafka refuses.
  kafka_source(properties client, source_options options);
  ~kafka_source() override;
  kafka_source(const kafka_source&) = delete;
  kafka_source& operator=(const kafka_source&) = delete;

  [[nodiscard]] std::string type() const override { return "kafka"; }
  reel::poll_status poll(std::vector<source_message>& out, std::size_t max) override;
  [[nodiscard]] std::vector<std::string> partitions() const override;
  [[nodiscard]] nlohmann::ordered_json positions() const override;
  void seek(const nlohmann::ordered_json& positions) override;
  partition_changes take_partition_changes() override;
  void commit(const std::vector<partition_release>& released) override;
  /// A record value over `max_bytes` is delivered as a `reel.input.too_large` message with its
  /// first bytes (the processor sends it to the DLQ).
  void limit_message_bytes(std::size_t max_bytes) override;
  /// The consumer group (`config.group_id`).
  [[nodiscard]] const std::string& group_id() const noexcept;
  /// A transactional sink commits the offsets from now on: `commit()` does nothing.
  void commit_in_transactions() noexcept;

  struct statistics {
    std::uint64_t messages = 0;     ///< messages delivered by poll()
    std::uint64_t redelivered = 0;  ///< of which read again after a resume
    std::uint64_t commits = 0;      ///< offset commits sent
    std::uint64_t commit_errors = 0;
    std::uint64_t rebalances = 0;
    std::string last_error;  ///< the last consumer or commit error, if any
  };
  [[nodiscard]] statistics stats() const;
  /// `stats()` as `{messages, redelivered, commits, commitErrors, rebalances, lastError}`.
  [[nodiscard]] nlohmann::ordered_json metrics() const override;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::kafka
