// SPDX-License-Identifier: Apache-2.0
// stats() (counters, open windows and groups, state bytes, watermark, per-partition watermarks,
// the partition holding it back) and explain() (bounds, open, events, groups, closing watermark,
// idle close time, summary text), with hand-computed values.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

using push_result =
    reel::window_result<std::int64_t,
                        std::tuple<std::int64_t, std::int64_t, std::vector<std::int64_t>>>;

template <class Out>
auto two_partition_processor(Out& out) {
  return reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::match([](const tick& t) { return t.value >= 0; }) |
      reel::tumbling_window({.interval = 10s, .allowed_lateness = 2s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count(),
                                        reel::push(&tick::value))) |
      reel::emit_to(out));
}

}  // namespace

TEST_CASE("stats: a fresh processor", "[processor][stats]") {
  std::vector<push_result> out;
  auto proc = two_partition_processor(out);
  const auto s = proc.stats();
  CHECK(s.counters.input == 0);
  CHECK(s.open_windows == 0);
  CHECK(s.open_groups == 0);
  CHECK(s.state_bytes == 0);
  CHECK_FALSE(s.watermark.has_value());
  CHECK_FALSE(s.watermark_held_by.has_value());
  CHECK(s.partitions.empty());
}

TEST_CASE("stats: counters, open windows, state, watermarks per partition", "[processor][stats]") {
  std::vector<push_result> out;
  auto proc = two_partition_processor(out);
  const auto east = proc.add_partition("east");
  const auto west = proc.add_partition("west");
  CHECK(east == 0);
  CHECK(west == 1);
  proc.push({1, 5, secs(1)}, east);
  proc.push({2, 1, secs(3)}, east);
  proc.push({1, -1, secs(4)}, east);  // filtered before the window
  proc.push({3, 1, secs(15)}, east);
  CHECK(out.empty());  // west has not delivered: no watermark
  CHECK(proc.stats().watermark_held_by == "west");
  proc.push({1, 2, secs(12)}, west);  // watermark min(15, 12) = 12: closes [0, 10)
  REQUIRE(out.size() == 2);
  CHECK(out[0] == push_result{secs(0), secs(10), 1, {5, 1, {5}}});
  CHECK(out[1] == push_result{secs(0), secs(10), 2, {1, 1, {1}}});

  auto s = proc.stats();
  CHECK(s.counters.input == 5);
  CHECK(s.counters.filtered == 1);
  CHECK(s.counters.output == 2);
  CHECK(s.counters.late == 0);
  CHECK(s.open_windows == 1);  // [10, 20)
  CHECK(s.open_groups == 2);   // keys 1 (west) and 3 (east)
  CHECK(s.state_bytes > 0);
  CHECK(s.watermark == secs(12));
  CHECK(s.watermark_held_by == "west");
  REQUIRE(s.partitions.size() == 2);
  CHECK(s.partitions[0].name == "east");
  CHECK(s.partitions[0].watermark == secs(15));
  CHECK(s.partitions[0].events == 3);  // the filtered event never reached the window
  CHECK(s.partitions[1].name == "west");
  CHECK(s.partitions[1].watermark == secs(12));
  CHECK(s.partitions[1].events == 1);

  proc.push({4, 1, secs(5)}, west);  // late, no dead letter handler
  proc.push({4, 1, secs(40)}, west);
  s = proc.stats();
  CHECK(s.counters.late == 1);
  CHECK(s.counters.dead_letters == 0);
  CHECK(s.watermark == secs(15));
  CHECK(s.watermark_held_by == "east");
  CHECK(s.open_windows == 2);  // [10, 20) and [40, 50)

  proc.flush();
  s = proc.stats();
  CHECK(s.open_windows == 0);
  CHECK(s.open_groups == 0);
  CHECK(s.counters.output == 5);
}

TEST_CASE("stats: hopping windows count each open window once", "[processor][stats]") {
  std::vector<count_all_result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::hopping_window({.interval = 30s, .hop = 10s}, reel::group_all(reel::count())) |
      reel::emit_to(out));
  proc.push({1, 1, secs(5)});  // [-20,10) [-10,20) [0,30)
  CHECK(proc.stats().open_windows == 3);
  proc.push({1, 1, secs(15)});  // adds [10,40); watermark 15, bound 12: [-20,10) closes
  CHECK(out.size() == 1);
  CHECK(proc.stats().open_windows == 3);
  CHECK(proc.stats().open_groups == 2);  // one state per (key, pane): panes [0,10) and [10,20)
  proc.push({1, 1, secs(25)});           // adds [20,50); bound 22: [-10,20) closes
  CHECK(out.size() == 2);
  CHECK(proc.stats().open_windows == 3);
  CHECK(proc.stats().open_groups == 3);  // pane [0,10) is still part of [0,30)
}

