// SPDX-License-Identifier: Apache-2.0
// Tumbling and hopping windows against the brute-force reference model
// (tests/support/reference_model.hpp) on thousands of random streams: out-of-order events,
// stragglers, up to three partitions (one possibly lagging), random offsets (negative too) and
// allowed lateness (0 included). Outputs are compared in full: window bounds, keys, sum, count,
// min, max, first, last, push, the op after which each result came out, the dead letters with
// their missed window starts, and the counters.
#include <catch2/catch.hpp>

#include <random>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;

namespace {

void check_against_model(const scenario_options& options, std::uint64_t seed, int trials) {
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    const scenario sc = random_scenario(rng, options);
    INFO("seed " << seed << " trial " << trial << "\n" << sc.describe());
    const outcome expected = run_model(sc);
    const outcome actual = run_engine(sc);
    REQUIRE(diff(expected, actual) == "");
  }
}

}  // namespace

TEST_CASE("model: the reference model itself on a hand-computed stream", "[window][model]") {
  // Tumbling 10 ms, lateness 5 ms, one partition.
  scenario sc;
  sc.spec = {.kind = window_kind::tumbling, .interval = 10, .hop = 10, .lateness = 5};
  const std::int64_t times[] = {1, 12, 9, 15, 3, 25, 14};
  for (std::size_t i = 0; i < std::size(times); ++i) {
    sc.events.push_back({static_cast<std::int64_t>(i), 0, static_cast<std::int64_t>(i + 1), 0,
                         reel::from_millis(times[i])});
    sc.ops.push_back({stream_op::push, i, 0, 0});
  }
  const outcome m = run_model(sc);
  // 1, 12, 9 (wm 12, bound 7 < 10), 15: bound 10 closes [0,10) = {1, 9} after op 3; 3 is late
  // (missed [0]); 25: bound 20 closes [10,20) = {12, 15} after op 5; 14 is late (missed [10]);
  // the flush emits [20,30) = {25}.
  REQUIRE(m.rows.size() == 3);
  CHECK(m.rows[0] == out_row{3, 0, 10, std::nullopt, 0, {1 + 3, 2, 1, 3, 1, 3, {1, 3}}});
  CHECK(m.rows[1] == out_row{5, 10, 20, std::nullopt, 0, {2 + 4, 2, 2, 4, 2, 4, {2, 4}}});
  CHECK(m.rows[2] == out_row{7, 20, 30, std::nullopt, 0, {6, 1, 6, 6, 6, 6, {6}}});
  REQUIRE(m.dead.size() == 2);
  CHECK(m.dead[0] == dead_row{4, 4, 3, 0, {0}});
  CHECK(m.dead[1] == dead_row{6, 6, 14, 0, {10}});
  CHECK(m.late == 2);
  CHECK(diff(m, run_engine(sc)) == "");
}

TEST_CASE("model: tumbling windows match the reference model", "[window][model][tumbling]") {
  check_against_model({.kind = window_kind::tumbling}, 0x7ab1e, 1500);
}

TEST_CASE("model: tumbling windows, one partition, long streams", "[window][model][tumbling]") {
  check_against_model({.kind = window_kind::tumbling, .max_partitions = 1, .max_events = 150},
                      0x7ab1e2, 400);
}

TEST_CASE("model: hopping windows with hop == interval", "[window][model][hopping]") {
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::equal}, 0x40b1, 600);
}

TEST_CASE("model: hopping windows with interval == 3 * hop", "[window][model][hopping]") {
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::third}, 0x40b3, 1000);
}

TEST_CASE("model: hopping windows with hop > interval (gaps)", "[window][model][hopping]") {
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::gaps}, 0x40b9, 1000);
}

TEST_CASE("model: hopping windows with any hop < interval", "[window][model][hopping]") {
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::overlap}, 0x40b7, 1000);
}

TEST_CASE("model: tumbling windows with idleTimeout and partitionIdleTimeout",
          "[window][model][tumbling][idle]") {
  check_against_model({.kind = window_kind::tumbling, .idle = true}, 0x1d1e1, 1200);
}

TEST_CASE("model: hopping windows with idleTimeout and partitionIdleTimeout",
          "[window][model][hopping][idle]") {
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::third, .idle = true},
                      0x1d1e2, 600);
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::gaps, .idle = true},
                      0x1d1e3, 400);
  check_against_model({.kind = window_kind::hopping, .shape = hop_shape::overlap, .idle = true},
                      0x1d1e4, 500);
}
