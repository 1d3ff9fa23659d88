// SPDX-License-Identifier: Apache-2.0
// Extended JSON into and out of reel::bson::value: every type, relaxed and canonical, both
// parsers, and the errors with their offsets and pointers.
#include <catch2/catch.hpp>

#include <string>

#include "error_of.hpp"
#include "reel/bson.hpp"

namespace bson_ejson_test {

using reel::bson::arena;
using reel::bson::ejson_format;
using reel::bson::ejson_reader;
using reel::bson::type;
using reel::bson::value;

std::string canonical(const value& v) {
  return reel::bson::to_ejson(v, {ejson_format::canonical});
}
std::string relaxed(const value& v) {
  return reel::bson::to_ejson(v, {ejson_format::relaxed});
}
std::string basic(const value& v) {
  return reel::bson::to_ejson(v, {ejson_format::basic});
}

// One document with every type, in canonical Extended JSON (the form that names every type).
const std::string every_type_canonical =
    R"({"double":{"$numberDouble":"1.5"},"string":"héllo \"q\"\n","doc":{"a":{"$numberInt":"1"}},)"
    R"("array":[{"$numberInt":"1"},"x",null],)"
    R"("bin":{"$binary":{"base64":"AQIDBA==","subType":"80"}},)"
    R"("uuid":{"$binary":{"base64":"ASNFZ4mrze8BI0VniavN7w==","subType":"04"}},)"
    R"("oid":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},"bool":true,)"
    R"("date":{"$date":{"$numberLong":"1717272000000"}},"null":null,)"
    R"("regex":{"$regularExpression":{"pattern":"^a.*b$","options":"im"}},)"
    R"("int32":{"$numberInt":"-7"},"ts":{"$timestamp":{"t":1700000000,"i":3}},)"
    R"("int64":{"$numberLong":"42"},"dec":{"$numberDecimal":"1.50"},)"
    R"("min":{"$minKey":1},"max":{"$maxKey":1},"undef":{"$undefined":true},)"
    R"("sym":{"$symbol":"s"},"code":{"$code":"function(){}"},)"
    R"("nan":{"$numberDouble":"NaN"},"inf":{"$numberDouble":"-Infinity"},)"
    R"("big":{"$numberDouble":"1.0E+20"},"old":{"$date":{"$numberLong":"-62135596800001"}}})";

TEST_CASE("Every BSON type round-trips through canonical Extended JSON", "[bson][ejson]") {
  arena a;
  ejson_reader reader;
  const value doc = reader.parse(every_type_canonical, a);
  REQUIRE(doc.is_document());
  CHECK(doc["double"].type() == type::double_);
  CHECK(doc["string"].as_string() == "héllo \"q\"\n");
  CHECK(doc["bin"].type() == type::binary);
  CHECK(doc["bin"].binary_subtype() == 0x80);
  CHECK(doc["bin"].binary_data().size() == 4);
  CHECK(doc["uuid"].binary_subtype() == 4);
  CHECK(doc["oid"].type() == type::object_id);
  CHECK(doc["date"].as_date() == 1717272000000);
  CHECK(doc["regex"].regex_pattern() == "^a.*b$");
  CHECK(doc["regex"].regex_options() == "im");
  CHECK(doc["int32"].type() == type::int32);
  CHECK(doc["int64"].type() == type::int64);
  CHECK(doc["int64"].as_int64() == 42);
  CHECK(doc["ts"].as_timestamp() == reel::bson::timestamp_value{1700000000, 3});
  CHECK(doc["dec"].type() == type::decimal128);
  CHECK(doc["min"].type() == type::min_key);
  CHECK(doc["max"].type() == type::max_key);
  CHECK(doc["undef"].type() == type::undefined);
  CHECK(doc["sym"].type() == type::symbol);
  CHECK(doc["code"].type() == type::code);
  CHECK(canonical(doc) == every_type_canonical);
  // Relaxed text read back keeps every type but one: an int64 that fits in 32 bits is written as
  // a plain number and read back as an int32 (the Extended JSON specification's relaxed form).
  arena b;
  std::string expected = every_type_canonical;
  const std::string long42 = R"({"$numberLong":"42"})";
  expected.replace(expected.find(long42), long42.size(), R"({"$numberInt":"42"})");
  CHECK(canonical(reader.parse(relaxed(doc), b)) == expected);
  // The fallback parser builds the same values.
  arena c;
  CHECK(canonical(reader.parse_with_fallback(every_type_canonical, c)) == every_type_canonical);
}

