// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §1.1, one engine and two front ends: on random streams (fixed seeds), a typed
// processor (`reel::from<ev>(reel::event_time(...)) | reel::tumbling_window / hopping_window /
// session_window(..., reel::group(key, sum, count, min, max))`) and the equivalent JSON pipeline
// give the same window results (bounds, partition, key, values, in the same order) and send the
// same events to the dead letter queue with the same missed window starts.
//
// Streams mix in-order events, out-of-order ones within and beyond the allowed lateness, two
// source partitions (the watermark is their minimum) and random window options (offsets, gaps
// between hopping windows, allowedLateness 0).
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>
#include <reel/reel.hpp>

namespace {

using reel::json::document;

struct ev {
  std::string who;
  std::int64_t key;
  std::int64_t value;
  reel::timestamp ts;
};

/// One window result, as both front ends can express it.
struct row {
  std::int64_t start, end;
  std::string partition;
  std::int64_t key, sum, count, min, max;
  friend bool operator==(const row&, const row&) = default;
};

struct late_row {
  std::int64_t value, ts;
  std::vector<std::int64_t> missed;
  friend bool operator==(const late_row&, const late_row&) = default;
};

struct outcome {
  std::vector<row> rows;
  std::vector<late_row> late;
};

std::ostream& operator<<(std::ostream& os, const row& r) {
  return os << "{[" << r.start << "," << r.end << ") " << r.partition << " key " << r.key << ": "
            << r.sum << " " << r.count << " " << r.min << " " << r.max << "}";
}
std::ostream& operator<<(std::ostream& os, const late_row& r) {
  os << "{late " << r.value << " @" << r.ts << " missed";
  for (auto m : r.missed)
    os << " " << m;
  return os << "}";
}

enum class kind { tumbling, hopping, session };

struct spec {
  kind k = kind::tumbling;
  std::int64_t interval = 0, hop = 0, offset = 0, gap = 0, lateness = 0;
};

struct input {
  ev e;
  reel::partition_id partition;
};

std::int64_t ms_of(const document& date) {
  return reel::to_millis(reel::json::as_date(date).value());
}

outcome run_json(const spec& s, const std::vector<input>& in) {
  document window = document::object();
  const document group = document::parse(R"({"$group": {"_id": "$key", "sum": {"$sum": "$value"},
      "count": {"$count": {}}, "min": {"$min": "$value"}, "max": {"$max": "$value"}}})");
  auto ms = [](std::int64_t n) { return document{{"size", n}, {"unit", "ms"}}; };
  std::string stage;
  if (s.k == kind::session) {
    stage = "$sessionWindow";
    window["partitionBy"] = "$who";
    window["gap"] = ms(s.gap);
  } else {
    stage = s.k == kind::tumbling ? "$tumblingWindow" : "$hoppingWindow";
    window["interval"] = ms(s.interval);
    if (s.k == kind::hopping) window["hopSize"] = ms(s.hop);
    if (s.offset != 0) window["offset"] = {{"offsetFromUtc", s.offset}, {"unit", "ms"}};
  }
  window["allowedLateness"] = s.lateness == 0 ? document(0) : ms(s.lateness);
  window["pipeline"] = document::array({group});
  document pipeline = document::array();
  pipeline.push_back({{"$source", {{"timeField", "$ts"}}}});
  pipeline.push_back({{stage, window}});

  reel::json::stream_processor_options options;
  options.stream_meta = true;
  reel::manual_clock clock;
  options.clock = &clock;
  reel::json::stream_processor sp(pipeline, {}, options);
  outcome out;
  sp.on_output([&](const document& d) {
    const document& w = d["_stream_meta"]["window"];
    out.rows.push_back({ms_of(w["start"]), ms_of(w["end"]),
                        w.contains("partition") ? w["partition"].get<std::string>() : "",
                        d["_id"].get<std::int64_t>(), d["sum"].get<std::int64_t>(),
                        d["count"].get<std::int64_t>(), d["min"].get<std::int64_t>(),
                        d["max"].get<std::int64_t>()});
  });
  sp.on_dead_letter([&](const document& d) {
    REQUIRE(d["errInfo"]["reason"] == "Input document arrived late.");
    late_row r{d["doc"]["value"].get<std::int64_t>(), ms_of(d["doc"]["ts"]), {}};
    for (const auto& m : d["missedWindowStartTimes"])
      r.missed.push_back(ms_of(m));
    out.late.push_back(std::move(r));
  });
  for (const auto& [e, partition] : in) {
    document doc = {
        {"who", e.who}, {"key", e.key}, {"value", e.value}, {"ts", reel::json::make_date(e.ts)}};
    sp.push(std::move(doc), partition);
  }
  sp.flush();
  return out;
}

template <class Proc>
void push_all(Proc& proc, const std::vector<input>& in) {
  for (const auto& [e, partition] : in)
    proc.push(e, partition);
  proc.flush();
}

auto typed_group() {
  return reel::group(&ev::key, reel::sum(&ev::value), reel::count(), reel::min(&ev::value),
                     reel::max(&ev::value));
}

