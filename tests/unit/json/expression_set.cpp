// SPDX-License-Identifier: Apache-2.0
// Set operators, $sortArray and the array forms of $firstN, $lastN, $maxN, $minN.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

TEST_CASE("$setUnion, $setIntersection", "[json][expression][set]") {
  // Duplicates go (BSON equality: 1 == 1.0), the result is in BSON order, nested arrays are
  // elements.
  CHECK(ev(R"({"$setUnion": [["b", 1, "a"], [2, 1.0, "b"]]})") == R"([1,2,"a","b"])");
  CHECK(ev(R"({"$setUnion": [[[1, 2], 1], [[1, 2]]]})") == "[1,[1,2]]");
  CHECK(ev(R"({"$setUnion": [[null, {"a": 1}], [true, {"a": 1}]]})") == R"([null,{"a":1},true])");
  CHECK(ev(R"({"$setUnion": [[3, 3, 1]]})") == "[1,3]");
  CHECK(ev(R"({"$setUnion": "$a"})", R"({"a": [2, 2]})") == "[2]");
  CHECK(ev(R"({"$setUnion": []})") == "[]");
  CHECK(ev(R"({"$setUnion": [[1], null]})") == "null");
  CHECK(ev(R"({"$setUnion": [[1], "$missing"]})") == "null");
  CHECK(eval_error(R"({"$setUnion": [[1], "x"]})") ==
        "[reel.expression.evaluation_failed] at /x: All operands of $setUnion must be arrays. One "
        "argument is of type: string");
  CHECK(eval_error(R"({"$setUnion": ["x", null]})") ==
        "[reel.expression.evaluation_failed] at /x: All operands of $setUnion must be arrays. One "
        "argument is of type: string");  // checked in order, like MongoDB

  CHECK(ev(R"({"$setIntersection": [["c", "a", "b", "a"], ["b", "a", "z"]]})") == R"(["a","b"])");
  CHECK(ev(R"({"$setIntersection": [[1, 2, 3], [2.0, 3], [3, 4]]})") == "[3]");
  CHECK(ev(R"({"$setIntersection": [[1, 2], []]})") == "[]");
  CHECK(ev(R"({"$setIntersection": [[[1, 2]], [1, 2]]})") == "[]");
  CHECK(ev(R"({"$setIntersection": [[2, 1, 2]]})") == "[1,2]");
  CHECK(ev(R"({"$setIntersection": []})") == "[]");
  CHECK(ev(R"({"$setIntersection": [[1], "$missing"]})") == "null");
  CHECK(eval_error(R"({"$setIntersection": [[1], 5]})") ==
        "[reel.expression.evaluation_failed] at /x: All operands of $setIntersection must be "
        "arrays. One argument is of type: int");
}

