// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/connector/sample_source.hpp: determinism, bounds, seeking, record
// times, options through the registry, and rate pacing on a manual clock (no sleeping).
#include "reel/connector/sample_source.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "error_of.hpp"

#include "reel/connector/defaults.hpp"

using document = nlohmann::ordered_json;
using namespace std::chrono_literals;

namespace {

std::vector<document> docs_of(const std::vector<reel::source_message>& msgs) {
  std::vector<document> out;
  for (const auto& m : msgs)
    out.push_back(*m.document);
  return out;
}

using reel_test::error_of;

}  // namespace

TEST_CASE("sample sources wrap the generators, bounded by count", "[connector][samples]") {
  reel::sample_source_options bounded;
  bounded.count = 5;
  reel::movie_ticket_source source(reel::samples::movie_ticket_generator(7), bounded);
  CHECK(source.type() == "generated");
  std::vector<reel::source_message> out;
  CHECK(source.poll(out, 3) == reel::poll_status::ready);
  CHECK(source.poll(out, 3) == reel::poll_status::ready);
  CHECK(source.poll(out, 3) == reel::poll_status::end_of_input);
  REQUIRE(out.size() == 5);

  reel::samples::movie_ticket_generator g(7);
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(*out[i].document == g.next());
    CHECK(out[i].position == i);
    if (auto t = reel::parse_iso8601((*out[i].document)["ts"].get<std::string>())) {
      CHECK(out[i].record_time == t);
    } else {
      CHECK_FALSE(out[i].record_time.has_value());
    }
  }
  CHECK(source.positions() == 5);
}

TEST_CASE("sample sources: seek regenerates from the seed", "[connector][samples]") {
  reel::solar_source a(reel::samples::solar_generator(3));
  std::vector<reel::source_message> first;
  a.poll(first, 25);
  REQUIRE(first.size() == 25);
  CHECK(first[0].record_time ==
        reel::parse_iso8601((*first[0].document)["timestamp"].get<std::string>()));

  reel::solar_source b(reel::samples::solar_generator(3));
  b.seek(document(20));
  std::vector<reel::source_message> rest;
  b.poll(rest, 5);
  REQUIRE(rest.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(*rest[i].document == *first[20 + i].document);
    CHECK(rest[i].position == 20 + i);
  }
}

TEST_CASE("sample sources: rate pacing on a manual clock", "[connector][samples]") {
  reel::manual_clock clock(reel::from_millis(1'000'000));
  std::vector<reel::duration> waits;
  reel::sample_source_options o;
  o.rate = 4;  // one every 250 ms
  o.clock = &clock;
  o.sleep = [&](reel::duration d) { waits.push_back(d); };  // records, does not move the clock
  o.max_wait = 1s;
  reel::movie_ticket_source source(reel::samples::movie_ticket_generator(1), o);

  std::vector<reel::source_message> out;
  CHECK(source.poll(out, 100) == reel::poll_status::ready);  // the first one is due at once
  CHECK(out.size() == 1);
  CHECK(source.poll(out, 100) == reel::poll_status::idle);  // the next is due in 250 ms
  CHECK(waits == std::vector<reel::duration>{250ms});
  clock.advance(249ms);
  CHECK(source.poll(out, 100) == reel::poll_status::idle);
  CHECK(waits.back() == 1ms);
  clock.advance(1ms);
  CHECK(source.poll(out, 100) == reel::poll_status::ready);
  CHECK(out.size() == 2);
  clock.advance(1000ms);  // four more are due; a batch takes at most what is due
  CHECK(source.poll(out, 3) == reel::poll_status::ready);
  CHECK(out.size() == 5);
  CHECK(source.poll(out, 100) == reel::poll_status::ready);
  CHECK(out.size() == 6);
  CHECK(source.poll(out, 100) == reel::poll_status::idle);

  SECTION("a sleep that advances the clock paces without idling") {
    reel::manual_clock c2;
    reel::sample_source_options o2;
    o2.rate = 10;
    o2.clock = &c2;
    o2.sleep = [&](reel::duration d) { c2.advance(d); };
    reel::solar_source paced(reel::samples::solar_generator(), o2);
    std::vector<reel::source_message> got;
    for (int i = 0; i < 30; ++i)
      CHECK(paced.poll(got, 1) == reel::poll_status::ready);
    CHECK(got.size() == 30);
    CHECK(c2.now() == reel::timestamp{} + 2900ms);  // 30 documents at 10/s: the last at 2.9 s
  }
  SECTION("max_wait bounds one wait") {
    reel::manual_clock c3;
    reel::sample_source_options o3;
    o3.rate = 0.5;
    o3.clock = &c3;
    std::vector<reel::duration> w3;
    o3.sleep = [&](reel::duration d) { w3.push_back(d); };
    reel::solar_source slow(reel::samples::solar_generator(), o3);
    std::vector<reel::source_message> got;
    slow.poll(got, 10);
    CHECK(slow.poll(got, 10) == reel::poll_status::idle);
    CHECK(w3 == std::vector<reel::duration>{100ms});
  }
}

