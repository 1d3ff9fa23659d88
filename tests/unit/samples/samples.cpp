// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/connector/samples.hpp.
#include "reel/connector/samples.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

using reel::samples::document;
using reel::samples::movie_ticket_generator;
using reel::samples::movie_ticket_options;
using reel::samples::solar_generator;

namespace {

/// FNV-1a 64 over the compact text of the first `n` documents, one per line.
template <class Generator>
std::uint64_t checksum(Generator& g, int n) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto feed = [&h](const std::string& s) {
    for (const unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  for (int i = 0; i < n; ++i) {
    feed(g.next().dump());
    feed("\n");
  }
  return h;
}

std::int64_t millis_of(const std::string& iso) {
  const auto t = reel::parse_iso8601(iso);
  REQUIRE(t.has_value());
  return reel::to_millis(*t);
}

/// A ticket a `$validate` would reject: no movie, a non-numeric amount, or a `ts` that is no date.
bool is_malformed(const document& t) {
  return !t.contains("movie") || !t["amountPaid"].is_number() || !t["ts"].is_string() ||
         !reel::parse_iso8601(t["ts"].get<std::string>()).has_value();
}

}  // namespace

TEST_CASE("connection names", "[samples]") {
  CHECK(reel::samples::solar_connection_name == "sample_stream_solar");
  CHECK(reel::samples::movie_tickets_connection_name == "sample_movie_tickets");
  CHECK(solar_generator::connection_name == "sample_stream_solar");
  CHECK(movie_ticket_generator::connection_name == "sample_movie_tickets");
  CHECK(reel::samples::connection_names.size() == 2);
}

TEST_CASE("the PRNG is xoshiro256** seeded by splitmix64", "[samples][prng]") {
  // Reference values: splitmix64 from 0 and xoshiro256** from splitmix64(0)-seeded state.
  std::uint64_t state = 0;
  CHECK(reel::samples::detail::splitmix64(state) == 0xE220A8397B1DCDAFULL);
  CHECK(reel::samples::detail::splitmix64(state) == 0x6E789E6AA1B965F4ULL);
  reel::samples::detail::prng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    (void)c.next();
  }
  CHECK(a.next() != c.next());
  for (int i = 0; i < 1000; ++i) {
    const auto v = a.between(-3, 3);
    CHECK((v >= -3 && v <= 3));
    const double u = a.unit();
    CHECK((u >= 0.0 && u < 1.0));
  }
}

TEST_CASE("solar: first documents with the default seed", "[samples][solar]") {
  solar_generator g;
  CHECK(g.next().dump() ==
        R"({"device_id":"device_1","group_id":4,"timestamp":"2024-08-12T21:41:00.048+00:00",)"
        R"("max_watts":450,"event_type":0,"obs":{"watts":172,"temp":23}})");
  CHECK(g.next().dump() ==
        R"({"device_id":"device_2","group_id":9,"timestamp":"2024-08-12T21:41:00.262+00:00",)"
        R"("max_watts":400,"event_type":0,"obs":{"watts":289,"temp":16}})");
  CHECK(g.next().dump() ==
        R"({"device_id":"device_0","group_id":2,"timestamp":"2024-08-12T21:41:00.490+00:00",)"
        R"("max_watts":350,"event_type":0,"obs":{"watts":151,"temp":11}})");
  CHECK(g.produced() == 3);
}

TEST_CASE("solar: deterministic per seed", "[samples][solar]") {
  solar_generator a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const std::string x = a.next().dump();
    CHECK(x == b.next().dump());
    differs = differs || x != c.next().dump();
  }
  CHECK(differs);
  solar_generator golden;
  CHECK(checksum(golden, 1000) == 0xc1557739dd4e39c8ULL);
  // The start time moves every timestamp and nothing else.
  solar_generator shifted(42, solar_generator::default_start + std::chrono::hours(24));
  const document d = shifted.next();
  CHECK(d["timestamp"] == "2024-08-13T21:41:00.048+00:00");
  CHECK(d["obs"]["watts"] == 172);
}

