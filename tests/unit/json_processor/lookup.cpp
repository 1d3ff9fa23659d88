// SPDX-License-Identifier: Apache-2.0
// `$lookup` and `$cachedLookup` (reel/json/stages/lookup.hpp) over a collection reader the test
// controls (no server; the MongoDB tests are in tests/connectors/mongo/lookup.cpp): the queries a
// batch becomes, the pipeline the server receives once `let` values are put in, and the
// definition errors of connections that cannot be joined against. The reader holds each query
// until the test lets it go, so what gathers meanwhile is exact.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/connector/defaults.hpp>
#include <reel/connector/memory.hpp>
#include <reel/json.hpp>

namespace {

using reel::json::document;

/// A collection in memory whose queries wait for `release()` while `held` is set.
class held_reader final : public reel::collection_reader {
 public:
  explicit held_reader(std::vector<document> docs) : docs_(std::move(docs)) {}

  std::vector<document> find(const std::string&, const std::string&,
                             const document& filter) const override {
    wait_turn(filter);
    return matching(filter);
  }
  /// Runs the pipeline's first `$match` (the only stage this fake knows).
  std::vector<document> aggregate(const std::string&, const std::string&,
                                  const document& pipeline) const override {
    wait_turn(pipeline);
    if (pipeline.empty() || !pipeline[0].contains("$match"))
      reel::throw_error("fake.unsupported", "", "this fake runs only a leading $match");
    return matching(pipeline[0]["$match"]);
  }

  /// Queries wait from now on until `release()`.
  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    cv_.notify_all();
  }
  /// Waits until `n` queries have arrived.
  void wait_for_queries(std::size_t n) const {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return seen_.size() >= n; });
  }
  [[nodiscard]] std::vector<document> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  [[nodiscard]] std::vector<document> matching(const document& filter) const {
    const reel::json::query q = reel::json::compile_query(filter);
    std::vector<document> out;
    for (const document& d : docs_) {
      if (q.matches(d)) out.push_back(d);
    }
    return out;
  }
  void wait_turn(const document& query) const {
    std::unique_lock lock(mutex_);
    seen_.push_back(query);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
  }
  std::vector<document> docs_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable std::vector<document> seen_;
  bool held_ = false;
};

struct fixture {
  std::shared_ptr<held_reader> reader = std::make_shared<held_reader>(
      std::vector<document>{{{"_id", 1}, {"slug", "dune"}, {"genre", "scifi"}},
                            {{"_id", 2}, {"slug", "up"}, {"genre", "family"}},
                            {{"_id", 3}, {"slug", "$odd"}, {"genre", "none"}}});
  reel::connection_registry connections = reel::default_connections();
  reel::manual_clock clock{reel::from_millis(1'700'000'000'000)};
  std::vector<document> out, dead;

  fixture() {
    reel::connection_type t;
    t.make_collection_reader = [r = reader](const reel::connection_args&) { return r; };
    connections.register_type("fake", std::move(t));
    connections.add_connection("db", {{"type", "fake"}});
    connections.add_connection("notes", {{"type", "file"}, {"path", "notes.ndjson"}});
    connections.add_source("in", [](const auto&) {
      return std::make_unique<reel::memory_source>(std::vector<nlohmann::ordered_json>{});
    });
  }
  std::unique_ptr<reel::json::stream_processor> processor(const document& stage,
                                                          const std::string& name = "$lookup") {
    document spec = stage;
    spec["from"] = {{"connectionName", "db"}, {"db", "d"}, {"coll", "movies"}};
    auto sp = std::make_unique<reel::json::stream_processor>(
        document::array(
            {document::parse(R"({"$source": {"connectionName": "in"}})"), document{{name, spec}}}),
        connections,
        reel::json::stream_processor_options{.name = "t", .stream_meta = false, .clock = &clock});
    sp->on_output([this](const document& d) { out.push_back(d); });
    sp->on_dead_letter([this](const document& d) { dead.push_back(d); });
    return sp;
  }
};

