// SPDX-License-Identifier: Apache-2.0
// The Kafka $emit sink on librdkafka's mock cluster: values, topics, keys, headers, tombstones,
// rejections (before and after producing), order, back-pressure, flush, option errors.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "error_of.hpp"
#include "mock_cluster.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/kafka/sink.hpp"

using json = nlohmann::ordered_json;
using kafka_test::mock_cluster;
using kafka_test::read_all;
using kafka_test::record;
using reel::kafka::emit_options;
using reel::kafka::kafka_sink;
using reel_test::error_of;

namespace {

struct rejected_doc {
  json doc;
  std::string reason;
};

emit_options stage(const std::string& text) {
  return reel::kafka::parse_emit_stage(json::parse(text), "/1/$emit");
}

reel::kafka::properties client(const mock_cluster& c) {
  return {{"bootstrap.servers", c.bootstrap_servers()}, {"linger.ms", "1"}, {"log_level", "3"}};
}

std::vector<json> docs(const char* text) {
  return json::parse(text).get<std::vector<json>>();
}

/// Writes `input` and flushes; returns the rejections of the write call.
reel::write_result write_all(kafka_sink& sink, const std::vector<json>& input) {
  reel::write_result r;
  sink.write(input, r);
  sink.flush();
  return r;
}

std::vector<std::string> values(const std::vector<record>& records) {
  std::vector<std::string> out;
  for (const record& r : records)
    out.push_back(r.value.value_or("<tombstone>"));
  return out;
}

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int c : b)
    out += static_cast<char>(c);
  return out;
}

}  // namespace

TEST_CASE("sink: values as relaxed, canonical and basic JSON, ISO-8601 dates", "[kafka][sink]") {
  mock_cluster c;
  const auto input = docs(R"([{"n": 5, "big": 5000000000, "x": 1.5,
                              "at": {"$date": "2024-01-01T00:00:00.000Z"}}])");
  struct format_case {
    const char* config;
    const char* expected;
  };
  const std::vector<format_case> cases = {
      {R"({})", R"({"n":5,"big":5000000000,"x":1.5,"at":{"$date":"2024-01-01T00:00:00.000Z"}})"},
      {R"({"outputFormat": "canonicalJson"})",
       R"({"n":{"$numberInt":"5"},"big":{"$numberLong":"5000000000"},"x":{"$numberDouble":"1.5"},)"
       R"("at":{"$date":{"$numberLong":"1704067200000"}}})"},
      {R"({"outputFormat": "basicJson"})",
       R"({"n":5,"big":5000000000,"x":1.5,"at":1704067200000})"},
      {R"({"dateFormat": "ISO8601"})",
       R"({"n":5,"big":5000000000,"x":1.5,"at":"2024-01-01T00:00:00.000Z"})"},
  };
  int n = 0;
  for (const format_case& f : cases) {
    INFO(f.config);
    const std::string topic = "formats" + std::to_string(n++);
    c.create_topic(topic);
    const auto before = std::chrono::system_clock::now();
    {
      kafka_sink sink(client(c), stage(R"({"connectionName": "k", "topic": ")" + topic +
                                       R"(", "config": )" + f.config + "}"));
      CHECK(write_all(sink, input).rejected.empty());
      CHECK(sink.stats().delivered == 1);
      CHECK(sink.in_flight() == 0);
    }
    const auto records = read_all(c.bootstrap_servers(), topic);
    REQUIRE(records.size() == 1);
    CHECK(records[0].value == f.expected);
    CHECK(!records[0].key);
    CHECK(records[0].headers.empty());
    // The record timestamp is the time it was produced.
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count();
    CHECK(records[0].timestamp >= ms - 1000);
    CHECK(records[0].timestamp <= ms + 60'000);
  }
}

