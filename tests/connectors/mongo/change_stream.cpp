// SPDX-License-Identifier: Apache-2.0
// The change-stream $source against the replaying test double (no installable server supports
// change streams): event decoding, event time, resume tokens, fullDocument modes, the pipeline,
// failures; and what a wire-protocol server without change streams answers. The source inside a
// stream processor is tested in pipeline.cpp.
#include <string>
#include <vector>

#include "change_events.hpp"
#include "support.hpp"

using mongo_test::document;
using mongo_test::event;
using mongo_test::orders;
using reel::mongo::change_stream_options;
using reel::mongo::change_stream_source;
using reel::mongo::replay_change_stream;

namespace {

std::vector<reel::source_message> drain(reel::source& s, std::size_t max = 100) {
  std::vector<reel::source_message> out;
  for (int i = 0; i < 20; ++i) {
    const std::size_t before = out.size();
    if (s.poll(out, max) == reel::poll_status::end_of_input) break;
    if (out.size() == before) break;
  }
  return out;
}

}  // namespace

TEST_CASE("change events become messages with metadata, event time and positions",
          "[mongo][change_stream]") {
  replay_change_stream server;
  change_stream_source source(server.cursors(), orders());
  std::vector<reel::source_message> out;
  CHECK(source.poll(out, 10) == reel::poll_status::idle);  // a new stream starts from now
  CHECK(source.positions().is_null());

  server.record(event(1, "insert", 7, 1));
  server.record(event(2, "update", 7, 2));
  server.record(event(3, "delete", 7, 3));
  document no_wall = event(4, "insert", 8, 4);
  no_wall.erase("wallTime");
  server.record(no_wall);
  server.record(event(5, "insert", 9, 5, "returns"));  // another collection: not visible

  out = drain(source);
  REQUIRE(out.size() == 4);
  CHECK(source.type() == "atlas");
  CHECK(source.partitions() == std::vector<std::string>{"shop.orders"});
  const auto& insert = out[0];
  REQUIRE(insert.document);
  CHECK((*insert.document)["operationType"] == "insert");
  CHECK((*insert.document)["fullDocument"] == document({{"_id", 7}, {"qty", 1}}));
  CHECK(insert.metadata == document::parse(R"({"operationType": "insert",
      "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": 7},
      "clusterTime": {"$timestamp": {"t": 1717272001, "i": 1}}})"));
  CHECK(insert.position == document({{"_data", "821001"}}));
  REQUIRE(insert.record_time);
  CHECK(reel::format_iso8601(*insert.record_time) == "2024-06-01T20:00:01.250Z");  // wallTime
  // fullDocument "default": an update carries its delta, not the document.
  CHECK_FALSE(out[1].document->contains("fullDocument"));
  CHECK((*out[1].document)["updateDescription"]["updatedFields"] == document({{"qty", 2}}));
  CHECK(out[2].metadata["operationType"] == "delete");
  // Without wallTime, the cluster time (seconds) is the record time.
  CHECK(reel::format_iso8601(*out[3].record_time) == "2024-06-01T20:00:04.000Z");
  // The position is the token after the last event the source saw.
  CHECK(source.positions() == document::parse(R"({"resumeToken": {"_data": "821005"}})"));
}

