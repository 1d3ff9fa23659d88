// SPDX-License-Identifier: Apache-2.0
// Enrichment stages in the stream processor (reel/json/enrichment.hpp): `$externalFunction`
// with in-process functions, calls in flight up to `parallelism`, released in input order
// whatever order they complete in, backpressure on the source, errors per `onError`, commits
// that never pass a document in flight. Calls are completed by the test itself, in a shuffled
// order from a fixed seed, between the processor's steps: no threads, no sleeping.
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace {

using reel::json::document;

/// A source that hands out its messages (at most `max` per poll) and then stays idle, never
/// ending: the test decides when the input is over (`flush()`). Counts what it handed out and
/// remembers every commit.
class feed_source final : public reel::source {
 public:
  explicit feed_source(std::vector<document> docs) : docs_(std::move(docs)) {}
  std::string type() const override { return "feed"; }
  reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t max) override {
    if (*polled_ >= docs_.size()) return reel::poll_status::idle;
    for (std::size_t n = 0; n < max && *polled_ < docs_.size(); ++n) {
      reel::source_message m;
      m.document = docs_[*polled_];
      m.position = *polled_;
      ++*polled_;
      out.push_back(std::move(m));
    }
    return reel::poll_status::ready;
  }
  nlohmann::ordered_json positions() const override { return *polled_; }
  void commit(const std::vector<reel::partition_release>& released) override {
    commits_->push_back(released);
  }
  std::shared_ptr<std::size_t> polled_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<std::vector<std::vector<reel::partition_release>>> commits_ =
      std::make_shared<std::vector<std::vector<reel::partition_release>>>();

 private:
  std::vector<document> docs_;
};

/// An in-process function whose calls the test completes: each call waits in `pending`.
struct deferred_function {
  struct call {
    document argument;
    reel::function_completion done;
  };
  std::shared_ptr<std::vector<call>> pending = std::make_shared<std::vector<call>>();
  std::size_t most_pending = 0;

  reel::async_function function() {
    return [this](const document& argument, reel::function_completion done) {
      pending->push_back({argument, std::move(done)});
      most_pending = std::max(most_pending, pending->size());
    };
  }
  /// The answer of the pricing function used throughout: seats × 3.
  static document answer(const document& argument) {
    return document{{"amount", argument["seats"].get<std::int64_t>() * 3}};
  }
  /// Completes a shuffled share of the pending calls (at least one when `at_least_one`).
  void complete_some(std::mt19937& random, bool at_least_one) {
    if (pending->empty()) return;
    std::shuffle(pending->begin(), pending->end(), random);
    std::size_t n = std::uniform_int_distribution<std::size_t>(0, pending->size())(random);
    if (at_least_one) n = std::max<std::size_t>(n, 1);
    std::vector<call> done(pending->end() - static_cast<std::ptrdiff_t>(n), pending->end());
    pending->erase(pending->end() - static_cast<std::ptrdiff_t>(n), pending->end());
    for (call& c : done)
      c.done(answer(c.argument));
  }
};

document tickets_pipeline(std::size_t parallelism, bool window) {
  document p = document::parse(R"([
    {"$source": {"connectionName": "in", "timeField": {"$toDate": "$ts"}}},
    {"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "price"}}])");
  p[1]["$externalFunction"]["parallelism"] = parallelism;
  if (window) {
    p.push_back(document::parse(R"({"$tumblingWindow": {
        "interval": {"size": 10, "unit": "second"}, "allowedLateness": {"size": 2, "unit": "second"},
        "pipeline": [{"$group": {"_id": "$movie", "total": {"$sum": "$price.amount"},
                                 "n": {"$count": {}}}}, {"$sort": {"_id": 1}}]}})"));
  }
  return p;
}

