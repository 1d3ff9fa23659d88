// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §1.4: malformed input never crashes or stops a JSON stream processor. Invalid
// payloads, wrong types, failing expressions, deeply nested and huge documents each give a DLQ
// record (or are processed), and a later valid event is still processed. And §4, checkpoints:
// restoring a checkpoint taken mid-stream and pushing the rest gives the same outputs and DLQ
// records as an uninterrupted run (random trials over the three window kinds).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

#include "unit/json_processor/processor_harness.hpp"

namespace {

using reel::json::document;

using harness = reel_test::processor_harness;

constexpr const char* window_sum = R"js([
  { $source: { timeField: { $toDate: '$t' } } },
  { $tumblingWindow: { interval: { size: 10, unit: 'second' }, allowedLateness: 0,
      pipeline: [ { $group: { _id: '$k', s: { $sum: '$v' }, n: { $count: {} } } } ] } } ])js";

std::string event_text(const char* k, int v, const char* t) {
  return std::string(R"({"k": ")") + k + R"(", "v": )" + std::to_string(v) + R"(, "t": ")" + t +
         "\"}";
}

std::string nested(std::size_t depth, const std::string& inner) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i)
    s += R"({"a": )";
  s += inner;
  s.append(depth, '}');
  return s;
}

}  // namespace

TEST_CASE("invalid payloads go to the DLQ with their bytes and processing continues",
          "[json][processor][robustness]") {
  harness h(window_sum);
  const std::vector<std::string> bad = {"",
                                        " ",
                                        "{",
                                        "}",
                                        "{\"k\": }",
                                        "[1, 2",
                                        "nul",
                                        "\"just a string\"",
                                        "123",
                                        "[]",
                                        "{\"k\": \"a\"} trailing",
                                        "\xff\xfe\x00",
                                        "{\"t\": {\"$date\": []}}",
                                        "{\"v\": {\"$numberInt\": \"9999999999\"}}",
                                        "{'single': 'quotes'}"};
  for (const auto& b : bad)
    h.payload(b);
  h.payload(event_text("a", 1, "2024-01-01T00:00:01Z"));
  h.sp.flush();
  REQUIRE(h.dlq.size() == bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO(i << ": " << bad[i]);
    CHECK(h.dlq[i]["operatorName"] == "SourceOperator");
    const document& payload = h.dlq[i]["errInfo"]["payload"];
    if (payload.is_object()) {  // bytes that are not UTF-8 stay bytes, as binData
      CHECK(payload == reel::json::make_binary(std::string_view(bad[i])));
      CHECK(bad[i].find('\xff') != std::string::npos);
    } else {
      CHECK(payload == bad[i]);
    }
    CHECK_NOTHROW(h.dlq[i].dump());
    CHECK_FALSE(h.dlq[i]["errInfo"]["reason"].get<std::string>().empty());
    CHECK_FALSE(h.dlq[i].contains("doc"));
  }
  REQUIRE(h.outputs.size() == 1);
  CHECK(h.outputs[0] == document::parse(R"({"_id": "a", "s": 1, "n": 1})"));
  CHECK(h.sp.stats()["dlqMessageCount"] == bad.size());
}

TEST_CASE("random garbage payloads never throw, each is processed or dead-lettered",
          "[json][processor][robustness]") {
  harness h(
      R"([ { $source: { timeField: { $toDate: '$t' } } }, { $match: { k: { $exists: true } } } ])");
  std::mt19937_64 rng(42);
  const std::string valid = event_text("a", 1, "2024-01-01T00:00:01Z");
  std::size_t pushed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string p = valid;
    const int edits = std::uniform_int_distribution<int>(0, 4)(rng);
    for (int e = 0; e < edits && !p.empty(); ++e) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, p.size() - 1)(rng);
      switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0:
          p.erase(at, 1);
          break;
        case 1:
          p.insert(at, 1, static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
          break;
        default:
          p[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
      }
    }
    REQUIRE_NOTHROW(h.payload(p));
    ++pushed;
  }
  const document stats = h.sp.stats();
  CHECK(stats["inputMessageCount"] == pushed);
  // Every message is accounted for: output, DLQ or filtered by $match.
  CHECK(h.outputs.size() + h.dlq.size() + stats["filteredMessageCount"].get<std::size_t>() ==
        pushed);
  CHECK(h.outputs.size() > 100);
  CHECK(h.dlq.size() > 100);
  h.payload(valid);
  CHECK(h.outputs.size() + h.dlq.size() + h.sp.stats()["filteredMessageCount"].get<std::size_t>() ==
        pushed + 1);
}