template <class Result>
row to_row(const Result& r, std::string partition) {
  const auto& [sum, count, min, max] = r.values;
  return {reel::to_millis(r.start),       reel::to_millis(r.end),
          std::move(partition),           static_cast<std::int64_t>(r.key),
          static_cast<std::int64_t>(sum), static_cast<std::int64_t>(count),
          static_cast<std::int64_t>(min), static_cast<std::int64_t>(max)};
}

outcome run_typed(const spec& s, const std::vector<input>& in) {
  using namespace std::chrono;
  outcome out;
  auto on_late = [&out](const reel::dead_letter<ev>& d) {
    late_row r{d.event.value, reel::to_millis(d.event_time), {}};
    for (auto m : d.missed_window_starts)
      r.missed.push_back(reel::to_millis(m));
    out.late.push_back(std::move(r));
  };
  const reel::duration lateness{s.lateness};
  if (s.k == kind::session) {
    auto emit = reel::emit([&out](const auto& r) { out.rows.push_back(to_row(r, r.partition)); });
    auto proc = reel::make_processor(
        reel::from<ev>(reel::event_time(&ev::ts)) |
        reel::session_window({.gap = reel::duration{s.gap}, .allowed_lateness = lateness}, &ev::who,
                             typed_group()) |
        emit);
    proc.on_dead_letter(on_late);
    push_all(proc, in);
  } else if (s.k == kind::tumbling) {
    auto emit = reel::emit([&out](const auto& r) { out.rows.push_back(to_row(r, "")); });
    auto proc = reel::make_processor(reel::from<ev>(reel::event_time(&ev::ts)) |
                                     reel::tumbling_window({.interval = reel::duration{s.interval},
                                                            .offset = reel::duration{s.offset},
                                                            .allowed_lateness = lateness},
                                                           typed_group()) |
                                     emit);
    proc.on_dead_letter(on_late);
    push_all(proc, in);
  } else {
    auto emit = reel::emit([&out](const auto& r) { out.rows.push_back(to_row(r, "")); });
    auto proc = reel::make_processor(reel::from<ev>(reel::event_time(&ev::ts)) |
                                     reel::hopping_window({.interval = reel::duration{s.interval},
                                                           .hop = reel::duration{s.hop},
                                                           .offset = reel::duration{s.offset},
                                                           .allowed_lateness = lateness},
                                                          typed_group()) |
                                     emit);
    proc.on_dead_letter(on_late);
    push_all(proc, in);
  }
  return out;
}

struct generated {
  spec s;
  std::vector<input> events;
};

generated random_stream(kind k, std::mt19937_64& rng) {
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  auto pick = [&](std::initializer_list<std::int64_t> values) {
    return *(values.begin() + uniform(0, static_cast<std::int64_t>(values.size()) - 1));
  };
  generated g;
  g.s.k = k;
  g.s.interval = pick({1000, 2000, 5000});
  g.s.hop = pick({500, 1000, 2000, 3000, 7000});
  g.s.offset = k == kind::session ? 0 : pick({0, 0, 250, -700, 1500});
  g.s.gap = pick({300, 1500, 4000});
  g.s.lateness = pick({0, 0, 1000, 3000});
  const bool two_partitions = uniform(0, 1) == 1;
  const std::int64_t n = uniform(10, 90);
  std::int64_t t = 1'704'067'200'000 + uniform(-5000, 5000);  // around 2024-01-01
  for (std::int64_t i = 0; i < n; ++i) {
    t += uniform(0, 1500);
    std::int64_t at = t;
    if (uniform(0, 4) == 0) at -= uniform(0, 6000);  // out of order, sometimes late
    const std::string who(1, static_cast<char>('a' + uniform(0, 2)));
    g.events.push_back({ev{who, uniform(0, 3), uniform(-50, 50), reel::from_millis(at)},
                        two_partitions ? static_cast<reel::partition_id>(uniform(0, 1)) : 0u});
  }
  return g;
}

void check_equivalent(kind k, std::uint64_t seed, int streams) {
  std::mt19937_64 rng(seed);
  std::size_t rows = 0, late = 0;
  for (int i = 0; i < streams; ++i) {
    const generated g = random_stream(k, rng);
    INFO("stream " << i << ": interval " << g.s.interval << " hop " << g.s.hop << " offset "
                   << g.s.offset << " gap " << g.s.gap << " lateness " << g.s.lateness << ", "
                   << g.events.size() << " events");
    const outcome typed = run_typed(g.s, g.events);
    const outcome json = run_json(g.s, g.events);
    REQUIRE(json.rows == typed.rows);
    REQUIRE(json.late == typed.late);
    rows += typed.rows.size();
    late += typed.late.size();
  }
  // The streams exercise what they are meant to: many results and some late events.
  CHECK(rows > static_cast<std::size_t>(streams) * 5);
  CHECK(late > static_cast<std::size_t>(streams) / 4);
}

}  // namespace

TEST_CASE("typed and JSON tumbling windows agree on random streams",
          "[json][processor][equivalence]") {
  check_equivalent(kind::tumbling, 0x5eed'0001, 150);
}

TEST_CASE("typed and JSON hopping windows agree on random streams",
          "[json][processor][equivalence]") {
  check_equivalent(kind::hopping, 0x5eed'0002, 150);
}

TEST_CASE("typed and JSON session windows agree on random streams",
          "[json][processor][equivalence]") {
  check_equivalent(kind::session, 0x5eed'0003, 150);
}
