// SPDX-License-Identifier: Apache-2.0
// $lookup and $cachedLookup (reel/json/stages/lookup.hpp) against the MongoDB test server: the
// localField/foreignField form (arrays, missing fields, no match), let + pipeline, batching seen
// in the stage's query count, order and window results with 64 documents in flight equal to
// one at a time, errors to the DLQ, and the cache's hits, misses, ttl and memory bound driven by
// a manual clock.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reel/connector/defaults.hpp"
#include "reel/connector/memory.hpp"
#include "reel/json/stream_processor.hpp"
#include "support.hpp"

using mongo_test::document;
using mongo_test::scratch;

namespace {

const std::int64_t t0 = 1'700'000'000'000;

/// The reference collection: movies by slug, with tags; one without a slug.
std::vector<document> movies() {
  return {
      {{"_id", 1}, {"slug", "dune"}, {"title", "Dune"}, {"tags", {"scifi", "epic"}}},
      {{"_id", 2}, {"slug", "up"}, {"title", "Up"}, {"tags", {"family"}}},
      {{"_id", 3}, {"slug", "heat"}, {"title", "Heat"}, {"tags", {"crime", "epic"}}},
      {{"_id", 4}, {"slug", "up"}, {"title", "Up (2009 re-release)"}, {"tags", document::array()}},
      {{"_id", 5}, {"title", "Untitled"}},
      {{"_id", 6}, {"slug", 7}, {"title", "Seven"}},
  };
}

reel::connection_registry connections(const std::string& uri, std::vector<document> input = {}) {
  reel::connection_registry r = reel::default_connections();
  reel::mongo::register_connection_type(r, {.retry = mongo_test::fast_retry()});
  r.add_connection("mongo", {{"type", "mongodb"}, {"uri", uri}});
  // Nothing listens on port 9: every query fails at once (one attempt).
  r.add_connection("down", {{"type", "mongodb"},
                            {"uri", "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200"},
                            {"retry", {{"maxAttempts", 1}}}});
  r.add_source("in", [input](const auto&) { return std::make_unique<reel::memory_source>(input); });
  return r;
}

document with_lookup(const document& lookup, const std::string& stage = "$lookup") {
  return document::array(
      {document::parse(R"({"$source": {"connectionName": "in"}})"), document{{stage, lookup}}});
}

struct run_result {
  std::vector<document> outputs, dead_letters;
  document stats;
};

/// Runs `pipeline` over `input` (read from its source) to the end.
run_result run(const document& pipeline, const std::string& uri, std::vector<document> input,
               const reel::clock* clock = nullptr) {
  reel::connection_registry c = connections(uri, std::move(input));
  reel::manual_clock fixed(reel::from_millis(t0));
  reel::json::stream_processor sp(
      pipeline, c, {.name = "t", .stream_meta = false, .clock = clock ? clock : &fixed});
  run_result r;
  sp.on_output([&](const document& d) { r.outputs.push_back(d); });
  sp.on_dead_letter([&](const document& d) { r.dead_letters.push_back(d); });
  sp.process();
  r.stats = sp.stats();
  return r;
}

document titles(const document& matches) {
  document out = document::array();
  for (const document& m : matches)
    out.push_back(m["title"]);
  return out;
}

}  // namespace

