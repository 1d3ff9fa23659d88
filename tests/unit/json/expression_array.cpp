// SPDX-License-Identifier: Apache-2.0
// Array and object expression operators, variables.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

TEST_CASE("$size, $isArray, $arrayElemAt, $first, $last", "[json][expression][array]") {
  CHECK(ev(R"({"$size": "$a"})", R"({"a": [1, 2, 3]})") == "3");
  CHECK(ev(R"({"$size": [[]]})") == "0");
  CHECK(eval_error(R"({"$size": "$a"})") ==
        "[reel.expression.evaluation_failed] at /x: the argument to $size must be an array, but "
        "was of type: missing");
  CHECK(compile_error(R"({"$size": [1, 2, 3]})") ==
        "[reel.expression.bad_arguments] at /x: $size takes exactly 1 argument, 3 were given");
  CHECK(ev(R"({"$isArray": "$a"})", R"({"a": []})") == "true");
  CHECK(ev(R"({"$isArray": ["$a"]})", R"({"a": "x"})") == "false");
  CHECK(ev(R"({"$isArray": "$a"})") == "false");
  CHECK(ev(R"({"$arrayElemAt": [[1, 2, 3], 0]})") == "1");
  CHECK(ev(R"({"$arrayElemAt": [[1, 2, 3], -1]})") == "3");
  CHECK(ev(R"({"$arrayElemAt": [[1, 2, 3], 3]})") == "missing");
  CHECK(ev(R"({"$arrayElemAt": [[1, 2, 3], -4]})") == "missing");
  CHECK(ev(R"({"$arrayElemAt": ["$a", 1.0]})", R"({"a": [{"x": 1}, {"y": 2}]})") == R"({"y":2})");
  CHECK(ev(R"({"$arrayElemAt": ["$missing", 0]})") == "null");
  CHECK(ev(R"({"$arrayElemAt": [[1], null]})") == "null");
  CHECK(eval_error(R"({"$arrayElemAt": [[1], 0.5]})") ==
        "[reel.expression.evaluation_failed] at /x: $arrayElemAt's second argument must be "
        "representable as an integer: 0.5");
  CHECK(eval_error(R"({"$arrayElemAt": ["abc", 0]})") ==
        "[reel.expression.evaluation_failed] at /x: $arrayElemAt's first argument must be an "
        "array, but is string");
  CHECK(ev(R"({"$first": [[4, 5]]})") == "4");
  CHECK(ev(R"({"$last": "$a"})", R"({"a": [4, 5]})") == "5");
  CHECK(ev(R"({"$first": [[]]})") == "missing");
  CHECK(ev(R"({"$last": "$nope"})") == "null");
  CHECK(
      eval_error(R"({"$first": 5})") ==
      "[reel.expression.evaluation_failed] at /x: $first's argument must be an array, but is int");
}

