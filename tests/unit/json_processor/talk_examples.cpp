// SPDX-License-Identifier: Apache-2.0
// The examples of the Atlas Stream Processing talk, converted to mongosh syntax and run as
// written: a 30-second tumbling window of ticket revenue per movie with one minute of allowed
// lateness, a 20-minute hopping window every 10 minutes summing ticket counts, and a DLQ option
// `{connectionName, db, coll}` whose records land in a sink registered under that connection name
// in a `reel::connection_registry`. Every expected output is computed by hand in the comments.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace {

using reel::json::document;

/// The "atlas" connection: `$merge` into cinema.revenue and the DLQ cinema.dlq, in memory.
struct atlas_connection {
  std::shared_ptr<std::vector<document>> revenue = std::make_shared<std::vector<document>>();
  std::shared_ptr<std::vector<document>> dlq = std::make_shared<std::vector<document>>();
  std::shared_ptr<std::vector<document>> stages = std::make_shared<std::vector<document>>();

  void add_to(reel::connection_registry& registry) const {
    registry.add_sink("atlas",
                      [*this](const nlohmann::ordered_json& stage) -> std::unique_ptr<reel::sink> {
                        stages->push_back(stage);
                        const bool is_dlq = !stage.contains("into");
                        auto target = is_dlq ? dlq : revenue;
                        return std::make_unique<reel::callback_sink>(
                            [target](const nlohmann::ordered_json& d) { target->push_back(d); });
                      });
  }
};

document ticket(const char* movie, double paid, const char* when) {
  document d = {{"movie", movie}, {"purchaseTime", when}};
  if (paid == static_cast<double>(static_cast<std::int64_t>(paid))) {
    d["amountPaid"] = static_cast<std::int64_t>(paid);
  } else {
    d["amountPaid"] = paid;
  }
  return d;
}

document date(const char* iso) {
  return reel::json::make_date(reel::parse_iso8601(iso).value());
}

std::vector<document> without_dlq_time(std::vector<document> records) {
  for (auto& r : records) {
    CHECK(reel::json::as_date(r.at("dlqTime")).has_value());
    r.erase("dlqTime");
  }
  return records;
}

constexpr const char* tumbling_text = R"js([
  { $source: { connectionName: 'tickets',
               timeField: { $dateFromString: { dateString: '$purchaseTime' } } } },
  { $tumblingWindow: {
      interval: { size: 30, unit: 'second' },
      allowedLateness: { size: 1, unit: 'minute' },
      pipeline: [
        { $group: { _id: '$movie', total: { $sum: '$amountPaid' } } }
      ]
  } },
  { $merge: { into: { connectionName: 'atlas', db: 'cinema', coll: 'revenue' } } }
])js";

}  // namespace

