// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, tumbling windows, one test per rule with hand-computed expectations:
// assignment (epoch alignment, offsets, half-open bounds), closing (watermark - allowedLateness
// >= end, default and zero lateness), late events, emission order, empty windows.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

auto sum_count_by_key() {
  return reel::group(&tick::key, reel::sum(&tick::value), reel::count());
}

template <class Out>
auto tumbling(Out& out, reel::tumbling_options options) {
  return reel::make_processor(reel::from<tick>(reel::event_time(&tick::ts)) |
                              reel::tumbling_window(options, sum_count_by_key()) |
                              reel::emit_to(out));
}

}  // namespace

TEST_CASE(
    "tumbling: windows include start and exclude end, an event at exactly end goes to the next "
    "window",
    "[window][tumbling]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 0s});
  proc.push({1, 1, secs(0)});         // [0, 10)
  proc.push({1, 2, secs(10) - 1ms});  // [0, 10): 9.999 s
  CHECK(out.empty());
  proc.push({1, 4, secs(10)});  // [10, 20); watermark 10 s closes [0, 10)
  REQUIRE(out.size() == 1);
  CHECK(out[0] == sum_count_result{secs(0), secs(10), 1, {3, 2}});
  proc.push({1, 8, secs(20) - 1ms});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[1] == sum_count_result{secs(10), secs(20), 1, {12, 2}});
}

TEST_CASE("tumbling: windows are aligned to the UTC epoch, not to the first event",
          "[window][tumbling]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 5min});
  proc.push({1, 1, iso("1969-12-31T23:58:00Z")});  // before the epoch: floor, not truncation
  proc.push({1, 1, iso("2024-08-12T09:33:17.250Z")});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0].start == iso("1969-12-31T23:55:00Z"));
  CHECK(out[0].end == iso("1970-01-01T00:00:00Z"));
  CHECK(out[1].start == iso("2024-08-12T09:30:00Z"));
  CHECK(out[1].end == iso("2024-08-12T09:35:00Z"));
}

TEST_CASE("tumbling: a window closes when the watermark reaches exactly end + allowedLateness",
          "[window][tumbling][lateness]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 5s});
  proc.push({1, 1, secs(2)});
  proc.push({1, 1, secs(15) - 1ms});  // watermark 14.999: 14.999 - 5 < 10, stays open
  CHECK(out.empty());
  CHECK(proc.explain(secs(2)).window.open);
  proc.push({1, 1, secs(15)});  // 15 - 5 >= 10: closes
  REQUIRE(out.size() == 1);
  CHECK(out[0] == sum_count_result{secs(0), secs(10), 1, {1, 1}});
}

TEST_CASE("tumbling: allowedLateness defaults to 3 seconds", "[window][tumbling][lateness]") {
  STATIC_REQUIRE(reel::default_allowed_lateness == 3s);
  CHECK(reel::to_close_policy(reel::tumbling_options{}).allowed_lateness == 3s);
  CHECK(reel::to_close_policy(reel::hopping_options{}).allowed_lateness == 3s);
  CHECK(reel::to_close_policy(reel::session_options{}).allowed_lateness == 3s);
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s});
  proc.push({1, 1, secs(1)});
  proc.push({1, 1, secs(13) - 1ms});
  CHECK(out.empty());
  proc.push({1, 1, secs(13)});
  REQUIRE(out.size() == 1);
  CHECK(out[0].end == secs(10));
  CHECK(proc.explain(secs(1)).closes_at_watermark == secs(13));
}

TEST_CASE("tumbling: allowedLateness 0 closes at the watermark, anything older is late",
          "[window][tumbling][lateness][late]") {
  std::vector<sum_count_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 0s});
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  proc.push({1, 5, secs(5)});
  proc.push({1, 6, secs(10)});  // closes [0, 10) at once
  REQUIRE(out.size() == 1);
  proc.push({1, 7, secs(10) - 1ms});  // in the closed window: late
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0].event.value == 7);
  CHECK(dlq[0].event_time == secs(10) - 1ms);
  CHECK(dlq[0].missed_window_starts == starts({0}));
  CHECK(dlq[0].reason == "Input document arrived late.");
  CHECK(dlq[0].operator_name == "TumblingWindowOperator");
  CHECK(dlq[0].partition == 0);
  proc.push({1, 8, secs(10)});  // not late: the current window is open
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == sum_count_result{secs(0), secs(10), 1, {5, 1}});
  CHECK(out[1] == sum_count_result{secs(10), secs(20), 1, {14, 2}});
  const auto s = proc.stats();
  CHECK(s.counters.input == 4);
  CHECK(s.counters.late == 1);
  CHECK(s.counters.dead_letters == 1);
  CHECK(s.counters.output == 2);
}