TEST_CASE("$filter, $map, $reduce", "[json][expression][array]") {
  const char* doc =
      R"({"items": [{"p": 5, "q": 1}, {"p": 15, "q": 2}, {"p": 25, "q": 3}], "k": 10})";
  CHECK(ev(R"({"$filter": {"input": "$items", "as": "it", "cond": {"$gt": ["$$it.p", "$k"]}}})",
           doc) == R"([{"p":15,"q":2},{"p":25,"q":3}])");
  CHECK(ev(R"({"$filter": {"input": "$items", "cond": {"$gt": ["$$this.p", 1]}, "limit": 1}})",
           doc) == R"([{"p":5,"q":1}])");
  CHECK(ev(R"({"$filter": {"input": [1, "a", null, 2], "cond": {"$isNumber": "$$this"}}})") ==
        "[1,2]");
  CHECK(ev(R"({"$filter": {"input": "$nope", "cond": true}})") == "null");
  CHECK(eval_error(R"({"$filter": {"input": 5, "cond": true}})") ==
        "[reel.expression.evaluation_failed] at /x: input to $filter must be an array not int");
  CHECK(eval_error(R"({"$filter": {"input": [1], "cond": true, "limit": 0}})") ==
        "[reel.expression.evaluation_failed] at /x: $filter: limit must be a positive integral "
        "value, found 0");
  CHECK(
      ev(R"({"$map": {"input": "$items", "as": "it", "in": {"$multiply": ["$$it.p", "$$it.q"]}}})",
         doc) == "[5,30,75]");
  CHECK(ev(R"({"$map": {"input": [1, 2], "in": "$$this.x"}})") == "[null,null]");
  CHECK(
      ev(R"({"$map": {"input": [[1, 2], [3]], "as": "a", "in": {"$map": {"input": "$$a", "as": "b",
             "in": {"$add": ["$$b", {"$size": "$$a"}]}}}}})") == "[[3,4],[4]]");
  CHECK(ev(R"({"$map": {"input": null, "in": 1}})") == "null");
  CHECK(
      ev(R"({"$reduce": {"input": "$items", "initialValue": 0, "in": {"$add": ["$$value", "$$this.q"]}}})",
         doc) == "6");
  CHECK(
      ev(R"({"$reduce": {"input": ["a", "b", "c"], "initialValue": "", "in": {"$concat": ["$$value", "$$this"]}}})") ==
      R"("abc")");
  CHECK(
      ev(R"({"$reduce": {"input": [[1, 2], [3]], "initialValue": [], "in": {"$concatArrays": ["$$value", "$$this"]}}})") ==
      "[1,2,3]");
  CHECK(ev(R"({"$reduce": {"input": [1, 2], "initialValue": {"s": 0},
             "in": {"s": {"$add": ["$$value.s", "$$this"]}}}})") == R"({"s":3})");
  CHECK(ev(R"({"$reduce": {"input": [], "initialValue": 7, "in": 0}})") == "7");
  CHECK(ev(R"({"$reduce": {"input": "$nope", "initialValue": 7, "in": 0}})") == "null");
  CHECK(compile_error(R"({"$map": {"input": [1], "as": "Bad", "in": 1}})") ==
        "[reel.expression.bad_arguments] at /x/$map/as: invalid variable name 'Bad': it must start "
        "with a lowercase letter and contain only letters, digits and '_'");
  CHECK(compile_error(R"({"$map": {"input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x: $map requires an argument named 'in'");
  CHECK(compile_error(R"({"$filter": {"input": [1], "cond": true, "as": "x", "lim": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $filter does not take an argument named 'lim' (did "
        "you mean 'limit'?)");
  CHECK(compile_error(R"({"$map": {"input": [1], "in": "$$it"}})") ==
        "[reel.expression.unknown_variable] at /x/$map/in: use of undefined variable: it");
}

TEST_CASE("$in, $indexOfArray, $concatArrays, $slice, $reverseArray, $range",
          "[json][expression][array]") {
  CHECK(ev(R"({"$in": [2, [1, 2.0]]})") == "true");
  CHECK(ev(R"({"$in": ["a", []]})") == "false");
  CHECK(ev(R"({"$in": [null, [null]]})") == "true");
  CHECK(ev(R"({"$in": [[1], [[1], 2]]})") == "true");
  CHECK(eval_error(R"({"$in": [1, "$missing"]})") ==
        "[reel.expression.evaluation_failed] at /x: $in requires an array as a second argument, "
        "found: missing");
  CHECK(ev(R"({"$indexOfArray": [["a", "b", "a"], "a"]})") == "0");
  CHECK(ev(R"({"$indexOfArray": [["a", "b", "a"], "a", 1]})") == "2");
  CHECK(ev(R"({"$indexOfArray": [["a", "b", "a"], "a", 1, 2]})") == "-1");
  CHECK(ev(R"({"$indexOfArray": [[1, 2], 2.0]})") == "1");
  CHECK(ev(R"({"$indexOfArray": [null, 2]})") == "null");
  CHECK(eval_error(R"({"$indexOfArray": ["x", 2]})") ==
        "[reel.expression.evaluation_failed] at /x: $indexOfArray requires an array as a first "
        "argument, found: string");
  CHECK(ev(R"({"$concatArrays": [[1], [2, [3]], []]})") == "[1,2,[3]]");
  CHECK(ev(R"({"$concatArrays": [[1], "$nope"]})") == "null");
  CHECK(eval_error(R"({"$concatArrays": [[1], 2]})") ==
        "[reel.expression.evaluation_failed] at /x: $concatArrays only supports arrays, not int");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], 2]})") == "[1,2]");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], -2]})") == "[3,4]");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], -10]})") == "[1,2,3,4]");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], 1, 2]})") == "[2,3]");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], -3, 2]})") == "[2,3]");
  CHECK(ev(R"({"$slice": [[1, 2, 3, 4], 10, 2]})") == "[]");
  CHECK(ev(R"({"$slice": [null, 1]})") == "null");
  CHECK(eval_error(R"({"$slice": [[1], 0, 0]})") ==
        "[reel.expression.evaluation_failed] at /x: third argument to $slice must be positive: 0");
  CHECK(ev(R"({"$reverseArray": [[1, 2, 3]]})") == "[3,2,1]");
  CHECK(ev(R"({"$reverseArray": "$nope"})") == "null");
  CHECK(ev(R"({"$range": [0, 5]})") == "[0,1,2,3,4]");
  CHECK(ev(R"({"$range": [0, 10, 3]})") == "[0,3,6,9]");
  CHECK(ev(R"({"$range": [5, 0, -2]})") == "[5,3,1]");
  CHECK(ev(R"({"$range": [5, 0]})") == "[]");
  CHECK(eval_error(R"({"$range": [0, 5, 0]})") ==
        "[reel.expression.evaluation_failed] at /x: $range requires a non-zero step value");
  CHECK(eval_error(R"({"$range": [0, 1.5]})") ==
        "[reel.expression.evaluation_failed] at /x: $range requires a ending value that can be "
        "represented as a 32-bit integer, found value: 1.5");
}

