// SPDX-License-Identifier: Apache-2.0
// Checkpoints with every accumulator, cut at every possible point, and rejection of bytes that
// are not a checkpoint of this pipeline (`reel.checkpoint.invalid`).
#include <catch2/catch.hpp>

#include <random>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace {

auto every_accumulator() {
  return reel::group(&trade::symbol, reel::sum(&trade::qty), reel::sum(&trade::price),
                     reel::count(), reel::avg(&trade::price), reel::min(&trade::price),
                     reel::max(&trade::symbol), reel::first(&trade::qty), reel::last(&trade::qty),
                     reel::push(&trade::price), reel::add_to_set(&trade::qty),
                     reel::std_dev_pop(&trade::price), reel::std_dev_samp(&trade::price),
                     reel::top_n(2, &trade::price, &trade::qty), reel::bottom_n(2, &trade::qty),
                     reel::median(&trade::price), reel::percentile(0.9, &trade::qty));
}

std::vector<trade> trade_stream() {
  std::mt19937_64 rng(42);
  std::vector<trade> out;
  const char* symbols[] = {"A", "B", "C"};
  std::int64_t t = 0;
  for (int i = 0; i < 60; ++i) {
    t += std::uniform_int_distribution<std::int64_t>(0, 700)(rng);
    out.push_back(
        {symbols[std::uniform_int_distribution<int>(0, 2)(rng)],
         std::uniform_int_distribution<int>(1, 4000)(rng) / 16.0,
         std::uniform_int_distribution<std::int64_t>(-5, 50)(rng),
         reel::from_millis(t - std::uniform_int_distribution<std::int64_t>(0, 3000)(rng))});
  }
  return out;
}

/// Runs `events` through `make()`, checkpointing and restoring into a fresh processor after
/// `cut` events (none when cut is npos), and returns everything emitted and dead-lettered.
template <class Make, class Result>
std::size_t run_with_cut(Make make, const std::vector<trade>& events, std::size_t cut,
                         std::vector<Result>& out) {
  using processor_type = decltype(reel::make_processor(make(out)));
  std::optional<processor_type> p;
  p.emplace(make(out));
  std::size_t dead = 0;
  p->on_dead_letter([&dead](const reel::dead_letter<trade>&) { ++dead; });
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i == cut) {
      const std::string bytes = p->checkpoint();
      p.reset();
      p.emplace(make(out));
      p->on_dead_letter([&dead](const reel::dead_letter<trade>&) { ++dead; });
      p->restore(bytes);
    }
    p->push(events[i], static_cast<reel::partition_id>(i % 2));
  }
  p->flush();
  return dead;
}

}  // namespace

TEST_CASE("checkpoint: every accumulator, every cut point, all three window kinds",
          "[processor][checkpoint]") {
  const auto events = trade_stream();
  auto check = [&](auto make, auto result_tag) {
    using result = decltype(result_tag);
    std::vector<result> whole;
    const std::size_t whole_dead = run_with_cut(make, events, static_cast<std::size_t>(-1), whole);
    REQUIRE(whole.size() > 3);
    for (std::size_t cut = 0; cut <= events.size(); ++cut) {
      std::vector<result> resumed;
      const std::size_t dead = run_with_cut(make, events, cut, resumed);
      INFO("cut after " << cut << " events");
      REQUIRE(dead == whole_dead);
      REQUIRE(resumed == whole);  // exact, doubles included
    }
    return whole_dead;
  };
  auto tumbling = [](auto& out) {
    return reel::from<trade>(reel::event_time(&trade::ts)) |
           reel::tumbling_window({.interval = 5s, .allowed_lateness = 1s}, every_accumulator()) |
           reel::emit_to(out);
  };
  auto hopping = [](auto& out) {
    return reel::from<trade>(reel::event_time(&trade::ts)) |
           reel::hopping_window(
               {.interval = 6s, .hop = 2s, .offset = -1s, .allowed_lateness = 500ms},
               every_accumulator()) |
           reel::emit_to(out);
  };
  auto sessions = [](auto& out) {
    return reel::from<trade>(reel::event_time(&trade::ts)) |
           reel::session_window(
               {.gap = 1500ms, .allowed_lateness = 1s}, [](const trade& t) { return t.qty % 3; },
               every_accumulator()) |
           reel::emit_to(out);
  };
  using values = typename decltype(every_accumulator().bind<trade>())::result_type;
  using sliced_result = reel::window_result<std::string, values>;
  using session_result = reel::window_result<std::string, values, std::int64_t>;
  const std::size_t late_tumbling = check(tumbling, sliced_result{});
  const std::size_t late_hopping = check(hopping, sliced_result{});
  const std::size_t late_sessions = check(sessions, session_result{});
  CHECK(late_tumbling + late_hopping + late_sessions > 0);  // the stream exercises lateness
}