TEST_CASE("talk: ticket revenue per movie in 30-second tumbling windows, late tickets in the DLQ",
          "[json][processor][talk]") {
  // Windows [20:00:00, 20:00:30), [20:00:30, 20:01:00), ...; a window closes when the watermark
  // (the latest purchase time seen) reaches its end + 1 minute.
  const std::vector<document> tickets = {
      ticket("Dune", 12.5, "2024-06-01T20:00:05Z"),       // [00, 30)
      ticket("Oppenheimer", 15, "2024-06-01T20:00:12Z"),  // [00, 30)
      ticket("Dune", 12.5, "2024-06-01T20:00:29.999Z"),   // [00, 30)
      ticket("Barbie", 10, "2024-06-01T20:00:31Z"),       // [30, 60)
      ticket("Dune", 12.5, "2024-06-01T20:00:20Z"),       // out of order, within lateness
      ticket("Barbie", 10, "2024-06-01T20:01:00Z"),       // [60, 90)
      ticket("Oppenheimer", 15, "2024-06-01T20:01:29Z"),  // [60, 90); watermark 20:01:29
      ticket("Dune", 12.5, "2024-06-01T20:01:31Z"),       // [90, 120); closes [00, 30)
      ticket("Barbie", 10, "2024-06-01T20:00:10Z"),       // [00, 30) has closed: late
      ticket("Barbie", 10, "2024-06-01T20:00:45Z"),       // [30, 60) closes at 20:02:00: counts
  };
  auto window = [](const char* start, const char* end) {
    return document{{"source", {{"type", "memory"}}},
                    {"window", {{"start", date(start)}, {"end", date(end)}}}};
  };
  const std::vector<document> expected = {
      {{"_id", "Dune"},
       {"total", 37.5},
       {"_stream_meta", window("2024-06-01T20:00:00Z", "2024-06-01T20:00:30Z")}},
      {{"_id", "Oppenheimer"},
       {"total", 15},
       {"_stream_meta", window("2024-06-01T20:00:00Z", "2024-06-01T20:00:30Z")}},
      {{"_id", "Barbie"},
       {"total", 20},
       {"_stream_meta", window("2024-06-01T20:00:30Z", "2024-06-01T20:01:00Z")}},
      {{"_id", "Barbie"},
       {"total", 10},
       {"_stream_meta", window("2024-06-01T20:01:00Z", "2024-06-01T20:01:30Z")}},
      {{"_id", "Oppenheimer"},
       {"total", 15},
       {"_stream_meta", window("2024-06-01T20:01:00Z", "2024-06-01T20:01:30Z")}},
      {{"_id", "Dune"},
       {"total", 12.5},
       {"_stream_meta", window("2024-06-01T20:01:30Z", "2024-06-01T20:02:00Z")}},
  };
  document late_doc = tickets[8];
  late_doc["_ts"] = date("2024-06-01T20:00:10Z");
  const document expected_dlq = {
      {"processorName", "movieRevenue"},
      {"operatorName", "TumblingWindowOperator"},
      {"errInfo", {{"reason", "Input document arrived late."}}},
      {"doc", late_doc},
      {"_stream_meta", {{"source", {{"type", "memory"}, {"position", 8}}}}},
      {"missedWindowStartTimes", document::array({date("2024-06-01T20:00:00Z")})}};

  reel::connection_registry registry;
  registry.add_source("tickets", [&](const nlohmann::ordered_json&) {
    return std::make_unique<reel::memory_source>(tickets);
  });
  atlas_connection atlas;
  atlas.add_to(registry);

  const document pipeline = reel::json::parse_pipeline_text(tumbling_text, "revenue.js");
  reel::json::stream_processor_options options;
  options.name = "movieRevenue";
  options.dlq = document::parse(R"({"connectionName": "atlas", "db": "cinema", "coll": "dlq"})");
  reel::json::stream_processor sp(pipeline, registry, options);

  SECTION("process() reads the source to its end") {
    CHECK(sp.process() == expected.size());
    CHECK(*atlas.revenue == expected);
    REQUIRE(atlas.dlq->size() == 1);
    CHECK(without_dlq_time(*atlas.dlq)[0] == expected_dlq);
    // The sink and the DLQ were built from their own definitions.
    REQUIRE(atlas.stages->size() == 2);
    CHECK((*atlas.stages)[0]["into"]["coll"] == "revenue");
    CHECK((*atlas.stages)[1] == *options.dlq);
    const document stats = sp.stats();
    CHECK(stats["inputMessageCount"] == 10);
    CHECK(stats["outputMessageCount"] == 6);
    CHECK(stats["dlqMessageCount"] == 1);
    CHECK(stats["lateMessageCount"] == 1);
    CHECK(stats["sourcePositions"] == 10);
  }
  SECTION("the first window closes exactly when the watermark reaches 20:01:30") {
    CHECK(sp.process(2) == 2);  // stops once [20:00:00, 20:00:30) is out
    CHECK(atlas.revenue->size() == 2);
    CHECK(sp.stats()["watermark"] == date("2024-06-01T20:01:31Z"));
    CHECK(sp.stats()["inputMessageCount"] == 8);
  }
  SECTION("the same pipeline written as JSON gives the same result") {
    const document as_json = document::parse(R"([
      {"$source": {"connectionName": "tickets", "timeField": {"$dateFromString": {"dateString": "$purchaseTime"}}}},
      {"$tumblingWindow": {"interval": {"size": 30, "unit": "second"}, "allowedLateness": {"size": 1, "unit": "minute"},
        "pipeline": [{"$group": {"_id": "$movie", "total": {"$sum": "$amountPaid"}}}]}},
      {"$merge": {"into": {"connectionName": "atlas", "db": "cinema", "coll": "revenue"}}}])");
    CHECK(as_json == pipeline);
  }
}