TEST_CASE("$arrayToObject, $objectToArray, $zip, $allElementsTrue, $anyElementTrue",
          "[json][expression][array]") {
  CHECK(ev(R"({"$arrayToObject": [[["a", 1], ["b", 2]]]})") == R"({"a":1,"b":2})");
  CHECK(ev(R"({"$arrayToObject": [[{"k": "a", "v": 1}, {"k": "a", "v": 3}]]})") == R"({"a":3})");
  CHECK(ev(R"({"$arrayToObject": "$nope"})") == "null");
  CHECK(eval_error(R"({"$arrayToObject": [[["a", 1, 2]]]})") ==
        "[reel.expression.evaluation_failed] at /x: $arrayToObject requires an array of size 2 "
        "arrays, "
        "found array of size: 3");
  CHECK(
      eval_error(R"({"$arrayToObject": [[[1, 1]]]})") ==
      "[reel.expression.evaluation_failed] at /x: $arrayToObject requires string keys, found: int");
  CHECK(ev(R"({"$objectToArray": {"a": 1, "b": {"c": 2}}})") ==
        R"([{"k":"a","v":1},{"k":"b","v":{"c":2}}])");
  CHECK(ev(R"({"$objectToArray": "$nope"})") == "null");
  CHECK(eval_error(R"({"$objectToArray": [[1]]})") ==
        "[reel.expression.evaluation_failed] at /x: $objectToArray requires a document input, "
        "found: array");
  CHECK(ev(R"({"$zip": {"inputs": [[1, 2, 3], ["a", "b"]]}})") == R"([[1,"a"],[2,"b"]])");
  CHECK(ev(R"({"$zip": {"inputs": [[1, 2, 3], ["a", "b"]], "useLongestLength": true}})") ==
        R"([[1,"a"],[2,"b"],[3,null]])");
  CHECK(
      ev(R"({"$zip": {"inputs": [[1, 2, 3], ["a"]], "useLongestLength": true, "defaults": [0, "z"]}})") ==
      R"([[1,"a"],[2,"z"],[3,"z"]])");
  CHECK(ev(R"({"$zip": {"inputs": [[1], "$nope"]}})") == "null");
  CHECK(compile_error(R"({"$zip": {"inputs": [[1]], "defaults": [0]}})") ==
        "[reel.expression.bad_arguments] at /x: $zip requires 'useLongestLength' to be true to use "
        "'defaults'");
  CHECK(ev(R"({"$allElementsTrue": [[1, true, "x"]]})") == "true");
  CHECK(ev(R"({"$allElementsTrue": [[1, 0]]})") == "false");
  CHECK(ev(R"({"$allElementsTrue": [[]]})") == "true");
  CHECK(ev(R"({"$anyElementTrue": [[0, null, false]]})") == "false");
  CHECK(ev(R"({"$anyElementTrue": [[0, 2]]})") == "true");
}

