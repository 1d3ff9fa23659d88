// SPDX-License-Identifier: Apache-2.0
// Stream processors with MongoDB sources and sinks (kept in one file: the processor is the
// heaviest thing to compile): the talk's pipeline (movie tickets, a 30-second tumbling total per
// movie, $merge), idempotent replays, the DLQ collection, a server restarted mid-run, and the
// change-stream $source (over the replaying test double) feeding a window.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "change_events.hpp"
#include "reel/connector/defaults.hpp"
#include "reel/connector/samples.hpp"
#include "reel/json/stream_processor.hpp"
#include "support.hpp"

using mongo_test::document;
using mongo_test::event;
using mongo_test::scratch;
using reel::mongo::change_stream_options;
using reel::mongo::replay_change_stream;

namespace {

reel::connection_registry connections(const std::string& uri) {
  reel::connection_registry r = reel::default_connections();
  reel::mongo::register_connection_type(r, {.retry = mongo_test::fast_retry()});
  r.add_connection("mongo", {{"type", "mongodb"}, {"uri", uri}});
  return r;
}

bool run_service(const std::string& command) {
  const std::string line =
      std::string(REEL_MONGO_SERVICE_SCRIPT) + " " + command + " >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// The talk's pipeline: tickets → 30-second tumbling total per movie → $merge, with `_id`s built
/// from the movie and the window start so a replay overwrites.
document talk_pipeline(const std::string& db, int count, double late, double malformed) {
  return document::parse(R"([
    {"$source": {"connectionName": "sample_movie_tickets",
                 "config": {"count": )" +
                         std::to_string(count) + R"(, "seed": 42,
                            "lateFraction": )" +
                         std::to_string(late) + R"(,
                            "malformedFraction": )" +
                         std::to_string(malformed) + R"(},
                 "timeField": {"$dateFromString": {"dateString": "$ts"}}}},
    {"$validate": {"validator": {"$jsonSchema": {
        "required": ["movie", "amountPaid", "ts"],
        "properties": {"movie": {"bsonType": "string"}, "amountPaid": {"bsonType": "number"},
                       "ts": {"bsonType": ["string", "date"]}}}},
      "validationAction": "dlq"}},
    {"$tumblingWindow": {
        "interval": {"size": 30, "unit": "second"},
        "allowedLateness": {"size": 10, "unit": "second"},
        "pipeline": [
          {"$group": {"_id": "$movie", "total": {"$sum": "$amountPaid"},
                      "tickets": {"$sum": "$ticketCount"}}},
          {"$project": {"_id": {"movie": "$_id", "windowStart": {"$meta": "stream.window.start"}},
                        "movie": "$_id", "windowStart": {"$meta": "stream.window.start"},
                        "total": 1, "tickets": 1}}]}},
    {"$merge": {"into": {"connectionName": "mongo", "db": ")" +
                         db + R"(", "coll": "totals"},
                "whenMatched": "replace", "whenNotMatched": "insert"}}
  ])");
}

