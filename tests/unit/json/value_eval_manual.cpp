// SPDX-License-Identifier: Apache-2.0
// The value-model evaluation (`expression::evaluate_value`) on the MongoDB manual's worked
// examples of the operators moved to it (tests/data/expressions/, one case per example with the
// page it comes from), with the manual's numeric types, and on the wrong results issue #12 lists.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/expression.hpp"
#include "reel/time.hpp"
#include "unit/json/value_helpers.hpp"

namespace value_eval_manual {

using reel::json::document;

using value_test::as_mongosh;
using value_test::same_typed;
using value_test::show;

/// The value of `spec` on `doc` (Extended JSON text, read as a stream input is), or the error.
std::string eval_text(const std::string& spec, const std::string& doc = "{}") {
  reel::bson::arena memory;
  try {
    const reel::json::expression e = reel::json::compile_expression(document::parse(spec), "/x");
    const reel::bson::value root = reel::bson::parse_ejson(doc, memory);
    return show(e.evaluate_value(root, {}, memory));
  } catch (const reel::error& err) {
    return err.what();
  }
}

}  // namespace value_eval_manual

using reel::json::document;  // the tests below (they built only beside a unity batchmate that said
                             // so)

TEST_CASE("value evaluation gives the MongoDB manual's results for the operators moved to it",
          "[json][expression][value][manual]") {
  using namespace value_eval_manual;
  std::size_t examples = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(REEL_TEST_DATA_DIR) + "/expressions")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 2);
  for (const auto& path : files) {
    INFO(path.filename().string());
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const document file = document::parse(text.str());
    for (const document& c : file.at("cases")) {
      const std::string label = c.at("operator").get<std::string>() + ": " +
                                c.at("name").get<std::string>() + " (" +
                                c.at("source").get<std::string>() + ")";
      INFO(label);
      const reel::json::expression e =
          reel::json::compile_expression(as_mongosh(c.at("expression")), "/x");
      const document documents = c.contains("documents") ? c["documents"] : document::array({{}});
      const document results =
          c.contains("results") ? c["results"] : document::array({c["result"]});
      REQUIRE(documents.size() == results.size());
      for (std::size_t i = 0; i < documents.size(); ++i) {
        reel::bson::arena memory;
        const reel::bson::value root = reel::bson::from_nlohmann(
            as_mongosh(documents[i].is_null() ? document::object() : documents[i]), memory);
        const document& expected = results[i];
        INFO("document " << documents[i].dump());
        ++examples;
        if (expected.is_object() && expected.contains("$error")) {
          try {
            const reel::bson::value got = e.evaluate_value(root, {}, memory);
            FAIL("expected an error, got " << show(got));
          } catch (const reel::error& err) {
            CHECK(err.id() == "reel.expression.evaluation_failed");
            CHECK_THAT(err.what(), Catch::Contains(expected["$error"].get<std::string>()));
          }
          continue;
        }
        const reel::bson::value want = reel::bson::from_nlohmann(as_mongosh(expected), memory);
        const reel::bson::value got = e.evaluate_value(root, {}, memory);
        INFO("expected " << show(want) << ", got " << show(got));
        CHECK(same_typed(want, got));
      }
    }
  }
  CHECK(examples > 600);
}