TEST_CASE("object and array literals", "[json][expression][literal]") {
  CHECK(ev(R"({"a": "$x", "b": {"c": {"$add": [1, 1]}}, "m": "$missing", "r": "$$REMOVE"})",
           R"({"x": 1})") == R"({"a":1,"b":{"c":2}})");
  CHECK(ev(R"(["$x", "$missing", 3])", R"({"x": 1})") == "[1,null,3]");
  CHECK(ev(R"({"$literal": "$notAPath"})") == R"("$notAPath")");
  CHECK(ev(R"({"$literal": {"$add": [1]}})") == R"({"$add":[1]})");
  CHECK(ev(R"({"$literal": {"$numberLong": "5"}})") == "5");
  CHECK(ev(R"({"$numberLong": "7"})") == "7");
  CHECK(ev(R"({"$date": {"$numberLong": "0"}})") == R"({"$date":"1970-01-01T00:00:00.000Z"})");
  CHECK(ev(R"("plain")") == R"("plain")");
  CHECK(ev("{}") == "{}");
  CHECK(ev("[]") == "[]");
  CHECK(compile_error(R"({"a.b": 1})") ==
        "[reel.expression.bad_arguments] at /x/a.b: field name 'a.b' in an expression object must "
        "not contain '.'");
  CHECK(compile_error(R"({"a": 1, "$b": 1})") ==
        "[reel.expression.bad_arguments] at /x/$b: field name '$b' in an expression object must "
        "not start with '$'");
  CHECK(
      compile_error(R"({"$add": [1], "x": 1})") ==
      "[reel.expression.bad_arguments] at /x: an expression object must contain exactly one field, "
      "the name of the operator; found 2 fields: '$add', 'x'");
}

