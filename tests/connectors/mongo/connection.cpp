// SPDX-License-Identifier: Apache-2.0
// The `mongodb` connection type, errors that keep libmongoc's domain and code, bounded retries,
// and a server stopped and restarted in the middle of a run.
#include <cstdlib>
#include <string>
#include <vector>

#include "support.hpp"

using mongo_test::document;
using mongo_test::scratch;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// Nothing listens there (port 9 is discard, never open on 127.0.0.1 here).
const std::string unreachable =
    "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100&connectTimeoutMS=100";

}  // namespace

TEST_CASE("mongodb connection definitions are checked when added", "[mongo][connection]") {
  reel::connection_registry r;
  reel::mongo::register_connection_type(r);
  CHECK(error_of([&] {
          r.add_connection("db", {{"type", "mongodb"}}, "connections.json:/db");
        }) ==
        "[reel.connection.invalid] at connections.json:/db: a mongodb connection needs a uri: "
        "\"mongodb://host:port/\"");
  CHECK(error_of([&] {
          r.add_connection("db", {{"type", "mongodb"}, {"uri", "http://x"}}, "c.json:/db");
        }).starts_with("[reel.connection.invalid] at c.json:/db/uri: invalid MongoDB URI: "));
  CHECK(error_of([&] {
          r.add_connection("db", {{"type", "mongodb"}, {"uri", "mongodb://h"}, {"urii", 1}},
                           "c.json:/db");
        }) ==
        "[reel.connection.invalid] at c.json:/db/urii: unknown field 'urii' of a mongodb "
        "connection (did you mean 'uri'?)");
  CHECK(error_of([&] {
          r.add_connection(
              "db", {{"type", "mongodb"}, {"uri", "mongodb://h"}, {"retry", {{"maxAttempts", 0}}}},
              "c.json:/db");
        }) ==
        "[reel.connection.invalid] at c.json:/db/retry/maxAttempts: maxAttempts must be a "
        "positive integer");
  // The URI may come from the environment; it never shows in errors.
  r.set_environment([](const std::string& name) -> std::optional<std::string> {
    if (name == "DB_URI")
      return "mongodb://reel:s3cret-pw@127.0.0.1:9/?serverSelectionTimeoutMS=100";
    return std::nullopt;
  });
  r.add_connection("db", document::parse(R"({"type": "mongodb", "uri": {"$env": "DB_URI"},
                                             "retry": {"maxAttempts": 1}})"));
  CHECK(r.has_sink("db"));
  CHECK(r.has_source("db"));
  CHECK(error_of([&] {
          (void)r.make_sink("db", document::parse(R"({"connectionName": "db", "db": "x"})"),
                            "/dlq/connectionName");
        }) ==
        "[reel.connection.invalid] at /dlq/coll: a mongodb sink needs coll (a non-empty string)");
  CHECK(error_of([&] {
          (void)r.make_source("db", document::parse(R"({"connectionName": "db", "db": "x",
                                                        "config": {"fullDocument": "lookup"}})"),
                              "/0/$source/connectionName");
        }) ==
        "[reel.pipeline.invalid_option] at /0/$source/config/fullDocument: unknown "
        "fullDocument 'lookup'; use default, updateLookup, whenAvailable, required");
}

TEST_CASE(
    "an unreachable server: bounded retries, then an error with libmongoc's domain and "
    "code, and nothing buffered is lost",
    "[mongo][connection][retry]") {
  std::vector<std::chrono::milliseconds> waits;
  reel::mongo::client c({.uri = unreachable, .retry = mongo_test::fast_retry(4, &waits)});
  reel::mongo::merge_options o = reel::mongo::parse_merge_stage(
      document::parse(R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}})"), "/1/$merge");
  reel::mongo::merge_sink sink(c, o);
  reel::write_result r;
  const document d = {{"_id", 1}};
  try {
    sink.write(std::span<const document>(&d, 1), r);
    FAIL("no error");
  } catch (const reel::mongo::error& e) {
    CHECK(e.id() == "reel.mongo.unavailable");
    CHECK(e.where() == "/1/$merge");
    CHECK(e.domain() == reel::mongo::domain::server_selection);
    CHECK(e.transient());
    CHECK(e.error_code().category() == reel::mongo::category());
    const std::string what = e.what();
    CHECK(what.starts_with("[reel.mongo.unavailable] at /1/$merge: gave up after 4 attempts: "));
    CHECK(what.ends_with("(domain=15 code=" + std::to_string(e.code()) + ")"));
  }
  CHECK(waits == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(10),
                                                        std::chrono::milliseconds(20),
                                                        std::chrono::milliseconds(40)});
  CHECK(sink.pending() == 1);
  CHECK(sink.stats().retries == 3);

  reel::mongo::retry_policy p;
  p.initial_backoff = std::chrono::milliseconds(100);
  p.max_backoff = std::chrono::milliseconds(250);
  CHECK(p.backoff(1).count() == 100);
  CHECK(p.backoff(2).count() == 200);
  CHECK(p.backoff(3).count() == 250);
}