TEST_CASE("$lookup joins localField to foreignField as MongoDB does", "[mongo][lookup]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "lookup_fields");
  s.client().insert_many(s.db(), "movies", movies());
  const document spec = {
      {"from", {{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "movies"}}},
      {"localField", "movie"},
      {"foreignField", "slug"},
      {"as", "info"}};
  const run_result r = run(with_lookup(spec), uri,
                           {{{"i", 0}, {"movie", "dune"}},
                            {{"i", 1}, {"movie", "up"}},              // two matches, in order
                            {{"i", 2}, {"movie", "zzz"}},             // none: an empty array
                            {{"i", 3}},                               // missing: matches missing
                            {{"i", 4}, {"movie", {"heat", "dune"}}},  // an array: any element
                            {{"i", 5}, {"movie", 7.0}},               // numbers by value
                            {{"i", 6}, {"movie", nullptr}, {"info", "replaced"}}});
  REQUIRE(r.outputs.size() == 7);
  CHECK(r.dead_letters.empty());
  CHECK(titles(r.outputs[0]["info"]) == document{"Dune"});
  CHECK(r.outputs[0]["info"][0] == movies()[0]);  // the whole foreign document
  CHECK(titles(r.outputs[1]["info"]) == document{"Up", "Up (2009 re-release)"});
  CHECK(r.outputs[2]["info"] == document::array());
  CHECK(titles(r.outputs[3]["info"]) == document{"Untitled"});
  CHECK(titles(r.outputs[4]["info"]) == document{"Dune", "Heat"});  // the collection's order
  CHECK(titles(r.outputs[5]["info"]) == document{"Seven"});
  CHECK(titles(r.outputs[6]["info"]) == document{"Untitled"});
  for (std::size_t i = 0; i < r.outputs.size(); ++i)
    CHECK(r.outputs[i]["i"] == i);

  SECTION("a foreign array matches when one of its elements does") {
    document by_tag = spec;
    by_tag["localField"] = "genre";
    by_tag["foreignField"] = "tags";
    const run_result t = run(with_lookup(by_tag), uri,
                             {{{"genre", "epic"}}, {{"genre", "family"}}, {{"genre", "none"}}});
    REQUIRE(t.outputs.size() == 3);
    CHECK(titles(t.outputs[0]["info"]) == document{"Dune", "Heat"});
    CHECK(titles(t.outputs[1]["info"]) == document{"Up"});
    CHECK(t.outputs[2]["info"] == document::array());
  }
}

TEST_CASE("$lookup with let and pipeline runs the pipeline with the document's values",
          "[mongo][lookup]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "lookup_pipeline");
  s.client().insert_many(s.db(), "movies", movies());
  const document from = {{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "movies"}};
  const document spec = {{"from", from},
                         {"let", {{"wanted", "$movie"}}},
                         {"pipeline", document::parse(R"([{"$match": {"slug": "$$wanted"}},
                                       {"$project": {"_id": 0, "title": 1}}])")},
                         {"as", "info"}};
  const run_result r =
      run(with_lookup(spec), uri,
          {{{"movie", "up"}}, {{"movie", "heat"}}, {{"movie", "up"}}, {{"movie", "none"}}});
  REQUIRE(r.outputs.size() == 4);
  CHECK(r.dead_letters.empty());
  CHECK(r.outputs[0]["info"] ==
        document::parse(R"x([{"title": "Up"}, {"title": "Up (2009 re-release)"}])x"));
  CHECK(r.outputs[1]["info"] == document::parse(R"([{"title": "Heat"}])"));
  CHECK(r.outputs[2]["info"] == r.outputs[0]["info"]);
  CHECK(r.outputs[3]["info"] == document::array());

  SECTION("with localField and foreignField the pipeline runs on the matches") {
    const document both = {
        {"from", from},
        {"localField", "genre"},
        {"foreignField", "tags"},
        {"pipeline", document::parse(R"([{"$project": {"_id": 0, "slug": 1}}])")},
        {"as", "slugs"}};
    const run_result b = run(with_lookup(both), uri, {{{"genre", "epic"}}, {{"genre", "crime"}}});
    REQUIRE(b.outputs.size() == 2);
    CHECK(b.outputs[0]["slugs"] == document::parse(R"([{"slug": "dune"}, {"slug": "heat"}])"));
    CHECK(b.outputs[1]["slugs"] == document::parse(R"([{"slug": "heat"}])"));
  }
  SECTION("a pipeline the server refuses sends each document to the DLQ with the reason") {
    document bad = spec;
    bad["pipeline"] = document::parse(R"([{"$noSuchStage": {}}])");
    const run_result b = run(with_lookup(bad), uri, {{{"movie", "up"}}, {{"movie", "heat"}}});
    CHECK(b.outputs.empty());
    REQUIRE(b.dead_letters.size() == 2);
    CHECK(b.dead_letters[0]["operatorName"] == "LookupOperator");
    const std::string reason = b.dead_letters[0]["errInfo"]["reason"].get<std::string>();
    CHECK(reason.rfind("$lookup on '" + s.db() + ".movies' failed: ", 0) == 0);
    CHECK(reason.find("$noSuchStage") != std::string::npos);
    CHECK(b.dead_letters[1]["doc"]["movie"] == "heat");
  }
}