TEST_CASE("wrong types give DLQ records or MongoDB's results, never an error",
          "[json][processor][robustness]") {
  SECTION("a timeField that is not a date") {
    harness h(
        R"([ { $source: { timeField: '$t' } }, { $tumblingWindow: { interval: { size: 1, unit: 'minute' },
        pipeline: [ { $group: { _id: null, n: { $count: {} } } } ] } } ])");
    for (const char* t :
         {R"("2024-01-01T00:00:01Z")", "17", "true", "null", "[1]", R"({"x": 1})"}) {
      h.sp.push(document::parse(std::string(R"({"t": )") + t + "}"));
    }
    h.sp.push(document::parse(R"({"t": {"$date": "2024-01-01T00:00:02Z"}})"));
    h.sp.flush();
    CHECK(h.dlq.size() == 6);
    for (const auto& r : h.dlq) {
      CHECK(r["operatorName"] == "SourceOperator");
      CHECK(r["errInfo"]["reason"].get<std::string>().rfind(
                "timeField must evaluate to a date, but it evaluated to ", 0) == 0);
    }
    REQUIRE(h.outputs.size() == 1);
    CHECK(h.outputs[0]["n"] == 1);
  }
  SECTION("$sum over strings is 0, as in MongoDB") {
    harness h(window_sum);
    h.payload(R"({"k": "a", "v": "12", "t": "2024-01-01T00:00:01Z"})");
    h.payload(R"({"k": "a", "v": "x", "t": "2024-01-01T00:00:02Z"})");
    h.sp.flush();
    CHECK(h.dlq.empty());
    REQUIRE(h.outputs.size() == 1);
    CHECK(h.outputs[0] == document::parse(R"({"_id": "a", "s": 0, "n": 2})"));
  }
  SECTION("a $group key expression that fails") {
    harness h(
        R"([ { $source: { timeField: { $toDate: '$t' } } }, { $hoppingWindow: { interval: { size: 10, unit: 'second' },
        hopSize: { size: 5, unit: 'second' }, allowedLateness: 0,
        pipeline: [ { $group: { _id: { $divide: [ 100, '$k' ] }, n: { $count: {} } } } ] } } ])");
    h.payload(R"({"k": 0, "t": "2024-01-01T00:00:06Z"})");
    h.payload(R"({"k": "text", "t": "2024-01-01T00:00:07Z"})");
    h.payload(R"({"k": 4, "t": "2024-01-01T00:00:08Z"})");
    h.sp.flush();
    REQUIRE(h.dlq.size() == 2);
    for (const auto& r : h.dlq)
      CHECK(r["operatorName"] == "HoppingWindowOperator");
    // The event with k = 4 is in both of its windows; the failing ones are in none.
    REQUIRE(h.outputs.size() == 2);
    CHECK(h.outputs[0] == document::parse(R"({"_id": 25.0, "n": 1})"));
    CHECK(h.outputs[1] == document::parse(R"({"_id": 25.0, "n": 1})"));
    CHECK(h.sp.stats()["openWindowCount"] == 0);
  }
}

