// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, sessions: join when first - gap < t < last + gap (strict), extension at both
// ends, merging by a bridging event, the late rule (no open session and
// t + gap <= watermark - allowedLateness), and closing order (end, start, partition key).
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

using session_result =
    reel::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>, std::string>;

template <class Out>
auto sessions(Out& out, reel::session_options options) {
  return reel::make_processor(
      reel::from<visit>(reel::event_time(&visit::ts)) |
      reel::session_window(options, &visit::who,
                           reel::group(&visit::key, reel::sum(&visit::value), reel::count())) |
      reel::emit_to(out));
}

}  // namespace

TEST_CASE("session: events within the gap extend a session, exactly gap apart they do not",
          "[window][session]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 1h});
  proc.push({"a", 1, 1, secs(100)});         // [100, 110)
  proc.push({"a", 1, 2, secs(105)});         // joins: [100, 115)
  proc.push({"a", 1, 4, secs(115)});         // 115 < last + gap = 115 is false: new [115, 125)
  proc.push({"a", 1, 8, secs(90)});          // first - gap = 90 < 90 is false: new [90, 100)
  proc.push({"a", 1, 16, secs(125) - 1ms});  // 124.999 < 115 + 10: extends to [115, 134.999)
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(out[0] == session_result{secs(90), secs(100), 1, {8, 1}, "a"});
  CHECK(out[1] == session_result{secs(100), secs(115), 1, {3, 2}, "a"});
  CHECK(out[2] == session_result{secs(115), secs(135) - 1ms, 1, {20, 2}, "a"});
}

TEST_CASE("session: an earlier event within the gap moves the session start back",
          "[window][session]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 1h});
  proc.push({"a", 1, 1, secs(100)});
  proc.push({"a", 1, 2, secs(91)});  // 90 < 91: joins, session [91, 110)
  proc.push({"a", 1, 4, secs(82)});  // 81 < 82 < 101: joins, session [82, 110)
  auto w = proc.explain(std::string("a"), secs(95));
  REQUIRE(w);
  CHECK(w->window.bounds == reel::window_bounds{secs(82), secs(110)});
  CHECK(w->window.events == 3);
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0] == session_result{secs(82), secs(110), 1, {7, 3}, "a"});
}

TEST_CASE("session: an event that bridges two sessions merges them", "[window][session]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 1h});
  proc.push({"a", 1, 1, secs(0)});   // [0, 10)
  proc.push({"a", 2, 2, secs(15)});  // [15, 25)
  CHECK(proc.stats().open_windows == 2);
  proc.push({"a", 1, 4, secs(8)});  // joins [0,10) (8 < 10) and [15,25) (5 < 8): merged [0, 25)
  CHECK(proc.stats().open_windows == 1);
  proc.flush();
  REQUIRE(out.size() == 2);  // one session, two group keys
  CHECK(out[0] == session_result{secs(0), secs(25), 1, {5, 2}, "a"});
  CHECK(out[1] == session_result{secs(0), secs(25), 2, {2, 1}, "a"});
}

TEST_CASE("session: a bridging event closes a chain of three sessions into one",
          "[window][session]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 1h});
  proc.push({"a", 1, 1, secs(0)});   // [0, 10)
  proc.push({"a", 1, 2, secs(18)});  // [18, 28)
  proc.push({"a", 1, 4, secs(36)});  // [36, 46)
  CHECK(proc.stats().open_windows == 3);
  proc.push({"a", 1, 8, secs(9)});  // 9 < 10 and 8 < 9: bridges into [0, 28)
  CHECK(proc.stats().open_windows == 2);
  proc.push({"a", 1, 16, secs(27)});  // 27 < 28 and 26 < 27: bridges into [0, 46)
  CHECK(proc.stats().open_windows == 1);
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0] == session_result{secs(0), secs(46), 1, {31, 5}, "a"});
}

TEST_CASE("session: partition keys have separate sessions", "[window][session]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 1h});
  proc.push({"a", 1, 1, secs(0)});
  proc.push({"b", 1, 2, secs(5)});  // would join "a"'s session, but "b" is another partition
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == session_result{secs(0), secs(10), 1, {1, 1}, "a"});
  CHECK(out[1] == session_result{secs(5), secs(15), 1, {2, 1}, "b"});
}

TEST_CASE("session: a session closes when watermark - allowedLateness reaches last + gap",
          "[window][session][lateness]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 5s});
  proc.push({"a", 1, 1, secs(100)});
  proc.push({"a", 1, 2, secs(104)});  // [100, 114)
  proc.push({"b", 1, 4, secs(119) - 1ms});
  CHECK(out.empty());
  proc.push({"b", 1, 4, secs(119)});  // 119 - 5 = 114: closes "a"
  REQUIRE(out.size() == 1);
  CHECK(out[0] == session_result{secs(100), secs(114), 1, {3, 2}, "a"});
}