std::string error_of(fixture& f, const document& stage, const std::string& name = "$lookup",
                     const std::string& connection = "db") {
  document spec = stage;
  try {
    spec["from"] = {{"connectionName", connection}, {"db", "d"}, {"coll", "movies"}};
    reel::json::stream_processor sp(
        document::array(
            {document::parse(R"({"$source": {"connectionName": "in"}})"), document{{name, spec}}}),
        f.connections, {.name = "t"});
  } catch (const reel::error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("$lookup makes one $in query of the documents that arrive while a query runs",
          "[json][processor][lookup]") {
  fixture f;
  auto sp = f.processor(document::parse(
      R"({"localField": "movie", "foreignField": "slug", "as": "info", "parallelism": 64})"));
  f.reader->hold();
  sp->push(document{{"i", 0}, {"movie", "dune"}});
  f.reader->wait_for_queries(1);  // the first document's query is running, held
  for (int i = 1; i <= 10; ++i)
    sp->push(document{{"i", i}, {"movie", i % 2 ? "up" : "none"}});
  f.reader->release();
  sp->flush();
  const std::vector<document> seen = f.reader->seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == document::parse(R"({"slug": {"$in": ["dune"]}})"));
  CHECK(seen[1] == document::parse(R"({"slug": {"$in": ["up", "none"]}})"));  // distinct values
  REQUIRE(f.out.size() == 11);
  for (std::size_t i = 0; i < f.out.size(); ++i) {
    CHECK(f.out[i]["i"] == i);
    CHECK(f.out[i]["info"].size() == (i == 0 || i % 2 == 1 ? 1U : 0U));
  }
  const document st = sp->stats()["enrichment"][0];
  CHECK(st["queries"] == 2);
  CHECK(st["batches"] == 2);
  CHECK(st["calls"] == 11);
  CHECK(st["documentsRead"] == 6);
}

TEST_CASE("$lookup puts the let values into the pipeline it sends", "[json][processor][lookup]") {
  fixture f;
  auto sp = f.processor(document::parse(R"({"let": {"m": "$movie", "p": "$pick"},
      "pipeline": [{"$match": {"slug": "$$m"}},
                   {"$project": {"x": "$$p.a", "y": "$$m", "z": "$$NOW", "k": {"$literal": "$$m"}}}],
      "as": "info"})"));
  sp->push(document{{"movie", "$odd"}, {"pick", {{"a", {1, 2}}}}});
  sp->push(document{{"movie", "dune"}, {"pick", {{"a", 3}}}});
  sp->flush();
  const std::vector<document> seen = f.reader->seen();
  REQUIRE(seen.size() == 2);
  // In the query the value as it is; in expressions as a literal when it could be read as one.
  CHECK(seen[0] == document::parse(R"([{"$match": {"slug": "$odd"}},
      {"$project": {"x": {"$literal": [1, 2]}, "y": {"$literal": "$odd"}, "z": "$$NOW",
                    "k": {"$literal": "$$m"}}}])"));
  CHECK(seen[1][1]["$project"]["x"] == 3);
  REQUIRE(f.out.size() == 2);
  CHECK(f.out[0]["info"][0]["genre"] == "none");
  CHECK(f.out[1]["info"][0]["genre"] == "scifi");
}

TEST_CASE("$lookup refuses connections that cannot be joined against, and bad options",
          "[json][processor][lookup]") {
  fixture f;
  const document fields =
      document::parse(R"({"localField": "movie", "foreignField": "slug", "as": "info"})");
  CHECK(error_of(f, fields, "$lookup", "notes") ==
        "[reel.connection.unsupported] at /1/$lookup/from/connectionName: connection 'notes' of "
        "type 'file' cannot be used as a $lookup collection");
  CHECK(error_of(f, fields, "$lookup", "dbs") ==
        "[reel.connection.unknown] at /1/$lookup/from/connectionName: no connection named 'dbs' "
        "to join against (did you mean 'db'?)");
  document partition = fields;
  partition["partitionBy"] = "$movie";
  CHECK(error_of(f, partition) ==
        "[reel.pipeline.unsupported_option] at /1/$lookup/partitionBy: partitionBy of $lookup is "
        "not supported by Reel: its queries keep input order without it");
  document no_as = fields;
  no_as.erase("as");
  CHECK(error_of(f, no_as) ==
        "[reel.pipeline.invalid_option] at /1/$lookup: $lookup requires 'as' (the array field the "
        "matches go to)");
  document ttl = fields;
  ttl["ttl"] = {{"size", 5}, {"unit", "fortnight"}};
  CHECK(error_of(f, ttl, "$cachedLookup") ==
        "[reel.pipeline.invalid_option] at /1/$cachedLookup/ttl/unit: ttl needs unit: ms, second, "
        "minute, hour or day");
  CHECK(error_of(f, fields, "$cachedLookup").find("$cachedLookup requires ttl") !=
        std::string::npos);
}
