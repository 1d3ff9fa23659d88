// SPDX-License-Identifier: Apache-2.0
// Every accumulator of the typed API with exact expected values, computed through the bound
// aggregation as a window computes it (`make_state`, `add` in arrival order, `result`) and, for
// the combinable ones, through `merge`; a few also inside a real window (one tumbling window,
// flushed) to show the window gives what the aggregation gives. (Each accumulator inside its own
// window made this the suite's slowest file to compile: a whole processor per accumulator type.)
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

/// Adds `events` in order to one state of `group_all(spec)` and returns the single value.
template <class Spec, class Event>
auto accumulate(Spec spec, const std::vector<Event>& events) {
  const auto aggregation = reel::group_all(spec).template bind<Event>();
  auto state = aggregation.make_state();
  std::uint64_t seq = 0;
  for (const Event& e : events)
    aggregation.add(state, e, seq++);
  return std::get<0>(aggregation.result(state));
}

/// Runs `events` through one tumbling hour with `group_all(spec)` and returns the single value.
template <class Spec, class Event>
auto over_window(Spec spec, const std::vector<Event>& events) {
  using aggregation = decltype(reel::group_all(spec).template bind<Event>());
  using value_type = std::tuple_element_t<0, typename aggregation::result_type>;
  std::vector<value_type> out;
  auto proc = reel::make_processor(
      reel::from<Event>(reel::event_time(&Event::ts)) |
      reel::tumbling_window({.interval = 1h}, reel::group_all(spec)) |
      reel::emit([&out](const auto& r) { out.push_back(std::get<0>(r.values)); }));
  for (const Event& e : events)
    proc.push(e);
  proc.flush();
  REQUIRE(out.size() == 1);
  return out.front();
}

std::vector<tick> ticks(std::initializer_list<std::int64_t> values) {
  std::vector<tick> out;
  std::int64_t i = 0;
  for (std::int64_t v : values)
    out.push_back({i, v, secs(i++)});
  return out;
}

std::vector<trade> trades(std::initializer_list<double> prices) {
  std::vector<trade> out;
  std::int64_t i = 0;
  for (double p : prices) {
    out.push_back({"s" + std::to_string(i), p, i, secs(i)});
    ++i;
  }
  return out;
}

struct small {
  std::int32_t i32;
  float f;
  std::uint8_t u8;
  reel::timestamp ts;
};

}  // namespace

