// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, partitionIdleTimeout through the processor: with four partitions and one of
// them silent, windows never close without the timeout and do close with it; stats() names the
// partition that holds the watermark back; a partition that comes back cannot move the
// watermark backwards.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

template <class Out>
auto minute_windows(Out& out, reel::manual_clock& clock, std::optional<reel::duration> idle) {
  return reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
          reel::tumbling_window({.interval = 1min, .allowed_lateness = 0s},
                                reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
          reel::emit_to(out),
      {.clock = &clock, .partition_idle_timeout = idle});
}

/// p0..p2 deliver; p3 stays silent. Event times 10:00:xx and 10:01:0x, processing time 10:00:xx.
template <class Proc>
void feed_three_of_four(Proc& proc, reel::manual_clock& clock) {
  for (int p = 0; p < 4; ++p)
    proc.add_partition("p" + std::to_string(p));
  const reel::timestamp ten = hm(10, 0);
  for (int p = 0; p < 3; ++p) {
    clock.set(ten + std::chrono::seconds(10 * (p + 1)));
    proc.push({p, 1, ten + std::chrono::seconds(10 * (p + 1))}, static_cast<reel::partition_id>(p));
  }
  clock.set(ten + 40s);
  proc.push({0, 1, ten + 65s}, 0);
  proc.push({1, 1, ten + 62s}, 1);
  proc.push({2, 1, ten + 68s}, 2);
}

}  // namespace

TEST_CASE("partition idle: a silent partition holds every window open without the timeout",
          "[watermark][partition_idle]") {
  std::vector<sum_count_result> out;
  reel::manual_clock clock{hm(10, 0)};
  auto proc = minute_windows(out, clock, std::nullopt);
  feed_three_of_four(proc, clock);
  for (int h = 10; h <= 23; ++h) {
    clock.set(hm(h, 30));
    proc.advance();
  }
  CHECK(out.empty());
  const auto s = proc.stats();
  CHECK_FALSE(s.watermark.has_value());
  CHECK(s.watermark_held_by == "p3");
  REQUIRE(s.partitions.size() == 4);
  CHECK(s.partitions[0].watermark == hm(10, 0) + 65s);
  CHECK(s.partitions[1].watermark == hm(10, 0) + 62s);
  CHECK(s.partitions[2].watermark == hm(10, 0) + 68s);
  CHECK(s.partitions[3].watermark == reel::min_timestamp);
  CHECK(s.partitions[3].events == 0);
  CHECK_FALSE(s.partitions[3].idle);
  CHECK(s.open_windows == 2);
  const auto r = proc.explain(hm(10, 0));
  CHECK(r.watermark_held_by == "p3");
  CHECK_FALSE(r.watermark.has_value());
}

TEST_CASE("partition idle: with partitionIdleTimeout the silent partition stops holding it back",
          "[watermark][partition_idle]") {
  std::vector<sum_count_result> out;
  reel::manual_clock clock{hm(10, 0)};
  auto proc = minute_windows(out, clock, 1min);
  feed_three_of_four(proc, clock);  // p3 declared at 10:00:00
  clock.set(hm(10, 1) - 1ms);
  proc.advance();
  CHECK(out.empty());
  CHECK(proc.stats().watermark_held_by == "p3");
  clock.set(hm(10, 1));
  proc.advance();  // p3 idle; p0..p2 delivered at 10:00:40 and are not
  const auto s = proc.stats();
  CHECK(s.partitions[3].idle);
  CHECK_FALSE(s.partitions[0].idle);
  CHECK(s.watermark == hm(10, 0) + 62s);  // min of p0..p2
  CHECK(s.watermark_held_by == "p1");
  REQUIRE(out.size() == 3);  // [10:00, 10:01) closed: keys 0, 1, 2
  for (std::int64_t k = 0; k < 3; ++k)
    CHECK(out[static_cast<std::size_t>(k)] == sum_count_result{hm(10, 0), hm(10, 1), k, {1, 1}});

  // p3 wakes up with old data: it holds the watermark again but cannot lower it, and its
  // event for the closed window is late.
  std::vector<reel::dead_letter<tick>> dlq;
  proc.on_dead_letter(dlq_collector<tick>{&dlq});
  clock.set(hm(10, 1) + 1s);
  proc.push({3, 1, hm(10, 0) + 30s}, 3);
  CHECK(dlq.size() == 1);
  CHECK(dlq[0].partition == 3);
  CHECK_FALSE(proc.stats().partitions[3].idle);
  CHECK(proc.stats().watermark == hm(10, 0) + 62s);
  CHECK(proc.stats().watermark_held_by == "p3");
}

TEST_CASE("partition idle: every partition idle lets the largest event time through",
          "[watermark][partition_idle]") {
  std::vector<sum_count_result> out;
  reel::manual_clock clock{hm(10, 0)};
  auto proc = minute_windows(out, clock, 1min);
  feed_three_of_four(proc, clock);  // last deliveries at 10:00:40
  clock.set(hm(10, 1) + 40s);
  proc.advance();
  CHECK(proc.stats().watermark == hm(10, 0) + 68s);
  CHECK_FALSE(proc.stats().watermark_held_by.has_value());
  CHECK(out.size() == 3);
}

TEST_CASE("partition idle: partitions that were never declared are created on first push",
          "[watermark][partition_idle]") {
  std::vector<sum_count_result> out;
  reel::manual_clock clock{hm(10, 0)};
  auto proc = minute_windows(out, clock, std::nullopt);
  proc.push({0, 1, hm(10, 0)}, 0);
  proc.push({0, 1, hm(10, 2)}, 0);
  CHECK(out.size() == 1);                      // one partition so far: watermark 10:02
  proc.push({0, 1, hm(10, 2)}, 2);             // partitions 1 and 2 appear; 1 holds at "none"...
  CHECK(proc.stats().watermark == hm(10, 2));  // ...but the watermark never goes back
  CHECK(proc.stats().watermark_held_by == "1");
  proc.push({0, 1, hm(10, 5)}, 0);
  CHECK(out.size() == 1);  // held by partition 1
  proc.push({0, 1, hm(10, 4)}, 1);
  CHECK(proc.stats().watermark == hm(10, 2));  // min(10:05, 10:04, 10:02)
  proc.push({0, 1, hm(10, 6)}, 2);
  CHECK(proc.stats().watermark == hm(10, 4));
  CHECK(out.size() == 2);  // [10:02, 10:03) closed
}
