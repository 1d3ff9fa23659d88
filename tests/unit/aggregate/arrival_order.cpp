// SPDX-License-Identifier: Apache-2.0
// first, last, push and top_n's tie-break follow arrival order, also when a hopping window
// combines several panes and when sessions merge: partial states are combined by arrival
// sequence, not by pane or session order.
#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

using arrival_result = reel::window_result<
    std::int64_t,
    std::tuple<std::int64_t, std::int64_t, std::vector<std::int64_t>, std::vector<std::int64_t>>>;

auto arrival_group() {
  return reel::group(&tick::key, reel::first(&tick::value), reel::last(&tick::value),
                     reel::push(&tick::value), reel::top_n(2, &tick::key, &tick::value));
}

}  // namespace

TEST_CASE("arrival order across hopping panes", "[aggregate][first_last][hopping]") {
  std::vector<arrival_result> out;
  // interval 30 s, hop 10 s: panes of 10 s; window [0,30) combines three panes.
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::hopping_window({.interval = 30s, .hop = 10s, .allowed_lateness = 1h}, arrival_group()) |
      reel::emit_to(out));
  proc.push({0, 1, secs(25)});  // pane [20,30)
  proc.push({0, 2, secs(5)});   // pane [0,10)
  proc.push({0, 3, secs(15)});  // pane [10,20)
  proc.push({0, 4, secs(6)});   // pane [0,10)
  proc.push({0, 5, secs(24)});  // pane [20,30)
  proc.flush();
  REQUIRE(out.size() == 5);
  using v = std::vector<std::int64_t>;
  // All keys are 0: top_n(2) by key keeps the two earliest arrivals.
  CHECK(out[0] == arrival_result{secs(-20), secs(10), 0, {2, 4, v{2, 4}, v{2, 4}}});
  CHECK(out[1] == arrival_result{secs(-10), secs(20), 0, {2, 4, v{2, 3, 4}, v{2, 3}}});
  CHECK(out[2] == arrival_result{secs(0), secs(30), 0, {1, 5, v{1, 2, 3, 4, 5}, v{1, 2}}});
  CHECK(out[3] == arrival_result{secs(10), secs(40), 0, {1, 5, v{1, 3, 5}, v{1, 3}}});
  CHECK(out[4] == arrival_result{secs(20), secs(50), 0, {1, 5, v{1, 5}, v{1, 5}}});
}

TEST_CASE("arrival order across session merges", "[aggregate][first_last][session]") {
  using result = reel::window_result<
      std::int64_t, std::tuple<std::int64_t, std::int64_t, std::vector<std::int64_t>>, std::string>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<visit>(reel::event_time(&visit::ts)) |
      reel::session_window({.gap = 10s, .allowed_lateness = 1h}, &visit::who,
                           reel::group(&visit::key, reel::first(&visit::value),
                                       reel::last(&visit::value), reel::push(&visit::value))) |
      reel::emit_to(out));
  proc.push({"u", 0, 1, secs(20)});  // [20, 30)
  proc.push({"u", 0, 2, secs(0)});   // [0, 10)
  proc.push({"u", 0, 3, secs(5)});   // [0, 15)
  proc.push({"u", 0, 4, secs(12)});  // bridges: [0, 30)
  proc.push({"u", 0, 5, secs(1)});
  proc.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0] == result{secs(0), secs(30), 0, {1, 5, {1, 2, 3, 4, 5}}, "u"});
}

TEST_CASE("arrival order survives a checkpoint", "[aggregate][first_last][checkpoint]") {
  std::vector<arrival_result> a, b;
  auto make = [](std::vector<arrival_result>& out) {
    return reel::from<tick>(reel::event_time(&tick::ts)) |
           reel::hopping_window({.interval = 30s, .hop = 10s, .allowed_lateness = 1h},
                                arrival_group()) |
           reel::emit_to(out);
  };
  const std::vector<tick> events{
      {0, 1, secs(25)}, {0, 2, secs(5)}, {0, 3, secs(15)}, {0, 4, secs(6)}, {0, 5, secs(24)}};
  auto whole = reel::make_processor(make(a));
  for (const tick& t : events)
    whole.push(t);
  whole.flush();
  std::string bytes;
  {
    auto first_half = reel::make_processor(make(b));
    for (std::size_t i = 0; i < 3; ++i)
      first_half.push(events[i]);
    bytes = first_half.checkpoint();
  }
  auto second_half = reel::make_processor(make(b));
  second_half.restore(bytes);
  for (std::size_t i = 3; i < events.size(); ++i)
    second_half.push(events[i]);
  second_half.flush();
  CHECK(a == b);
}