/// The reference: per movie and 30-second window, the sum of amountPaid and ticketCount,
/// computed straight from the generator.
std::map<std::pair<std::string, std::int64_t>, std::pair<double, std::int64_t>> reference(
    int count) {
  reel::samples::movie_ticket_generator gen(42,
                                            reel::samples::movie_ticket_generator::default_start,
                                            {.late_fraction = 0, .malformed_fraction = 0});
  std::map<std::pair<std::string, std::int64_t>, std::pair<double, std::int64_t>> out;
  for (int i = 0; i < count; ++i) {
    const document t = gen.next();
    const auto ts = reel::parse_iso8601(t["ts"].get<std::string>());
    REQUIRE(ts);
    const std::int64_t ms = reel::to_millis(*ts);
    auto& [total, tickets] = out[{t["movie"].get<std::string>(), ms - ms % 30'000}];
    total += t["amountPaid"].get<double>();
    tickets += t["ticketCount"].get<std::int64_t>();
  }
  return out;
}

}  // namespace

TEST_CASE("the talk's pipeline: tumbling totals per movie merged into a collection",
          "[mongo][pipeline]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "talk");
  const int count = 1200;  // 5 minutes of tickets
  const auto registry = connections(uri);
  const document pipeline = talk_pipeline(s.db(), count, 0, 0);

  reel::json::stream_processor sp(pipeline, registry, {.name = "movies"});
  sp.process();
  const auto stats = sp.stats();
  CHECK(stats["dlqMessageCount"] == 0);
  // The processor lets $merge batch across window results: far fewer bulk writes than documents.
  INFO(stats["sinkMetrics"].dump());
  CHECK(stats["sinkMetrics"]["written"] == stats["outputMessageCount"]);
  CHECK(stats["sinkMetrics"]["batches"].get<int>() * 10 <= stats["outputMessageCount"].get<int>());

  const auto first = s.all("totals");
  const auto expected = reference(count);
  REQUIRE(first.size() == expected.size());
  REQUIRE(stats["outputMessageCount"] == expected.size());
  for (const document& d : first) {
    const auto start = reel::json::as_date(d["windowStart"]);
    REQUIRE(start);
    const auto key = std::make_pair(d["movie"].get<std::string>(), reel::to_millis(*start));
    INFO(d.dump());
    REQUIRE(expected.count(key) == 1);
    CHECK(d["total"].get<double>() == expected.at(key).first);  // quarters: exact in binary
    CHECK(d["tickets"] == expected.at(key).second);
    CHECK(d["_id"] == document({{"movie", d["movie"]}, {"windowStart", d["windowStart"]}}));
  }

  SECTION("running the same input again leaves the same content") {
    reel::json::stream_processor again(pipeline, registry, {.name = "movies"});
    again.process();
    CHECK(s.all("totals") == first);
  }
  SECTION("a crashed run replayed from the start overwrites instead of duplicating") {
    s.client().drop_collection(s.db(), "totals");
    {
      reel::json::stream_processor crashed(pipeline, registry, {.name = "movies"});
      crashed.process(5);  // five window results written, then the process "dies"
    }
    const auto partial = s.all("totals");
    CHECK(partial.size() >= 5);
    CHECK(partial.size() < first.size());
    reel::json::stream_processor replay(pipeline, registry, {.name = "movies"});
    replay.process();
    CHECK(s.all("totals") == first);
  }
}

TEST_CASE("the DLQ collection receives late and invalid events", "[mongo][pipeline][dlq]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "dlq");
  const auto registry = connections(uri);
  reel::json::stream_processor sp(
      talk_pipeline(s.db(), 2000, 1.0 / 50, 1.0 / 40), registry,
      {.name = "movies",
       .dlq = document{{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "dlq"}}});
  std::vector<document> records;
  sp.on_dead_letter([&](const document& r) { records.push_back(r); });
  sp.process();
  const auto stats = sp.stats();
  REQUIRE(records.size() > 10);
  REQUIRE(stats["dlqMessageCount"] == records.size());

  const auto stored = s.client().find(s.db(), "dlq", document::object(), document{{"dlqTime", 1}});
  REQUIRE(stored.size() == records.size());
  std::size_t late = 0, invalid = 0;
  for (const document& d : stored) {
    CHECK(d["processorName"] == "movies");
    CHECK(d.contains("doc"));
    CHECK(reel::json::is_date(d["dlqTime"]));
    const std::string reason = d["errInfo"]["reason"];
    if (reason == "Input document arrived late.") {
      ++late;
      CHECK(d["missedWindowStartTimes"].is_array());
      CHECK(reel::json::is_date(d["doc"]["_ts"]));  // stored as a BSON date
    } else {
      ++invalid;
    }
  }
  CHECK(late > 0);
  CHECK(invalid > 0);
  CHECK(late + invalid == records.size());
  // The records are the processor's, field for field (`_id` added by the sink).
  auto by_text = [](std::vector<document> v, bool drop_id) {
    std::vector<std::string> out;
    for (document& d : v) {
      if (drop_id) d.erase("_id");
      out.push_back(d.dump());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(by_text(stored, true) == by_text(records, false));
}

TEST_CASE("a document the server rejects goes to the DLQ collection with the server's error",
          "[mongo][pipeline][dlq]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "sinkdlq");
  s.client().create_index(s.db(), "users", document{{"email", 1}}, true);
  const auto registry = connections(uri);
  const document pipeline = document::parse(R"([
    {"$match": {"email": {"$exists": true}}},
    {"$merge": {"into": {"connectionName": "mongo", "db": ")" +
                                            s.db() + R"(", "coll": "users"}}}
  ])");
  reel::json::stream_processor sp(
      pipeline, registry,
      {.name = "users",
       .stream_meta = false,
       .dlq = document{{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "dlq"}}});
  for (const char* text : {R"({"_id": 1, "email": "a@x"})", R"({"_id": 2, "email": "b@x"})",
                           R"({"_id": 3, "email": "a@x"})", R"({"_id": 4, "email": "d@x"})"}) {
    sp.push(document::parse(text));
  }
  sp.flush();
  CHECK(s.all("users").size() == 3);
  const auto dlq = s.all("dlq");
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0]["operatorName"] == "MergeOperator");
  CHECK(dlq[0]["doc"]["_id"] == 3);
  const std::string reason = dlq[0]["errInfo"]["reason"];
  CHECK(reason.find("E11000") != std::string::npos);
  CHECK(reason.find("(domain=17 code=11000)") != std::string::npos);
}