TEST_CASE("Relaxed Extended JSON writes numbers plainly and recent dates as ISO strings",
          "[bson][ejson]") {
  arena a;
  const value doc = reel::bson::parse_ejson(every_type_canonical, a);
  CHECK(relaxed(doc) ==
        R"({"double":1.5,"string":"héllo \"q\"\n","doc":{"a":1},"array":[1,"x",null],)"
        R"("bin":{"$binary":{"base64":"AQIDBA==","subType":"80"}},)"
        R"("uuid":{"$binary":{"base64":"ASNFZ4mrze8BI0VniavN7w==","subType":"04"}},)"
        R"("oid":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},"bool":true,)"
        R"("date":{"$date":"2024-06-01T20:00:00.000Z"},"null":null,)"
        R"("regex":{"$regularExpression":{"pattern":"^a.*b$","options":"im"}},)"
        R"("int32":-7,"ts":{"$timestamp":{"t":1700000000,"i":3}},"int64":42,)"
        R"("dec":{"$numberDecimal":"1.50"},"min":{"$minKey":1},"max":{"$maxKey":1},)"
        R"("undef":{"$undefined":true},"sym":{"$symbol":"s"},"code":{"$code":"function(){}"},)"
        R"("nan":{"$numberDouble":"NaN"},"inf":{"$numberDouble":"-Infinity"},"big":1e+20,)"
        R"("old":{"$date":{"$numberLong":"-62135596800001"}}})");
}

TEST_CASE("Basic JSON and the ISO-8601 date format", "[bson][ejson]") {
  arena a;
  const value doc = reel::bson::parse_ejson(
      R"({"d":{"$date":"2024-06-01T20:00:00Z"},"o":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},)"
      R"("n":{"$numberDecimal":"1.50"},"x":{"$numberDouble":"NaN"},"l":{"$numberLong":"5"}})",
      a);
  CHECK(basic(doc) ==
        R"({"d":1717272000000,"o":"5f1a2b3c4d5e6f7a8b9c0d1e","n":1.50,"x":null,"l":5})");
  CHECK(reel::bson::to_ejson(doc, {ejson_format::canonical, true}) ==
        R"({"d":"2024-06-01T20:00:00.000Z","o":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},)"
        R"("n":{"$numberDecimal":"1.50"},"x":{"$numberDouble":"NaN"},"l":{"$numberLong":"5"}})");
}

TEST_CASE("Plain JSON integers become int32, int64 or double as MongoDB's parser does",
          "[bson][ejson]") {
  arena a;
  const value doc = reel::bson::parse_ejson(
      R"({"a":2147483647,"b":2147483648,"c":-2147483649,"d":9223372036854775807,)"
      R"("e":9223372036854775808,"f":1.0})",
      a);
  CHECK(doc["a"].type() == type::int32);
  CHECK(doc["b"].type() == type::int64);
  CHECK(doc["c"].type() == type::int64);
  CHECK(doc["d"].type() == type::int64);
  CHECK(doc["e"].type() == type::double_);
  CHECK(doc["f"].type() == type::double_);
  CHECK(canonical(doc) ==
        R"({"a":{"$numberInt":"2147483647"},"b":{"$numberLong":"2147483648"},)"
        R"("c":{"$numberLong":"-2147483649"},"d":{"$numberLong":"9223372036854775807"},)"
        R"("e":{"$numberDouble":"9.223372036854776E+18"},"f":{"$numberDouble":"1.0"}})");
}

TEST_CASE("Every $date operand form and the legacy wrappers", "[bson][ejson]") {
  arena a;
  const value doc = reel::bson::parse_ejson(
      R"({"iso":{"$date":"2024-06-01T22:00:00+02:00"},"num":{"$date":1717272000000},)"
      R"("long":{"$date":{"$numberLong":"1717272000000"}},)"
      R"("bin":{"$binary":"AQI=","$type":"5"},"re":{"$regex":"x+","$options":"i"},)"
      R"("uuid":{"$uuid":"01234567-89ab-cdef-0123-456789abcdef"},)"
      R"("query":{"$regex":"only a query operator"},"other":{"$in":[1,2]}})",
      a);
  CHECK(doc["iso"].as_date() == 1717272000000);
  CHECK(doc["num"].as_date() == 1717272000000);
  CHECK(doc["long"].as_date() == 1717272000000);
  CHECK(relaxed(doc["bin"]) == R"({"$binary":{"base64":"AQI=","subType":"05"}})");
  CHECK(relaxed(doc["re"]) == R"({"$regularExpression":{"pattern":"x+","options":"i"}})");
  CHECK(relaxed(doc["uuid"]) ==
        R"({"$binary":{"base64":"ASNFZ4mrze8BI0VniavN7w==","subType":"04"}})");
  // Objects that are not wrappers stay documents.
  CHECK(doc["query"].is_document());
  CHECK(doc["other"].is_document());
}

