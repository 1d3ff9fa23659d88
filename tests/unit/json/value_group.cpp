// SPDX-License-Identifier: Apache-2.0
// `$group` and its accumulators on the BSON value model (reel/json/value_group.hpp) against the
// nlohmann `$group` (group.hpp) on every `$group` of the conformance files, merged partial states
// against one state, checkpoint forms, and issue #12's accumulator cases.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/group.hpp"
#include "reel/json/value_group.hpp"
#include "reel/time.hpp"
#include "unit/json/value_helpers.hpp"

namespace value_group_test {

namespace fs = std::filesystem;
using reel::json::document;

/// A `$group` of a conformance case and the documents it runs over.
struct found_group {
  document spec;
  std::string where;
};

void collect_pipeline(const document& pipeline, const std::string& where,
                      std::vector<found_group>& out) {
  if (!pipeline.is_array()) return;
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    const document& stage = pipeline[i];
    if (!stage.is_object() || stage.size() != 1) continue;
    const std::string w = where + "/" + std::to_string(i) + "/" + stage.begin().key();
    const document& arg = stage.begin().value();
    if (stage.begin().key() == "$group") {
      out.push_back({arg, w});
    } else if (arg.is_object() && arg.contains("pipeline")) {  // windows
      collect_pipeline(arg["pipeline"], w + "/pipeline", out);
    }
  }
}

using value_test::as_mongosh;
using value_test::case_files;
using value_test::load;
using value_test::same_typed;
using value_test::show;

std::string show(const std::vector<reel::bson::value>& vs) {
  std::string out = "[";
  for (const auto& v : vs)
    out += show(v) + " ";
  return out + "]";
}

/// The nlohmann path keeps neither int64 nor Decimal128: groups over them compare by value.
bool holds_long_or_decimal(const document& d) {
  return value_test::mentions_long_or_decimal(d.dump());
}

struct run {
  std::vector<reel::bson::value> out;
  std::vector<std::string> errors;  // of the documents that went to on_error
};

run nlohmann_group(const std::shared_ptr<const reel::json::group_definition>& def,
                   const document& input, const reel::json::eval_context& ctx,
                   reel::bson::arena& memory) {
  std::vector<document> docs(input.begin(), input.end());
  run r;
  reel::json::group_stage(def).apply_batch(
      docs, ctx, [&](const document&, const reel::error& e) { r.errors.push_back(e.what()); });
  for (const document& d : docs)
    r.out.push_back(reel::bson::from_nlohmann(d, memory));
  return r;
}

std::vector<reel::bson::value> values_of(const document& input, reel::bson::arena& memory) {
  std::vector<reel::bson::value> docs;
  for (const document& d : input)
    docs.push_back(reel::bson::from_nlohmann(d, memory));
  return docs;
}

run value_group(const reel::json::value_group_definition& def,
                const std::vector<reel::bson::value>& docs, const reel::json::eval_context& ctx,
                reel::bson::arena& memory) {
  run r;
  r.out = reel::json::group_values(
      def, docs, ctx, memory,
      [&](const reel::bson::value&, const reel::error& e) { r.errors.push_back(e.what()); });
  return r;
}

/// Every output equal with equal types (or equal by value when `by_value`).
bool same_outputs(const std::vector<reel::bson::value>& a, const std::vector<reel::bson::value>& b,
                  bool by_value, double tolerance = 0) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (by_value ? reel::bson::compare(a[i], b[i]) != 0 : !same_typed(a[i], b[i], tolerance))
      return false;
  }
  return true;
}

/// Runs `docs` through a table in two parts split at `k`, merged, or through one table.
std::vector<reel::bson::value> split_and_merge(
    const std::shared_ptr<const reel::json::value_group_definition>& def,
    const std::vector<reel::bson::value>& docs, std::size_t k, reel::bson::arena& memory) {
  auto ctx = std::make_shared<const reel::json::eval_context>();
  reel::json::value_group_table first(def, ctx), second(def, ctx);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    try {
      (i < k ? first : second).add(docs[i], i);
    } catch (const reel::error&) {
    }
  }
  first.merge(std::move(second));
  return first.results(memory);
}

}  // namespace value_group_test

