// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §4, watermark, on `reel::watermark_tracker` directly: per-partition max event time,
// processor watermark = min over non-idle partitions, never backwards, all idle -> max seen,
// partition idleness in processing time, removal, save/load.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

TEST_CASE("tracker: one partition, the watermark is the largest event time seen",
          "[watermark][tracker]") {
  reel::watermark_tracker wm;
  CHECK_FALSE(wm.has_watermark());
  CHECK(wm.observe(0, secs(10)));
  CHECK(wm.watermark() == secs(10));
  CHECK_FALSE(wm.observe(0, secs(4)));  // out of order: no movement
  CHECK(wm.watermark() == secs(10));
  CHECK_FALSE(wm.observe(0, secs(10)));
  CHECK(wm.observe(0, secs(12)));
  CHECK(wm.watermark() == secs(12));
  CHECK(wm.partitions().at(0).events == 4);
  CHECK(wm.partitions().at(0).watermark == secs(12));
}

TEST_CASE("tracker: the processor watermark is the minimum over partitions",
          "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.add_partition("p0");
  wm.add_partition("p1");
  wm.observe(0, secs(10));
  CHECK_FALSE(wm.has_watermark());  // p1 has delivered nothing: holds it back
  CHECK(wm.holding_back() == 1u);
  CHECK(wm.observe(1, secs(7)));
  CHECK(wm.watermark() == secs(7));
  CHECK(wm.holding_back() == 1u);
  CHECK(wm.observe(1, secs(20)));
  CHECK(wm.watermark() == secs(10));
  CHECK(wm.holding_back() == 0u);
  CHECK_FALSE(wm.observe(1, secs(25)));  // p0 still holds it at 10
  CHECK(wm.observe(0, secs(30)));
  CHECK(wm.watermark() == secs(25));
  CHECK(wm.max_event_time() == secs(30));
}

TEST_CASE("tracker: partitions are numbered densely on first use", "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.observe(2, secs(5));
  REQUIRE(wm.partitions().size() == 3);
  CHECK(wm.partitions()[0].name == "0");
  CHECK(wm.partitions()[2].name == "2");
  CHECK_FALSE(wm.has_watermark());  // 0 and 1 hold it back
  wm.observe(0, secs(6));
  wm.observe(1, secs(7));
  CHECK(wm.watermark() == secs(5));
}

TEST_CASE("tracker: the watermark never moves backwards", "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.observe(0, secs(100));
  CHECK(wm.watermark() == secs(100));
  // A new partition appears with older data: the minimum is lower, the watermark is not.
  wm.observe(1, secs(50));
  CHECK(wm.watermark() == secs(100));
  wm.observe(1, secs(80));
  CHECK(wm.watermark() == secs(100));
  wm.observe(1, secs(120));
  CHECK(wm.watermark() == secs(100));  // p0 is at 100
  wm.observe(0, secs(110));
  CHECK(wm.watermark() == secs(110));
  CHECK_FALSE(wm.raise(secs(1)));
  CHECK(wm.watermark() == secs(110));
  CHECK(wm.raise(secs(200)));
  CHECK(wm.watermark() == secs(200));
}

TEST_CASE("tracker: an idle partition stops holding the watermark back", "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.set_idle_timeout(10s);
  wm.add_partition("p0", secs(0));
  wm.add_partition("p1", secs(0));
  wm.observe(0, secs(100), secs(1));
  CHECK_FALSE(wm.advance(secs(10) - 1ms));
  CHECK_FALSE(wm.has_watermark());
  CHECK(wm.advance(secs(10)));  // p1: 10 s without data
  CHECK(wm.partitions()[1].idle);
  CHECK_FALSE(wm.partitions()[0].idle);
  CHECK(wm.watermark() == secs(100));
  CHECK(wm.holding_back() == 0u);

  // p1 comes back with older data: it holds the watermark again, but cannot lower it.
  wm.observe(1, secs(50), secs(10) + 1ms);
  CHECK_FALSE(wm.partitions()[1].idle);
  CHECK(wm.holding_back() == 1u);
  CHECK(wm.watermark() == secs(100));
  wm.observe(0, secs(200), secs(10) + 2ms);
  CHECK(wm.watermark() == secs(100));
  wm.observe(1, secs(150), secs(10) + 3ms);
  CHECK(wm.watermark() == secs(150));
}

