// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <reel/json.hpp>

using reel::json::document;

TEST_CASE("a JSON tumbling window sums per movie", "[json][processor]") {
  const document pipeline = reel::json::parse_pipeline_text(R"([
    { $source: { timeField: { $dateFromString: { dateString: '$ts' } } } },
    { $match: { amountPaid: { $gt: 0 } } },
    { $tumblingWindow: { interval: { size: 30, unit: 'second' }, allowedLateness: { size: 1, unit: 'minute' },
        pipeline: [ { $group: { _id: '$movie', total: { $sum: '$amountPaid' }, n: { $count: {} } } }, { $sort: { total: -1 } } ] } }
  ])");
  reel::json::stream_processor sp(pipeline, {}, {.name = "movies", .stream_meta = false});
  std::vector<document> out, dlq;
  sp.on_output([&](const document& d) { out.push_back(d); });
  sp.on_dead_letter([&](const document& d) { dlq.push_back(d); });
  sp.push(document::parse(R"({"movie": "Dune", "amountPaid": 10, "ts": "2024-06-01T20:00:01Z"})"));
  sp.push(document::parse(R"({"movie": "Up", "amountPaid": 30, "ts": "2024-06-01T20:00:02Z"})"));
  sp.push(
      document::parse(R"({"movie": "Dune", "amountPaid": 5, "ts": "2024-06-01T20:00:29.999Z"})"));
  sp.push(document::parse(R"({"movie": "Dune", "amountPaid": 0, "ts": "2024-06-01T20:00:40Z"})"));
  sp.push(document::parse(R"({"movie": "Dune", "amountPaid": 7, "ts": "2024-06-01T20:01:30Z"})"));
  REQUIRE(out.size() == 2);
  CHECK(out[0] == document::parse(R"({"_id": "Up", "total": 30, "n": 1})"));
  CHECK(out[1] == document::parse(R"({"_id": "Dune", "total": 15, "n": 2})"));
  sp.push(document::parse(R"({"movie": "Dune", "amountPaid": 7, "ts": "2024-06-01T20:00:10Z"})"));
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0]["errInfo"]["reason"] == "Input document arrived late.");
  CHECK(dlq[0]["missedWindowStartTimes"] ==
        document::parse(R"([{"$date": "2024-06-01T20:00:00.000Z"}])"));
  sp.flush();
  REQUIRE(out.size() == 3);
  CHECK(sp.stats()["inputMessageCount"] == 6);
  CHECK(sp.stats()["filteredMessageCount"] == 1);
}
