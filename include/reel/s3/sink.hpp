// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$emit` to S3 (target `reel::s3`): documents are buffered per target object path and written
/// as one object when the first of the `writeOptions` thresholds is reached (`count` documents,
/// `bytes` of text, or `interval` since the buffer's first document), and on `flush()` (the
/// processor flushes at the end of its input and on `stop()`).
///
/// The `"s3"` connection type (`register_connection_type`) reads, in a connections file:
///
/// ```json
/// {"lake": {"type": "s3", "region": "us-east-1",
///           "endpoint": "http://127.0.0.1:7070", "pathStyle": true,
///           "accessKeyId": {"$env": "REEL_S3_ACCESS_KEY"},
///           "secretAccessKey": {"$env": "REEL_S3_SECRET_KEY"}}}
/// ```
///
/// (`endpoint` and `pathStyle` only for S3-compatible servers; without `accessKeyId`/
/// `secretAccessKey` the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` variables are used), and the stage, as in Atlas:
///
/// ```json
/// {"$emit": {"connectionName": "lake", "bucket": "solar", "region": "us-east-1",
///            "path": {"$concat": ["panels/", "$group_id"]},
///            "config": {"writeOptions": {"count": 1000, "bytes": 1048576,
///                                        "interval": {"size": 1, "unit": "minute"}},
///                       "delimiter": "\n", "outputFormat": "relaxedJson",
///                       "compression": "gzip", "compressionLevel": 6}}}
/// ```
///
/// Objects: each flush of a path writes one new object, `<path>/<sink id>-<sequence>.json`
/// (`.json.gz` with gzip), for example `panels/device_1/5f0c2a91-000001.json`; every document
/// is followed by the delimiter. The sequence counts the sink's objects (all paths); the sink id
/// is 8 random hex digits chosen when the sink first starts. Both are the sink's
/// `commit_point()` (`{sinkId, objects}`, taken after a flush) in a processor's checkpoint: a
/// processor restored from it names its objects on from there, so a flush that is replayed after
/// a restore writes the same key with the same content (the same documents cut at the same
/// `count`/`bytes` thresholds) and overwrites the object instead of adding a duplicate. Names
/// hold no clock time for that reason. Flushes triggered by processing time (`interval`) may
/// cut a replay differently; see docs/semantics.md, "Checkpoints". `path` is a string or an
/// expression evaluated per document (it sees the document and, through `{$meta: "stream..."}`, its
/// `_stream_meta`); an empty path writes at the top of the bucket. A document whose path does not
/// evaluate to a string, or that cannot be serialized, is rejected (it goes to the DLQ).
///
/// Time-based flushing reads the injected `reel::clock` on each `write()` (and
/// `flush_due()`); nothing sleeps or runs in the background.
///
/// Failures: an upload that fails for a reason that may pass (no connection, HTTP 5xx, 429,
/// `SlowDown`, ...) is retried with exponential backoff, `retry.attempts` times when a threshold
/// is reached during `write()`; after that the data stays buffered (more documents are added to
/// it) and is tried again at the next write after `retry.cooldown` or at `flush()`. `flush()`
/// retries until its backoff delays add up to `retry.flush_deadline`, then throws
/// `reel.s3.upload_failed` and keeps every buffered document, so a later `flush()` can still
/// write them. Other failures (`SignatureDoesNotMatch`, `NoSuchBucket`, `AccessDenied`) throw
/// `reel.s3.upload_failed` at once, with the HTTP status, the S3 code and message and a hint.
/// More than `max_buffered_bytes` waiting throws too. The destructor uploads nothing: flush
/// first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "reel/connector/ndjson.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/sink.hpp"
#include "reel/s3/client.hpp"
#include "reel/time.hpp"

