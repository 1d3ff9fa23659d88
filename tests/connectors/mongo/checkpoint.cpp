// SPDX-License-Identifier: Apache-2.0
// reel::mongo::checkpoint_store against the MongoDB test server: put/get/list/remove/keep-last,
// damaged and incomplete checkpoints passed over, checkpoints split into parts under the BSON
// size limit (one of 20 MB), a processor restored from the collection, and unreachable or
// refusing servers stopping the processor with a clear error.
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "connectors/checkpoint_store_checks.hpp"
#include "reel/connector/defaults.hpp"
#include "reel/mongo/checkpoint_store.hpp"
#include "support.hpp"

namespace {

using mongo_test::scratch;
using reel::json::document;
namespace checks = checkpoint_store_checks;

std::string base64(const std::string& bytes) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                   (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += digits[(n >> s) & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// Sets the `data` of the document `_id` of `db.coll` to `bytes`.
void overwrite_data(const scratch& s, const std::string& coll, const std::string& id,
                    const std::string& bytes) {
  const document reply = s.client().command(
      s.db(),
      document{{"update", coll},
               {"updates",
                document::array({document{
                    {"q", {{"_id", id}}},
                    {"u",
                     {{"$set",
                       {{"data",
                         {{"$binary", {{"base64", base64(bytes)}, {"subType", "00"}}}}}}}}}}})}});
  REQUIRE(reply.value("nModified", 0) == 1);
}

reel::mongo::client fast_client(const std::string& uri, int attempts = 3) {
  return reel::mongo::client({.uri = uri, .retry = mongo_test::fast_retry(attempts)});
}

bool run_service(const std::string& command) {
  const std::string line =
      std::string(REEL_MONGO_SERVICE_SCRIPT) + " " + command + " >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

}  // namespace

TEST_CASE("MongoDB checkpoint store: put, get, list, remove, keep the last N",
          "[mongo][checkpoint]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt");
  reel::mongo::checkpoint_store store(
      fast_client(uri),
      {.db = s.db(), .coll = "checkpoints", .processor = "tickets", .keep_last = 2});
  CHECK(store.location() == s.db() + ".checkpoints (processor 'tickets')");
  CHECK(store.id_of(42) == "tickets/00000000000000000042");
  checks::put_get_list_remove_keep_last(store);
  const auto docs = s.all("checkpoints");
  REQUIRE(docs.size() == 1);
  CHECK(docs[0]["_id"] == "tickets/00000000000000000002");
  CHECK(docs[0]["processor"] == "tickets");
  CHECK(docs[0]["version"] == 2);
  CHECK(docs[0]["parts"] == 1);

  // Another processor in the same collection has checkpoints of its own.
  reel::mongo::checkpoint_store other(fast_client(uri),
                                      {.db = s.db(), .coll = "checkpoints", .processor = "other"});
  CHECK(other.list().empty());
  other.put(9, "nine");
  CHECK(store.list() == std::vector<std::uint64_t>{2});
  CHECK(other.list() == std::vector<std::uint64_t>{9});
}

TEST_CASE("MongoDB checkpoint store: a torn or bit-flipped document is passed over",
          "[mongo][checkpoint]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt_damaged");
  reel::mongo::checkpoint_store store(
      fast_client(uri), {.db = s.db(), .coll = "checkpoints", .processor = "p", .keep_last = 3});
  checks::damaged_checkpoints_are_passed_over(store, [&](std::uint64_t v, const std::string& b) {
    overwrite_data(s, "checkpoints", store.id_of(v), b);
  });
}

TEST_CASE("MongoDB checkpoint store: a checkpoint over the part size is split into documents",
          "[mongo][checkpoint]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt_parts");
  reel::mongo::checkpoint_store store(fast_client(uri), {.db = s.db(),
                                                         .coll = "checkpoints",
                                                         .processor = "p",
                                                         .keep_last = 2,
                                                         .max_part_bytes = 1000});
  const std::string bytes = checks::blob(5500, 4);  // sealed: 5532 bytes, 6 parts
  store.put(1, bytes);
  CHECK(s.client().count(s.db(), "checkpoints") == 6);
  CHECK(store.list() == std::vector<std::uint64_t>{1});
  CHECK(store.get(1) == bytes);

  // A part that is gone (a put that never finished, a hand edit): the checksum says so.
  store.put(2, checks::blob(3000, 5));
  const document removed = s.client().command(
      s.db(),
      document{{"delete", "checkpoints"},
               {"deletes",
                document::array({document{{"q", {{"_id", store.id_of(2, 2)}}}, {"limit", 1}}})}});
  REQUIRE(removed["n"] == 1);
  REQUIRE_THROWS_WITH(store.get(2), Catch::Contains("[reel.checkpoint.corrupt]"));
  const auto latest = store.latest();
  REQUIRE(latest);
  CHECK(latest->version == 1);
  CHECK(latest->skipped.size() == 1);

  store.put(3, "small");  // keep 2: checkpoint 1 and its parts go
  CHECK(store.list() == std::vector<std::uint64_t>{2, 3});
  CHECK(s.client().count(s.db(), "checkpoints", {{"version", 1}}) == 0);
  store.remove(2);
  CHECK(s.client().count(s.db(), "checkpoints") == 1);
}