TEST_CASE("$lookup batches the documents waiting into few queries and keeps their order",
          "[mongo][lookup]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "lookup_batches");
  s.client().insert_many(s.db(), "movies", movies());
  const char* slugs[] = {"dune", "up", "heat", "zzz"};
  std::vector<document> input;
  for (int i = 0; i < 400; ++i) {
    input.push_back({{"i", i},
                     {"movie", slugs[(i * 7) % 4]},
                     {"seats", i % 3 + 1},
                     {"ts", t0 + i * 100 - (i % 5 == 0 ? 900 : 0)}});
  }
  auto pipeline = [&](std::size_t parallelism, bool window) {
    document p = document::parse(R"([
      {"$source": {"connectionName": "in", "timeField": {"$toDate": "$ts"}}},
      {"$lookup": {"localField": "movie", "foreignField": "slug", "as": "info"}},
      {"$set": {"title": {"$ifNull": [{"$arrayElemAt": ["$info.title", 0]}, "?"]}}}])");
    p[1]["$lookup"]["from"] = {{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "movies"}};
    p[1]["$lookup"]["parallelism"] = parallelism;
    if (window) {
      p.push_back(document::parse(R"({"$tumblingWindow": {
          "interval": {"size": 5, "unit": "second"}, "allowedLateness": {"size": 0, "unit": "ms"},
          "pipeline": [{"$group": {"_id": "$title", "seats": {"$sum": "$seats"},
                                   "n": {"$count": {}}}}, {"$sort": {"_id": 1}}]}})"));
    }
    return p;
  };
  const run_result r = run(pipeline(64, false), uri, input);
  REQUIRE(r.outputs.size() == input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    REQUIRE(r.outputs[i]["i"] == i);
    const std::string movie = input[i]["movie"].get<std::string>();
    CHECK(r.outputs[i]["info"].size() == (movie == "up" ? 2U : movie == "zzz" ? 0U : 1U));
  }
  const document& stage = r.stats["enrichment"][0];
  CHECK(stage["operatorName"] == "LookupOperator");
  CHECK(stage["calls"] == input.size());
  // Batched: far fewer queries than documents (one query while the next batch gathers).
  CHECK(stage["queries"].get<std::uint64_t>() < input.size() / 4);
  CHECK(stage["queries"] == stage["batches"]);
  CHECK(stage["errors"] == 0);

  // Window results with 64 in flight equal those with one at a time (the synchronous order).
  const run_result one = run(pipeline(1, true), uri, input);
  const run_result many = run(pipeline(64, true), uri, input);
  REQUIRE(one.outputs.size() > 20);
  CHECK(many.outputs == one.outputs);
  CHECK(many.dead_letters.size() == one.dead_letters.size());
  CHECK(one.stats["enrichment"][0]["queries"] == input.size());  // one query per document
}

