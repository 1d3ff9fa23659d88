// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, processing-time windows (`reel::processing_time`): events are stamped with the
// clock at arrival, windows close when the clock passes their end (at an arrival or on
// `advance()`), nothing is ever late, idleTimeout is a definition error.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

TEST_CASE("processing time: events take the clock's time and windows close as it passes end",
          "[window][processing_time]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{at(500)};
  auto proc =
      reel::make_processor(reel::from<tick>() |
                               reel::tumbling_window(reel::processing_time, {.interval = 1s},
                                                     reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  proc.push({1, 1, secs(1000)});  // the event's own ts plays no part
  clock.set(at(999));
  proc.push({1, 1, secs(-5)});
  CHECK(out.empty());
  clock.set(at(1000));
  proc.push({1, 1, secs(0)});  // [1 s, 2 s); the clock at 1 s closes [0, 1 s)
  REQUIRE(out.size() == 1);
  CHECK(out[0] == count_all_result{secs(0), secs(1), {}, {2}});
  clock.set(at(1999));
  proc.advance();
  CHECK(out.size() == 1);
  clock.set(at(2000));
  proc.advance();
  REQUIRE(out.size() == 2);
  CHECK(out[1] == count_all_result{secs(1), secs(2), {}, {1}});
  CHECK(proc.stats().watermark == secs(2));
}

TEST_CASE("processing time: a source with event time is ignored by a processing-time window",
          "[window][processing_time]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{secs(10)};
  auto proc =
      reel::make_processor(reel::from<tick>(reel::event_time(&tick::ts)) |
                               reel::tumbling_window(reel::processing_time, {.interval = 1s},
                                                     reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  proc.push({1, 1, iso("2000-01-01T00:00:00Z")});
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0].start == secs(10));
}

TEST_CASE("processing time: nothing is ever late", "[window][processing_time][late]") {
  std::vector<count_all_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  reel::manual_clock clock{secs(0)};
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
          reel::hopping_window(reel::processing_time, {.interval = 2s, .hop = 1s},
                               reel::group_all(reel::count())) |
          reel::emit_to(out),
      {.clock = &clock});
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  for (int i = 0; i < 50; ++i) {
    clock.advance(137ms);
    proc.push({1, 1, secs(-1000 * i)});  // event times going ever further back
    if (i % 7 == 0) proc.advance();
  }
  proc.flush();
  CHECK(dlq.empty());
  CHECK(proc.stats().counters.late == 0);
  CHECK(proc.stats().counters.partially_late == 0);
  std::int64_t total = 0;
  for (const auto& r : out)
    total += std::get<0>(r.values);
  CHECK(total == 2 * 50);  // every event is in two windows
}

TEST_CASE("processing time: hopping windows close as the clock passes each end",
          "[window][processing_time][hopping]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{at(500)};
  auto proc = reel::make_processor(
      reel::from<tick>() |
          reel::hopping_window(reel::processing_time, {.interval = 2s, .hop = 1s},
                               reel::group_all(reel::count())) |
          reel::emit_to(out),
      {.clock = &clock});
  proc.push({1, 1, {}});  // [-1 s, 1 s) and [0, 2 s)
  clock.set(at(1000));
  proc.advance();
  REQUIRE(out.size() == 1);
  CHECK(out[0].start == secs(-1));
  clock.set(at(2000));
  proc.advance();
  REQUIRE(out.size() == 2);
  CHECK(out[1].start == secs(0));
}

TEST_CASE("processing time: sessions", "[window][processing_time][session]") {
  std::vector<reel::window_result<reel::no_key, std::tuple<std::int64_t>, std::string>> out;
  reel::manual_clock clock{secs(0)};
  auto proc =
      reel::make_processor(reel::from<visit>() |
                               reel::session_window(reel::processing_time, {.gap = 1s}, &visit::who,
                                                    reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  proc.push({"a", 1, 1, {}});
  clock.set(at(500));
  proc.push({"a", 1, 1, {}});  // session [0, 1.5 s)
  clock.set(at(1499));
  proc.advance();
  CHECK(out.empty());
  clock.set(at(1500));
  proc.advance();
  REQUIRE(out.size() == 1);
  CHECK(out[0].start == secs(0));
  CHECK(out[0].end == at(1500));
  CHECK(std::get<0>(out[0].values) == 2);
}

TEST_CASE("processing time: idleTimeout and allowedLateness are definition errors",
          "[window][processing_time]") {
  auto id_of = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const reel::error& e) {
      return e.id();
    }
    return "no error";
  };
  auto g = reel::group_all(reel::count());
  CHECK(id_of([&] {
          (void)reel::tumbling_window(reel::processing_time, {.interval = 1s, .idle_timeout = 1min},
                                      g);
        }) == "reel.window.invalid_option");
  CHECK(id_of([&] {
          (void)reel::hopping_window(reel::processing_time,
                                     {.interval = 2s, .hop = 1s, .idle_timeout = 1min}, g);
        }) == "reel.window.invalid_option");
  CHECK(id_of([&] {
          (void)reel::session_window(reel::processing_time, {.gap = 1s, .idle_timeout = 1min},
                                     &visit::who, g);
        }) == "reel.window.invalid_option");
  // An explicit lateness, even 0, is refused: it would never apply.
  CHECK(id_of([&] {
          (void)reel::tumbling_window(reel::processing_time,
                                      {.interval = 1s, .allowed_lateness = 0s}, g);
        }) == "reel.window.invalid_option");
  CHECK(id_of([&] {
          (void)reel::hopping_window(reel::processing_time,
                                     {.interval = 2s, .hop = 1s, .allowed_lateness = 1s}, g);
        }) == "reel.window.invalid_option");
  CHECK(id_of([&] {
          (void)reel::session_window(reel::processing_time, {.gap = 1s, .allowed_lateness = 1s},
                                     &visit::who, g);
        }) == "reel.window.invalid_option");
  try {
    (void)reel::tumbling_window(reel::processing_time, {.interval = 1s, .allowed_lateness = 0s}, g);
  } catch (const reel::error& e) {
    CHECK(std::string(e.what()).find("allowedLateness cannot be used with processing-time "
                                     "windows") != std::string::npos);
  }
}

// Regression: with a second partition that had delivered nothing, the watermark of a
// processing-time window only moved on advance(), so an arrival after a window's end did not
// close it (it did with one partition).
TEST_CASE("processing time: with several partitions, an arrival after the end closes the window",
          "[window][processing_time][partitions][regression]") {
  std::vector<count_all_result> out;
  reel::manual_clock clock{at(500)};
  auto proc =
      reel::make_processor(reel::from<tick>() |
                               reel::tumbling_window(reel::processing_time, {.interval = 1s},
                                                     reel::group_all(reel::count())) |
                               reel::emit_to(out),
                           {.clock = &clock});
  proc.add_partition("a");
  proc.add_partition("b");  // never delivers: processing time does not wait for partitions
  proc.push({1, 1, {}}, 0);
  clock.set(at(1500));
  proc.push({1, 1, {}}, 0);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == count_all_result{secs(0), secs(1), {}, {1}});
  CHECK(proc.stats().watermark == at(1500));
}