TEST_CASE("field paths, system variables and $let", "[json][expression][variables]") {
  const char* doc = R"({"a": {"b": [{"c": 1}, {"c": 2}, {"d": 3}]}, "x": 5})";
  CHECK(ev(R"("$a.b.c")", doc) == "[1,2]");
  CHECK(ev(R"("$$ROOT.x")", doc) == "5");
  CHECK(ev(R"("$$CURRENT.a.b.d")", doc) == "[3]");
  CHECK(ev(R"("$$ROOT")", R"({"k": 1})") == R"({"k":1})");
  CHECK(ev(R"("$$REMOVE")", doc) == "missing");
  CHECK(
      ev(R"({"$let": {"vars": {"t": {"$add": ["$x", 1]}, "u": 2}, "in": {"$multiply": ["$$t", "$$u"]}}})",
         doc) == "12");
  CHECK(ev(R"({"$let": {"vars": {"o": "$a"}, "in": "$$o.b.c"}})", doc) == "[1,2]");
  CHECK(
      ev(R"({"$let": {"vars": {"x": 1}, "in": {"$let": {"vars": {"x": 2, "y": "$$x"}, "in": ["$$x", "$$y"]}}}})") ==
      "[2,1]");  // vars see the outer scope
  CHECK(ev(R"({"$let": {"vars": {"v": {"a": [1, 2]}}, "in": "$$v.a"}})") == "[1,2]");
  CHECK(compile_error(R"("$$nope")") ==
        "[reel.expression.unknown_variable] at /x: use of undefined variable: nope");
  CHECK(compile_error(R"({"$let": {"vars": {"total": 1}, "in": "$$totl"}})") ==
        "[reel.expression.unknown_variable] at /x/$let/in: use of undefined variable: totl (did "
        "you mean 'total'?)");
  CHECK(compile_error(R"("$$NOW")") ==
        "[reel.expression.unknown_variable] at /x: the system variable $$NOW is not supported in "
        "stream processing");
  CHECK(compile_error(R"({"$let": {"vars": {"_x": 1}, "in": 1}})") ==
        "[reel.expression.bad_arguments] at /x/$let/vars/_x: invalid variable name '_x': it must "
        "start with a lowercase letter and contain only letters, digits and '_'");
  CHECK(compile_error(R"({"$let": {"vars": {"x": 1}}})") ==
        "[reel.expression.bad_arguments] at /x: $let requires an argument named 'in'");
  CHECK(compile_error(R"("$")") ==
        "[reel.expression.bad_arguments] at /x: '$' by itself is not a valid field path");
  CHECK(compile_error(R"("$a..b")") ==
        "[reel.json.bad_field_path] at /x: field path 'a..b' has an empty component");
}

TEST_CASE("external variables", "[json][expression][variables]") {
  using namespace reel::json;
  compile_options options;
  options.variables = {"limit"};
  const expression e =
      compile_expression(reel_test::J(R"({"$lt": ["$v", "$$limit.max"]})"), "", options);
  const document vars = reel_test::J(R"({"limit": {"max": 10}})");
  eval_context ctx;
  ctx.variables = &vars;
  CHECK(e.evaluate(reel_test::J(R"({"v": 3})"), ctx) == true);
  CHECK(e.evaluate(reel_test::J(R"({"v": 30})"), ctx) == false);
  CHECK(reel_test::error_of([&] { (void)e.evaluate(reel_test::J("{}")); }) ==
        "[reel.expression.evaluation_failed] at /$lt/1: use of undefined variable: limit");
}

