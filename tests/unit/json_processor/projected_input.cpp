// SPDX-License-Identifier: Apache-2.0
// The stream processor's projected input (DESIGN.md §7): which pipelines read a known set of
// top-level fields of their input, the readers that then parse only those fields (they accept no
// text that `parse_ejson_line` refuses and give the same values), and processors reading
// projected that give the same outputs, DLQ records (with whole documents) and counts as when
// they are given whole documents.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>
#include <reel/json/detail/projected_input.hpp>  // the internal reader, tested directly

namespace projected_input {

using reel::json::document;

std::optional<std::vector<std::string>> fields_of(const char* pipeline_text) {
  return reel::json::detail::projected_input_fields(
      reel::json::compile_pipeline(reel::json::parse_pipeline_text(pipeline_text)));
}

using names = std::vector<std::string>;

/// The members of `doc` named in `keep`, in `doc`'s order.
document project(const document& doc, const names& keep) {
  document out = document::object();
  for (const auto& [key, value] : doc.items()) {
    if (std::find(keep.begin(), keep.end(), key) != keep.end()) out[key] = value;
  }
  return out;
}

/// Every reader on `text`: each may decline, but what one accepts `parse_ejson_line` accepts,
/// and it gives that document's `keep` members, in the same order. Returns whether the
/// processor's reader accepted it.
bool check_readers(const std::string& text, const names& keep) {
  std::optional<document> full;
  try {
    full = reel::json::parse_ejson_line(text);
  } catch (const reel::error&) {
  }
  auto check = [&](const char* reader, bool accepted, const document& got) {
    INFO(reader << " on " << text);
    if (!accepted) return;
    REQUIRE(full.has_value());
    if (!full->is_object()) {
      CHECK(got.dump() == full->dump());
      return;
    }
    CHECK(got.dump() == project(*full, keep).dump());
  };
  document out;
  check("parse_ejson_fields", reel::json::detail::parse_ejson_fields(text, keep, out), out);
#if REEL_HAVE_SIMDJSON
  document direct;
  reel::json::detail::simdjson_reader simdjson;
  check("simdjson_reader", simdjson.read(text, keep, direct), direct);
#endif
  document projected;
  reel::json::detail::projected_reader reader(keep);
  const bool accepted = reader.read(text, projected);
  check("projected_reader", accepted, projected);
  if (accepted) CHECK(projected.is_object());
  return accepted;
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + "1" + std::string(depth, ']');
}

/// A random JSON-ish text: objects, arrays, numbers, strings with escapes, EJSON wrappers valid
/// and not, repeated keys.
std::string random_value(std::mt19937_64& rng, int depth) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  static const char* scalars[] = {"0",
                                  "-0",
                                  "-0.0",
                                  "1",
                                  "-17",
                                  "3.25",
                                  "1e3",
                                  "2E-2",
                                  "1e-400",
                                  "1e400",
                                  "0.1",
                                  "true",
                                  "false",
                                  "null",
                                  "\"s\"",
                                  "\"\\u00e9\"",
                                  "\"\\ud800\"",
                                  "\"\\n\\/\"",
                                  "\"é\"",
                                  "\"\"",
                                  "9223372036854775808",
                                  "18446744073709551616",
                                  "-9223372036854775809",
                                  "4.9e-324",
                                  "\"\\u0000\""};
  static const char* wrappers[] = {R"({"$numberInt": "5"})",
                                   R"({"$numberInt": "x"})",
                                   R"({"$numberLong": "-7"})",
                                   R"({"$numberDouble": "NaN"})",
                                   R"({"$date": "2024-01-01T01:00:00+01:00"})",
                                   R"({"$date": 1704067200000})",
                                   R"({"$date": {"$numberLong": "1"}})",
                                   R"({"$date": []})",
                                   R"({"$oid": "0123456789abcdef01234567"})",
                                   R"({"$numberInt": "1", "$numberInt": "y"})"};
  static const char* keys[] = {"a", "b", "c", "k", "v", "t", "$x", "a.b", ""};
  if (depth <= 0) return scalars[pick(std::size(scalars))];
  switch (pick(5)) {
    case 0:
      return wrappers[pick(std::size(wrappers))];
    case 1: {
      std::string s = "[";
      for (std::size_t i = 0, n = pick(4); i < n; ++i)
        s += (i ? "," : "") + random_value(rng, depth - 1);
      return s + "]";
    }
    case 2: {
      std::string s = "{";
      for (std::size_t i = 0, n = pick(5); i < n; ++i) {
        s += (i ? "," : "") + std::string("\"") + keys[pick(std::size(keys))] +
             "\":" + random_value(rng, depth - 1);
      }
      return s + "}";
    }
    default:
      return scalars[pick(std::size(scalars))];
  }
}

}  // namespace projected_input

