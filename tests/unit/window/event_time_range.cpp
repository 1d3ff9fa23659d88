// SPDX-License-Identifier: Apache-2.0
// The valid event-time range (docs/semantics.md, Limits): events at the extremes of int64 go to
// the dead letter handler with reel.event_time.out_of_range and are counted; the first and last
// valid milliseconds are windowed like any other time; window durations beyond the range's span
// are definition errors. Before the range existed, INT64_MAX overflowed in window assignment
// (the watermark moved to year 292278994) and INT64_MIN was counted as in a gap.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace event_time_range {

const reel::timestamp extremes[] = {reel::max_timestamp, reel::min_timestamp,
                                    reel::max_event_time + 1ms, reel::min_event_time - 1ms};

bool out_of_range_letter(const reel::dead_letter<tick>& d) {
  return d.reason.rfind("[reel.event_time.out_of_range] event time ", 0) == 0 &&
         d.missed_window_starts.empty();
}

}  // namespace event_time_range

TEST_CASE("event time range: the bounds are years 0000 to 9999", "[window][event_time]") {
  CHECK(reel::format_iso8601(reel::min_event_time) == "0000-01-01T00:00:00.000Z");
  CHECK(reel::format_iso8601(reel::max_event_time) == "9999-12-31T23:59:59.999Z");
  CHECK(reel::is_valid_event_time(reel::min_event_time));
  CHECK(reel::is_valid_event_time(reel::max_event_time));
  for (reel::timestamp t : event_time_range::extremes)
    CHECK_FALSE(reel::is_valid_event_time(t));
  CHECK(reel::event_time_out_of_range_reason(reel::max_timestamp) ==
        "[reel.event_time.out_of_range] event time +292278994-08-17T07:12:55.807Z is outside the "
        "supported range 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z");
}

TEST_CASE("event time range: tumbling, out-of-range events are dead-lettered and counted",
          "[window][event_time]") {
  std::vector<sum_count_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 1min, .allowed_lateness = 0s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  proc.push({1, 1, reel::min_event_time});
  for (reel::timestamp t : event_time_range::extremes)
    proc.push({1, 100, t});
  proc.push({1, 2, reel::max_event_time});
  proc.flush();

  REQUIRE(dlq.size() == 4);
  for (std::size_t i = 0; i < dlq.size(); ++i) {
    CHECK(event_time_range::out_of_range_letter(dlq[i]));
    CHECK(dlq[i].event_time == event_time_range::extremes[i]);
    CHECK(dlq[i].operator_name == "TumblingWindowOperator");
  }
  const reel::processor_stats s = proc.stats();
  CHECK(s.counters.input == 6);
  CHECK(s.counters.out_of_range == 4);
  CHECK(s.counters.dead_letters == 4);
  CHECK(s.counters.in_gap == 0);
  CHECK(s.counters.late == 0);
  REQUIRE(s.watermark.has_value());
  CHECK(*s.watermark == reel::max_event_time);  // not moved by INT64_MAX

  REQUIRE(out.size() == 2);
  CHECK(out[0] == sum_count_result{reel::min_event_time, reel::min_event_time + 1min, 1, {1, 1}});
  CHECK(out[1] ==
        sum_count_result{reel::max_event_time + 1ms - 1min, reel::max_event_time + 1ms, 1, {2, 1}});
  // input = windowed + out of range
  CHECK(s.counters.input == 2 + s.counters.out_of_range);
}