TEST_CASE("$group on values agrees with the nlohmann $group on every conformance case",
          "[json][group][value]") {
  using namespace value_group_test;
  std::size_t groups = 0, runs = 0, typed = 0, by_value = 0, errors = 0, refused = 0, merges = 0;
  for (const fs::path& file : case_files()) {
    const document cases = load(file);
    for (const document& c : cases) {
      std::vector<found_group> found;
      if (c.contains("stage")) collect_pipeline(document::array({c["stage"]}), "", found);
      if (c.contains("pipeline")) collect_pipeline(c["pipeline"], "", found);
      for (const found_group& g : found) {
        INFO(file.filename().string()
             << " | " << c.value("name", "") << " | " << g.where << " | " << g.spec.dump());
        std::shared_ptr<const reel::json::group_definition> def;
        std::string old_error, new_error;
        try {
          def = std::make_shared<const reel::json::group_definition>(
              reel::json::compile_group(g.spec, g.where));
        } catch (const reel::error& e) {
          old_error = e.what();
        }
        std::shared_ptr<const reel::json::value_group_definition> vdef;
        try {
          vdef = reel::json::compile_value_group(g.spec, g.where);
        } catch (const reel::error& e) {
          new_error = e.what();
        }
        // Definition errors are the same (the value path accepts nothing more in these files).
        REQUIRE(old_error == new_error);
        if (!def) {
          ++refused;
          continue;
        }
        ++groups;
        if (!c.contains("input") || !c["input"].is_array()) continue;
        document input = document::array();
        for (const document& d : c["input"]) {
          if (d.is_object()) input.push_back(d);
        }
        ++runs;
        reel::bson::arena memory;
        const reel::manual_clock clock(*reel::parse_iso8601("2024-01-01T00:00:00Z"));
        reel::json::eval_context ctx;
        ctx.clock = &clock;
        const run old_way = nlohmann_group(def, input, ctx, memory);
        const std::vector<reel::bson::value> docs = values_of(input, memory);
        const run value_way = value_group(*vdef, docs, ctx, memory);
        INFO("nlohmann: " << show(old_way.out) << "\nvalue:    " << show(value_way.out));
        CHECK(old_way.errors == value_way.errors);
        errors += old_way.errors.size();
        const bool loose = holds_long_or_decimal(input) || holds_long_or_decimal(g.spec);
        CHECK(same_outputs(old_way.out, value_way.out, loose));
        ++(loose ? by_value : typed);
        // Partial states merged give what one state gives, split anywhere (`$stdDev*` within
        // rounding: Chan's combination of two Welford states is not bit-exact).
        if (value_way.errors.empty()) {
          for (std::size_t k = 0; k <= docs.size(); ++k) {
            INFO("split at " << k);
            CHECK(
                same_outputs(split_and_merge(vdef, docs, k, memory), value_way.out, false, 1e-12));
            ++merges;
          }
        }
      }
    }
  }
  CHECK(groups > 100);
  CHECK(typed > 50);
  WARN("value $group differential: "
       << groups << " $group specifications (" << refused << " refused alike), " << runs
       << " runs (" << typed << " with equal types, " << by_value << " by value), " << errors
       << " equal document errors, " << merges << " split-and-merge runs");
}

namespace value_group_test {

/// Groups Extended JSON lines with `spec` on values; the outputs as canonical EJSON.
std::vector<std::string> group_text(const std::string& spec,
                                    const std::vector<std::string>& lines) {
  reel::bson::arena memory;
  const auto def = reel::json::compile_value_group(document::parse(spec), "/0/$group");
  std::vector<reel::bson::value> docs;
  for (const std::string& line : lines)
    docs.push_back(reel::bson::parse_ejson(line, memory));
  std::vector<std::string> out;
  for (const reel::bson::value& v : reel::json::group_values(*def, docs, {}, memory))
    out.push_back(show(v));
  return out;
}

}  // namespace value_group_test

