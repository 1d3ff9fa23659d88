// SPDX-License-Identifier: Apache-2.0
// Type conversion operators.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

TEST_CASE("$toInt, $toLong", "[json][expression][convert]") {
  CHECK(ev(R"({"$toInt": "42"})") == "42");
  CHECK(ev(R"({"$toInt": "-7"})") == "-7");
  CHECK(ev(R"({"$toInt": 4.9})") == "4");
  CHECK(ev(R"({"$toInt": -4.9})") == "-4");
  CHECK(ev(R"({"$toInt": true})") == "1");
  CHECK(ev(R"({"$toInt": {"$numberLong": "12"}})") == "12");
  CHECK(ev(R"({"$toInt": null})") == "null");
  CHECK(ev(R"({"$toInt": "$missing"})") == "null");
  CHECK(
      eval_error(R"({"$toInt": "abc"})") ==
      "[reel.expression.evaluation_failed] at /x: $toInt: Failed to parse number 'abc' in $convert "
      "with no onError value");
  CHECK(
      eval_error(R"({"$toInt": "4.5"})") ==
      "[reel.expression.evaluation_failed] at /x: $toInt: Failed to parse number '4.5' in $convert "
      "with no onError value");
  CHECK(
      eval_error(R"({"$toInt": 3000000000})") ==
      "[reel.expression.evaluation_failed] at /x: $toInt: Conversion would overflow target type in "
      "$convert with no onError value: 3000000000");
  CHECK(
      eval_error(R"({"$toInt": {"$date": 0}})") ==
      "[reel.expression.evaluation_failed] at /x: $toInt: Unsupported conversion from date to int "
      "in $convert with no onError value");
  CHECK(
      eval_error(R"({"$toInt": {"$numberDouble": "NaN"}})") ==
      "[reel.expression.evaluation_failed] at /x: $toInt: Attempt to convert NaN value to integer "
      "type in $convert with no onError value");
  CHECK(ev(R"({"$toLong": "9000000000"})") == "9000000000");
  CHECK(ev(R"({"$toLong": {"$date": "2024-03-15T13:45:30.123Z"}})") == "1710510330123");
  CHECK(ev(R"({"$toLong": 1e18})") == "1000000000000000000");
  CHECK(eval_error(R"({"$toLong": 1e19})") ==
        "[reel.expression.evaluation_failed] at /x: $toLong: Conversion would overflow target type "
        "in "
        "$convert with no onError value: 1e+19");
}

TEST_CASE("$toDouble, $toDecimal, $toString, $toBool, $toObjectId", "[json][expression][convert]") {
  CHECK(ev(R"({"$toDouble": "1.5"})") == "1.5");
  CHECK(ev(R"({"$toDouble": "-2e3"})") == "-2000.0");
  CHECK(ev(R"({"$toDouble": 3})") == "3.0");
  CHECK(ev(R"({"$toDouble": false})") == "0.0");
  CHECK(ev(R"({"$toDouble": {"$date": 1000}})") == "1000.0");
  CHECK(eval_error(R"({"$toDouble": "1.5x"})") ==
        "[reel.expression.evaluation_failed] at /x: $toDouble: Failed to parse number '1.5x' in "
        "$convert with no onError value");
  CHECK(ev(R"({"$toDecimal": "2.5"})") == "2.5");
  CHECK(ev(R"({"$toDecimal": 2})") == "2.0");
  CHECK(ev(R"({"$toString": 1})") == R"("1")");
  CHECK(ev(R"({"$toString": 1.5})") == R"("1.5")");
  CHECK(ev(R"({"$toString": 3.0})") == R"("3")");
  CHECK(ev(R"({"$toString": 1e21})") == R"("1e+21")");
  CHECK(ev(R"({"$toString": 1.23456789})") == R"("1.23457")");  // %g, as MongoDB
  CHECK(ev(R"({"$toString": 0.1})") == R"("0.1")");
  CHECK(ev(R"({"$toString": -0.0})") == R"("-0")");
  CHECK(ev(R"({"$toString": {"$numberDouble": "-Infinity"}})") == R"("-Infinity")");
  CHECK(ev(R"({"$toString": 9007199254740993})") == R"("9007199254740993")");
  CHECK(ev(R"({"$toString": true})") == R"("true")");
  CHECK(ev(R"({"$toString": {"$date": "2024-03-15T13:45:30.123Z"}})") ==
        R"("2024-03-15T13:45:30.123Z")");
  CHECK(ev(R"({"$toString": {"$oid": "65F450FA0000000000000000"}})") ==
        R"("65f450fa0000000000000000")");
  CHECK(ev(R"({"$toString": null})") == "null");
  CHECK(
      eval_error(R"({"$toString": [[1]]})") ==
      "[reel.expression.evaluation_failed] at /x: $toString: Unsupported conversion from array to "
      "string in $convert with no onError value");
  CHECK(ev(R"({"$toBool": 0})") == "false");
  CHECK(ev(R"({"$toBool": 0.0})") == "false");
  CHECK(ev(R"({"$toBool": 2})") == "true");
  CHECK(ev(R"({"$toBool": ""})") == "true");
  CHECK(ev(R"({"$toBool": "false"})") == "true");
  CHECK(ev(R"({"$toBool": {"$date": 0}})") == "true");
  CHECK(ev(R"({"$toBool": null})") == "null");
  CHECK(eval_error(R"({"$toBool": {"a": 1}})") ==
        "[reel.expression.evaluation_failed] at /x: $toBool: Unsupported conversion from object to "
        "bool in $convert with no onError value");
  CHECK(ev(R"({"$toObjectId": "65f450fa0000000000000000"})") ==
        R"({"$oid":"65f450fa0000000000000000"})");
  CHECK(eval_error(R"({"$toObjectId": "xyz"})") ==
        "[reel.expression.evaluation_failed] at /x: $toObjectId: Failed to parse objectId 'xyz' in "
        "$convert with no onError value: invalid string length for parsing to OID, expected 24 hex "
        "digits");
}