/// 400 tickets, 250 ms apart, some of them up to 1.5 s out of order and a few late.
std::vector<document> tickets() {
  std::vector<document> out;
  std::mt19937 random(7);
  const char* movies[] = {"Dune", "Up", "Heat"};
  for (int i = 0; i < 400; ++i) {
    std::int64_t ms = 1'700'000'000'000 + i * 250;
    if (random() % 5 == 0) ms -= static_cast<std::int64_t>(random() % 1500);
    if (i % 97 == 96) ms -= 20'000;  // late
    out.push_back({{"i", i},
                   {"movie", movies[random() % 3]},
                   {"seats", static_cast<int>(random() % 4) + 1},
                   {"ts", ms}});
  }
  return out;
}

struct run_result {
  std::vector<document> outputs, dead_letters;
  std::size_t most_in_flight = 0;
};

/// Runs `pipeline` over `docs` read from a source, with the pricing function answering at once
/// (`seed` 0: the synchronous reference) or deferred, its calls completed in a shuffled order
/// (`seed`) between steps; then flushes.
run_result run(const document& pipeline, const std::vector<document>& docs, std::size_t parallelism,
               unsigned seed) {
  reel::manual_clock clock(reel::from_millis(1'700'000'000'000));
  deferred_function f;
  reel::connection_registry connections;
  if (seed == 0) {
    connections.register_function("fns", "price", reel::sync_function(&deferred_function::answer));
  } else {
    connections.register_function("fns", "price", f.function());
  }
  connections.register_function("fns", "label", [](const document& d) {  // for window results
    return document(d["_id"].get<std::string>() + ": " + std::to_string(d["total"].get<int>()));
  });
  connections.add_source("in", [&](const auto&) { return std::make_unique<feed_source>(docs); });
  reel::json::stream_processor sp(pipeline, connections,
                                  {.name = "t", .stream_meta = false, .clock = &clock});
  run_result r;
  sp.on_output([&](const document& d) { r.outputs.push_back(d); });
  sp.on_dead_letter([&](const document& d) { r.dead_letters.push_back(d); });
  std::mt19937 random(seed);
  while (sp.stats()["inputMessageCount"].get<std::size_t>() < docs.size() || !f.pending->empty()) {
    (void)sp.step();
    f.complete_some(random, f.pending->size() == parallelism);
  }
  (void)sp.step();  // releases what the last completions freed
  sp.flush();
  r.most_in_flight = f.most_pending;
  return r;
}

/// DLQ records without their `dlqTime` (processing time), for comparisons.
std::vector<document> without_times(std::vector<document> records) {
  for (document& r : records)
    r.erase("dlqTime");
  return records;
}

}  // namespace

TEST_CASE("$externalFunction releases results in input order whatever order calls complete in",
          "[json][processor][enrichment]") {
  const std::vector<document> docs = tickets();
  for (std::size_t parallelism : {1, 16, 64}) {
    DYNAMIC_SECTION("parallelism " << parallelism) {
      const run_result r = run(tickets_pipeline(parallelism, false), docs, parallelism, 11);
      REQUIRE(r.outputs.size() == docs.size());
      for (std::size_t i = 0; i < docs.size(); ++i) {
        REQUIRE(r.outputs[i]["i"] == docs[i]["i"]);
        REQUIRE(r.outputs[i]["price"] == deferred_function::answer(docs[i]));
      }
      CHECK(r.dead_letters.empty());
      CHECK(r.most_in_flight == parallelism);  // the bound is reached, never passed
    }
  }
}

