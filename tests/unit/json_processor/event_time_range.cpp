// SPDX-License-Identifier: Apache-2.0
// docs/semantics.md, Limits: an event time outside 0000-01-01 .. 9999-12-31 (UTC) goes to the DLQ
// with reel.event_time.out_of_range, from every window kind and without a window, and the
// counters add up. Before: {"$date": INT64_MAX} overflowed in window assignment and moved the
// watermark to year 292278994; an event near INT64_MIN was counted as filtered, with no record.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace event_time_range_json {

using reel::json::document;

struct harness {
  explicit harness(const std::string& pipeline_text)
      : sp(reel::json::parse_pipeline_text(pipeline_text), {}, options()) {
    sp.on_output([this](const document& d) { outputs.push_back(d); });
    sp.on_dead_letter([this](const document& d) { dlq.push_back(d); });
  }
  reel::json::stream_processor_options options() {
    reel::json::stream_processor_options o;
    o.clock = &clock;
    return o;
  }
  void push(const std::string& t, int v = 1) {
    reel::source_message m;
    m.payload = R"({"k": "a", "v": )" + std::to_string(v) + R"(, "t": )" + t + "}";
    sp.push(std::move(m));
  }
  std::int64_t stat(const char* name) const { return sp.stats()[name].get<std::int64_t>(); }
  reel::manual_clock clock{reel::parse_iso8601("2024-01-01T00:00:00Z").value()};
  reel::json::stream_processor sp;
  std::vector<document> outputs;
  std::vector<document> dlq;
};

std::string millis(const char* n) {
  return std::string(R"({"$date": {"$numberLong": ")") + n + "\"}}";
}
const char* const out_of_range[] = {"9223372036854775807", "-9223372036854775808",
                                    "253402300800000", "-62167219200001"};
const std::string first_valid = millis("-62167219200000");  // 0000-01-01T00:00:00.000Z
const std::string last_valid = millis("253402300799999");   // 9999-12-31T23:59:59.999Z

const std::string windows[] = {
    R"js([{ $source: { timeField: '$t' } },
          { $tumblingWindow: { interval: { size: 1, unit: 'minute' }, allowedLateness: 0,
              pipeline: [ { $group: { _id: '$k', s: { $sum: '$v' } } } ] } } ])js",
    R"js([{ $source: { timeField: '$t' } },
          { $hoppingWindow: { interval: { size: 1, unit: 'hour' }, hopSize: { size: 20, unit: 'minute' },
              offset: { offsetFromUtc: -7, unit: 'minute' }, allowedLateness: 0,
              pipeline: [ { $group: { _id: '$k', s: { $sum: '$v' } } } ] } } ])js",
    R"js([{ $source: { timeField: '$t' } },
          { $sessionWindow: { partitionBy: '$k', gap: { size: 1, unit: 'hour' }, allowedLateness: 0,
              pipeline: [ { $group: { _id: '$k', s: { $sum: '$v' } } } ] } } ])js",
};

}  // namespace event_time_range_json

namespace etr = event_time_range_json;
using reel::json::document;

TEST_CASE("json event time range: out-of-range times are dead-lettered by every window kind",
          "[json][processor][event_time]") {
  for (const std::string& pipeline : etr::windows) {
    CAPTURE(pipeline);
    etr::harness h(pipeline);
    h.push(etr::first_valid, 1);
    for (const char* ms : etr::out_of_range)
      h.push(etr::millis(ms), 100);
    h.push(etr::last_valid, 2);
    REQUIRE(h.dlq.size() == 4);
    for (std::size_t i = 0; i < h.dlq.size(); ++i) {
      const document& r = h.dlq[i];
      CHECK(r["operatorName"] == "SourceOperator");
      const std::string reason = r["errInfo"]["reason"].get<std::string>();
      CHECK(reason.rfind("[reel.event_time.out_of_range] event time ", 0) == 0);
      CHECK(reason.find("outside the supported range 0000-01-01T00:00:00.000Z to "
                        "9999-12-31T23:59:59.999Z") != std::string::npos);
      CHECK(r["doc"]["v"] == 100);
    }
    CHECK(h.dlq[0]["errInfo"]["reason"] ==
          "[reel.event_time.out_of_range] event time +292278994-08-17T07:12:55.807Z is outside "
          "the supported range 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z");
    // The watermark is the last valid time, not year 292278994: nothing closed early, and the
    // first event's window has closed (allowedLateness 0).
    CHECK(h.sp.stats()["watermark"] == reel::json::make_date(reel::max_event_time));
    h.sp.flush();
    CHECK(h.stat("inputMessageCount") == 6);
    CHECK(h.stat("dlqMessageCount") == 4);
    CHECK(h.stat("filteredMessageCount") == 0);
    CHECK(h.stat("lateMessageCount") == 0);
    REQUIRE(h.outputs.size() >= 2);
    CHECK(h.outputs.front()["s"] == 1);
    CHECK(h.outputs.back()["s"] == 2);
    for (const document& o : h.outputs)
      CHECK((o["s"] == 1 || o["s"] == 2));
  }
}

TEST_CASE("json event time range: a stateless pipeline dead-letters them too",
          "[json][processor][event_time]") {
  etr::harness h(R"js([{ $source: { timeField: '$t' } }, { $match: { v: { $gte: 0 } } }])js");
  h.push(etr::first_valid, 1);
  h.push(etr::millis("-9223372036854775808"), 2);
  h.push(etr::last_valid, 3);
  h.sp.flush();
  REQUIRE(h.outputs.size() == 2);
  REQUIRE(h.dlq.size() == 1);
  CHECK(h.dlq[0]["doc"]["v"] == 2);
  CHECK(h.stat("inputMessageCount") ==
        h.stat("outputMessageCount") + h.stat("dlqMessageCount") + h.stat("filteredMessageCount"));
}

TEST_CASE("json event time range: window durations beyond 10000 years are definition errors",
          "[json][processor][event_time]") {
  const auto compile = [](const char* interval) {
    try {
      etr::harness h(std::string(R"js([{ $source: { timeField: '$t' } },
          { $tumblingWindow: { interval: )js") +
                     interval + R"js(, pipeline: [ { $group: { _id: '$k' } } ] } } ])js");
      return std::string("compiled");
    } catch (const reel::error& e) {
      return std::string(e.what());
    }
  };
  CHECK(compile("{ size: 3652425, unit: 'day' }") == "compiled");
  CHECK(compile("{ size: 3652426, unit: 'day' }") ==
        "[reel.pipeline.invalid_option] at /1/$tumblingWindow/interval/size: a duration must be "
        "at most 3652425 days (10000 years)");
  CHECK(compile("{ size: 9223372036854775807, unit: 'day' }") ==
        "[reel.pipeline.invalid_option] at /1/$tumblingWindow/interval/size: a duration must be "
        "at most 3652425 days (10000 years)");
}
