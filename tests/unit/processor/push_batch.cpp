// SPDX-License-Identifier: Apache-2.0
// `processor::push_batch` gives exactly what pushing the same events one by one gives: the same
// results in the same order, the same dead letters, counters, watermarks and per-partition
// statistics, on random streams with late events, several partitions and idleness.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;

namespace {

/// `sc` with the processing time of its pushes made equal over random runs of consecutive pushes
/// from one partition (a batch reads the clock once), keeping it non-decreasing.
scenario with_batches(scenario sc, std::mt19937_64& rng) {
  std::bernoulli_distribution new_batch(0.15);
  for (std::size_t i = 1; i < sc.ops.size(); ++i) {
    stream_op& op = sc.ops[i];
    const stream_op& prev = sc.ops[i - 1];
    if (op.what == stream_op::push && prev.what == stream_op::push &&
        op.partition == prev.partition && !new_batch(rng)) {
      op.now = prev.now;
    } else {
      op.now = std::max(op.now, prev.now);
    }
  }
  return sc;
}

void check_batches(const scenario_options& options, std::uint64_t seed, int trials) {
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    const scenario sc = with_batches(random_scenario(rng, options), rng);
    INFO("seed " << seed << " trial " << trial << "\n" << sc.describe());
    reel::processor_stats one_by_one_stats, batched_stats;
    std::string one_by_one_state, batched_state;  // open windows with their event counts too
    const outcome one_by_one =
        run_engine(sc, {.final_stats = &one_by_one_stats, .last_checkpoint = &one_by_one_state});
    const outcome batched = run_engine(
        sc, {.final_stats = &batched_stats, .last_checkpoint = &batched_state, .batches = true});
    REQUIRE(diff(run_model(sc), batched, false) == "");
    REQUIRE(diff(one_by_one, batched, false) == "");
    REQUIRE(stats_diff(one_by_one_stats, batched_stats) == "");
    REQUIRE(one_by_one_state == batched_state);
  }
}

}  // namespace

TEST_CASE("push_batch: tumbling windows give what one-by-one pushes give",
          "[processor][push_batch][tumbling]") {
  check_batches({.kind = window_kind::tumbling}, 0xba01, 1500);
  check_batches({.kind = window_kind::tumbling, .idle = true}, 0xba02, 500);
  check_batches({.kind = window_kind::tumbling, .max_partitions = 1, .max_events = 400}, 0xba03,
                300);
}

TEST_CASE("push_batch: hopping windows give what one-by-one pushes give",
          "[processor][push_batch][hopping]") {
  check_batches({.kind = window_kind::hopping, .shape = hop_shape::third}, 0xba04, 500);
  check_batches({.kind = window_kind::hopping, .shape = hop_shape::gaps, .idle = true}, 0xba05,
                500);
  check_batches({.kind = window_kind::hopping, .shape = hop_shape::overlap}, 0xba06, 500);
}

TEST_CASE("push_batch: session windows give what one-by-one pushes give",
          "[processor][push_batch][session]") {
  check_batches({.kind = window_kind::session, .idle = true}, 0xba07, 500);
}

TEST_CASE("push_batch: a pipeline whose window is not first pushes event by event",
          "[processor][push_batch]") {
  std::vector<std::int64_t> sums;
  auto proc = reel::make_processor(
      reel::from<rev>(reel::event_time(&rev::ts)) |
      reel::match([](const rev& e) { return e.value % 2 == 0; }) |
      reel::tumbling_window({.interval = reel::duration{10}, .allowed_lateness = reel::duration{0}},
                            reel::group_all(reel::sum(&rev::value))) |
      reel::emit([&](const auto& r) { sums.push_back(std::get<0>(r.values)); }));
  std::vector<rev> events;
  for (std::int64_t i = 0; i < 30; ++i)
    events.push_back(rev{.value = i, .ts = reel::from_millis(i)});
  proc.push_batch(events);
  proc.flush();
  CHECK(sums == std::vector<std::int64_t>{20, 70, 120});
  CHECK(proc.stats().counters.input == 30);
  CHECK(proc.stats().counters.filtered == 15);
}
