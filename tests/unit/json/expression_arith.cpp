// SPDX-License-Identifier: Apache-2.0
// Arithmetic, comparison, boolean and conditional expression operators.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

TEST_CASE("$add", "[json][expression][arith]") {
  CHECK(ev(R"({"$add": [1, 2]})") == "3");
  CHECK(ev(R"({"$add": [1, 2.5]})") == "3.5");
  CHECK(ev(R"({"$add": [1.5, 1.5]})") == "3.0");
  CHECK(ev(R"({"$add": []})") == "0");
  CHECK(ev(R"({"$add": "$a"})", R"({"a": 4})") == "4");
  CHECK(ev(R"({"$add": ["$a", "$b", 10]})", R"({"a": 1, "b": 2})") == "13");
  CHECK(ev(R"({"$add": [2147483647, 1]})") == "2147483648");                      // int -> long
  CHECK(ev(R"({"$add": [9223372036854775807, 1]})") == "9.223372036854776e+18");  // long -> double
  CHECK(ev(R"({"$add": [{"$numberLong": "5"}, 1]})") == "6");
  CHECK(ev(R"({"$add": [1, null]})") == "null");
  CHECK(ev(R"({"$add": [1, "$missing"]})") == "null");
  CHECK(ev(R"({"$add": [{"$date": "2024-01-01T00:00:00Z"}, 1500]})") ==
        R"({"$date":"2024-01-01T00:00:01.500Z"})");
  CHECK(ev(R"({"$add": [60000, "$d", 0.4]})", R"({"d": {"$date": "2024-01-01T00:00:00Z"}})") ==
        R"({"$date":"2024-01-01T00:01:00.000Z"})");
  CHECK(eval_error(R"({"$add": [1, "a"]})") ==
        "[reel.expression.evaluation_failed] at /x: $add only supports numeric or date types, not "
        "string");
  CHECK(eval_error(R"({"$add": [{"$date": 0}, {"$date": 0}]})") ==
        "[reel.expression.evaluation_failed] at /x: only one date allowed in an $add expression");
}