TEST_CASE("$toDate", "[json][expression][convert]") {
  CHECK(ev(R"({"$toDate": "2024-03-15T13:45:30.123Z"})") ==
        R"({"$date":"2024-03-15T13:45:30.123Z"})");
  CHECK(ev(R"({"$toDate": "2024-03-15T14:45:30.123+01:00"})") ==
        R"({"$date":"2024-03-15T13:45:30.123Z"})");
  CHECK(ev(R"({"$toDate": 1710510330123})") == R"({"$date":"2024-03-15T13:45:30.123Z"})");
  CHECK(ev(R"({"$toDate": 1.5e12})") == R"({"$date":"2017-07-14T02:40:00.000Z"})");
  CHECK(ev(R"({"$toDate": 0})") == R"({"$date":"1970-01-01T00:00:00.000Z"})");
  CHECK(ev(R"({"$toDate": {"$oid": "65f450fa0000000000000000"}})") ==
        R"({"$date":"2024-03-15T13:45:30.000Z"})");
  CHECK(ev(R"({"$toDate": {"$date": 5}})") == R"({"$date":"1970-01-01T00:00:00.005Z"})");
  CHECK(ev(R"({"$toDate": "$ts"})", R"({"ts": "2024-01-01T00:00:00Z"})") ==
        R"({"$date":"2024-01-01T00:00:00.000Z"})");
  CHECK(ev(R"({"$toDate": null})") == "null");
  CHECK(eval_error(R"({"$toDate": "abc"})") ==
        "[reel.expression.evaluation_failed] at /x: $toDate: error parsing date string 'abc' in "
        "$convert with no onError value");
  CHECK(eval_error(R"({"$toDate": true})") ==
        "[reel.expression.evaluation_failed] at /x: $toDate: Unsupported conversion from bool to "
        "date "
        "in $convert with no onError value");
}

