// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/json/ejson.hpp.
#include "reel/json/ejson.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "reel/json/mongosh_syntax.hpp"

using reel::json::document;
using reel::json::parse_ejson_line;
using reel::json::to_basic_json;
using reel::json::to_canonical_ejson;
using reel::json::to_relaxed_ejson;

namespace {

std::string ejson_error_of(std::string_view text) {
  try {
    parse_ejson_line(text);
  } catch (const reel::error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("relaxed input: plain JSON, integers signed", "[json][ejson]") {
  const document d = parse_ejson_line(
      R"({"a": 1, "b": -2, "c": 1.5, "d": "x", "e": [true, null], "f": 9223372036854775807,)"
      R"( "g": 18446744073709551615, "h": {"i": {}}})");
  CHECK(d["a"] == 1);
  CHECK(d["a"].is_number_integer());
  CHECK_FALSE(d["a"].is_number_unsigned());
  CHECK(d["b"] == -2);
  CHECK(d["c"] == 1.5);
  CHECK(d["f"] == INT64_MAX);
  CHECK_FALSE(d["f"].is_number_unsigned());
  CHECK(d["g"].is_number_float());  // beyond int64: a double, as MongoDB reads it
  CHECK(d["g"] == 18446744073709551615.0);
  CHECK(d.begin().key() == "a");  // field order kept
  CHECK(
      d.dump() ==
      R"({"a":1,"b":-2,"c":1.5,"d":"x","e":[true,null],"f":9223372036854775807,"g":1.8446744073709552e+19,"h":{"i":{}}})");
  CHECK(parse_ejson_line("5") == 5);
  CHECK(parse_ejson_line(" \"s\" \n") == "s");
}

TEST_CASE("canonical input is normalised", "[json][ejson]") {
  const document d = parse_ejson_line(R"({
    "i": {"$numberInt": "-5"},
    "l": {"$numberLong": "9223372036854775807"},
    "d": {"$numberDouble": "1.5"},
    "d1": {"$numberDouble": "1.0"},
    "inf": {"$numberDouble": "Infinity"},
    "ninf": {"$numberDouble": "-Infinity"},
    "nan": {"$numberDouble": "NaN"},
    "dc": {"$date": {"$numberLong": "1723498861788"}},
    "dr": {"$date": "2024-08-12T21:41:01.788+00:00"},
    "dz": {"$date": "2024-08-12T23:41:01.788+02:00"},
    "dl": {"$date": 1723498861788},
    "y0": {"$date": {"$numberLong": "-62167219200000"}},
    "old": {"$date": {"$numberLong": "-62167219200001"}},
    "far": {"$date": {"$numberLong": "253402300800000"}},
    "arr": [{"$numberInt": "1"}, {"$numberLong": "2"}, {"nested": {"$numberDouble": "-0.5"}}],
    "oid": {"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"},
    "dec": {"$numberDecimal": "1.50"},
    "bin": {"$binary": {"base64": "AQID", "subType": "00"}},
    "ts": {"$timestamp": {"t": 1, "i": 2}},
    "two": {"$numberInt": "1", "x": 2}
  })");
  CHECK(d["i"] == -5);
  CHECK(d["i"].is_number_integer());
  CHECK(d["l"] == INT64_MAX);
  CHECK(d["d"] == 1.5);
  CHECK(d["d1"].is_number_float());
  CHECK(d["d1"] == 1.0);
  CHECK(d["inf"] == std::numeric_limits<double>::infinity());
  CHECK(d["ninf"] == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(d["nan"].get<double>()));
  const document expected_date = document::parse(R"({"$date": "2024-08-12T21:41:01.788Z"})");
  CHECK(d["dc"] == expected_date);
  CHECK(d["dr"] == expected_date);
  CHECK(d["dz"] == expected_date);
  CHECK(d["dl"] == expected_date);
  CHECK(d["y0"] == document::parse(R"({"$date": "0000-01-01T00:00:00.000Z"})"));
  CHECK(d["old"] == document::parse(R"({"$date": {"$numberLong": "-62167219200001"}})"));
  CHECK(d["far"] == document::parse(R"({"$date": {"$numberLong": "253402300800000"}})"));
  CHECK(d["arr"] == document::parse(R"([1, 2, {"nested": -0.5}])"));
  CHECK(d["oid"] == document::parse(R"({"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"})"));
  CHECK(d["dec"] == document::parse(R"({"$numberDecimal": "1.50"})"));
  CHECK(d["bin"] == document::parse(R"({"$binary": {"base64": "AQID", "subType": "00"}})"));
  CHECK(d["ts"] == document::parse(R"({"$timestamp": {"t": 1, "i": 2}})"));
  CHECK(d["two"] == document::parse(R"({"$numberInt": "1", "x": 2})"));  // not a wrapper
}

TEST_CASE("an ISO $date is read as parse_iso8601 reads it, in any spelling", "[json][ejson]") {
  // The usual spelling (make_date's) is kept in place; every other one is normalised to it, and
  // a text parse_iso8601 refuses is an error, whichever path reads it.
  const auto expected = [](const std::string& text) -> std::string {
    const auto t = reel::parse_iso8601(text);
    return t ? reel::json::make_date(*t).dump() : "error";
  };
  const auto read = [](const std::string& text) -> std::string {
    try {
      return parse_ejson_line(R"({"t": {"$date": ")" + text + R"("}})")["t"].dump();
    } catch (const reel::error&) {
      return "error";
    }
  };
  for (const std::string text :
       {"2024-06-01T20:00:00.000Z", "2024-02-29T23:59:59.999Z", "0000-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z", "2024-08-12T21:41:01Z", "2024-08-12T21:41:01.7Z",
        "2024-08-12T23:41:01.788+02:00", "2024-01-01t00:00:00.000Z", "2023-02-29T00:00:00.000Z",
        "2024-01-01T24:00:00.000Z", "2024-01-01T00:00:60.000Z", "2024-13-01T00:00:00.000Z",
        "2024-01-01T00:00:00.000z", "2024-1-01T00:00:00.000Z"}) {
    INFO(text);
    CHECK(read(text) == expected(text));
  }
  CHECK(read("2024-06-01T20:00:00.000Z") == R"({"$date":"2024-06-01T20:00:00.000Z"})");
  CHECK(read("2023-02-29T00:00:00.000Z") == "error");
}

TEST_CASE("invalid JSON: byte offset in the message", "[json][ejson][errors]") {
  CHECK(ejson_error_of("{]") ==
        "[reel.input.invalid_json] invalid JSON at byte 1: syntax error while parsing object key "
        "- unexpected ']'; expected string literal");
  CHECK(ejson_error_of("") ==
        "[reel.input.invalid_json] invalid JSON at byte 0: syntax error while parsing value - "
        "unexpected end of input; expected '[', '{', or a literal");
  CHECK(ejson_error_of(R"({"a": 1} x)") ==
        "[reel.input.invalid_json] invalid JSON at byte 9: syntax error while parsing value - "
        "invalid literal; last read: '1} x'; expected end of input");
  CHECK(ejson_error_of(R"({"a": tru})") ==
        "[reel.input.invalid_json] invalid JSON at byte 9: syntax error while parsing value - "
        "invalid literal; last read: '\"a\": tru}'");
  CHECK(ejson_error_of("[1, 2") ==
        "[reel.input.invalid_json] invalid JSON at byte 5: syntax error while parsing array - "
        "unexpected end of input; expected ']'");
  CHECK(ejson_error_of("{a: 1}") ==
        "[reel.input.invalid_json] invalid JSON at byte 1: syntax error while parsing object key "
        "- invalid literal; last read: '{a'; expected string literal");
  try {
    parse_ejson_line("{]");
    FAIL("expected an error");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.input.invalid_json");
    CHECK(e.where().empty());
  }
}

TEST_CASE("invalid EJSON wrappers name their JSON pointer", "[json][ejson][errors]") {
  CHECK(ejson_error_of(R"({"a": {"$numberInt": "x"}})") ==
        "[reel.input.invalid_ejson] at /a: $numberInt must be a string holding a 32-bit integer, "
        "found \"x\"");
  CHECK(ejson_error_of(R"({"a": [0, {"b/c~": {"$numberInt": "2147483648"}}]})") ==
        "[reel.input.invalid_ejson] at /a/1/b~1c~0: $numberInt must be a string holding a 32-bit "
        "integer, found \"2147483648\"");
  CHECK(ejson_error_of(R"({"a": {"$numberLong": 5}})") ==
        "[reel.input.invalid_ejson] at /a: $numberLong must be a string holding a 64-bit integer, "
        "found 5");
  CHECK(ejson_error_of(R"([{"$numberDouble": "one"}])") ==
        "[reel.input.invalid_ejson] at /0: $numberDouble must be a string holding a number, found "
        "\"one\"");
  CHECK(ejson_error_of(R"({"t": {"$date": "yesterday"}})") ==
        "[reel.input.invalid_ejson] at /t: $date must be an ISO-8601 string, an integer or "
        "{\"$numberLong\": \"…\"}, found \"yesterday\"");
  CHECK(ejson_error_of(R"({"$date": true})") ==
        "[reel.input.invalid_ejson] $date must be an ISO-8601 string, an integer or "
        "{\"$numberLong\": \"…\"}, found true");
}

TEST_CASE("nesting beyond 200 levels is rejected, without recursion", "[json][ejson][errors]") {
  const std::string ok = std::string(200, '[') + std::string(200, ']');
  CHECK(parse_ejson_line(ok).is_array());
  const std::string deep = std::string(201, '[') + std::string(201, ']');
  CHECK(ejson_error_of(deep) ==
        "[reel.input.invalid_json] invalid JSON at byte 200: nesting deeper than 200 levels");
  std::string mixed;
  for (int i = 0; i < 150; ++i)
    mixed += R"({"a":[)";
  CHECK(ejson_error_of(mixed) ==
        "[reel.input.invalid_json] invalid JSON at byte 600: nesting deeper than 200 levels");
  // Brackets inside strings do not count.
  const std::string strings = "[\"" + std::string(500, '[') + "\"]";
  CHECK(parse_ejson_line(strings)[0].get<std::string>().size() == 500);
  // A million levels: fails fast and cleanly.
  const std::string huge_depth(1'000'000, '[');
  CHECK(ejson_error_of(huge_depth) ==
        "[reel.input.invalid_json] invalid JSON at byte 200: nesting deeper than 200 levels");
}

TEST_CASE("huge documents are fine", "[json][ejson]") {
  std::string text = "{\"items\":[";
  for (int i = 0; i < 200'000; ++i) {
    if (i) text += ',';
    text += "{\"n\":{\"$numberLong\":\"" + std::to_string(i) + "\"}}";
  }
  text += "],\"blob\":\"" + std::string(5'000'000, 'x') + "\"}";
  const document d = parse_ejson_line(text);
  CHECK(d["items"].size() == 200'000);
  CHECK(d["items"][199'999]["n"] == 199'999);
  CHECK(d["blob"].get_ref<const std::string&>().size() == 5'000'000);
  CHECK(parse_ejson_line(to_canonical_ejson(d)) == d);
}

TEST_CASE("relaxed output", "[json][ejson]") {
  const document d = parse_ejson_line(R"({
    "i": 5, "big": 9007199254740993, "neg": -2147483649, "f": 1.5, "whole": 2.0, "tiny": 1e-7,
    "inf": {"$numberDouble": "Infinity"}, "nan": {"$numberDouble": "NaN"},
    "at": {"$date": "2024-08-12T21:41:01.788Z"},
    "before1970": {"$date": {"$numberLong": "-1000"}},
    "oid": {"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"}, "dec": {"$numberDecimal": "1.50"},
    "s": "quote \" backslash \\ nl \n tab \t ctl \u0001 é 😀", "nil": null, "b": [true, false]
  })");
  CHECK(to_relaxed_ejson(d) ==
        R"({"i":5,"big":9007199254740993,"neg":-2147483649,"f":1.5,"whole":2.0,"tiny":1e-07,)"
        R"("inf":{"$numberDouble":"Infinity"},"nan":{"$numberDouble":"NaN"},)"
        R"("at":{"$date":"2024-08-12T21:41:01.788Z"},)"
        R"("before1970":{"$date":{"$numberLong":"-1000"}},)"
        R"("oid":{"$oid":"64b7c5f1a2d3e4f5a6b7c8d9"},"dec":{"$numberDecimal":"1.50"},)"
        R"("s":"quote \" backslash \\ nl \n tab \t ctl \u0001 é 😀","nil":null,"b":[true,false]})");
}

TEST_CASE("relaxed output writes canonical wrappers found in a document as numbers",
          "[json][ejson]") {
  const document d = document::parse(
      R"({"a": {"$numberInt": "5"}, "b": {"$numberLong": "-7"}, "c": {"$numberDouble": "2.5"},)"
      R"( "d": {"$date": {"$numberLong": "0"}}, "e": {"$date": "2024-01-01T01:00:00+01:00"},)"
      R"( "f": {"$date": 86400000}, "g": {"$numberInt": "oops"}})");
  CHECK(to_relaxed_ejson(d) ==
        R"({"a":5,"b":-7,"c":2.5,"d":{"$date":"1970-01-01T00:00:00.000Z"},)"
        R"("e":{"$date":"2024-01-01T00:00:00.000Z"},"f":{"$date":"1970-01-02T00:00:00.000Z"},)"
        R"("g":{"$numberInt":"oops"}})");
}

TEST_CASE("canonical output", "[json][ejson]") {
  const document d = parse_ejson_line(R"({
    "i": 5, "min32": -2147483648, "over32": 2147483648, "l": -9223372036854775808,
    "f": 1.5, "whole": 2.0, "negzero": -0.0, "inf": {"$numberDouble": "-Infinity"},
    "at": {"$date": "2024-08-12T21:41:01.788Z"}, "oid": {"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"},
    "ts": {"$timestamp": {"t": 7, "i": 1}}, "arr": [1, "x", null], "big": 1e20, "small": -2.5e-12
  })");
  CHECK(
      to_canonical_ejson(d) ==
      R"({"i":{"$numberInt":"5"},"min32":{"$numberInt":"-2147483648"},)"
      R"("over32":{"$numberLong":"2147483648"},"l":{"$numberLong":"-9223372036854775808"},)"
      R"("f":{"$numberDouble":"1.5"},"whole":{"$numberDouble":"2.0"},)"
      R"("negzero":{"$numberDouble":"-0.0"},"inf":{"$numberDouble":"-Infinity"},)"
      R"("at":{"$date":{"$numberLong":"1723498861788"}},"oid":{"$oid":"64b7c5f1a2d3e4f5a6b7c8d9"},)"
      R"("ts":{"$timestamp":{"t":7,"i":1}},"arr":[{"$numberInt":"1"},"x",null],)"
      R"("big":{"$numberDouble":"1.0E+20"},"small":{"$numberDouble":"-2.5E-12"}})");
}

TEST_CASE("basic JSON output", "[json][ejson]") {
  const document d = parse_ejson_line(R"({
    "at": {"$date": "2024-08-12T21:41:01.788Z"}, "old": {"$date": {"$numberLong": "-5"}},
    "oid": {"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"}, "dec": {"$numberDecimal": "1.50"},
    "decnan": {"$numberDecimal": "NaN"}, "nan": {"$numberDouble": "NaN"},
    "i": {"$numberLong": "12"}, "f": 0.25, "nested": [{"at": {"$date": 0}}]
  })");
  CHECK(to_basic_json(d) ==
        R"({"at":1723498861788,"old":-5,"oid":"64b7c5f1a2d3e4f5a6b7c8d9","dec":1.50,)"
        R"("decnan":"NaN","nan":null,"i":12,"f":0.25,"nested":[{"at":0}]})");
}

