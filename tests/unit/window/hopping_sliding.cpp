// SPDX-License-Identifier: Apache-2.0
// Hopping windows with many panes per window and fixed-size states (sum, count, min, max) are
// combined by sliding ("two stacks") instead of pane by pane. The model tests use `push`, whose
// state is not fixed-size, so they never take that path: these check it against the brute-force
// reference model on random streams (disorder, stragglers, partially late events, partitions,
// offsets, checkpoints), and, with idleness, which the model lacks, against the engine combining
// pane by pane.
#include <catch2/catch.hpp>

#include <optional>
#include <random>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;

namespace {

/// The scenario's hopping window with sum, count, min and max only; returns the rows (values
/// other than these four left at zero), the dead letters and the counters.
outcome run_sliding_engine(const scenario& sc, std::size_t checkpoint_after) {
  const window_spec& w = sc.spec;
  run_recorder rec;
  auto make = [&] {
    using reel::duration;
    return reel::from<rev>(reel::event_time(&rev::ts)) |
           reel::hopping_window(
               {.interval = duration{w.interval},
                .hop = duration{w.hop},
                .offset = duration{w.offset},
                .allowed_lateness = duration{w.lateness},
                .idle_timeout = w.idle_timeout ? std::optional<duration>(duration{*w.idle_timeout})
                                               : std::nullopt},
               reel::group(&rev::key, reel::sum(&rev::value), reel::count(), reel::min(&rev::value),
                           reel::max(&rev::value))) |
           reel::emit([&rec](const auto& r) {
             out_row row;
             row.step = rec.step;
             row.start = reel::to_millis(r.start);
             row.end = reel::to_millis(r.end);
             row.key = r.key;
             const auto& [sum, count, min, max] = r.values;
             row.v.sum = sum;
             row.v.count = count;
             row.v.min = min;
             row.v.max = max;
             rec.out.rows.push_back(std::move(row));
           });
  };
  reel::manual_clock clock;
  reel::processor_options popts{.clock = &clock, .partition_idle_timeout = std::nullopt};
  if (w.partition_idle_timeout)
    popts.partition_idle_timeout = reel::duration{*w.partition_idle_timeout};
  using processor_type = decltype(reel::make_processor(make(), popts));
  std::optional<processor_type> proc;
  auto start = [&] {
    proc.emplace(make(), popts);
    proc->on_dead_letter([&rec](const reel::dead_letter<rev>& d) {
      std::vector<std::int64_t> missed;
      for (reel::timestamp s : d.missed_window_starts)
        missed.push_back(reel::to_millis(s));
      rec.out.dead.push_back(
          {rec.step, d.event.id, reel::to_millis(d.event_time), d.partition, std::move(missed)});
    });
  };
  start();
  for (std::size_t i = 0; i < sc.ops.size(); ++i) {
    if (checkpoint_after == i) {
      const std::string bytes = proc->checkpoint();
      start();
      proc->restore(bytes);
    }
    const stream_op& op = sc.ops[i];
    rec.step = i;
    clock.set(reel::from_millis(op.now));
    if (op.what == stream_op::push) {
      proc->push(sc.events[op.event], op.partition);
    } else {
      proc->advance();
    }
  }
  rec.step = sc.ops.size();
  proc->flush();
  const reel::processor_stats s = proc->stats();
  rec.out.input = s.counters.input;
  rec.out.output = s.counters.output;
  rec.out.late = s.counters.late;
  rec.out.partially_late = s.counters.partially_late;
  rec.out.in_gap = s.counters.in_gap;
  rec.out.dead_letters = s.counters.dead_letters;
  return std::move(rec.out);
}

/// The model's outcome keeping only sum, count, min and max.
outcome four_values(outcome o) {
  for (out_row& r : o.rows)
    r.v = {r.v.sum, r.v.count, r.v.min, r.v.max, 0, 0, {}};
  return o;
}

void check_sliding(std::uint64_t seed, int trials, bool idle) {
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    scenario sc = random_scenario(
        rng, {.kind = window_kind::hopping, .shape = hop_shape::overlap, .idle = idle});
    // Many panes per window: interval / gcd(interval, hop) >= 2 * hop / gcd + 4.
    const std::int64_t hop = std::uniform_int_distribution<std::int64_t>(1, 6)(rng);
    const std::int64_t windows = std::uniform_int_distribution<std::int64_t>(6, 25)(rng);
    const std::int64_t extra = std::uniform_int_distribution<std::int64_t>(0, hop - 1)(rng);
    sc.spec.hop = hop;
    sc.spec.interval = hop * windows + extra;
    if (sc.spec.offset != 0)
      sc.spec.offset = std::uniform_int_distribution<std::int64_t>(-2 * hop, 2 * hop)(rng);
    const std::size_t cut = trial % 3 == 0 ? sc.ops.size() / 2 : SIZE_MAX;  // checkpoint there
    INFO("seed " << seed << " trial " << trial << "\n" << sc.describe());
    // The model has no idleness: there, compare with the engine combining pane by pane (its
    // `push` accumulator keeps it off the sliding path).
    const outcome expected = idle ? run_engine(sc) : run_model(sc);
    REQUIRE(diff(four_values(expected), run_sliding_engine(sc, cut)) == "");
  }
}

}  // namespace

TEST_CASE("hopping windows combined by sliding match the reference model",
          "[window][hopping][sliding]") {
  check_sliding(0x511de, 1500, false);
}

TEST_CASE("hopping windows combined by sliding, with idleness", "[window][hopping][sliding]") {
  check_sliding(0x511df, 800, true);
}

TEST_CASE("hopping windows combined by sliding, long in-order run", "[window][hopping][sliding]") {
  using namespace std::chrono_literals;
  // 10 ms hop, 200 ms windows, three keys, one event per ms: every window sums 200 events.
  std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> out;  // start, key, sum
  auto proc = reel::make_processor(
      reel::from<rev>(reel::event_time(&rev::ts)) |
      reel::hopping_window(
          {.interval = 200ms, .hop = 10ms, .allowed_lateness = 0ms, .idle_timeout = {}},
          reel::group(&rev::key, reel::sum(&rev::value))) |
      reel::emit([&](const auto& r) {
        out.emplace_back(reel::to_millis(r.start), r.key, std::get<0>(r.values));
      }));
  for (std::int64_t t = 0; t < 5000; ++t)
    proc.push({t, t % 3, 1, 0, reel::from_millis(t)});
  proc.flush();
  // Windows [k*10, k*10 + 200) for k = -19 .. 499.
  REQUIRE(out.size() == 519 * 3);
  for (const auto& [start, key, sum] : out) {
    std::int64_t expected = 0;
    for (std::int64_t t = std::max<std::int64_t>(start, 0);
         t < std::min<std::int64_t>(start + 200, 5000); ++t)
      expected += t % 3 == key ? 1 : 0;
    REQUIRE(sum == expected);
  }
}
