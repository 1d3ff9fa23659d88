// SPDX-License-Identifier: Apache-2.0
// Kafka `$emit` in exactly-once mode against a real broker: output and source offsets commit in
// one transaction per checkpoint; a processor dropped mid-interval, or one that stored a
// checkpoint and died before committing its transaction, is restored and a read_committed
// consumer sees every result exactly once; aborted output stays invisible; the mode is refused
// without a checkpoint store or a Kafka source.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "broker_support.hpp"
#include "reel/checkpoint/directory_store.hpp"
#include "reel/json/stream_processor.hpp"

using namespace kafka_broker_test;
using reel::json::stream_processor;

namespace {

std::uint64_t counter(const stream_processor& sp, const char* name) {
  const document s = sp.stats();
  auto it = s.find(name);
  return it != s.end() && it->is_number_integer() ? it->get<std::uint64_t>() : 0;
}

/// The movie pipeline with `$emit` in exactly-once mode under `transactional_id`.
document exactly_once_pipeline(const std::string& in, const std::string& out,
                               const std::string& group, const std::string& transactional_id) {
  document p = movie_pipeline(in, out, group);
  p.back()["$emit"]["config"] = {{"deliveryGuarantee", "exactlyOnce"},
                                 {"transactionalId", transactional_id}};
  return p;
}

/// Every message of `topic` (all partitions) as a consumer with `isolation` (`read_committed`,
/// `read_uncommitted`) sees it, up to the end of each partition.
std::vector<kafka_test::record> read_with(const std::string& bootstrap, const std::string& topic,
                                          int partitions, const std::string& isolation) {
  client_ptr rk = make_client(RD_KAFKA_CONSUMER, bootstrap,
                              {{"group.id", unique("eos-reader")},
                               {"enable.auto.commit", "false"},
                               {"enable.partition.eof", "true"},
                               {"isolation.level", isolation}});
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  const rd_kafka_resp_err_t e = rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e) throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(e));
  std::vector<kafka_test::record> out;
  int at_end = 0;
  const auto deadline = steady::now() + 30s;
  while (at_end < partitions) {
    if (steady::now() > deadline) throw std::runtime_error("read_with: timed out");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++at_end;
    } else if (!m->err) {
      kafka_test::record r;
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

std::vector<emitted> results_of(const std::vector<kafka_test::record>& records) {
  std::vector<emitted> out;
  for (const auto& r : records)
    out.push_back(parse_result(r));
  return out;
}

/// A directory store whose `put()` can be made to fail after writing: the checkpoint is stored,
/// and the processor dies before its transaction commits.
class failing_store final : public reel::checkpoint_store {
 public:
  explicit failing_store(const std::filesystem::path& dir) : inner_(dir, {.keep_last = 2}) {}
  bool fail_after_put = false;
  void put(std::uint64_t version, std::string_view bytes) override {
    inner_.put(version, bytes);
    if (fail_after_put) {
      fail_after_put = false;
      reel::throw_error("reel.test.crash", location(), "the process dies after the put");
    }
  }
  [[nodiscard]] std::optional<std::string> get(std::uint64_t version) const override {
    return inner_.get(version);
  }
  [[nodiscard]] std::vector<std::uint64_t> list() const override { return inner_.list(); }
  void remove(std::uint64_t version) override { inner_.remove(version); }
  [[nodiscard]] std::string location() const override { return inner_.location(); }

 private:
  reel::directory_store inner_;
};

/// Steps `sp`, moving `clock` 100 ms per round, until `done` (or 120 s of real time).
bool step_until(stream_processor& sp, reel::manual_clock& clock, const std::function<bool()>& done,
                bool advance_clock = true) {
  const auto deadline = steady::now() + 120s;
  while (!done()) {
    if (steady::now() > deadline) return false;
    sp.step();
    if (advance_clock) clock.advance(reel::duration{100});
  }
  return true;
}

}  // namespace