TEST_CASE("sink: constant and expression topics, a failing topic rejects the document",
          "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("orders-eu", 2);
  c.create_topic("orders-us", 2);
  kafka_sink sink(client(c), stage(R"({"connectionName": "k",
      "topic": {"$concat": ["orders-", "$region"]}})"));
  const auto input = docs(R"([{"i": 0, "region": "eu"}, {"i": 1, "region": "us"},
      {"i": 2, "region": 7}, {"i": 3}, {"i": 4, "region": "a b"}, {"i": 5, "region": "eu"}])");
  const auto r = write_all(sink, input);
  REQUIRE(r.rejected.size() == 3);
  CHECK(r.rejected[0].first == 2);
  CHECK(r.rejected[0].second.starts_with("Failed to evaluate the Kafka topic: "));
  CHECK(r.rejected[0].second.find("$concat") != std::string::npos);
  CHECK(r.rejected[1] ==
        std::pair<std::size_t, std::string>(
            3, "The Kafka topic must evaluate to a string, but it evaluated to null"));
  CHECK(r.rejected[2].first == 4);
  CHECK(r.rejected[2].second ==
        "The Kafka topic 'orders-a b' is not a valid topic name: it contains ' ' (only a-z, A-Z, "
        "0-9, '.', '_' and '-' are allowed)");
  CHECK(sink.stats().produced == 3);
  CHECK(sink.stats().delivered == 3);
  CHECK(sink.stats().rejected == 3);

  std::vector<std::string> eu;
  for (const record& rec : read_all(c.bootstrap_servers(), "orders-eu")) {
    eu.push_back(*rec.value);
  }
  std::sort(eu.begin(), eu.end());
  CHECK(eu == std::vector<std::string>{R"({"i":0,"region":"eu"})", R"({"i":5,"region":"eu"})"});
  CHECK(values(read_all(c.bootstrap_servers(), "orders-us")) ==
        std::vector<std::string>{R"({"i":1,"region":"us"})"});

  // A constant topic.
  c.create_topic("plain");
  kafka_sink constant(client(c), stage(R"({"connectionName": "k", "topic": "plain"})"));
  CHECK(write_all(constant, docs(R"([{"a": 1}, {"a": 2}])")).rejected.empty());
  CHECK(values(read_all(c.bootstrap_servers(), "plain")) ==
        std::vector<std::string>{R"({"a":1})", R"({"a":2})"});
}

TEST_CASE("sink: keys in every keyFormat, bytes as Kafka's serializers write them",
          "[kafka][sink]") {
  mock_cluster c;
  struct key_case {
    const char* format;
    const char* input;                             // documents with a field k
    std::vector<std::optional<std::string>> keys;  // of the messages written, in order
    std::vector<std::size_t> rejected;
  };
  const std::vector<key_case> cases = {
      {"binData",
       R"([{"k": {"$binary": {"base64": "AQID/w==", "subType": "00"}}}, {"k": "text"}, {}])",
       {bytes({1, 2, 3, 0xff}), std::nullopt},
       {1}},
      {"string", R"([{"k": "clé"}, {"k": 5}, {"k": null}])", {"clé", std::nullopt}, {1}},
      {"json",
       R"([{"k": {"a": 1, "d": {"$date": "2024-01-01T00:00:00.000Z"}}}, {"k": "s"}])",
       {R"({"a":1,"d":{"$date":"2024-01-01T00:00:00.000Z"}})", R"("s")"},
       {}},
      {"int",
       R"([{"k": 258}, {"k": -1}, {"k": 2.0}, {"k": 1099511627776}, {"k": "1"}, {"k": 1.5}])",
       {bytes({0, 0, 1, 2}), bytes({0xff, 0xff, 0xff, 0xff}), bytes({0, 0, 0, 2})},
       {3, 4, 5}},
      {"long",
       R"([{"k": 258}, {"k": -2}, {"k": 1099511627776}, {"k": 1.5}])",
       {bytes({0, 0, 0, 0, 0, 0, 1, 2}), bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}),
        bytes({0, 0, 1, 0, 0, 0, 0, 0})},
       {3}},
  };
  for (const key_case& k : cases) {
    INFO(k.format);
    const std::string topic = std::string("keys-") + k.format;
    c.create_topic(topic);
    kafka_sink sink(client(c),
                    stage(R"({"connectionName": "k", "topic": ")" + topic +
                          R"(", "config": {"key": "$k", "keyFormat": ")" + k.format + R"("}})"));
    const auto r = write_all(sink, docs(k.input));
    std::vector<std::size_t> rejected;
    for (const auto& [index, reason] : r.rejected) {
      rejected.push_back(index);
      CHECK(reason.starts_with("The Kafka key must be "));
      CHECK(reason.find(std::string("for keyFormat '") + k.format + "'") != std::string::npos);
    }
    CHECK(rejected == k.rejected);
    std::vector<std::optional<std::string>> keys;
    for (const record& rec : read_all(c.bootstrap_servers(), topic))
      keys.push_back(rec.key);
    CHECK(keys == k.keys);
  }
  // The reason names what was expected and what came.
  c.create_topic("keys-reason");
  kafka_sink sink(client(c), stage(R"({"connectionName": "k", "topic": "keys-reason",
      "config": {"key": "$k", "keyFormat": "int"}})"));
  const auto r = write_all(sink, docs(R"([{"k": 1099511627776}])"));
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].second ==
        "The Kafka key must be an integer that fits in 32 bits for keyFormat 'int', but it "
        "evaluated to long 1099511627776");
}