TEST_CASE("tumbling: within the allowed lateness an out-of-order event still counts",
          "[window][tumbling][lateness]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 5s});
  proc.push({1, 1, secs(5)});
  proc.push({1, 2, secs(14)});  // watermark 14, [0, 10) open until 15
  proc.push({1, 4, secs(0)});   // older than the watermark, but its window is open
  proc.push({1, 8, secs(15)});  // closes [0, 10)
  REQUIRE(out.size() == 1);
  CHECK(out[0] == sum_count_result{secs(0), secs(10), 1, {5, 2}});
  CHECK(proc.stats().counters.late == 0);
}

TEST_CASE("tumbling: a late event without a dead letter handler is only counted",
          "[window][tumbling][late]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 0s});
  proc.push({1, 1, secs(1)});
  proc.push({1, 1, secs(20)});
  proc.push({1, 1, secs(3)});
  const auto s = proc.stats();
  CHECK(s.counters.late == 1);
  CHECK(s.counters.dead_letters == 0);
}

TEST_CASE("tumbling: a positive offset shifts the boundaries", "[window][tumbling][offset]") {
  // interval 1 hour, offset +15 minutes: windows [hh:15, hh+1:15).
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 1h, .offset = 15min, .allowed_lateness = 0s});
  proc.push({1, 1, iso("2024-01-01T10:14:59.999Z")});
  proc.push({1, 2, iso("2024-01-01T10:15:00Z")});
  proc.push({1, 4, iso("2024-01-01T11:14:00Z")});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] ==
        sum_count_result{iso("2024-01-01T09:15:00Z"), iso("2024-01-01T10:15:00Z"), 1, {1, 1}});
  CHECK(out[1] ==
        sum_count_result{iso("2024-01-01T10:15:00Z"), iso("2024-01-01T11:15:00Z"), 1, {6, 2}});
}

TEST_CASE("tumbling: a negative offset shifts the boundaries back", "[window][tumbling][offset]") {
  // interval 1 hour, offset -20 minutes: windows [hh:40, hh+1:40).
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 1h, .offset = -20min, .allowed_lateness = 0s});
  proc.push({1, 1, iso("2024-01-01T10:39:59.999Z")});
  proc.push({1, 2, iso("2024-01-01T10:40:00Z")});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0].start == iso("2024-01-01T09:40:00Z"));
  CHECK(out[0].end == iso("2024-01-01T10:40:00Z"));
  CHECK(out[1].start == iso("2024-01-01T10:40:00Z"));
  CHECK(out[1].end == iso("2024-01-01T11:40:00Z"));
}

TEST_CASE("tumbling: an offset larger than the interval acts modulo the interval",
          "[window][tumbling][offset]") {
  std::vector<sum_count_result> a, b;
  auto p = tumbling(a, {.interval = 1h, .offset = 75min});
  auto q = tumbling(b, {.interval = 1h, .offset = 15min});
  for (auto t : {iso("2024-01-01T10:14:00Z"), iso("2024-01-01T10:16:00Z")}) {
    p.push({1, 1, t});
    q.push({1, 1, t});
  }
  p.flush();
  q.flush();
  CHECK(a == b);
  REQUIRE(a.size() == 2);
  CHECK(a[1].start == iso("2024-01-01T10:15:00Z"));
}

TEST_CASE("tumbling: empty windows emit nothing", "[window][tumbling]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 0s});
  proc.push({1, 1, secs(1)});
  proc.push({1, 1, secs(35)});  // closes [0,10); [10,20) and [20,30) never had an event
  proc.push({1, 1, secs(80)});
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(out[0].start == secs(0));
  CHECK(out[1].start == secs(30));
  CHECK(out[2].start == secs(80));
}