TEST_CASE("$group on values keeps MongoDB's numeric types: issue 12's accumulator cases",
          "[json][group][value]") {
  using value_group_test::group_text;
  // $sum of decimals is decimal (the nlohmann path: 0.6000000000000001).
  CHECK(group_text(R"({"_id": null, "s": {"$sum": "$x"}})",
                   {R"({"x": {"$numberDecimal": "0.1"}})", R"({"x": {"$numberDecimal": "0.2"}})",
                    R"({"x": {"$numberDecimal": "0.3"}})"}) ==
        std::vector<std::string>{R"({"_id":null,"s":{"$numberDecimal":"0.6"}})"});
  // int32 → int64 → double on overflow.
  CHECK(group_text(R"({"_id": null, "s": {"$sum": "$x"}})",
                   {R"({"x": 2147483647})", R"({"x": 1})"}) ==
        std::vector<std::string>{R"({"_id":null,"s":{"$numberLong":"2147483648"}})"});
  CHECK(group_text(R"({"_id": null, "s": {"$sum": "$x"}})",
                   {R"({"x": {"$numberLong": "9223372036854775807"}})", R"({"x": 1})"}) ==
        std::vector<std::string>{R"({"_id":null,"s":{"$numberDouble":"9.223372036854776E+18"}})"});
  CHECK(group_text(R"({"_id": null, "s": {"$sum": "$x"}})", {R"({"x": 1})", R"({"x": 2})"}) ==
        std::vector<std::string>{R"({"_id":null,"s":{"$numberInt":"3"}})"});
  // $avg: a double, a decimal when one was seen, null over no numbers.
  CHECK(group_text(R"({"_id": null, "a": {"$avg": "$x"}, "b": {"$avg": "$none"}})",
                   {R"({"x": 1})", R"({"x": {"$numberDecimal": "2"}})"}) ==
        std::vector<std::string>{R"({"_id":null,"a":{"$numberDecimal":"1.5"},"b":null})"});
  // 1, 1.0, NumberLong(1) and NumberDecimal("1.0") are one key (the first one seen is kept);
  // $addToSet keeps one of 1 and 1.0.
  CHECK(group_text(R"({"_id": "$k", "n": {"$count": {}}, "s": {"$addToSet": "$k"}})",
                   {R"({"k": 1})", R"({"k": 1.0})", R"({"k": {"$numberLong": "1"}})",
                    R"({"k": {"$numberDecimal": "1.0"}})", R"({"k": 2})"}) ==
        std::vector<std::string>{
            R"({"_id":{"$numberInt":"1"},"n":{"$numberInt":"4"},"s":[{"$numberInt":"1"}]})",
            R"({"_id":{"$numberInt":"2"},"n":{"$numberInt":"1"},"s":[{"$numberInt":"2"}]})"});
  // $max/$min keep the value's type; null and missing are ignored.
  CHECK(group_text(R"({"_id": null, "hi": {"$max": "$x"}, "lo": {"$min": "$x"}})",
                   {R"({"x": {"$numberLong": "5"}})", R"({"x": null})", R"({})",
                    R"({"x": {"$numberDecimal": "2.50"}})"}) ==
        std::vector<std::string>{
            R"({"_id":null,"hi":{"$numberLong":"5"},"lo":{"$numberDecimal":"2.50"}})"});
}