TEST_CASE("sink: headers from an object or an array of {k, v}", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("headers");
  kafka_sink object_form(client(c), stage(R"({"connectionName": "k", "topic": "headers",
      "config": {"headers": "$h"}})"));
  const auto r = write_all(object_form, docs(R"([
      {"h": {"s": "text", "b": {"$binary": {"base64": "AAE=", "subType": "00"}}, "n": 5,
             "z": null, "o": {"a": [1, true]}}},
      {"h": [{"k": "x", "v": "1"}, {"k": "x", "v": "2"}, {"k": "empty"}]},
      {},
      {"h": "not headers"},
      {"h": [{"name": "x"}]}])"));
  REQUIRE(r.rejected.size() == 2);
  CHECK(r.rejected[0] ==
        std::pair<std::size_t, std::string>(
            3,
            "The Kafka headers must evaluate to an object or an array of {k, v}, but they "
            "evaluated to string"));
  CHECK(r.rejected[1].first == 4);
  CHECK(
      r.rejected[1].second.starts_with("Kafka header 0 must be an object {k: <name>, v: <value>}"));

  const auto records = read_all(c.bootstrap_servers(), "headers");
  REQUIRE(records.size() == 3);
  using header = std::pair<std::string, std::optional<std::string>>;
  CHECK(
      records[0].headers ==
      std::vector<header>{
          {"s", "text"}, {"b", bytes({0, 1})}, {"n", "5"}, {"z", ""}, {"o", R"({"a":[1,true]})"}});
  CHECK(records[1].headers == std::vector<header>{{"x", "1"}, {"x", "2"}, {"empty", ""}});
  CHECK(records[2].headers.empty());
}

TEST_CASE("sink: tombstoneWhen writes a null value with the key", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("compacted");
  kafka_sink sink(client(c), stage(R"({"connectionName": "k", "topic": "compacted",
      "config": {"key": "$id", "keyFormat": "string",
                 "tombstoneWhen": {"$eq": ["$op", "delete"]}}})"));
  CHECK(write_all(sink, docs(R"([{"id": "a", "op": "insert"}, {"id": "a", "op": "delete"},
                                 {"id": "b", "op": "update"}])"))
            .rejected.empty());
  CHECK(sink.stats().tombstones == 1);
  const auto records = read_all(c.bootstrap_servers(), "compacted");
  REQUIRE(records.size() == 3);
  CHECK(records[0].value == R"({"id":"a","op":"insert"})");
  CHECK(records[1].key == "a");
  CHECK(!records[1].value);
  CHECK(records[2].value == R"({"id":"b","op":"update"})");
}

TEST_CASE("sink: a message larger than message.max.bytes is rejected, the others delivered",
          "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("sizes");
  auto props = client(c);
  props["message.max.bytes"] = "2000";
  kafka_sink sink(props, stage(R"({"connectionName": "k", "topic": "sizes"})"));
  std::vector<rejected_doc> late;
  sink.set_rejection_handler([&](const json& d, const std::string& reason) {
    late.push_back({d, reason});
  });
  auto input = docs(R"([{"i": 0}, {"i": 1, "big": ""}, {"i": 2}])");
  input[1]["big"] = std::string(5000, 'x');
  const auto r = write_all(sink, input);
  // librdkafka refuses it when it is produced, during its own write(): reported there.
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0] == std::pair<std::size_t, std::string>(
                             1, "Broker: Message size too large (MSG_SIZE_TOO_LARGE)"));
  CHECK(late.empty());
  CHECK(values(read_all(c.bootstrap_servers(), "sizes")) ==
        std::vector<std::string>{R"({"i":0})", R"({"i":2})"});
}