TEST_CASE("fullDocument modes and fullDocumentOnly", "[mongo][change_stream]") {
  replay_change_stream server;
  auto run = [&](const change_stream_options& o) {
    change_stream_options start = o;
    start.start_at_operation_time = document{{"$timestamp", {{"t", 1717272000}, {"i", 0}}}};
    change_stream_source source(server.cursors(), start);
    auto out = drain(source);
    return std::make_pair(std::move(out), source.skipped_events());
  };
  server.record(event(1, "insert", 7, 1));
  server.record(
      event(2, "update", 7, 2, "orders", document{{"_id", 7}, {"qty", 2}, {"note", "x"}}));
  server.record(event(3, "delete", 7, 3));

  SECTION("updateLookup: updates carry the current document") {
    auto [out, skipped] = run(orders("updateLookup"));
    REQUIRE(out.size() == 3);
    CHECK((*out[1].document)["fullDocument"] == document({{"_id", 7}, {"qty", 2}, {"note", "x"}}));
    CHECK(skipped == 0);
    CHECK(server.requests().back().options.full_document == "updateLookup");
  }
  SECTION("fullDocumentOnly: the documents alone; deletes have none and are skipped") {
    auto [out, skipped] = run(orders("updateLookup", true));
    REQUIRE(out.size() == 2);
    CHECK(*out[0].document == document({{"_id", 7}, {"qty", 1}}));
    CHECK(*out[1].document == document({{"_id", 7}, {"qty", 2}, {"note", "x"}}));
    CHECK(out[1].metadata["operationType"] == "update");  // still in {$meta: "stream.source"}
    CHECK(skipped == 1);
  }
  SECTION("fullDocumentOnly with the default mode: updates have no document either") {
    auto [out, skipped] = run(orders("default", true));
    REQUIRE(out.size() == 1);
    CHECK(skipped == 2);
  }
  SECTION("required: an update without a post-image fails the stream") {
    server.record(event(4, "update", 8, 4, "orders", document(nullptr)));
    server.record(document::parse(R"({"_id": {"_data": "821005"}, "operationType": "update",
        "clusterTime": {"$timestamp": {"t": 1717272005, "i": 1}},
        "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": 9}})"));
    change_stream_options o = orders("required");
    o.start_at_operation_time = document{{"$timestamp", {{"t", 1717272004}, {"i", 0}}}};
    change_stream_source source(server.cursors(), o);
    std::vector<reel::source_message> out;
    try {
      source.poll(out, 10);
      FAIL("no error");
    } catch (const reel::mongo::error& e) {
      CHECK(e.code() == 286);
      CHECK_FALSE(e.transient());
    }
  }
}

TEST_CASE("resume tokens: seek, startAfter, reopening after a transient failure",
          "[mongo][change_stream]") {
  replay_change_stream server;
  for (int i = 1; i <= 6; ++i)
    server.record(event(i, "insert", i, i));
  change_stream_options o = orders();
  o.start_at_operation_time = document{{"$timestamp", {{"t", 1717272000}, {"i", 0}}}};
  change_stream_source source(server.cursors(), o, mongo_test::fast_retry(3));

  std::vector<reel::source_message> out;
  CHECK(source.poll(out, 2) == reel::poll_status::ready);
  REQUIRE(out.size() == 2);
  const document checkpoint = source.positions();
  CHECK(checkpoint == document::parse(R"({"resumeToken": {"_data": "821002"}})"));

  // A transient failure: the stream is reopened after the last token, nothing lost or repeated.
  server.fail_next();
  out.clear();
  CHECK(source.poll(out, 2) == reel::poll_status::ready);
  REQUIRE(out.size() == 2);
  CHECK((*out[0].document)["documentKey"]["_id"] == 3);
  CHECK(source.opened_cursors() == 2);
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].resume_token == document({{"_data", "821002"}}));

  // Restoring a checkpoint replays what followed it.
  source.seek(checkpoint);
  out = drain(source);
  REQUIRE(out.size() == 4);
  CHECK((*out[0].document)["documentKey"]["_id"] == 3);
  CHECK(source.positions() == document::parse(R"({"resumeToken": {"_data": "821006"}})"));

  // config.startAfter starts after that event; an unknown token is the server's error 280.
  change_stream_options after = orders();
  after.start_after = document{{"_data", "821004"}};
  change_stream_source from_token(server.cursors(), after);
  out = drain(from_token);
  REQUIRE(out.size() == 2);
  CHECK((*out[0].document)["documentKey"]["_id"] == 5);
  after.start_after = document{{"_data", "nope"}};
  change_stream_source unknown(server.cursors(), after);
  try {
    unknown.poll(out, 10);
    FAIL("no error");
  } catch (const reel::mongo::error& e) {
    CHECK(e.id() == "reel.mongo.change_stream_failed");
    CHECK(e.code() == 280);
  }

  // Failures beyond the retry policy surface.
  server.fail_next(5);
  change_stream_source fragile(server.cursors(), o, mongo_test::fast_retry(2));
  try {
    fragile.poll(out, 10);
    FAIL("no error");
  } catch (const reel::mongo::error& e) {
    CHECK(e.id() == "reel.mongo.unavailable");
    CHECK(std::string(e.what()).ends_with("(domain=2 code=4)"));
  }
}

