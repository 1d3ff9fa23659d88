// SPDX-License-Identifier: Apache-2.0
// Atlas's verbose stats (`stats(true)`): `operatorStats` per operator and the `latency`
// percentiles, and the log-bucket histogram behind them.
#include <chrono>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include <reel/detail/latency_histogram.hpp>
#include <reel/json.hpp>

namespace {

using reel::json::document;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("latency histogram: percentiles within an eighth of the value, max exact",
          "[json_processor][stats]") {
  reel::detail::latency_histogram h;
  CHECK(h.quantile_micros(0.5) == 0);
  for (int us = 1; us <= 1000; ++us)
    h.record(std::chrono::microseconds(us));
  CHECK(h.count() == 1000);
  CHECK(h.sum_micros() == 500500);
  CHECK(h.max_micros() == 1000);
  for (const auto& [q, exact] :
       {std::pair{0.5, 500.0}, std::pair{0.9, 900.0}, std::pair{0.99, 990.0}}) {
    INFO(q);
    const auto v = static_cast<double>(h.quantile_micros(q));
    CHECK(v >= exact);
    CHECK(v <= exact * 1.125);
  }
  CHECK(h.quantile_micros(1.0) == 1000);
  // A weight counts the value that many times; bucket bounds are consistent.
  reel::detail::latency_histogram w;
  w.record(std::chrono::microseconds(10), 99);
  w.record(std::chrono::seconds(2), 1);
  CHECK(w.count() == 100);
  CHECK(w.quantile_micros(0.99) <= 11);
  CHECK(w.quantile_micros(1.0) == 2'000'000);
  for (std::uint64_t us : {0u, 7u, 8u, 9u, 15u, 16u, 1000u, 123456789u}) {
    INFO(us);
    const std::size_t b = reel::detail::latency_histogram::bucket_of(us);
    CHECK(reel::detail::latency_histogram::upper_bound_of(b) >= us);
    if (b > 0) CHECK(reel::detail::latency_histogram::upper_bound_of(b - 1) < us);
  }
}

TEST_CASE("verbose stats: operatorStats count each operator's input, output and DLQ records",
          "[json_processor][stats]") {
  auto out = std::make_shared<reel::memory_sink>();
  reel::connection_registry connections;
  connections.add_sink("out", [out](const document&) -> std::unique_ptr<reel::sink> {
    struct forward final : reel::sink {
      std::shared_ptr<reel::memory_sink> to;
      void write(std::span<const document> docs, reel::write_result& r) override {
        to->write(docs, r);
      }
    };
    auto s = std::make_unique<forward>();
    s->to = out;
    return s;
  });
  // Six documents: one without a date (the source's DLQ), one filtered by $match, one of v 3
  // that the window's own $project fails on (DLQ), three grouped in one window.
  reel::json::stream_processor sp(reel::json::parse_pipeline_text(R"([
    {$source: {documents: [
       {ts: '2024-01-01T00:00:01Z', v: 1}, {ts: 'nonsense', v: 1}, {ts: '2024-01-01T00:00:02Z', v: 0},
       {ts: '2024-01-01T00:00:03Z', v: 1}, {ts: '2024-01-01T00:00:04Z', v: 3},
       {ts: '2024-01-01T00:00:05Z', v: 1}],
      timeField: {$dateFromString: {dateString: '$ts'}}}},
    {$match: {v: {$gt: 0}}},
    {$tumblingWindow: {interval: {size: 10, unit: 'second'}, pipeline: [
       {$project: {v: 1, r: {$cond: [{$eq: ['$v', 3]}, {$divide: [1, {$subtract: ['$v', 3]}]}, 1]}}},
       {$group: {_id: null, n: {$sum: 1}}}]}},
    {$emit: {connectionName: 'out'}}
  ])"),
                                  connections, {.name = "ops"});
  sp.process();
  REQUIRE(out->documents().size() == 1);
  CHECK(out->documents()[0]["n"] == 3);

  const document brief = sp.stats();
  CHECK_FALSE(brief.contains("operatorStats"));
  CHECK_FALSE(brief.contains("latency"));

  const document s = sp.stats(true);
  const document& ops = s["operatorStats"];
  REQUIRE(ops.size() == 5);
  struct expected {
    const char* name;
    int input, output, dlq;
  };
  const expected want[] = {{"SourceOperator", 6, 5, 1},
                           {"MatchOperator", 5, 4, 0},
                           {"ProjectOperator", 4, 3, 1},
                           {"TumblingWindowOperator", 3, 1, 0},
                           {"EmitOperator", 1, 1, 0}};
  for (std::size_t i = 0; i < 5; ++i) {
    INFO(i);
    CHECK(ops[i]["name"] == want[i].name);
    CHECK(ops[i]["inputMessageCount"] == want[i].input);
    CHECK(ops[i]["outputMessageCount"] == want[i].output);
    CHECK(ops[i]["dlqMessageCount"] == want[i].dlq);
    CHECK(ops[i]["executionTimeMillis"].get<double>() >= 0.0);
  }
  CHECK(ops[3]["maxMemoryUsage"].get<std::uint64_t>() > 0);
  CHECK(ops[3]["stateSize"] == 0);  // the window closed at the end of the input
  CHECK(s["dlqMessageCount"] == 2);

  // The one output was measured, from the read of its batch to its sink write.
  const document& latency = s["latency"];
  CHECK(latency["unit"] == "microseconds");
  CHECK(latency["count"] == 1);
  CHECK(latency["p50"] == latency["max"]);
  CHECK(latency["p99"] == latency["max"]);
  CHECK(latency["sum"] == latency["max"]);
}