TEST_CASE("round trips through relaxed and canonical EJSON", "[json][ejson]") {
  const char* lines[] = {
      R"({})",
      R"([])",
      R"({"a":1,"b":[1,2.5,"x",null,true,{"c":{}}]})",
      R"({"d":{"$date":"2024-08-12T21:41:01.788Z"},"e":{"$date":"1969-07-20T20:17:40.000Z"}})",
      R"({"far":{"$date":{"$numberLong":"253402300800000"}}})",
      R"({"i32":2147483647,"i64":-9223372036854775808,"f":1e+300,"g":-2.5e-12,"h":0.1,"z":-0.0})",
      R"({"oid":{"$oid":"64b7c5f1a2d3e4f5a6b7c8d9"},"dec":{"$numberDecimal":"1.50"}})",
      R"({"ts":{"$timestamp":{"t":1723498861,"i":3}},"re":{"$regularExpression":{"pattern":"^a","options":"i"}}})",
      R"({"s":"\u0000\u001f\"\\/é😀","k\"ey":"v"})",
      R"({"inf":{"$numberDouble":"Infinity"},"ninf":{"$numberDouble":"-Infinity"}})",
  };
  for (const char* line : lines) {
    INFO(line);
    const document d = parse_ejson_line(line);
    CHECK(parse_ejson_line(to_relaxed_ejson(d)) == d);
    CHECK(parse_ejson_line(to_canonical_ejson(d)) == d);
    CHECK(to_relaxed_ejson(parse_ejson_line(to_canonical_ejson(d))) == to_relaxed_ejson(d));
    CHECK(to_canonical_ejson(parse_ejson_line(to_relaxed_ejson(d))) == to_canonical_ejson(d));
    CHECK(to_relaxed_ejson(d).find('\n') == std::string::npos);
  }
  // NaN never equals itself: compare text.
  const document nan = parse_ejson_line(R"({"x":{"$numberDouble":"NaN"}})");
  CHECK(to_canonical_ejson(parse_ejson_line(to_relaxed_ejson(nan))) ==
        R"({"x":{"$numberDouble":"NaN"}})");
}

