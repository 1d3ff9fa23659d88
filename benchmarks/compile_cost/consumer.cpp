// SPDX-License-Identifier: Apache-2.0
// What an embedding application writes to run a JSON pipeline (the README's "A JSON pipeline"):
// compile a pipeline with $source, $validate, a $tumblingWindow with $group and $emit, connect it,
// push documents, flush, read the stats. measure.sh compiles this file at -O2 and prints the CPU
// time and peak memory of that one translation unit (issue #12: ≤ 10 s and ≤ 500 MB).
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include <reel/json.hpp>

int main() {
  auto pipeline = reel::json::parse_pipeline_text(R"([
    { $source: { connectionName: 'tickets', timeField: { $dateFromString: { dateString: '$ts' } } } },
    { $validate: { validator: { $jsonSchema: { required: ['movie', 'amountPaid', 'ts'],
        properties: { amountPaid: { bsonType: 'double', minimum: 0 } } } },
        validationAction: 'dlq' } },
    { $tumblingWindow: { interval: { size: 30, unit: 'second' }, allowedLateness: { size: 1, unit: 'minute' },
        pipeline: [ { $group: { _id: '$movie', total: { $sum: '$amountPaid' }, tickets: { $count: {} } } } ] } },
    { $emit: { connectionName: 'out' } }
  ])");
  std::vector<reel::json::document> tickets = {
      {{"movie", "Dune"}, {"amountPaid", 12.5}, {"ts", "2024-06-01T20:00:03Z"}},
      {{"movie", "Dune"}, {"amountPaid", 9.0}, {"ts", "2024-06-01T20:00:17Z"}},
      {{"movie", "Heat"}, {"amountPaid", 7.5}, {"ts", "2024-06-01T20:00:31Z"}}};
  std::vector<reel::json::document> results;
  reel::connection_registry connections;  // "tickets" → a source, "out" → a sink
  connections.add_source("tickets", [](const auto&) {
    return std::make_unique<reel::memory_source>(std::vector<reel::json::document>{});
  });
  connections.add_sink("out", [&results](const auto&) {
    return std::make_unique<reel::callback_sink>(
        [&results](const reel::json::document& d) { results.push_back(d); });
  });
  reel::json::stream_processor processor(pipeline, connections, {.name = "movies"});
  processor.on_dead_letter(
      [](const reel::json::document& d) { std::printf("dlq %s\n", d.dump().c_str()); });
  for (auto& t : tickets)
    processor.push(std::move(t));
  processor.flush();
  std::printf("%s\n%s\n", processor.stats().dump().c_str(), results.size() == 2 ? "ok" : "?");
  return 0;
}