TEST_CASE("$setDifference, $setEquals, $setIsSubset", "[json][expression][set]") {
  // $setDifference keeps the order of its first array and drops its duplicates.
  CHECK(ev(R"({"$setDifference": [["c", "a", "b", "c", "a"], ["b"]]})") == R"(["c","a"])");
  CHECK(ev(R"({"$setDifference": [[1, 2, 3], [2.0, 3, 4]]})") == "[1]");
  CHECK(ev(R"({"$setDifference": [[], [1]]})") == "[]");
  CHECK(ev(R"({"$setDifference": [[[1], 1], [[1]]]})") == "[1]");
  CHECK(ev(R"({"$setDifference": [null, [1]]})") == "null");
  CHECK(ev(R"({"$setDifference": [[1], "$missing"]})") == "null");
  CHECK(eval_error(R"({"$setDifference": ["a", [1]]})") ==
        "[reel.expression.evaluation_failed] at /x: both operands of $setDifference must be "
        "arrays. First argument is of type: string");
  CHECK(eval_error(R"({"$setDifference": [[1], {"a": 1}]})") ==
        "[reel.expression.evaluation_failed] at /x: both operands of $setDifference must be "
        "arrays. Second argument is of type: object");
  CHECK(compile_error(R"({"$setDifference": [[1]]})") ==
        "[reel.expression.bad_arguments] at /x: $setDifference takes exactly 2 arguments, 1 was "
        "given");

  CHECK(ev(R"({"$setEquals": [["a", "b", "a"], ["b", "a"]]})") == "true");
  CHECK(ev(R"({"$setEquals": [[1, 2], [2.0, 1], [1, 1, 2]]})") == "true");
  CHECK(ev(R"({"$setEquals": [[1, 2], [1], [1, 2]]})") == "false");
  CHECK(ev(R"({"$setEquals": [["a", "b"], [["a", "b"]]]})") == "false");
  CHECK(ev(R"({"$setEquals": [[], []]})") == "true");
  CHECK(eval_error(R"({"$setEquals": [[1], null]})") ==
        "[reel.expression.evaluation_failed] at /x: All operands of $setEquals must be arrays. One "
        "argument is of type: null");
  CHECK(ev(R"({"$setEquals": [[1], [2], "$missing"]})") == "false");  // stops at [2], as MongoDB
  CHECK(eval_error(R"({"$setEquals": [[1], [1], "$missing"]})") ==
        "[reel.expression.evaluation_failed] at /x: All operands of $setEquals must be arrays. One "
        "argument is of type: missing");
  CHECK(compile_error(R"({"$setEquals": [[1]]})") ==
        "[reel.expression.bad_arguments] at /x: $setEquals takes at least 2 arguments, 1 was "
        "given");

  CHECK(ev(R"({"$setIsSubset": [["a", "b", "a"], ["b", "a"]]})") == "true");
  CHECK(ev(R"({"$setIsSubset": [["a", "b"], [["a", "b"]]]})") == "false");
  CHECK(ev(R"({"$setIsSubset": [[], []]})") == "true");
  CHECK(ev(R"({"$setIsSubset": [[], [1]]})") == "true");
  CHECK(ev(R"({"$setIsSubset": [[1, 3], [1.0, 2]]})") == "false");
  CHECK(ev(R"({"$setIsSubset": ["$a", "$b"]})", R"({"a": [1], "b": [1, 2]})") == "true");
  CHECK(eval_error(R"({"$setIsSubset": [null, [1]]})") ==
        "[reel.expression.evaluation_failed] at /x: both operands of $setIsSubset must be arrays. "
        "First argument is of type: null");
  CHECK(eval_error(R"({"$setIsSubset": [[1], "$missing"]})") ==
        "[reel.expression.evaluation_failed] at /x: both operands of $setIsSubset must be arrays. "
        "Second argument is of type: missing");
}