TEST_CASE("solar: shape and plausibility", "[samples][solar]") {
  solar_generator g(7);
  std::map<std::string, std::int64_t> last_time;
  std::map<std::string, std::pair<int, int>> fixed;  // device → group, max_watts
  int faults = 0;
  const int n = 10'000;
  for (int i = 0; i < n; ++i) {
    const document d = g.next();
    INFO(d.dump());
    REQUIRE(d.size() == 6);
    auto it = d.begin();
    CHECK((it++).key() == "device_id");
    CHECK((it++).key() == "group_id");
    CHECK((it++).key() == "timestamp");
    CHECK((it++).key() == "max_watts");
    CHECK((it++).key() == "event_type");
    CHECK((it++).key() == "obs");
    const std::string device = d["device_id"];
    CHECK(device.rfind("device_", 0) == 0);
    CHECK(device.size() == 8);
    const std::string ts = d["timestamp"];
    CHECK(ts.size() == 29);
    CHECK(ts.substr(23) == "+00:00");
    const std::int64_t t = millis_of(ts);
    if (last_time.count(device)) {
      const std::int64_t gap = t - last_time[device];
      CHECK((gap >= 900 && gap <= 1100));  // about a second, with jitter
    }
    last_time[device] = t;
    const int group = d["group_id"];
    const int max_watts = d["max_watts"];
    CHECK((group >= 0 && group <= 9));
    CHECK((max_watts >= 250 && max_watts <= 450));
    if (fixed.count(device)) {
      CHECK(fixed[device] == std::make_pair(group, max_watts));
    }
    fixed[device] = {group, max_watts};
    const int temp = d["obs"]["temp"];
    CHECK((temp >= 5 && temp <= 35));
    if (d["event_type"] == 1) {
      ++faults;
      CHECK_FALSE(d["obs"].contains("watts"));
    } else {
      CHECK(d["event_type"] == 0);
      const int watts = d["obs"]["watts"];
      CHECK((watts >= 0 && watts <= max_watts));
    }
  }
  CHECK(last_time.size() == 10);
  CHECK(faults > n / 100);  // about one in 50
  CHECK(faults < n * 35 / 1000);
}

TEST_CASE("movie tickets: first documents with the default seed", "[samples][tickets]") {
  movie_ticket_generator g;
  CHECK(g.next().dump() ==
        R"({"movie":"Dune","amountPaid":12.5,"ticketCount":1,"customer":"c-009",)"
        R"("ts":"2024-06-01T20:00:00.878Z"})");
  CHECK(g.next().dump() ==
        R"({"movie":"Dune","amountPaid":25.0,"ticketCount":2,"customer":"c-007",)"
        R"("ts":"2024-06-01T20:00:00.405Z"})");
  CHECK(g.next().dump() ==
        R"({"movie":"Oppenheimer","amountPaid":27.0,"ticketCount":2,"customer":"c-010",)"
        R"("ts":"2024-06-01T20:00:01.095Z"})");
}

TEST_CASE("movie tickets: deterministic per seed", "[samples][tickets]") {
  movie_ticket_generator a(5), b(5), c(6);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const std::string x = a.next().dump();
    CHECK(x == b.next().dump());
    differs = differs || x != c.next().dump();
  }
  CHECK(differs);
  movie_ticket_generator golden;
  CHECK(checksum(golden, 1000) == 0x08679f420f76c001ULL);
}