using namespace projected_input;

TEST_CASE("a pipeline reads a known set of fields only when every part that reads events says so",
          "[json][processor][projected]") {
  CHECK(fields_of(R"js([
    { $source: { timeField: { $dateFromString: { dateString: '$ts' } } } },
    { $match: { amountPaid: { $gt: 0 }, 'seat.row': { $exists: true } } },
    { $tumblingWindow: { interval: { size: 1, unit: 'second' },
        pipeline: [ { $match: { $expr: { $ne: ['$$ROOT.kind', 'test'] } } },
                    { $group: { _id: '$movie', total: { $sum: '$amountPaid' }, n: { $count: {} },
                                best: { $top: { sortBy: { score: -1 }, output: '$who' } } } },
                    { $sort: { total: -1 } }, { $project: { everything: '$$ROOT' } } ] } } ])js") ==
        names{"amountPaid", "kind", "movie", "score", "seat", "ts", "who"});
  CHECK(fields_of(R"js([ { $sessionWindow: { partitionBy: '$user', gap: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: null, n: { $count: {} } } } ] } } ])js") == names{"user"});
  // After the window, stages see the window's results, not the input.
  CHECK(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: '$a' } } ] } }, { $addFields: { x: '$$ROOT' } } ])js") ==
        names{"a"});

  // No window, or a window that keeps documents: whole documents go on.
  CHECK_FALSE(fields_of(R"js([ { $match: { a: 1 } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $sort: { a: 1 } } ] } } ])js"));
  // A stage that is not a filter, or a part that reads the whole document.
  CHECK_FALSE(fields_of(R"js([ { $addFields: { b: 1 } }, { $tumblingWindow: {
      interval: { size: 1, unit: 'second' }, pipeline: [ { $group: { _id: '$a' } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: '$$ROOT' } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: { $getField: 'a' } } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: null, all: { $push: '$$CURRENT' } } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $source: { timeField: { $toDate: { $getField: 't' } } } },
      { $tumblingWindow: { interval: { size: 1, unit: 'second' },
        pipeline: [ { $group: { _id: '$a' } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $match: { $jsonSchema: { required: ['a'] } } },
      { $tumblingWindow: { interval: { size: 1, unit: 'second' },
        pipeline: [ { $group: { _id: '$a' } } ] } } ])js"));
  CHECK_FALSE(fields_of(R"js([ { $sessionWindow: { partitionBy: { $objectToArray: '$$ROOT' },
      gap: { size: 1, unit: 'second' }, pipeline: [ { $group: { _id: null } } ] } } ])js"));
}

TEST_CASE("an accumulator that does not say what it reads gets whole documents",
          "[json][processor][projected]") {
  class last_document final : public reel::json::accumulator {
   public:
    document init() const override { return nullptr; }
    void add(document& s, const document& doc, const reel::json::eval_context&,
             std::uint64_t) const override {
      s = doc;
    }
    void merge(document& s, const document& o) const override { s = o; }
    document result(const document& s) const override { return s; }
  };
  reel::json::accumulator_registry::global().add(
      "$lastDocumentProjectedTest",
      [](const document&, const std::string&) { return std::make_shared<last_document>(); });
  CHECK_FALSE(fields_of(R"js([ { $tumblingWindow: { interval: { size: 1, unit: 'second' },
      pipeline: [ { $group: { _id: '$a', d: { $lastDocumentProjectedTest: {} } } } ] } } ])js"));
}

