// SPDX-License-Identifier: Apache-2.0
// The session operator's storage at scale: the close order (radix_queue) against a brute-force
// queue, sessions over hundreds of partition keys against the reference model (with checkpoints
// restored at random points), and state memory that follows the open sessions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include <reel/detail/radix_queue.hpp>

#include "support/engine_runner.hpp"
#include "support/reference_model.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace session_layout {

/// Items of a radix_queue: keys and links in plain vectors, kept dense like the operator's
/// records (removing an item moves the last one into its place).
struct items {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> prevs, nexts;
  std::vector<bool> taken;

  struct view {
    items* of;
    std::uint32_t& prev(std::uint32_t i) const { return of->prevs[i]; }
    std::uint32_t& next(std::uint32_t i) const { return of->nexts[i]; }
    std::uint64_t key(std::uint32_t i) const { return of->keys[i]; }
  };
  view nodes() { return {this}; }

  std::uint32_t add(std::uint64_t key) {
    keys.push_back(key);
    prevs.push_back(0);
    nexts.push_back(0);
    taken.push_back(false);
    return static_cast<std::uint32_t>(keys.size() - 1);
  }
  /// Removes item `i` (out of the queue): the last item takes its place.
  void remove(std::uint32_t i, reel::detail::radix_queue& q) {
    const auto last = static_cast<std::uint32_t>(keys.size() - 1);
    if (i != last) {
      keys[i] = keys[last];
      prevs[i] = prevs[last];
      nexts[i] = nexts[last];
      taken[i] = taken[last];
      q.relocate(i, nodes());
    }
    keys.pop_back();
    prevs.pop_back();
    nexts.pop_back();
    taken.pop_back();
  }
};

}  // namespace session_layout

TEST_CASE("session layout: the close order takes exactly the keys up to each bound",
          "[window][session][layout]") {
  using reel::detail::radix_queue;
  std::mt19937_64 rng(0x7ad1c5);
  for (int trial = 0; trial < 300; ++trial) {
    session_layout::items it;
    radix_queue q;
    std::uint64_t bound =
        static_cast<std::uint64_t>(reel_test::detail::uniform(rng, 0, 1) == 0 ? 0 : 1)
        << reel_test::detail::uniform(rng, 0, 62);
    const std::int64_t spread = std::vector<std::int64_t>{3, 40, 1000, 1 << 20}[trial % 4];
    for (int step = 0; step < 400; ++step) {
      const std::int64_t what = reel_test::detail::uniform(rng, 0, 9);
      if (what <= 3) {  // insert above the bound
        const std::uint32_t i = it.add(
            bound + 1 + static_cast<std::uint64_t>(reel_test::detail::uniform(rng, 0, spread)));
        q.insert(i, it.nodes());
      } else if (what <= 5 && !it.keys.empty()) {  // a key grows
        const auto i = static_cast<std::uint32_t>(
            reel_test::detail::uniform(rng, 0, static_cast<std::int64_t>(it.keys.size()) - 1));
        it.keys[i] += static_cast<std::uint64_t>(reel_test::detail::uniform(rng, 0, spread));
      } else if (what == 6 && !it.keys.empty()) {  // removed (a merged session)
        const auto i = static_cast<std::uint32_t>(
            reel_test::detail::uniform(rng, 0, static_cast<std::int64_t>(it.keys.size()) - 1));
        q.erase(i, it.nodes());
        it.remove(i, q);
      } else if (what == 7 && !it.keys.empty()) {
        const std::uint64_t expected = *std::min_element(it.keys.begin(), it.keys.end());
        REQUIRE(q.min_key(it.nodes()) == expected);
      } else {  // take through a new bound
        bound += static_cast<std::uint64_t>(reel_test::detail::uniform(rng, 0, spread));
        std::multiset<std::uint64_t> expected;
        for (std::uint64_t k : it.keys) {
          if (k <= bound) expected.insert(k);
        }
        const bool took = q.take_through(bound, it.nodes());
        REQUIRE(took == !expected.empty());
        std::multiset<std::uint64_t> got;
        for (std::uint32_t i = q.taken_front(); i != radix_queue::none; i = it.nexts[i]) {
          got.insert(it.keys[i]);
          it.taken[i] = true;
        }
        REQUIRE(got == expected);
        // Sort the taken ones, check the order, then remove them one by one from the front.
        q.sort_taken(it.nodes(),
                     [&](std::uint32_t a, std::uint32_t b) { return it.keys[a] < it.keys[b]; });
        std::uint64_t previous = 0;
        for (std::uint32_t i = q.taken_front(); i != radix_queue::none; i = it.nexts[i]) {
          REQUIRE(it.keys[i] >= previous);
          previous = it.keys[i];
        }
        for (std::uint32_t i = q.taken_front(); i != radix_queue::none; i = q.taken_front()) {
          q.erase(i, it.nodes());
          it.remove(i, q);
        }
        for (std::size_t i = 0; i < it.keys.size(); ++i) {
          REQUIRE(!it.taken[i]);
          REQUIRE(it.keys[i] > bound);
        }
      }
      REQUIRE(q.empty() == it.keys.empty());
    }
  }
}