TEST_CASE("Malformed JSON fails with its byte offset, with both parsers", "[bson][ejson]") {
  using reel_test::error_of;
  arena a;
  ejson_reader reader;
  for (const bool fallback : {false, true}) {
    const auto parse = [&](std::string_view text) {
      return error_of(
          [&] { (void)(fallback ? reader.parse_with_fallback(text, a) : reader.parse(text, a)); });
    };
    CHECK(parse(R"({"a": 1,})") ==
          "[reel.input.invalid_json] invalid JSON at byte 8: syntax error while parsing object "
          "key - unexpected '}'; expected string literal");
    CHECK(parse(R"({"a": tru})") ==
          "[reel.input.invalid_json] invalid JSON at byte 9: syntax error while parsing value - "
          "invalid literal; last read: '\"a\": tru}'");
    CHECK(parse(std::string(201, '[') + std::string(201, ']')) ==
          "[reel.input.invalid_json] invalid JSON at byte 200: nesting deeper than 200 levels");
    // The reader is still usable after an error.
    CHECK(relaxed(fallback ? reader.parse_with_fallback(R"({"ok":1})", a)
                           : reader.parse(R"({"ok":1})", a)) == R"({"ok":1})");
  }
}

TEST_CASE("Malformed wrappers fail with the JSON pointer of the wrapper", "[bson][ejson]") {
  using reel_test::error_of;
  arena a;
  const auto parse = [&](std::string_view text) {
    return error_of([&] { (void)reel::bson::parse_ejson(text, a); });
  };
  CHECK(parse(R"({"a":{"$numberInt":"x"}})") ==
        "[reel.input.invalid_ejson] at /a: $numberInt must be a string holding a 32-bit integer, "
        "found \"x\"");
  CHECK(parse(R"({"a":[1,{"$numberLong":"99999999999999999999"}]})") ==
        "[reel.input.invalid_ejson] at /a/1: $numberLong must be a string holding a 64-bit "
        "integer, found \"99999999999999999999\"");
  CHECK(parse(R"({"t/x":{"$oid":"abc"}})") ==
        "[reel.input.invalid_ejson] at /t~1x: $oid must be a string of 24 hex digits, found "
        "\"abc\"");
  CHECK(parse(R"({"d":{"$date":"yesterday"}})") ==
        "[reel.input.invalid_ejson] at /d: $date must be an ISO-8601 string, an integer or "
        "{\"$numberLong\": \"…\"}, found \"yesterday\"");
  CHECK(parse(R"({"n":{"$numberDecimal":"one"}})") ==
        "[reel.input.invalid_ejson] at /n: $numberDecimal must be a string holding a decimal, "
        "found \"one\"");
  CHECK(parse(R"({"b":{"$binary":{"base64":"!!","subType":"00"}}})") ==
        "[reel.input.invalid_ejson] at /b: $binary base64 is not valid base64, found \"!!\"");
}

TEST_CASE("simdjson and the fallback parser build the same values", "[bson][ejson]") {
  ejson_reader reader;
  for (const char* text : {
           R"({"a":-2147483648,"b":-2147483649,"c":18446744073709551615,"d":1.5e300})",
           R"({"big":18446744073709551616})",
           R"({"s":"\ud83d\ude00 \u00e9 \/ \b"})",
           R"([{"$date":-1},{"$date":{"$numberLong":"-1"}},{"$date":"1969-12-31T23:59:59.999Z"}])",
           R"({"$numberLong":"5"})",
           R"({"x":{"$timestamp":{"t":4294967295,"i":1}},"k":[],"o":{}})",
           R"("just a string")",
           "123",
           "true",
           "null",
       }) {
    INFO(text);
    arena a, b;
    CHECK(canonical(reader.parse(text, a)) == canonical(reader.parse_with_fallback(text, b)));
  }
  arena a;
  CHECK(canonical(reader.parse(R"({"$numberLong":"5"})", a)) == R"({"$numberLong":"5"})");
  CHECK(canonical(reader.parse(R"({"big":18446744073709551616})", a)) ==
        R"({"big":{"$numberDouble":"1.8446744073709552E+19"}})");
}

TEST_CASE("Strings are escaped and kept byte for byte", "[bson][ejson]") {
  arena a;
  const value doc = reel::bson::parse_ejson(R"({"s":"tab\tnul\u0000é\u00e9😀\\"})", a);
  CHECK(doc["s"].as_string() == std::string_view("tab\tnul\0éé😀\\", 17));
  CHECK(relaxed(doc) == R"({"s":"tab\tnul\u0000éé😀\\"})");
}

}  // namespace bson_ejson_test
