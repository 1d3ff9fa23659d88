// SPDX-License-Identifier: Apache-2.0
// The document model (reel::bson) against the parsers and documents of today's JSON path, over
// generated ticket lines like issue #12's
// `{"movie":"m654","amountPaid":6.5,"ts":{"$date":"2024-06-01T20:00:00.000Z"}}`:
// parse only, parse + read three fields, write relaxed Extended JSON; then Decimal128 operations
// beside double ones; then compiled expressions evaluated on nlohmann documents (today's path)
// and on values (`expression::evaluate_value`). Prints M docs/s over the thread's CPU time, heap
// allocations per document (every operator new of the program is counted) and a checksum per path.
//
// With --group: issue #12's `$group` (`_id: "$movie"`, `$sum`, `$count`, `$max` of
// `$amountPaid`) over the tickets (1,000 movies), the nlohmann `group_aggregation` (today's
// window path) against `value_group_table` (docs/document-model.md §6 step 3).
//
//   bench_bson_document [--events N] [--expressions | --match | --stages | --group]
//   (--expressions: only the expression table; --match: only `$match`/`$jsonSchema` decisions;
//   --stages: only the stage table, document stages through `apply` on nlohmann documents against
//   `apply_value` on values; --group: only the `$group` table)
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <reel/bson.hpp>
#include <reel/detail/flat_map.hpp>
#include <reel/json/ejson.hpp>
#include <reel/json/expression.hpp>
#include <reel/json/group.hpp>
#include <reel/json/query.hpp>
#include <reel/json/stage.hpp>
#include <reel/json/value_group.hpp>

#if REEL_HAVE_SIMDJSON
#include <simdjson.h>
#endif

// Every operator new of the program is counted (tests/support/allocation_counter.hpp).
#include "support/allocation_counter.hpp"

using reel_test::allocations;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct figure {
  double per_second;
  double allocations_per_item;
  std::int64_t checksum;
};

/// Runs `body(i)` for i in [0, n) once to warm up, then measures a second pass.
template <class Body>
figure measure(std::size_t n, Body body) {
  std::int64_t checksum = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 1000); ++i)
    checksum += body(i);
  checksum = 0;
  const auto a0 = allocations.load();
  const double t0 = thread_cpu_seconds();
  for (std::size_t i = 0; i < n; ++i)
    checksum += body(i);
  const double s = thread_cpu_seconds() - t0;
  const auto a1 = allocations.load();
  return {static_cast<double>(n) / s, static_cast<double>(a1 - a0) / static_cast<double>(n),
          checksum};
}

void print(const char* name, const figure& f, double reference) {
  fmt::print("{:<52} {:>9.2f} {:>8.2f} {:>8.2f}x {:>22}\n", name, f.per_second / 1e6,
             f.allocations_per_item, f.per_second / reference, f.checksum);
}

#if REEL_HAVE_SIMDJSON
/// Visits every node; counts them (strings and keys by their length).
std::int64_t dom_walk(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      std::int64_t n = 1;
      for (auto m : simdjson::dom::object(e))
        n += static_cast<std::int64_t>(m.key.size()) + dom_walk(m.value);
      return n;
    }
    case element_type::ARRAY: {
      std::int64_t n = 1;
      for (auto x : simdjson::dom::array(e))
        n += dom_walk(x);
      return n;
    }
    case element_type::STRING:
      return static_cast<std::int64_t>(std::string_view(e).size());
    default:
      return 1;
  }
}

std::int64_t on_demand_walk(simdjson::ondemand::value v) {
  using simdjson::ondemand::json_type;
  json_type t;
  if (v.type().get(t)) std::abort();
  switch (t) {
    case json_type::object: {
      std::int64_t n = 1;
      for (auto field : v.get_object()) {
        std::string_view key;
        if (field.unescaped_key().get(key)) std::abort();
        n += static_cast<std::int64_t>(key.size()) + on_demand_walk(field.value());
      }
      return n;
    }
    case json_type::array: {
      std::int64_t n = 1;
      for (auto x : v.get_array())
        n += on_demand_walk(x.value());
      return n;
    }
    case json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) std::abort();
      return static_cast<std::int64_t>(s.size());
    }
    case json_type::number: {
      double d;
      if (v.get_double().get(d)) std::abort();
      return 1;
    }
    case json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) std::abort();
      return 1;
    }
    default:
      if (!v.is_null()) std::abort();
      return 1;
  }
}
#endif

