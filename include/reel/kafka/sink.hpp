// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$emit` to a Kafka topic (and Kafka as the DLQ target), as in Atlas Stream Processing:
///
/// ```json
/// {"$emit": {"connectionName": "kafka", "topic": {"$concat": ["orders-", "$region"]},
///            "config": {"key": "$customerId", "keyFormat": "string",
///                       "headers": {"source": "reel", "region": "$region"},
///                       "acks": "all", "compression_type": "zstd",
///                       "outputFormat": "relaxedJson", "dateFormat": "default",
///                       "tombstoneWhen": {"$eq": ["$op", "delete"]}}}}
/// ```
///
/// - `topic`: a string, or an expression evaluated per document. A document whose topic fails
///   to evaluate or is not a valid topic name (a non-empty string of at most 249 characters
///   among `a-z A-Z 0-9 . _ -`) is rejected (it goes to the DLQ with the reason).
/// - `config.key`: an expression giving the message key, written as `config.keyFormat` says:
///   `binData` (the default, as in Atlas: the key must be binData, its bytes are written),
///   `string` (UTF-8), `json` (the value as JSON text, like the message value), `int` (4 bytes,
///   big-endian, as Kafka's IntegerSerializer), `long` (8 bytes, big-endian, as
///   LongSerializer). A key that does not fit the format (a string for `int`, 2^40 for `int`,
///   1.5 for `long`) rejects the document. A key that is missing or null gives a message
///   without a key. `keyFormat` without `key` is an error.
/// - `config.headers`: an expression evaluating to an object (`{name: value}`) or to an array
///   of `{k: name, v: value}`; missing or null means no headers, anything else rejects the
///   document. Header values: strings are written as UTF-8, binData as its bytes, null (or
///   missing `v`) as an empty value, anything else (numbers, booleans, dates, objects,
///   arrays) as JSON text in the output format.
/// - `config.tombstoneWhen`: an expression; when it is true (MongoDB truthiness) the message is
///   a tombstone: key and headers as usual, a null value.
/// - `config.outputFormat`: `relaxedJson` (default), `canonicalJson` or `basicJson`;
///   `config.dateFormat`: `default` or `ISO8601` (dates as plain ISO-8601 strings). Both apply
///   to everything written as JSON: the value, `json` keys and JSON header values.
/// - `config.acks` (`-1`, `0`, `1`, `all`) → librdkafka's `acks`; `config.compression_type`
///   (`none`, `gzip`, `snappy`, `lz4`, `zstd`) → `compression.type`. They override the
///   connection's `config`; other producer properties (`linger.ms`, `partitioner`,
///   `message.max.bytes`, ...) come from the connection's `config` (`client.id` defaults to
///   `reel`; the partitioner is librdkafka's default, `consistent_random`).
/// - `schemaRegistry` (Avro) is not supported and is refused.
///
/// The record timestamp is the producer's create time (now), librdkafka's default.
///
/// **Delivery.** Messages are produced asynchronously with the idempotent producer
/// (`enable.idempotence=true` unless the connection's `config` says otherwise, or `acks` is 0 or
/// 1, which idempotence does not allow): librdkafka retries transient failures itself and keeps
/// the order of the messages of a partition across retries and broker outages. `write()` and
/// `on_time_passed()` serve delivery reports without waiting. A message whose delivery fails
/// for good (too large for the broker, unknown topic or partition when `message.timeout.ms`
/// expires, not authorized, ...) is rejected with librdkafka's description of the error
/// (`"Broker: Message size too large (MSG_SIZE_TOO_LARGE)"`): in the `write_result` of its own
/// `write()` call when the report arrives during that call (and failures librdkafka detects
/// when the message is produced, such as a message larger than `message.max.bytes`, always do),
/// otherwise to the rejection handler; without a handler it is kept for `take_rejections()`.
/// A full local queue (`queue.buffering.max.messages`/`kbytes`) is back-pressure: `write()`
/// serves delivery reports and tries again; nothing is dropped (only a single message larger
/// than the whole queue is rejected, `"Local: Queue full (_QUEUE_FULL)"`).
///
/// `flush()` waits until every message produced so far is delivered or rejected, at most
/// `flush_timeout`, then throws `reel.kafka.flush_timeout` (the messages stay queued and a later
/// `flush()` waits for them again): after a successful `flush()` a processor may commit its
/// source positions. A fatal producer error (for example an idempotence guarantee that the
/// broker broke) throws `reel.kafka.fatal` from `write()`, `flush()` and `on_time_passed()`;
/// the messages it purges are not rejected (they were not refused for what they contain).
///
/// **Exactly-once** (`config: {"deliveryGuarantee": "exactlyOnce"}`; the default is
/// `"atLeastOnce"`, as above). The sink writes through a transactional producer whose
/// `transactional.id` is `config.transactionalId`, by default `reel-<processor name>`, and the
/// output between two checkpoints of the processor is one Kafka transaction. It needs a processor
/// with a checkpoint store and a Kafka `$source` (otherwise `attach()` refuses it,
/// `reel.kafka.exactly_once_needs_checkpoints`, `reel.kafka.exactly_once_needs_kafka_source`, at
/// `.../config/deliveryGuarantee`); the source then stops committing offsets itself. At each
/// checkpoint the sink flushes, sends the source's positions to the source's consumer group in
/// the transaction (each offset's metadata names the checkpoint:
/// `{"reelRun": "<id>", "reelCheckpoint": 42}`), the processor stores the checkpoint, and the sink
/// commits the transaction and begins the next. When the processor is built again (after a
/// crash, `kill -9`), `init_transactions` fences the previous producer with the same id and
/// aborts its open transaction; the processor then restores the newest checkpoint whose
/// transaction committed, which the group's committed offsets tell: a crash between storing a
/// checkpoint and committing its transaction leaves the group at the previous checkpoint, and the
/// processor resumes from that one (so the store must keep 2 checkpoints). Consumers of the
/// output must read with `isolation.level=read_committed` (librdkafka's default, not the Java
/// client's): they then see every result exactly once; aborted output stays invisible. A message
/// the broker refuses for good (too large, ...) makes the transaction fail:
/// `reel.kafka.transaction_aborted` stops the processor, and a restart resumes from the last
/// checkpoint. One process per transactional id: exactly-once does not scale out in one group.
/// `acks` other than `all`/`-1` are refused in this mode. The DLQ is not part of the
/// transaction.
///
/// The destructor waits up to `close_timeout` for outstanding messages, then drops the rest
/// (`stats().lost`); it never calls the rejection handler, whose owner may be half destroyed:
/// call `flush()` first. Not thread-safe: the processor serializes its calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/ndjson.hpp"
#include "reel/connector/sink.hpp"
#include "reel/kafka/properties.hpp"
#include "reel/time.hpp"