TEST_CASE("session: late only when no open session fits and t + gap <= watermark - lateness",
          "[window][session][late]") {
  // DESIGN.md deliberately differs from Atlas's stricter rule (any event older than the
  // watermark without an open session is late): an event that opens a session which is not yet
  // closable is kept.
  std::vector<session_result> out;
  std::vector<reel::dead_letter<visit>> dlq;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 5s});
  proc.on_dead_letter(dlq_collector<visit>{&dlq});
  proc.push({"a", 1, 1, secs(100)});
  proc.push({"b", 1, 2, secs(200)});  // bound 195: "a" [100,110) closes
  REQUIRE(out.size() == 1);

  proc.push({"a", 1, 4, secs(185)});  // 185 + 10 = 195 <= 195: late
  REQUIRE(dlq.size() == 1);
  CHECK(dlq[0].missed_window_starts == std::vector<reel::timestamp>{secs(185)});
  CHECK(dlq[0].operator_name == "SessionWindowOperator");
  CHECK(dlq[0].reason == reel::late_event_reason);

  proc.push({"a", 1, 8, secs(185) + 1ms});  // 195.001 > 195: opens [185.001, 195.001)
  CHECK(dlq.size() == 1);

  proc.push({"b", 1, 16, secs(190)});  // 190 - not > 200 - 10: new session [190, 200)
  proc.push({"b", 1, 32, secs(181)});  // joins [190,200) (180 < 181) although 191 <= 195
  CHECK(dlq.size() == 1);
  CHECK(proc.stats().counters.late == 1);

  proc.flush();
  REQUIRE(out.size() == 4);
  CHECK(out[1] == session_result{secs(185) + 1ms, secs(195) + 1ms, 1, {8, 1}, "a"});
  CHECK(out[2] == session_result{secs(181), secs(200), 1, {48, 2}, "b"});
  CHECK(out[3] == session_result{secs(200), secs(210), 1, {2, 1}, "b"});
}

TEST_CASE("session: sessions closing together come in (end, start, partition key) order",
          "[window][session][order]") {
  std::vector<session_result> out;
  auto proc = sessions(out, {.gap = 10s, .allowed_lateness = 0s});
  // Nothing closes while these arrive: the watermark stays at 5 s (bound 5 s).
  proc.push({"d", 1, 1, secs(5)});   // [5, 15)
  proc.push({"c", 2, 1, secs(0)});   // [0, 10)
  proc.push({"c", 1, 1, secs(0)});   // same session, another group key
  proc.push({"a", 1, 1, secs(0)});   // [0, 10)
  proc.push({"b", 1, 1, secs(-5)});  // no open session and -5 + 10 <= 5: late
  CHECK(proc.stats().counters.late == 1);
  proc.push({"b", 1, 1, secs(-4)});  // [-4, 6)
  proc.push({"b", 1, 1, secs(0)});   // joins: [-4, 10)
  CHECK(out.empty());
  proc.push({"z", 1, 1, secs(100)});  // bound 100: everything but "z" closes in one go
  REQUIRE(out.size() == 5);
  CHECK((out[0].partition == "b" && out[0].start == secs(-4) && out[0].end == secs(10)));
  CHECK((out[1].partition == "a" && out[1].start == secs(0) && out[1].end == secs(10)));
  CHECK((out[2].partition == "c" && out[2].key == 1));  // keys ascending within a session
  CHECK((out[3].partition == "c" && out[3].key == 2));
  CHECK((out[4].partition == "d" && out[4].start == secs(5) && out[4].end == secs(15)));
  proc.flush();
  REQUIRE(out.size() == 6);
  CHECK(out[5].partition == "z");
}

TEST_CASE("session: group_all inside sessions, and explain for an unknown key",
          "[window][session]") {
  std::vector<reel::window_result<reel::no_key, std::tuple<std::int64_t>, std::string>> out;
  auto proc = reel::make_processor(
      reel::from<visit>(reel::event_time(&visit::ts)) |
      reel::session_window({.gap = 1min}, &visit::who, reel::group_all(reel::count())) |
      reel::emit_to(out));
  proc.push({"x", 1, 1, mins(1)});
  proc.push({"x", 2, 1, mins(1) + 30s});
  CHECK_FALSE(proc.explain(std::string("nobody"), mins(1)).has_value());
  CHECK_FALSE(proc.explain(std::string("x"), mins(10)).has_value());
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0].start == mins(1));
  CHECK(out[0].end == mins(2) + 30s);
  CHECK(std::get<0>(out[0].values) == 2);
}
