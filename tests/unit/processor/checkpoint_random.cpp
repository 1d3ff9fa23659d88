// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, checkpoints: at random points of random streams, checkpoint(), build a fresh
// processor with the same pipeline, restore(), feed the rest. The output (results with the op
// after which each came out, dead letters with missed window starts, counters) and the final
// stats must be identical to the uninterrupted run, and the restored processor's stats must
// equal the original's at the checkpoint. Thousands of trials over the three window kinds, with
// first/last/push accumulators, up to three partitions, idleTimeout, partitionIdleTimeout and
// advance() calls on a manual clock.
#include <catch2/catch.hpp>

#include <random>

#include "support/engine_runner.hpp"

using namespace reel_test;

namespace {

void check_checkpoints(scenario_options options, std::uint64_t seed, int trials) {
  options.idle = true;
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    const scenario sc = random_scenario(rng, options);
    reel::processor_stats whole_stats, resumed_stats;
    const outcome whole = run_engine(sc, {.final_stats = &whole_stats});
    // One checkpoint most of the time; sometimes a chain of them.
    std::vector<std::size_t> cuts;
    const std::size_t n = sc.ops.size();
    const int count = std::bernoulli_distribution(0.2)(rng) ? 3 : 1;
    for (int i = 0; i < count; ++i)
      cuts.push_back(std::uniform_int_distribution<std::size_t>(0, n)(rng));
    std::sort(cuts.begin(), cuts.end());
    std::string mismatch;
    const outcome resumed = run_engine(
        sc,
        {.checkpoints_after = cuts, .restore_mismatch = &mismatch, .final_stats = &resumed_stats});
    INFO("seed " << seed << " trial " << trial << " checkpoint after op " << cuts.front()
                 << (cuts.size() > 1 ? " (and more)" : "") << "\n"
                 << sc.describe());
    REQUIRE(mismatch == "");
    REQUIRE(diff(whole, resumed) == "");
    REQUIRE(stats_diff(whole_stats, resumed_stats) == "");
  }
}

}  // namespace

TEST_CASE("checkpoint: tumbling windows restore exactly", "[processor][checkpoint][tumbling]") {
  check_checkpoints({.kind = window_kind::tumbling}, 0xc0ffee01, 1200);
}

TEST_CASE("checkpoint: hopping windows restore exactly", "[processor][checkpoint][hopping]") {
  check_checkpoints({.kind = window_kind::hopping, .shape = hop_shape::third}, 0xc0ffee02, 500);
  check_checkpoints({.kind = window_kind::hopping, .shape = hop_shape::gaps}, 0xc0ffee03, 400);
  check_checkpoints({.kind = window_kind::hopping, .shape = hop_shape::overlap}, 0xc0ffee04, 500);
}

TEST_CASE("checkpoint: session windows restore exactly", "[processor][checkpoint][session]") {
  check_checkpoints({.kind = window_kind::session}, 0xc0ffee05, 1500);
}