TEST_CASE(
    "exactly-once: a processor dropped mid-interval and restored: read_committed sees each "
    "result once",
    "[kafka][broker][exactly_once]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::string in = unique("eos-in"), out = unique("eos-out"), group = unique("eos");
  const std::string txn = unique("eos-txn");
  create_topic(brokers, in, 4);
  create_topic(brokers, out, 1);
  const std::vector<ticket> tickets = make_tickets(20'000);
  produce_tickets(brokers, in, 4, tickets);
  const std::vector<std::int64_t> ends = end_offsets(brokers, in, 4);
  const auto registry = connections(brokers);
  const document pipeline = exactly_once_pipeline(in, out, group, txn);
  scratch_dir dir("eos-state");
  failing_store store(dir.path());
  reel::manual_clock clock(reel::from_millis(1'750'000'000'000));
  const reel::json::stream_processor_options options{
      .name = "eos",
      .clock = &clock,
      .checkpoint = {.store = &store, .interval = reel::duration{2000}}};
  std::uint64_t aborted_outputs = 0;
  bool crashed_after_put = false;

  SECTION("dropped with output written since the last checkpoint") {
    stream_processor first(pipeline, registry, options);
    std::uint64_t version = 0, outputs_at_version = 0;
    const auto mid_interval = [&] {
      const document s = first.stats();
      if (s["lastCheckpointVersion"] != version) {
        version = s["lastCheckpointVersion"].get<std::uint64_t>();
        outputs_at_version = s["outputMessageCount"].get<std::uint64_t>();
      }
      return s["inputMessageCount"].get<std::uint64_t>() >= 8'000 &&
             s["outputMessageCount"].get<std::uint64_t>() > outputs_at_version;
    };
    REQUIRE(step_until(first, clock, mid_interval));
    aborted_outputs = counter(first, "outputMessageCount") - outputs_at_version;
    CHECK(aborted_outputs > 0);  // in the open transaction, aborted when `first` is dropped
    CHECK(counter(first, "checkpointCount") >= 2);
  }
  SECTION("died after storing a checkpoint, before committing its transaction") {
    stream_processor first(pipeline, registry, options);
    REQUIRE(step_until(first, clock, [&] { return counter(first, "inputMessageCount") >= 8'000; }));
    const std::uint64_t outputs_before = counter(first, "outputMessageCount");
    const std::uint64_t version_before = counter(first, "lastCheckpointVersion");
    // Output in the open transaction, then a checkpoint that is stored but never committed.
    REQUIRE(step_until(
        first, clock, [&] { return counter(first, "outputMessageCount") > outputs_before; },
        false));
    store.fail_after_put = true;
    try {
      step_until(first, clock, [] { return false; });
    } catch (const reel::error& e) {
      CHECK(e.id() == "reel.test.crash");
      crashed_after_put = true;
    }
    REQUIRE(crashed_after_put);
    CHECK(store.list().back() == version_before + 1);  // stored, its transaction not committed
  }

  stream_processor second(pipeline, registry, options);
  REQUIRE(second.resumed_from());
  if (crashed_after_put) {
    // The newest checkpoint's transaction did not commit: the previous one is restored, and the
    // uncommitted one is removed.
    const auto& r = *second.resumed_from();
    REQUIRE_FALSE(r.skipped.empty());
    CHECK_THAT(r.skipped.back(), Catch::Contains("its output transaction did not commit"));
    const std::vector<std::uint64_t> versions = store.list();
    CHECK(std::find(versions.begin(), versions.end(), r.version + 1) == versions.end());
  }
  const auto read_all_input = [&] {
    const document s = second.stats();
    const document& pos = s["sourcePositions"];
    if (!pos.is_object() || !pos.contains(in)) return false;
    for (std::size_t p = 0; p < ends.size(); ++p) {
      const std::string n = std::to_string(p);
      if (ends[p] > 0 && (!pos[in].contains(n) || pos[in][n].get<std::int64_t>() < ends[p]))
        return false;
    }
    return true;
  };
  const bool read_all = step_until(second, clock, read_all_input);
  INFO("second: " << second.stats().dump());
  REQUIRE(read_all);
  second.flush();            // closes the last windows
  second.save_checkpoint();  // and commits their results
  CHECK(counter(second, "lateMessageCount") == 0);

  const auto committed = results_of(read_with(brokers, out, 1, "read_committed"));
  check_exactly_once(reference(tickets), committed);
  // The aborted transaction's messages are in the log, invisible to read_committed.
  const auto everything = read_with(brokers, out, 1, "read_uncommitted");
  INFO("aborted outputs " << aborted_outputs << ", read_uncommitted " << everything.size()
                          << ", read_committed " << committed.size());
  if (crashed_after_put) CHECK(everything.size() > committed.size());
  // The group's offsets are those of the last checkpoint: the whole input.
  CHECK(committed_offsets(brokers, group, in, 4) == ends);
  const document m = second.stats()["sinkMetrics"];
  CHECK(m["transactions"].get<std::uint64_t>() >= 1);
}

TEST_CASE("exactly-once is refused without a checkpoint store or without a Kafka source",
          "[kafka][broker][exactly_once]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  const std::string in = unique("eos-refuse"), out = unique("eos-refuse-out");
  const auto registry = connections(brokers);
  const document pipeline = exactly_once_pipeline(in, out, unique("eos-refuse"), unique("txn"));
  try {
    stream_processor sp(pipeline, registry, {.name = "no-store"});
    FAIL("built without a store");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.kafka.exactly_once_needs_checkpoints");
    CHECK(e.where() == "/2/$emit/config/deliveryGuarantee");
    CHECK_THAT(e.message(), Catch::Contains("reel run --state DIR"));
  }

  document sample = pipeline;
  sample[0]["$source"] = {{"connectionName", "sample_movie_tickets"}};
  scratch_dir dir("eos-refuse");
  reel::directory_store store(dir.path());
  try {
    stream_processor sp(sample, registry, {.name = "sample", .checkpoint = {.store = &store}});
    FAIL("built with a sample source");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.kafka.exactly_once_needs_kafka_source");
    CHECK(e.where() == "/2/$emit/config/deliveryGuarantee");
  }
}
