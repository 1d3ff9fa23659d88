// SPDX-License-Identifier: Apache-2.0
// A user-written accumulator (any type with state_type, add, merge, result), group_all, and
// group keys of several types.
#include <catch2/catch.hpp>

#include <cstdint>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

/// The example of accumulator.hpp: no spec, no bind, just the four members.
struct sum_of_squares {
  using state_type = double;
  void add(double& s, const trade& t, std::uint64_t) const { s += t.price * t.price; }
  void merge(double& s, const double& o) const { s += o; }
  double result(const double& s) const { return s; }
};

/// A custom accumulator with its own checkpoint format and a non-JSON state.
struct range_acc {
  struct state_type {
    std::int64_t lo = INT64_MAX;
    std::int64_t hi = INT64_MIN;
  };
  void add(state_type& s, const tick& t, std::uint64_t) const {
    s.lo = std::min(s.lo, t.value);
    s.hi = std::max(s.hi, t.value);
  }
  void merge(state_type& s, const state_type& o) const {
    s.lo = std::min(s.lo, o.lo);
    s.hi = std::max(s.hi, o.hi);
  }
  std::int64_t result(const state_type& s) const { return s.hi - s.lo; }
  nlohmann::json save(const state_type& s) const { return {s.lo, s.hi}; }
  state_type load(const nlohmann::json& j) const { return {j.at(0), j.at(1)}; }
};

}  // namespace

TEST_CASE("custom accumulator: used beside built-in ones", "[aggregate][custom]") {
  using result = reel::window_result<std::string, std::tuple<double, std::int64_t>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::tumbling_window({.interval = 1min},
                            reel::group(&trade::symbol, sum_of_squares{}, reel::count())) |
      reel::emit_to(out));
  proc.push({"x", 1.5, 1, secs(1)});
  proc.push({"x", 2.0, 1, secs(2)});
  proc.push({"y", 3.0, 1, secs(3)});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == result{mins(0), mins(1), "x", {6.25, 2}});
  CHECK(out[1] == result{mins(0), mins(1), "y", {9.0, 1}});
}

TEST_CASE("custom accumulator: merged across hopping panes", "[aggregate][custom]") {
  using result = reel::window_result<reel::no_key, std::tuple<double>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::hopping_window({.interval = 2min, .hop = 1min}, reel::group_all(sum_of_squares{})) |
      reel::emit_to(out));
  proc.push({"x", 1.0, 1, secs(30)});  // [-1,1) [0,2)
  proc.push({"x", 2.0, 1, secs(90)});  // [0,2) [1,3)
  proc.flush();
  REQUIRE(out.size() == 3);
  CHECK(std::get<0>(out[0].values) == 1.0);
  CHECK(std::get<0>(out[1].values) == 5.0);
  CHECK(std::get<0>(out[2].values) == 4.0);
}

TEST_CASE("custom accumulator: its save/load carry it through a checkpoint",
          "[aggregate][custom][checkpoint]") {
  using result = reel::window_result<std::int64_t, std::tuple<std::int64_t>>;
  std::vector<result> out;
  auto make = [&] {
    return reel::from<tick>(reel::event_time(&tick::ts)) |
           reel::tumbling_window({.interval = 1min}, reel::group(&tick::key, range_acc{})) |
           reel::emit_to(out);
  };
  std::string bytes;
  {
    auto p = reel::make_processor(make());
    p.push({1, 10, secs(1)});
    p.push({1, -5, secs(2)});
    bytes = p.checkpoint();
  }
  auto q = reel::make_processor(make());
  q.restore(bytes);
  q.push({1, 30, secs(3)});
  q.flush();
  REQUIRE(out.size() == 1);
  CHECK(out[0] == result{mins(0), mins(1), 1, {35}});
}

TEST_CASE("group_all: every event in one group", "[aggregate][group_all]") {
  using result =
      reel::window_result<reel::no_key, std::tuple<std::int64_t, std::int64_t, std::int64_t>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window(
          {.interval = 10s, .allowed_lateness = 0s},
          reel::group_all(reel::count(), reel::sum(&tick::value), reel::max(&tick::key))) |
      reel::emit_to(out));
  proc.push({3, 1, secs(1)});
  proc.push({7, 2, secs(2)});
  proc.push({5, 4, secs(9)});
  proc.push({1, 8, secs(10)});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == result{secs(0), secs(10), {}, {3, 7, 7}});
  CHECK(out[1] == result{secs(10), secs(20), {}, {1, 8, 1}});
  // no_key is a complete, totally ordered key.
  STATIC_REQUIRE(std::totally_ordered<reel::no_key>);
  CHECK(reel::no_key{} == reel::no_key{});
  CHECK_FALSE(reel::no_key{} < reel::no_key{});
  CHECK(reel::no_key{} <= reel::no_key{});
}

TEST_CASE("group: keys from a callable projection", "[aggregate][group]") {
  using result = reel::window_result<bool, std::tuple<std::int64_t>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window(
          {.interval = 10s},
          reel::group([](const tick& t) { return t.value % 2 == 0; }, reel::count())) |
      reel::emit_to(out));
  for (std::int64_t v : {1, 2, 3, 4, 5})
    proc.push({0, v, secs(1)});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0].key == false);
  CHECK(std::get<0>(out[0].values) == 3);
  CHECK(out[1].key == true);
  CHECK(std::get<0>(out[1].values) == 2);
}