TEST_CASE("sample connection options from the definition and $source.config",
          "[connector][samples]") {
  reel::connection_registry r = reel::default_connections();
  r.load_connections(document::parse(R"({
      "few_tickets": {"type": "sample_movie_tickets", "count": 4, "seed": 9,
                      "lateFraction": 0, "malformedFraction": 0, "start": "2024-01-01T00:00:00Z"}})"),
                     "connections.json");
  auto drain = [](reel::source& s) {
    std::vector<reel::source_message> all;
    while (s.poll(all, 100) != reel::poll_status::end_of_input) {
    }
    return all;
  };
  auto s = r.make_source("few_tickets", {{"connectionName", "few_tickets"}});
  const auto four = drain(*s);
  REQUIRE(four.size() == 4);
  reel::samples::movie_ticket_generator expected(9, *reel::parse_iso8601("2024-01-01T00:00:00Z"),
                                                 {.late_fraction = 0, .malformed_fraction = 0});
  for (const auto& m : four)
    CHECK(*m.document == expected.next());

  // The stage's config wins over the definition.
  auto s2 =
      r.make_source("few_tickets", {{"connectionName", "few_tickets"}, {"config", {{"count", 2}}}});
  CHECK(drain(*s2).size() == 2);
  auto solar = r.make_source("sample_stream_solar", {{"config", {{"count", 3}, {"seed", 5}}}});
  const auto three = drain(*solar);
  REQUIRE(three.size() == 3);
  reel::samples::solar_generator g(5);
  CHECK(docs_of(three) == std::vector<document>{g.next(), g.next(), g.next()});

  CHECK(
      error_of([&] {
        (void)r.make_source("sample_stream_solar", {{"config", {{"count", -1}}}},
                            "/0/$source/connectionName");
      }) ==
      "[reel.connection.invalid] at /0/$source/config/count: count must be a non-negative integer");
  CHECK(
      error_of([&] {
        (void)r.make_source("sample_movie_tickets", {{"config", {{"lateFraction", 2}}}},
                            "/0/$source/connectionName");
      }) ==
      "[reel.connection.invalid] at /0/$source/config/lateFraction: lateFraction must be a number "
      "between 0 and 1");
  CHECK(error_of([&] {
          (void)r.make_source("sample_stream_solar", {{"config", {{"rate", "fast"}}}},
                              "/0/$source/connectionName");
        }) ==
        "[reel.connection.invalid] at /0/$source/config/rate: rate must be a non-negative number");
  CHECK(error_of([&] {
          (void)r.make_source("sample_stream_solar", {{"config", {{"start", "yesterday"}}}},
                              "/0/$source/connectionName");
        }) ==
        "[reel.connection.invalid] at /0/$source/config/start: start must be an ISO-8601 date or "
        "\"now\"");
  CHECK(error_of([&] {
          (void)r.make_source("sample_stream_solar", {{"config", {{"lateFraction", 0.1}}}},
                              "/0/$source/connectionName");
        }) ==
        "[reel.pipeline.unknown_option] at /0/$source/config/lateFraction: unknown option "
        "'lateFraction' of $source.config for connection type 'sample_stream_solar'");
}