namespace reel::kafka {

/// `config.deliveryGuarantee` of `$emit`.
enum class delivery_guarantee { at_least_once, exactly_once };

/// A parsed Kafka `$emit` stage (or DLQ option `{connectionName, topic, config}`).
struct emit_options {
  /// The topic: a string, or an aggregation expression.
  nlohmann::ordered_json topic;
  /// `config.key`, an expression; null: messages without a key.
  nlohmann::ordered_json key;
  enum key_format key_format = key_format::bin_data;
  /// `config.headers`, an expression; null: no headers.
  nlohmann::ordered_json headers;
  /// `config.tombstoneWhen`, an expression; null: never.
  nlohmann::ordered_json tombstone_when;
  /// `config.acks` (`"all"`, `"-1"`, `"0"`, `"1"`), when given.
  std::optional<std::string> acks;
  /// `config.compression_type`, when given.
  std::optional<std::string> compression_type;
  output_format format = output_format::relaxed;
  /// `dateFormat: "ISO8601"`.
  bool iso8601_dates = false;
  /// `config.deliveryGuarantee`: `"atLeastOnce"` (default) or `"exactlyOnce"`.
  delivery_guarantee delivery = delivery_guarantee::at_least_once;
  /// `config.transactionalId` (exactly-once); empty: `reel-<processor name>`.
  std::string transactional_id;
  /// How long a transaction call (`init_transactions`, sending the offsets, committing) and
  /// reading the group's committed offsets may take.
  std::chrono::milliseconds transaction_timeout{30000};
  /// More librdkafka producer properties, applied last (tuning, tests).
  properties producer;
  /// How long `flush()` waits.
  std::chrono::milliseconds flush_timeout{30000};
  /// How long the destructor waits for outstanding messages.
  std::chrono::milliseconds close_timeout{5000};
  /// The processor's clock (unused for now: delivery runs on librdkafka's own timers).
  const reel::clock* clock = &reel::system_clock::instance();
  /// Where the stage is (`/3/$emit`, `/dlq`), for error locations.
  std::string where;
};

/// Reads an `$emit` stage object for a Kafka connection, `{connectionName, topic, config}`
/// (`connectionName` is not looked at). Throws `reel.pipeline.invalid_option` at
/// `where + pointer`, or the expression compiler's error for a bad expression.
emit_options parse_emit_stage(const nlohmann::ordered_json& stage, const std::string& where = "");

class kafka_sink final : public reel::sink {
 public:
  /// `client`: the connection's client properties (`client_properties`). Creates the producer
  /// (it connects in the background); throws `reel.pipeline.invalid_option` for bad options,
  /// `reel.connection.invalid` for a property librdkafka refuses, `reel.kafka.client_failed`.
  kafka_sink(properties client, emit_options options);
  /// Waits up to `close_timeout` for outstanding messages; swallows errors.
  ~kafka_sink() override;
  kafka_sink(const kafka_sink&) = delete;
  kafka_sink& operator=(const kafka_sink&) = delete;

  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) override;
  /// Waits for every outstanding message (see above); throws `reel.kafka.flush_timeout` or
  /// `reel.kafka.fatal`.
  void flush() override;
  /// Serves delivery reports; throws `reel.kafka.fatal`.
  void on_time_passed() override;
  void set_rejection_handler(rejection_handler handler) override;
  /// Exactly-once: checks the processor (a store, a Kafka source), creates the transactional
  /// producer and fences the previous one (`init_transactions`). Nothing otherwise.
  void attach(const sink_context& context) override;
  /// Exactly-once: begins the first transaction.
  void start(const nlohmann::ordered_json& resume_point) override;
  void prepare_checkpoint(std::uint64_t version,
                          const nlohmann::ordered_json& source_positions) override;
  /// Exactly-once: flushes and sends the source's positions to the transaction; returns
  /// `{transactionalId, run, checkpoint, messages, group, offsets}`. Null otherwise.
  nlohmann::ordered_json commit_point() override;
  /// Exactly-once: commits the transaction and begins the next.
  void checkpoint_stored() override;
  /// Exactly-once: whether the consumer group's committed offsets were written by this commit
  /// point's transaction (or a later one), or the transaction held no message.
  bool output_committed(const nlohmann::ordered_json& commit_point) override;
  /// Documents rejected after their `write()` returned while no handler was set; clears them.
  std::vector<std::pair<nlohmann::ordered_json, std::string>> take_rejections();

  struct statistics {
    std::uint64_t produced = 0;            ///< messages handed to librdkafka
    std::uint64_t delivered = 0;           ///< messages the broker acknowledged
    std::uint64_t rejected = 0;            ///< documents rejected (before or after producing)
    std::uint64_t queue_full_retries = 0;  ///< produce attempts repeated on a full local queue
    std::uint64_t tombstones = 0;          ///< tombstones produced
    std::uint64_t lost = 0;                ///< messages purged by a fatal error or at close
    std::uint64_t transactions = 0;        ///< transactions committed (exactly-once)
    std::uint64_t aborted = 0;             ///< transactions aborted (exactly-once)
  };
  [[nodiscard]] statistics stats() const;
  /// `stats()` as `{produced, delivered, rejected, queueFullRetries, tombstones, lost}`, plus
  /// `{transactions, abortedTransactions}` in exactly-once mode.
  [[nodiscard]] nlohmann::ordered_json metrics() const override;
  /// Messages produced and not yet delivered or rejected.
  [[nodiscard]] std::size_t in_flight() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::kafka
