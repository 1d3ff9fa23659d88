// SPDX-License-Identifier: Apache-2.0
// The typed processor with a directory checkpoint store: an application that saves its input
// position and committed output length with every checkpoint gets exactly-once output when the
// processor is dropped at random points and resumed.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <reel/checkpoint/directory_store.hpp>

#include "support/events.hpp"
#include "unit/connector/temp_dir.hpp"

namespace typed_durable_test {

using namespace std::chrono_literals;
using reel_test::trade;

std::vector<trade> trades(std::size_t n) {
  std::mt19937_64 rng(17);
  std::vector<trade> out;
  const char* symbols[] = {"A", "B", "C", "D"};
  std::int64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += std::uniform_int_distribution<std::int64_t>(0, 300)(rng);
    out.push_back(
        {symbols[std::uniform_int_distribution<int>(0, 3)(rng)],
         std::uniform_int_distribution<int>(1, 4000)(rng) / 16.0,
         std::uniform_int_distribution<std::int64_t>(1, 50)(rng),
         reel::from_millis(t - std::uniform_int_distribution<std::int64_t>(0, 1500)(rng))});
  }
  return out;
}

/// What the application's sink received, one line per window result.
using output = std::vector<std::string>;

auto make(output& out, reel::processor_options options) {
  auto pipeline =
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::tumbling_window(
          {.interval = 2s, .allowed_lateness = 1s},
          reel::group(&trade::symbol, reel::sum(&trade::qty), reel::avg(&trade::price))) |
      reel::emit([&out](const auto& w) {
        const auto& [qty, avg] = w.values;
        out.push_back(fmt::format("{} {} {} {}", reel::to_millis(w.start), w.key, qty, avg));
      });
  return reel::make_processor(std::move(pipeline), options);
}

TEST_CASE("typed processor: dropped at random points and resumed, every result once",
          "[processor][checkpoint][durable]") {
  const std::vector<trade> events = trades(2000);
  output expected;
  {
    auto p = make(expected, {});
    for (const trade& e : events)
      p.push(e);
    p.flush();
  }
  REQUIRE(expected.size() > 100);

  std::mt19937 rng(23);
  for (int round = 0; round < 5; ++round) {
    connector_test::temp_dir dir;
    reel::directory_store store(dir.path(), {.keep_last = 2, .sync = false});
    reel::manual_clock clock;
    reel::processor_options options{.clock = &clock};
    options.checkpoint = {.store = &store, .interval = 50ms};
    output out;
    int starts = 0, resumes = 0;
    while (true) {
      auto p = make(out, options);
      ++starts;
      std::size_t next = 0;
      if (auto app = p.resume()) {
        ++resumes;
        next = app->at("next").get<std::size_t>();
        out.resize(app->at("output").get<std::size_t>());  // drop uncommitted output
      } else {
        out.clear();
      }
      // Push in batches, checkpointing between them, until a random crash or the end.
      const std::size_t crash_after =
          next + std::uniform_int_distribution<std::size_t>(0, 400)(rng);
      bool crashed = false;
      while (next < events.size()) {
        const std::size_t batch = std::min<std::size_t>(1 + rng() % 30, events.size() - next);
        if (next + batch > crash_after) {
          crashed = true;
          for (std::size_t i = next; i < crash_after; ++i)  // part of a batch, never committed
            p.push(events[i]);
          break;
        }
        for (std::size_t i = next; i < next + batch; ++i)
          p.push(events[i]);
        next += batch;
        clock.advance(10ms);
        p.maybe_checkpoint({{"next", next}, {"output", out.size()}});
      }
      if (crashed) continue;  // the processor is dropped without a checkpoint
      p.flush();
      p.save_checkpoint({{"next", next}, {"output", out.size()}});
      break;
    }
    INFO("round " << round << ": " << starts << " starts");
    CHECK(resumes > 0);
    REQUIRE(out == expected);
  }
}

TEST_CASE("typed processor: a checkpoint of another pipeline is refused",
          "[processor][checkpoint][durable]") {
  connector_test::temp_dir dir;
  reel::directory_store store(dir.path(), {.sync = false});
  output out;
  reel::processor_options options;
  options.checkpoint = {.store = &store, .fingerprint = "tickets v1"};
  {
    auto p = make(out, options);
    REQUIRE_FALSE(p.resume());
    p.push(trades(1)[0]);
    p.save_checkpoint({{"next", 1}});
  }
  options.checkpoint.fingerprint = "tickets v2";
  auto p = make(out, options);
  REQUIRE_THROWS_WITH(p.resume(), "[reel.checkpoint.other_pipeline] at " + store.location() +
                                      ": checkpoint 1 was taken by another pipeline (fingerprint "
                                      "'tickets v1', this pipeline 'tickets v2'); start fresh to "
                                      "discard it");
  options.checkpoint.fresh = true;
  auto fresh = make(out, options);
  CHECK_FALSE(fresh.resume());
  fresh.save_checkpoint();
  CHECK(store.list().back() == 2);
}

}  // namespace typed_durable_test