namespace reel::s3 {

enum class compression { none, gzip };

/// How failed uploads are retried. The backoff before try `n + 1` is
/// `min(initial_backoff * multiplier^(n-1), max_backoff)`.
struct retry_policy {
  /// Tries of one upload when a threshold is reached during `write()` (at least 1).
  int attempts = 3;
  std::chrono::milliseconds initial_backoff{100};
  double multiplier = 2.0;
  std::chrono::milliseconds max_backoff{5000};
  /// `flush()` retries until its backoff delays add up to this, then throws.
  std::chrono::milliseconds flush_deadline{30000};
  /// After a failed upload during `write()`, the next try of that object waits this long
  /// (measured with the sink's `reel::clock`).
  std::chrono::milliseconds cooldown{5000};
  /// Sleeps between tries; empty: `std::this_thread::sleep_for`. Tests pass a recorder.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct sink_options {
  /// Region, endpoint, addressing, credentials, timeouts.
  client_options connection;
  std::string bucket;
  /// A string, or an aggregation expression evaluated per document (`"$device"`,
  /// `{"$concat": [...]}`); its value is the object path (the "directory" of the objects).
  nlohmann::ordered_json path = "";
  /// `writeOptions`: flush a path at `count` documents or `bytes` bytes of (uncompressed) text,
  /// whichever comes first, or `interval` after its first document.
  std::optional<std::size_t> count;
  std::optional<std::size_t> bytes;
  reel::duration interval = std::chrono::minutes(1);
  std::string delimiter = "\n";
  output_format format = output_format::relaxed;
  /// `dateFormat: "ISO8601"`: dates written as plain ISO-8601 strings instead of `{"$date"}`.
  bool iso8601_dates = false;
  enum compression compression = compression::none;
  int compression_level = 6;  ///< 1–9, gzip only
  const reel::clock* clock = &reel::system_clock::instance();
  retry_policy retry;
  /// Buffered text (all paths) beyond which `write()` throws `reel.s3.upload_failed` instead of
  /// buffering more while uploads fail.
  std::size_t max_buffered_bytes = std::size_t{256} << 20;
  /// Part of every object name; empty: 8 random hex digits chosen per sink (a restored sink
  /// takes the one of its checkpoint).
  std::string sink_id;
  /// Where the stage is (`/3/$emit`), for error locations.
  std::string where;
};

/// Counters of one sink.
struct sink_stats {
  std::uint64_t objects = 0;    ///< objects written
  std::uint64_t documents = 0;  ///< documents in them
  std::uint64_t bytes = 0;      ///< bytes uploaded (compressed when gzip)
  std::uint64_t failed_attempts = 0;
  std::uint64_t rejected = 0;            ///< documents reported in `write_result::rejected`
  std::uint64_t buffered_documents = 0;  ///< waiting for a flush
  std::uint64_t buffered_bytes = 0;
  std::string last_error;  ///< the latest failed attempt's message
};

/// The S3 `$emit` sink. Not thread-safe (the processor serializes its calls).
class sink final : public reel::sink {
 public:
  /// Throws `reel.s3.invalid_option` for options that cannot work (no bucket, a bad path
  /// expression, a compression level outside 1–9, no credentials).
  explicit sink(sink_options options);
  ~sink() override;
  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;

  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) override;
  /// Uploads every buffered path (see the retry rules above).
  void flush() override;
  /// Uploads the paths whose interval has passed, for hosts that call it from a timer.
  void flush_due();
  /// `flush_due()`, called by the processor when processing time advances.
  void on_time_passed() override { flush_due(); }
  /// Flushes (throws as `flush()` does), then `{"sinkId": "5f0c2a91", "objects": 12}`.
  [[nodiscard]] nlohmann::ordered_json commit_point() override;
  /// A commit point: the next object is `<sinkId>-<objects + 1>`. Null: a first start. Throws
  /// `reel.checkpoint.invalid` for anything else.
  void start(const nlohmann::ordered_json& resume_point) override;

  [[nodiscard]] sink_stats stats() const;
  /// The object keys written so far, in order (the latest 1024 at least: older ones are
  /// dropped in batches).
  [[nodiscard]] const std::vector<std::string>& written_keys() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Reads an `"s3"` connection definition and an `$emit` stage into sink options (the clock and
/// retry policy are left at their defaults). Errors are `reel.connection.invalid` at the
/// definition or stage location.
[[nodiscard]] sink_options options_from(const reel::connection_args& args);

/// The `"s3"` connection type: a sink only.
[[nodiscard]] reel::connection_type make_connection_type();

/// Registers the `"s3"` connection type in `registry`. `clock` (time-based flushing) and `retry`
/// apply to every sink it builds.
void register_connection_type(reel::connection_registry& registry,
                              const reel::clock* clock = &reel::system_clock::instance(),
                              retry_policy retry = {});

}  // namespace reel::s3
