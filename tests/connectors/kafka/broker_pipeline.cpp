// SPDX-License-Identifier: Apache-2.0
// Stream processors reading and writing Kafka topics on a real broker (kept in one file: the
// processor is the heaviest thing to compile): 100,000 tickets end to end with exact results, a
// partition without data holding windows back (and `partitionIdleTimeout` releasing them), a
// processor stopped or dropped mid-stream and a new one of the same group continuing without
// losing input, a message that is not JSON going to a DLQ topic, and the documented example.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "broker_support.hpp"
#include "reel/json/stream_processor.hpp"

using namespace kafka_broker_test;
using reel::json::stream_processor;

namespace {

std::uint64_t counter(const stream_processor& sp, const char* name) {
  const document s = sp.stats();
  auto it = s.find(name);
  return it != s.end() && it->is_number_integer() ? it->get<std::uint64_t>() : 0;
}

/// Whether the processor's source has read every partition of `topic` up to `ends`
/// (`stats().sourcePositions`: `{topic: {"0": next offset, ...}}`).
bool read_up_to(const stream_processor& sp, const std::string& topic,
                const std::vector<std::int64_t>& ends) {
  const document s = sp.stats();
  auto pos = s.find("sourcePositions");
  if (pos == s.end() || !pos->is_object() || !pos->contains(topic)) return false;
  const document& t = (*pos)[topic];
  for (std::size_t p = 0; p < ends.size(); ++p) {
    if (ends[p] == 0) continue;
    const std::string n = std::to_string(p);
    if (!t.is_object() || !t.contains(n) || !t[n].is_number_integer() ||
        t[n].get<std::int64_t>() < ends[p]) {
      return false;
    }
  }
  return true;
}

/// Runs the processor on its thread until `done` (or it stops by itself, or `timeout`), then
/// stops it. False on timeout.
bool run_until(stream_processor& sp, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 120s) {
  sp.start();
  const bool ok = wait_until([&] { return done() || !sp.running(); }, timeout);
  sp.stop();
  return ok && !sp.failure();
}

/// The processor's failure, for messages.
std::string failure_of(const stream_processor& sp) {
  return sp.failure().value_or("none");
}

std::set<std::string> partition_names(const document& stats) {
  std::set<std::string> out;
  for (const document& p : stats.at("partitions"))
    out.insert(p.at("partition").get<std::string>());
  return out;
}

std::int64_t total(const std::vector<std::int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::int64_t{0});
}