/// The first 1,024 tickets parsed once both ways, for the tables that measure what follows the
/// parse (the values live in `memory`).
struct parsed_tickets {
  explicit parsed_tickets(const std::vector<std::string>& lines)
      : count(std::min<std::size_t>(lines.size(), 1024)) {
    for (std::size_t i = 0; i < count; ++i) {
      json.push_back(reel::json::parse_ejson_line(lines[i]));
      values.push_back(reader.parse(lines[i], memory));
    }
  }
  std::size_t count;
  reel::bson::arena memory;
  reel::bson::ejson_reader reader;
  std::vector<reel::json::document> json;
  std::vector<reel::bson::value> values;
};

/// The same compiled expressions over the same 1,024 parsed tickets, cycled `ops` times:
/// evaluation only, nlohmann documents (today's path) against values.
void expression_rows(const std::vector<std::string>& lines, std::size_t ops) {
  parsed_tickets parsed(lines);
  const std::size_t distinct = parsed.count;
  std::vector<reel::json::document>& json_docs = parsed.json;
  std::vector<reel::bson::value>& value_docs = parsed.values;
  const reel::json::eval_context ctx;
  reel::bson::arena eval_memory;
  std::vector<std::pair<const char*, figure>> rows;
  auto run = [&](const char* json_name, const char* value_name, const char* spec) {
    const reel::json::expression e =
        reel::json::compile_expression(reel::json::document::parse(spec), "/bench");
    rows.emplace_back(json_name, measure(ops, [&](std::size_t i) {
                        reel::json::document scratch;
                        const reel::json::document& r =
                            e.evaluate(json_docs[i % distinct], ctx, scratch);
                        if (r.is_number()) return static_cast<std::int64_t>(r.get<double>() * 100);
                        return static_cast<std::int64_t>(r.get_ref<const std::string&>().size());
                      }));
    rows.emplace_back(value_name, measure(ops, [&](std::size_t i) {
                        if ((i & 1023) == 0) eval_memory.reset();  // a per-batch arena
                        const reel::bson::value r =
                            e.evaluate_value(value_docs[i % distinct], ctx, eval_memory);
                        if (auto n = reel::bson::number::of(r)) {
                          return static_cast<std::int64_t>(n->as_double() * 100);
                        }
                        return static_cast<std::int64_t>(r.as_string().size());
                      }));
  };
  run("$cond/$gte/$multiply/$add: nlohmann evaluate", "$cond/$gte/$multiply/$add: evaluate_value",
      R"({"$cond": [{"$gte": ["$amountPaid", 10]}, {"$multiply": ["$amountPaid", 0.9]},
                    {"$add": ["$amountPaid", 1]}]})");
  // $concat was bridged (0.13x its nlohmann evaluation) until the string family moved.
  run("$concat: nlohmann evaluate", "$concat: evaluate_value", R"({"$concat": ["$movie", "!"]})");
  run("$toUpper/$substrCP: nlohmann evaluate", "$toUpper/$substrCP: evaluate_value",
      R"({"$toUpper": {"$substrCP": ["$movie", 0, 2]}})");
  run("$toString of a double: nlohmann evaluate", "$toString of a double: evaluate_value",
      R"({"$toString": "$amountPaid"})");
  // $dateToString was bridged (0.36x its nlohmann evaluation) until the date family moved.
  run("$dateToString %H: nlohmann evaluate", "$dateToString %H: evaluate_value",
      R"({"$dateToString": {"date": "$ts", "format": "%H"}})");
  run("$dateToString default, Berlin: nlohmann evaluate",
      "$dateToString default, Berlin: evaluate_value",
      R"({"$dateToString": {"date": "$ts", "timezone": "Europe/Berlin"}})");
  fmt::print("\n{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per evaluation", "M/s", "allocs",
             "vs its pair", "checksum");
  for (std::size_t i = 0; i < rows.size(); ++i)
    print(rows[i].first, rows[i].second, rows[i & ~std::size_t{1}].second.per_second);
}

