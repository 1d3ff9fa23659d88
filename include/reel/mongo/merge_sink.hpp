// SPDX-License-Identifier: Apache-2.0
/// \file
/// The `$merge` sink: writes each output document into a collection, matching existing
/// documents on the `on` fields, as Atlas Stream Processing's `$merge` does.
///
/// ```json
/// {"$merge": {"into": {"connectionName": "atlas", "db": "cinema", "coll": "totals"},
///             "on": "_id", "whenMatched": "replace", "whenNotMatched": "insert"}}
/// ```
///
/// - `into.db`, `into.coll`: a string, or an expression evaluated per document (`"$region"`,
///   `{"$concat": ["sales_", "$region"]}`, `{"$meta": "stream.source.topic"}`; `$meta` reads the
///   document's `_stream_meta`). An expression that fails or does not give a non-empty string
///   sends that document to the DLQ.
/// - `on`: a field or an array of fields (default `_id`); a document whose `on` field is missing,
///   null or an array goes to the DLQ. With `on: "_id"` a document without `_id` gets a new
///   ObjectId (so it is inserted), as the server's `$merge` does.
/// - `whenMatched`: `merge` (default: set the document's top-level fields), `replace`,
///   `keepExisting`, `fail`, `delete`, or an update pipeline (`[{"$set": {"n": {"$add":
///   ["$n", "$$new.n"]}}}]`, with `$$new` the incoming document and `let` for more variables).
/// - `whenNotMatched`: `insert` (default), `discard`, `fail`.
/// - `parallelism` is accepted and ignored (one writer per sink).
///
/// **How documents are written.** Not with the server's `$merge` stage (which needs an
/// aggregation to read from) but with bulk writes, which real MongoDB and wire-compatible servers
/// (FerretDB) both run: `replaceOne` with `upsert` (replace/insert), `updateOne` with `$set` /
/// `$setOnInsert` and `upsert` (merge, keepExisting), `deleteOne` (delete), `insertOne` (fail on
/// a duplicate). Modes that need to know whether *this* document matched (`whenNotMatched:
/// "fail"`, `whenMatched: "fail"` with `discard`, `delete` with `insert`, pipelines with
/// `insert`) run one document at a time. Writes to one target collection keep their order
/// (ordered bulks), targets are written one after the other.
///
/// **Batching.** Documents are buffered and written when `batch.max_documents` or
/// `batch.max_bytes` is reached, when the oldest buffered document is `batch.max_delay` old (the
/// sink's clock, checked on each `write()`), and on `flush()`. A document the server rejects goes
/// to the DLQ with the server's error and code; the rest of the batch is written: after a batch
/// fails, its documents are written again one by one to isolate the rejected ones (FerretDB fails
/// a whole batch on the first failing update; every bulk operation here is idempotent, so writing
/// a document twice changes nothing). Transient failures retry the batch with backoff
/// (`retry_policy`); when the attempts are exhausted `write()`/`flush()` throws
/// `reel.mongo.unavailable` and the documents stay buffered for the next call, so nothing is lost
/// once the server is back.
///
/// **Where rejected documents are reported.** `reel::sink::write` reports rejections by index in
/// the batch it was given, so a document can only be reported there while its own `write()` call
/// runs. Without a rejection handler the sink therefore writes every `write()` call's documents
/// before returning (batching only within one call). With `set_rejection_handler` it buffers
/// across calls, and rejections of documents from earlier calls go to the handler, which a host
/// wires to its DLQ.
///
/// **Idempotent window results.** A window result written with a deterministic `_id` is
/// overwritten when a run is replayed after a crash instead of being duplicated. Build the `_id`
/// from the group key and the window start before `$merge`:
/// ```json
/// {"$tumblingWindow": {"interval": {"size": 30, "unit": "second"}, "pipeline": [
///   {"$group": {"_id": "$movie", "total": {"$sum": "$amountPaid"}}}]}},
/// {"$project": {"_id": {"movie": "$_id", "windowStart": {"$meta": "stream.window.start"}},
///               "total": 1}},
/// {"$merge": {"into": {"connectionName": "atlas", "db": "cinema", "coll": "totals"},
///             "whenMatched": "replace"}}
/// ```
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/sink.hpp"
#include "reel/mongo/client.hpp"
#include "reel/time.hpp"

namespace reel::mongo {

enum class when_matched { merge, replace, keep_existing, fail, delete_document, pipeline };
enum class when_not_matched { insert, discard, fail };

/// When buffered documents are written.
struct batch_options {
  std::size_t max_documents = 1000;
  /// BSON bytes buffered (a batch never exceeds the server's 48 MB message anyway).
  std::size_t max_bytes = 8u << 20;
  /// Age of the oldest buffered document, on the sink's clock.
  std::chrono::milliseconds max_delay{1000};
};

struct merge_options {
  /// Target database and collection: a string, or an aggregation expression.
  document db;
  document coll;
  std::vector<std::string> on = {"_id"};
  when_matched matched = when_matched::merge;
  /// The update pipeline of `when_matched::pipeline`.
  document pipeline = document::array();
  /// Variables of the pipeline (expressions over the incoming document); `new` defaults to
  /// `$$ROOT`.
  document let = document::object();
  when_not_matched not_matched = when_not_matched::insert;
  batch_options batch;
  /// For `batch.max_delay`.
  const reel::clock* clock = &reel::system_clock::instance();
  /// Where the stage is in the pipeline (`/3/$merge`), for error locations.
  std::string where;
};

/// Reads a `$merge` stage object (`{into, on, whenMatched, whenNotMatched, let, parallelism}`).
/// `into.connectionName` is not looked at. Throws `reel.pipeline.invalid_option` at `where + ...`.
merge_options parse_merge_stage(const document& stage, const std::string& where = "");

using rejection_handler = reel::sink::rejection_handler;

class merge_sink final : public reel::sink {
 public:
  /// Compiles the target expressions; throws `reel.pipeline.invalid_option`.
  merge_sink(client c, merge_options options);
  /// Writes what is still buffered (errors are swallowed: call `flush()` to see them).
  ~merge_sink() override;
  merge_sink(const merge_sink&) = delete;
  merge_sink& operator=(const merge_sink&) = delete;

  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) override;
  /// Writes everything buffered. Throws `reel.mongo.unavailable` (documents stay buffered) or
  /// `reel.mongo.write_failed` for a failure that is not one document's.
  void flush() override;
  /// Writes the buffered documents once the oldest is `batch.max_delay` old.
  void on_time_passed() override;

  /// Enables batching across `write()` calls; `handler` gets documents rejected after their call
  /// returned.
  void set_rejection_handler(rejection_handler handler) override;
  /// Rejections that happened after their call returned while no handler was set (only after a
  /// failed `write()` left documents buffered); clears them.
  std::vector<std::pair<document, std::string>> take_rejections();

  struct statistics {
    std::uint64_t written = 0;   ///< documents the server accepted (or discarded by the mode)
    std::uint64_t rejected = 0;  ///< documents reported as rejected
    std::uint64_t batches = 0;   ///< bulk writes sent (first attempts)
    std::uint64_t retries = 0;   ///< attempts repeated after transient failures
    std::uint64_t isolated = 0;  ///< batches written again one document at a time
  };
  [[nodiscard]] statistics stats() const;
  /// `stats()` as `{written, rejected, batches, retries, isolated}`.
  [[nodiscard]] nlohmann::ordered_json metrics() const override;
  /// Documents buffered and not yet written.
  [[nodiscard]] std::size_t pending() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::mongo
