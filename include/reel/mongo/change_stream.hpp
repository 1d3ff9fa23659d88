// SPDX-License-Identifier: Apache-2.0
/// \file
/// The change-stream `$source`: reads a collection's, a database's or a whole deployment's
/// change events, as Atlas Stream Processing's change-stream source does.
///
/// ```json
/// {"$source": {"connectionName": "atlas", "db": "shop", "coll": "orders",
///              "timeField": {"$toDate": "$fullDocument.placedAt"},
///              "config": {"fullDocument": "updateLookup", "fullDocumentOnly": false,
///                         "pipeline": [{"$match": {"operationType": "insert"}}],
///                         "startAfter": {"_data": "8263..."}}}}
/// ```
///
/// - `coll` may be a string or an array of names (a database stream filtered on `ns.coll`); omit
///   it for a database stream, omit `db` too for a deployment stream.
/// - `config.fullDocument`: `default` | `updateLookup` | `whenAvailable` | `required`;
///   `config.fullDocumentBeforeChange`: `off` | `whenAvailable` | `required`.
/// - `config.fullDocumentOnly: true` passes on only the event's `fullDocument`; events without
///   one (deletes, updates without `updateLookup`) are skipped and counted in
///   `skipped_events()`.
/// - `config.pipeline`: stages the server applies to the events (keep `wallTime` and
///   `clusterTime`: event time comes from them).
/// - `config.startAfter` (a resume token) or `config.startAtOperationTime` (`{"$timestamp":
///   {"t", "i"}}` or a `{"$date": ...}`), not both; `config.maxAwaitTimeMS` (1000),
///   `config.batchSize`.
///
/// Each event becomes one message: the change event document (or its `fullDocument`), record
/// time = the event's `wallTime`, else its `clusterTime` (so without `timeField` event time is
/// when the change happened), `{$meta: "stream.source.operationType"}`, `.ns`, `.documentKey`,
/// `.clusterTime`, and the event's resume token (`_id`) as its position. The source's position
/// (`positions()`, kept in checkpoints and shown in `stats().sourcePositions`) is
/// `{"resumeToken": <token>}`: the token after the last event delivered (the server's
/// post-batch resume token when a batch ends). `seek()` reopens the stream with `startAfter`
/// that token. Transient failures reopen the stream from the last token with the retry policy's
/// backoff; an `invalidate` event (collection dropped or renamed) ends the input.
///
/// **Testing.** No wire-compatible server that can be installed here supports change streams
/// (FerretDB does not), so the source reads through a small interface, `change_stream_cursor`,
/// with two implementations: the libmongoc one (`mongoc_collection_watch` /
/// `mongoc_database_watch` / `mongoc_client_watch`, `mongoc_change_stream_next`,
/// `mongoc_change_stream_get_resume_token`), which has **not** been run against a real replica
/// set in this project, and `replay_change_stream`, a test double that replays recorded change
/// events with the server's rules for resume tokens, `startAtOperationTime` and `fullDocument`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/source.hpp"
#include "reel/mongo/client.hpp"