/// `$match` and `$validate` decisions on nlohmann documents (today's path) and on values
/// (`query::matches` on a `bson::value`, docs/document-model.md §6 step 4), over the same 1,024
/// tickets cycled: a filter with `$gte` and a 50-name `$in`, and a `$jsonSchema` with `required`,
/// `bsonType` and `minimum`. Decision only: the documents are parsed once beforehand.
void match_rows(const std::vector<std::string>& lines, std::size_t ops) {
  parsed_tickets parsed(lines);
  const std::size_t distinct = parsed.count;
  std::vector<reel::json::document>& json_docs = parsed.json;
  std::vector<reel::bson::value>& value_docs = parsed.values;
  std::string names;
  for (int m = 0; m < 50; ++m)
    names += fmt::format("{}\"m{}\"", m == 0 ? "" : ", ", m * 20);
  const std::string filter =
      fmt::format(R"({{"amountPaid": {{"$gte": 5}}, "movie": {{"$in": [{}]}}}})", names);
  const std::string schema =
      R"({"$jsonSchema": {"required": ["movie", "amountPaid", "ts"], "properties": {
           "movie": {"bsonType": "string"}, "amountPaid": {"bsonType": "number", "minimum": 0},
           "ts": {"bsonType": "date"}}}})";
  const reel::json::eval_context ctx;
  reel::bson::arena eval_memory;
  std::vector<std::pair<const char*, figure>> rows;
  auto run = [&](const char* json_name, const char* value_name, const std::string& spec) {
    const reel::json::query q =
        reel::json::compile_query(reel::json::document::parse(spec), "/1/$match");
    rows.emplace_back(json_name, measure(ops, [&](std::size_t i) {
                        return static_cast<std::int64_t>(q.matches(json_docs[i % distinct], ctx));
                      }));
    rows.emplace_back(
        value_name, measure(ops, [&](std::size_t i) {
          if ((i & 1023) == 0) eval_memory.reset();  // a per-batch arena
          return static_cast<std::int64_t>(q.matches(value_docs[i % distinct], ctx, eval_memory));
        }));
  };
  run("$gte + $in of 50 names: nlohmann matches", "$gte + $in of 50 names: value matches", filter);
  run("$regex ^m1: nlohmann matches", "$regex ^m1: value matches",
      R"({"movie": {"$regex": "^m1"}})");
  run("$jsonSchema required/bsonType/minimum: nlohmann",
      "$jsonSchema required/bsonType/minimum: value", schema);
  fmt::print("\n{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per decision", "M/s", "allocs", "vs its pair",
             "checksum");
  for (std::size_t i = 0; i < rows.size(); ++i)
    print(rows[i].first, rows[i].second, rows[i & ~std::size_t{1}].second.per_second);
}

