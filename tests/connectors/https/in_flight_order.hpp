// SPDX-License-Identifier: Apache-2.0
// A pipeline run, and the order check both remote-call stages of reel::https take (`$https`,
// `$externalFunction` on Lambda; issue #14): 300 tickets with jittered event times and three late
// ones, each priced by a service that answers after 0–6 ms (`delayMs`), so answers come back out of
// order. With 64 calls in flight, a window's results and DLQ records must equal those of the same
// pipeline with the price computed in it (`computed`), and without a window the documents keep
// input order.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace reel::test {

/// What a pipeline run gave.
struct run_result {
  std::vector<reel::json::document> outputs, dead_letters;
  reel::json::document stats;
};

/// Runs `stages` after a `$source` reading the connection "in" (with `source_options` added) to
/// the end of its input.
inline run_result run_pipeline(const reel::connection_registry& connections,
                               const reel::json::document& stages,
                               const reel::json::document& source_options) {
  using reel::json::document;
  document pipeline = document::array();
  document source = {{"connectionName", "in"}};
  for (const auto& [k, v] : source_options.items())
    source[k] = v;
  pipeline.push_back({{"$source", source}});
  for (const document& s : stages)
    pipeline.push_back(s);
  reel::json::stream_processor sp(pipeline, connections, {.name = "t", .stream_meta = false});
  run_result r;
  sp.on_output([&](const document& d) { r.outputs.push_back(d); });
  sp.on_dead_letter([&](const document& d) { r.dead_letters.push_back(d); });
  (void)sp.process();
  r.stats = sp.stats();
  return r;
}

struct in_flight_case {
  std::vector<reel::json::document> input;
  /// A 10-second tumbling window summing `price.amount` per movie, 2 s of allowed lateness.
  reel::json::document window = reel::json::document::parse(R"({"$tumblingWindow": {
      "interval": {"size": 10, "unit": "second"}, "allowedLateness": {"size": 2, "unit": "second"},
      "pipeline": [{"$group": {"_id": "$movie", "total": {"$sum": "$price.amount"},
                               "items": {"$push": "$i"}}}, {"$sort": {"_id": 1}}]}})");
  /// The `$source` options that read the event time from `ts`.
  reel::json::document source = reel::json::document::parse(R"({"timeField": {"$toDate": "$ts"}})");
  /// The synchronous reference: the price the services answer, computed in the pipeline.
  reel::json::document computed = reel::json::document::parse(
      R"({"$set": {"price": {"movie": "$movie", "amount": {"$multiply": ["$seats", 3]}}}})");
};

/// The tickets (`i`, `movie`, `seats`, `delayMs`, `ts` in milliseconds) from `seed`.
inline in_flight_case in_flight_tickets(unsigned seed) {
  in_flight_case c;
  std::mt19937 random(seed);
  const char* movies[] = {"Dune", "Up", "Heat"};
  for (int i = 0; i < 300; ++i) {
    std::int64_t ms = 1'700'000'000'000 + i * 250;
    if (random() % 5 == 0) ms -= static_cast<std::int64_t>(random() % 1500);
    if (i % 97 == 96) ms -= 20'000;  // late
    c.input.push_back({{"i", i},
                       {"movie", movies[random() % 3]},
                       {"seats", static_cast<int>(random() % 4) + 1},
                       {"delayMs", static_cast<int>(random() % 7)},
                       {"ts", ms}});
  }
  return c;
}

/// The windows and DLQ records of the run with calls equal the synchronous reference's.
inline void check_same_windows(const run_result& called, const run_result& reference) {
  REQUIRE(reference.outputs.size() > 20);
  CHECK(called.outputs == reference.outputs);
  auto without_times = [](std::vector<reel::json::document> records) {
    for (reel::json::document& d : records)
      d.erase("dlqTime");
    return records;
  };
  CHECK(without_times(called.dead_letters) == without_times(reference.dead_letters));
  CHECK(called.dead_letters.size() == 3);  // the late tickets
}

/// Without a window every ticket comes out, in input order, with the service's price.
inline void check_input_order(const run_result& ordered,
                              const std::vector<reel::json::document>& input) {
  REQUIRE(ordered.outputs.size() == input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    REQUIRE(ordered.outputs[i]["i"] == input[i]["i"]);
    REQUIRE(ordered.outputs[i]["price"]["amount"] == input[i]["seats"].get<int>() * 3);
  }
}

}  // namespace reel::test
