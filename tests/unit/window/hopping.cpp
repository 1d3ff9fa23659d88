// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, hopping windows: overlap (an event in every covering window), gaps
// (hop > interval: counted, not dead-lettered), partially late events (counted in the open
// windows, dead-lettered with exactly the missed window starts), offsets, hop == interval.
#include <catch2/catch.hpp>

#include "error_of.hpp"
#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

template <class Out>
auto hopping(Out& out, reel::hopping_options options) {
  return reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::hopping_window(options,
                           reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
}

}  // namespace

TEST_CASE("hopping: hop < interval puts an event in every covering window", "[window][hopping]") {
  std::vector<sum_count_result> out;
  auto proc = hopping(out, {.interval = 10s, .hop = 5s});
  proc.push({1, 1, secs(7)});   // [0,10) and [5,15)
  proc.push({1, 2, secs(10)});  // [5,15) and [10,20): not [0,10), which ends at 10
  proc.push({1, 4, secs(5)});   // [0,10) and [5,15): 5 is the start of [5,15)
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(out[0] == sum_count_result{secs(0), secs(10), 1, {5, 2}});
  CHECK(out[1] == sum_count_result{secs(5), secs(15), 1, {7, 3}});
  CHECK(out[2] == sum_count_result{secs(10), secs(20), 1, {2, 1}});
}

TEST_CASE("hopping: interval = 3 * hop, three windows per event, closed in end order",
          "[window][hopping]") {
  std::vector<sum_count_result> out;
  auto proc = hopping(out, {.interval = 30s, .hop = 10s, .allowed_lateness = 0s});
  proc.push({1, 1, secs(25)});  // [0,30) [10,40) [20,50)
  CHECK(out.empty());
  proc.push({1, 2, secs(30)});  // [10,40) [20,50) [30,60); watermark 30 closes [0,30)
  REQUIRE(out.size() == 1);
  CHECK(out[0] == sum_count_result{secs(0), secs(30), 1, {1, 1}});
  proc.push({1, 4, secs(50)});  // [30,60) [40,70) [50,80); closes [10,40) and [20,50)
  REQUIRE(out.size() == 3);
  CHECK(out[1] == sum_count_result{secs(10), secs(40), 1, {3, 2}});
  CHECK(out[2] == sum_count_result{secs(20), secs(50), 1, {3, 2}});
  proc.flush();
  REQUIRE(out.size() == 6);
  CHECK(out[3] == sum_count_result{secs(30), secs(60), 1, {6, 2}});
  CHECK(out[4] == sum_count_result{secs(40), secs(70), 1, {4, 1}});
  CHECK(out[5] == sum_count_result{secs(50), secs(80), 1, {4, 1}});
}

TEST_CASE("hopping: hop > interval leaves gaps, events there are counted, not dead-lettered",
          "[window][hopping][gaps]") {
  std::vector<sum_count_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  // Windows [0,5), [10,15), [20,25), ...
  auto proc = hopping(out, {.interval = 5s, .hop = 10s, .allowed_lateness = 0s});
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  proc.push({1, 1, secs(3)});
  proc.push({1, 2, secs(5)});   // the end of [0,5): in the gap
  proc.push({1, 4, secs(7)});   // gap
  proc.push({1, 8, secs(10)});  // [10,15)
  proc.push({1, 16, secs(2)});  // late: [0,5) closed at watermark 5
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == sum_count_result{secs(0), secs(5), 1, {1, 1}});
  CHECK(out[1] == sum_count_result{secs(10), secs(15), 1, {8, 1}});
  const auto s = proc.stats();
  CHECK(s.counters.in_gap == 2);
  CHECK(s.counters.late == 1);
  CHECK(s.counters.dead_letters == 1);
  REQUIRE(dlq.size() == 1);  // only the late one
  CHECK(dlq[0].event.value == 16);
  CHECK(dlq[0].operator_name == "HoppingWindowOperator");
}

TEST_CASE("hopping: an event in a gap older than the watermark is still a gap event",
          "[window][hopping][gaps]") {
  std::vector<sum_count_result> out;
  auto proc = hopping(out, {.interval = 5s, .hop = 10s, .allowed_lateness = 0s});
  proc.push({1, 1, secs(100)});
  proc.push({1, 1, secs(7)});  // belongs to no window at all: a gap, not late
  const auto s = proc.stats();
  CHECK(s.counters.in_gap == 1);
  CHECK(s.counters.late == 0);
}