/// Issue #12's stages before a window, `$addFields: {net: {$multiply: ["$amountPaid", 0.9]}}`
/// then `$project: {movie: 1, net: 1}`, on tickets: through `apply` on nlohmann documents
/// (today's path) against `apply_value` on values (document_stage.hpp), with the parse of each
/// line and without it (over the same 1,024 parsed tickets, cycled; the nlohmann stages consume
/// their input, so that row copies each parsed document first, as a parse would make it).
void stage_rows(const std::vector<std::string>& lines, std::size_t ops) {
  const auto& registry = reel::json::stage_registry::global();
  const auto add_fields =
      registry.find("$addFields")
          ->make(reel::json::document::parse(R"({"net": {"$multiply": ["$amountPaid", 0.9]}})"),
                 "/0/$addFields");
  const auto project =
      registry.find("$project")
          ->make(reel::json::document::parse(R"({"movie": 1, "net": 1})"), "/1/$project");
  const reel::json::eval_context ctx;
  // The checksum: the bytes of `movie` and `net` * 100 of the output.
  const auto json_sum = [](const reel::json::document& d) {
    return static_cast<std::int64_t>(d["movie"].get_ref<const std::string&>().size()) +
           static_cast<std::int64_t>(d["net"].get<double>() * 100);
  };
  const auto value_sum = [](const reel::bson::value& d) {
    return static_cast<std::int64_t>(d["movie"].as_string().size()) +
           static_cast<std::int64_t>(d["net"].as_double() * 100);
  };
  std::vector<std::pair<const char*, figure>> rows;
  {
    std::vector<reel::json::document> a, b;
    rows.emplace_back("parse + $addFields + $project: nlohmann apply",
                      measure(ops, [&](std::size_t i) {
                        a.clear();
                        b.clear();
                        add_fields->apply(reel::json::parse_ejson_line(lines[i]), ctx, a);
                        project->apply(std::move(a.front()), ctx, b);
                        return json_sum(b.front());
                      }));
  }
  {
    reel::bson::arena memory;
    reel::bson::ejson_reader reader;
    std::vector<reel::bson::value> a, b;
    rows.emplace_back("parse + $addFields + $project: apply_value",
                      measure(ops, [&](std::size_t i) {
                        memory.reset();  // one arena per message
                        a.clear();
                        b.clear();
                        add_fields->apply_value(reader.parse(lines[i], memory), ctx, memory, a);
                        project->apply_value(a.front(), ctx, memory, b);
                        return value_sum(b.front());
                      }));
  }
  parsed_tickets parsed(lines);
  const std::size_t distinct = parsed.count;
  std::vector<reel::json::document>& json_docs = parsed.json;
  std::vector<reel::bson::value>& value_docs = parsed.values;
  {
    std::vector<reel::json::document> a, b;
    rows.emplace_back("$addFields + $project: nlohmann apply (+ copy)",
                      measure(ops, [&](std::size_t i) {
                        a.clear();
                        b.clear();
                        add_fields->apply(reel::json::document(json_docs[i % distinct]), ctx, a);
                        project->apply(std::move(a.front()), ctx, b);
                        return json_sum(b.front());
                      }));
  }
  {
    reel::bson::arena memory;
    std::vector<reel::bson::value> a, b;
    rows.emplace_back("$addFields + $project: apply_value", measure(ops, [&](std::size_t i) {
                        if ((i & 1023) == 0) memory.reset();  // a per-batch arena
                        a.clear();
                        b.clear();
                        add_fields->apply_value(value_docs[i % distinct], ctx, memory, a);
                        project->apply_value(a.front(), ctx, memory, b);
                        return value_sum(b.front());
                      }));
  }
  fmt::print("\n{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per document", "M/s", "allocs", "vs its pair",
             "checksum");
  for (std::size_t i = 0; i < rows.size(); ++i)
    print(rows[i].first, rows[i].second, rows[i & ~std::size_t{1}].second.per_second);
}

/// CPU time and heap allocations of the calls it wraps, summed.
struct timed {
  double seconds = 0;
  std::uint64_t allocations = 0;
  template <class F>
  void operator()(F&& f) {
    const auto a0 = allocations_now();
    const double t0 = thread_cpu_seconds();
    f();
    seconds += thread_cpu_seconds() - t0;
    allocations += allocations_now() - a0;
  }
  static std::uint64_t allocations_now() { return ::allocations.load(); }
};

