// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

TEST_CASE("tumbling sum closes at watermark - lateness >= end", "[window][tumbling]") {
  using result = reel::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 10s, .allowed_lateness = 2s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
  proc.push({1, 5, secs(1)});
  proc.push({2, 7, secs(3)});
  proc.push({1, 1, secs(9)});
  proc.push({1, 100, secs(11)});
  CHECK(out.empty());
  proc.push({1, 1, secs(12) - 1ms});  // watermark 11.999: bound 9.999 < 10
  CHECK(out.empty());
  proc.push({1, 1, secs(12)});  // bound 10 >= end 10: closes
  REQUIRE(out.size() == 2);
  CHECK(out[0] == result{secs(0), secs(10), 1, {6, 2}});
  CHECK(out[1] == result{secs(0), secs(10), 2, {7, 1}});
  std::vector<reel::dead_letter<tick>> dlq;
  proc.on_dead_letter([&](const reel::dead_letter<tick>& d) { dlq.push_back(d); });
  proc.push({3, 1, secs(9)});
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0].missed_window_starts == std::vector<reel::timestamp>{secs(0)});
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(out[2] == result{secs(10), secs(20), 1, {102, 3}});
  CHECK(proc.stats().counters.late == 1);
}
