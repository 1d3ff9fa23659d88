// SPDX-License-Identifier: Apache-2.0
// At-least-once delivery between a processor and its source: which positions are committed
// (`source::commit`) while windows hold events, partitions that come and go (rebalances),
// messages read again after a restart, and sinks that reject documents after write() returned.
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace {

using reel::json::document;
using namespace std::chrono_literals;

reel::timestamp at(std::int64_t seconds) {
  return reel::from_millis(seconds * 1000);
}

/// A source replaying scripted polls; remembers every commit.
class scripted_source final : public reel::source {
 public:
  struct step {
    std::vector<reel::source_message> messages;
    reel::partition_changes changes;
    std::function<void()> before;  // runs when this step is polled (checks state so far)
  };
  std::deque<step> steps;
  std::vector<std::vector<reel::partition_release>> commits;
  reel::partition_changes pending_changes;

  std::string type() const override { return "scripted"; }
  reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t) override {
    if (steps.empty()) return reel::poll_status::end_of_input;
    step s = std::move(steps.front());
    steps.pop_front();
    if (s.before) s.before();
    for (auto& m : s.messages)
      out.push_back(std::move(m));
    pending_changes = std::move(s.changes);
    return reel::poll_status::ready;
  }
  reel::partition_changes take_partition_changes() override {
    return std::exchange(pending_changes, {});
  }
  void commit(const std::vector<reel::partition_release>& released) override {
    commits.push_back(released);
  }
};

reel::source_message message(reel::partition_id partition, std::int64_t offset,
                             std::int64_t seconds, int value = 1) {
  reel::source_message m;
  m.document = document{{"v", value}, {"k", "a"}};
  m.partition = partition;
  m.record_time = at(seconds);
  m.position = offset;
  return m;
}

const document tumbling_pipeline = document::parse(R"([
  {"$source": {"connectionName": "in"}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
                       "allowedLateness": {"size": 0, "unit": "second"},
                       "pipeline": [{"$group": {"_id": "$k", "total": {"$sum": "$v"}}}]}},
  {"$emit": {"connectionName": "out"}}])");

struct fixture {
  scripted_source* source = nullptr;
  std::shared_ptr<reel::memory_sink> out = std::make_shared<reel::memory_sink>();
  reel::manual_clock clock{at(1000)};
  reel::connection_registry connections;
  fixture() {
    auto src = std::make_unique<scripted_source>();
    source = src.get();
    auto owned = std::make_shared<std::unique_ptr<scripted_source>>(std::move(src));
    connections.add_source("in", [owned](const document&) -> std::unique_ptr<reel::source> {
      return std::move(*owned);
    });
    connections.add_sink("out", [this](const document&) -> std::unique_ptr<reel::sink> {
      struct forward final : reel::sink {
        std::shared_ptr<reel::memory_sink> to;
        void write(std::span<const document> docs, reel::write_result& r) override {
          to->write(docs, r);
        }
      };
      auto f = std::make_unique<forward>();
      f->to = out;
      return f;
    });
  }
  reel::json::stream_processor make(const document& pipeline) {
    return reel::json::stream_processor(pipeline, connections,
                                        {.stream_meta = false, .clock = &clock});
  }
  const reel::partition_release* last_release(reel::partition_id p) const {
    for (auto it = source->commits.rbegin(); it != source->commits.rend(); ++it) {
      for (const auto& r : *it)
        if (r.partition == p) return &r;
    }
    return nullptr;
  }
};

}  // namespace

TEST_CASE("commits stop at the first message an open window holds", "[json][processor][delivery]") {
  fixture f;
  auto sp = f.make(tumbling_pipeline);
  // Window [0,10) gets offsets 0-1, [10,20) offsets 2-3, [20,30) offset 4.
  f.source->steps.push_back({{message(0, 0, 1), message(0, 1, 2), message(0, 2, 11)}, {}});
  f.source->steps.push_back({{message(0, 3, 12)}, {}});
  f.source->steps.push_back({{message(0, 4, 21)}, {}});
  sp.process(1);  // one output: [0,10) closed at t=11
  REQUIRE(f.out->documents().size() == 1);
  // The first commit happened after the first batch: [0,10) closed, [10,20) holds offset 2.
  REQUIRE_FALSE(f.source->commits.empty());
  const auto* r = f.last_release(0);
  REQUIRE(r != nullptr);
  CHECK(r->first_needed == 2);
  CHECK(r->closed_before == at(10));  // [0,10) closed: an event before 10 is late

  f.clock.advance(2s);
  sp.process();  // to the end: flush closes everything and commits everything
  CHECK(f.out->documents().size() == 3);
  r = f.last_release(0);
  REQUIRE(r != nullptr);
  CHECK(r->first_needed.is_null());
}