/// `$group` over every ticket, parsed in chunks of 4,096 lines (parsing is not timed): today's
/// nlohmann window aggregation against the value one, then both with their parse.
void group_rows(const std::vector<std::string>& lines) {
  const reel::json::document spec = reel::json::document::parse(
      R"({"_id": "$movie", "total": {"$sum": "$amountPaid"}, "n": {"$count": {}},
          "top": {"$max": "$amountPaid"}})");
  const auto def =
      std::make_shared<const reel::json::group_definition>(reel::json::compile_group(spec, "/g"));
  const auto ctx = std::make_shared<const reel::json::eval_context>();
  constexpr std::size_t chunk = 4096;
  auto row = [&](const char* name, const timed& t, std::int64_t checksum) {
    return std::pair<const char*, figure>(
        name,
        figure{static_cast<double>(lines.size()) / t.seconds,
               static_cast<double>(t.allocations) / static_cast<double>(lines.size()), checksum});
  };
  std::vector<std::pair<const char*, figure>> rows;

  // Today: nlohmann documents, group_aggregation in a flat_map as the windows hold it.
  {
    timed group_only, with_parse;
    reel::json::group_aggregation agg(def, ctx);
    reel::detail::flat_map<reel::json::document, reel::json::group_state, reel::json::value_hash,
                           reel::json::value_equal>
        groups;
    std::vector<reel::json::document> docs;
    std::uint64_t seq = 0;
    for (std::size_t at = 0; at < lines.size(); at += chunk) {
      const std::size_t end = std::min(lines.size(), at + chunk);
      with_parse([&] {
        docs.clear();
        for (std::size_t i = at; i < end; ++i)
          docs.push_back(reel::json::parse_ejson_line(lines[i]));
      });
      group_only([&] {
        for (const reel::json::document& d : docs) {
          agg.prepare(d);
          agg.add(groups.find_or_insert(agg.key_of(d), [&] { return agg.make_state(); }), d, seq++);
        }
      });
    }
    std::int64_t checksum = 0;
    groups.for_each([&](const reel::json::document& k, const reel::json::group_state& s) {
      const reel::json::document out = agg.result(k, s);
      checksum +=
          static_cast<std::int64_t>(out["total"].get<double>() * 10) + out["n"].get<std::int64_t>();
    });
    with_parse.seconds += group_only.seconds;
    with_parse.allocations += group_only.allocations;
    rows.push_back(row("$group, nlohmann group_aggregation (today)", group_only, checksum));
    rows.push_back(row("parse_ejson_line + nlohmann $group (today)", with_parse, checksum));
  }
  // Values: ejson_reader into a per-chunk arena, value_group_table.
  {
    timed group_only, with_parse;
    reel::json::value_group_table table(reel::json::value_group_of(def), ctx);
    reel::bson::ejson_reader reader;
    reel::bson::arena memory;
    std::vector<reel::bson::value> docs;
    std::uint64_t seq = 0;
    for (std::size_t at = 0; at < lines.size(); at += chunk) {
      const std::size_t end = std::min(lines.size(), at + chunk);
      with_parse([&] {
        memory.reset();
        docs.clear();
        for (std::size_t i = at; i < end; ++i)
          docs.push_back(reader.parse(lines[i], memory));
      });
      group_only([&] {
        for (const reel::bson::value& d : docs)
          table.add(d, seq++);
      });
    }
    std::int64_t checksum = 0;
    reel::bson::arena out_memory;
    for (const reel::bson::value& out : table.results(out_memory)) {
      checksum +=
          static_cast<std::int64_t>(reel::bson::number::of(out["total"])->as_double() * 10) +
          out["n"].as_int64();
    }
    with_parse.seconds += group_only.seconds;
    with_parse.allocations += group_only.allocations;
    rows.push_back(row("$group, value_group_table", group_only, checksum));
    rows.push_back(row("ejson_reader + value $group", with_parse, checksum));
  }
  fmt::print("{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per event", "M/s", "allocs", "vs today",
             "checksum");
  for (std::size_t i = 0; i < rows.size(); ++i)
    print(rows[i].first, rows[i].second, rows[i % 2].second.per_second);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--events") == 0) events = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::vector<std::string> lines;
  lines.reserve(events);
  const std::int64_t start_ms =
      reel::to_millis(reel::parse_iso8601("2024-06-01T20:00:00Z").value());
  std::uint64_t rng = 42;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < events; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::int64_t ts = start_ms + static_cast<std::int64_t>(i) / 10;  // 10,000 events/s
    lines.push_back(fmt::format(R"({{"movie":"m{}","amountPaid":{},"ts":{{"$date":"{}"}}}})",
                                (rng >> 33) % 1000, static_cast<double>((rng >> 40) % 40) / 2 + 0.5,
                                reel::format_iso8601(reel::from_millis(ts))));
    bytes += lines.back().size();
  }
  fmt::print("events: {}, average line: {:.1f} bytes, JSON input parser of reel::bson: {}\n\n",
             events, static_cast<double>(bytes) / static_cast<double>(events),
             reel::bson::ejson_reader::uses_simdjson() ? "simdjson DOM" : "nlohmann SAX");
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--expressions") == 0) {
      expression_rows(lines, events);
      return 0;
    }
    if (std::strcmp(argv[i], "--match") == 0) {
      match_rows(lines, events);
      return 0;
    }
    if (std::strcmp(argv[i], "--stages") == 0) {
      stage_rows(lines, events);
      return 0;
    }
    if (std::strcmp(argv[i], "--group") == 0) {
      group_rows(lines);
      return 0;
    }
  }

  std::vector<std::pair<const char*, figure>> rows;