TEST_CASE("deeply nested documents", "[json][processor][robustness]") {
  harness h(window_sum);
  SECTION("payloads deeper than 200 levels go to the DLQ with a clear reason") {
    for (std::size_t depth : {201u, 250u, 5000u, 100000u}) {
      h.payload(nested(depth, event_text("deep", 1, "2024-01-01T00:00:01Z")));
    }
    REQUIRE(h.dlq.size() == 4);
    for (const auto& r : h.dlq) {
      CHECK(r["errInfo"]["reason"].get<std::string>().find("nesting deeper than 200 levels") !=
            std::string::npos);
    }
  }
  SECTION("a payload 200 levels deep is processed") {
    const std::string inner = event_text("a", 1, "2024-01-01T00:00:01Z");
    std::string p = inner.substr(0, inner.size() - 1) + R"(, "deep": )" + nested(198, "1") + "}";
    h.payload(p);
    CHECK(h.dlq.empty());
  }
  SECTION("a pushed document 300 levels deep goes to the DLQ as such a payload does") {
    // The window holds BSON values, which nest 200 levels at most (a pipeline without a window
    // still takes such a document through its nlohmann path).
    document d = 1;
    for (int i = 0; i < 300; ++i)
      d = document{{"a", d}};
    d["k"] = "deep";
    d["v"] = 2;
    d["t"] = "2024-01-01T00:00:01Z";
    h.sp.push(std::move(d));
    REQUIRE(h.dlq.size() == 1);
    CHECK(h.dlq[0]["operatorName"] == "SourceOperator");
    CHECK(h.dlq[0]["errInfo"]["reason"].get<std::string>().find("nesting deeper than 200 levels") !=
          std::string::npos);
  }
  h.payload(event_text("a", 1, "2024-01-01T00:00:02Z"));
  h.sp.flush();
  REQUIRE_FALSE(h.outputs.empty());
  CHECK(h.outputs.front()["_id"] == "a");  // keys come in ascending order: "a" < "deep"
}

TEST_CASE("huge documents (10 MB) are processed and later events still are",
          "[json][processor][robustness]") {
  harness h(R"([ { $source: { timeField: { $toDate: '$t' } } },
    { $tumblingWindow: { interval: { size: 10, unit: 'second' },
        pipeline: [ { $group: { _id: '$k', len: { $max: { $strLenBytes: '$blob' } }, n: { $count: {} } } } ] } } ])");
  const std::string blob(10 * 1024 * 1024, 'x');
  h.payload(R"({"k": "big", "t": "2024-01-01T00:00:01Z", "blob": ")" + blob + "\"}");
  std::string big_array = R"({"k": "arr", "t": "2024-01-01T00:00:01Z", "blob": "", "xs": [)";
  for (int i = 0; i < 200000; ++i)
    big_array += (i ? ",1" : "1");
  big_array += "]}";
  h.payload(big_array);
  h.payload(R"({"k": "big", "t": "2024-01-01T00:00:02Z", "blob": ")" + blob +
            "\"");  // no closing brace
  h.payload(R"({"k": "small", "t": "2024-01-01T00:00:03Z", "blob": "abc"})");
  h.sp.flush();
  REQUIRE(h.dlq.size() == 1);
  CHECK(h.dlq[0]["errInfo"]["reason"].get<std::string>().rfind("invalid JSON at byte", 0) == 0);
  REQUIRE(h.outputs.size() == 3);
  CHECK(h.outputs[0] == document::parse(R"({"_id": "arr", "len": 0, "n": 1})"));
  CHECK(h.outputs[1] == document::parse(R"({"_id": "big", "len": 10485760, "n": 1})"));
  CHECK(h.outputs[2] == document::parse(R"({"_id": "small", "len": 3, "n": 1})"));
  CHECK(h.sp.stats()["inputMessageSize"].get<std::size_t>() > 10 * 1024 * 1024);
}

// ---------------------------------------------------------------------------------------------
// Checkpoint / restore