TEST_CASE("$sortArray", "[json][expression][array]") {
  const char* team = R"({"team": [
      {"name": "pat", "age": 30, "address": {"city": "London"}},
      {"name": "dallas", "age": 36, "address": {"city": "Palo Alto"}},
      {"name": "charlie", "age": 42, "address": {"city": "New Brunswick"}}]})";
  CHECK(ev(R"({"$map": {"input": {"$sortArray": {"input": "$team", "sortBy": {"name": 1}}},
                        "in": "$$this.name"}})",
           team) == R"(["charlie","dallas","pat"])");
  CHECK(ev(R"({"$map": {"input": {"$sortArray": {"input": "$team", "sortBy": {"age": -1}}},
                        "in": "$$this.age"}})",
           team) == "[42,36,30]");
  CHECK(ev(R"({"$map": {"input": {"$sortArray": {"input": "$team", "sortBy": {"address.city": 1}}},
                        "in": "$$this.name"}})",
           team) == R"(["pat","charlie","dallas"])");
  // Whole values, across types in BSON order; numbers by value.
  CHECK(ev(R"({"$sortArray": {"input": [20, 4, {"a": "Free"}, 6, 21, 5, "Gratis", {"a": null},
                                        {"a": {"sale": true, "price": 19}}, 10.23,
                                        {"a": "On sale"}], "sortBy": 1}})") ==
        R"([4,5,6,10.23,20,21,"Gratis",{"a":null},{"a":"Free"},{"a":"On sale"},)"
        R"({"a":{"sale":true,"price":19}}])");
  CHECK(ev(R"({"$sortArray": {"input": [1, [1, 2], [0, 5], "a", null], "sortBy": -1}})") ==
        R"([[1,2],[0,5],"a",1,null])");
  // Stable: equal keys keep their order; documents without the field and scalars sort as null.
  CHECK(ev(R"({"$sortArray": {"input": [{"k": 1, "i": 0}, {"i": 1}, {"k": 1, "i": 2}, 7,
                                        {"k": null, "i": 3}, {"k": 0, "i": 4}],
                              "sortBy": {"k": 1}}})") ==
        R"([{"i":1},7,{"k":null,"i":3},{"k":0,"i":4},{"k":1,"i":0},{"k":1,"i":2}])");
  CHECK(ev(R"({"$sortArray": {"input": [{"a": 1, "b": 2}, {"a": 1, "b": 1}, {"a": 0, "b": 9}],
                              "sortBy": {"a": -1, "b": 1}}})") ==
        R"([{"a":1,"b":1},{"a":1,"b":2},{"a":0,"b":9}])");
  // No implicit array traversal: "v.1" is a field named "1", not an index.
  CHECK(
      ev(R"({"$sortArray": {"input": [{"v": [5, 1]}, {"v": {"1": 0}}], "sortBy": {"v.1": -1}}})") ==
      R"([{"v":{"1":0}},{"v":[5,1]}])");
  CHECK(ev(R"({"$sortArray": {"input": [], "sortBy": 1}})") == "[]");
  CHECK(ev(R"({"$sortArray": {"input": "$missing", "sortBy": 1}})") == "null");
  CHECK(ev(R"({"$sortArray": {"input": null, "sortBy": {"a": 1}}})") == "null");
  CHECK(eval_error(R"({"$sortArray": {"input": "abc", "sortBy": 1}})") ==
        "[reel.expression.evaluation_failed] at /x: The input argument to $sortArray must be an "
        "array, but was of type: string");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortBy": 2}})") ==
        "[reel.expression.bad_arguments] at /x/$sortArray/sortBy: $sortArray sort direction must "
        "be 1 or -1, found 2");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortBy": {"a": "asc"}}})") ==
        "[reel.expression.bad_arguments] at /x/$sortArray/sortBy/a: $sortArray sort direction "
        "must be 1 or -1, found \"asc\"");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortBy": true}})") ==
        "[reel.expression.bad_arguments] at /x/$sortArray/sortBy: $sortArray requires 'sortBy' to "
        "be 1, -1 or a document of field directions, found bool");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortBy": {}}})") ==
        "[reel.expression.bad_arguments] at /x/$sortArray/sortBy: $sortArray requires a non-empty "
        "'sortBy' document");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortBy": {"a..b": 1}}})") ==
        "[reel.json.bad_field_path] at /x/$sortArray/sortBy/a..b: field path 'a..b' has an empty "
        "component");
  CHECK(compile_error(R"({"$sortArray": {"input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x: $sortArray requires an argument named 'sortBy'");
  CHECK(compile_error(R"({"$sortArray": {"input": [1], "sortby": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $sortArray does not take an argument named "
        "'sortby' (did you mean 'sortBy'?)");
  CHECK(compile_error(R"({"$sortArray": [[1], 1]})") ==
        "[reel.expression.bad_arguments] at /x: $sortArray requires an object as its argument, "
        "found array");
}

TEST_CASE("$firstN, $lastN, $maxN, $minN on arrays", "[json][expression][array]") {
  // The MongoDB manual's examples.
  CHECK(ev(R"({"$firstN": {"n": 3, "input": [12, 90, 7, 89, 8]}})") == "[12,90,7]");
  CHECK(ev(R"({"$firstN": {"n": 3, "input": [1293, null, 3489, 9]}})") == "[1293,null,3489]");
  CHECK(ev(R"({"$firstN": {"n": 3, "input": [null]}})") == "[null]");
  CHECK(ev(R"({"$firstN": {"n": 3, "input": []}})") == "[]");
  CHECK(ev(R"({"$lastN": {"n": 3, "input": [12, 90, 7, 89, 8]}})") == "[7,89,8]");
  CHECK(ev(R"({"$lastN": {"n": 2, "input": [1, null]}})") == "[1,null]");
  CHECK(ev(R"({"$lastN": {"n": 10, "input": [1, 2]}})") == "[1,2]");
  CHECK(ev(R"({"$maxN": {"n": 2, "input": [12, 90, 7, 89, 8]}})") == "[90,89]");
  CHECK(ev(R"({"$maxN": {"n": 2, "input": [null]}})") == "[]");
  CHECK(ev(R"({"$maxN": {"n": 2, "input": [1293, "2", 3489, 9]}})") == R"(["2",3489])");
  CHECK(ev(R"({"$minN": {"n": 2, "input": [1293, "2", 3489, 9]}})") == "[9,1293]");
  CHECK(ev(R"({"$minN": {"n": 3, "input": [3, null, 1, 2.5]}})") == "[1,2.5,3]");
  CHECK(ev(R"({"$minN": {"n": 5, "input": [2, 1]}})") == "[1,2]");
  // n and input are expressions; a double n without fraction is an integer.
  CHECK(ev(R"({"$firstN": {"n": "$k", "input": "$a"}})", R"({"k": 2, "a": [5, 6, 7]})") == "[5,6]");
  CHECK(ev(R"({"$lastN": {"n": 1.0, "input": [5, 6]}})") == "[6]");
  CHECK(eval_error(R"({"$firstN": {"n": 2, "input": "$missing"}})") ==
        "[reel.expression.evaluation_failed] at /x: $firstN requires 'input' to be an array, found "
        "missing");
  CHECK(eval_error(R"({"$maxN": {"n": 2, "input": 5}})") ==
        "[reel.expression.evaluation_failed] at /x: $maxN requires 'input' to be an array, found "
        "int");
  CHECK(eval_error(R"({"$minN": {"n": "$k", "input": [1]}})", R"({"k": 0})") ==
        "[reel.expression.evaluation_failed] at /x: $minN requires 'n' to be greater than 0, "
        "found 0");
  CHECK(eval_error(R"({"$lastN": {"n": "$k", "input": [1]}})") ==
        "[reel.expression.evaluation_failed] at /x: $lastN requires 'n' to be an integer, found "
        "missing");
  CHECK(compile_error(R"({"$firstN": {"n": 0, "input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x/$firstN/n: $firstN requires 'n' to be greater than "
        "0, found 0");
  CHECK(compile_error(R"({"$firstN": {"n": 1.5, "input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x/$firstN/n: $firstN requires 'n' to be an integer, "
        "found 1.5");
  CHECK(compile_error(R"({"$maxN": {"n": null, "input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x/$maxN/n: $maxN requires 'n' to be an integer, found "
        "null");
  CHECK(compile_error(R"({"$minN": {"input": [1]}})") ==
        "[reel.expression.bad_arguments] at /x: $minN requires an argument named 'n'");
  CHECK(compile_error(R"({"$lastN": {"n": 1, "input": [1], "sortBy": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $lastN does not take an argument named 'sortBy'");
  CHECK(compile_error(R"({"$firstN": [2, [1]]})") ==
        "[reel.expression.bad_arguments] at /x: $firstN requires an object as its argument, found "
        "array");
}