TEST_CASE("event time range: hopping with an offset, the first and last valid times",
          "[window][event_time]") {
  std::vector<sum_count_result> out;
  std::vector<reel::dead_letter<tick>> dlq;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::hopping_window({.interval = 1h, .hop = 20min, .offset = -7min, .allowed_lateness = 0s},
                           reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  proc.push({1, 1, reel::min_event_time});
  proc.push({1, 1, reel::min_timestamp});
  proc.push({1, 1, reel::max_timestamp});
  proc.push({1, 1, reel::max_event_time});
  proc.flush();
  CHECK(dlq.size() == 2);
  CHECK(proc.stats().counters.out_of_range == 2);
  CHECK(out.size() == 6);  // three windows cover each valid event
  for (const auto& r : out) {
    CHECK(r.start < r.end);
    CHECK(r.end - r.start == 1h);
  }
}

TEST_CASE("event time range: sessions, out-of-range events start no session",
          "[window][event_time]") {
  using session_result = reel::window_result<reel::no_key, std::tuple<std::int64_t>, std::string>;
  std::vector<session_result> out;
  std::vector<reel::dead_letter<visit>> dlq;
  auto proc =
      reel::make_processor(reel::from<visit>(reel::event_time(&visit::ts)) |
                           reel::session_window({.gap = 1h, .allowed_lateness = 0s}, &visit::who,
                                                reel::group_all(reel::count())) |
                           reel::emit_to(out));
  proc.on_dead_letter(dlq_collector<visit>{&dlq});
  proc.push({"b", 1, 1, reel::min_timestamp});
  proc.push({"b", 1, 1, reel::min_event_time});
  proc.push({"a", 1, 1, reel::max_event_time});
  proc.push({"a", 1, 1, reel::max_timestamp});
  proc.flush();
  REQUIRE(dlq.size() == 2);
  CHECK(dlq[0].reason.rfind("[reel.event_time.out_of_range]", 0) == 0);
  CHECK(dlq[0].operator_name == "SessionWindowOperator");
  CHECK(proc.stats().counters.out_of_range == 2);
  REQUIRE(out.size() == 2);
  CHECK(out[0].start == reel::min_event_time);
  CHECK(out[0].end == reel::min_event_time + 1h);
  CHECK(out[1].start == reel::max_event_time);
  CHECK(out[1].end == reel::max_event_time + 1h);
}

TEST_CASE("event time range: without a dead letter handler the events are still counted",
          "[window][event_time]") {
  std::vector<sum_count_result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 1s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
  std::vector<tick> batch = {{1, 1, secs(1)}, {1, 1, reel::max_timestamp}, {1, 1, secs(1)}};
  proc.push_batch(batch);
  proc.flush();
  CHECK(proc.stats().counters.out_of_range == 1);
  CHECK(proc.stats().counters.dead_letters == 0);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == sum_count_result{secs(1), secs(2), 1, {2, 2}});
}

TEST_CASE("event time range: window durations are bounded by the range's span",
          "[window][event_time]") {
  const reel::duration too_long = reel::max_window_duration + 1ms;
  const reel::sliced_spec longest{reel::max_window_duration, 1min};
  CHECK_NOTHROW(longest.validate());
  const reel::sliced_spec long_interval{too_long, 1min};
  CHECK_THROWS_WITH(long_interval.validate(),
                    "[reel.window.invalid_option] interval must be at most 3652425 days (10000 "
                    "years)");
  const reel::sliced_spec long_hop{1min, too_long};
  CHECK_THROWS_WITH(long_hop.validate(),
                    "[reel.window.invalid_option] hopSize must be at most 3652425 days (10000 "
                    "years)");
  const reel::sliced_spec long_offset{1min, 1min, -too_long};
  CHECK_THROWS_WITH(
      long_offset.validate(),
      "[reel.window.invalid_option] offset must be at most 3652425 days (10000 years) either way");
  const auto lateness = [&] { reel::close_policy{too_long}.validate(); };
  CHECK_THROWS_WITH(lateness(),
                    "[reel.window.invalid_option] allowedLateness must be at most 3652425 days "
                    "(10000 years)");
  const auto idle = [&] { reel::close_policy{0ms, too_long}.validate(); };
  CHECK_THROWS_WITH(idle(),
                    "[reel.window.invalid_option] idleTimeout must be at most 3652425 days "
                    "(10000 years)");
  const auto make = [&] {
    std::vector<count_all_result> out;
    (void)reel::make_processor(
        reel::from<tick>(reel::event_time(&tick::ts)) |
        reel::tumbling_window({.interval = too_long}, reel::group_all(reel::count())) |
        reel::emit_to(out));
  };
  CHECK_THROWS_WITH(make(), Catch::Contains("interval must be at most"));
}

TEST_CASE("event time range: explain at an extreme time is an error, not a wrapped window",
          "[window][event_time]") {
  std::vector<count_all_result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 1min, .offset = 30s}, reel::group_all(reel::count())) |
      reel::emit_to(out));
  CHECK_THROWS_WITH(proc.explain(reel::min_timestamp), Catch::Contains("[reel.time.overflow]"));
  CHECK(proc.explain(reel::max_event_time).window.bounds.end ==
        reel::max_event_time + 1ms - 30s + 1min);
}