TEST_CASE("$topN on values computes n from the group key, as the manual's example does",
          "[json][group][value]") {
  using reel::json::document;
  using value_group_test::group_text;
  // https://www.mongodb.com/docs/manual/reference/operator/aggregation/topN/ ("Computed n Using
  // the _id of a $group").
  const std::string spec = R"({"_id": {"gameId": "$gameId"}, "gamescores": {"$topN": {
      "output": "$score", "n": {"$cond": {"if": {"$eq": ["$gameId", "G2"]}, "then": 1, "else": 3}},
      "sortBy": {"score": -1}}}})";
  const std::vector<std::string> input = {
      R"({"playerId": "PlayerA", "gameId": "G1", "score": 31})",
      R"({"playerId": "PlayerB", "gameId": "G1", "score": 33})",
      R"({"playerId": "PlayerC", "gameId": "G1", "score": 99})",
      R"({"playerId": "PlayerD", "gameId": "G1", "score": 1})",
      R"({"playerId": "PlayerA", "gameId": "G2", "score": 10})",
      R"({"playerId": "PlayerB", "gameId": "G2", "score": 14})",
      R"({"playerId": "PlayerC", "gameId": "G2", "score": 66})",
      R"({"playerId": "PlayerD", "gameId": "G2", "score": 80})"};
  CHECK(group_text(spec, input) ==
        std::vector<std::string>{
            R"({"_id":{"gameId":"G1"},"gamescores":[{"$numberInt":"99"},{"$numberInt":"33"},)"
            R"({"$numberInt":"31"}]})",
            R"({"_id":{"gameId":"G2"},"gamescores":[{"$numberInt":"80"}]})"});
  // The stream processor's nlohmann $group still refuses it, at definition time.
  try {
    (void)reel::json::compile_group(document::parse(spec), "/0/$group");
    FAIL("expected reel.pipeline.unsupported_operator");
  } catch (const reel::error& e) {
    CHECK(std::string(e.what()) ==
          "[reel.pipeline.unsupported_operator] at /0/$group/gamescores/$topN/n: $topN with 'n' "
          "computed from the group key is not supported by the stream processor yet: give 'n' "
          "as a positive integer");
  }
  // An `n` that is not a positive integer fails the group's first document, as the server.
  CHECK_THROWS_WITH(
      group_text(R"({"_id": "$k", "t": {"$firstN": {"input": "$x", "n": {"$literal": 0}}}})", {}),
      Catch::Contains("requires 'n' to be a positive integer"));
  reel::bson::arena memory;
  const auto def = reel::json::compile_value_group(
      document::parse(R"({"_id": "$k", "t": {"$firstN": {"input": "$x", "n": "$_id"}}})"), "/g");
  std::vector<reel::bson::value> docs = {reel::bson::parse_ejson(R"({"k": 2, "x": 1})", memory),
                                         reel::bson::parse_ejson(R"({"k": -1, "x": 1})", memory),
                                         reel::bson::parse_ejson(R"({"k": 2, "x": 3})", memory),
                                         reel::bson::parse_ejson(R"({"k": 2, "x": 4})", memory)};
  // `_id` is not a document: `n` is evaluated against an empty one, "$_id" is missing.
  std::vector<std::string> errors;
  (void)reel::json::group_values(
      *def, docs, {}, memory,
      [&](const reel::bson::value&, const reel::error& e) { errors.push_back(e.what()); });
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] ==
        "[reel.expression.evaluation_failed] $firstN: Value for 'n' must be of integral type, "
        "but found missing");
}