TEST_CASE("window results with 1, 16 and 64 calls in flight equal the synchronous pipeline's",
          "[json][processor][enrichment]") {
  const std::vector<document> docs = tickets();
  const run_result reference = run(tickets_pipeline(1, true), docs, 1, 0);
  REQUIRE(reference.outputs.size() > 30);
  REQUIRE(reference.dead_letters.size() == 4);  // the late tickets
  // The same windows without any call: the price computed by $set.
  {
    document plain = tickets_pipeline(1, true);
    plain[1] = document::parse(R"({"$set": {"price": {"amount": {"$multiply": ["$seats", 3]}}}})");
    const run_result computed = run(plain, docs, 1, 0);
    CHECK(computed.outputs == reference.outputs);
  }
  for (std::size_t parallelism : {1, 16, 64}) {
    for (unsigned seed : {1u, 2u}) {
      DYNAMIC_SECTION("parallelism " << parallelism << " seed " << seed) {
        const run_result r = run(tickets_pipeline(parallelism, true), docs, parallelism, seed);
        CHECK(r.outputs == reference.outputs);
        CHECK(without_times(r.dead_letters) == without_times(reference.dead_letters));
        CHECK(r.most_in_flight == parallelism);
      }
    }
  }
}

TEST_CASE("a slow function stops the source from being read beyond parallelism documents",
          "[json][processor][enrichment]") {
  std::vector<document> docs;
  for (int i = 0; i < 100; ++i)
    docs.push_back({{"i", i}, {"seats", 1}});
  deferred_function f;  // completes nothing until the test says so
  reel::connection_registry connections;
  connections.register_function("fns", "price", f.function());
  feed_source* source = nullptr;
  connections.add_source("in", [&](const auto&) {
    auto s = std::make_unique<feed_source>(docs);
    source = s.get();
    return s;
  });
  reel::manual_clock clock;
  reel::json::stream_processor sp(document::parse(R"([{"$source": {"connectionName": "in"}},
      {"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p",
                             "parallelism": 8}}])"),
                                  connections, {.name = "t", .clock = &clock});
  std::vector<document> out;
  sp.on_output([&](const document& d) { out.push_back(d); });
  REQUIRE(source != nullptr);
  for (int round = 0; round < 5; ++round)
    (void)sp.step();
  CHECK(*source->polled_ == 8);
  CHECK(f.pending->size() == 8);
  CHECK(out.empty());
  const document stats = sp.stats();
  CHECK(stats["inputMessageCount"] == 8);
  CHECK(stats["enrichment"][0]["inFlight"] == 8);
  CHECK(stats["enrichment"][0]["calls"] == 8);
  CHECK(stats["enrichment"][0]["operatorName"] == "ExternalFunctionOperator");
  CHECK(stats["enrichment"][0]["stage"] == "/1/$externalFunction");
  // Commits stop at the first document in flight (position 0): none of them is lost on a crash.
  REQUIRE_FALSE(source->commits_->empty());
  CHECK(source->commits_->back().at(0).first_needed == 0);

  // Completing the second call releases nothing (the first is still out): order is kept. Its
  // place among the 8 running calls is free: a ninth document is read and its call started.
  (*f.pending)[1].done(document{{"amount", 1}});
  (void)sp.step();
  CHECK(out.empty());
  CHECK(*source->polled_ == 9);
  CHECK(f.pending->size() == 9);
  CHECK(sp.stats()["enrichment"][0]["inFlight"] == 8);
  CHECK(sp.stats()["enrichment"][0]["waitingForOrder"] == 1);
  // Completing the first releases both; one more place frees up and a tenth document is read.
  (*f.pending)[0].done(document{{"amount", 0}});
  (void)sp.step();
  REQUIRE(out.size() == 2);
  CHECK(out[0]["i"] == 0);
  CHECK(out[1]["p"] == document{{"amount", 1}});
  CHECK(*source->polled_ == 10);
  CHECK(sp.stats()["enrichment"][0]["inFlight"] == 8);
  CHECK(sp.stats()["enrichment"][0]["waitingForOrder"] == 0);
}

