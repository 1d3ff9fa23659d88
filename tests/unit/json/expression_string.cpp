// SPDX-License-Identifier: Apache-2.0
// String expression operators.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

TEST_CASE("$concat", "[json][expression][string]") {
  CHECK(ev(R"({"$concat": ["a", "-", "$b"]})", R"({"b": "c"})") == R"("a-c")");
  CHECK(ev(R"({"$concat": []})") == R"("")");
  CHECK(ev(R"({"$concat": ["a", null]})") == "null");
  CHECK(ev(R"({"$concat": ["a", "$missing"]})") == "null");
  CHECK(eval_error(R"({"$concat": ["a", 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $concat only supports strings, not int");
}

TEST_CASE("$substr, $substrBytes, $substrCP", "[json][expression][string]") {
  CHECK(ev(R"({"$substr": ["hello", 1, 3]})") == R"("ell")");
  CHECK(ev(R"({"$substrBytes": ["hello", 1, -1]})") == R"("ello")");
  CHECK(ev(R"({"$substrBytes": ["hello", 10, 2]})") == R"("")");
  CHECK(eval_error(R"({"$substrBytes": ["hello", -1, 2]})") ==
        "[reel.expression.evaluation_failed] at /x: $substrBytes: starting index must be "
        "non-negative (got: -1)");
  CHECK(ev(R"({"$substrBytes": ["hello", 1.9, 2.9]})") == R"("el")");
  CHECK(ev(R"({"$substrBytes": ["hello", 3, 100]})") == R"("lo")");
  CHECK(ev(R"({"$substrBytes": [12345, 1, 2]})") == R"("23")");
  CHECK(ev(R"({"$substrBytes": [null, 0, 2]})") == R"("")");
  CHECK(ev(R"({"$substrBytes": ["$missing", 0, 2]})") == R"("")");
  CHECK(ev(R"({"$substrBytes": ["cafétéria", 0, 5]})") == R"("café")");
  CHECK(
      eval_error(R"({"$substrBytes": ["cafétéria", 0, 4]})") ==
      "[reel.expression.evaluation_failed] at /x: $substrBytes: invalid range, ending index is in "
      "the middle of a UTF-8 character");
  CHECK(eval_error(R"({"$substrBytes": ["é", 1, 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $substrBytes: invalid range, starting index is "
        "a UTF-8 continuation byte");
  CHECK(eval_error(R"({"$substrBytes": ["abc", "1", 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $substrBytes: starting index must be a numeric "
        "type (is string)");
  CHECK(ev(R"({"$substrCP": ["cafétéria", 3, 4]})") == R"("étér")");
  CHECK(ev(R"({"$substrCP": ["abc", 1, 100]})") == R"("bc")");
  CHECK(ev(R"({"$substrCP": ["abc", 5, 1]})") == R"("")");
  CHECK(
      eval_error(R"({"$substrCP": ["abc", -1, 1]})") ==
      "[reel.expression.evaluation_failed] at /x: $substrCP: starting index must be non-negative");
  CHECK(eval_error(R"({"$substrCP": ["abc", 0, 1.5]})") ==
        "[reel.expression.evaluation_failed] at /x: $substrCP: length cannot be represented as a "
        "32-bit integral value");
  CHECK(eval_error(R"({"$substr": [[1], 0, 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $substr: can't convert from BSON type array to "
        "String");
  CHECK(compile_error(R"({"$substr": ["a", 0]})") ==
        "[reel.expression.bad_arguments] at /x: $substr takes exactly 3 arguments, 2 were given");
}

TEST_CASE("$toLower, $toUpper, $strcasecmp", "[json][expression][string]") {
  CHECK(ev(R"({"$toUpper": "abc-Éé"})") == R"("ABC-Éé")");  // ASCII only, as MongoDB
  CHECK(ev(R"({"$toLower": "ABC"})") == R"("abc")");
  CHECK(ev(R"({"$toLower": null})") == R"("")");
  CHECK(ev(R"({"$toUpper": 1.5})") == R"("1.5")");
  CHECK(ev(R"({"$toUpper": {"$date": "2024-01-01T00:00:00Z"}})") ==
        R"("2024-01-01T00:00:00.000Z")");
  CHECK(ev(R"({"$strcasecmp": ["Hello", "hello"]})") == "0");
  CHECK(ev(R"({"$strcasecmp": ["a", "B"]})") == "-1");
  CHECK(ev(R"({"$strcasecmp": ["b", "A"]})") == "1");
  CHECK(ev(R"({"$strcasecmp": [null, ""]})") == "0");
}

TEST_CASE("$trim, $ltrim, $rtrim", "[json][expression][string]") {
  CHECK(ev(R"({"$trim": {"input": "  a b \n"}})") == R"("a b")");
  CHECK(ev(R"({"$ltrim": {"input": "  a  "}})") == R"("a  ")");
  CHECK(ev(R"({"$rtrim": {"input": "  a  "}})") == R"("  a")");
  CHECK(ev(R"({"$trim": {"input": "\u00a0\u3000x\u2003"}})") == R"("x")");
  CHECK(ev(R"({"$trim": {"input": "xxaxbxx", "chars": "x"}})") == R"("axb")");
  CHECK(ev(R"({"$trim": {"input": "éaé", "chars": "é"}})") == R"("a")");
  CHECK(ev(R"({"$trim": {"input": "   "}})") == R"("")");
  CHECK(ev(R"({"$trim": {"input": null}})") == "null");
  CHECK(ev(R"({"$trim": {"input": "$missing"}})") == "null");
  CHECK(eval_error(R"({"$trim": {"input": 5}})") ==
        "[reel.expression.evaluation_failed] at /x: $trim requires its input to be a string, found "
        "int");
  CHECK(compile_error(R"({"$trim": {"chars": "x"}})") ==
        "[reel.expression.bad_arguments] at /x: $trim requires an argument named 'input'");
  CHECK(compile_error(R"({"$trim": "abc"})") ==
        "[reel.expression.bad_arguments] at /x: $trim requires an object as its argument, found "
        "string");
}

TEST_CASE("$split, $strLenBytes, $strLenCP", "[json][expression][string]") {
  CHECK(ev(R"({"$split": ["a,b,,c", ","]})") == R"(["a","b","","c"])");
  CHECK(ev(R"({"$split": ["abc", "x"]})") == R"(["abc"])");
  CHECK(ev(R"({"$split": [",a,", ","]})") == R"(["","a",""])");
  CHECK(ev(R"({"$split": [null, ","]})") == "null");
  CHECK(eval_error(R"({"$split": ["abc", ""]})") ==
        "[reel.expression.evaluation_failed] at /x: $split requires a non-empty separator");
  CHECK(eval_error(R"({"$split": [1, ","]})") ==
        "[reel.expression.evaluation_failed] at /x: $split requires an expression that evaluates "
        "to a string as a first argument, found: int");
  CHECK(ev(R"({"$strLenBytes": "café"})") == "5");
  CHECK(ev(R"({"$strLenCP": "café"})") == "4");
  CHECK(ev(R"({"$strLenCP": ""})") == "0");
  CHECK(eval_error(R"({"$strLenBytes": "$missing"})") ==
        "[reel.expression.evaluation_failed] at /x: $strLenBytes requires a string argument, "
        "found: missing");
  CHECK(eval_error(R"({"$strLenCP": null})") ==
        "[reel.expression.evaluation_failed] at /x: $strLenCP requires a string argument, found: "
        "null");
}

TEST_CASE("$indexOfBytes, $indexOfCP", "[json][expression][string]") {
  CHECK(ev(R"({"$indexOfBytes": ["cafeteria", "e"]})") == "3");
  CHECK(ev(R"({"$indexOfBytes": ["cafeteria", "e", 4]})") == "5");
  CHECK(ev(R"({"$indexOfBytes": ["cafeteria", "e", 4, 5]})") == "-1");
  CHECK(ev(R"({"$indexOfBytes": ["cafeteria", "x"]})") == "-1");
  CHECK(ev(R"({"$indexOfBytes": ["abc", "", 1]})") == "1");
  CHECK(ev(R"({"$indexOfBytes": ["abc", "b", 5, 2]})") == "-1");
  CHECK(ev(R"({"$indexOfBytes": [null, "b"]})") == "null");
  CHECK(ev(R"({"$indexOfBytes": ["café-é", "é"]})") == "3");
  CHECK(ev(R"({"$indexOfCP": ["café-é", "é"]})") == "3");
  CHECK(ev(R"({"$indexOfCP": ["café-é", "é", 4]})") == "5");
  CHECK(eval_error(R"({"$indexOfCP": ["abc", 1]})") ==
        "[reel.expression.evaluation_failed] at /x: $indexOfCP requires a string as the second "
        "argument, found: int");
  CHECK(eval_error(R"({"$indexOfBytes": ["abc", "b", -1]})") ==
        "[reel.expression.evaluation_failed] at /x: $indexOfBytes starting index must be a "
        "non-negative integer");
}

TEST_CASE("$regexMatch, $regexFind, $regexFindAll", "[json][expression][string][regex]") {
  CHECK(ev(R"({"$regexMatch": {"input": "Hello World", "regex": "^hello", "options": "i"}})") ==
        "true");
  CHECK(ev(R"({"$regexMatch": {"input": "Hello World", "regex": "^hello"}})") == "false");
  CHECK(ev(R"({"$regexMatch": {"input": "$s", "regex": "x"}})") == "false");
  CHECK(ev(R"({"$regexMatch": {"input": "a\nb", "regex": "^b", "options": "m"}})") == "true");
  CHECK(ev(R"({"$regexMatch": {"input": "a\nb", "regex": "a.b"}})") == "false");
  CHECK(ev(R"({"$regexMatch": {"input": "a\nb", "regex": "a.b", "options": "s"}})") == "true");
  CHECK(ev(R"({"$regexMatch": {"input": "abc", "regex": "a b # comment\n c", "options": "x"}})") ==
        "true");
  CHECK(
      ev(R"({"$regexMatch": {"input": "ABC", "regex": {"$regularExpression": {"pattern": "b", "options": "i"}}}})") ==
      "true");
  CHECK(ev(R"({"$regexMatch": {"input": "ABC", "regex": "$re"}})", R"({"re": "B"})") == "true");
  CHECK(ev(R"({"$regexFind": {"input": "xx café 42 yy", "regex": "(é) (\\d+)(z)?"}})") ==
        R"({"match":"é 42","idx":6,"captures":["é","42",null]})");
  CHECK(ev(R"({"$regexFind": {"input": "abc", "regex": "z"}})") == "null");
  CHECK(ev(R"({"$regexFind": {"input": null, "regex": "z"}})") == "null");
  CHECK(ev(R"({"$regexFindAll": {"input": "a1b22c333", "regex": "\\d+"}})") ==
        R"([{"match":"1","idx":1,"captures":[]},{"match":"22","idx":3,"captures":[]},)"
        R"({"match":"333","idx":6,"captures":[]}])");
  CHECK(ev(R"({"$regexFindAll": {"input": "ab", "regex": "x*"}})") ==
        R"([{"match":"","idx":0,"captures":[]},{"match":"","idx":1,"captures":[]},)"
        R"({"match":"","idx":2,"captures":[]}])");
  CHECK(ev(R"({"$regexFindAll": {"input": "$none", "regex": "x"}})") == "[]");
  CHECK(eval_error(R"({"$regexMatch": {"input": 5, "regex": "x"}})") ==
        "[reel.expression.evaluation_failed] at /x: $regexMatch needs 'input' to be of type "
        "string, found int");
  CHECK(compile_error(R"({"$regexMatch": {"input": "a", "regex": "("}})") ==
        "[reel.expression.bad_arguments] at /x: invalid regular expression '(': missing closing "
        "parenthesis at offset 1");
  CHECK(compile_error(R"({"$regexMatch": {"input": "a", "regex": "a", "options": "q"}})") ==
        "[reel.expression.bad_arguments] at /x: invalid regular expression option 'q' (supported: "
        "i, m, s, x, u)");
  CHECK(eval_error(R"({"$regexMatch": {"input": "a", "regex": "$re"}})", R"({"re": "["})") ==
        "[reel.expression.invalid_regex] at /x: $regexMatch: invalid regular expression '[': "
        "missing terminating ] for character class at offset 1");
  CHECK(compile_error(R"({"$regexMatch": {"input": "a", "regexp": "a"}})") ==
        "[reel.expression.bad_arguments] at /x: $regexMatch does not take an argument named "
        "'regexp' (did you mean 'regex'?)");
}

TEST_CASE("$replaceOne, $replaceAll", "[json][expression][string]") {
  CHECK(ev(R"({"$replaceOne": {"input": "a-b-c", "find": "-", "replacement": "+"}})") ==
        R"("a+b-c")");
  CHECK(ev(R"({"$replaceAll": {"input": "a-b-c", "find": "-", "replacement": "+"}})") ==
        R"("a+b+c")");
  CHECK(ev(R"({"$replaceAll": {"input": "aaa", "find": "aa", "replacement": "b"}})") == R"("ba")");
  CHECK(ev(R"({"$replaceOne": {"input": "abc", "find": "x", "replacement": "y"}})") == R"("abc")");
  CHECK(ev(R"({"$replaceOne": {"input": "abc", "find": "", "replacement": "-"}})") == R"("-abc")");
  CHECK(ev(R"({"$replaceAll": {"input": "ab", "find": "", "replacement": "-"}})") == R"("-a-b-")");
  CHECK(ev(R"({"$replaceAll": {"input": null, "find": "a", "replacement": "b"}})") == "null");
  CHECK(ev(R"({"$replaceAll": {"input": "a", "find": "$m", "replacement": "b"}})") == "null");
  CHECK(eval_error(R"({"$replaceOne": {"input": 1, "find": "a", "replacement": "b"}})") ==
        "[reel.expression.evaluation_failed] at /x: $replaceOne requires that 'input' be a string, "
        "found: int");
  CHECK(compile_error(R"({"$replaceAll": {"input": "a", "find": "a"}})") ==
        "[reel.expression.bad_arguments] at /x: $replaceAll requires an argument named "
        "'replacement'");
}