TEST_CASE("$subtract", "[json][expression][arith]") {
  CHECK(ev(R"({"$subtract": [5, 3]})") == "2");
  CHECK(ev(R"({"$subtract": [5, 0.5]})") == "4.5");
  CHECK(ev(R"({"$subtract": [-2147483648, 1]})") == "-2147483649");
  CHECK(ev(R"({"$subtract": [-9223372036854775808, 1]})") == "-9.223372036854776e+18");
  CHECK(
      ev(R"({"$subtract": [{"$date": "2024-01-01T00:01:00Z"}, {"$date": "2024-01-01T00:00:00Z"}]})") ==
      "60000");
  CHECK(ev(R"({"$subtract": [{"$date": "2024-01-01T00:01:00Z"}, 1000]})") ==
        R"({"$date":"2024-01-01T00:00:59.000Z"})");
  CHECK(ev(R"({"$subtract": ["$x", 1]})") == "null");
  CHECK(ev(R"({"$subtract": [null, {"$date": 0}]})") == "null");
  CHECK(eval_error(R"({"$subtract": [1, {"$date": 0}]})") ==
        "[reel.expression.evaluation_failed] at /x: can't $subtract a date from int");
  CHECK(eval_error(R"({"$subtract": ["a", 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $subtract only supports numeric or date types, "
        "not string and int");
  CHECK(compile_error(R"({"$subtract": [1]})") ==
        "[reel.expression.bad_arguments] at /x: $subtract takes exactly 2 arguments, 1 was given");
}

TEST_CASE("$multiply, $divide, $mod", "[json][expression][arith]") {
  CHECK(ev(R"({"$multiply": [2, 3, 4]})") == "24");
  CHECK(ev(R"({"$multiply": [2, 1.5]})") == "3.0");
  CHECK(ev(R"({"$multiply": [65536, 65536]})") == "4294967296");
  CHECK(ev(R"({"$multiply": [4294967296, 4294967296]})") == "1.8446744073709552e+19");
  CHECK(ev(R"({"$multiply": [2, null]})") == "null");
  CHECK(ev(R"({"$divide": [10, 4]})") == "2.5");
  CHECK(ev(R"({"$divide": [10, 5]})") == "2.0");
  CHECK(ev(R"({"$divide": ["$m", 5]})") == "null");
  CHECK(eval_error(R"({"$divide": [1, 0]})") ==
        "[reel.expression.evaluation_failed] at /x: can't $divide by zero");
  CHECK(eval_error(R"({"$divide": [1, "2"]})") ==
        "[reel.expression.evaluation_failed] at /x: $divide only supports numeric types, not int "
        "and string");
  CHECK(ev(R"({"$mod": [10, 3]})") == "1");
  CHECK(ev(R"({"$mod": [-10, 3]})") == "-1");
  CHECK(ev(R"({"$mod": [10.5, 3]})") == "1.5");
  CHECK(ev(R"({"$mod": [10, null]})") == "null");
  CHECK(eval_error(R"({"$mod": [10, 0]})") ==
        "[reel.expression.evaluation_failed] at /x: can't $mod by zero");
  CHECK(
      eval_error(R"({"$multiply": [2, true]})") ==
      "[reel.expression.evaluation_failed] at /x: $multiply only supports numeric types, not bool");
}

TEST_CASE("$abs, $ceil, $floor, $round, $trunc", "[json][expression][arith]") {
  CHECK(ev(R"({"$abs": -5})") == "5");
  CHECK(ev(R"({"$abs": [-5.5]})") == "5.5");
  CHECK(ev(R"({"$abs": null})") == "null");
  CHECK(ev(R"({"$abs": "$nope"})") == "null");
  CHECK(eval_error(R"({"$abs": -9223372036854775808})") ==
        "[reel.expression.evaluation_failed] at /x: can't take $abs of long long min");
  CHECK(ev(R"({"$ceil": 1.2})") == "2.0");
  CHECK(ev(R"({"$ceil": -1.2})") == "-1.0");
  CHECK(ev(R"({"$ceil": 7})") == "7");
  CHECK(ev(R"({"$floor": 1.8})") == "1.0");
  CHECK(ev(R"({"$floor": -1.2})") == "-2.0");
  CHECK(ev(R"({"$floor": 7})") == "7");
  CHECK(ev(R"({"$round": 2.5})") == "2.0");  // half to even
  CHECK(ev(R"({"$round": 3.5})") == "4.0");
  CHECK(ev(R"({"$round": -2.5})") == "-2.0");
  CHECK(ev(R"({"$round": [1.2345, 2]})") == "1.23");
  CHECK(ev(R"({"$round": [1234.5678, -2]})") == "1200.0");
  CHECK(ev(R"({"$round": [1250, -2]})") == "1200");
  CHECK(ev(R"({"$round": [1350, -2]})") == "1400");
  CHECK(ev(R"({"$round": [-1351, -2]})") == "-1400");
  CHECK(ev(R"({"$round": [19, 1]})") == "19");
  CHECK(ev(R"({"$round": [null, 1]})") == "null");
  CHECK(ev(R"({"$trunc": 2.9})") == "2.0");
  CHECK(ev(R"({"$trunc": -2.9})") == "-2.0");
  CHECK(ev(R"({"$trunc": [1.2399, 2]})") == "1.23");
  CHECK(ev(R"({"$trunc": [1299, -2]})") == "1200");
  CHECK(ev(R"({"$trunc": [-1299, -2]})") == "-1200");
  CHECK(eval_error(R"({"$round": [1.5, 101]})") ==
        "[reel.expression.evaluation_failed] at /x: $round requires 'place' to be an integer "
        "between -20 and 100");
  CHECK(eval_error(R"({"$ceil": "1"})") ==
        "[reel.expression.evaluation_failed] at /x: $ceil only supports numeric types, not string");
}

TEST_CASE("$sqrt, $pow, $exp, $ln, $log, $log10", "[json][expression][arith]") {
  CHECK(ev(R"({"$sqrt": 16})") == "4.0");
  CHECK(ev(R"({"$sqrt": null})") == "null");
  CHECK(eval_error(R"({"$sqrt": -1})") ==
        "[reel.expression.evaluation_failed] at /x: $sqrt's argument must be greater than or equal "
        "to 0");
  CHECK(ev(R"({"$pow": [2, 10]})") == "1024");
  CHECK(ev(R"({"$pow": [2, 62]})") == "4611686018427387904");
  CHECK(ev(R"({"$pow": [2, 64]})") == "1.8446744073709552e+19");
  CHECK(ev(R"({"$pow": [2, -1]})") == "0.5");
  CHECK(ev(R"({"$pow": [-1, -3]})") == "-1");
  CHECK(ev(R"({"$pow": [4, 0.5]})") == "2.0");
  CHECK(ev(R"({"$pow": [2.0, 3]})") == "8.0");
  CHECK(ev(R"({"$pow": [null, 3]})") == "null");
  CHECK(eval_error(R"({"$pow": [0, -1]})") ==
        "[reel.expression.evaluation_failed] at /x: $pow cannot take a base of 0 and a negative "
        "exponent");
  CHECK(ev(R"({"$exp": 0})") == "1.0");
  CHECK(ev(R"({"$ln": 1})") == "0.0");
  CHECK(ev(R"({"$log10": 1000})") == "3.0");
  CHECK(ev(R"({"$log": [8, 2]})") == "3.0");
  CHECK(ev(R"({"$log": [null, 2]})") == "null");
  CHECK(eval_error(R"({"$ln": 0})") ==
        "[reel.expression.evaluation_failed] at /x: $ln's argument must be a positive number, but "
        "is 0");
  CHECK(eval_error(R"({"$log10": -1.5})") ==
        "[reel.expression.evaluation_failed] at /x: $log10's argument must be a positive number, "
        "but is -1.5");
  CHECK(eval_error(R"({"$log": [8, 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $log's base must be a positive number not "
        "equal to 1, but is 1");
}

TEST_CASE("$sum, $avg, $min, $max expression forms", "[json][expression][arith]") {
  const char* doc = R"({"a": [1, 2, "x", null, 3.5], "b": [], "big": [9223372036854775807, 1]})";
  CHECK(ev(R"({"$sum": "$a"})", doc) == "6.5");
  CHECK(ev(R"({"$sum": [1, 2, "$a"]})", doc) == "3");  // arrays in a list are not traversed
  CHECK(ev(R"({"$sum": "$b"})", doc) == "0");
  CHECK(ev(R"({"$sum": "$missing"})", doc) == "0");
  CHECK(ev(R"({"$sum": 5})", doc) == "5");
  CHECK(ev(R"({"$sum": [2147483647, 1]})", doc) == "2147483648");
  CHECK(ev(R"({"$sum": "$big"})", doc) == "9.223372036854776e+18");
  CHECK(ev(R"({"$avg": "$a"})", doc) == "2.1666666666666665");
  CHECK(ev(R"({"$avg": [2, 4]})", doc) == "3.0");
  CHECK(ev(R"({"$avg": "$b"})", doc) == "null");
  CHECK(ev(R"({"$min": "$a"})", doc) == "1");
  CHECK(ev(R"({"$max": "$a"})", doc) == R"("x")");
  CHECK(ev(R"({"$max": [1, 5, 3]})", doc) == "5");
  CHECK(ev(R"({"$min": [null, "$missing"]})", doc) == "null");
  CHECK(ev(R"({"$min": "$b"})", doc) == "null");
  CHECK(ev(R"({"$max": [{"$date": 0}, 5]})", doc) == R"({"$date":"1970-01-01T00:00:00.000Z"})");
}

TEST_CASE("comparison operators use BSON order", "[json][expression][compare]") {
  CHECK(ev(R"({"$eq": [1, 1.0]})") == "true");
  CHECK(ev(R"({"$eq": ["$a", [1, 2]]})", R"({"a": [1, 2]})") == "true");
  CHECK(ev(R"({"$eq": ["$missing", null]})") == "false");  // missing != null in aggregation
  CHECK(ev(R"({"$eq": ["$missing", "$alsoMissing"]})") == "true");
  CHECK(ev(R"({"$ne": [1, "1"]})") == "true");
  CHECK(ev(R"({"$gt": ["a", 5]})") == "true");  // strings sort after numbers
  CHECK(ev(R"({"$gt": ["$qty", 250]})", R"({"qty": 300})") == "true");
  CHECK(ev(R"({"$gt": ["$qty", 250]})", "{}") == "false");
  CHECK(ev(R"({"$lt": ["$qty", 250]})", "{}") == "true");
  CHECK(ev(R"({"$lt": [null, 0]})") == "true");
  CHECK(ev(R"({"$gte": [2, 2.0]})") == "true");
  CHECK(ev(R"({"$lte": [[1, 2], [1, 3]]})") == "true");
  CHECK(ev(R"({"$gt": [{"$date": 1}, {"$date": 0}]})") == "true");
  CHECK(ev(R"({"$gt": [{"$date": 0}, 9999999999999]})") == "true");  // dates after numbers
  CHECK(ev(R"({"$cmp": [1, 2]})") == "-1");
  CHECK(ev(R"({"$cmp": ["b", "a"]})") == "1");
  CHECK(ev(R"({"$cmp": [{"a": 1}, {"a": 1.0}]})") == "0");
  CHECK(compile_error(R"({"$eq": [1, 2, 3]})") ==
        "[reel.expression.bad_arguments] at /x: $eq takes exactly 2 arguments, 3 were given");
  CHECK(compile_error(R"({"$eq": 1})") ==
        "[reel.expression.bad_arguments] at /x: $eq takes exactly 2 arguments, 1 was given");
}

TEST_CASE("boolean operators", "[json][expression][boolean]") {
  CHECK(ev(R"({"$and": [true, 1, "x", [], {}]})") == "true");
  CHECK(ev(R"({"$and": [true, 0]})") == "false");
  CHECK(ev(R"({"$and": [true, "$missing"]})") == "false");
  CHECK(ev(R"({"$and": []})") == "true");
  CHECK(ev(R"({"$or": [false, null, 0, "$missing"]})") == "false");
  CHECK(ev(R"({"$or": [false, 0.1]})") == "true");
  CHECK(ev(R"({"$or": []})") == "false");
  CHECK(ev(R"({"$not": [false]})") == "true");
  CHECK(ev(R"({"$not": "$missing"})") == "true");
  CHECK(ev(R"({"$not": [[]]})") == "false");
  // short circuit: the failing branch is not evaluated
  CHECK(ev(R"({"$and": [false, {"$add": ["a", 1]}]})") == "false");
  CHECK(ev(R"({"$or": [true, {"$add": ["a", 1]}]})") == "true");
  CHECK(compile_error(R"({"$not": [1, 2]})") ==
        "[reel.expression.bad_arguments] at /x: $not takes exactly 1 argument, 2 were given");
}

TEST_CASE("$cond, $ifNull, $switch", "[json][expression][conditional]") {
  CHECK(ev(R"({"$cond": [{"$gte": ["$qty", 100]}, "big", "small"]})", R"({"qty": 150})") ==
        R"("big")");
  CHECK(ev(R"({"$cond": {"if": "$flag", "then": 1, "else": 2}})", R"({"flag": 0})") == "2");
  CHECK(ev(R"({"$cond": {"if": "$flag", "then": "$x", "else": 2}})", R"({"flag": 1})") ==
        "missing");
  CHECK(compile_error(R"({"$cond": {"if": true, "then": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $cond requires an argument named 'else'");
  CHECK(compile_error(R"({"$cond": {"if": true, "then": 1, "els": 2}})") ==
        "[reel.expression.bad_arguments] at /x: $cond does not take an argument named 'els' (did "
        "you mean 'else'?)");
  CHECK(compile_error(R"({"$cond": [true, 1]})") ==
        "[reel.expression.bad_arguments] at /x: $cond takes exactly 3 arguments, 2 were given");
  CHECK(ev(R"({"$ifNull": ["$a", "default"]})", R"({"a": null})") == R"("default")");
  CHECK(ev(R"({"$ifNull": ["$a", "default"]})", "{}") == R"("default")");
  CHECK(ev(R"({"$ifNull": ["$a", "default"]})", R"({"a": 0})") == "0");
  CHECK(ev(R"({"$ifNull": ["$a", "$b", "c"]})", R"({"b": false})") == "false");
  CHECK(ev(R"({"$ifNull": ["$a", "$b"]})", "{}") == "missing");
  CHECK(compile_error(R"({"$ifNull": ["$a"]})") ==
        "[reel.expression.bad_arguments] at /x: $ifNull takes at least 2 arguments, 1 was given");
  const char* sw = R"({"$switch": {"branches": [{"case": {"$lt": ["$n", 0]}, "then": "neg"},
                                                {"case": {"$eq": ["$n", 0]}, "then": "zero"}],
                                   "default": "pos"}})";
  CHECK(ev(sw, R"({"n": -3})") == R"("neg")");
  CHECK(ev(sw, R"({"n": 0})") == R"("zero")");
  CHECK(ev(sw, R"({"n": 9})") == R"("pos")");
  CHECK(
      eval_error(R"({"$switch": {"branches": [{"case": false, "then": 1}]}})") ==
      "[reel.expression.evaluation_failed] at /x: $switch could not find a matching branch for an "
      "input, and no default was specified");
  CHECK(
      compile_error(R"({"$switch": {"branches": []}})") ==
      "[reel.expression.bad_arguments] at /x: $switch requires at least one branch in 'branches'");
  CHECK(compile_error(R"({"$switch": {"branches": [{"case": true}]}})") ==
        "[reel.expression.bad_arguments] at /x/$switch/branches/0: a $switch branch must be an "
        "object "
        "with exactly 'case' and 'then'");
}