TEST_CASE("sink: a message larger than the whole local queue is rejected", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("tiny-queue");
  auto props = client(c);
  props["queue.buffering.max.kbytes"] = "1";
  kafka_sink sink(props, stage(R"({"connectionName": "k", "topic": "tiny-queue"})"));
  auto input = docs(R"([{"i": 0, "big": ""}, {"i": 1}])");
  input[0]["big"] = std::string(5000, 'x');
  const auto r = write_all(sink, input);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0] == std::pair<std::size_t, std::string>(0, "Local: Queue full (_QUEUE_FULL)"));
  CHECK(values(read_all(c.bootstrap_servers(), "tiny-queue")) ==
        std::vector<std::string>{R"({"i":1})"});
}

TEST_CASE("sink: deliveries failing after write() returned go to the rejection handler",
          "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("allowed");
  c.create_topic("denied");
  rd_kafka_mock_topic_set_error(c.handle(), "denied", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  auto props = client(c);
  props["message.timeout.ms"] = "1500";
  kafka_sink sink(props, stage(R"({"connectionName": "k", "topic": "$to"})"));
  std::vector<rejected_doc> late;
  sink.set_rejection_handler([&](const json& d, const std::string& reason) {
    late.push_back({d, reason});
  });
  const auto input = docs(R"([{"to": "allowed", "i": 0}, {"to": "denied", "i": 1},
                              {"to": "allowed", "i": 2}, {"to": "denied", "i": 3}])");
  for (const json& d : input) {
    reel::write_result r;
    sink.write(std::span<const json>(&d, 1), r);
    CHECK(r.rejected.empty());
  }
  // Served by on_time_passed() (the processor's advance()) without waiting...
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (late.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sink.on_time_passed();
  }
  // ... and flush() waits for the rest.
  sink.flush();
  REQUIRE(late.size() == 2);
  CHECK(late[0].doc == input[1]);
  CHECK(late[1].doc == input[3]);
  // Not authorized: librdkafka waits for the topic until message.timeout.ms.
  CHECK(late[0].reason == "Local: Message timed out (_MSG_TIMED_OUT)");
  CHECK(sink.stats().delivered == 2);
  CHECK(sink.stats().rejected == 2);
  CHECK(sink.in_flight() == 0);
  CHECK(values(read_all(c.bootstrap_servers(), "allowed")) ==
        std::vector<std::string>{R"({"to":"allowed","i":0})", R"({"to":"allowed","i":2})"});

  // A failure the broker reports for the produce request itself.
  rd_kafka_mock_push_request_errors(c.handle(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  late.clear();
  const auto more = docs(R"([{"to": "allowed", "i": 4}])");
  reel::write_result r;
  sink.write(more, r);
  sink.flush();
  CHECK(r.rejected.empty());
  REQUIRE(late.size() == 1);
  CHECK(late[0].doc == more[0]);
  CHECK(late[0].reason == "Broker: Message size too large (MSG_SIZE_TOO_LARGE)");
  CHECK(write_all(sink, docs(R"([{"to": "allowed", "i": 5}])")).rejected.empty());
  CHECK(values(read_all(c.bootstrap_servers(), "allowed")).back() == R"({"to":"allowed","i":5})");
}

TEST_CASE("sink: without a handler, late rejections wait in take_rejections()", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("denied");
  rd_kafka_mock_topic_set_error(c.handle(), "denied", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  auto props = client(c);
  props["message.timeout.ms"] = "1500";
  kafka_sink sink(props, stage(R"({"connectionName": "k", "topic": "denied"})"));
  const auto r = write_all(sink, docs(R"([{"i": 1}])"));
  CHECK(r.rejected.empty());
  auto taken = sink.take_rejections();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].first == json{{"i", 1}});
  CHECK(taken[0].second == "Local: Message timed out (_MSG_TIMED_OUT)");
  CHECK(sink.stats().rejected == 1);
  CHECK(sink.take_rejections().empty());
}

TEST_CASE("sink: order within a partition, across retried produce requests", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("ordered", 3);
  // Transient broker errors: librdkafka retries; idempotence keeps the order.
  rd_kafka_mock_push_request_errors(
      c.handle(), 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  kafka_sink sink(client(c), stage(R"({"connectionName": "k", "topic": "ordered",
      "config": {"key": "$user", "keyFormat": "string", "acks": "all"}})"));
  constexpr int count = 1000;
  for (int batch = 0; batch < count / 100; ++batch) {
    std::vector<json> input;
    for (int i = batch * 100; i < (batch + 1) * 100; ++i)
      input.push_back(json{{"user", "same"}, {"seq", i}});
    reel::write_result r;
    sink.write(input, r);
    CHECK(r.rejected.empty());
  }
  sink.flush();
  CHECK(sink.in_flight() == 0);
  CHECK(sink.stats().produced == count);
  CHECK(sink.stats().delivered == count);
  const auto records = read_all(c.bootstrap_servers(), "ordered");
  REQUIRE(records.size() == count);
  bool in_order = true;
  for (int i = 0; i < count; ++i) {
    const record& rec = records[static_cast<std::size_t>(i)];
    in_order = in_order && rec.partition == records[0].partition && rec.key == "same" &&
               json::parse(*rec.value)["seq"] == i &&
               (i == 0 || rec.offset == records[static_cast<std::size_t>(i) - 1].offset + 1);
  }
  CHECK(in_order);
}

TEST_CASE("sink: a full local queue is back-pressure, nothing is dropped", "[kafka][sink]") {
  mock_cluster c;
  c.create_topic("small-queue");
  auto props = client(c);
  props["queue.buffering.max.messages"] = "5";
  kafka_sink sink(props, stage(R"({"connectionName": "k", "topic": "small-queue"})"));
  std::vector<json> input;
  for (int i = 0; i < 200; ++i)
    input.push_back(json{{"i", i}});
  CHECK(write_all(sink, input).rejected.empty());
  CHECK(sink.stats().queue_full_retries > 0);
  CHECK(sink.stats().delivered == 200);
  const auto records = read_all(c.bootstrap_servers(), "small-queue");
  REQUIRE(records.size() == 200);
  CHECK(records.back().value == R"({"i":199})");
}

TEST_CASE("sink: flush() gives up after flush_timeout and keeps the messages", "[kafka][sink]") {
  emit_options o = stage(R"({"connectionName": "k", "topic": "nowhere"})");
  o.flush_timeout = std::chrono::milliseconds(300);
  o.close_timeout = std::chrono::milliseconds(100);
  kafka_sink sink({{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}}, o);
  reel::write_result r;
  sink.write(docs(R"([{"a": 1}, {"a": 2}])"), r);
  CHECK(r.rejected.empty());
  const auto start = std::chrono::steady_clock::now();
  const std::string what = error_of([&] { sink.flush(); });
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(what.starts_with(
      "[reel.kafka.flush_timeout] at /1/$emit: 2 Kafka message(s) still wait for delivery after "
      "300 ms; they stay queued and are retried (flush again to wait)"));
  CHECK(sink.in_flight() == 2);
  CHECK(sink.stats().rejected == 0);
}

TEST_CASE("sink: option errors name their location", "[kafka][sink]") {
  auto err = [](const std::string& text) { return error_of([&] { (void)stage(text); }); };
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"keyFromat": "string"}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/keyFromat: unknown option "
        "'keyFromat' of $emit.config (did you mean 'keyFormat'?)");
  CHECK(
      err(R"({"connectionName": "k", "topic": "t", "config": {"key": "$a", "keyFormat": "strng"}})") ==
      "[reel.pipeline.invalid_option] at /1/$emit/config/keyFormat: unknown keyFormat 'strng' "
      "(did you mean 'string'?); use binData, string, json, int or long");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"keyFormat": "string"}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/keyFormat: keyFormat needs a key "
        "expression (config.key)");
  CHECK(err(R"({"connectionName": "k"})") ==
        "[reel.pipeline.invalid_option] at /1/$emit: $emit to Kafka requires a topic (a string or "
        "an expression)");
  CHECK(err(R"({"connectionName": "k", "topic": "a/b"})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/topic: 'a/b' is not a valid Kafka topic name: "
        "it contains '/' (only a-z, A-Z, 0-9, '.', '_' and '-' are allowed)");
  CHECK(
      err(R"({"connectionName": "k", "topic": 5})") ==
      "[reel.pipeline.invalid_option] at /1/$emit/topic: topic must be a string or an expression");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "partition": 1})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/partition: unknown option 'partition' of "
        "$emit to Kafka");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"acks": 2}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/acks: acks must be -1, 0, 1 or "
        "\"all\", not 2");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"compression_type": "gzp"}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/compression_type: unknown "
        "compression_type 'gzp' (did you mean 'gzip'?); use none, gzip, snappy, lz4 or zstd");
  CHECK(
      err(R"({"connectionName": "k", "topic": "t", "config": {"outputFormat": "relaxedJSON"}})") ==
      "[reel.pipeline.invalid_option] at /1/$emit/config/outputFormat: unknown outputFormat "
      "'relaxedJSON' (did you mean 'relaxedJson'?); use relaxedJson, canonicalJson or basicJson");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"dateFormat": "iso"}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/dateFormat: dateFormat must be "
        "\"default\" or \"ISO8601\", not \"iso\"");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"headers": 5}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/headers: headers must be an expression "
        "giving an object or an array of {k, v}");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "schemaRegistry": {}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/schemaRegistry: schemaRegistry (Avro "
        "serialization) is not supported: messages are written as JSON");
  CHECK(err(R"({"connectionName": "k", "topic": {"$concat": ["a", {"$nope": 1}]}})")
            .starts_with("[reel.expression.unknown_operator] at /1/$emit/topic/$concat/1"));
  CHECK(
      err(R"({"connectionName": "k", "topic": "t", "config": {"deliveryGuarantee": "exactlyonce"}})") ==
      "[reel.pipeline.invalid_option] at /1/$emit/config/deliveryGuarantee: deliveryGuarantee "
      "must be \"atLeastOnce\" or \"exactlyOnce\", not 'exactlyonce' (did you mean "
      "'exactlyOnce'?)");
  CHECK(err(R"({"connectionName": "k", "topic": "t", "config": {"transactionalId": "x"}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/transactionalId: transactionalId goes "
        "with \"deliveryGuarantee\": \"exactlyOnce\"");
  CHECK(err(R"({"connectionName": "k", "topic": "t",
                "config": {"deliveryGuarantee": "exactlyOnce", "acks": 1}})") ==
        "[reel.pipeline.invalid_option] at /1/$emit/config/acks: exactly-once delivery needs acks "
        "\"all\" (transactions need the idempotent producer), not 1");

  // Accepted: every option; acks 1 turns idempotence off (it needs acks=all).
  const emit_options o = stage(R"({"connectionName": "k", "topic": "$t", "config": {
      "key": {"$toString": "$id"}, "keyFormat": "string", "headers": {"h": "$h"}, "acks": 1,
      "compression_type": "lz4", "outputFormat": "canonicalJson", "dateFormat": "ISO8601",
      "tombstoneWhen": "$gone"}})");
  CHECK(o.key_format == reel::kafka::key_format::string);
  CHECK(o.acks == "1");
  CHECK(o.compression_type == "lz4");
  CHECK(o.format == reel::output_format::canonical);
  CHECK(o.iso8601_dates);
  CHECK(o.where == "/1/$emit");
  CHECK_NOTHROW(kafka_sink({{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}}, o));
  // Exactly-once: the producer waits for attach(); writing without it is refused.
  const emit_options eos = stage(R"({"connectionName": "k", "topic": "t",
      "config": {"deliveryGuarantee": "exactlyOnce", "transactionalId": "reel-test"}})");
  CHECK(eos.delivery == reel::kafka::delivery_guarantee::exactly_once);
  CHECK(eos.transactional_id == "reel-test");
  CHECK(error_of([&] {
          kafka_sink s({{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}}, eos);
          reel::write_result r;
          const std::vector<json> docs = {json{{"a", 1}}};
          s.write(docs, r);
        }) ==
        "[reel.kafka.exactly_once_needs_checkpoints] at /1/$emit/config/deliveryGuarantee: "
        "an exactly-once Kafka sink writes only inside a processor with a checkpoint store");
  CHECK(error_of([&] {
          kafka_sink s({{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}}, eos);
          s.attach({.processor_name = "p", .source = nullptr, .checkpoints = false});
        })
            .starts_with(
                "[reel.kafka.exactly_once_needs_checkpoints] at "
                "/1/$emit/config/deliveryGuarantee: exactly-once delivery commits the output "
                "with each checkpoint"));
  // A property librdkafka refuses.
  CHECK(error_of([] {
          kafka_sink s({{"bootstrap.servers", "127.0.0.1:1"}, {"linger.ms", "soon"}},
                       stage(R"({"connectionName": "k", "topic": "t"})"));
        }).starts_with("[reel.connection.invalid] at /1/$emit: librdkafka refused linger.ms"));
}