TEST_CASE("commits wait for the commit interval and flush the sink first",
          "[json][processor][delivery]") {
  fixture f;
  auto sp = f.make(tumbling_pipeline);
  for (int i = 0; i < 5; ++i)
    f.source->steps.push_back({{message(0, i, i * 10 + 1)}, {}});
  f.source->steps.push_back({{}, {}});
  sp.process(1);
  const std::size_t first = f.source->commits.size();
  CHECK(first == 1);
  sp.process(1);  // the clock did not move: no new commit
  CHECK(f.source->commits.size() == first);
  f.clock.advance(1s);
  sp.process(1);
  CHECK(f.source->commits.size() == first + 1);
  // [30,40) holds offset 3.
  CHECK(f.last_release(0)->first_needed == 3);
}

TEST_CASE("without a window every delivered message is released", "[json][processor][delivery]") {
  fixture f;
  auto sp = f.make(document::parse(R"([{"$source": {"connectionName": "in"}},
      {"$match": {"v": {"$gt": 0}}}, {"$emit": {"connectionName": "out"}}])"));
  f.source->steps.push_back({{message(0, 7, 1), message(1, 3, 1)}, {}});
  sp.process();
  const auto* r0 = f.last_release(0);
  const auto* r1 = f.last_release(1);
  REQUIRE(r0 != nullptr);
  REQUIRE(r1 != nullptr);
  CHECK(r0->first_needed.is_null());
  CHECK(r1->first_needed.is_null());
}

TEST_CASE("assigned partitions hold the watermark, revoked ones release it",
          "[json][processor][delivery]") {
  fixture f;
  auto sp = f.make(tumbling_pipeline);
  reel::partition_changes assign;
  assign.assigned = {{0, "t[0]"}, {1, "t[1]"}};
  reel::partition_changes revoke;
  revoke.revoked = {1};
  bool checked_held = false, checked_released = false;
  f.source->steps.push_back({{}, assign, {}});
  f.source->steps.push_back({{message(0, 0, 1), message(0, 1, 25)}, {}, {}});
  f.source->steps.push_back({{}, revoke, [&] {
                               // Partition 1 delivered nothing: [0,10) cannot close.
                               CHECK(f.out->documents().empty());
                               document stats = sp.stats();
                               REQUIRE(stats["partitions"].size() == 2);
                               CHECK(stats["partitions"][1]["partition"] == "t[1]");
                               CHECK(stats["watermarkHeldBy"] == "t[1]");
                               checked_held = true;
                             }});
  f.source->steps.push_back({{}, {}, [&] {
                               // [0,10) closed as soon as t[1] went away.
                               CHECK(f.out->documents().size() == 1);
                               checked_released = true;
                             }});
  sp.process();
  CHECK(checked_held);
  CHECK(checked_released);
}

TEST_CASE("messages read again after a resume do not reopen closed windows",
          "[json][processor][delivery]") {
  fixture f;
  auto sp = f.make(tumbling_pipeline);
  auto replayed = [](std::int64_t offset, std::int64_t seconds, bool redelivered) {
    reel::source_message m = message(0, offset, seconds);
    m.closed_before = at(10);
    m.redelivered = redelivered;
    return m;
  };
  // Offsets 5-6 were processed by the previous reader (5 in a closed window, 6 in an open one);
  // offset 7 is new but older than what the previous reader had closed: late.
  f.source->steps.push_back(
      {{replayed(5, 3, true), replayed(6, 12, true), replayed(7, 4, false), message(0, 8, 13)},
       {}});
  sp.process();
  const auto outputs = f.out->documents();
  REQUIRE(outputs.size() == 1);
  CHECK(outputs[0]["total"] == 2);  // offsets 6 and 8, in [10,20)
  document stats = sp.stats();
  CHECK(stats["redeliveredSkippedCount"] == 1);
  CHECK(stats["lateMessageCount"] == 1);
  CHECK(stats["dlqMessageCount"] == 1);
}