namespace reel::mongo {

struct change_stream_options {
  /// Empty `db`: the whole deployment; empty `colls`: the whole database.
  std::string db;
  std::vector<std::string> colls;
  std::string full_document = "default";
  std::string full_document_before_change = "off";
  bool full_document_only = false;
  /// Stages run by the server on the events.
  document pipeline = document::array();
  std::optional<document> start_after;
  /// `{"$timestamp": {"t": seconds, "i": increment}}`.
  std::optional<document> start_at_operation_time;
  std::chrono::milliseconds max_await_time{1000};
  std::int32_t batch_size = 0;  ///< 0: the server's default
};

/// Reads `$source` (`db`, `coll`, `config`). Throws `reel.pipeline.invalid_option` at
/// `where + pointer`.
change_stream_options parse_change_stream_stage(const document& stage,
                                                const std::string& where = "");

/// What a cursor is opened with: the options, and where to resume (a token from an earlier
/// cursor, which takes precedence over `options.start_after`/`start_at_operation_time`).
struct change_stream_request {
  change_stream_options options;
  std::optional<document> resume_token;
  /// The stages sent to the server: `options.pipeline`, preceded by a `$match` on `ns.coll`
  /// when several collections are watched.
  [[nodiscard]] document server_pipeline() const;
};

/// An open change stream.
class change_stream_cursor {
 public:
  virtual ~change_stream_cursor() = default;
  /// Appends up to `max` change events (Extended JSON documents as the server sent them); may
  /// append none when nothing happened within the await time. Throws `reel::mongo::error`
  /// (`transient()` for failures worth reopening the stream).
  virtual void next_batch(std::vector<document>& events, std::size_t max) = 0;
  /// The token to resume after everything returned so far (null before the first batch).
  [[nodiscard]] virtual document resume_token() const = 0;
};

using cursor_factory =
    std::function<std::unique_ptr<change_stream_cursor>(const change_stream_request&)>;

/// Cursors over a real deployment (libmongoc). Not run against a replica set in this project.
cursor_factory libmongoc_cursors(client c);

class change_stream_source final : public reel::source {
 public:
  change_stream_source(cursor_factory cursors, change_stream_options options,
                       retry_policy retry = {});
  ~change_stream_source() override;

  /// `"atlas"`, as Atlas reports change-stream sources in `_stream_meta.source.type`.
  [[nodiscard]] std::string type() const override { return "atlas"; }
  poll_status poll(std::vector<source_message>& out, std::size_t max) override;
  /// One partition named after the namespace (`shop.orders`, `shop`, or `*`).
  [[nodiscard]] std::vector<std::string> partitions() const override;
  /// `{"resumeToken": token}`, or null before anything was read.
  [[nodiscard]] nlohmann::ordered_json positions() const override;
  void seek(const nlohmann::ordered_json& positions) override;

  /// Events skipped by `fullDocumentOnly` because they carried no `fullDocument`.
  [[nodiscard]] std::uint64_t skipped_events() const noexcept { return skipped_; }
  /// Cursors opened (1 + reopenings after transient failures and seeks).
  [[nodiscard]] std::uint64_t opened_cursors() const noexcept { return opened_; }

 private:
  void open();
  cursor_factory cursors_;
  change_stream_options options_;
  retry_policy retry_;
  std::unique_ptr<change_stream_cursor> cursor_;
  std::optional<document> token_;
  bool ended_ = false;
  std::uint64_t skipped_ = 0;
  std::uint64_t opened_ = 0;
};

/// A test double for change streams: replays recorded change events as a server would.
///
/// Record events as the server sends them with `fullDocument: "updateLookup"`/post-images on
/// (each with `_id` (its resume token), `operationType`, `clusterTime` (`$timestamp`),
/// `wallTime`, `ns`, `documentKey`, and `fullDocument` where the server would have one). A cursor
/// then delivers, in order, the events after `resume_token`/`startAfter` (an unknown token is
/// an error, code 280 ChangeStreamFatalError) or at or after `startAtOperationTime`, that match
/// the namespace and the pipeline's `$match` stages (other stages are ignored), with
/// `fullDocument` removed from `update` events unless `fullDocument` is `updateLookup`,
/// `whenAvailable` or `required` (`required` fails, code 286, when an event has none), at most
/// `batch` events per `next_batch`. Its resume token after a batch is the last event's `_id`, or
/// `post_batch_token` once everything was delivered, if set.
class replay_change_stream {
 public:
  explicit replay_change_stream(std::vector<document> events = {});
  /// Appends an event (also while cursors are open: they see it on their next batch).
  void record(document event);
  /// The next `next_batch` of any cursor throws a transient error (network: domain 2, code 4)
  /// `count` times.
  void fail_next(int count = 1);
  void set_batch(std::size_t n);
  void set_post_batch_token(document token);
  /// A cursor factory over the recorded events.
  [[nodiscard]] cursor_factory cursors();
  /// The requests cursors were opened with, oldest first.
  [[nodiscard]] std::vector<change_stream_request> requests() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace reel::mongo