#if REEL_HAVE_SIMDJSON
  simdjson::dom::parser dom;
  std::string padded;
  rows.emplace_back(
      "simdjson DOM parse only (baseline)", measure(events, [&](std::size_t i) {
        padded.assign(lines[i]);
        padded.append(simdjson::SIMDJSON_PADDING, '\0');
        simdjson::dom::element e;
        if (dom.parse(padded.data(), lines[i].size(), false).get(e)) std::abort();
        return static_cast<std::int64_t>(e.type() == simdjson::dom::element_type::OBJECT);
      }));
  // The two ways simdjson can feed a value builder, each visiting every node (which is what
  // makes On-Demand validate the text): DOM parse + tape walk, or an On-Demand walk. On-Demand
  // is inlined code whose kernel is chosen at compile time (`simdjson::builtin`): without
  // -march flags that is the portable fallback kernel, while DOM dispatches at run time.
  rows.emplace_back("simdjson DOM parse + walk of every node", measure(events, [&](std::size_t i) {
                      padded.assign(lines[i]);
                      padded.append(simdjson::SIMDJSON_PADDING, '\0');
                      simdjson::dom::element e;
                      if (dom.parse(padded.data(), lines[i].size(), false).get(e)) std::abort();
                      return dom_walk(e);
                    }));
  simdjson::ondemand::parser on_demand;
  rows.emplace_back(
      "simdjson On-Demand walk of every node", measure(events, [&](std::size_t i) {
        padded.assign(lines[i]);
        padded.append(simdjson::SIMDJSON_PADDING, '\0');
        simdjson::ondemand::document doc;
        if (on_demand.iterate(padded.data(), lines[i].size(), padded.size()).get(doc)) {
          std::abort();
        }
        simdjson::ondemand::value root;
        if (doc.get_value().get(root)) std::abort();
        const std::int64_t n = on_demand_walk(root);
        return n;
      }));