TEST_CASE("failed calls follow onError: dlq with the reason, ignore, or fail with a location",
          "[json][processor][enrichment]") {
  reel::connection_registry connections;
  connections.register_function("fns", "price", [](const document& d) -> document {
    if (d["i"].get<int>() % 5 == 0) throw std::runtime_error("no price for " + d["i"].dump());
    return document{{"amount", d["i"]}};
  });
  const auto pipeline = [](const char* on_error) {
    document p = document::parse(R"([{"$externalFunction": {"connectionName": "fns",
        "functionName": "price", "as": "price"}}])");
    p[0]["$externalFunction"]["onError"] = on_error;
    return p;
  };

  SECTION("dlq") {
    reel::json::stream_processor sp(pipeline("dlq"), connections,
                                    {.name = "t", .stream_meta = false});
    std::vector<document> out, dlq;
    sp.on_output([&](const document& d) { out.push_back(d); });
    sp.on_dead_letter([&](const document& d) { dlq.push_back(d); });
    for (int i = 1; i <= 10; ++i)
      sp.push(document{{"i", i}});
    sp.flush();
    REQUIRE(out.size() == 8);
    CHECK(out[3]["i"] == 4);
    CHECK(out[4]["i"] == 6);
    REQUIRE(dlq.size() == 2);
    CHECK(dlq[0]["operatorName"] == "ExternalFunctionOperator");
    CHECK(dlq[0]["errInfo"]["reason"] ==
          "function 'price' of connection 'fns' failed: no price for 5");
    CHECK(dlq[0]["doc"]["i"] == 5);
    CHECK_FALSE(dlq[0]["doc"].contains("price"));
    CHECK(sp.stats()["enrichment"][0]["errors"] == 2);
    CHECK(sp.stats()["dlqMessageCount"] == 2);
  }
  SECTION("ignore") {
    reel::json::stream_processor sp(pipeline("ignore"), connections,
                                    {.name = "t", .stream_meta = false});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    for (int i = 1; i <= 10; ++i)
      sp.push(document{{"i", i}});
    sp.flush();
    REQUIRE(out.size() == 10);
    CHECK(out[4] == document{{"i", 5}, {"_ts", out[4]["_ts"]}});
    CHECK(out[5]["price"] == document{{"amount", 6}});
    CHECK(sp.stats()["dlqMessageCount"] == 0);
  }
  SECTION("fail") {
    reel::json::stream_processor sp(pipeline("Fail"), connections,
                                    {.name = "t", .stream_meta = false});
    for (int i = 1; i <= 4; ++i)
      sp.push(document{{"i", i}});
    try {
      sp.push(document{{"i", 5}});
      FAIL("no error");
    } catch (const reel::error& e) {
      CHECK(e.id() == "reel.enrichment.failed");
      CHECK(e.where() == "/0/$externalFunction");
      CHECK(std::string(e.what()) ==
            "[reel.enrichment.failed] at /0/$externalFunction: function 'price' of connection "
            "'fns' failed: no price for 5");
    }
  }
}

TEST_CASE("$externalFunction sends the payload pipeline's document and may not wait",
          "[json][processor][enrichment]") {
  std::vector<document> arguments;
  reel::connection_registry connections;
  connections.register_function("fns", "echo", [&](const document& d) {
    arguments.push_back(d);
    return document{{"seen", true}};
  });
  SECTION("payload") {
    reel::json::stream_processor sp(document::parse(R"([{"$externalFunction": {
        "connectionName": "fns", "functionName": "echo", "as": "r.echo",
        "payload": [{"$project": {"_id": 0, "seats": 1}}, {"$set": {"twice": {"$multiply": ["$seats", 2]}}}]}}])"),
                                    connections, {.name = "t", .stream_meta = false});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    sp.push(document{{"movie", "Up"}, {"seats", 2}});
    sp.flush();
    REQUIRE(arguments.size() == 1);
    CHECK(arguments[0] == document{{"seats", 2}, {"twice", 4}});
    REQUIRE(out.size() == 1);
    CHECK(out[0]["r"] == document{{"echo", {{"seen", true}}}});
    CHECK(out[0]["movie"] == "Up");
  }
  SECTION("execution async") {
    reel::json::stream_processor sp(document::parse(R"([{"$externalFunction": {
        "connectionName": "fns", "functionName": "echo", "execution": "async"}}])"),
                                    connections, {.name = "t", .stream_meta = false});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    sp.push(document{{"seats", 2}});
    sp.flush();
    CHECK(arguments.size() == 1);
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].contains("seen"));
  }
  SECTION("an answer without a value sets nothing") {
    connections.register_function(
        "fns", "nothing", [](const document&, reel::function_completion done) { done.done(); });
    reel::json::stream_processor sp(document::parse(R"([{"$externalFunction": {
        "connectionName": "fns", "functionName": "nothing", "as": "x"}}])"),
                                    connections, {.name = "t", .stream_meta = false});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    sp.push(document{{"seats", 2}});
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].contains("x"));
  }
}