TEST_CASE("value evaluation fixes the wrong results listed in issue 12",
          "[json][expression][value]") {
  using value_eval_manual::eval_text;
  // The server rounds doubles through a 34-digit decimal.
  CHECK(eval_text(R"({"$round": [2.45, 1]})") == R"({"$numberDouble":"2.5"})");
  CHECK(reel::json::compile_expression(document::parse(R"({"$round": [2.45, 1]})"))
            .evaluate(document::object()) == 2.4);  // the nlohmann path, unchanged for now
  // Decimal arithmetic is decimal.
  CHECK(eval_text(R"({"$sum": "$xs"})",
                  R"({"xs": [{"$numberDecimal": "0.1"}, {"$numberDecimal": "0.2"},
                             {"$numberDecimal": "0.3"}]})") == R"({"$numberDecimal":"0.6"})");
  CHECK(eval_text(R"({"$add": ["$a", "$b", "$c"]})",
                  R"({"a": {"$numberDecimal": "0.1"}, "b": {"$numberDecimal": "0.2"},
                      "c": {"$numberDecimal": "0.3"}})") == R"({"$numberDecimal":"0.6"})");
  CHECK(eval_text(R"({"$add": [0.1, {"$numberDecimal": "0.2"}]})") ==
        R"({"$numberDecimal":"0.300000000000000"})");
  CHECK(eval_text(R"({"$toDecimal": "1.50"})") == R"({"$numberDecimal":"1.50"})");
  CHECK(eval_text(R"({"$convert": {"input": "1.50", "to": "decimal"}})") ==
        R"({"$numberDecimal":"1.50"})");
  // The $convert page's date string with an offset after a space; $toDate refuses an int32.
  CHECK(eval_text(R"({"$convert": {"input": "2018-03-20 11:00:06 +0500", "to": "date"}})") ==
        R"({"$date":{"$numberLong":"1521525606000"}})");
  CHECK(eval_text(R"({"$toDate": {"$numberInt": "5"}})") ==
        "[reel.expression.evaluation_failed] at /x: $toDate: Unsupported conversion from int to "
        "date in $convert with no onError value");
  // int64 stays a long: in the input, in a literal, through arithmetic.
  CHECK(eval_text(R"({"$type": "$n"})", R"({"n": {"$numberLong": "42"}})") == R"("long")");
  CHECK(eval_text(R"({"$type": {"$numberLong": "42"}})") == R"("long")");
  CHECK(eval_text(R"({"$type": {"$literal": {"$numberLong": "42"}}})") == R"("long")");
  CHECK(eval_text(R"({"$add": ["$n", 1]})", R"({"n": {"$numberLong": "42"}})") ==
        R"({"$numberLong":"43"})");
  CHECK(eval_text(R"({"$multiply": ["$n", {"$numberLong": "2"}]})", R"({"n": 21})") ==
        R"({"$numberLong":"42"})");
}

TEST_CASE("value evaluation promotes on overflow and fails with the server's messages",
          "[json][expression][value]") {
  using value_eval_manual::eval_text;
  CHECK(eval_text(R"({"$add": ["$n", 1]})", R"({"n": 2147483647})") ==
        R"({"$numberLong":"2147483648"})");
  CHECK(eval_text(R"({"$add": ["$n", 1]})", R"({"n": {"$numberLong": "9223372036854775807"}})") ==
        R"({"$numberDouble":"9.223372036854776E+18"})");
  CHECK(eval_text(R"({"$abs": "$n"})", R"({"n": -2147483648})") ==
        R"({"$numberLong":"2147483648"})");
  CHECK(eval_text(R"({"$divide": [{"$numberDecimal": "1"}, 4]})") ==
        R"({"$numberDecimal":"0.25"})");
  CHECK(eval_text(R"({"$floor": {"$numberDecimal": "-2.5"}})") == R"({"$numberDecimal":"-3"})");
  CHECK(
      eval_text(
          R"({"$subtract": ["$a", "$b"]})",
          R"({"a": {"$date": "2024-01-01T00:00:01Z"}, "b": {"$date": "2024-01-01T00:00:00Z"}})") ==
      R"({"$numberLong":"1000"})");
  CHECK(eval_text(R"({"$add": ["$s", 1]})", R"({"s": "a"})") ==
        "[reel.expression.evaluation_failed] at /x: $add only supports numeric or date types, not "
        "string");
  CHECK(eval_text(R"({"$divide": ["$n", 0]})", R"({"n": 1})") ==
        "[reel.expression.evaluation_failed] at /x: can't $divide by zero");
  CHECK(eval_text(R"({"$mod": ["$n", {"$numberDecimal": "0"}]})", R"({"n": 1})") ==
        "[reel.expression.evaluation_failed] at /x: can't $mod by zero");
}