TEST_CASE("checkpoint: corrupt or foreign bytes are rejected with reel.checkpoint.invalid",
          "[processor][checkpoint][errors]") {
  std::vector<sum_count_result> out;
  auto make = [&] {
    return reel::make_processor(
        reel::from<tick>(reel::event_time(&tick::ts)) |
        reel::tumbling_window({.interval = 10s},
                              reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
        reel::emit_to(out));
  };
  auto source = make();
  source.push({1, 2, secs(3)});
  const std::string good = source.checkpoint();

  auto id_of = [&](std::string_view bytes) -> std::string {
    auto p = make();
    try {
      p.restore(bytes);
    } catch (const reel::error& e) {
      return e.id();
    }
    return "restored";
  };
  CHECK(id_of(good) == "restored");
  CHECK(id_of("") == "reel.checkpoint.invalid");
  CHECK(id_of("not a checkpoint") == "reel.checkpoint.invalid");
  CHECK(id_of(std::string("\x00\x01\x02\xff\xfe", 5)) == "reel.checkpoint.invalid");
  CHECK(id_of(good.substr(0, good.size() / 2)) == "reel.checkpoint.invalid");  // truncated
  CHECK(id_of(good + "trailing") == "reel.checkpoint.invalid");

  auto msgpack = [](const nlohmann::json& j) {
    const auto bytes = nlohmann::json::to_msgpack(j);
    return std::string(bytes.begin(), bytes.end());
  };
  CHECK(id_of(msgpack({1, 2, 3})) == "reel.checkpoint.invalid");
  CHECK(id_of(msgpack({{"format", "something.else"}, {"version", 1}})) ==
        "reel.checkpoint.invalid");
  CHECK(id_of(msgpack({{"format", "reel.checkpoint"}, {"version", 999}})) ==
        "reel.checkpoint.invalid");
  CHECK(id_of(msgpack({{"format", "reel.checkpoint"}, {"version", reel::checkpoint_version}})) ==
        "reel.checkpoint.invalid");  // well-formed header, no state
  nlohmann::json tampered = nlohmann::json::from_msgpack(good);
  tampered["window"]["windows"]["panes"] = "garbage";
  CHECK(id_of(msgpack(tampered)) == "reel.checkpoint.invalid");
  tampered = nlohmann::json::from_msgpack(good);
  tampered["seq"] = "seven";
  CHECK(id_of(msgpack(tampered)) == "reel.checkpoint.invalid");

  // A checkpoint of another kind of pipeline (a session window) is foreign.
  std::vector<reel::window_result<std::int64_t, std::tuple<std::int64_t>, std::int64_t>> s_out;
  auto sessions = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::session_window({.gap = 10s}, &tick::key, reel::group(&tick::key, reel::count())) |
      reel::emit_to(s_out));
  sessions.push({1, 2, secs(3)});
  CHECK(id_of(sessions.checkpoint()) == "reel.checkpoint.invalid");

  try {
    auto p = make();
    p.restore("nope");
    FAIL("no error");
  } catch (const reel::error& e) {
    CHECK(std::string(e.what()).rfind("[reel.checkpoint.invalid]", 0) == 0);
  }
}

TEST_CASE("checkpoint: a processor without a window checkpoints its counters",
          "[processor][checkpoint]") {
  std::vector<tick> out;
  auto make = [&] {
    return reel::make_processor(reel::from<tick>(reel::event_time(&tick::ts)) |
                                reel::match([](const tick& t) { return t.value > 0; }) |
                                reel::emit_to(out));
  };
  auto p = make();
  p.push({1, 1, secs(1)});
  p.push({1, -1, secs(2)});
  auto q = make();
  q.restore(p.checkpoint());
  CHECK(q.stats().counters.input == 2);
  CHECK(q.stats().counters.filtered == 1);
  CHECK(q.stats().counters.output == 1);
}
