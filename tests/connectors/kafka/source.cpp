// SPDX-License-Identifier: Apache-2.0
// The Kafka $source on librdkafka's mock cluster: messages with their metadata, partitions
// assigned by the group, keys in each keyFormat, undecodable messages in the DLQ, and
// at-least-once resumption (committed offsets with the processor's metadata) across processors.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_cluster.hpp"
#include "reel/connector/memory.hpp"
#include "reel/error.hpp"
#include "reel/json.hpp"
#include "reel/kafka/kafka.hpp"

using json = nlohmann::ordered_json;
using kafka_test::mock_cluster;
using kafka_test::produce_all;
using kafka_test::record;

namespace {

reel::kafka::properties client(const mock_cluster& c) {
  return {{"bootstrap.servers", c.bootstrap_servers()}, {"log_level", "3"}};
}

record message(const std::string& topic, std::int32_t partition, std::string value,
               std::int64_t timestamp = -1, std::optional<std::string> key = std::nullopt) {
  record r;
  r.topic = topic;
  r.partition = partition;
  r.value = std::move(value);
  r.key = std::move(key);
  r.timestamp = timestamp;
  return r;
}

/// Polls until `n` messages arrived (or 30 s passed).
std::vector<reel::source_message> poll_n(reel::kafka::kafka_source& s, std::size_t n) {
  std::vector<reel::source_message> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (out.size() < n && std::chrono::steady_clock::now() < deadline)
    s.poll(out, n - out.size());
  return out;
}

/// Steps `sp` until it has read `n` messages (or 30 s passed).
void step_until_inputs(reel::json::stream_processor& sp, std::uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sp.stats()["inputMessageCount"].get<std::uint64_t>() < n &&
         std::chrono::steady_clock::now() < deadline) {
    sp.step();
  }
  REQUIRE(sp.stats()["inputMessageCount"].get<std::uint64_t>() == n);
}

/// A registry with the `kafka` connection to `cluster` and an `out` sink writing into `out`.
reel::connection_registry registry(const mock_cluster& cluster,
                                   const std::shared_ptr<reel::memory_sink>& out) {
  reel::connection_registry connections;
  reel::kafka::register_connection_type(connections);
  connections.add_connection(
      "kafka", {{"type", "kafka"}, {"bootstrapServers", cluster.bootstrap_servers()}});
  connections.add_sink("out", [out](const json&) -> std::unique_ptr<reel::sink> {
    struct forward final : reel::sink {
      std::shared_ptr<reel::memory_sink> to;
      void write(std::span<const json> d, reel::write_result& r) override { to->write(d, r); }
    };
    auto f = std::make_unique<forward>();
    f->to = out;
    return f;
  });
  return connections;
}

std::string event(std::int64_t seconds) {
  return json{{"v", 1}, {"ts", {{"$date", {{"$numberLong", std::to_string(seconds * 1000)}}}}}}
      .dump();
}

}  // namespace

TEST_CASE("source: messages carry topic, partition, offset, key, headers and timestamp",
          "[kafka][source]") {
  mock_cluster cluster;
  cluster.create_topic("tickets", 2);
  record a = message("tickets", 0, R"({"movie": "Dune"})", 1700000000000, "k1");
  a.headers = {{"origin", "box-office"}, {"empty", std::nullopt}};
  produce_all(cluster.bootstrap_servers(),
              {a, message("tickets", 1, R"({"movie": "Heat"})", 1700000001000, "k2"),
               message("tickets", 0, R"({"movie": "Alien"})", 1700000002000)});

  auto options =
      reel::kafka::parse_source_stage(json::parse(R"({"connectionName": "k", "topic": "tickets",
                      "config": {"group_id": "g-meta", "auto_offset_reset": "earliest",
                                 "keyFormat": "string"}})"),
                                      "/0/$source");
  reel::kafka::kafka_source source(client(cluster), options);
  auto messages = poll_n(source, 3);
  REQUIRE(messages.size() == 3);
  reel::partition_changes changes = source.take_partition_changes();
  REQUIRE(changes.assigned.size() == 2);
  std::vector<std::string> names;
  for (const auto& [id, name] : changes.assigned)
    names.push_back(name);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"tickets[0]", "tickets[1]"});

  const reel::source_message* dune = nullptr;
  for (const auto& m : messages)
    if (m.payload.find("Dune") != std::string::npos) dune = &m;
  REQUIRE(dune != nullptr);
  CHECK(dune->metadata["type"] == "kafka");
  CHECK(dune->metadata["topic"] == "tickets");
  CHECK(dune->metadata["partition"] == 0);
  CHECK(dune->metadata["offset"] == 0);
  CHECK(dune->metadata["key"] == "k1");
  CHECK(dune->position == 0);
  REQUIRE(dune->record_time);
  CHECK(reel::to_millis(*dune->record_time) == 1700000000000);
  REQUIRE(dune->metadata["headers"].size() == 2);
  CHECK(dune->metadata["headers"][0]["k"] == "origin");
  CHECK(dune->metadata["headers"][0]["v"] ==
        reel::json::make_binary(std::string_view("box-office")));
  CHECK(source.partitions()[changes.assigned[0].first].find("tickets[") == 0);
  for (const auto& m : messages) {
    if (m.payload.find("Alien") != std::string::npos) CHECK(m.metadata["key"].is_null());
  }
  CHECK(source.positions()["tickets"]["0"] == 2);
}