/// The bytes of a DLQ record's `errInfo.payload`: a string (UTF-8 text) or binData
/// (`{$binary: {base64, subType}}`, for bytes that are not UTF-8).
std::string payload_bytes(const document& v) {
  if (v.is_string()) return v.get<std::string>();
  REQUIRE(v.is_object());
  REQUIRE(v.contains("$binary"));
  const auto bytes = reel::json::detail::base64_decode(v["$binary"]["base64"].get<std::string>());
  REQUIRE(bytes);
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

TEST_CASE("end to end: 100,000 tickets in 4 partitions, 30-second totals per movie to a topic",
          "[kafka][broker][pipeline]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::string in = unique("tickets"), out = unique("totals"), group = unique("movies");
  create_topic(brokers, in, 4);
  create_topic(brokers, out, 1);
  const std::vector<ticket> tickets = make_tickets(100'000);
  produce_tickets(brokers, in, 4, tickets);
  const std::vector<std::int64_t> ends = end_offsets(brokers, in, 4);
  REQUIRE(total(ends) == 100'000);
  for (std::int64_t e : ends)
    REQUIRE(e > 0);  // every partition has data

  const auto registry = connections(brokers);
  stream_processor sp(movie_pipeline(in, out, group), registry, {.name = "movies"});
  const bool consumed = run_until(sp, [&] { return counter(sp, "inputMessageCount") >= 100'000; });
  INFO("stats: " << sp.stats().dump());
  INFO("failure: " << failure_of(sp));
  REQUIRE(consumed);
  CHECK(counter(sp, "inputMessageCount") == 100'000);
  CHECK(counter(sp, "lateMessageCount") == 0);
  CHECK(counter(sp, "dlqMessageCount") == 0);
  CHECK(partition_names(sp.stats()) ==
        std::set<std::string>{in + "[0]", in + "[1]", in + "[2]", in + "[3]"});
  sp.flush();  // the end of the input: the last windows close

  const results expected = reference(tickets);
  CHECK(counter(sp, "outputMessageCount") == expected.size());
  check_exactly_once(expected, read_results(brokers, out));
}

TEST_CASE("a partition without data holds every window back, partitionIdleTimeout releases it",
          "[kafka][broker][idle]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const bool idle_timeout = GENERATE(false, true);
  INFO("partitionIdleTimeout: " << (idle_timeout ? "10 s" : "none"));
  const std::string in = unique("idle"), out = unique("idle-totals"), group = unique("idle");
  create_topic(brokers, in, 4);
  create_topic(brokers, out, 1);
  // Partitions 0, 1 and 2 get tickets, partition 3 none.
  const std::vector<ticket> tickets = make_tickets(4000);
  const std::vector<ticket> first(tickets.begin(), tickets.begin() + 2000);
  const std::vector<ticket> second(tickets.begin() + 2000, tickets.end());
  auto three = [](const ticket& t) { return partition_of(t.movie, 3); };
  produce_tickets(brokers, in, 4, first, three);

  reel::manual_clock clock{
      reel::from_millis(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count())};
  const document source_extra =
      idle_timeout ? document{{"partitionIdleTimeout", {{"size", 10}, {"unit", "second"}}}}
                   : document::object();
  const auto registry = connections(brokers);
  stream_processor sp(movie_pipeline(in, out, group, source_extra), registry,
                      {.name = "idle", .clock = &clock});

  // Everything consumed, processing time standing still: partition 3 has delivered nothing, so
  // there is no watermark and no window closes, with or without the timeout.
  const bool consumed = run_until(sp, [&] { return counter(sp, "inputMessageCount") >= 2000; });
  document s = sp.stats();
  INFO("stats: " << s.dump());
  INFO("failure: " << failure_of(sp));
  REQUIRE(consumed);
  CHECK(partition_names(s) ==
        std::set<std::string>{in + "[0]", in + "[1]", in + "[2]", in + "[3]"});
  CHECK(s["outputMessageCount"] == 0);
  CHECK(s["openWindowCount"].get<std::int64_t>() > 0);
  CHECK(s["watermark"].is_null());
  CHECK(s["watermarkHeldBy"] == in + "[3]");

  // 6 s of processing time later (less than the timeout) more tickets arrive on partitions 0-2,
  // not on 3; 5 s later still, partition 3 has delivered nothing for 11 s, the others for 5 s.
  std::int64_t bound = INT64_MAX;  // the smallest largest event time of partitions 0-2
  for (std::int32_t p = 0; p < 3; ++p) {
    std::int64_t top = INT64_MIN;
    for (const ticket& t : tickets)
      if (three(t) == p) top = std::max(top, t.ts);
    REQUIRE(top != INT64_MIN);
    bound = std::min(bound, top);
  }
  clock.advance(std::chrono::seconds(6));
  sp.start();
  produce_tickets(brokers, in, 4, second, three);
  const bool all = wait_until([&] { return counter(sp, "inputMessageCount") >= 4000; }, 60s);
  sp.stop();
  s = sp.stats();
  INFO("after 6 s: " << s.dump());
  REQUIRE(all);
  CHECK(s["outputMessageCount"] == 0);  // partition 3 is not idle yet
  CHECK(s["watermark"].is_null());
  CHECK(s["lateMessageCount"] == 0);

  clock.advance(std::chrono::seconds(5));
  if (idle_timeout) {
    // The processor's loop notices the idle partition by itself.
    const bool moved = run_until(sp, [&] {
      const auto w = reel::json::as_date(sp.stats()["watermark"]);
      return w && reel::to_millis(*w) >= bound;
    });
    INFO("after 11 s: " << sp.stats().dump());
    CHECK(moved);
  } else {
    sp.advance();
  }
  REQUIRE_FALSE(sp.failure());
  s = sp.stats();
  INFO("after 11 s: " << s.dump());
  const std::vector<emitted> before_flush = read_results(brokers, out);
  if (!idle_timeout) {
    CHECK(s["outputMessageCount"] == 0);
    CHECK(before_flush.empty());
    CHECK(s["watermark"].is_null());
    CHECK(s["watermarkHeldBy"] == in + "[3]");
  } else {
    // Partition 3 is idle: the watermark is the smallest of the others'.
    const auto w = reel::json::as_date(s["watermark"]);
    REQUIRE(w);
    CHECK(reel::to_millis(*w) == bound);
    bool idle3 = false;
    for (const document& p : s["partitions"]) {
      if (p["partition"] == in + "[3]") idle3 = p["isIdle"].get<bool>();
    }
    CHECK(idle3);
    // Exactly the windows that end at least allowedLateness (1 minute) before it closed.
    const std::int64_t lateness = 60'000;
    const results surely = reference(
        tickets, [&](std::int64_t start) { return start + window_ms + lateness < bound; });
    const results maybe = reference(
        tickets, [&](std::int64_t start) { return start + window_ms + lateness <= bound; });
    REQUIRE(surely.size() > 10);
    const comparison c = compare(reference(tickets), before_flush);
    INFO(c.describe());
    CHECK(c.wrong == 0);
    CHECK(c.duplicates == 0);
    CHECK(c.distinct >= surely.size());
    CHECK(c.distinct <= maybe.size());
    CHECK(compare(surely, before_flush).missing == 0);
    CHECK(s["outputMessageCount"] == before_flush.size());
  }

  // The end of the input closes the rest: together, every result exactly once.
  sp.flush();
  check_exactly_once(reference(tickets), read_results(brokers, out));
}

TEST_CASE("a processor stopped mid-stream: a new one in the same group loses no input",
          "[kafka][broker][restart]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::string in = unique("restart"), out = unique("restart-totals"),
                    group = unique("restart");
  create_topic(brokers, in, 4);
  create_topic(brokers, out, 1);
  const std::vector<ticket> tickets = make_tickets(20'000);
  const auto registry = connections(brokers);
  const document pipeline = movie_pipeline(in, out, group);
  std::uint64_t first_outputs = 0;

  SECTION("stop() after half the input, then more input") {
    produce_tickets(brokers, in, 4, std::vector<ticket>(tickets.begin(), tickets.begin() + 10'000));
    {
      stream_processor first(pipeline, registry, {.name = "first"});
      const bool half =
          run_until(first, [&] { return counter(first, "inputMessageCount") >= 10'000; });
      INFO("first: " << first.stats().dump());
      REQUIRE(half);
      first_outputs = counter(first, "outputMessageCount");
      CHECK(counter(first, "openWindowCount") > 0);  // stopped with windows open
    }
    produce_tickets(brokers, in, 4, std::vector<ticket>(tickets.begin() + 10'000, tickets.end()));
  }
  SECTION("dropped after process(limit) without stop()") {
    produce_tickets(brokers, in, 4, tickets);
    stream_processor first(pipeline, registry, {.name = "first"});
    first_outputs = first.process(100);
    INFO("first: " << first.stats().dump());
    CHECK(first_outputs >= 100);  // a window closing may give several at once
    CHECK(counter(first, "inputMessageCount") < 20'000);
  }
  CHECK(first_outputs > 0);

  const std::vector<std::int64_t> ends = end_offsets(brokers, in, 4);
  REQUIRE(total(ends) == 20'000);
  stream_processor second(pipeline, registry, {.name = "second"});
  const bool rest = run_until(second, [&] { return read_up_to(second, in, ends); });
  const document s = second.stats();
  INFO("second: " << s.dump());
  INFO("failure: " << failure_of(second));
  REQUIRE(rest);
  second.flush();
  CHECK(counter(second, "lateMessageCount") == 0);
  CHECK(counter(second, "dlqMessageCount") == 0);

  const std::vector<emitted> found = read_results(brokers, out);
  const comparison c = compare(reference(tickets), found);
  INFO(c.describe());
  CHECK(c.missing == 0);  // at-least-once: every result is there
  CHECK(c.wrong == 0);    // and none was computed from part of its window's events
  WARN("restart: the first processor wrote "
       << first_outputs << " results; the second read " << s["inputMessageCount"]
       << " messages, skipped " << s["redeliveredSkippedCount"]
       << " already processed; duplicates: " << c.duplicates << " of " << c.emitted);
}

TEST_CASE("a message that is not JSON goes to the DLQ topic with its position and bytes",
          "[kafka][broker][dlq]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::string in = unique("poison"), out = unique("poison-out"), dlq = unique("poison-dlq"),
                    group = unique("poison");
  create_topic(brokers, in, 2);
  create_topic(brokers, out, 1);
  create_topic(brokers, dlq, 1);
  const std::string text = "this is {not JSON";
  const std::string bytes("\xff\xfe\x00{\"n\": 7}", 10);  // not UTF-8 either
  {
    producer p(brokers);
    for (int i = 0; i < 3; ++i)
      p.send(in, 1, document{{"n", i}}.dump());
    p.send(in, 1, text, std::string("k-poison"));  // offset 3 of partition 1
    for (int i = 3; i < 6; ++i)
      p.send(in, 1, document{{"n", i}}.dump());
    p.send(in, 0, document{{"n", 6}}.dump());
    p.send(in, 0, bytes);  // offset 1 of partition 0
    p.send(in, 0, document{{"n", 7}}.dump());
    p.flush();
  }
  const auto registry = connections(brokers);
  const document pipeline = document::parse(R"([
    {"$source": {"connectionName": "kafka", "topic": ")" +
                                            in + R"(",
                 "config": {"group_id": ")" +
                                            group + R"(", "auto_offset_reset": "earliest",
                            "keyFormat": "string"}}},
    {"$emit": {"connectionName": "kafka", "topic": ")" +
                                            out + R"("}}])");
  stream_processor sp(pipeline, registry,
                      {.name = "poison",
                       .stream_meta = false,
                       .dlq = document{{"connectionName", "kafka"}, {"topic", dlq}}});
  std::vector<document> records;
  sp.on_dead_letter([&](const document& r) { records.push_back(r); });
  const bool consumed = run_until(sp, [&] { return counter(sp, "inputMessageCount") >= 10; });
  INFO("stats: " << sp.stats().dump());
  INFO("failure: " << failure_of(sp));
  REQUIRE(consumed);
  CHECK(counter(sp, "outputMessageCount") == 8);
  CHECK(counter(sp, "dlqMessageCount") == 2);

  // Processing went on: the 8 JSON messages are in the output, each partition in order.
  std::vector<int> numbers;
  for (const kafka_test::record& r : kafka_test::read_all(brokers, out)) {
    REQUIRE(r.value);
    numbers.push_back(document::parse(*r.value)["n"].get<int>());
  }
  std::vector<int> partition1, partition0;
  std::copy_if(numbers.begin(), numbers.end(), std::back_inserter(partition1),
               [](int n) { return n < 6; });
  std::copy_if(numbers.begin(), numbers.end(), std::back_inserter(partition0),
               [](int n) { return n >= 6; });
  CHECK(partition1 == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(partition0 == std::vector<int>{6, 7});

  // The DLQ records: where each message was, and its bytes.
  const std::vector<kafka_test::record> stored = kafka_test::read_all(brokers, dlq);
  REQUIRE(stored.size() == 2);
  std::map<std::int64_t, document> by_partition;  // partition → record
  for (const kafka_test::record& s : stored) {
    REQUIRE(s.value);
    INFO("DLQ record: " << *s.value);
    const document r = reel::json::parse_ejson_line(*s.value);
    CHECK(r["processorName"] == "poison");
    CHECK(r["operatorName"] == "SourceOperator");
    CHECK(r["errInfo"]["reason"].is_string());
    CHECK(reel::json::as_date(r["dlqTime"]).has_value());
    const document& source = r["_stream_meta"]["source"];
    CHECK(source["type"] == "kafka");
    CHECK(source["topic"] == in);
    by_partition[source["partition"].get<std::int64_t>()] = r;
  }
  REQUIRE(by_partition.count(0) == 1);
  REQUIRE(by_partition.count(1) == 1);
  const document& first = by_partition[1];
  INFO("text: " << first.dump());
  CHECK(first["_stream_meta"]["source"]["offset"] == 3);
  CHECK(first["_stream_meta"]["source"]["key"] == "k-poison");
  CHECK(payload_bytes(first["errInfo"]["payload"]) == text);
  const document& second = by_partition[0];
  INFO("bytes: " << second.dump());
  CHECK(second["_stream_meta"]["source"]["offset"] == 1);
  CHECK(second["_stream_meta"]["source"]["key"].is_null());
  CHECK(payload_bytes(second["errInfo"]["payload"]) == bytes);
  // The callback saw the same records.
  REQUIRE(records.size() == 2);
  for (const document& r : records) {
    const bool in_one = r["_stream_meta"]["source"]["partition"] == 1;
    CHECK(r["_stream_meta"]["source"]["offset"] == (in_one ? 3 : 1));
    CHECK(payload_bytes(r["errInfo"]["payload"]) == (in_one ? text : bytes));
  }
}

TEST_CASE("the example examples/pipelines/kafka-movies.json runs as documented",
          "[kafka][broker][example]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::filesystem::path dir = REEL_EXAMPLE_PIPELINES;
  reel::connection_registry registry = reel::default_connections();
  reel::kafka::register_connection_type(registry);
  registry.set_environment([&](const std::string& name) -> std::optional<std::string> {
    if (name == "REEL_KAFKA_BROKERS") return brokers;
    return std::nullopt;
  });
  registry.load_connections(dir / "connections-kafka.json");
  std::ifstream file_in(dir / "kafka-movies.json");
  document file = document::parse(file_in);
  // The example's topics and group, under names of their own.
  document& pipeline = file["pipeline"];
  document& source = pipeline.front()["$source"];
  document& emit = pipeline.back()["$emit"];
  document& dlq = file["options"]["dlq"];
  REQUIRE(source["topic"] == "tickets");
  REQUIRE(emit["topic"] == "movie-totals");
  REQUIRE(dlq["topic"] == "tickets-dlq");
  const std::string in = unique("tickets"), out = unique("movie-totals"),
                    dlq_topic = unique("tickets-dlq");
  source["topic"] = in;
  source["config"]["group_id"] = unique("reel-movies");
  emit["topic"] = out;
  dlq["topic"] = dlq_topic;
  create_topic(brokers, in, 4);
  create_topic(brokers, out, 1);
  create_topic(brokers, dlq_topic, 1);

  // The README's producer: the movie-ticket sample (late and malformed tickets included), keyed
  // by movie.
  reel::samples::movie_ticket_generator gen;
  {
    producer p(brokers);
    for (int i = 0; i < 2400; ++i) {
      const document t = gen.next();
      const std::string movie = t.value("movie", "");
      p.send(in, RD_KAFKA_PARTITION_UA, t.dump(),
             movie.empty() ? std::nullopt : std::optional<std::string>(movie));
    }
    p.flush();
  }
  stream_processor sp(pipeline, registry,
                      {.name = file["name"],
                       .stream_meta = file["options"]["streamMeta"],
                       .dlq = file["options"]["dlq"]});
  const bool consumed = run_until(sp, [&] { return counter(sp, "inputMessageCount") >= 2400; });
  INFO("stats: " << sp.stats().dump());
  INFO("failure: " << failure_of(sp));
  REQUIRE(consumed);
  sp.flush();
  const std::uint64_t outputs = counter(sp, "outputMessageCount"),
                      dead = counter(sp, "dlqMessageCount");
  CHECK(outputs > 0);
  CHECK(dead > 0);
  CHECK(message_count(brokers, out) == static_cast<std::int64_t>(outputs));
  CHECK(message_count(brokers, dlq_topic) == static_cast<std::int64_t>(dead));
  const std::vector<kafka_test::record> results = kafka_test::read_all(brokers, out);
  REQUIRE_FALSE(results.empty());
  REQUIRE(results.front().key);
  REQUIRE(results.front().value);
  const document one = reel::json::parse_ejson_line(*results.front().value);
  CHECK(one["movie"] == *results.front().key);  // keyed by movie
  CHECK(reel::json::as_date(one["windowStart"]).has_value());
  CHECK_FALSE(one.contains("_stream_meta"));
}