namespace session_layout {

/// Sessions over many partition keys: groups of keys take turns being active (as in
/// bench_engine's session run), with disorder, stragglers, several group keys per session, two
/// source partitions and processing time that follows event time.
scenario many_keys(std::mt19937_64& rng, std::int64_t pkeys, std::size_t n) {
  scenario sc;
  sc.spec.kind = window_kind::session;
  sc.spec.gap = reel_test::detail::uniform(rng, 1, 25);
  sc.spec.lateness =
      reel_test::detail::chance(rng, 0.3) ? 0 : reel_test::detail::uniform(rng, 0, 40);
  const std::int64_t turns = reel_test::detail::uniform(rng, 1, 4);
  const std::int64_t turn_length = reel_test::detail::uniform(rng, 5, 80);
  const std::int64_t keys = reel_test::detail::uniform(rng, 1, 3);
  const std::int64_t disorder =
      std::vector<std::int64_t>{0, 3, 20}[reel_test::detail::uniform(rng, 0, 2)];
  const int partitions = static_cast<int>(reel_test::detail::uniform(rng, 1, 2));
  const double advance = reel_test::detail::chance(rng, 0.5) ? 0.5 : 0.05;  // per event
  std::int64_t base = reel_test::detail::uniform(rng, -500, 500);
  std::int64_t now = base;
  for (std::size_t i = 0; i < n; ++i) {
    if (reel_test::detail::chance(rng, advance)) ++base;
    const std::int64_t turn =
        ((base % (turns * turn_length)) + turns * turn_length) / turn_length % turns;
    const std::int64_t per_turn = std::max<std::int64_t>(1, pkeys / turns);
    const std::int64_t pkey = turn * per_turn + reel_test::detail::uniform(rng, 0, per_turn - 1);
    std::int64_t t = base - (disorder ? reel_test::detail::uniform(rng, 0, disorder) : 0);
    if (reel_test::detail::chance(rng, 0.02))
      t = base - reel_test::detail::uniform(rng, 0, 200);  // a straggler
    sc.events.push_back({static_cast<std::int64_t>(i), reel_test::detail::uniform(rng, 0, keys - 1),
                         reel_test::detail::uniform(rng, -20, 20), pkey, reel::from_millis(t)});
    now = std::max(now + reel_test::detail::uniform(rng, 0, 1),
                   base - reel_test::detail::uniform(rng, 0, 10));
    const auto partition =
        static_cast<reel::partition_id>(reel_test::detail::uniform(rng, 0, partitions - 1));
    sc.ops.push_back({stream_op::push, i, partition, now});
  }
  return sc;
}

}  // namespace session_layout

TEST_CASE("session layout: hundreds of partition keys match the reference model",
          "[window][session][layout][model]") {
  std::mt19937_64 rng(0x5e55a1);
  for (int trial = 0; trial < 60; ++trial) {
    const std::int64_t pkeys = std::vector<std::int64_t>{40, 300, 1200}[trial % 3];
    const scenario sc = session_layout::many_keys(rng, pkeys, 2500);
    INFO("trial " << trial << " pkeys " << pkeys);
    REQUIRE(diff(run_model(sc), run_engine(sc)) == "");
  }
}

TEST_CASE("session layout: hundreds of partition keys restore from checkpoints exactly",
          "[window][session][layout][checkpoint]") {
  std::mt19937_64 rng(0x5e55a2);
  for (int trial = 0; trial < 60; ++trial) {
    const std::int64_t pkeys = std::vector<std::int64_t>{40, 300, 1200}[trial % 3];
    const scenario sc = session_layout::many_keys(rng, pkeys, 2000);
    reel::processor_stats whole_stats, resumed_stats;
    const outcome whole = run_engine(sc, {.final_stats = &whole_stats});
    std::vector<std::size_t> cuts;
    for (int i = 0; i < 3; ++i)
      cuts.push_back(static_cast<std::size_t>(
          reel_test::detail::uniform(rng, 0, static_cast<std::int64_t>(sc.ops.size()))));
    std::sort(cuts.begin(), cuts.end());
    std::string mismatch;
    const outcome resumed = run_engine(
        sc,
        {.checkpoints_after = cuts, .restore_mismatch = &mismatch, .final_stats = &resumed_stats});
    INFO("trial " << trial << " pkeys " << pkeys);
    REQUIRE(mismatch == "");
    REQUIRE(diff(whole, resumed) == "");
    REQUIRE(stats_diff(whole_stats, resumed_stats) == "");
  }
}

namespace session_layout {

struct click {
  std::uint32_t user = 0;
  std::uint32_t page = 0;
  reel::timestamp ts{};
};

}  // namespace session_layout

TEST_CASE("session layout: state memory follows the open sessions, not the peak",
          "[window][session][layout]") {
  using session_layout::click;
  std::vector<reel::window_result<std::uint32_t, std::tuple<std::int64_t>, std::uint32_t>> out;
  auto proc = reel::make_processor(reel::from<click>(reel::event_time(&click::ts)) |
                                   reel::session_window({.gap = 10ms, .allowed_lateness = 0ms},
                                                        &click::user,
                                                        reel::group(&click::page, reel::count())) |
                                   reel::emit_to(out));
  // 20,000 users with a session each, two pages per session.
  for (std::uint32_t user = 0; user < 20000; ++user) {
    proc.push({user, 1, reel::from_millis(1000)});
    proc.push({user, 2, reel::from_millis(1001)});
  }
  const reel::processor_stats peak = proc.stats();
  CHECK(peak.open_windows == 20000);
  CHECK(peak.open_groups == 40000);
  // They close; 100 users come back.
  for (std::uint32_t user = 0; user < 100; ++user)
    proc.push({user, 3, reel::from_millis(2000)});
  const reel::processor_stats after = proc.stats();
  CHECK(out.size() == 40000);
  CHECK(after.open_windows == 100);
  CHECK(after.open_groups == 100);
  // The session records and the key index shrank with the sessions (the pooled tables of the
  // second groups stay for reuse, and are counted).
  CHECK(after.state_bytes < peak.state_bytes / 2);
  proc.flush();
  CHECK(out.size() == 40100);
}