TEST_CASE("value evaluation binds variables natively and bridges the operators not moved yet",
          "[json][expression][value]") {
  using value_eval_manual::eval_text;
  // $let binds a long; $toString (bridged) sees it through the bridge's conversion.
  CHECK(eval_text(
            R"({"$let": {"vars": {"x": "$n"}, "in": {"$concat": [{"$toString": "$$x"}, "!"]}}})",
            R"({"n": {"$numberLong": "5"}})") == R"("5!")");
  CHECK(eval_text(R"({"$let": {"vars": {"x": "$n"}, "in": {"$type": "$$x"}}})",
                  R"({"n": {"$numberLong": "5"}})") == R"("long")");
  // $map binds $$this natively; its body uses native operators.
  CHECK(eval_text(R"({"$map": {"input": "$xs", "in": {"$multiply": ["$$this", 2]}}})",
                  R"({"xs": [1, 2.5]})") == R"([{"$numberInt":"2"},{"$numberDouble":"5.0"}])");
  // Field paths traverse arrays as aggregation does; variables too.
  CHECK(eval_text(R"("$a.b")", R"({"a": [{"b": 1}, {"c": 2}, {"b": [3]}]})") ==
        R"([{"$numberInt":"1"},[{"$numberInt":"3"}]])");
  CHECK(eval_text(R"({"$let": {"vars": {"v": "$a"}, "in": "$$v.b"}})",
                  R"({"a": [{"b": 1}, {"b": 2}]})") ==
        R"([{"$numberInt":"1"},{"$numberInt":"2"}])");
  CHECK(eval_text(R"({"x": "$$REMOVE", "y": ["$missing", "$$CURRENT.n"]})", R"({"n": 1})") ==
        R"({"y":[null,{"$numberInt":"1"}]})");
  // External variables come from the context's nlohmann object.
  reel::json::compile_options options;
  options.variables = {"limit"};
  const reel::json::expression e = reel::json::compile_expression(
      document::parse(R"({"$lt": ["$n", "$$limit"]})"), "/x", options);
  const document vars = document::parse(R"({"limit": 10})");
  reel::json::eval_context ctx;
  ctx.variables = &vars;
  reel::bson::arena memory;
  const reel::bson::value root = reel::bson::parse_ejson(R"({"n": 3})", memory);
  CHECK(e.evaluate_value(root, ctx, memory).as_bool());
}

TEST_CASE("value evaluation holds built strings to the 16 MiB limit as the nlohmann one does",
          "[json][expression][value]") {
  // 9 MiB twice is over 16 MiB: both evaluations fail with reel.expression.too_large.
  const std::string big(9u << 20, 'x');
  const document doc{{"s", big}};
  const reel::json::expression e =
      reel::json::compile_expression(document::parse(R"({"$concat": ["$s", "$s"]})"), "/x");
  std::string old_error;
  try {
    (void)e.evaluate(doc);
  } catch (const reel::error& err) {
    old_error = err.what();
  }
  reel::bson::arena memory;
  const reel::bson::value root = reel::bson::from_nlohmann(doc, memory);
  try {
    (void)e.evaluate_value(root, {}, memory);
    FAIL("expected reel.expression.too_large");
  } catch (const reel::error& err) {
    CHECK(err.id() == "reel.expression.too_large");
    CHECK(std::string(err.what()) == old_error);
  }
  // Under the limit it is one string of the two.
  const document half{{"s", std::string(4u << 20, 'y')}};
  CHECK(e.evaluate_value(reel::bson::from_nlohmann(half, memory), {}, memory).size() == 8u << 20);
}

TEST_CASE(
    "value evaluation holds built arrays to the size and depth limits as the nlohmann one does",
    "[json][expression][value]") {
  for (const char* spec :
       {R"({"$range": [0, 2000000000]})",
        R"({"$reduce": {"input": {"$range": [0, 250]}, "initialValue": [], "in": ["$$value"]}})",
        R"({"$map": {"input": {"$range": [0, 3]}, "in": {"$range": [0, 1000000]}}})",
        R"({"$concatArrays": [{"$range": [0, 1000000]}, {"$range": [0, 1000000]}]})",
        // $zip repeats its defaults: 17,000 rows of a 1,000-character string.
        R"({"$zip": {"inputs": [{"$range": [0, 17000]}, []], "useLongestLength": true,
                     "defaults": [0, {"$reduce": {"input": {"$range": [0, 100]}, "initialValue": "",
                                                  "in": {"$concat": ["$$value", "0123456789"]}}}]}})"}) {
    INFO(spec);
    const reel::json::expression e = reel::json::compile_expression(document::parse(spec), "/x");
    std::string old_id, old_error;
    try {
      (void)e.evaluate(document::object());
    } catch (const reel::error& err) {
      old_id = err.id();
      old_error = err.what();
    }
    REQUIRE(!old_id.empty());
    reel::bson::arena memory;
    const reel::bson::value root = reel::bson::value::document({});
    try {
      (void)e.evaluate_value(root, {}, memory);
      FAIL("expected " << old_id);
    } catch (const reel::error& err) {
      CHECK(err.id() == old_id);
      CHECK(std::string(err.what()) == old_error);
    }
  }
}