TEST_CASE("$group on values checkpoints in the nlohmann $group's format",
          "[json][group][value][checkpoint]") {
  using namespace value_group_test;
  const document spec = document::parse(R"({"_id": "$k",
      "sum": {"$sum": "$x"}, "avg": {"$avg": "$x"}, "n": {"$count": {}},
      "lo": {"$min": "$x"}, "hi": {"$max": "$x"}, "first": {"$first": "$x"},
      "last": {"$last": "$x"}, "all": {"$push": "$x"}, "set": {"$addToSet": "$x"},
      "obj": {"$mergeObjects": "$o"}, "sd": {"$stdDevPop": "$x"}, "sds": {"$stdDevSamp": "$x"},
      "med": {"$median": {"input": "$x", "method": "approximate"}},
      "pct": {"$percentile": {"input": "$x", "p": [0.1, 0.9], "method": "approximate"}},
      "top": {"$top": {"output": "$x", "sortBy": {"x": -1}}},
      "bottom": {"$bottom": {"output": "$x", "sortBy": {"x": -1}}},
      "top2": {"$topN": {"output": ["$x", "$k"], "n": 2, "sortBy": {"x": 1}}},
      "bottom2": {"$bottomN": {"output": "$x", "n": 2, "sortBy": {"x": 1}}},
      "f2": {"$firstN": {"input": "$x", "n": 2}}, "l2": {"$lastN": {"input": "$x", "n": 2}},
      "max2": {"$maxN": {"input": "$x", "n": 2}}, "min2": {"$minN": {"input": "$x", "n": 2}}})");
  const std::vector<std::string> lines = {
      R"({"k": "a", "x": 3, "o": {"p": 1}})", R"({"k": "b", "x": 1.5})",
      R"({"k": "a", "x": 7, "o": {"q": 2}})", R"({"k": "a", "o": {"p": 3}})",
      R"({"k": "b", "x": -2, "o": null})",    R"({"k": "a", "x": 5})",
      R"({"k": "b", "x": "text"})",           R"({"k": "a", "x": 3})"};
  reel::bson::arena memory;
  std::vector<reel::bson::value> docs;
  for (const std::string& line : lines)
    docs.push_back(reel::bson::parse_ejson(line, memory));
  const auto vdef = reel::json::compile_value_group(spec, "/g");
  auto ctx = std::make_shared<const reel::json::eval_context>();

  // Value states → checkpoint → value states: the same results.
  reel::json::value_group_table table(vdef, ctx);
  for (std::size_t i = 0; i < docs.size(); ++i)
    table.add(docs[i], i);
  const std::vector<reel::bson::value> expected = table.results(memory);
  reel::json::value_group_table restored(vdef, ctx);
  restored.load(table.save());
  CHECK(same_outputs(restored.results(memory), expected, false));
  CHECK(restored.aggregation().held_bytes() == table.aggregation().held_bytes());

  // A state the nlohmann $group saved loads into the value form, with the same results.
  reel::json::group_aggregation old_agg(vdef->group, ctx);
  std::vector<document> old_docs;
  for (const std::string& line : lines)
    old_docs.push_back(reel::bson::to_nlohmann(reel::bson::parse_ejson(line, memory)));
  reel::json::group_state a = old_agg.make_state(), b = old_agg.make_state();
  for (std::size_t i = 0; i < old_docs.size(); ++i) {
    if (old_docs[i]["k"] == "a") old_agg.add(a, old_docs[i], i);
  }
  for (std::size_t i = 0; i < old_docs.size(); ++i) {
    if (old_docs[i]["k"] == "b") old_agg.add(b, old_docs[i], i);
  }
  nlohmann::json saved = nlohmann::json::array();
  saved.push_back({old_agg.save_key("a"), old_agg.save_state(a)});
  saved.push_back({old_agg.save_key("b"), old_agg.save_state(b)});
  reel::json::value_group_table from_old(vdef, ctx);
  from_old.load(saved);
  // By value: the nlohmann path's doubles sum without compensation and its $count is a number.
  CHECK(same_outputs(from_old.results(memory), expected, true));
  // And the other way: what the value path saves, the nlohmann $group loads.
  const nlohmann::json value_saved = table.save();
  for (const nlohmann::json& entry : value_saved) {
    const document key = old_agg.load_key(entry[0]);
    const reel::json::group_state s = old_agg.load_state(entry[1]);
    const reel::bson::value old_result = reel::bson::from_nlohmann(old_agg.result(key, s), memory);
    const auto it = std::find_if(expected.begin(), expected.end(), [&](const auto& v) {
      return reel::bson::compare(v["_id"], reel::bson::from_nlohmann(key, memory)) == 0;
    });
    REQUIRE(it != expected.end());
    INFO(show(old_result) << "\n" << show(*it));
    CHECK(reel::bson::compare(old_result, *it) == 0);
  }
}