TEST_CASE("MongoDB checkpoint store: a 20 MB checkpoint, over BSON's 16 MB, round-trips",
          "[mongo][checkpoint]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt_large");
  reel::mongo::checkpoint_store store(fast_client(uri),
                                      {.db = s.db(), .coll = "checkpoints", .processor = "big"});
  const std::string bytes = checks::blob(20'000'000, 6);
  store.put(1, bytes);
  CHECK(s.client().count(s.db(), "checkpoints") == 3);  // 8 MiB parts
  const auto latest = store.latest();
  REQUIRE(latest);
  CHECK(latest->bytes == bytes);
}

TEST_CASE("a JSON processor restored from a MongoDB store writes the uninterrupted run's output",
          "[mongo][checkpoint][pipeline]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt_restore");
  reel::mongo::checkpoint_store store(
      fast_client(uri),
      {.db = s.db(), .coll = "checkpoints", .processor = "restore", .keep_last = 2});
  checks::restored_processor_matches_uninterrupted(store);
  CHECK(store.list().size() == 2);
}

TEST_CASE("a mongodb connection of the registry builds a checkpoint store",
          "[mongo][checkpoint][connection]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "ckpt_registry");
  reel::connection_registry registry = reel::default_connections();
  reel::mongo::register_connection_type(registry, {.retry = mongo_test::fast_retry()});
  registry.add_connection("atlas", {{"type", "mongodb"}, {"uri", uri}});
  auto store = registry.make_checkpoint_store("atlas",
                                              {{"connectionName", "atlas"},
                                               {"db", s.db()},
                                               {"coll", "state"},
                                               {"processor", "tickets"},
                                               {"keepLast", 1}},
                                              "--state");
  CHECK(store->location() == "mongodb://atlas/" + s.db() + ".state (processor 'tickets')");
  store->put(1, "a");
  store->put(2, "b");
  CHECK(store->list() == std::vector<std::uint64_t>{2});
  REQUIRE_THROWS_WITH(
      registry.make_checkpoint_store("atlas", {{"connectionName", "atlas"}, {"db", s.db()}},
                                     "--state"),
      "[reel.connection.invalid] at --state/coll: a MongoDB checkpoint store needs coll (a "
      "non-empty string)");
  REQUIRE_THROWS_WITH(
      registry.make_checkpoint_store("atlas", {{"connectionName", "atlas"}, {"keeplast", 2}},
                                     "--state"),
      "[reel.connection.invalid] at --state/keeplast: unknown field 'keeplast' of a MongoDB "
      "checkpoint store (did you mean 'keepLast'?)");
}

TEST_CASE("an unreachable or refusing MongoDB store: a clear error, and the processor stops",
          "[mongo][checkpoint][errors]") {
  MONGO_URI_OR_SKIP(uri);
  const std::string nowhere_uri =
      "mongodb://reel:hunter2secret@127.0.0.1:9/?serverSelectionTimeoutMS=200&connectTimeoutMS=200";
  reel::mongo::checkpoint_store nowhere(
      fast_client(nowhere_uri, 2),
      {.db = "reel", .coll = "checkpoints", .processor = "p", .connection_name = "atlas"});
  try {
    nowhere.put(1, "x");
    FAIL("a put to an unreachable server succeeded");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.checkpoint.write_failed");
    CHECK(e.where() == "mongodb://atlas/reel.checkpoints (processor 'p')");
    CHECK_THAT(e.message(),
               Catch::StartsWith("cannot store checkpoint 1: gave up after 2 attempts"));
    CHECK_THAT(e.what(), !Catch::Contains("hunter2secret"));
  }
  checks::file_run run(checks::input_lines(500, 1));
  REQUIRE_THROWS_WITH(reel::json::stream_processor(checks::windowed_pipeline(), run.connections,
                                                   run.options(&nowhere)),
                      Catch::StartsWith("[reel.checkpoint.read_failed] at mongodb://atlas/"
                                        "reel.checkpoints (processor 'p'): cannot list the "
                                        "checkpoints: gave up after 2 attempts"));

  // A server that refuses the write (an invalid database name).
  reel::mongo::checkpoint_store refused(fast_client(uri),
                                        {.db = "no/such", .coll = "checkpoints", .processor = "p"});
  REQUIRE_THROWS_WITH(refused.put(1, "x"),
                      Catch::StartsWith("[reel.checkpoint.write_failed] at no/such.checkpoints "
                                        "(processor 'p'): cannot store checkpoint 1: "));

  // A server that goes away mid-run stops the processor at its next checkpoint.
  if (!run_service("status")) {
    if (mongo_test::services_required()) {
      FAIL("the server at REEL_MONGO_URI was not started by scripts/services/mongo.sh");
    }
    WARN("the mid-run part needs the server of scripts/services/mongo.sh, which it stops");
    return;
  }
  scratch s(uri, "ckpt_down");
  struct restart_guard {  // whatever happens, leave the server running
    ~restart_guard() { run_service("up"); }
  } guard;
  reel::mongo::checkpoint_store store(fast_client(uri, 2),
                                      {.db = s.db(), .coll = "checkpoints", .processor = "p"});
  reel::json::stream_processor sp(checks::windowed_pipeline(), run.connections,
                                  run.options(&store));
  sp.step();
  const std::uint64_t taken = store.list().back();
  REQUIRE(run_service("down"));
  REQUIRE_THROWS_WITH(sp.step(),
                      Catch::StartsWith("[reel.checkpoint.write_failed] at " + s.db() +
                                        ".checkpoints (processor 'p'): cannot store "
                                        "checkpoint " +
                                        std::to_string(taken + 1) + ": gave up after 2 attempts"));
}
