// SPDX-License-Identifier: Apache-2.0
// Helpers of the reel::mongo tests: the server's URI, fast retry policies, scratch databases.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/defaults.hpp"
#include "reel/json/value.hpp"
#include "reel/mongo/mongo.hpp"

namespace mongo_test {

using reel::json::document;

/// REEL_MONGO_URI, or empty.
inline std::optional<std::string> uri() {
  const char* u = std::getenv("REEL_MONGO_URI");
  if (!u || !*u) return std::nullopt;
  return std::string(u);
}

/// REEL_REQUIRE_SERVICES=1: a missing service fails the test instead of skipping it.
inline bool services_required() {
  const char* r = std::getenv("REEL_REQUIRE_SERVICES");
  return r && std::string(r) == "1";
}

/// Retries that never sleep; `waits` (if given) records the backoffs asked for.
inline reel::mongo::retry_policy fast_retry(
    int attempts = 3, std::vector<std::chrono::milliseconds>* waits = nullptr) {
  reel::mongo::retry_policy r;
  r.max_attempts = attempts;
  r.initial_backoff = std::chrono::milliseconds(10);
  r.max_backoff = std::chrono::milliseconds(40);
  r.sleep = [waits](std::chrono::milliseconds d) {
    if (waits) waits->push_back(d);
  };
  return r;
}

/// The connections of examples/pipelines/connections-mongodb.json with REEL_MONGO_URI set to
/// `server_uri`, as the README's commands see them.
inline reel::connection_registry example_connections(const std::string& server_uri) {
  reel::connection_registry registry = reel::default_connections();
  reel::mongo::register_connection_type(registry, {.retry = fast_retry()});
  registry.set_environment([server_uri](const std::string& name) -> std::optional<std::string> {
    if (name == "REEL_MONGO_URI") return server_uri;
    return std::nullopt;
  });
  registry.load_connections(std::filesystem::path(REEL_EXAMPLE_PIPELINES) /
                            "connections-mongodb.json");
  return registry;
}

/// A database of its own for one test, dropped before and after.
class scratch {
 public:
  scratch(const std::string& server_uri, const std::string& name)
      : client_(reel::mongo::client_options{.uri = server_uri, .retry = fast_retry()}),
        db_("reel_t_" + name + "_" + std::to_string(::getpid())) {
    client_.drop_database(db_);
  }
  ~scratch() {
    try {
      client_.drop_database(db_);
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  [[nodiscard]] const std::string& db() const { return db_; }
  [[nodiscard]] const reel::mongo::client& client() const { return client_; }
  [[nodiscard]] std::vector<document> all(const std::string& coll) const {
    return client_.find(db_, coll, document::object(), document{{"_id", 1}});
  }

 private:
  reel::mongo::client client_;
  std::string db_;
};

}  // namespace mongo_test

/// Declares `const std::string NAME` with the server URI, or ends the test: skipped (with a
/// warning) without REEL_MONGO_URI, failed when REEL_REQUIRE_SERVICES=1.
#define MONGO_URI_OR_SKIP(NAME)                                                           \
  const std::optional<std::string> NAME##_opt = mongo_test::uri();                        \
  if (!NAME##_opt) {                                                                      \
    if (mongo_test::services_required()) {                                                \
      FAIL(                                                                               \
          "REEL_MONGO_URI is not set and REEL_REQUIRE_SERVICES=1 (start the server with " \
          "scripts/services/mongo.sh up)");                                               \
    }                                                                                     \
    WARN(                                                                                 \
        "skipped: REEL_MONGO_URI is not set (scripts/services/mongo.sh up; eval "         \
        "\"$(scripts/services/mongo.sh env)\")");                                         \
    return;                                                                               \
  }                                                                                       \
  const std::string NAME = *NAME##_opt