TEST_CASE("source: keys decode per keyFormat, undecodable keys and payloads go to the DLQ",
          "[kafka][source]") {
  mock_cluster cluster;
  cluster.create_topic("keys", 1);
  produce_all(cluster.bootstrap_servers(),
              {message("keys", 0, R"({"n": 1})", -1, std::string("\x00\x00\x01\x02", 4)),
               message("keys", 0, R"({"n": 2})", -1, std::string("\x01\x02\x03", 3)),
               message("keys", 0, "not json {", -1, std::string("\x00\x00\x00\x07", 4)),
               message("keys", 0, "\xff\xfe", -1), message("keys", 0, R"({"n": 3})")});

  auto out = std::make_shared<reel::memory_sink>();
  const reel::connection_registry connections = registry(cluster, out);
  const json pipeline = json::parse(R"([
    {"$source": {"connectionName": "kafka", "topic": "keys",
                 "config": {"group_id": "g-keys", "auto_offset_reset": "earliest",
                            "keyFormat": "int"}}},
    {"$addFields": {"key": {"$meta": "stream.source.key"},
                    "offset": {"$meta": "stream.source.offset"}}},
    {"$emit": {"connectionName": "out"}}])");
  reel::json::stream_processor sp(pipeline, connections, {.stream_meta = false});
  std::vector<json> dead;
  sp.on_dead_letter([&](const json& d) { dead.push_back(d); });
  step_until_inputs(sp, 5);
  sp.flush();

  const auto docs = out->documents();
  REQUIRE(docs.size() == 2);
  CHECK(docs[0]["n"] == 1);
  CHECK(docs[0]["key"] == 258);
  CHECK(docs[1]["n"] == 3);
  CHECK(docs[1]["key"].is_null());
  REQUIRE(dead.size() == 3);
  CHECK(dead[0]["operatorName"] == "SourceOperator");
  CHECK(dead[0]["errInfo"]["reason"].get<std::string>().find("keyFormat int") != std::string::npos);
  CHECK(dead[0]["errInfo"]["payload"] == R"({"n": 2})");
  CHECK(dead[1]["_stream_meta"]["source"]["topic"] == "keys");
  CHECK(dead[1]["_stream_meta"]["source"]["partition"] == 0);
  CHECK(dead[1]["_stream_meta"]["source"]["offset"] == 2);
  CHECK(dead[1]["errInfo"]["payload"] == "not json {");
  // The bytes, though not UTF-8, as binData.
  CHECK(dead[2]["errInfo"]["payload"] == reel::json::make_binary(std::string_view("\xff\xfe")));
  CHECK(dead[2]["_stream_meta"]["source"]["offset"] == 3);
}

TEST_CASE("source: a value over maxMessageBytes goes to the DLQ with its first bytes, not copied",
          "[kafka][source][limits]") {
  mock_cluster cluster;
  cluster.create_topic("big", 1);
  const std::string big = R"({"s": ")" + std::string(3000, 'x') + R"("})";
  produce_all(
      cluster.bootstrap_servers(),
      {message("big", 0, R"({"n": 1})"), message("big", 0, big), message("big", 0, R"({"n": 2})")});

  auto out = std::make_shared<reel::memory_sink>();
  const reel::connection_registry connections = registry(cluster, out);
  const json pipeline = json::parse(R"([
    {"$source": {"connectionName": "kafka", "topic": "big",
                 "config": {"group_id": "g-big", "auto_offset_reset": "earliest"}}},
    {"$project": {"_id": 0, "n": 1}},
    {"$emit": {"connectionName": "out"}}])");
  reel::json::stream_processor_options options{.stream_meta = false};
  options.compile.limits.max_message_bytes = 1000;
  reel::json::stream_processor sp(pipeline, connections, options);
  std::vector<json> dead;
  sp.on_dead_letter([&](const json& d) { dead.push_back(d); });
  step_until_inputs(sp, 3);
  sp.flush();

  const auto docs = out->documents();
  REQUIRE(docs.size() == 2);
  CHECK(docs[0]["n"] == 1);
  CHECK(docs[1]["n"] == 2);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["errInfo"]["reason"] ==
        "[reel.input.too_large] message of 3009 bytes exceeds the limit of 1000 bytes "
        "(maxMessageBytes); errInfo.payload holds its first 256 bytes");
  CHECK(dead[0]["errInfo"]["payload"] == big.substr(0, 256));
  CHECK(dead[0]["_stream_meta"]["source"]["offset"] == 1);
  CHECK(sp.stats()["dlqMessageCount"] == 1);
}