namespace {

struct step {
  bool advance = false;
  std::int64_t clock_ms = 0;
  document doc;
};

struct run_result {
  std::vector<std::string> outputs;
  std::vector<std::string> dlq;
};

reel::json::stream_processor_options checkpoint_options(const reel::clock* clock) {
  reel::json::stream_processor_options o;
  o.name = "cp";
  o.clock = clock;
  return o;
}

void collect(reel::json::stream_processor& sp, run_result& r) {
  sp.on_output([&r](const document& d) { r.outputs.push_back(d.dump()); });
  sp.on_dead_letter([&r](const document& d) {
    document x = d;
    x.erase("dlqTime");
    r.dlq.push_back(x.dump());
  });
}

void apply(reel::json::stream_processor& sp, reel::manual_clock& clock, const step& s) {
  clock.set(reel::from_millis(s.clock_ms));
  if (s.advance) {
    sp.advance();
  } else {
    sp.push(s.doc);
  }
}

run_result uninterrupted(const document& pipeline, const std::vector<step>& steps) {
  reel::manual_clock clock;
  reel::json::stream_processor sp(pipeline, {}, checkpoint_options(&clock));
  run_result r;
  collect(sp, r);
  for (const auto& s : steps)
    apply(sp, clock, s);
  sp.flush();
  return r;
}

/// Runs `steps[0, at)`, checkpoints, does some work that is then lost (the process dies), and
/// resumes a new processor from the checkpoint with `steps[at, end)`: what the first processor
/// emitted before the checkpoint plus what the second emits.
run_result interrupted(const document& pipeline, const std::vector<step>& steps, std::size_t at) {
  run_result r;
  std::string bytes;
  {
    reel::manual_clock clock;
    reel::json::stream_processor sp(pipeline, {}, checkpoint_options(&clock));
    run_result first;
    collect(sp, first);
    for (std::size_t i = 0; i < at; ++i)
      apply(sp, clock, steps[i]);
    bytes = sp.checkpoint();
    r = first;
    for (std::size_t i = at; i < steps.size() && i < at + 3; ++i)
      apply(sp, clock, steps[i]);  // lost
  }
  reel::manual_clock clock;
  reel::json::stream_processor sp(pipeline, {}, checkpoint_options(&clock));
  sp.restore(bytes);
  collect(sp, r);
  for (std::size_t i = at; i < steps.size(); ++i)
    apply(sp, clock, steps[i]);
  sp.flush();
  return r;
}

std::vector<step> random_steps(std::mt19937_64& rng, bool with_advances) {
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<step> steps;
  const std::int64_t n = uniform(5, 40);
  std::int64_t t = 1'704'067'200'000;
  std::int64_t now = t;
  for (std::int64_t i = 0; i < n; ++i) {
    now += uniform(0, 800);
    if (with_advances && uniform(0, 5) == 0) {
      now += uniform(0, 4000);
      steps.push_back({true, now, nullptr});
      continue;
    }
    t += uniform(0, 1200);
    const std::int64_t at = uniform(0, 4) == 0 ? t - uniform(0, 5000) : t;
    document d = {{"u", std::string(1, static_cast<char>('a' + uniform(0, 2)))},
                  {"k", uniform(0, 2)},
                  {"v", uniform(0, 3) == 0 ? document(static_cast<double>(uniform(-20, 20)) / 4)
                                           : document(uniform(-20, 20))},
                  {"t", reel::json::make_date(reel::from_millis(at))}};
    steps.push_back({false, now, std::move(d)});
  }
  return steps;
}

constexpr const char* checkpoint_pipelines[] = {
    // tumbling, incremental $group with order-sensitive accumulators, then stages at close
    R"js([ { $source: { timeField: '$t' } },
      { $tumblingWindow: { interval: { size: 2, unit: 'second' }, allowedLateness: { size: 500, unit: 'ms' },
          idleTimeout: { size: 3, unit: 'second' },
          pipeline: [ { $group: { _id: '$k', s: { $sum: '$v' }, f: { $first: '$v' }, l: { $last: '$v' }, p: { $push: '$v' },
                                  top: { $topN: { n: 2, sortBy: { v: -1 }, output: '$u' } }, sd: { $stdDevPop: '$v' } } },
                      { $sort: { s: -1 } } ] } } ])js",
    // tumbling, buffering
    R"js([ { $source: { timeField: '$t' } },
      { $tumblingWindow: { interval: { size: 3, unit: 'second' }, offset: { offsetFromUtc: 700, unit: 'ms' }, allowedLateness: 0,
          pipeline: [ { $project: { _id: 0, u: 1, v: 1 } }, { $limit: 4 } ] } } ])js",
    // hopping with overlapping windows
    R"js([ { $source: { timeField: '$t' } },
      { $hoppingWindow: { interval: { size: 3, unit: 'second' }, hopSize: { size: 1, unit: 'second' }, allowedLateness: { size: 1, unit: 'second' },
          pipeline: [ { $group: { _id: { $meta: 'stream.window.start' }, n: { $count: {} }, set: { $addToSet: '$u' }, l: { $lastN: { input: '$v', n: 2 } } } } ] } } ])js",
    // hopping with gaps, buffering
    R"js([ { $source: { timeField: '$t' } },
      { $hoppingWindow: { interval: { size: 1, unit: 'second' }, hopSize: { size: 2, unit: 'second' }, allowedLateness: 0,
          pipeline: [ { $sort: { v: 1 } } ] } } ])js",
    // sessions with a group
    R"js([ { $source: { timeField: '$t' } },
      { $sessionWindow: { partitionBy: '$u', gap: { size: 1500, unit: 'ms' }, allowedLateness: { size: 1, unit: 'second' },
          pipeline: [ { $group: { _id: '$k', p: { $push: '$v' }, m: { $max: '$v' }, med: { $median: { input: '$v', method: 'approximate' } } } } ] } } ])js",
    // sessions, buffering, idle timeout
    R"js([ { $source: { timeField: '$t' } },
      { $sessionWindow: { partitionBy: '$k', gap: { size: 800, unit: 'ms' }, allowedLateness: 0, idleTimeout: { size: 2, unit: 'second' },
          pipeline: [ { $project: { _id: 0, v: 1, who: { $meta: 'stream.window.partition' } } } ] } } ])js",
};

}  // namespace