TEST_CASE("movie tickets: late and malformed shares, bounded disorder", "[samples][tickets]") {
  movie_ticket_generator g(99);
  const int n = 20'000;
  int late = 0, malformed = 0;
  int missing_movie = 0, spelled_amount = 0, bad_ts = 0;
  std::int64_t max_seen = reel::to_millis(movie_ticket_generator::default_start);
  std::map<std::string, double> price;
  std::set<std::string> customers;
  for (int i = 0; i < n; ++i) {
    const document t = g.next();
    INFO(t.dump());
    customers.insert(t["customer"].get<std::string>());
    const int count = t["ticketCount"];
    CHECK((count >= 1 && count <= 6));
    if (is_malformed(t)) {
      ++malformed;
      missing_movie += !t.contains("movie");
      spelled_amount += t["amountPaid"].is_string();
      bad_ts += !reel::parse_iso8601(t["ts"].get<std::string>()).has_value();
      continue;
    }
    // The price of one ticket is fixed per movie.
    const double each = t["amountPaid"].get<double>() / count;
    const auto [it, inserted] = price.emplace(t["movie"].get<std::string>(), each);
    CHECK(it->second == each);
    const std::int64_t ts = millis_of(t["ts"]);
    const std::int64_t behind = max_seen - ts;
    if (behind > 60'000) {
      ++late;
      CHECK(behind >= 119'000);
      CHECK(behind <= 303'000);
    } else {
      CHECK(behind <= 3'000);  // on-time tickets are at most max_jitter_ms out of order
    }
    max_seen = std::max(max_seen, ts);
  }
  // Defaults: 1 in 50 late, 1 in 40 malformed.
  CHECK(late > n * 16 / 1000);
  CHECK(late < n * 24 / 1000);
  CHECK(malformed > n * 21 / 1000);
  CHECK(malformed < n * 29 / 1000);
  CHECK(missing_movie > 0);
  CHECK(spelled_amount > 0);
  CHECK(bad_ts > 0);
  CHECK(missing_movie + spelled_amount + bad_ts == malformed);
  CHECK(price.size() == 6);
  CHECK(customers.size() == 20);
  CHECK(*customers.begin() == "c-000");
  CHECK(*customers.rbegin() == "c-019");
  // Event time moves forward about 250 ms a ticket.
  const std::int64_t span = max_seen - reel::to_millis(movie_ticket_generator::default_start);
  CHECK(span >= (n - 1) * 250);
  CHECK(span <= (n - 1) * 250 + 3'000);
}

TEST_CASE("movie tickets: options", "[samples][tickets]") {
  SECTION("no late, no malformed") {
    movie_ticket_generator g(1, movie_ticket_generator::default_start,
                             {.late_fraction = 0, .malformed_fraction = 0});
    std::int64_t max_seen = 0;
    for (int i = 0; i < 5000; ++i) {
      const document t = g.next();
      REQUIRE_FALSE(is_malformed(t));
      const std::int64_t ts = millis_of(t["ts"]);
      CHECK(max_seen - ts <= 3000);
      max_seen = std::max(max_seen, ts);
    }
  }
  SECTION("half late") {
    movie_ticket_generator g(2, movie_ticket_generator::default_start,
                             {.late_fraction = 0.5, .malformed_fraction = 0});
    int late = 0;
    for (int i = 0; i < 4000; ++i) {
      const document t = g.next();
      REQUIRE_FALSE(is_malformed(t));
      const std::int64_t nominal = reel::to_millis(movie_ticket_generator::default_start) + i * 250;
      late += millis_of(t["ts"]) < nominal - 60'000;
    }
    CHECK(late > 1800);
    CHECK(late < 2200);
  }
  SECTION("all malformed") {
    movie_ticket_generator g(3, movie_ticket_generator::default_start,
                             {.late_fraction = 0.5, .malformed_fraction = 1.0});
    for (int i = 0; i < 500; ++i)
      CHECK(is_malformed(g.next()));
  }
  SECTION("step, jitter, lateness bounds and customers") {
    movie_ticket_options o;
    o.step_ms = 1000;
    o.max_jitter_ms = 0;
    o.late_fraction = 0;
    o.malformed_fraction = 0;
    o.customers = 3;
    const reel::timestamp start = reel::parse_iso8601("2025-01-01T00:00:00Z").value();
    movie_ticket_generator g(4, start, o);
    std::set<std::string> customers;
    for (int i = 0; i < 300; ++i) {
      const document t = g.next();
      CHECK(millis_of(t["ts"]) == reel::to_millis(start) + i * 1000);
      customers.insert(t["customer"].get<std::string>());
    }
    CHECK(customers == std::set<std::string>{"c-000", "c-001", "c-002"});
    CHECK(g.produced() == 300);
  }
}