TEST_CASE("tumbling: results within a window come in ascending key order",
          "[window][tumbling][order]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s});
  for (std::int64_t key : {5, 3, 9, 1, -2, 3, 1000, 7})
    proc.push({key, 1, secs(1)});
  proc.flush();
  std::vector<std::int64_t> keys;
  for (const auto& r : out)
    keys.push_back(r.key);
  CHECK(keys == std::vector<std::int64_t>{-2, 1, 3, 5, 7, 9, 1000});
  CHECK(out[2].values == std::tuple<std::int64_t, std::int64_t>{2, 2});

  // String keys: lexicographic.
  std::vector<reel::window_result<std::string, std::tuple<std::int64_t>>> by_symbol;
  auto p2 = reel::make_processor(
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::tumbling_window({.interval = 10s}, reel::group(&trade::symbol, reel::count())) |
      reel::emit_to(by_symbol));
  for (const char* s : {"pear", "apple", "Zebra", "apple", "fig"})
    p2.push({s, 1.0, 1, secs(1)});
  p2.flush();
  REQUIRE(by_symbol.size() == 4);
  CHECK(by_symbol[0].key == "Zebra");
  CHECK(by_symbol[1].key == "apple");
  CHECK(std::get<0>(by_symbol[1].values) == 2);
  CHECK(by_symbol[2].key == "fig");
  CHECK(by_symbol[3].key == "pear");
}

TEST_CASE("tumbling: windows closed together are emitted in end order",
          "[window][tumbling][order]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 100s});
  proc.push({2, 1, secs(35)});
  proc.push({1, 1, secs(15)});
  proc.push({3, 1, secs(25)});
  proc.push({1, 1, secs(5)});
  CHECK(out.empty());
  proc.push({9, 1, secs(145)});  // watermark 145 - 100 = 45: closes the four windows at once
  REQUIRE(out.size() == 4);
  CHECK(out[0].start == secs(0));
  CHECK(out[1].start == secs(10));
  CHECK(out[2].start == secs(20));
  CHECK(out[3].start == secs(30));
  proc.flush();
  REQUIRE(out.size() == 5);
  CHECK(out[4].start == secs(140));
}

TEST_CASE("tumbling: the watermark never moves backwards", "[window][tumbling][watermark]") {
  std::vector<sum_count_result> out;
  auto proc = tumbling(out, {.interval = 10s, .allowed_lateness = 0s});
  CHECK_FALSE(proc.stats().watermark.has_value());
  proc.push({1, 1, secs(12)});
  CHECK(proc.stats().watermark == secs(12));
  proc.push({1, 1, secs(11)});
  proc.push({1, 1, secs(3)});  // late, and no effect on the watermark
  CHECK(proc.stats().watermark == secs(12));
  proc.push({1, 1, secs(19)});
  CHECK(proc.stats().watermark == secs(19));
}

TEST_CASE("tumbling: match before the window filters and counts", "[window][tumbling]") {
  std::vector<sum_count_result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::match([](const tick& t) { return t.value > 0; }) | reel::map([](tick t) {
        t.value *= 10;
        return t;
      }) |
      reel::tumbling_window({.interval = 10s}, sum_count_by_key()) | reel::emit_to(out));
  proc.push({1, 1, secs(1)});
  proc.push({1, -1, secs(2)});
  proc.push({1, 2, secs(3)});
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0].values == std::tuple<std::int64_t, std::int64_t>{30, 2});
  CHECK(proc.stats().counters.filtered == 1);
  CHECK(proc.stats().counters.input == 3);
}

TEST_CASE("tumbling: invalid sizes are definition errors", "[window][tumbling][errors]") {
  auto group = reel::group_all(reel::count());
  auto id_of = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const reel::error& e) {
      return e.id();
    }
    return "no error";
  };
  CHECK(id_of([&] { reel::tumbling_window({.interval = 0s}, group); }) ==
        "reel.window.invalid_option");
  CHECK(id_of([&] { reel::tumbling_window({.interval = -1s}, group); }) ==
        "reel.window.invalid_option");
  CHECK(id_of([&] { reel::hopping_window({.interval = 10s, .hop = 0s}, group); }) ==
        "reel.window.invalid_option");
  CHECK(id_of([&] { reel::session_window({.gap = 0s}, &tick::key, group); }) ==
        "reel.window.invalid_option");
  CHECK(id_of([&] { reel::tumbling_window({.interval = 1s}, group); }) == "no error");
}