TEST_CASE("$externalFunction definition errors are located", "[json][processor][enrichment]") {
  reel::connection_registry connections;
  connections.register_function("fns", "price", [](const document& d) { return d; });
  const auto error_of = [&](const char* stage) -> std::string {
    try {
      reel::json::stream_processor sp(document::parse(std::string("[") + stage + "]"), connections);
    } catch (const reel::error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "prize", "as": "p"}})") ==
      "[reel.pipeline.invalid_option] at /0/$externalFunction/functionName: connection 'fns' "
      "has no function 'prize' (did you mean 'price'?)");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fn", "functionName": "price", "as": "p"}})") ==
      "[reel.connection.unknown] at /0/$externalFunction/connectionName: no function "
      "connection named 'fn' (did you mean 'fns'?)");
  CHECK(error_of(R"({"$externalFunction": {"connectionName": "fns", "functionName": "price"}})") ==
        "[reel.pipeline.invalid_option] at /0/$externalFunction: $externalFunction requires 'as' "
        "(the field the answer goes to)");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "execution": "async", "as": "p"}})") ==
      "[reel.pipeline.invalid_option] at /0/$externalFunction/as: as cannot be used with "
      "execution: \"async\" (the answer is not awaited)");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p", "onError": "skip"}})") ==
      "[reel.pipeline.invalid_option] at /0/$externalFunction/onError: onError must be "
      "\"dlq\", \"ignore\" or \"fail\"");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p", "parallelism": 0}})") ==
      "[reel.pipeline.invalid_option] at /0/$externalFunction/parallelism: parallelism must be "
      "an integer from 1 to 1024");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p", "partitionBy": "$k"}})")
          .rfind("[reel.pipeline.unsupported_option] at /0/$externalFunction/partitionBy:", 0) ==
      0);
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p", "payload": [{"$match": {}}]}})") ==
      "[reel.pipeline.misplaced_stage] at /0/$externalFunction/payload/0/$match: a payload "
      "pipeline takes only $project, $addFields, $set and $replaceRoot, not $match");
  CHECK(
      error_of(
          R"({"$externalFunction": {"connectionName": "fns", "functionName": "price", "as": "p", "timeout": 1}})") ==
      "[reel.pipeline.unknown_option] at /0/$externalFunction/timeout: unknown option "
      "'timeout' of $externalFunction");
  // Without connections the options are checked and nothing is looked up.
  CHECK(reel::json::try_compile_pipeline(document::parse(
      R"([{"$externalFunction": {"connectionName": "x", "functionName": "y", "as": "p"}}])")));
}

TEST_CASE("stage factories may take the compile context", "[json][stages][enrichment]") {
  reel::json::stage_registry registry;
  const reel::connection_registry* seen = nullptr;
  registry.add("$probe", reel::json::stage_placement::anywhere,
               [&](const document&, const std::string&, const reel::json::stage_context& c) {
                 seen = c.connections;
                 return std::shared_ptr<const reel::json::document_stage>();
               });
  registry.add("$plain", reel::json::stage_placement::anywhere,
               [](const document&, const std::string&) {
                 return std::shared_ptr<const reel::json::document_stage>();
               });
  reel::connection_registry connections;
  (void)registry.find("$probe")->make(document::object(), "/0/$probe", {&connections, false});
  CHECK(seen == &connections);
  CHECK(registry.find("$plain")->make(document::object(), "/0/$plain") == nullptr);
}