#endif
  reel::bson::arena arena;
  reel::bson::ejson_reader reader;
  rows.emplace_back("reel::bson parse into value (arena reset per doc)",
                    measure(events, [&](std::size_t i) {
                      arena.reset();
                      return static_cast<std::int64_t>(reader.parse(lines[i], arena).size());
                    }));
  rows.emplace_back(
      "reel::bson parse, nlohmann SAX fallback", measure(events, [&](std::size_t i) {
        arena.reset();
        return static_cast<std::int64_t>(reader.parse_with_fallback(lines[i], arena).size());
      }));
  rows.emplace_back(
      "nlohmann ordered_json::parse", measure(events, [&](std::size_t i) {
        return static_cast<std::int64_t>(nlohmann::ordered_json::parse(lines[i]).size());
      }));
  rows.emplace_back(
      "reel::json::parse_ejson_line (today's path)", measure(events, [&](std::size_t i) {
        return static_cast<std::int64_t>(reel::json::parse_ejson_line(lines[i]).size());
      }));

  // Parse + read movie, amountPaid and ts.
  const reel::bson::field_path movie("movie"), paid("amountPaid"), ts("ts");
  rows.emplace_back(
      "reel::bson parse + 3 compiled field paths", measure(events, [&](std::size_t i) {
        arena.reset();
        const reel::bson::value d = reader.parse(lines[i], arena);
        return static_cast<std::int64_t>(movie.lookup(d).as_string().size()) +
               static_cast<std::int64_t>(reel::bson::number::of(paid.lookup(d))->as_double() * 2) +
               ts.lookup(d).as_date() % 1000;
      }));
  rows.emplace_back(
      "parse_ejson_line + 3 fields (today's path)", measure(events, [&](std::size_t i) {
        const auto d = reel::json::parse_ejson_line(lines[i]);
        const auto ms = reel::json::detail::date_millis(d["ts"]);
        return static_cast<std::int64_t>(d["movie"].get_ref<const std::string&>().size()) +
               static_cast<std::int64_t>(d["amountPaid"].get<double>() * 2) + *ms % 1000;
      }));

  // Parse + write relaxed Extended JSON.
  std::string out;
  rows.emplace_back("reel::bson parse + write relaxed EJSON", measure(events, [&](std::size_t i) {
                      arena.reset();
                      const reel::bson::value d = reader.parse(lines[i], arena);
                      out.clear();
                      reel::bson::write_ejson(out, d);
                      return static_cast<std::int64_t>(out.size());
                    }));
  rows.emplace_back(
      "parse_ejson_line + to_relaxed_ejson (today)", measure(events, [&](std::size_t i) {
        return static_cast<std::int64_t>(
            reel::json::to_relaxed_ejson(reel::json::parse_ejson_line(lines[i])).size());
      }));
  // Keep one document per event, as window state would.
  std::vector<reel::bson::owned_value> kept;
  kept.reserve(events);
  rows.emplace_back("reel::bson parse + owned_value copy", measure(events, [&](std::size_t i) {
                      arena.reset();
                      if (kept.size() == events) kept.clear();
                      kept.emplace_back(reader.parse(lines[i], arena));
                      return static_cast<std::int64_t>(kept.back().footprint());
                    }));

  const double reference = rows.front().second.per_second;
  fmt::print("{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per document", "M/s", "allocs", "vs first",
             "checksum");
  for (const auto& [name, f] : rows)
    print(name, f, reference);

  // ---- Decimal128 beside double --------------------------------------------------------------
  const std::size_t ops = events;
  std::vector<reel::bson::decimal128> decimals;
  std::vector<double> doubles;
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 1024; ++i) {
    texts.push_back(fmt::format("{}.{:02}", i * 7 % 1000, i % 100));
    decimals.push_back(*reel::bson::decimal_from_string(texts.back()));
    doubles.push_back(std::strtod(texts.back().c_str(), nullptr));
  }
  std::vector<std::pair<const char*, figure>> dec_rows;
  double dsum = 0;
  dec_rows.emplace_back("double add (reference)", measure(ops, [&](std::size_t i) {
                          dsum += doubles[i & 1023];
                          return static_cast<std::int64_t>(dsum) & 1;
                        }));
  reel::bson::decimal128 acc = reel::bson::decimal_from_int64(0);
  dec_rows.emplace_back("decimal add (libgcc BID)", measure(ops, [&](std::size_t i) {
                          acc = reel::bson::decimal_add(acc, decimals[i & 1023]);
                          return static_cast<std::int64_t>(acc.bytes[0] & 1);
                        }));
  dec_rows.emplace_back("decimal multiply (libgcc BID)", measure(ops, [&](std::size_t i) {
                          const auto p = reel::bson::decimal_multiply(decimals[i & 1023],
                                                                      decimals[(i + 1) & 1023]);
                          return static_cast<std::int64_t>(p.bytes[0] & 1);
                        }));
  dec_rows.emplace_back("decimal divide (libgcc BID)", measure(ops, [&](std::size_t i) {
                          const auto p = reel::bson::decimal_divide(decimals[i & 1023],
                                                                    decimals[((i + 1) & 1023) | 1]);
                          return static_cast<std::int64_t>(p.bytes[0] & 1);
                        }));
  std::string dtext;
  dec_rows.emplace_back("decimal to string (libbson)", measure(ops, [&](std::size_t i) {
                          dtext.clear();
                          reel::bson::append_decimal_string(dtext, decimals[i & 1023]);
                          return static_cast<std::int64_t>(dtext.size());
                        }));
  dec_rows.emplace_back("decimal from string (libbson)", measure(ops, [&](std::size_t i) {
                          return static_cast<std::int64_t>(
                              reel::bson::decimal_from_string(texts[i & 1023])->bytes[0] & 1);
                        }));
  dec_rows.emplace_back("$round double through 34-digit decimal", measure(ops, [&](std::size_t i) {
                          const auto r =
                              reel::bson::round(reel::bson::number::double_(doubles[i & 1023]), 1,
                                                reel::bson::rounding::half_even);
                          return static_cast<std::int64_t>(r->d);
                        }));
  fmt::print("\n{:<52} {:>9} {:>8} {:>9} {:>22}\n", "per operation", "M/s", "allocs", "vs first",
             "checksum");
  for (const auto& [name, f] : dec_rows)
    print(name, f, dec_rows.front().second.per_second);
  fmt::print("\ndecimal sum of the inputs: {}\n", reel::bson::decimal_to_string(acc));

  expression_rows(lines, ops);
}
