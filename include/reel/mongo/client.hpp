// SPDX-License-Identifier: Apache-2.0
/// \file
/// A pooled connection to a MongoDB deployment (target `reel::mongo`, libmongoc underneath), the
/// retry policy for transient failures, and a few plain operations (`find`, `insert_many`,
/// `drop_database`, `create_index`, `command`) that applications and tests use to prepare and
/// inspect collections.
///
/// A `client` owns a libmongoc client pool (`mongoc_client_pool_t`); copies share it, and every
/// sink or source built from the same `mongodb` connection of a registry shares one pool.
/// Operations take a client from the pool for their duration, so a `client` may be used from
/// several threads.
///
/// **Example**
/// ```cpp
/// reel::mongo::client db({.uri = "mongodb://127.0.0.1:27017/?serverSelectionTimeoutMS=2000"});
/// db.insert_many("shop", "orders", {reel::json::document{{"_id", 1}, {"qty", 2}}});
/// auto docs = db.find("shop", "orders", {{"qty", {{"$gt", 1}}}});  // [{_id: 1, qty: 2}]
/// ```
///
/// Documents are Reel documents (`reel::json::document`) in Extended JSON: `{"$date": ...}`
/// becomes a BSON date, `{"$oid": ...}` an ObjectId, integers int32 or int64 by size, other
/// numbers doubles; results come back the same way (relaxed dates, plain numbers).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/mongo/error.hpp"

namespace reel::mongo {

using document = nlohmann::ordered_json;

/// Bounded retries with exponential backoff for transient failures (network errors, no server
/// selectable, `RetryableWriteError`, not primary, shutting down). Other failures are never
/// retried.
struct retry_policy {
  /// Attempts in total, the first one included (1 = no retry).
  int max_attempts = 5;
  /// Wait before the second attempt; doubled (`multiplier`) for each further one ...
  std::chrono::milliseconds initial_backoff{200};
  /// ... up to this.
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 2.0;
  /// How to wait; empty = `std::this_thread::sleep_for`. Tests inject a function that records
  /// the waits (or restarts a server) instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;

  /// The wait after failed attempt `attempt` (1-based).
  [[nodiscard]] std::chrono::milliseconds backoff(int attempt) const;
  /// Waits `backoff(attempt)` with `sleep`.
  void wait(int attempt) const;
};

struct client_options {
  /// A MongoDB connection string, `mongodb://host:port/?options`. Set
  /// `serverSelectionTimeoutMS` low (e.g. 2000) so an unreachable server fails an attempt fast:
  /// pooled clients wait the full timeout (30 s by default) before giving up.
  std::string uri;
  retry_policy retry;
  /// How long one operation waits for the server's answer before it fails (as a transient
  /// error, so it is retried by `retry`), unless the URI sets `socketTimeoutMS`. libmongoc's own
  /// default is 5 minutes, which leaves a server that never answers looking like a hang.
  std::chrono::milliseconds socket_timeout{30'000};
  /// `appName` reported to the server (unless the URI sets one).
  std::string app_name = "reel";
};

class client {
 public:
  /// Parses the URI and creates the pool; connects lazily. Throws `reel.mongo.invalid_uri`.
  explicit client(client_options options);

  [[nodiscard]] const retry_policy& retry() const noexcept;
  /// The URI with any password replaced by `********`.
  [[nodiscard]] std::string redacted_uri() const;

  /// Runs `{ping: 1}` (with retries). Throws `reel.mongo.unavailable` when no server answers.
  void ping() const;
  /// Runs a command on `db` and returns its reply. Throws `reel.mongo.command_failed`.
  document command(const std::string& db, const document& cmd) const;
  /// The documents of `db.coll` matching `filter`, in `sort` order (e.g. `{"_id": 1}`).
  [[nodiscard]] std::vector<document> find(const std::string& db, const std::string& coll,
                                           const document& filter = document::object(),
                                           const document& sort = document::object()) const;
  /// The results of the aggregation `pipeline` (an array of stages) on `db.coll`. Throws
  /// `reel.mongo.command_failed` (a stage the server refuses) or `reel.mongo.unavailable`.
  [[nodiscard]] std::vector<document> aggregate(const std::string& db, const std::string& coll,
                                                const document& pipeline) const;
  [[nodiscard]] std::int64_t count(const std::string& db, const std::string& coll,
                                   const document& filter = document::object()) const;
  void insert_many(const std::string& db, const std::string& coll,
                   std::span<const document> docs) const;
  void insert_many(const std::string& db, const std::string& coll,
                   std::initializer_list<document> docs) const {
    insert_many(db, coll, std::span<const document>(docs.begin(), docs.size()));
  }
  /// Drops the collection; a collection that does not exist is not an error.
  void drop_collection(const std::string& db, const std::string& coll) const;
  void drop_database(const std::string& db) const;
  /// Creates an index with `keys` (`{"slug": 1}`), optionally unique.
  void create_index(const std::string& db, const std::string& coll, const document& keys,
                    bool unique = false) const;

  /// The implementation (libmongoc pool); used by the connector's own sources and sinks.
  struct impl;
  [[nodiscard]] const std::shared_ptr<impl>& implementation() const noexcept { return impl_; }
  explicit client(std::shared_ptr<impl> i) : impl_(std::move(i)) {}

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace reel::mongo