TEST_CASE("tracker: when every partition is idle the watermark is the largest time seen",
          "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.set_idle_timeout(1min);
  wm.observe(0, secs(100), secs(0));
  wm.observe(1, secs(40), secs(0));
  CHECK(wm.watermark() == secs(100));  // p1 appeared after p0 had set it
  wm.observe(2, secs(300), secs(30));
  wm.observe(1, secs(250), secs(30));
  CHECK(wm.watermark() == secs(100));
  CHECK(wm.advance(secs(60)));  // p0 idle: min(p1 250, p2 300)
  CHECK(wm.watermark() == secs(250));
  CHECK(wm.advance(secs(90)));  // all idle: the largest seen
  CHECK(wm.watermark() == secs(300));
  CHECK_FALSE(wm.holding_back().has_value());
}

TEST_CASE("tracker: without an idle timeout nothing goes idle", "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.observe(0, secs(1), secs(0));
  wm.observe(1, secs(2), secs(0));
  CHECK_FALSE(wm.advance(secs(1'000'000)));
  CHECK_FALSE(wm.partitions()[0].idle);
}

TEST_CASE("tracker: a partition that never delivered starts its idle timer at the first advance",
          "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.set_idle_timeout(10s);
  wm.add_partition("a");  // no processing time known
  wm.add_partition("b");
  wm.observe(0, secs(5), secs(100));
  CHECK_FALSE(wm.advance(secs(100)));  // "b"'s timer starts now
  CHECK_FALSE(wm.advance(secs(110) - 1ms));
  CHECK(wm.advance(secs(110)));
  CHECK(wm.watermark() == secs(5));
}

TEST_CASE("tracker: a removed partition no longer holds the watermark", "[watermark][tracker]") {
  reel::watermark_tracker wm;
  wm.add_partition("p0");
  wm.add_partition("p1");
  wm.observe(0, secs(9));
  CHECK_FALSE(wm.has_watermark());
  wm.remove_partition(1);
  CHECK(wm.watermark() == secs(9));
  CHECK(wm.partitions()[1].name == "p1 (removed)");
  wm.observe(1, secs(1));  // data from a removed partition does not make it hold again
  CHECK(wm.watermark() == secs(9));
  wm.observe(0, secs(12));
  CHECK(wm.watermark() == secs(12));
}

TEST_CASE("tracker: save and load keep watermarks, idleness and timers", "[watermark][tracker]") {
  reel::watermark_tracker a;
  a.set_idle_timeout(10s);
  a.add_partition("p0", secs(0));
  a.add_partition("p1", secs(0));
  a.add_partition("p2", secs(0));
  a.observe(0, secs(100), secs(1));
  a.observe(2, secs(90), secs(5));
  a.advance(secs(10));  // p1 idle
  a.remove_partition(2);
  reel::watermark_tracker b;
  b.set_idle_timeout(10s);
  b.load(a.save());
  CHECK(b.watermark() == a.watermark());
  CHECK(b.holding_back() == a.holding_back());
  CHECK(b.max_event_time() == a.max_event_time());
  REQUIRE(b.partitions().size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& p = a.partitions()[i];
    const auto& q = b.partitions()[i];
    CHECK(p.name == q.name);
    CHECK(p.watermark == q.watermark);
    CHECK(p.last_activity == q.last_activity);
    CHECK(p.idle == q.idle);
    CHECK(p.events == q.events);
  }
  // Both go on identically.
  a.observe(1, secs(95), secs(11));
  b.observe(1, secs(95), secs(11));
  a.advance(secs(30));
  b.advance(secs(30));
  CHECK(a.watermark() == b.watermark());
  CHECK(a.save() == b.save());
}