TEST_CASE("projected readers accept no text that parse_ejson_line refuses, and agree with it",
          "[json][processor][projected]") {
  const names keep = {"a", "c", "k"};
  const std::vector<std::string> accepted_by_all = {
      R"({"a": 1, "b": "x", "c": [1, 2, {"d": null}], "e": {"f": true}})",
      R"({"b": {"$numberInt": "1"}, "a": {"$numberLong": "5"}, "c": {"$numberDouble": "NaN"}})",
      R"({"k": {"$date": "2024-01-01T01:00:00+01:00"}, "x": {"$date": {"$numberLong": "1"}}})",
      R"({"a": 1, "a": 2, "b": 3, "a": 4})",
      R"({"x": {"y": [{"$numberInt": "x", "$numberInt": "2"}]}, "a": "\u00e9\ud83d\ude00\/"})",
      R"( {"a":-0,"c":1e-400,"k":9223372036854775808,"z":0.1}  )",
      R"({})",
      R"({"b": 1})",
  };
  for (const auto& text : accepted_by_all) {
    INFO(text);
    CHECK(check_readers(text, keep));
  }
  const std::vector<std::string> others = {
      // Malformed wrappers, read or not, at any depth.
      R"({"a": 1, "b": {"$numberInt": "x"}})", R"({"a": {"$numberInt": "x"}})",
      R"({"a": 1, "b": [{"c": {"$date": []}}]})",
      R"({"b": {"$numberInt": "1", "$numberInt": "x"}, "a": 1})",
      // Roots that are not objects, or that are wrappers themselves.
      "5", R"("s")", "[1]", "null", R"([{"$numberInt": "x"}])",
      R"({"$date": "2024-01-01T00:00:00Z"})", R"({"$numberInt": "5"})", R"({"$numberInt": "x"})",
      R"({"$x": 1, "a": 2})",
      // Numbers, strings and syntax.
      R"({"a": 1, "b": 1e400})", R"({"a": 18446744073709551616, "b": -9223372036854775809})",
      R"({"a": 123456789012345678901234567890})", R"({"b": "\ud800"})", R"({"b": "\udc00x"})",
      R"({"b": "\x"})", "{\"b\": \"a\x01\"}", "{\"b\": \"\xff\"}", "{\"b\": \"\xc0\xaf\"}",
      "\xEF\xBB\xBF{\"a\": 1}", "{\"b\": \"\x7f\"}", R"({"a": 1, "b": tru})",
      R"({"a": 1, "b": truex})", R"({"a": 1,})", R"({"a": 1} x)", R"({"a": 1}{"a": 2})", "", "  ",
      R"({"a" 1})", R"({'a': 1})", R"({"a": 01})", R"({"a": .5})", R"({"a": 1.})", R"({"a": -})",
      R"({"a": NaN})", R"({"a": [1, 2,]})", "{\"a\": 1, \"b\": \"\\u0000\"}"};
  for (const auto& text : others)
    check_readers(text, keep);
  // Nesting around the limit of 200 levels, in a read field and in another.
  for (std::size_t depth : {197, 198, 199, 200, 201, 250}) {
    check_readers("{\"a\": " + nested_arrays(depth) + "}", keep);
    check_readers("{\"a\": 1, \"b\": " + nested_arrays(depth) + "}", keep);
  }
}

TEST_CASE("projected readers on random and damaged texts", "[json][processor][projected]") {
  std::mt19937_64 rng(7);
  const names keep = {"a", "k", "t"};
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = random_value(rng, 4);
    if (i % 2 == 0) text = "{\"a\":" + text + ",\"b\":" + random_value(rng, 3) + "}";
    if (i % 3 == 0 && !text.empty()) {  // damage one byte
      const std::size_t at = rng() % text.size();
      static const char bytes[] = {'{', '}', '[', ']', ',', ':', '"', '\\', 'x', '\x80', ' ', '1'};
      text[at] = bytes[rng() % sizeof bytes];
    }
    accepted += check_readers(text, keep) ? 1 : 0;
  }
  CHECK(accepted > 300);  // the readers do accept the usual documents
}

