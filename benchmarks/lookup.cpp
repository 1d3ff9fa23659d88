// SPDX-License-Identifier: Apache-2.0
// `$lookup` and `$cachedLookup` (reel/json/stages/lookup.hpp) against a MongoDB server
// (REEL_MONGO_URI; scripts/services/mongo.sh up): a reference collection of 10,000 movies (an
// index on `slug`), events that each name one of them at random, joined on `slug`. Prints events
// per second, the queries sent and the time per query for `$lookup` with 1, 16, 128 and 1024
// documents in flight (batches of up to that many), for `$cachedLookup` (ttl 1 minute) with its
// hit rate, and for `$lookup` against an in-memory reader (a hash map, no server: what the stage
// itself costs). Every output is checked (input order, exactly the right movie): the program
// exits 1 otherwise. Built only with the MongoDB connector.
//
// A server that scans the collection for every query (FerretDB's SQLite backend) takes about a
// second per query, so each `$lookup` row joins at most `--queries` batches' worth of events
// (parallelism × queries), the others all of `--events`.
//
//   bench_lookup [--events 20000] [--collection 10000] [--queries 30]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include <reel/connector/collection_reader.hpp>
#include <reel/connector/defaults.hpp>
#include <reel/connector/memory.hpp>
#include <reel/json.hpp>
#include <reel/mongo/mongo.hpp>

using reel::json::document;
using steady = std::chrono::steady_clock;

namespace {

struct run_figures {
  double seconds = 0;
  std::uint64_t queries = 0, hits = 0, misses = 0;
  bool correct = true;
};

/// The collection held in memory, answering `{slug: {$in: [...]}}` from a hash map: the stage's
/// own cost, with no server behind it.
class memory_reader final : public reel::collection_reader {
 public:
  explicit memory_reader(const std::vector<document>& movies) {
    for (const document& m : movies)
      by_slug_.emplace(m["slug"].get<std::string>(), m);
  }
  std::vector<document> find(const std::string&, const std::string&,
                             const document& filter) const override {
    std::vector<document> out;
    for (const document& key : filter.at("slug").at("$in")) {
      if (auto it = by_slug_.find(key.get<std::string>()); it != by_slug_.end())
        out.push_back(it->second);
    }
    return out;
  }
  std::vector<document> aggregate(const std::string&, const std::string&,
                                  const document&) const override {
    reel::throw_error("reel.bench.unsupported", "", "the in-memory reader runs no pipelines");
  }

 private:
  std::unordered_map<std::string, document> by_slug_;
};

/// `uri` empty: the collection is `memory` instead of the server.
run_figures run(const std::string& uri, const std::shared_ptr<memory_reader>& memory,
                const std::vector<document>& events, const document& stage,
                const std::string& name) {
  reel::connection_registry connections = reel::default_connections();
  reel::mongo::register_connection_type(connections);
  if (uri.empty()) {
    reel::connection_type in_memory;
    in_memory.make_collection_reader = [memory](const reel::connection_args&) { return memory; };
    connections.register_type("in_memory", std::move(in_memory));
    connections.add_connection("mongo", {{"type", "in_memory"}});
  } else {
    connections.add_connection("mongo", {{"type", "mongodb"}, {"uri", uri}});
  }
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
  if (st.contains("cacheHits")) {
    f.hits = st["cacheHits"].get<std::uint64_t>();
    f.misses = st["cacheMisses"].get<std::uint64_t>();
  }
  return f;
}

/// One line of the table; false when the outputs were wrong.
bool print_row(const std::string& label, std::size_t events, const run_figures& f) {
  const double n = static_cast<double>(events), q = static_cast<double>(f.queries);
  const std::string hits =
      f.hits + f.misses == 0 ? std::string("-")
                             : fmt::format("{:.1f} %", 100.0 * static_cast<double>(f.hits) /
                                                           static_cast<double>(f.hits + f.misses));
  fmt::print("{:<34} {:>7} {:>10.0f} {:>8} {:>9.1f} {:>10.3f} {:>9.2f} {:>10}{}\n", label, events,
             n / f.seconds, f.queries, n / q, 1000.0 * f.seconds / q, q / f.seconds, hits,
             f.correct ? "" : "  WRONG RESULTS");
  std::fflush(stdout);  // rows take minutes each: show them as they come
  return f.correct;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n_events = 20'000, n_movies = 10'000, n_queries = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--events") n_events = std::stoul(argv[i + 1]);
    if (a == "--collection") n_movies = std::stoul(argv[i + 1]);
    if (a == "--queries") n_queries = std::stoul(argv[i + 1]);
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
  fmt::print("up to {} events, each joined with one of {} movies (index on slug), {}\n", n_events,
             n_movies, uri.substr(0, uri.find('?')));
  fmt::print("{:<34} {:>7} {:>10} {:>8} {:>9} {:>10} {:>9} {:>10}\n", "stage", "events", "events/s",
             "queries", "ev/query", "ms/query", "queries/s", "cache hits");
  bool all_correct = true;
  const document from = {
      {"connectionName", "mongo"}, {"db", "reel_bench_lookup"}, {"coll", "movies"}};
  const document join = {
      {"from", from}, {"localField", "movie"}, {"foreignField", "slug"}, {"as", "info"}};
  for (int parallelism : {1, 16, 128, 1024}) {
    const std::size_t count =
        std::min(events.size(), static_cast<std::size_t>(parallelism) * n_queries);
    const std::vector<document> subset(events.begin(),
                                       events.begin() + static_cast<std::ptrdiff_t>(count));
    document stage = join;
    stage["parallelism"] = parallelism;
    all_correct = print_row(fmt::format("$lookup, parallelism {}", parallelism), count,
                            run(uri, nullptr, subset, stage, "$lookup")) &&
                  all_correct;
  }
  {
    document stage = join;
    stage["parallelism"] = 128;
    stage["ttl"] = {{"size", 1}, {"unit", "minute"}};
    all_correct = print_row("$cachedLookup, parallelism 128", events.size(),
                            run(uri, nullptr, events, stage, "$cachedLookup")) &&
                  all_correct;
  }
  {
    document stage = join;
    stage["parallelism"] = 128;
    all_correct =
        print_row("$lookup in memory, parallelism 128", events.size(),
                  run("", std::make_shared<memory_reader>(movies), events, stage, "$lookup")) &&
        all_correct;
  }
  db.drop_database("reel_bench_lookup");
  return all_correct ? 0 : 1;
}