TEST_CASE("stats: sessions", "[processor][stats][session]") {
  std::vector<reel::window_result<reel::no_key, std::tuple<std::int64_t>, std::int64_t>> out;
  auto proc =
      reel::make_processor(reel::from<tick>(reel::event_time(&tick::ts)) |
                           reel::session_window({.gap = 10s, .allowed_lateness = 1min}, &tick::key,
                                                reel::group_all(reel::count())) |
                           reel::emit_to(out));
  proc.push({1, 1, secs(0)});
  proc.push({2, 1, secs(1)});
  proc.push({1, 1, secs(30)});
  auto s = proc.stats();
  CHECK(s.open_windows == 3);
  CHECK(s.open_groups == 3);
  CHECK(s.state_bytes > 0);
  proc.push({3, 1, secs(100)});  // closes the three
  s = proc.stats();
  CHECK(s.open_windows == 1);
  CHECK(s.counters.output == 3);
}

TEST_CASE("explain: an open window", "[processor][explain]") {
  std::vector<push_result> out;
  auto proc = two_partition_processor(out);
  proc.add_partition("east");
  proc.add_partition("west");
  proc.push({1, 5, secs(1)}, 0);
  proc.push({3, 1, secs(15)}, 0);
  proc.push({1, 2, secs(12)}, 1);
  proc.push({3, 4, secs(18)}, 1);

  const auto r = proc.explain(secs(11));
  CHECK(r.window.bounds == reel::window_bounds{secs(10), secs(20)});
  CHECK(r.window.open);
  CHECK(r.window.events == 3);
  CHECK(r.window.groups == 2);
  CHECK(r.watermark == secs(15));
  CHECK(r.watermark_held_by == "east");
  CHECK(r.allowed_lateness == 2s);
  CHECK(r.closes_at_watermark == secs(22));
  CHECK_FALSE(r.idle_close_at.has_value());
  CHECK(r.summary() ==
        "window [1970-01-01T00:00:10.000Z, 1970-01-01T00:00:20.000Z) is open; 3 events in 2 "
        "groups; watermark 1970-01-01T00:00:15.000Z (held back by partition 'east'); closes when "
        "the watermark reaches 1970-01-01T00:00:22.000Z");

  const auto closed = proc.explain(secs(9));
  CHECK(closed.window.bounds == reel::window_bounds{secs(0), secs(10)});
  CHECK_FALSE(closed.window.open);
  CHECK(closed.summary() ==
        "window [1970-01-01T00:00:00.000Z, 1970-01-01T00:00:10.000Z) is closed; 0 events in 0 "
        "groups; watermark 1970-01-01T00:00:15.000Z (held back by partition 'east')");

  const auto future = proc.explain(secs(95));
  CHECK(future.window.bounds == reel::window_bounds{secs(90), secs(100)});
  CHECK(future.window.open);
  CHECK(future.window.events == 0);
}

TEST_CASE("explain: before any event, and with an idle timeout", "[processor][explain]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{hm(12, 2)};
  auto proc =
      reel::make_processor(reel::from<tick>(reel::event_time(&tick::ts)) |
                               reel::tumbling_window({.interval = 1h, .idle_timeout = 10min},
                                                     reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  const auto empty = proc.explain(hm(12, 30));
  CHECK_FALSE(empty.watermark.has_value());
  CHECK(empty.summary() ==
        "window [1970-01-01T12:00:00.000Z, 1970-01-01T13:00:00.000Z) is open; 0 events in 0 "
        "groups; no watermark yet; closes when the watermark reaches 1970-01-01T13:00:03.000Z");
  proc.push({1, 1, hm(12, 2)});
  const auto r = proc.explain(hm(12, 30));
  CHECK(r.idle_close_at == hm(13, 0));
  CHECK(r.summary() ==
        "window [1970-01-01T12:00:00.000Z, 1970-01-01T13:00:00.000Z) is open; 1 events in 1 "
        "groups; watermark 1970-01-01T12:02:00.000Z; closes when the watermark reaches "
        "1970-01-01T13:00:03.000Z or, if the source stays idle, at 1970-01-01T13:00:00.000Z");
}

TEST_CASE("explain: hopping windows report the latest window starting at or before t",
          "[processor][explain][hopping]") {
  std::vector<count_all_result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::hopping_window({.interval = 30s, .hop = 10s, .allowed_lateness = 1min},
                           reel::group(&tick::key, reel::count())) |
      reel::emit([&out](const auto&) {}));
  proc.push({1, 1, secs(5)});
  proc.push({2, 1, secs(15)});
  proc.push({1, 1, secs(25)});
  const auto a = proc.explain(secs(0));
  CHECK(a.window.bounds == reel::window_bounds{secs(0), secs(30)});
  CHECK(a.window.events == 3);
  CHECK(a.window.groups == 2);
  const auto b = proc.explain(secs(29));
  CHECK(b.window.bounds == reel::window_bounds{secs(20), secs(50)});
  CHECK(b.window.events == 1);
  CHECK(b.window.groups == 1);
  CHECK(b.closes_at_watermark == secs(110));
}

TEST_CASE("explain: processing-time windows close at their end, without lateness",
          "[processor][explain][processing_time]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{secs(0)};
  auto proc =
      reel::make_processor(reel::from<tick>() |
                               reel::tumbling_window(reel::processing_time, {.interval = 1s},
                                                     reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  proc.push({1, 1, {}});
  const auto r = proc.explain(at(500));
  CHECK(r.allowed_lateness == 0s);
  CHECK(r.closes_at_watermark == secs(1));
}