TEST_CASE("a DLQ record the server refuses is stored with its document as text", "[mongo][dlq]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "dlqtext");
  reel::mongo::insert_sink sink(s.client(), {.db = s.db(), .coll = "dlq"});
  const auto records = document::parse(R"([
    {"processorName": "p", "errInfo": {"reason": "bad"}, "doc": {"$weird": 1, "a": 2}},
    {"processorName": "p", "errInfo": {"reason": "fine"}, "doc": {"a": 3}}])")
                           .get<std::vector<document>>();
  reel::write_result r;
  sink.write(records, r);
  sink.flush();
  const auto stored =
      s.client().find(s.db(), "dlq", document::object(), document{{"errInfo.reason", 1}});
  REQUIRE(stored.size() == 2);
  const auto stats = sink.stats();
  CHECK(stats.lost == 0);
  CHECK(stats.written + stats.as_text == 2);
  if (stats.as_text == 1) {  // FerretDB refuses `$` field names anywhere
    CHECK(stored[0]["docText"] == R"({"$weird":1,"a":2})");
    CHECK(stored[0]["errInfo"]["storeError"].get<std::string>().find("domain=17") !=
          std::string::npos);
    CHECK_FALSE(stored[0].contains("doc"));
  }
  CHECK(stored[1]["doc"] == document{{"a", 3}});
}

TEST_CASE("the example examples/pipelines/movies-to-mongodb.json runs as documented",
          "[mongo][pipeline][example]") {
  MONGO_URI_OR_SKIP(uri);
  const std::filesystem::path dir = REEL_EXAMPLE_PIPELINES;
  reel::connection_registry registry = mongo_test::example_connections(uri);
  std::ifstream in(dir / "movies-to-mongodb.json");
  const document file = document::parse(in);
  reel::mongo::client c({.uri = uri, .retry = mongo_test::fast_retry()});
  c.drop_database("cinema");
  struct drop {
    reel::mongo::client& c;
    ~drop() { c.drop_database("cinema"); }
  } cleanup{c};
  reel::json::stream_processor sp(file["pipeline"], registry,
                                  {.name = file["name"],
                                   .stream_meta = file["options"]["streamMeta"],
                                   .dlq = file["options"]["dlq"]});
  sp.process();
  const auto stats = sp.stats();
  CHECK(c.count("cinema", "totals") == stats["outputMessageCount"].get<std::int64_t>());
  CHECK(c.count("cinema", "dlq") == stats["dlqMessageCount"].get<std::int64_t>());
  CHECK(c.count("cinema", "totals") > 0);
  CHECK(c.count("cinema", "dlq") > 0);
  const auto one = c.find("cinema", "totals", document::object(), document{{"_id", 1}}).front();
  CHECK(one["_id"].size() == 2);
  CHECK_FALSE(one.contains("_stream_meta"));
}

