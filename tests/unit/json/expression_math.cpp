// SPDX-License-Identifier: Apache-2.0
// Trigonometry, bitwise, statistics and random expression operators.
#include <cmath>
#include <numbers>
#include <set>

#include "helpers.hpp"

using namespace reel::json;
using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;
using reel_test::J;

namespace {

/// The result of `spec` on `doc`, which must be a double.
double num(const std::string& spec, const std::string& doc = "{}") {
  const document r = compile_expression(J(spec)).evaluate(J(doc));
  REQUIRE(r.is_number_float());
  return r.get<double>();
}

}  // namespace

TEST_CASE("$sin, $cos, $tan and their inverses", "[json][expression][trig]") {
  const double pi = std::numbers::pi;
  CHECK(ev(R"({"$sin": 0})") == "0.0");
  CHECK(ev(R"({"$cos": 0})") == "1.0");
  CHECK(num(R"({"$sin": "$a"})", R"({"a": 1.5707963267948966})") == 1.0);
  CHECK(num(R"({"$cos": {"$numberLong": "1"}})") == Approx(std::cos(1.0)));
  CHECK(num(R"({"$tan": 1})") == Approx(std::tan(1.0)));
  CHECK(num(R"({"$asin": 1})") == Approx(pi / 2));
  CHECK(num(R"({"$acos": -1})") == Approx(pi));
  CHECK(num(R"({"$atan": 1})") == Approx(pi / 4));
  CHECK(num(R"({"$atan": {"$numberDouble": "Infinity"}})") == Approx(pi / 2));
  CHECK(num(R"({"$atan2": [1, 0]})") == Approx(pi / 2));
  CHECK(num(R"({"$atan2": [-1, -1]})") == Approx(-3 * pi / 4));
  // null and missing give null; NaN gives NaN.
  CHECK(ev(R"({"$sin": null})") == "null");
  CHECK(ev(R"({"$acos": "$missing"})") == "null");
  CHECK(ev(R"({"$atan2": [1, null]})") == "null");
  CHECK(std::isnan(num(R"({"$cos": {"$numberDouble": "NaN"}})")));
  CHECK(std::isnan(num(R"({"$asin": {"$numberDouble": "NaN"}})")));
  // Outside the domain.
  CHECK(eval_error(R"({"$sin": {"$numberDouble": "Infinity"}})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $sin to inf, value must be in "
        "(-inf,inf)");
  CHECK(eval_error(R"({"$tan": "$a"})", R"({"a": {"$numberDouble": "-Infinity"}})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $tan to -inf, value must be in "
        "(-inf,inf)");
  CHECK(eval_error(R"({"$acos": 2})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $acos to 2, value must be in "
        "[-1,1]");
  CHECK(eval_error(R"({"$asin": -1.5})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $asin to -1.5, value must be in "
        "[-1,1]");
  CHECK(eval_error(R"({"$sin": "a"})") ==
        "[reel.expression.evaluation_failed] at /x: $sin only supports numeric types, not string");
  CHECK(eval_error(R"({"$atan2": ["a", 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $atan2 only supports numeric types, not string "
        "and int");
  CHECK(compile_error(R"({"$atan2": [1]})") ==
        "[reel.expression.bad_arguments] at /x: $atan2 takes exactly 2 arguments, 1 was given");
  CHECK(compile_error(R"({"$cos": [1, 2]})") ==
        "[reel.expression.bad_arguments] at /x: $cos takes exactly 1 argument, 2 were given");
}

TEST_CASE("hyperbolic functions and angle conversion", "[json][expression][trig]") {
  CHECK(num(R"({"$sinh": 1})") == Approx(std::sinh(1.0)));
  CHECK(num(R"({"$cosh": 1})") == Approx(std::cosh(1.0)));
  CHECK(num(R"({"$tanh": 1})") == Approx(std::tanh(1.0)));
  CHECK(num(R"({"$asinh": 1})") == Approx(std::asinh(1.0)));
  CHECK(num(R"({"$acosh": 1})") == 0.0);
  CHECK(num(R"({"$atanh": 0.5})") == Approx(std::atanh(0.5)));
  CHECK(std::isinf(num(R"({"$atanh": 1})")));
  CHECK(num(R"({"$atanh": -1})") < 0);
  CHECK(std::isinf(num(R"({"$acosh": {"$numberDouble": "Infinity"}})")));
  CHECK(std::isinf(num(R"({"$cosh": {"$numberDouble": "-Infinity"}})")));
  CHECK(eval_error(R"({"$acosh": 0.5})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $acosh to 0.5, value must be in "
        "[1,inf]");
  CHECK(eval_error(R"({"$atanh": 2})") ==
        "[reel.expression.evaluation_failed] at /x: cannot apply $atanh to 2, value must be in "
        "[-1,1]");
  CHECK(ev(R"({"$tanh": null})") == "null");
  CHECK(num(R"({"$degreesToRadians": 180})") == Approx(std::numbers::pi));
  CHECK(num(R"({"$radiansToDegrees": "$r"})", R"({"r": 3.141592653589793})") == Approx(180.0));
  CHECK(num(R"({"$sin": {"$degreesToRadians": 90}})") == 1.0);
  CHECK(ev(R"({"$degreesToRadians": "$missing"})") == "null");
  CHECK(std::isinf(num(R"({"$radiansToDegrees": {"$numberDouble": "Infinity"}})")));
  CHECK(eval_error(R"({"$radiansToDegrees": true})") ==
        "[reel.expression.evaluation_failed] at /x: $radiansToDegrees only supports numeric "
        "types, not bool");
}

TEST_CASE("$bitAnd, $bitOr, $bitXor, $bitNot", "[json][expression][bitwise]") {
  CHECK(ev(R"({"$bitAnd": [12, 10]})") == "8");
  CHECK(ev(R"({"$bitOr": [12, 10]})") == "14");
  CHECK(ev(R"({"$bitXor": [12, 10]})") == "6");
  CHECK(ev(R"({"$bitAnd": [7, 6, 3]})") == "2");
  CHECK(ev(R"({"$bitOr": ["$a", {"$numberLong": "63"}]})", R"({"a": 64})") == "127");
  CHECK(ev(R"({"$bitAnd": [{"$numberLong": "12884901888"}, -1]})") == "12884901888");
  CHECK(ev(R"({"$bitNot": 5})") == "-6");
  CHECK(ev(R"({"$bitNot": [{"$numberLong": "-1"}]})") == "0");
  CHECK(ev(R"({"$bitAnd": 5})") == "5");
  // Empty: the identity of the operation.
  CHECK(ev(R"({"$bitAnd": []})") == "-1");
  CHECK(ev(R"({"$bitOr": []})") == "0");
  CHECK(ev(R"({"$bitXor": []})") == "0");
  CHECK(ev(R"({"$bitAnd": [1, null]})") == "null");
  CHECK(ev(R"({"$bitOr": ["$missing", 1]})") == "null");
  CHECK(ev(R"({"$bitNot": "$missing"})") == "null");
  CHECK(eval_error(R"({"$bitAnd": [1, 1.0]})") ==
        "[reel.expression.evaluation_failed] at /x: $bitAnd only supports int and long operands, "
        "not double");
  CHECK(eval_error(R"({"$bitXor": [1, "a"]})") ==
        "[reel.expression.evaluation_failed] at /x: $bitXor only supports int and long operands, "
        "not string");
  CHECK(eval_error(R"({"$bitNot": 2.5})") ==
        "[reel.expression.evaluation_failed] at /x: $bitNot only supports int and long operands, "
        "not double");
  CHECK(compile_error(R"({"$bitNot": [1, 2]})") ==
        "[reel.expression.bad_arguments] at /x: $bitNot takes exactly 1 argument, 2 were given");
}

TEST_CASE("$stdDevPop, $stdDevSamp, $median, $percentile as expressions",
          "[json][expression][statistics]") {
  // The same values as the accumulator tests of tests/data/pipelines/accumulators.json.
  const char* doc = R"({"v": [3, 1, 3, 5], "a": 3, "b": 1, "c": "x"})";
  CHECK(ev(R"({"$stdDevPop": "$v"})", doc) == "1.4142135623730951");
  CHECK(ev(R"({"$stdDevSamp": "$v"})", doc) == "1.632993161855452");
  CHECK(ev(R"({"$stdDevPop": ["$a", "$b", "$c", "$missing"]})", doc) == "1.0");
  CHECK(ev(R"({"$stdDevPop": 5})") == "0.0");
  CHECK(ev(R"({"$stdDevSamp": [5]})") == "null");
  CHECK(ev(R"({"$stdDevPop": []})") == "null");
  CHECK(ev(R"({"$stdDevPop": "$missing"})") == "null");
  CHECK(ev(R"({"$stdDevSamp": [["a", null, true]]})") == "null");

  CHECK(ev(R"({"$median": {"input": "$v", "method": "approximate"}})", doc) == "3.0");
  CHECK(ev(R"({"$percentile": {"input": "$v", "p": [0.25, 0.75], "method": "approximate"}})",
           doc) == "[1.0,3.0]");
  CHECK(ev(R"({"$percentile": {"input": "$v", "p": [0, 1], "method": "discrete"}})", doc) ==
        "[1.0,5.0]");
  CHECK(ev(R"({"$median": {"input": ["$a", "$b", "$c", "$missing"], "method": "approximate"}})",
           doc) == "1.0");
  CHECK(ev(R"({"$median": {"input": 7, "method": "approximate"}})") == "7.0");
  CHECK(ev(R"({"$median": {"input": "$c", "method": "approximate"}})", doc) == "null");
  CHECK(ev(R"({"$median": {"input": [], "method": "approximate"}})") == "null");
  CHECK(ev(R"({"$percentile": {"input": "$missing", "p": [0.5, 0.9], "method": "approximate"}})") ==
        "[null,null]");
  CHECK(compile_error(R"({"$median": {"input": [1], "method": "exact"}})") ==
        "[reel.expression.bad_arguments] at /x/$median/method: $median requires 'method' to be "
        "'approximate', 'discrete' or 'continuous'");
  CHECK(compile_error(R"({"$median": {"input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x: $median requires an argument named 'method'");
  CHECK(compile_error(R"({"$median": {"input": [1], "p": [0.5], "method": "approximate"}})") ==
        "[reel.expression.bad_arguments] at /x: $median does not take an argument named 'p'");
  CHECK(compile_error(R"({"$percentile": {"input": [1], "p": [1.5], "method": "approximate"}})") ==
        "[reel.expression.bad_arguments] at /x/$percentile/p: $percentile requires 'p' values to "
        "be numbers between 0 and 1, found 1.5");
  CHECK(compile_error(R"({"$percentile": {"input": [1], "p": "$p", "method": "approximate"}})") ==
        "[reel.expression.bad_arguments] at /x/$percentile/p: $percentile requires 'p' to be a "
        "constant, non-empty array of numbers between 0 and 1");
  CHECK(compile_error(R"({"$percentile": {"input": [1], "p": [], "method": "approximate"}})") ==
        "[reel.expression.bad_arguments] at /x/$percentile/p: $percentile requires 'p' to be a "
        "constant, non-empty array of numbers between 0 and 1");
  CHECK(compile_error(R"({"$percentile": {"input": [1], "method": "approximate"}})") ==
        "[reel.expression.bad_arguments] at /x: $percentile requires an argument named 'p'");
}

TEST_CASE("$rand", "[json][expression][random]") {
  const expression e = compile_expression(J(R"({"$rand": {}})"));
  CHECK_FALSE(e.is_constant());
  CHECK_FALSE(compile_expression(J(R"({"$multiply": [{"$rand": {}}, 10]})")).is_constant());
  std::set<double> seen;
  for (int i = 0; i < 1000; ++i) {
    const document r = e.evaluate(document::object());
    REQUIRE(r.is_number_float());
    const double d = r.get<double>();
    CHECK(d >= 0.0);
    CHECK(d < 1.0);
    seen.insert(d);
  }
  CHECK(seen.size() > 990);  // distinct values, not a constant
  double sum = 0;
  for (const double d : seen)
    sum += d;
  CHECK(sum / static_cast<double>(seen.size()) == Approx(0.5).margin(0.1));
  CHECK(ev(R"({"$type": {"$rand": []}})") == R"("double")");
  CHECK(compile_error(R"({"$rand": {"seed": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $rand does not accept arguments; use $rand: {}");
  CHECK(compile_error(R"({"$rand": 1})") ==
        "[reel.expression.bad_arguments] at /x: $rand does not accept arguments; use $rand: {}");
}

TEST_CASE("$createUUID", "[json][expression][random]") {
  const expression e = compile_expression(J(R"({"$createUUID": {}})"));
  CHECK_FALSE(e.is_constant());
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const document u = e.evaluate(document::object());
    REQUIRE(type_of(u) == bson_type::bin_data);
    CHECK(u["$binary"]["subType"] == "04");
    const std::string b64 = u["$binary"]["base64"].get<std::string>();
    CHECK(b64.size() == 24);
    const auto bytes = detail::base64_decode(b64);
    REQUIRE(bytes);
    REQUIRE(bytes->size() == 16);
    CHECK(((*bytes)[6] >> 4) == 4);       // version 4
    CHECK(((*bytes)[8] & 0xC0) == 0x80);  // RFC 4122 variant
    seen.insert(b64);
  }
  CHECK(seen.size() == 100);
  CHECK(ev(R"({"$type": {"$createUUID": {}}})") == R"("binData")");
  CHECK(compile_error(R"({"$createUUID": {"foo": "bar"}})") ==
        "[reel.expression.bad_arguments] at /x: $createUUID does not accept arguments; use "
        "$createUUID: {}");
}

TEST_CASE("operators Reel still does not implement", "[json][expression][errors]") {
  for (const char* op : {"$toUUID", "$bsonSize", "$tsSecond", "$function", "$accumulator"}) {
    CHECK(compile_error(std::string(R"({")") + op + R"(": 1})") ==
          std::string("[reel.expression.unsupported_operator] at /x: expression operator '") + op +
              "' is not supported by Reel");
  }
}

TEST_CASE("every MongoDB and Atlas operator is implemented or said to be unsupported",
          "[json][expression][errors]") {
  for (std::string_view op : reel::json::mongodb_expression_operators()) {
    const std::string error = compile_error(std::string(R"({")") + std::string(op) + R"(": 1})");
    INFO(op << ": " << error);
    CHECK(error.find("unknown_operator") == std::string::npos);
  }
  CHECK(compile_error(R"({"$sinn": 1})") ==
        "[reel.expression.unknown_operator] at /x: unknown expression operator '$sinn' (did you "
        "mean '$sin'?)");
}