TEST_CASE("the post-batch resume token moves past filtered events, invalidate ends the input",
          "[mongo][change_stream]") {
  replay_change_stream server;
  change_stream_options o = orders();
  o.start_at_operation_time = document{{"$timestamp", {{"t", 1717272000}, {"i", 0}}}};
  o.pipeline = document::parse(R"([{"$match": {"operationType": "insert"}}])");
  server.record(event(1, "insert", 1, 1));
  server.record(event(2, "update", 1, 2));
  server.set_post_batch_token(document{{"_data", "82pbrt"}});
  change_stream_source source(server.cursors(), o);
  auto out = drain(source);
  REQUIRE(out.size() == 1);
  CHECK(server.requests()[0].server_pipeline() == o.pipeline);
  CHECK(source.positions() == document::parse(R"({"resumeToken": {"_data": "82pbrt"}})"));

  replay_change_stream dropped;
  dropped.record(event(1, "insert", 1, 1));
  dropped.record(document::parse(R"({"_id": {"_data": "82inv"}, "operationType": "invalidate",
                                     "clusterTime": {"$timestamp": {"t": 1717272009, "i": 1}}})"));
  change_stream_source s2(dropped.cursors(), [] {
    change_stream_options x = orders();
    x.start_at_operation_time = document{{"$timestamp", {{"t", 1}, {"i", 0}}}};
    return x;
  }());
  std::vector<reel::source_message> msgs;
  CHECK(s2.poll(msgs, 10) == reel::poll_status::ready);
  CHECK(msgs.size() == 1);
  CHECK(s2.poll(msgs, 10) == reel::poll_status::end_of_input);
  CHECK(s2.positions() == document::parse(R"({"resumeToken": {"_data": "82inv"}})"));
}

TEST_CASE("change stream options are checked at definition time", "[mongo][change_stream]") {
  auto error_of = [](const char* text) -> std::string {
    try {
      reel::mongo::parse_change_stream_stage(document::parse(text), "/0/$source");
    } catch (const reel::error& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error_of(R"({"db": "s", "config": {"fulDocument": "updateLookup"}})") ==
        "[reel.pipeline.invalid_option] at /0/$source/config/fulDocument: unknown option "
        "'fulDocument' of a change stream $source (did you mean 'fullDocument'?)");
  CHECK(error_of(R"({"db": "s", "config": {"startAfter": {"_data": "1"},
                                           "startAtOperationTime": {"$date": "2024-01-01T00:00:00Z"}}})") ==
        "[reel.pipeline.invalid_option] at /0/$source/config/startAtOperationTime: give either "
        "startAfter or startAtOperationTime, not both");
  CHECK(error_of(R"({"coll": "c"})") ==
        "[reel.pipeline.invalid_option] at /0/$source/coll: coll needs db");
  CHECK(error_of(R"({"db": "s", "config": {"fullDocumentOnly": "yes"}})") ==
        "[reel.pipeline.invalid_option] at /0/$source/config/fullDocumentOnly: fullDocumentOnly "
        "must be a boolean");
  const auto o = reel::mongo::parse_change_stream_stage(document::parse(
      R"({"db": "s", "config": {"startAtOperationTime": {"$timestamp": {"t": 5, "i": 2}},
                                "maxAwaitTimeMS": 250, "batchSize": 10}})"));
  CHECK(o.colls.empty());
  CHECK(*o.start_at_operation_time == document::parse(R"({"$timestamp": {"t": 5, "i": 2}})"));
  CHECK(o.max_await_time.count() == 250);
  CHECK(o.batch_size == 10);
}

TEST_CASE("libmongoc change streams report the server's refusal with its domain and code",
          "[mongo][change_stream]") {
  MONGO_URI_OR_SKIP(uri);
  // FerretDB has no change streams: opening one must fail cleanly with the server's error
  // (MongoDB would need a replica set; this is the only libmongoc path exercised here).
  reel::mongo::client c({.uri = uri, .retry = mongo_test::fast_retry()});
  change_stream_source source(reel::mongo::libmongoc_cursors(c), orders(),
                              mongo_test::fast_retry());
  std::vector<reel::source_message> out;
  try {
    source.poll(out, 10);
    WARN("this server supports change streams");
  } catch (const reel::mongo::error& e) {
    CHECK(e.id() == "reel.mongo.change_stream_failed");
    CHECK(e.domain() == reel::mongo::domain::server);
    INFO(e.what());
    CHECK(std::string(e.what()).find("cannot open the change stream on 'shop.orders'") !=
          std::string::npos);
  }
}