TEST_CASE("a buffering sink's later rejections reach the DLQ", "[json][processor][delivery]") {
  struct buffering final : reel::sink {
    std::vector<document> buffered;
    rejection_handler on_reject;
    void write(std::span<const document> docs, reel::write_result&) override {
      buffered.insert(buffered.end(), docs.begin(), docs.end());
    }
    void flush() override {
      for (const auto& d : buffered)
        if (d["total"] == 2) on_reject(d, "too big");
      buffered.clear();
    }
    void set_rejection_handler(rejection_handler h) override { on_reject = std::move(h); }
  };
  fixture f;
  f.connections.add_sink("out", [](const document&) -> std::unique_ptr<reel::sink> {
    return std::make_unique<buffering>();
  });
  auto sp = f.make(tumbling_pipeline);
  std::vector<document> dead;
  sp.on_dead_letter([&](const document& d) { dead.push_back(d); });
  f.source->steps.push_back({{message(0, 0, 1), message(0, 1, 2), message(0, 2, 11)}, {}});
  sp.process();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["operatorName"] == "EmitOperator");
  CHECK(dead[0]["errInfo"]["reason"] == "too big");
  CHECK(dead[0]["doc"]["total"] == 2);
}

TEST_CASE("per-partition windows close on their own watermark and leave with their partition",
          "[json][processor][delivery]") {
  fixture f;
  auto sp = reel::json::stream_processor(
      tumbling_pipeline, f.connections,
      {.stream_meta = false, .clock = &f.clock, .partitioned_windows = true});
  reel::partition_changes assign;
  assign.assigned = {{0, "t[0]"}, {1, "t[1]"}};
  reel::partition_changes revoke;
  revoke.revoked = {1};
  std::string saved;
  f.source->steps.push_back({{}, assign, {}});
  f.source->steps.push_back(
      {{message(0, 0, 1, 1), message(1, 0, 2, 10), message(0, 1, 12, 1)}, {}, {}});
  f.source->steps.push_back({{}, revoke, [&] {
                               // t[0]'s [0,10) closed at its own t=12; t[1] holds nobody back.
                               REQUIRE(f.out->documents().size() == 1);
                               CHECK(f.out->documents()[0]["total"] == 1);
                               document stats = sp.stats();
                               REQUIRE(stats["partitions"].size() == 2);
                               CHECK(stats["partitions"][1]["partition"] == "t[1]");
                               CHECK(stats["openWindowCount"] == 2);
                               saved = sp.checkpoint();
                             }});
  sp.process();
  // t[1] was revoked with [0,10) open: its state left with it (the new owner recomputes it).
  const auto outputs = f.out->documents();
  REQUIRE(outputs.size() == 2);
  CHECK(outputs[1]["total"] == 1);  // t[0]'s [10,20), at flush
  CHECK(sp.stats()["handedOverWindowCount"] == 1);

  // The checkpoint taken before the revocation restores both partitions' windows.
  fixture g;
  auto restored = reel::json::stream_processor(
      tumbling_pipeline, g.connections,
      {.stream_meta = false, .clock = &g.clock, .partitioned_windows = true});
  restored.restore(saved);
  reel::partition_changes both;
  both.assigned = {{0, "t[0]"}, {1, "t[1]"}};
  g.source->steps.push_back({{}, both, {}});
  restored.process();
  const auto again = g.out->documents();
  REQUIRE(again.size() == 2);
  std::vector<int> totals = {again[0]["total"].get<int>(), again[1]["total"].get<int>()};
  std::sort(totals.begin(), totals.end());
  CHECK(totals == std::vector<int>{1, 10});  // t[0]'s [10,20) and t[1]'s [0,10)
}