TEST_CASE("$convert", "[json][expression][convert]") {
  CHECK(ev(R"({"$convert": {"input": "abc", "to": "int", "onError": -1}})") == "-1");
  CHECK(ev(R"({"$convert": {"input": null, "to": "int", "onNull": 0}})") == "0");
  CHECK(ev(R"({"$convert": {"input": "$nope", "to": "int", "onNull": "$$REMOVE"}})") == "missing");
  CHECK(ev(R"({"$convert": {"input": null, "to": "int"}})") == "null");
  CHECK(ev(R"({"$convert": {"input": "5", "to": 16}})") == "5");
  CHECK(ev(R"({"$convert": {"input": "5", "to": 1}})") == "5.0");
  CHECK(ev(R"({"$convert": {"input": 5, "to": "$t"}})", R"({"t": "string"})") == R"("5")");
  CHECK(ev(R"({"$convert": {"input": 5, "to": {"type": "bool"}}})") == "true");
  CHECK(ev(R"({"$convert": {"input": "2024-01-01", "to": "date"}})") ==
        R"({"$date":"2024-01-01T00:00:00.000Z"})");
  CHECK(eval_error(R"({"$convert": {"input": "abc", "to": "int"}})") ==
        "[reel.expression.evaluation_failed] at /x: $convert: Failed to parse number 'abc' in "
        "$convert with no onError value");
  CHECK(eval_error(R"({"$convert": {"input": 1, "to": "$t"}})", R"({"t": "integer"})") ==
        "[reel.expression.evaluation_failed] at /x: $convert: unknown target type \"integer\"");
  CHECK(compile_error(R"({"$convert": {"input": 1, "to": "strin"}})") ==
        "[reel.expression.bad_arguments] at /x: $convert: unknown target type \"strin\" (did you "
        "mean 'string'?)");
  CHECK(compile_error(R"({"$convert": {"input": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $convert requires an argument named 'to'");
  CHECK(compile_error(R"({"$convert": {"input": 1, "to": "int", "onErr": 0}})") ==
        "[reel.expression.bad_arguments] at /x: $convert does not take an argument named 'onErr' "
        "(did you mean 'onError'?)");
}

namespace {
std::string bin(const std::string& base64, const std::string& subtype = "00") {
  return R"({"$binary":{"base64":")" + base64 + R"(","subType":")" + subtype + R"("}})";
}
}  // namespace

TEST_CASE("$convert numbers to and from binData with byteOrder", "[json][expression][convert]") {
  // int → 4 bytes, long → 8 bytes, double → 8 bytes (IEEE 754); little-endian by default.
  CHECK(ev(R"({"$convert": {"input": 1, "to": "binData"}})") == bin("AQAAAA=="));
  CHECK(ev(R"({"$convert": {"input": 1, "to": "binData", "byteOrder": "big"}})") ==
        bin("AAAAAQ=="));
  CHECK(ev(R"({"$convert": {"input": "$l", "to": "binData"}})", R"({"l": {"$numberLong": "1"}})") ==
        bin("AQAAAAAAAAA="));
  CHECK(ev(R"({"$convert": {"input": 1.0, "to": "binData", "byteOrder": "big"}})") ==
        bin("P/AAAAAAAAA="));
  CHECK(ev(R"({"$convert": {"input": 1.0, "to": "binData", "byteOrder": "little"}})") ==
        bin("AAAAAAAA8D8="));
  // binData → int from 1, 2 or 4 bytes, → long from 1, 2, 4 or 8 bytes, signed.
  const std::string one_big = R"({"b": )" + bin("AAAAAQ==") + "}";
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "int", "byteOrder": "big"}})", one_big) == "1");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "int"}})", one_big) == "16777216");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "long", "byteOrder": "big"}})",
           R"({"b": )" + bin("AAAAAAAAAAE=") + "}") == "1");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "int"}})", R"({"b": )" + bin("/w==") + "}") ==
        "-1");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "int", "byteOrder": "big"}})",
           R"({"b": )" + bin("AQA=") + "}") == "256");
  CHECK(eval_error(R"({"$convert": {"input": "$b", "to": "int"}})",
                   R"({"b": )" + bin("AAAAAAAAAAE=") + "}") ==
        "[reel.expression.evaluation_failed] at /x: $convert: Failed to convert binData of 8 bytes "
        "to int: it needs 1, 2 or 4 bytes");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "int", "onError": "bad"}})",
           R"({"b": )" + bin("AAAAAAAAAAAA") + "}") == R"("bad")");
  // binData → double from 8 bytes (double) or 4 bytes (float).
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "double", "byteOrder": "big"}})",
           R"({"b": )" + bin("P/AAAAAAAAA=") + "}") == "1.0");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "double", "byteOrder": "big"}})",
           R"({"b": )" + bin("P4AAAA==") + "}") == "1.0");
  // Round trip through binData, as for a Kafka header written by a Java producer (big-endian).
  CHECK(ev(R"({"$convert": {"input": {"$convert": {"input": 123456789, "to": "binData",
              "byteOrder": "big"}}, "to": "int", "byteOrder": "big"}})") == "123456789");
}