TEST_CASE("hopping: a partially late event counts in the open windows and lists the missed ones",
          "[window][hopping][late]") {
  std::vector<sum_count_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  auto proc = hopping(out, {.interval = 30s, .hop = 10s, .allowed_lateness = 0s});
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  proc.push({1, 1, secs(25)});
  proc.push({1, 2, secs(40)});  // closes [0,30) and [10,40)
  REQUIRE(out.size() == 2);
  proc.push({1, 4, secs(26)});  // [0,30) and [10,40) closed; [20,50) open
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0].missed_window_starts == starts({0, 10'000}));
  CHECK(dlq[0].reason == reel::late_event_reason);
  CHECK(proc.stats().counters.partially_late == 1);
  CHECK(proc.stats().counters.late == 0);

  proc.push({1, 8, secs(5)});  // [-20,10) [-10,20) [0,30): all closed
  REQUIRE(dlq.size() == 2);
  CHECK(dlq[1].missed_window_starts == starts({-20'000, -10'000, 0}));
  CHECK(proc.stats().counters.late == 1);

  proc.flush();
  REQUIRE(out.size() == 5);
  CHECK(out[2] == sum_count_result{secs(20), secs(50), 1, {1 + 2 + 4, 3}});  // 26 counted here
  CHECK(out[3] == sum_count_result{secs(30), secs(60), 1, {2, 1}});
  CHECK(out[4] == sum_count_result{secs(40), secs(70), 1, {2, 1}});
  CHECK(proc.stats().counters.dead_letters == 2);
}

TEST_CASE("hopping: offsets shift every window, negative ones too", "[window][hopping][offset]") {
  std::vector<sum_count_result> out;
  // interval 10 s, hop 5 s, offset -2 s: windows start at ..., -2, 3, 8, 13, ...
  auto proc = hopping(out, {.interval = 10s, .hop = 5s, .offset = -2s});
  proc.push({1, 1, secs(3)});        // [-2,8) and [3,13)
  proc.push({1, 2, secs(8) - 1ms});  // [-2,8) and [3,13)
  proc.push({1, 4, secs(8)});        // [3,13) and [8,18)
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(out[0] == sum_count_result{secs(-2), secs(8), 1, {3, 2}});
  CHECK(out[1] == sum_count_result{secs(3), secs(13), 1, {7, 3}});
  CHECK(out[2] == sum_count_result{secs(8), secs(18), 1, {4, 1}});

  std::vector<sum_count_result> out2;
  auto p2 = hopping(out2, {.interval = 10s, .hop = 5s, .offset = 7s});  // starts at 2, 7, 12 ...
  p2.push({1, 1, secs(2)});
  p2.flush();
  REQUIRE(out2.size() == 2);
  CHECK(out2[0].start == secs(-3));
  CHECK(out2[1].start == secs(2));
}

TEST_CASE("hopping: hop == interval behaves exactly like a tumbling window", "[window][hopping]") {
  std::vector<sum_count_result> hop_out, tumble_out;
  auto h = hopping(hop_out, {.interval = 10s, .hop = 10s, .offset = 3s, .allowed_lateness = 1s});
  auto t = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 10s, .offset = 3s, .allowed_lateness = 1s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(tumble_out));
  const std::int64_t times[] = {1, 4, 13, 2, 30, 12, 14, 44, 20, 3, 55};
  for (std::int64_t i = 0; i < 11; ++i) {
    h.push({i % 3, i, secs(times[i])});
    t.push({i % 3, i, secs(times[i])});
  }
  h.flush();
  t.flush();
  CHECK(hop_out == tumble_out);
  CHECK(h.stats().counters.late == t.stats().counters.late);
  // Windows [-7,3) [3,13) [13,23) ...: 2 arrives after [-7,3) closed (watermark 4); 12, 14 after
  // 30 closed [3,13) and [13,23); 20 and 3 after 44 closed [23,33) and [33,43).
  CHECK(h.stats().counters.late == 5);
}

TEST_CASE("hopping: hop that does not divide the interval (panes of gcd)", "[window][hopping]") {
  // interval 10 s, hop 4 s: panes of 2 s; windows [0,10) [4,14) [8,18) ...
  std::vector<sum_count_result> out;
  auto proc = hopping(out, {.interval = 10s, .hop = 4s, .allowed_lateness = 1min});
  proc.push({1, 1, secs(9)});   // [0,10) [4,14) [8,18)
  proc.push({1, 2, secs(3)});   // [-4,6) [0,10)
  proc.push({1, 4, secs(13)});  // [4,14) [8,18) [12,22)
  proc.flush();
  REQUIRE(out.size() == 5);
  CHECK(out[0] == sum_count_result{secs(-4), secs(6), 1, {2, 1}});
  CHECK(out[1] == sum_count_result{secs(0), secs(10), 1, {3, 2}});
  CHECK(out[2] == sum_count_result{secs(4), secs(14), 1, {5, 2}});
  CHECK(out[3] == sum_count_result{secs(8), secs(18), 1, {5, 2}});
  CHECK(out[4] == sum_count_result{secs(12), secs(22), 1, {4, 1}});
}

TEST_CASE("hopping: more windows per event than the limit is a definition error",
          "[window][hopping][errors]") {
  auto group = reel::group_all(reel::count());
  // A day of windows every 5 seconds: 17,280 windows per event, over the default 10,000.
  CHECK(error_of([&] { reel::hopping_window({.interval = 24h, .hop = 5s}, group); }) ==
        "[reel.window.invalid_option] interval / hop puts each event in 17280 windows, more than "
        "max_windows_per_event (10000): use a larger hop");
  CHECK(error_of([&] {
          reel::hopping_window(reel::processing_time, {.interval = 24h, .hop = 5s}, group);
        }).rfind("[reel.window.invalid_option] interval / hop puts each event in 17280", 0) == 0);
  // At the limit, above it when raised, and without one.
  CHECK_NOTHROW(reel::hopping_window({.interval = 10000s, .hop = 1s}, group));
  CHECK_NOTHROW(
      reel::hopping_window({.interval = 24h, .hop = 5s, .max_windows_per_event = 20'000}, group));
  CHECK_NOTHROW(
      reel::hopping_window({.interval = 24h, .hop = 1ms, .max_windows_per_event = 0}, group));
  // A gap between windows (hop > interval): one window at most.
  CHECK(reel::to_sliced(reel::hopping_options{.interval = 1s, .hop = 1min}).windows_per_event() ==
        1);
  CHECK(reel::to_sliced(reel::hopping_options{.interval = 25s, .hop = 10s}).windows_per_event() ==
        3);
}