TEST_CASE("checkpoint and restore mid-stream give the same output as an uninterrupted run",
          "[json][processor][checkpoint]") {
  std::mt19937_64 rng(20240601);
  std::size_t outputs = 0, dead = 0, trials = 0;
  for (const char* text : checkpoint_pipelines) {
    const document pipeline = reel::json::parse_pipeline_text(text);
    for (int trial = 0; trial < 60; ++trial) {
      const std::vector<step> steps = random_steps(rng, trial % 2 == 1);
      const run_result expected = uninterrupted(pipeline, steps);
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, steps.size())(rng);
      INFO(text << "\ntrial " << trial << ": checkpoint after " << at << " of " << steps.size()
                << " steps");
      const run_result actual = interrupted(pipeline, steps, at);
      REQUIRE(actual.outputs == expected.outputs);
      REQUIRE(actual.dlq == expected.dlq);
      outputs += expected.outputs.size();
      dead += expected.dlq.size();
      ++trials;
    }
  }
  CHECK(trials == 360);
  CHECK(outputs > 1000);
  CHECK(dead > 20);
}

TEST_CASE("a JSON processor rejects bytes that are not its checkpoint",
          "[json][processor][checkpoint]") {
  harness h(window_sum);
  for (const std::string& bad : {std::string(), std::string("not msgpack"),
                                 std::string("\x81\xa6"
                                             "format\xa3"
                                             "bad")}) {
    std::string what = "no error";
    try {
      h.sp.restore(bad);
    } catch (const reel::error& e) {
      what = e.id();
    }
    CHECK(what == "reel.checkpoint.invalid");
  }
  h.payload(event_text("a", 1, "2024-01-01T00:00:01Z"));
  h.sp.flush();
  CHECK(h.outputs.size() == 1);
}

TEST_CASE("a restored window keeps the field order of its documents and keys",
          "[json][processor][checkpoint]") {
  // Regression: window state went through nlohmann::json (sorted keys) in checkpoints.
  const document pipeline = reel::json::parse_pipeline_text(R"js([ { $source: { timeField: '$t' } },
    { $tumblingWindow: { interval: { size: 1, unit: 'minute' },
        pipeline: [ { $group: { _id: { z: '$z', a: '$a' }, first: { $first: '$$ROOT' }, merged: { $mergeObjects: '$o' } } } ] } } ])js");
  const document event = document::parse(
      R"({"z": 1, "a": 2, "o": {"y": 1, "b": 2}, "t": {"$date": "2024-01-01T00:00:01Z"}})");
  reel::manual_clock clock;
  std::string bytes;
  {
    reel::json::stream_processor sp(pipeline, {}, checkpoint_options(&clock));
    sp.push(event);
    bytes = sp.checkpoint();
  }
  reel::json::stream_processor sp(pipeline, {}, checkpoint_options(&clock));
  sp.restore(bytes);
  std::vector<document> out;
  sp.on_output([&](const document& d) { out.push_back(d); });
  sp.flush();
  REQUIRE(out.size() == 1);
  document first = event;
  first["t"] = reel::json::make_date(reel::parse_iso8601("2024-01-01T00:00:01Z").value());
  first["_ts"] = first["t"];
  CHECK(out[0]["_id"].dump() == R"({"z":1,"a":2})");
  CHECK(out[0]["first"].dump() == first.dump());
  CHECK(out[0]["merged"].dump() == R"({"y":1,"b":2})");
}