TEST_CASE("$convert strings to and from binData with format", "[json][expression][convert]") {
  const std::string hello = R"({"b": )" + bin("aGVsbG8=") + "}";
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "string", "format": "utf8"}})", hello) ==
        R"("hello")");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "string", "format": "hex"}})", hello) ==
        R"("68656c6c6f")");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "string", "format": "base64"}})", hello) ==
        R"("aGVsbG8=")");
  CHECK(ev(R"({"$convert": {"input": "$b", "to": "string", "format": "base64url"}})",
           R"({"b": )" + bin("+/8=") + "}") == R"("-_8")");
  CHECK(ev(R"({"$convert": {"input": "hello", "to": "binData", "format": "utf8"}})") ==
        bin("aGVsbG8="));
  CHECK(ev(R"({"$convert": {"input": "68656C6C6F", "to": "binData", "format": "hex"}})") ==
        bin("aGVsbG8="));
  CHECK(ev(R"({"$convert": {"input": "-_8", "to": "binData", "format": "base64url"}})") ==
        bin("+/8="));
  // $toString of binData is its base64 (it does not read the bytes as UTF-8).
  CHECK(ev(R"({"$toString": "$b"})", hello) == R"("aGVsbG8=")");
  // UUIDs: subtype 4.
  CHECK(ev(R"({"$convert": {"input": "123e4567-e89b-12d3-a456-426614174000",
              "to": {"type": "binData", "subtype": 4}, "format": "uuid"}})") ==
        bin("Ej5FZ+ibEtOkVkJmFBdAAA==", "04"));
  CHECK(ev(R"({"$convert": {"input": "$u", "to": "string", "format": "uuid"}})",
           R"({"u": )" + bin("Ej5FZ+ibEtOkVkJmFBdAAA==", "04") + "}") ==
        R"("123e4567-e89b-12d3-a456-426614174000")");
  CHECK(eval_error(R"({"$convert": {"input": "123e4567-e89b-12d3-a456-426614174000",
                     "to": "binData", "format": "uuid"}})") ==
        "[reel.expression.evaluation_failed] at /x: $convert: Only the UUID subtype (4) is "
        "allowed with the 'uuid' format");
  CHECK(eval_error(R"({"$convert": {"input": "$b", "to": "string"}})", hello) ==
        "[reel.expression.evaluation_failed] at /x: $convert: Format must be specified when "
        "converting from 'binData' to 'string'");
  CHECK(eval_error(R"({"$convert": {"input": "$b", "to": "string", "format": "utf8"}})",
                   R"({"b": )" + bin("/w==") + "}") ==
        "[reel.expression.evaluation_failed] at /x: $convert: Failed to convert binData to a utf8 "
        "string: the bytes are not valid UTF-8");
  CHECK(eval_error(R"({"$convert": {"input": "xyz", "to": "binData", "format": "hex"}})") ==
        "[reel.expression.evaluation_failed] at /x: $convert: Failed to parse BinData 'xyz' as "
        "hex");
  CHECK(compile_error(R"({"$convert": {"input": 1, "to": "binData", "byteOrder": "middle"}})") ==
        "[reel.expression.bad_arguments] at /x/$convert/byteOrder: $convert: byteOrder must be "
        "\"little\" "
        "or \"big\", not \"middle\"");
  CHECK(compile_error(R"({"$convert": {"input": "a", "to": "binData", "format": "base46"}})") ==
        "[reel.expression.bad_arguments] at /x/$convert/format: $convert: format must be base64, "
        "base64url, hex, uuid or utf8, not \"base46\" (did you mean 'base64'?)");
}

TEST_CASE("$currentDate is the processing time of the processor's clock",
          "[json][expression][convert]") {
  reel::manual_clock clock(*reel::parse_iso8601("2025-01-24T11:57:22.033Z"));
  reel::json::eval_context ctx;
  ctx.clock = &clock;
  const auto e = reel::json::compile_expression(reel_test::J(R"({"$currentDate": {}})"), "/x");
  CHECK(e.evaluate(reel_test::J("{}"), ctx) ==
        reel_test::J(R"({"$date": "2025-01-24T11:57:22.033Z"})"));
  clock.advance(reel::duration{4003});
  CHECK(e.evaluate(reel_test::J("{}"), ctx) ==
        reel_test::J(R"({"$date": "2025-01-24T11:57:26.036Z"})"));
  CHECK(compile_error(R"({"$currentDate": {"x": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $currentDate takes an empty object: "
        "{\"$currentDate\": {}}");
}
