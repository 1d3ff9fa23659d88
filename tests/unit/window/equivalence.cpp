// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §1.3 and §6: the same input, reordered within the allowed lateness and pushed with
// advance() calls at different points, gives identical output.
//
// The shuffle rule. Let L be the allowed lateness. An order of the events is admissible when
// every event's time is >= (the largest event time pushed before it) - L. In such an order no
// event can be late or partially late: the processor watermark never exceeds the largest event
// time seen so far, so when an event at t arrives the close bound is <= t, below the end of every
// window containing t (and below t + gap for sessions, which also keeps every session an event
// could join open). Hence every event lands in exactly the windows (sessions) it belongs to, and
// the windows, their contents and their end-ordered output do not depend on the order. What may
// differ: the moment a result comes out (outputs are compared without the emission step) and,
// for a different order, the accumulators defined by arrival order (first, last, the order of
// push), which are compared only for the same order pushed with different advance() calls.
// Admissible orders are produced by sorting on t + j with j uniform in [0, L]: if f precedes e
// then t_f + j_f <= t_e + j_e, so t_e >= t_f - L.
//
// The advance() variants also set a small idleTimeout and partitionIdleTimeout with a clock far
// behind event time: partitions go idle and wake up (changing when the watermark moves), idle
// closes fire but find no window ending before processing time, so the output must not change.
#include <catch2/catch.hpp>

#include <random>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;

namespace {

/// `base` reordered by t + jitter, jitter uniform in [0, lateness].
scenario admissible_shuffle(const scenario& base, std::mt19937_64& rng) {
  const std::int64_t lateness = base.spec.lateness;
  std::vector<std::pair<std::int64_t, std::size_t>> keyed;  // (t + jitter, op index)
  for (std::size_t i = 0; i < base.ops.size(); ++i) {
    const std::int64_t t = reel::to_millis(base.events[base.ops[i].event].ts);
    keyed.emplace_back(t + std::uniform_int_distribution<std::int64_t>(0, lateness)(rng), i);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  scenario out = base;
  out.ops.clear();
  for (const auto& [key, i] : keyed)
    out.ops.push_back(base.ops[i]);
  return out;
}

/// Adds idle timeouts and advance() calls at random points; processing time starts a long way
/// before event time and moves by a few ms per op.
scenario with_advances(scenario sc, std::mt19937_64& rng) {
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  sc.spec.idle_timeout = uniform(1, 20);
  sc.spec.partition_idle_timeout = uniform(1, 20);
  std::vector<stream_op> ops;
  std::int64_t now = -1'000'000;
  for (const stream_op& op : sc.ops) {
    while (uniform(0, 3) == 0) {
      now += uniform(0, 30);
      ops.push_back({stream_op::advance, 0, 0, now});
    }
    now += uniform(0, 3);
    stream_op pushed = op;
    pushed.now = now;
    ops.push_back(pushed);
  }
  ops.push_back({stream_op::advance, 0, 0, now + 100});
  sc.ops = std::move(ops);
  return sc;
}

void check_equivalence(const scenario_options& options, std::uint64_t seed, int trials) {
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    scenario base = random_scenario(rng, options);
    base.spec.lateness = std::uniform_int_distribution<std::int64_t>(1, 60)(rng);
    const scenario a = admissible_shuffle(base, rng);
    const scenario b = admissible_shuffle(base, rng);
    const scenario b_advancing = with_advances(b, rng);
    const scenario a_advancing = with_advances(a, rng);

    INFO("seed " << seed << " trial " << trial << "\nA:\n"
                 << a.describe() << "\nB with advances:\n"
                 << b_advancing.describe());
    const outcome out_a = run_engine(a);
    REQUIRE(out_a.late + out_a.partially_late == 0);  // the shuffle rule holds
    REQUIRE(diff(run_model(a), out_a) == "");
    // Same order, advance() at other points: identical, first/last/push included.
    const outcome out_a_advancing = run_engine(a_advancing);
    REQUIRE(diff(run_model(a_advancing), out_a_advancing) == "");
    REQUIRE(diff(out_a, out_a_advancing, false) == "");
    // Another order: identical but for what depends on arrival order (first, last, push order).
    const outcome order_free = without_arrival_order(out_a);
    REQUIRE(diff(order_free, without_arrival_order(run_engine(b)), false) == "");
    REQUIRE(diff(order_free, without_arrival_order(run_engine(b_advancing)), false) == "");
  }
}

}  // namespace

TEST_CASE("equivalence: tumbling output is independent of admissible order and advance()",
          "[window][equivalence][tumbling]") {
  check_equivalence({.kind = window_kind::tumbling}, 0xe9a1, 400);
}

TEST_CASE("equivalence: hopping output is independent of admissible order and advance()",
          "[window][equivalence][hopping]") {
  check_equivalence({.kind = window_kind::hopping, .shape = hop_shape::third}, 0xe9a2, 150);
  check_equivalence({.kind = window_kind::hopping, .shape = hop_shape::gaps}, 0xe9a3, 150);
  check_equivalence({.kind = window_kind::hopping, .shape = hop_shape::overlap}, 0xe9a4, 150);
}

TEST_CASE("equivalence: session output is independent of admissible order and advance()",
          "[window][equivalence][session]") {
  check_equivalence({.kind = window_kind::session}, 0xe9a5, 600);
}