TEST_CASE("the example run twice, as the README does: the second run replaces the 122 results",
          "[mongo][pipeline][example]") {
  MONGO_URI_OR_SKIP(uri);
  const std::filesystem::path dir = REEL_EXAMPLE_PIPELINES;
  reel::connection_registry registry = mongo_test::example_connections(uri);
  std::ifstream in(dir / "movies-to-mongodb.json");
  const document file = document::parse(in);
  reel::mongo::client c({.uri = uri, .retry = mongo_test::fast_retry()});
  c.drop_database("cinema");
  struct drop {
    reel::mongo::client& c;
    ~drop() { c.drop_database("cinema"); }
  } cleanup{c};
  std::vector<document> first_results;
  std::int64_t first_dlq = 0;
  for (int run = 1; run <= 2; ++run) {
    INFO("run " << run);
    reel::json::stream_processor sp(file["pipeline"], registry,
                                    {.name = file["name"],
                                     .stream_meta = file["options"]["streamMeta"],
                                     .dlq = file["options"]["dlq"]});
    sp.process();
    const auto stats = sp.stats();
    CHECK(stats["outputMessageCount"] == 122);
    CHECK(stats["sinkMetrics"]["written"] == 122);
    CHECK(stats["sinkMetrics"]["rejected"] == 0);
    CHECK(c.count("cinema", "totals") == 122);
    const auto results = c.find("cinema", "totals", document::object(), document{{"_id", 1}});
    if (run == 1) {
      first_results = results;
      first_dlq = c.count("cinema", "dlq");
      CHECK(first_dlq == stats["dlqMessageCount"].get<std::int64_t>());
    } else {
      CHECK(results == first_results);                   // replaced by the same values
      CHECK(c.count("cinema", "dlq") == 2 * first_dlq);  // DLQ records are inserted again
    }
  }
  // The server still answers on that database afterwards.
  CHECK(c.count("cinema", "totals", document{{"movie", first_results.front()["movie"]}}) > 0);
}

TEST_CASE("a server stopped and restarted mid-run: nothing is lost once it is back",
          "[mongo][connection][restart]") {
  MONGO_URI_OR_SKIP(uri);
  if (!run_service("status")) {
    if (mongo_test::services_required()) {
      FAIL("the server at REEL_MONGO_URI was not started by scripts/services/mongo.sh");
    }
    WARN(
        "skipped: the server was not started by scripts/services/mongo.sh, which this test "
        "stops and restarts");
    return;
  }
  scratch s(uri, "restart");
  struct restart_guard {  // whatever happens, leave the server running
    ~restart_guard() { run_service("up"); }
  } guard;

  SECTION("the retry policy waits until the server is back") {
    int waited = 0;
    reel::mongo::retry_policy retry = mongo_test::fast_retry(10);
    retry.sleep = [&](std::chrono::milliseconds) {
      if (++waited == 2) REQUIRE(run_service("up"));  // back after the second failed attempt
    };
    reel::connection_registry registry = reel::default_connections();
    reel::mongo::register_connection_type(registry, {.retry = retry});
    registry.add_connection("mongo", {{"type", "mongodb"}, {"uri", uri}});
    reel::json::stream_processor sp(
        document::parse(R"([{"$merge": {"into": {"connectionName": "mongo", "db": ")" + s.db() +
                        R"(", "coll": "events"}}}])"),
        registry, {.name = "restart", .stream_meta = false});
    for (int i = 0; i < 60; ++i) {
      if (i == 20) REQUIRE(run_service("down"));
      sp.push(document{{"_id", i}, {"n", i}});
    }
    sp.flush();
    CHECK(waited >= 2);
    CHECK(s.client().count(s.db(), "events") == 60);
  }
  SECTION("retries exhausted: the error surfaces, the documents stay buffered for the next flush") {
    reel::mongo::merge_sink sink(
        reel::mongo::client({.uri = uri, .retry = mongo_test::fast_retry(2)}),
        reel::mongo::parse_merge_stage(document::parse(
            R"({"into": {"connectionName": "m", "db": ")" + s.db() + R"(", "coll": "b"}})")));
    sink.set_rejection_handler([](const document&, const std::string& reason) { FAIL(reason); });
    reel::write_result r;
    std::vector<document> batch;
    for (int i = 0; i < 10; ++i)
      batch.push_back({{"_id", i}});
    sink.write(batch, r);
    sink.flush();
    REQUIRE(run_service("down"));
    for (auto& d : batch)
      d["_id"] = d["_id"].get<int>() + 10;
    sink.write(batch, r);
    const std::string what = error_of([&] { sink.flush(); });
    CHECK(what.starts_with("[reel.mongo.unavailable]"));
    CHECK(what.find("(domain=") != std::string::npos);
    CHECK(sink.pending() == 10);
    REQUIRE(run_service("up"));
    sink.flush();
    CHECK(sink.pending() == 0);
    CHECK(s.client().count(s.db(), "b") == 20);
  }
}

