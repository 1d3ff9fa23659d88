// SPDX-License-Identifier: Apache-2.0
// Session windows against the brute-force reference model on thousands of random streams:
// several partition keys, out-of-order events that bridge and merge sessions, stragglers,
// several source partitions, random gaps and allowed lateness.
#include <catch2/catch.hpp>

#include <random>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;

TEST_CASE("model: session windows match the reference model", "[window][model][session]") {
  std::mt19937_64 rng(0x5e55);
  for (int trial = 0; trial < 2000; ++trial) {
    const scenario sc = random_scenario(rng, {.kind = window_kind::session});
    INFO("trial " << trial << "\n" << sc.describe());
    REQUIRE(diff(run_model(sc), run_engine(sc)) == "");
  }
}

TEST_CASE("model: session windows, one partition, long streams", "[window][model][session]") {
  std::mt19937_64 rng(0x5e56);
  for (int trial = 0; trial < 400; ++trial) {
    const scenario sc = random_scenario(
        rng, {.kind = window_kind::session, .max_partitions = 1, .max_events = 150});
    INFO("trial " << trial << "\n" << sc.describe());
    REQUIRE(diff(run_model(sc), run_engine(sc)) == "");
  }
}

TEST_CASE("model: session windows with idleTimeout and partitionIdleTimeout",
          "[window][model][session][idle]") {
  std::mt19937_64 rng(0x5e57);
  for (int trial = 0; trial < 1500; ++trial) {
    const scenario sc = random_scenario(rng, {.kind = window_kind::session, .idle = true});
    INFO("trial " << trial << "\n" << sc.describe());
    REQUIRE(diff(run_model(sc), run_engine(sc)) == "");
  }
}