TEST_CASE("calls answered on another thread: push waits for room, checkpoints wait for every call",
          "[json][processor][enrichment]") {
  // The worker answers whatever is pending, in a shuffled order (fixed seed); the timing varies
  // from run to run, the results must not.
  struct worker_state {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::pair<document, reel::function_completion>> pending;
    bool stop = false;
  } w;
  reel::connection_registry connections;
  connections.register_function("fns", "price",
                                [&](const document& argument, reel::function_completion done) {
                                  {
                                    std::lock_guard lock(w.mutex);
                                    w.pending.emplace_back(argument, std::move(done));
                                  }
                                  w.cv.notify_all();
                                });
  std::thread worker([&] {
    std::mt19937 random(5);
    std::unique_lock lock(w.mutex);
    while (true) {
      w.cv.wait(lock, [&] { return w.stop || !w.pending.empty(); });
      if (w.stop) return;
      auto calls = std::move(w.pending);
      w.pending.clear();
      lock.unlock();
      std::shuffle(calls.begin(), calls.end(), random);
      for (auto& [argument, done] : calls)
        done(deferred_function::answer(argument));
      lock.lock();
    }
  });
  {
    reel::json::stream_processor sp(document::parse(R"([{"$externalFunction": {
        "connectionName": "fns", "functionName": "price", "as": "price", "parallelism": 8}}])"),
                                    connections, {.name = "t", .stream_meta = false});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    for (int i = 0; i < 200; ++i) {
      sp.push(document{{"i", i}, {"seats", i % 4}});
      CHECK(sp.stats()["enrichment"][0]["inFlight"].get<int>() < 8);  // push waited for room
    }
    (void)sp.checkpoint();  // waits for the calls still in flight
    CHECK(sp.stats()["enrichment"][0]["inFlight"] == 0);
    REQUIRE(out.size() == 200);
    for (int i = 0; i < 200; ++i) {
      CHECK(out[static_cast<std::size_t>(i)]["i"] == i);
      CHECK(out[static_cast<std::size_t>(i)]["price"]["amount"] == (i % 4) * 3);
    }
  }
  {
    std::lock_guard lock(w.mutex);
    w.stop = true;
  }
  w.cv.notify_all();
  worker.join();
}

TEST_CASE("$externalFunction inside a window and after it", "[json][processor][enrichment]") {
  const std::vector<document> docs = tickets();
  // In the window's per-event stages, before $group: asynchronous like the main pipeline's.
  document inside = tickets_pipeline(1, true);
  inside[2]["$tumblingWindow"]["pipeline"].insert(inside[2]["$tumblingWindow"]["pipeline"].begin(),
                                                  inside[1]);
  inside.erase(1);
  inside[1]["$tumblingWindow"]["pipeline"][0]["$externalFunction"]["parallelism"] = 16;
  const run_result reference = run(tickets_pipeline(1, true), docs, 1, 0);
  const run_result r = run(inside, docs, 16, 3);
  CHECK(r.outputs == reference.outputs);
  CHECK(r.most_in_flight == 16);
  // After the window: one awaited call per result.
  document after = tickets_pipeline(1, true);
  after.push_back(document::parse(
      R"({"$externalFunction": {"connectionName": "fns", "functionName": "label", "as": "label"}})"));
  const run_result labelled = run(after, docs, 1, 0);
  REQUIRE(labelled.outputs.size() == reference.outputs.size());
  CHECK(labelled.outputs[0]["label"] ==
        reference.outputs[0]["_id"].get<std::string>() + ": " +
            std::to_string(reference.outputs[0]["total"].get<int>()));
}