TEST_CASE("value evaluation reads $meta and $currentDate from the context without the bridge",
          "[json][expression][value]") {
  const document meta = document::parse(
      R"({"source": {"topic": "t", "partition": 3},
          "window": {"start": {"$date": "2024-01-01T00:00:00Z"}, "end": {"$date": "2024-01-01T00:01:00Z"}}})");
  const reel::manual_clock clock(*reel::parse_iso8601("2024-05-06T07:08:09.010Z"));
  reel::json::eval_context ctx;
  ctx.meta = &meta;
  ctx.clock = &clock;
  reel::bson::arena memory;
  const reel::bson::value root = reel::bson::parse_ejson(
      R"({"_stream_meta": {"source": {"topic": "own", "key": "k"}}, "n": 1})", memory);
  auto run = [&](const char* spec) {
    const reel::json::expression e = reel::json::compile_expression(document::parse(spec), "/x");
    reel::json::detail::bridged_calls().clear();
    const reel::bson::value v = e.evaluate_value(root, ctx, memory);
    CHECK(reel::json::detail::bridged_calls().empty());
    return value_eval_manual::show(v);
  };
  CHECK(run(R"({"$meta": "stream.source.partition"})") == R"({"$numberInt":"3"})");
  CHECK(run(R"({"$meta": "stream.window.start"})") ==
        R"({"$date":{"$numberLong":"1704067200000"}})");
  // A path the context lacks is read from the document's own _stream_meta.
  CHECK(run(R"({"$meta": "stream.source.key"})") == R"("k")");
  CHECK(run(R"({"$meta": "stream.source.nothing"})") == "missing");
  CHECK(run(R"({"$meta": "stream"})").find(R"("topic":"t")") != std::string::npos);
  CHECK(run(R"({"$currentDate": {}})") == R"({"$date":{"$numberLong":"1714979289010"}})");
  CHECK(run(R"({"$dateToString": {"date": {"$currentDate": {}}, "format": "%H:%M"}})") ==
        R"("07:08")");
}

TEST_CASE("value evaluation gives the server's types where the nlohmann path cannot",
          "[json][expression][value]") {
  using value_eval_manual::eval_text;
  // The server's dateDiff and isoYear are long longs.
  CHECK(
      eval_text(
          R"({"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "day"}})",
          R"({"a": {"$date": "2024-01-01T00:00:00Z"}, "b": {"$date": "2024-03-01T00:00:00Z"}})") ==
      R"({"$numberLong":"60"})");
  CHECK(eval_text(R"({"$isoWeekYear": "$a"})", R"({"a": {"$date": "2021-01-01T00:00:00Z"}})") ==
        R"({"$numberLong":"2020"})");
  CHECK(eval_text(R"({"$year": "$a"})", R"({"a": {"$date": "2021-01-01T00:00:00Z"}})") ==
        R"({"$numberInt":"2021"})");
  // %Z is the offset in minutes, signed only when negative (the manual's "270").
  CHECK(eval_text(R"({"$dateToString": {"date": "$a", "format": "%Z", "timezone": "+04:30"}})",
                  R"({"a": {"$date": "2021-01-01T00:00:00Z"}})") == R"("270")");
  // A date from an ObjectId's time and a Timestamp's seconds.
  CHECK(eval_text(R"({"$dateToString": {"date": "$o"}})",
                  R"({"o": {"$oid": "5ab9c3da31c2ab715d421285"}})") ==
        R"("2018-03-27T04:08:58.000Z")");
  CHECK(eval_text(R"({"$year": "$t"})", R"({"t": {"$timestamp": {"t": 1700000000, "i": 1}}})") ==
        R"({"$numberInt":"2023"})");
  // Errors are the nlohmann operators'.
  CHECK(eval_text(R"({"$month": "$s"})", R"({"s": "2021-01-01"})") ==
        "[reel.expression.evaluation_failed] at /x: $month: can't convert from BSON type string to "
        "Date");
  CHECK(
      eval_text(R"({"$dateAdd": {"startDate": "$a", "unit": "day", "amount": 1.5}})",
                R"({"a": {"$date": "2021-01-01T00:00:00Z"}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateAdd expects an integer 'amount', found 1.5");
}

#endif  // REEL_JSON_VALUE_EVAL