TEST_CASE("talk: tickets sold in 20-minute hopping windows every 10 minutes",
          "[json][processor][talk]") {
  const document pipeline = reel::json::parse_pipeline_text(R"js([
    { $source: { timeField: { $dateFromString: { dateString: '$purchaseTime' } } } },
    { $hoppingWindow: {
        interval: { size: 20, unit: 'minute' },
        hopSize: { size: 10, unit: 'minute' },
        allowedLateness: { size: 1, unit: 'minute' },
        pipeline: [
          { $group: { _id: { $meta: 'stream.window.start' }, tickets: { $sum: '$ticketCount' } } }
        ]
    } },
    { $merge: { into: { connectionName: 'atlas', db: 'cinema', coll: 'tickets' } } }
  ])js");
  reel::connection_registry registry;
  atlas_connection atlas;
  atlas.add_to(registry);
  reel::json::stream_processor_options options;
  options.name = "ticketCounts";
  options.stream_meta = false;
  options.dlq = document::parse(R"({"connectionName": "atlas", "db": "cinema", "coll": "dlq"})");
  reel::json::stream_processor sp(pipeline, registry, options);

  auto sale = [](int count, const char* when) {
    return document{{"ticketCount", count}, {"purchaseTime", when}};
  };
  // Windows start every 10 minutes and last 20: an event at 19:55 is in [19:40, 20:00) and
  // [19:50, 20:10).
  sp.push(sale(3, "2024-06-01T19:55:00Z"));  // [19:40, 20:00) [19:50, 20:10)
  sp.push(sale(2, "2024-06-01T20:05:00Z"));  // [19:50, 20:10) [20:00, 20:20); closes up to 20:04
  CHECK(atlas.revenue->size() == 1);
  sp.push(sale(4, "2024-06-01T20:12:00Z"));  // [20:00, 20:20) [20:10, 20:30); closes up to 20:11
  CHECK(atlas.revenue->size() == 2);
  sp.push(sale(1, "2024-06-01T20:31:00Z"));  // [20:20, 20:40) [20:30, 20:50); closes up to 20:30
  REQUIRE(atlas.revenue->size() == 4);
  sp.push(sale(5, "2024-06-01T20:08:00Z"));  // both of its windows have closed: late
  sp.push(sale(2, "2024-06-01T20:25:00Z"));  // misses [20:10, 20:30), counts in [20:20, 20:40)
  sp.flush();
  const std::vector<document> expected = {
      {{"_id", date("2024-06-01T19:40:00Z")}, {"tickets", 3}},
      {{"_id", date("2024-06-01T19:50:00Z")}, {"tickets", 5}},
      {{"_id", date("2024-06-01T20:00:00Z")}, {"tickets", 6}},
      {{"_id", date("2024-06-01T20:10:00Z")}, {"tickets", 4}},
      {{"_id", date("2024-06-01T20:20:00Z")}, {"tickets", 3}},
      {{"_id", date("2024-06-01T20:30:00Z")}, {"tickets", 1}},
  };
  CHECK(*atlas.revenue == expected);
  const std::vector<document> dlq = without_dlq_time(*atlas.dlq);
  REQUIRE(dlq.size() == 2);
  CHECK(dlq[0]["processorName"] == "ticketCounts");
  CHECK(dlq[0]["operatorName"] == "HoppingWindowOperator");
  CHECK(dlq[0]["errInfo"]["reason"] == "Input document arrived late.");
  CHECK(dlq[0]["doc"]["ticketCount"] == 5);
  CHECK(dlq[0]["missedWindowStartTimes"] ==
        document::array({date("2024-06-01T19:50:00Z"), date("2024-06-01T20:00:00Z")}));
  CHECK(dlq[1]["doc"]["ticketCount"] == 2);
  CHECK(dlq[1]["missedWindowStartTimes"] == document::array({date("2024-06-01T20:10:00Z")}));
  const document stats = sp.stats();
  CHECK(stats["lateMessageCount"] == 1);  // the partially late sale is not "late"
  CHECK(stats["dlqMessageCount"] == 2);
  CHECK(stats["outputMessageCount"] == 6);
}
