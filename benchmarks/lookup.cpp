// SPDX-License-Identifier: Apache-2.0
// `$lookup` and `$cachedLookup` (reel/json/stages/lookup.hpp) against a MongoDB server
// (REEL_MONGO_URI; scripts/services/mongo.sh up): a reference collection of 10,000 movies (an
// index on `slug`), events that each name one of them at random, joined on `slug`. Prints events
// per second and the queries sent for `$lookup` with 1, 16, 128 and 1024 documents in flight
// (batches of up to that many), and for `$cachedLookup` (ttl 1 minute). Every output is checked
// (input order, exactly the right movie): the program exits 1 otherwise. Built only with the
// MongoDB connector.
//
//   bench_lookup [--events 20000] [--collection 10000]
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <reel/connector/defaults.hpp>
#include <reel/connector/memory.hpp>
#include <reel/json.hpp>
#include <reel/mongo/mongo.hpp>

using reel::json::document;
using steady = std::chrono::steady_clock;

namespace {

struct run_figures {
  double seconds = 0;
  std::uint64_t queries = 0, hits = 0;
  bool correct = true;
};

run_figures run(const std::string& uri, const std::vector<document>& events, const document& stage,
                const std::string& name) {
  reel::connection_registry connections = reel::default_connections();
  reel::mongo::register_connection_type(connections);
  connections.add_connection("mongo", {{"type", "mongodb"}, {"uri", uri}});
  connections.add_source(
      "in", [&](const auto&) { return std::make_unique<reel::memory_source>(events); });
  const document pipeline = document::array(
      {document::parse(R"({"$source": {"connectionName": "in"}})"), document{{name, stage}}});
  reel::json::stream_processor sp(pipeline, connections, {.name = "bench", .stream_meta = false});
  run_figures f;
  std::size_t next = 0;
  sp.on_output([&](const document& d) {
    const document& e = events[next++];
    if (d["i"] != e["i"] || d["info"].size() != 1 || d["info"][0]["slug"] != e["movie"])
      f.correct = false;
  });
  const auto start = steady::now();
  sp.process();
  f.seconds = std::chrono::duration<double>(steady::now() - start).count();
  if (next != events.size()) f.correct = false;
  const document st = sp.stats()["enrichment"][0];
  f.queries = st["queries"].get<std::uint64_t>();
  if (st.contains("cacheHits")) f.hits = st["cacheHits"].get<std::uint64_t>();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n_events = 20'000, n_movies = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--events") n_events = std::stoul(argv[i + 1]);
    if (a == "--collection") n_movies = std::stoul(argv[i + 1]);
  }
  const char* uri_env = std::getenv("REEL_MONGO_URI");
  if (!uri_env || !*uri_env) {
    fmt::print(stderr,
               "REEL_MONGO_URI is not set (scripts/services/mongo.sh up; eval "
               "\"$(scripts/services/mongo.sh env)\")\n");
    return 2;
  }
  const std::string uri = uri_env;
  reel::mongo::client db({.uri = uri});
  db.drop_database("reel_bench_lookup");
  std::vector<document> movies;
  for (std::size_t i = 0; i < n_movies; ++i) {
    movies.push_back({{"_id", static_cast<std::int64_t>(i)},
                      {"slug", fmt::format("m{}", i)},
                      {"title", fmt::format("Movie number {}", i)},
                      {"genre", i % 7 == 0 ? "drama" : "comedy"},
                      {"year", 1950 + static_cast<int>(i % 75)}});
  }
  for (std::size_t i = 0; i < movies.size(); i += 1000) {
    const std::size_t end = std::min(movies.size(), i + 1000);
    db.insert_many("reel_bench_lookup", "movies",
                   std::span<const document>(movies.data() + i, end - i));
  }
  db.create_index("reel_bench_lookup", "movies", {{"slug", 1}});

  std::mt19937 random(42);
  std::vector<document> events;
  for (std::size_t i = 0; i < n_events; ++i) {
    events.push_back({{"i", static_cast<std::int64_t>(i)},
                      {"movie", fmt::format("m{}", random() % n_movies)},
                      {"seats", static_cast<int>(random() % 4) + 1}});
  }
  fmt::print("{} events, each joined with one of {} movies (index on slug), {}\n", n_events,
             n_movies, uri.substr(0, uri.find('?')));
  fmt::print("{:<34} {:>10} {:>9} {:>12} {:>10}\n", "stage", "events/s", "queries", "events/query",
             "cache hits");
  bool all_correct = true;
  const document from = {
      {"connectionName", "mongo"}, {"db", "reel_bench_lookup"}, {"coll", "movies"}};
  for (int parallelism : {1, 16, 128, 1024}) {
    // One document at a time is one query each (seconds each on FerretDB's SQLite backend, which
    // scans the collection): fewer events.
    const std::vector<document> subset(
        events.begin(),
        events.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                             events.size(), parallelism == 1 ? 100 : events.size())));
    const run_figures f = run(uri, subset,
                              {{"from", from},
                               {"localField", "movie"},
                               {"foreignField", "slug"},
                               {"as", "info"},
                               {"parallelism", parallelism}},
                              "$lookup");
    all_correct = all_correct && f.correct;
    fmt::print("{:<34} {:>10.0f} {:>9} {:>12.1f} {:>10}{}\n",
               fmt::format("$lookup, parallelism {}", parallelism),
               static_cast<double>(subset.size()) / f.seconds, f.queries,
               static_cast<double>(subset.size()) / static_cast<double>(f.queries), "-",
               f.correct ? "" : "  WRONG RESULTS");
  }
  {
    const run_figures f = run(uri, events,
                              {{"from", from},
                               {"localField", "movie"},
                               {"foreignField", "slug"},
                               {"as", "info"},
                               {"parallelism", 128},
                               {"ttl", {{"size", 1}, {"unit", "minute"}}}},
                              "$cachedLookup");
    all_correct = all_correct && f.correct;
    fmt::print("{:<34} {:>10.0f} {:>9} {:>12.1f} {:>10}{}\n", "$cachedLookup, parallelism 128",
               static_cast<double>(events.size()) / f.seconds, f.queries,
               static_cast<double>(events.size()) / static_cast<double>(f.queries), f.hits,
               f.correct ? "" : "  WRONG RESULTS");
  }
  db.drop_database("reel_bench_lookup");
  return all_correct ? 0 : 1;
}