TEST_CASE(
    "a change-stream $source in a stream processor: windows on wallTime, checkpoints "
    "keep the resume token",
    "[mongo][change_stream][pipeline]") {
  replay_change_stream server;
  for (int i = 1; i <= 8; ++i)
    server.record(event(i, "insert", i % 2, i * 10, i % 2 ? "orders" : "returns"));
  server.set_batch(1);  // one event per poll: process(limit) stops right after an event
  reel::connection_registry registry = reel::default_connections();
  reel::mongo::register_connection_type(
      registry, {.cursors = [&](const reel::mongo::client&) { return server.cursors(); }});
  registry.add_connection("shop", {{"type", "mongodb"}, {"uri", "mongodb://127.0.0.1:9/"}});
  const document pipeline = document::parse(R"([
    {"$source": {"connectionName": "shop", "db": "shop", "coll": ["orders", "returns"],
                 "config": {"fullDocumentOnly": true,
                            "startAtOperationTime": {"$date": "2024-06-01T20:00:00Z"}}}},
    {"$tumblingWindow": {"interval": {"size": 30, "unit": "second"}, "allowedLateness": 0,
        "pipeline": [{"$group": {"_id": null, "qty": {"$sum": "$qty"}, "n": {"$sum": 1}}},
                     {"$project": {"_id": 0, "start": {"$meta": "stream.window.start"},
                                   "qty": 1, "n": 1}}]}}
  ])");
  reel::json::stream_processor sp(pipeline, registry, {.name = "cs", .stream_meta = false});
  std::vector<document> outputs;
  sp.on_output([&](const document& d) { outputs.push_back(d); });
  sp.process(2);  // no end of input: stop after two windows (at event 6, 60 s)
  // Events at 10 s ... 80 s (wallTime), windows of 30 s: [0,30) has 1+2, [30,60) has 3+4+5.
  REQUIRE(outputs.size() >= 2);
  CHECK(outputs[0] == document::parse(R"({"qty": 3, "n": 2,
                                          "start": {"$date": "2024-06-01T20:00:00.000Z"}})"));
  CHECK(outputs[1] == document::parse(R"({"qty": 12, "n": 3,
                                          "start": {"$date": "2024-06-01T20:00:30.000Z"}})"));
  const auto request = server.requests().at(0);
  CHECK(request.options.colls == std::vector<std::string>{"orders", "returns"});
  CHECK(request.server_pipeline() ==
        document::parse(R"([{"$match": {"ns.coll": {"$in": ["orders", "returns"]}}}])"));
  CHECK(request.options.start_at_operation_time ==
        document::parse(R"({"$timestamp": {"t": 1717272000, "i": 0}})"));
  CHECK(sp.stats()["sourcePositions"] ==
        document::parse(R"({"resumeToken": {"_data": "821006"}})"));

  // A new processor restored from the checkpoint resumes after the token.
  const std::string bytes = sp.checkpoint();
  server.record(event(9, "insert", 1, 95));
  server.record(event(10, "insert", 1, 130));
  reel::json::stream_processor restored(pipeline, registry, {.name = "cs", .stream_meta = false});
  restored.restore(bytes);
  std::vector<document> more;
  restored.on_output([&](const document& d) { more.push_back(d); });
  restored.process(1);
  CHECK(server.requests().back().resume_token == document({{"_data", "821006"}}));
  // [60 s, 90 s): event 6 from the checkpointed window state, 7 and 8 read after resuming.
  REQUIRE(more.size() == 1);
  CHECK(more[0] == document::parse(R"({"qty": 21, "n": 3,
                                       "start": {"$date": "2024-06-01T20:01:00.000Z"}})"));
}