TEST_CASE("$group on values adds scalars without allocating and charges lists as they grow",
          "[json][group][value]") {
  using namespace value_group_test;
  reel::bson::arena memory;
  const auto def = reel::json::compile_value_group(
      document::parse(R"({"_id": "$movie", "total": {"$sum": "$amountPaid"},
                          "n": {"$count": {}}, "top": {"$max": "$amountPaid"},
                          "avg": {"$avg": "$amountPaid"}, "first": {"$first": "$amountPaid"},
                          "last": {"$last": "$amountPaid"}})"),
      "/g");
  reel::json::value_group_table table(def, std::make_shared<const reel::json::eval_context>());
  const reel::bson::value a =
      reel::bson::parse_ejson(R"({"movie": "m1", "amountPaid": 6.5})", memory);
  const reel::bson::value b =
      reel::bson::parse_ejson(R"({"movie": "m2", "amountPaid": 7})", memory);
  table.add(a, 0);
  table.add(b, 1);
  const std::size_t held = table.aggregation().held_bytes();
  CHECK(held > 0);
  for (std::uint64_t i = 2; i < 1000; ++i)
    table.add(i % 2 ? b : a, i);
  // Bounded accumulators: an existing group costs nothing more.
  CHECK(table.aggregation().held_bytes() == held);
  CHECK(table.aggregation().bounded());
  const auto out = table.results(memory);
  REQUIRE(out.size() == 2);
  CHECK(show(out[0]) ==
        R"({"_id":"m1","total":{"$numberDouble":"3250.0"},"n":{"$numberInt":"500"},)"
        R"("top":{"$numberDouble":"6.5"},"avg":{"$numberDouble":"6.5"},)"
        R"("first":{"$numberDouble":"6.5"},"last":{"$numberDouble":"6.5"}})");

  // $push charges each element it keeps.
  const auto push = reel::json::compile_value_group(
      document::parse(R"({"_id": null, "all": {"$push": "$movie"}})"), "/g");
  reel::json::value_group_table pushed(push, std::make_shared<const reel::json::eval_context>());
  pushed.add(a, 0);
  const std::size_t one = pushed.aggregation().held_bytes();
  pushed.add(b, 1);
  CHECK(pushed.aggregation().held_bytes() - one ==
        sizeof(reel::json::kept_value) + reel::bson::owned_value::footprint_of(b["movie"]));
  CHECK_FALSE(pushed.aggregation().bounded());
}

#endif  // REEL_JSON_VALUE_EVAL

#if defined(REEL_JSON_VALUE_EVAL)

TEST_CASE("$group on values gives the MongoDB manual's results for every accumulator",
          "[json][group][value][manual]") {
  using namespace value_group_test;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(REEL_TEST_DATA_DIR) / "accumulators")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::set<std::string> covered;
  std::size_t examples = 0;
  for (const fs::path& file : files) {
    const document cases = load(file).at("cases");
    for (const document& c : cases) {
      INFO(file.filename().string()
           << " | " << c.at("accumulator").get<std::string>() << ": "
           << c.at("name").get<std::string>() << " (" << c.at("source").get<std::string>() << ")");
      covered.insert(c["accumulator"].get<std::string>());
      reel::bson::arena memory;
      const auto def = reel::json::compile_value_group(as_mongosh(c.at("group")), "/0/$group");
      std::vector<reel::bson::value> docs;
      for (const document& d : c.at("documents"))
        docs.push_back(reel::bson::from_nlohmann(as_mongosh(d), memory));
      const std::vector<reel::bson::value> got = reel::json::group_values(*def, docs, {}, memory);
      std::vector<reel::bson::value> want;
      for (const document& d : c.at("results"))
        want.push_back(reel::bson::from_nlohmann(as_mongosh(d), memory));
      INFO("expected " << show(want) << "\ngot      " << show(got));
      // The pages print doubles with 15 significant digits.
      CHECK(same_outputs(got, want, false, 1e-13));
      ++examples;
    }
  }
  // Every accumulator of the registry has at least one example.
  for (const std::string& name : reel::json::accumulator_registry::global().names()) {
    INFO(name);
    CHECK(covered.count(name) == 1);
  }
  CHECK(examples >= 40);
}

#endif  // REEL_JSON_VALUE_EVAL