TEST_CASE("a processor reading projected gives the results and DLQ records of whole documents",
          "[json][processor][projected]") {
  const char* pipelines[] = {
      R"js([ { $source: { timeField: { $dateFromString: { dateString: '$t' } } } },
        { $match: { v: { $gte: 0 } } },
        { $tumblingWindow: { interval: { size: 10, unit: 'second' }, allowedLateness: 0,
            pipeline: [ { $group: { _id: { $toInt: '$k' }, s: { $sum: '$v' }, n: { $count: {} },
                                    top: { $top: { sortBy: { v: -1 }, output: '$v' } } } } ] } } ])js",
      R"js([ { $source: { timeField: { $toDate: '$t' }, tsFieldName: 'when' } },
        { $hoppingWindow: { interval: { size: 20, unit: 'second' }, hopSize: { size: 10, unit: 'second' },
            allowedLateness: { size: 2, unit: 'second' },
            pipeline: [ { $group: { _id: '$k', vs: { $push: '$v' }, at: { $max: '$when' } } } ] } } ])js",
      R"js([ { $source: { timeField: { $toDate: '$t' } } },
        { $sessionWindow: { partitionBy: '$k', gap: { size: 5, unit: 'second' }, allowedLateness: 0,
            pipeline: [ { $group: { _id: null, s: { $sum: '$v' } } } ] } } ])js"};
  for (const char* pipeline_text : pipelines) {
    INFO(pipeline_text);
    const document pipeline = reel::json::parse_pipeline_text(pipeline_text);
    REQUIRE(reel::json::detail::projected_input_fields(reel::json::compile_pipeline(pipeline)));
    reel::manual_clock clock{reel::parse_iso8601("2024-01-01T00:00:00Z").value()};
    reel::json::stream_processor_options options;
    options.clock = &clock;
    options.stream_meta = true;
    reel::json::stream_processor bytes_fed(pipeline, {}, options);
    reel::json::stream_processor documents_fed(pipeline, {}, options);
    std::vector<document> outputs[2], dlq[2];
    bytes_fed.on_output([&](const document& d) { outputs[0].push_back(d); });
    bytes_fed.on_dead_letter([&](const document& d) { dlq[0].push_back(d); });
    documents_fed.on_output([&](const document& d) { outputs[1].push_back(d); });
    documents_fed.on_dead_letter([&](const document& d) { dlq[1].push_back(d); });

    std::mt19937_64 rng(11);
    const char* keys[] = {"1", "2", "x"};  // "x" fails $toInt in the first pipeline
    for (int i = 0; i < 400; ++i) {
      const std::int64_t ms =
          1'704'067'200'000 + i * 700 - static_cast<std::int64_t>(rng() % 15'000);
      std::string t = i % 37 == 0 ? "not a date" : reel::format_iso8601(reel::from_millis(ms));
      std::string text = std::string(i % 53 == 0 ? "\xEF\xBB\xBF" : "") + "{\"extra\": {\"n\": [" +
                         std::to_string(i) + ", {\"$numberLong\": \"9\"}]}, \"k\": \"" +
                         keys[rng() % (i % 5 == 0 ? 3 : 2)] +
                         "\", \"v\": " + std::to_string(static_cast<int>(rng() % 20) - 2) +
                         ", \"t\": \"" + t + "\", \"note\": \"é\"}";
      if (i % 41 == 0) text = "{\"k\": \"1\", \"v\": {\"$numberInt\": \"bad\"}}";
      if (i % 43 == 0) text = "{\"k\": \"1\", \"other\": {\"$date\": []}, \"t\": \"" + t + "\"}";
      reel::source_message m;
      m.payload = text;
      bytes_fed.push(std::move(m));
      try {
        documents_fed.push(reel::json::parse_ejson_line(text));
      } catch (const reel::error&) {
        reel::source_message again;  // undecodable: the same DLQ record either way
        again.payload = text;
        documents_fed.push(std::move(again));
      }
      clock.advance(std::chrono::milliseconds(100));
    }
    bytes_fed.flush();
    documents_fed.flush();
    CHECK(outputs[0].size() > 10);
    CHECK(dlq[0].size() > 10);
    CHECK(outputs[0] == outputs[1]);
    REQUIRE(dlq[0].size() == dlq[1].size());
    for (std::size_t i = 0; i < dlq[0].size(); ++i) {
      INFO(dlq[0][i].dump());
      CHECK(dlq[0][i] == dlq[1][i]);
      if (dlq[0][i].contains("doc")) CHECK(dlq[0][i]["doc"].contains("extra"));
    }
    document stats[] = {bytes_fed.stats(), documents_fed.stats()};
    for (const char* counter :
         {"inputMessageCount", "outputMessageCount", "outputMessageSize", "dlqMessageCount",
          "dlqMessageSize", "filteredMessageCount", "lateMessageCount"}) {
      INFO(counter);
      CHECK(stats[0][counter] == stats[1][counter]);
    }
  }
}