TEST_CASE("relaxed output agrees with dump() for plain JSON", "[json][ejson]") {
  const document d = document::parse(
      R"({"a":[1,-2,3.25,1e+20,1e-05,123456.789,100.0],"b":"é\u0001\t","c":{"d":null,"e":false}})");
  CHECK(to_relaxed_ejson(d) == d.dump());
}

TEST_CASE("output never holds invalid UTF-8", "[json][ejson]") {
  document d = document::object();
  d["s"] = std::string("ok \xFF \xC3 \xE2\x82 end \xF0\x9F\x98\x80");
  CHECK(to_relaxed_ejson(d) ==
        "{\"s\":\"ok \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end \xF0\x9F\x98\x80\"}");
  CHECK(parse_ejson_line(to_relaxed_ejson(d))["s"].is_string());
}

TEST_CASE("mongosh pipelines write as EJSON", "[json][ejson][mongosh_syntax]") {
  const document p = reel::json::parse_pipeline_text(
      "[{ $match: { at: { $gte: ISODate('2024-01-01T00:00:00Z') }, n: NumberLong(5), "
      "id: ObjectId('64b7c5f1a2d3e4f5a6b7c8d9') } }]");
  CHECK(to_relaxed_ejson(p) ==
        R"([{"$match":{"at":{"$gte":{"$date":"2024-01-01T00:00:00.000Z"}},"n":5,)"
        R"("id":{"$oid":"64b7c5f1a2d3e4f5a6b7c8d9"}}}])");
  CHECK(to_canonical_ejson(p) ==
        R"([{"$match":{"at":{"$gte":{"$date":{"$numberLong":"1704067200000"}}},)"
        R"("n":{"$numberInt":"5"},"id":{"$oid":"64b7c5f1a2d3e4f5a6b7c8d9"}}}])");
  CHECK(parse_ejson_line(to_canonical_ejson(p)) == p);
}