TEST_CASE(
    "$lookup sends documents to the DLQ when the server cannot be reached, and checks its "
    "options at definition time",
    "[mongo][lookup]") {
  MONGO_URI_OR_SKIP(uri);
  const document spec = document::parse(R"({"from": {"connectionName": "down", "db": "d",
      "coll": "c"}, "localField": "a", "foreignField": "b", "as": "x"})");
  const run_result r = run(with_lookup(spec), uri, {{{"a", 1}}, {{"a", 2}}});
  CHECK(r.outputs.empty());
  REQUIRE(r.dead_letters.size() == 2);
  CHECK(r.dead_letters[0]["errInfo"]["reason"].get<std::string>().rfind("$lookup on 'd.c' failed: ",
                                                                        0) == 0);
  CHECK(r.stats["enrichment"][0]["errors"] == 2);

  auto error_of = [&](const document& lookup, const std::string& stage = "$lookup") {
    try {
      run(with_lookup(lookup, stage), uri, {});
    } catch (const reel::error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  document unknown = spec;
  unknown["from"]["connectionName"] = "mongoo";
  CHECK(error_of(unknown) ==
        "[reel.connection.unknown] at /1/$lookup/from/connectionName: no connection named "
        "'mongoo' to join against (did you mean 'mongo'?)");
  document not_a_collection = spec;
  not_a_collection["from"]["connectionName"] = "in";
  CHECK(error_of(not_a_collection)
            .rfind("[reel.connection.unknown] at "
                   "/1/$lookup/from/connectionName: no connection named "
                   "'in'",
                   0) == 0);
  document one_sided = spec;
  one_sided.erase("foreignField");
  CHECK(error_of(one_sided) ==
        "[reel.pipeline.invalid_option] at /1/$lookup: $lookup needs both localField and "
        "foreignField, or neither");
  document cached_pipeline = spec;
  cached_pipeline["pipeline"] = document::array();
  cached_pipeline["ttl"] = {{"size", 1}, {"unit", "minute"}};
  CHECK(error_of(cached_pipeline, "$cachedLookup") ==
        "[reel.pipeline.invalid_option] at /1/$cachedLookup/pipeline: $cachedLookup does not take "
        "pipeline (Atlas's neither): use $lookup");
  document no_ttl = spec;
  CHECK(error_of(no_ttl, "$cachedLookup") ==
        "[reel.pipeline.invalid_option] at /1/$cachedLookup: $cachedLookup requires ttl, like "
        "{\"size\": 5, \"unit\": \"minute\"}");
}

TEST_CASE(
    "$cachedLookup answers repeated values from its cache until their ttl, within its "
    "memory bound",
    "[mongo][lookup]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "cached_lookup");
  s.client().insert_many(s.db(), "movies", movies());
  reel::manual_clock clock(reel::from_millis(t0));
  reel::connection_registry c = connections(uri);
  document spec = {{"from", {{"connectionName", "mongo"}, {"db", s.db()}, {"coll", "movies"}}},
                   {"localField", "movie"},
                   {"foreignField", "slug"},
                   {"as", "info"},
                   {"ttl", {{"size", 10}, {"unit", "second"}}}};
  auto stats_of = [](reel::json::stream_processor& sp) { return sp.stats()["enrichment"][0]; };
  SECTION("hits, misses and expiry on the processor's clock") {
    reel::json::stream_processor sp(with_lookup(spec, "$cachedLookup"), c,
                                    {.name = "t", .stream_meta = false, .clock = &clock});
    std::vector<document> out;
    sp.on_output([&](const document& d) { out.push_back(d); });
    for (const char* m : {"up", "dune"})
      sp.push(document{{"movie", m}});
    sp.flush();  // both answered by the server
    for (const char* m : {"up", "dune", "up"})
      sp.push(document{{"movie", m}});
    sp.flush();
    document st = stats_of(sp);
    CHECK(st["operatorName"] == "CachedLookupOperator");
    CHECK(st["cacheMisses"] == 2);
    CHECK(st["cacheHits"] == 3);
    CHECK(st["cacheEntries"] == 2);
    CHECK(st["queries"].get<std::uint64_t>() <= 2);
    REQUIRE(out.size() == 5);
    CHECK(titles(out[2]["info"]) == document{"Up", "Up (2009 re-release)"});
    CHECK(out[4]["info"] == out[0]["info"]);

    clock.advance(reel::duration(9'999));  // still fresh
    sp.push(document{{"movie", "up"}});
    sp.flush();
    CHECK(stats_of(sp)["cacheHits"] == 4);
    clock.advance(reel::duration(1));  // 10 s after it was read: expired
    sp.push(document{{"movie", "up"}});
    sp.flush();
    st = stats_of(sp);
    CHECK(st["cacheHits"] == 4);
    CHECK(st["cacheMisses"] == 3);
    CHECK(st["cacheExpired"] == 1);
    REQUIRE(out.size() == 7);
    CHECK(out[6]["info"] == out[0]["info"]);
  }
  SECTION("over maxMemUsageBytes the least recently used answer goes") {
    // Room for two entries of one match each, not three.
    const std::size_t one_entry = reel::json::stages::lookup_cache::entry_overhead +
                                  document(document::array({"heat"})).dump().size() +
                                  document(document::array({movies()[2]})).dump().size();
    spec["maxMemUsageBytes"] = 2 * one_entry + one_entry / 2;
    reel::json::stream_processor sp(with_lookup(spec, "$cachedLookup"), c,
                                    {.name = "t", .stream_meta = false, .clock = &clock});
    for (const char* m : {"heat", "dune", "heat", "seven"}) {
      sp.push(document{{"movie", m}});
      sp.flush();
    }
    document st = stats_of(sp);
    CHECK(st["cacheEvictions"] == 1);  // "dune", the least recently used, made room
    CHECK(st["cacheEntries"] == 2);
    CHECK(st["cacheBytes"].get<std::size_t>() <= spec["maxMemUsageBytes"].get<std::size_t>());
    sp.push(document{{"movie", "heat"}});  // still cached
    sp.push(document{{"movie", "dune"}});  // evicted: a miss
    sp.flush();
    st = stats_of(sp);
    CHECK(st["cacheHits"] == 2);
    CHECK(st["cacheMisses"] == 4);
  }
}

TEST_CASE("the examples load-movies.json and enrich-tickets.json run as the README says",
          "[mongo][lookup][example]") {
  MONGO_URI_OR_SKIP(uri);
  const std::filesystem::path dir = REEL_EXAMPLE_PIPELINES;
  reel::connection_registry registry = mongo_test::example_connections(uri);
  reel::mongo::client c({.uri = uri, .retry = mongo_test::fast_retry()});
  c.drop_database("cinema");
  struct drop {
    reel::mongo::client& c;
    ~drop() { c.drop_database("cinema"); }
  } cleanup{c};
  auto read = [&](const char* name) {
    std::ifstream in(dir / name);
    return document::parse(in);
  };
  {
    const document load = read("load-movies.json");
    reel::json::stream_processor sp(load["pipeline"], registry, {.name = load["name"]});
    sp.process();
  }
  REQUIRE(c.count("cinema", "movies") == 6);

  document enrich = read("enrich-tickets.json");
  enrich["pipeline"].erase(enrich["pipeline"].size() - 1);  // the $emit to stdout: kept here
  reel::json::stream_processor sp(enrich["pipeline"], registry,
                                  {.name = enrich["name"], .stream_meta = false});
  std::vector<document> out;
  sp.on_output([&](const document& d) { out.push_back(d); });
  sp.process();
  REQUIRE_FALSE(out.empty());
  std::map<std::string, int> genres;
  for (const document& d : out)
    ++genres[d["_id"].get<std::string>()];
  CHECK(genres.count("unknown") == 0);
  CHECK(genres.size() == 5);  // two of the six movies are dramas
  const document stage = sp.stats()["enrichment"][0];
  CHECK(stage["operatorName"] == "CachedLookupOperator");
  CHECK(stage["cacheMisses"].get<std::uint64_t>() >= 6);
  CHECK(stage["cacheHits"].get<std::uint64_t>() > 2000);
  CHECK(stage["queries"].get<std::uint64_t>() < 50);
}