TEST_CASE("source: a new processor resumes where the last one committed, losing nothing",
          "[kafka][source]") {
  mock_cluster cluster;
  cluster.create_topic("events", 1);
  // Offset i has event time i seconds, except offset 22: 5 s (late for the first processor).
  std::vector<record> first, second;
  for (int i = 0; i < 35; ++i)
    (i < 25 ? first : second).push_back(message("events", 0, event(i == 22 ? 5 : i)));
  produce_all(cluster.bootstrap_servers(), first);

  auto out = std::make_shared<reel::memory_sink>();
  const reel::connection_registry connections = registry(cluster, out);
  const json pipeline = json::parse(R"([
    {"$source": {"connectionName": "kafka", "topic": "events", "timeField": "$ts",
                 "config": {"group_id": "g-resume", "auto_offset_reset": "earliest",
                            "session_timeout_ms": 6000, "heartbeat_interval_ms": 500}}},
    {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
                         "allowedLateness": {"size": 0, "unit": "second"},
                         "pipeline": [{"$group": {"_id": null, "n": {"$sum": "$v"}}}]}},
    {"$emit": {"connectionName": "out"}}])");
  reel::manual_clock clock(reel::from_millis(1000000));
  {
    reel::json::stream_processor sp(pipeline, connections, {.stream_meta = false, .clock = &clock});
    step_until_inputs(sp, 25);
    clock.advance(std::chrono::seconds(5));
    sp.step();  // commits: [20,30) holds offsets 20 on
    CHECK(sp.stats()["lateMessageCount"] == 1);
  }                                       // leaves the group
  REQUIRE(out->documents().size() == 2);  // [0,10) and [10,20)

  produce_all(cluster.bootstrap_servers(), second);
  reel::json::stream_processor sp(pipeline, connections, {.stream_meta = false, .clock = &clock});
  step_until_inputs(sp, 15);  // offsets 20-34 again
  sp.flush();
  const auto docs = out->documents();
  REQUIRE(docs.size() == 4);
  CHECK(docs[0]["n"] == 10);
  CHECK(docs[1]["n"] == 10);
  CHECK(docs[2]["n"] == 9);  // [20,30) without offset 22, which was late, not reopened
  CHECK(docs[3]["n"] == 5);
  CHECK(sp.stats()["redeliveredSkippedCount"] == 1);
  CHECK(sp.stats()["lateMessageCount"] == 0);
}

TEST_CASE("source: stage options are checked with their locations", "[kafka][source]") {
  auto error_of = [](const char* text) -> std::string {
    try {
      (void)reel::kafka::parse_source_stage(json::parse(text), "/0/$source");
    } catch (const reel::error& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error_of(R"({"connectionName": "k"})"), Catch::Contains("needs a topic"));
  CHECK_THAT(error_of(R"({"topic": 3})"), Catch::Contains("/0/$source/topic"));
  CHECK_THAT(error_of(R"({"topic": "t", "config": {"keyFormat": "strng"}})"),
             Catch::Contains("/0/$source/config/keyFormat") && Catch::Contains("string"));
  CHECK_THAT(error_of(R"({"topic": "t", "config": {"auto_offset_reset": "earlist"}})"),
             Catch::Contains("earliest"));
  CHECK_THAT(error_of(R"({"topic": "t", "config": {"enable_auto_commit": true}})"),
             Catch::Contains("commits offsets itself"));
  auto o = reel::kafka::parse_source_stage(
      json::parse(R"({"topic": ["a", "b"], "config": {"fetch_max_bytes": 1048576}})"), "");
  CHECK(o.topics == std::vector<std::string>{"a", "b"});
  CHECK(o.group_id == "reel-a");
  CHECK(o.consumer.at("fetch.max.bytes") == "1048576");
}