TEST_CASE("sum: integers sum exactly as 64-bit integers", "[aggregate][sum]") {
  CHECK(accumulate(reel::sum(&tick::value), ticks({5, -3, 1'000'000'000'000, 7})) ==
        1'000'000'000'009);
  STATIC_REQUIRE(
      std::is_same_v<decltype(accumulate(reel::sum(&tick::value), ticks({}))), std::int64_t>);
  // Narrow integer fields widen to int64; no overflow at the field's width.
  std::vector<small> s{{2'000'000'000, 0.5f, 200, secs(0)}, {2'000'000'000, 0.25f, 100, secs(1)}};
  CHECK(accumulate(reel::sum(&small::i32), s) == 4'000'000'000);
  CHECK(accumulate(reel::sum(&small::u8), s) == 300);
  STATIC_REQUIRE(std::is_same_v<decltype(accumulate(reel::sum(&small::i32), s)), std::int64_t>);
}

TEST_CASE("sum: integers wrap on 64-bit overflow (typed path)", "[aggregate][sum]") {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  CHECK(accumulate(reel::sum(&tick::value), ticks({big, 1})) ==
        std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("sum: floating-point values sum as double", "[aggregate][sum]") {
  CHECK(accumulate(reel::sum(&trade::price), trades({0.5, 0.25, 0.125, 2.0})) == 2.875);
  std::vector<small> s{{1, 0.5f, 0, secs(0)}, {2, 0.25f, 0, secs(1)}};
  CHECK(accumulate(reel::sum(&small::f), s) == 0.75);
  STATIC_REQUIRE(std::is_same_v<decltype(accumulate(reel::sum(&small::f), s)), double>);
}

TEST_CASE("sum: a callable projection", "[aggregate][sum]") {
  CHECK(accumulate(reel::sum([](const tick& t) { return t.value * t.value; }), ticks({1, 2, 3})) ==
        14);
}

TEST_CASE("count: the number of events", "[aggregate][count]") {
  CHECK(accumulate(reel::count(), ticks({9, 9, 9, 9, 9})) == 5);
  CHECK(accumulate(reel::count(), ticks({1})) == 1);
}

TEST_CASE("avg: the arithmetic mean as double", "[aggregate][avg]") {
  CHECK(accumulate(reel::avg(&tick::value), ticks({1, 2, 4})) == 7.0 / 3.0);
  CHECK(accumulate(reel::avg(&tick::value), ticks({-4, 4})) == 0.0);
  CHECK(accumulate(reel::avg(&trade::price), trades({0.5, 1.5})) == 1.0);
  STATIC_REQUIRE(std::is_same_v<decltype(accumulate(reel::avg(&tick::value), ticks({}))), double>);
}

TEST_CASE("min and max: numbers, strings and timestamps", "[aggregate][min_max]") {
  CHECK(accumulate(reel::min(&tick::value), ticks({4, -7, 12, -7, 3})) == -7);
  CHECK(accumulate(reel::max(&tick::value), ticks({4, -7, 12, -7, 3})) == 12);
  std::vector<trade> t{{"pear", 1, 0, secs(0)}, {"apple", 2, 0, secs(5)}, {"zoo", 3, 0, secs(1)}};
  CHECK(accumulate(reel::min(&trade::symbol), t) == "apple");
  CHECK(accumulate(reel::max(&trade::symbol), t) == "zoo");
  CHECK(accumulate(reel::min(&trade::ts), t) == secs(0));
  CHECK(accumulate(reel::max(&trade::ts), t) == secs(5));
  CHECK(accumulate(reel::max(&trade::price), t) == 3.0);
}

TEST_CASE("first and last: arrival order, not event-time order", "[aggregate][first_last]") {
  std::vector<tick> t{{0, 1, secs(5)}, {0, 2, secs(2)}, {0, 3, secs(8)}, {0, 4, secs(1)}};
  CHECK(accumulate(reel::first(&tick::value), t) == 1);
  CHECK(accumulate(reel::last(&tick::value), t) == 4);
  std::vector<trade> s{{"b", 1, 0, secs(3)}, {"a", 1, 0, secs(1)}};
  CHECK(accumulate(reel::first(&trade::symbol), s) == "b");
  CHECK(accumulate(reel::last(&trade::symbol), s) == "a");
}

TEST_CASE("push: every value in arrival order, add_to_set: distinct values ascending",
          "[aggregate][push]") {
  std::vector<tick> t{{0, 3, secs(5)}, {0, 1, secs(2)}, {0, 3, secs(8)}, {0, 2, secs(1)}};
  CHECK(accumulate(reel::push(&tick::value), t) == std::vector<std::int64_t>{3, 1, 3, 2});
  CHECK(accumulate(reel::add_to_set(&tick::value), t) == std::vector<std::int64_t>{1, 2, 3});
  std::vector<trade> s{{"b", 1, 0, secs(3)}, {"a", 1, 0, secs(1)}, {"b", 1, 0, secs(2)}};
  CHECK(accumulate(reel::push(&trade::symbol), s) == std::vector<std::string>{"b", "a", "b"});
  CHECK(accumulate(reel::add_to_set(&trade::symbol), s) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("std_dev_pop and std_dev_samp", "[aggregate][std_dev]") {
  // {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, sum of squared deviations 32.
  const auto values = ticks({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(accumulate(reel::std_dev_pop(&tick::value), values) == Approx(2.0).epsilon(1e-12));
  CHECK(accumulate(reel::std_dev_samp(&tick::value), values) ==
        Approx(std::sqrt(32.0 / 7.0)).epsilon(1e-12));
  // Values whose mean and deviations are exact in binary: exact results.
  CHECK(accumulate(reel::std_dev_pop(&tick::value), ticks({1, 3})) == 1.0);
  CHECK(accumulate(reel::std_dev_samp(&tick::value), ticks({1, 3, 5})) == 2.0);
  CHECK(accumulate(reel::std_dev_pop(&tick::value), ticks({7, 7, 7})) == 0.0);
  // Fewer than two values: the sample deviation is 0 (MongoDB gives null).
  CHECK(accumulate(reel::std_dev_samp(&tick::value), ticks({42})) == 0.0);
  CHECK(accumulate(reel::std_dev_pop(&tick::value), ticks({42})) == 0.0);
}

TEST_CASE("std_dev: merging partial moments equals adding one by one", "[aggregate][std_dev]") {
  reel::moments all, left, right;
  for (double x : {2.0, 4.0, 4.0, 4.0})
    left.add(x);
  for (double x : {5.0, 5.0, 7.0, 9.0})
    right.add(x);
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0})
    all.add(x);
  reel::moments merged = left;
  merged.merge(right);
  CHECK(merged.n == 8);
  CHECK(merged.mean == 5.0);
  CHECK(merged.m2 == Approx(32.0).epsilon(1e-12));
  CHECK(all.m2 == Approx(32.0).epsilon(1e-12));
  reel::moments empty;
  empty.merge(left);
  CHECK(empty.n == 4);
  left.merge(reel::moments{});
  CHECK(left.n == 4);
}

TEST_CASE("top_n and bottom_n: best first, ties to the earlier arrival", "[aggregate][top_n]") {
  std::vector<trade> t{{"a", 5, 0, secs(0)}, {"b", 9, 0, secs(1)}, {"c", 1, 0, secs(2)},
                       {"d", 9, 0, secs(3)}, {"e", 7, 0, secs(4)}, {"f", 1, 0, secs(5)}};
  CHECK(accumulate(reel::top_n(2, &trade::price, &trade::symbol), t) ==
        std::vector<std::string>{"b", "d"});
  CHECK(accumulate(reel::top_n(3, &trade::price, &trade::symbol), t) ==
        std::vector<std::string>{"b", "d", "e"});
  CHECK(accumulate(reel::bottom_n(3, &trade::price, &trade::symbol), t) ==
        std::vector<std::string>{"c", "f", "a"});
  CHECK(accumulate(reel::top_n(2, &trade::price), t) == std::vector<double>{9, 9});
  CHECK(accumulate(reel::bottom_n(10, &trade::price), t) ==
        std::vector<double>{1, 1, 5, 7, 9, 9});  // fewer than n: all of them
}

TEST_CASE("median and percentile: exact nearest rank", "[aggregate][percentile]") {
  CHECK(accumulate(reel::median(&tick::value), ticks({5, 1, 4, 2, 3})) == 3.0);
  CHECK(accumulate(reel::median(&tick::value), ticks({4, 1, 3, 2})) == 2.0);  // rank ceil(2)
  const auto ten = ticks({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  CHECK(accumulate(reel::percentile(0.9, &tick::value), ten) == 9.0);
  CHECK(accumulate(reel::percentile(0.95, &tick::value), ten) == 10.0);  // rank ceil(9.5)
  CHECK(accumulate(reel::percentile(0.0, &tick::value), ten) == 1.0);
  CHECK(accumulate(reel::percentile(1.0, &tick::value), ten) == 10.0);
  CHECK(accumulate(reel::percentile(0.5, &trade::price), trades({0.5, 0.25, 8.0})) == 0.5);
  try {
    (void)reel::percentile(1.5, &tick::value);
    FAIL("no error");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.aggregate.invalid_percentile");
  }
  CHECK_THROWS_AS(reel::percentile(-0.1, &tick::value), reel::error);
  CHECK_THROWS_AS(reel::percentile(std::nan(""), &tick::value), reel::error);
}

TEST_CASE("several accumulators in one group, results in the order given", "[aggregate][group]") {
  using result = reel::window_result<
      std::string, std::tuple<std::int64_t, double, double, std::int64_t, std::vector<double>>>;
  std::vector<result> out;
  auto proc = reel::make_processor(
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::tumbling_window({.interval = 1min},
                            reel::group(&trade::symbol, reel::count(), reel::sum(&trade::price),
                                        reel::avg(&trade::price), reel::sum(&trade::qty),
                                        reel::push(&trade::price))) |
      reel::emit_to(out));
  proc.push({"MDB", 10.5, 3, secs(1)});
  proc.push({"ACME", 1.0, 1, secs(2)});
  proc.push({"MDB", 11.5, 2, secs(3)});
  proc.flush();
  REQUIRE(out.size() == 2);
  CHECK(out[0] == result{mins(0), mins(1), "ACME", {1, 1.0, 1.0, 1, {1.0}}});
  CHECK(out[1] == result{mins(0), mins(1), "MDB", {2, 22.0, 11.0, 5, {10.5, 11.5}}});
}

TEST_CASE("accumulators merge partial states exactly (bound API)", "[aggregate][merge]") {
  const tick a{0, 4, secs(0)}, b{0, -2, secs(1)}, c{0, 9, secs(2)};
  auto check = [&](auto spec, auto expected) {
    const auto acc = spec.template bind<tick>();
    using state = typename decltype(acc)::state_type;
    state left{}, right{};
    acc.add(left, a, 0);
    acc.add(right, b, 1);
    acc.add(right, c, 2);
    state merged = right;  // merge in the "wrong" order: seq keeps arrival order
    acc.merge(merged, left);
    CHECK(acc.result(merged) == expected);
  };
  check(reel::sum(&tick::value), std::int64_t{11});
  check(reel::count(), std::int64_t{3});
  check(reel::min(&tick::value), std::int64_t{-2});
  check(reel::max(&tick::value), std::int64_t{9});
  check(reel::first(&tick::value), std::int64_t{4});
  check(reel::last(&tick::value), std::int64_t{9});
  check(reel::push(&tick::value), std::vector<std::int64_t>{4, -2, 9});
  check(reel::add_to_set(&tick::value), std::vector<std::int64_t>{-2, 4, 9});
  check(reel::avg(&tick::value), 11.0 / 3.0);
  check(reel::top_n(2, &tick::value), std::vector<std::int64_t>{9, 4});
  check(reel::bottom_n(2, &tick::value), std::vector<std::int64_t>{-2, 4});
  check(reel::median(&tick::value), 4.0);
}

TEST_CASE("inside a real window accumulators give what the aggregation gives",
          "[aggregate][window]") {
  const std::vector<tick> values = ticks({4, -7, 12, -7, 3});
  CHECK(over_window(reel::sum(&tick::value), values) ==
        accumulate(reel::sum(&tick::value), values));
  CHECK(over_window(reel::avg(&tick::value), values) ==
        accumulate(reel::avg(&tick::value), values));
  CHECK(over_window(reel::push(&tick::value), values) ==
        accumulate(reel::push(&tick::value), values));
  CHECK(over_window(reel::last(&tick::value), values) == 3);
  const std::vector<trade> t = trades({3.0, 9.0, 1.0, 9.0});
  CHECK(over_window(reel::top_n(2, &trade::price, &trade::symbol), t) ==
        accumulate(reel::top_n(2, &trade::price, &trade::symbol), t));
  CHECK(over_window(reel::percentile(0.5, &trade::price), t) ==
        accumulate(reel::percentile(0.5, &trade::price), t));
}