TEST_CASE("$mergeObjects, $getField, $type, $isNumber", "[json][expression][object]") {
  CHECK(ev(R"({"$mergeObjects": [{"a": 1, "b": 2}, "$o", null, {"a": 3}]})",
           R"({"o": {"c": 4}})") == R"({"a":3,"b":2,"c":4})");
  CHECK(ev(R"({"$mergeObjects": []})") == "{}");
  CHECK(ev(R"({"$mergeObjects": "$nope"})") == "{}");
  CHECK(eval_error(R"({"$mergeObjects": [{"a": 1}, 5]})") ==
        "[reel.expression.evaluation_failed] at /x: $mergeObjects requires object inputs, but "
        "input 1 is of type int");
  CHECK(ev(R"({"$getField": "a.b"})", R"({"a.b": 1, "a": {"b": 2}})") == "1");
  CHECK(ev(R"({"$getField": {"field": {"$literal": "$price"}, "input": "$o"}})",
           R"({"o": {"$price": 9}})") == "9");
  CHECK(
      compile_error(R"({"$getField": {"field": "$price", "input": "$o"}})") ==
      "[reel.expression.bad_arguments] at /x: $getField requires 'field' to be a constant string; "
      "use $literal for a field name that starts with '$'");
  CHECK(ev(R"({"$getField": {"field": "x", "input": {"$literal": {"x": [1]}}}})") == "[1]");
  CHECK(ev(R"({"$getField": {"field": "x", "input": "$nope"}})") == "null");
  CHECK(ev(R"({"$getField": {"field": "zz", "input": {"x": 1}}})") == "missing");
  CHECK(compile_error(R"({"$getField": {"field": 5}})") ==
        "[reel.expression.bad_arguments] at /x: $getField requires 'field' to be a string, found "
        "int");
  CHECK(eval_error(R"({"$getField": {"field": "a", "input": 5}})") ==
        "[reel.expression.evaluation_failed] at /x: $getField requires 'input' to evaluate to an "
        "object, found int");
  CHECK(ev(R"({"$type": "$a"})", R"({"a": 1})") == R"("int")");
  CHECK(ev(R"({"$type": "$a"})", R"({"a": 3000000000})") == R"("long")");
  CHECK(ev(R"({"$type": "$a"})", R"({"a": 1.5})") == R"("double")");
  CHECK(ev(R"({"$type": "$a"})", "{}") == R"("missing")");
  CHECK(ev(R"({"$type": [null]})") == R"("null")");
  CHECK(ev(R"({"$type": {"$literal": [1]}})") == R"("array")");
  CHECK(ev(R"({"$type": {"$date": 0}})") == R"("date")");
  CHECK(ev(R"({"$type": {"$oid": "65a1b2c3d4e5f60718293a4b"}})") == R"("objectId")");
  CHECK(ev(R"({"$isNumber": "$a"})", R"({"a": 1.5})") == "true");
  CHECK(ev(R"({"$isNumber": "$a"})", R"({"a": "1"})") == "false");
  CHECK(ev(R"({"$isNumber": {"$numberDecimal": "1"}})") == "true");
}

TEST_CASE("$setField, $unsetField", "[json][expression][object]") {
  const char* doc = R"({"_id": 1, "item": "sweatshirt", "qty": 300})";
  // Dots are part of the name: no implicit traversal.
  CHECK(ev(R"({"$setField": {"field": "price.usd", "input": "$$ROOT", "value": 45.99}})", doc) ==
        R"({"_id":1,"item":"sweatshirt","qty":300,"price.usd":45.99})");
  CHECK(ev(R"({"$setField": {"field": "qty", "input": "$$ROOT", "value": {"$add": ["$qty", 1]}}})",
           doc) == R"({"_id":1,"item":"sweatshirt","qty":301})");  // keeps its position
  CHECK(ev(R"({"$setField": {"field": "o", "input": {"a": 1}, "value": {"b": [1, "$qty"]}}})",
           doc) == R"({"a":1,"o":{"b":[1,300]}})");
  CHECK(ev(R"({"$setField": {"field": "n", "input": {"a": 1}, "value": null}})") ==
        R"({"a":1,"n":null})");
  // $$REMOVE (or any missing value) removes the field.
  CHECK(ev(R"({"$setField": {"field": "item", "input": "$$ROOT", "value": "$$REMOVE"}})", doc) ==
        R"({"_id":1,"qty":300})");
  CHECK(ev(R"({"$setField": {"field": "item", "input": "$$ROOT", "value": "$nope"}})", doc) ==
        R"({"_id":1,"qty":300})");
  CHECK(ev(R"({"$setField": {"field": "zz", "input": "$$ROOT", "value": "$$REMOVE"}})", doc) ==
        R"({"_id":1,"item":"sweatshirt","qty":300})");
  // A name starting with '$' through $literal.
  CHECK(ev(R"({"$setField": {"field": {"$literal": "$price"}, "input": "$$ROOT", "value": 9}})",
           R"({"_id": 1, "$price": 5})") == R"({"_id":1,"$price":9})");
  CHECK(ev(R"({"$unsetField": {"field": {"$literal": "$price"}, "input": "$$ROOT"}})",
           R"({"_id": 1, "$price": 5})") == R"({"_id":1})");
  CHECK(
      ev(R"({"$unsetField": {"field": "a.b", "input": {"$literal": {"a.b": 1, "a": {"b": 2}}}}})") ==
      R"({"a":{"b":2}})");
  CHECK(ev(R"({"$unsetField": {"field": "x", "input": "$o"}})", R"({"o": {"x": 1, "y": 2}})") ==
        R"({"y":2})");
  // Nested updates compose.
  CHECK(ev(R"({"$setField": {"field": "o", "input": "$$ROOT", "value": {"$setField": {"field": "y",
             "input": "$o", "value": 3}}}})",
           R"({"o": {"x": 1}})") == R"({"o":{"x":1,"y":3}})");
  CHECK(ev(R"({"$setField": {"field": "a", "input": null, "value": 1}})") == "null");
  CHECK(ev(R"({"$unsetField": {"field": "a", "input": "$missing"}})") == "null");
  CHECK(eval_error(R"({"$setField": {"field": "a", "input": 5, "value": 1}})") ==
        "[reel.expression.evaluation_failed] at /x: $setField requires 'input' to evaluate to an "
        "object, found int");
  CHECK(eval_error(R"({"$unsetField": {"field": "a", "input": "$d"}})",
                   R"({"d": {"$date": "2024-01-01T00:00:00Z"}})") ==
        "[reel.expression.evaluation_failed] at /x: $unsetField requires 'input' to evaluate to an "
        "object, found date");
  CHECK(compile_error(R"({"$setField": {"field": "$price", "input": "$$ROOT", "value": 1}})") ==
        "[reel.expression.bad_arguments] at /x/$setField/field: $setField requires 'field' to be a "
        "constant string; use $literal for a field name that starts with '$'");
  CHECK(compile_error(R"({"$unsetField": {"field": 5, "input": "$$ROOT"}})") ==
        "[reel.expression.bad_arguments] at /x/$unsetField/field: $unsetField requires 'field' to "
        "be a string, found int");
  CHECK(compile_error(R"({"$setField": {"field": "a", "input": "$$ROOT"}})") ==
        "[reel.expression.bad_arguments] at /x: $setField requires an argument named 'value'");
  CHECK(compile_error(R"({"$unsetField": {"field": "a", "input": "$$ROOT", "value": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $unsetField does not take an argument named "
        "'value'");
  CHECK(compile_error(R"({"$setField": "a"})") ==
        "[reel.expression.bad_arguments] at /x: $setField requires an object as its argument, "
        "found string");
}

TEST_CASE("$meta reads the stream metadata", "[json][expression][meta]") {
  using namespace reel::json;
  const document meta = reel_test::J(R"({"source": {"type": "kafka", "partition": 3},
      "window": {"start": {"$date": "2024-01-01T00:00:00.000Z"}, "end": {"$date": "2024-01-01T00:01:00.000Z"}}})");
  eval_context ctx;
  ctx.meta = &meta;
  auto eval = [&](const char* spec) {
    return reel_test::show(
        compile_expression(reel_test::J(spec)).evaluate(document::object(), ctx));
  };
  CHECK(eval(R"({"$meta": "stream.window.start"})") == R"({"$date":"2024-01-01T00:00:00.000Z"})");
  CHECK(eval(R"({"$meta": "stream.source.partition"})") == "3");
  CHECK(eval(R"({"$meta": "stream.window.partition"})") == "missing");
  CHECK(eval(R"({"$meta": "stream"})") == reel_test::show(meta));
  CHECK(eval(R"({"$dateDiff": {"startDate": {"$meta": "stream.window.start"},
                               "endDate": {"$meta": "stream.window.end"}, "unit": "second"}})") ==
        "60");
  CHECK(reel_test::ev(R"({"$meta": "stream.window.start"})") == "missing");  // no metadata
  CHECK(compile_error(R"({"$meta": "textScore"})") ==
        "[reel.expression.bad_arguments] at /x: unsupported $meta key 'textScore': Reel supports "
        "\"stream\" and \"stream.<path>\"");
  CHECK_FALSE(compile_expression(reel_test::J(R"({"$meta": "stream"})")).is_constant());
}
