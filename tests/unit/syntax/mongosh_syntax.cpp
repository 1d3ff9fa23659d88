// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/json/mongosh_syntax.hpp.
#include "reel/json/mongosh_syntax.hpp"

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

using reel::json::document;
using reel::json::parse_pipeline_text;

namespace {

document parse(std::string_view text) {
  return parse_pipeline_text(text, "p.js");
}

/// `what()` of the error parsing `text` raises, or "no error".
std::string syntax_error_of(std::string_view text, std::string_view origin = "p.js") {
  try {
    parse_pipeline_text(text, origin);
  } catch (const reel::error& e) {
    return e.what();
  }
  return "no error";
}

std::string syntax_error(std::string_view where, std::string_view message) {
  return "[reel.syntax.error] at " + std::string(where) + ": " + std::string(message);
}

}  // namespace

TEST_CASE("strict JSON reads as nlohmann reads it", "[json][mongosh_syntax]") {
  const std::string text = R"([
    {"$source": {"connectionName": "kafka", "topic": ["a", "b"]}},
    {"$match": {"qty": {"$gt": 5, "$lte": -2.5e3}, "ok": true, "none": null, "s": "x\"\\\/\u00e9\n"}},
    {"$emit": {"connectionName": "out", "n": [0, 1, 2.25, 1E2, -0.5]}}
  ])";
  const document ours = parse(text);
  const document theirs = document::parse(text);
  CHECK(ours == theirs);
  CHECK(ours.dump() == theirs.dump());
  // Keys keep their order.
  CHECK(ours[1]["$match"].begin().key() == "qty");
}

TEST_CASE("unquoted, $-prefixed, dotted, quoted and numeric keys", "[json][mongosh_syntax]") {
  const document d = parse(
      "{ $match: { obs.watts: { $gt: 1 }, _id: 2, a1$_b: 3, 'single q': 4, \"double\": 5, 42: 6, "
      "température: 7, new: 8, true: 9 } }");
  const document& m = d["$match"];
  CHECK(m["obs.watts"]["$gt"] == 1);
  CHECK(m["_id"] == 2);
  CHECK(m["a1$_b"] == 3);
  CHECK(m["single q"] == 4);
  CHECK(m["double"] == 5);
  CHECK(m["42"] == 6);
  CHECK(m["température"] == 7);
  CHECK(m["new"] == 8);
  CHECK(m["true"] == 9);
  CHECK(m.size() == 9);
}

TEST_CASE("strings: both quotes and JavaScript escapes", "[json][mongosh_syntax]") {
  CHECK(parse(R"('it\'s')") == "it's");
  CHECK(parse(R"("say \"hi\"")") == "say \"hi\"");
  CHECK(parse(R"('a "b" c')") == "a \"b\" c");
  CHECK(parse(R"("it's")") == "it's");
  CHECK(parse(R"('\n\t\r\b\f\v\0')") == std::string("\n\t\r\b\f\v\0", 7));
  CHECK(parse(R"('\\ \/')") == "\\ /");
  CHECK(parse(R"('\x41\x7a')") == "Az");
  CHECK(parse(R"('\u00e9\u00E9')") == "éé");
  CHECK(parse(R"('\ud83d\ude00')") == "\xF0\x9F\x98\x80");
  CHECK(parse(R"('\u{1F600}\u{41}')") ==
        "\xF0\x9F\x98\x80"
        "A");
  CHECK(parse(R"('\ud83d x')") == "\xEF\xBF\xBD x");  // a lone surrogate becomes U+FFFD
  CHECK(parse("'line \\\ncontinued'") == "line continued");
  CHECK(parse("'line \\\r\ncontinued'") == "line continued");
  CHECK(parse(R"('\d+\.\w')") == "d+.w");  // as in JavaScript: '\d' is 'd'
  CHECK(parse("'é ü 日本 \xF0\x9F\x98\x80'") == "é ü 日本 \xF0\x9F\x98\x80");
  CHECK(parse("'tab\there'") == "tab\there");
  CHECK(parse("''") == "");
}

TEST_CASE("comments, trailing commas, white space and a final semicolon",
          "[json][mongosh_syntax]") {
  const document d = parse(R"js(
    // a pipeline
    [ /* first */ { $match: { a: 1, /* inline */ b: [1, 2, 3,], }, }, // trailing
      /* multi
         line */
      { $project: { a: 1 } }, ] ;
    // done)js");
  REQUIRE(d.is_array());
  REQUIRE(d.size() == 2);
  CHECK(d[0]["$match"]["b"] == document::array({1, 2, 3}));
  CHECK(d[1]["$project"]["a"] == 1);
  CHECK(parse("\xEF\xBB\xBF[1,\xC2\xA0 2]") == document::array({1, 2}));  // BOM and NBSP
  CHECK(parse("{}") == document::object());
  CHECK(parse("[]") == document::array());
}

TEST_CASE("literals: true, false, null, undefined", "[json][mongosh_syntax]") {
  const document d = parse("[true, false, null, undefined]");
  CHECK(d == document::parse("[true, false, null, null]"));
}

TEST_CASE("numbers", "[json][mongosh_syntax]") {
  const document d = parse(
      "[0, -5, +3, 1.5, -1.5e3, .5, 5., 1E-2, 2e+2, 9223372036854775807, "
      "-9223372036854775808, 12345678901234567890, -0]");
  CHECK(d[0].is_number_integer());
  CHECK(d[0] == 0);
  CHECK(d[1] == -5);
  CHECK(d[2] == 3);
  CHECK(d[2].is_number_integer());
  CHECK_FALSE(d[2].is_number_unsigned());  // integers are signed, as in BSON
  CHECK(d[3] == 1.5);
  CHECK(d[4] == -1500.0);
  CHECK(d[4].is_number_float());
  CHECK(d[5] == 0.5);
  CHECK(d[6] == 5.0);
  CHECK(d[6].is_number_float());
  CHECK(d[7] == 0.01);
  CHECK(d[8] == 200.0);
  CHECK(d[9] == INT64_MAX);
  CHECK(d[9].is_number_integer());
  CHECK(d[10] == INT64_MIN);
  CHECK(d[11].is_number_float());
  CHECK(d[11] == 12345678901234567890.0);
  CHECK(d[12] == 0);
}

TEST_CASE("ISODate and new Date become {$date: ISO with Z}", "[json][mongosh_syntax]") {
  const document d = parse(R"js({
    a: ISODate("2024-08-12T21:41:01.788Z"),
    b: ISODate('2024-08-12T21:41:01.788+00:00'),
    c: new Date("2024-08-12T23:41:01.788+02:00"),
    d: new Date('2024-08-12'),
    e: new Date(1723498861788),
    f: ISODate("2024-08-12T21:41:01"),
    g: new ISODate("2024-08-12T21:41:01.7Z"),
    h: new Date(-1000),
  })js");
  CHECK(d["a"] == document::parse(R"({"$date": "2024-08-12T21:41:01.788Z"})"));
  CHECK(d["b"] == document::parse(R"({"$date": "2024-08-12T21:41:01.788Z"})"));
  CHECK(d["c"] == document::parse(R"({"$date": "2024-08-12T21:41:01.788Z"})"));
  CHECK(d["d"] == document::parse(R"({"$date": "2024-08-12T00:00:00.000Z"})"));
  CHECK(d["e"] == document::parse(R"({"$date": "2024-08-12T21:41:01.788Z"})"));
  CHECK(d["f"] == document::parse(R"({"$date": "2024-08-12T21:41:01.000Z"})"));
  CHECK(d["g"] == document::parse(R"({"$date": "2024-08-12T21:41:01.700Z"})"));
  CHECK(d["h"] == document::parse(R"({"$date": "1969-12-31T23:59:59.000Z"})"));
}

TEST_CASE("NumberInt, NumberLong, NumberDecimal, ObjectId, Timestamp", "[json][mongosh_syntax]") {
  const document d = parse(R"js({
    i: NumberInt(5), i2: NumberInt("-7"), i3: NumberInt(2147483647),
    l: NumberLong(5), l2: NumberLong("9223372036854775807"), l3: new NumberLong(-3),
    l4: NumberLong('-9223372036854775808'),
    dec: NumberDecimal("1.5"), dec2: NumberDecimal(1.50), dec3: NumberDecimal('-Infinity'),
    oid: ObjectId("64B7c5f1a2d3e4f5a6b7c8d9"), oid2: new ObjectId('0123456789abcdef01234567'),
    ts: Timestamp(1723498861, 3), ts2: Timestamp({ t: 5, i: 1 }),
  })js");
  CHECK(d["i"] == 5);
  CHECK(d["i"].is_number_integer());
  CHECK(d["i2"] == -7);
  CHECK(d["i3"] == 2147483647);
  CHECK(d["l"] == 5);
  CHECK(d["l2"] == INT64_MAX);
  CHECK(d["l3"] == -3);
  CHECK(d["l4"] == INT64_MIN);
  CHECK(d["dec"] == document::parse(R"({"$numberDecimal": "1.5"})"));
  CHECK(d["dec2"] == document::parse(R"({"$numberDecimal": "1.50"})"));
  CHECK(d["dec3"] == document::parse(R"({"$numberDecimal": "-Infinity"})"));
  CHECK(d["oid"] == document::parse(R"({"$oid": "64b7c5f1a2d3e4f5a6b7c8d9"})"));
  CHECK(d["oid2"] == document::parse(R"({"$oid": "0123456789abcdef01234567"})"));
  CHECK(d["ts"] == document::parse(R"({"$timestamp": {"t": 1723498861, "i": 3}})"));
  CHECK(d["ts2"] == document::parse(R"({"$timestamp": {"t": 5, "i": 1}})"));
}

TEST_CASE("regular expression literals", "[json][mongosh_syntax]") {
  const document d = parse(R"js({ name: /^Du[n/]e\/x/mi, plain: /a b/ })js");
  CHECK(d["name"] ==
        document::parse(R"({"$regularExpression": {"pattern": "^Du[n/]e\\/x", "options": "im"}})"));
  CHECK(d["plain"] ==
        document::parse(R"({"$regularExpression": {"pattern": "a b", "options": ""}})"));
}

TEST_CASE("a bare list of stages reads as an array", "[json][mongosh_syntax]") {
  const document d = parse("{ $match: { a: 1 } }, { $project: { a: 1 } },");
  REQUIRE(d.is_array());
  CHECK(d.size() == 2);
  CHECK(d[1].contains("$project"));
  CHECK(parse("{ a: 1 }") == document::parse(R"({"a": 1})"));  // one object stays an object
}

TEST_CASE("Atlas documentation examples paste as they are", "[json][mongosh_syntax]") {
  SECTION("tumbling window over the solar sample (bare stage list)") {
    const document d = parse(
        R"js({ $source: { connectionName: 'sample_stream_solar', timeField: { $dateFromString: { dateString: '$timestamp' } } } }, { $tumblingWindow: { interval: { size: NumberInt(10), unit: 'second' }, pipeline: [ { $group: { _id: '$group_id', max_watts: { $max: '$obs.watts' } } } ] } })js");
    CHECK(d == document::parse(R"([
      {"$source": {"connectionName": "sample_stream_solar",
                   "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
      {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
                           "pipeline": [{"$group": {"_id": "$group_id",
                                                    "max_watts": {"$max": "$obs.watts"}}}]}}
    ])"));
  }

  SECTION("hopping window with $avg and $meta, in brackets") {
    const document d = parse(R"js([
  {
    $source: {
      connectionName: "sample_stream_solar",
      timeField: { $dateFromString: { dateString: '$timestamp' } }
    }
  },
  {
    $hoppingWindow: {
      interval: { size: 20, unit: "second" },
      hopSize: { size: 10, unit: "second" },
      pipeline: [
        {
          $group: {
            _id: { device: "$device_id", start: { $meta: "stream.window.start" } },
            avg_watts: { $avg: "$obs.watts" },
            max_temp: { $max: "$obs.temp" }
          }
        }
      ]
    }
  },
  {
    $merge: {
      into: {
        connectionName: "mongodb1",
        db: "solarDb",
        coll: "solarColl"
      }
    }
  }
])js");
    REQUIRE(d.size() == 3);
    CHECK(d[1]["$hoppingWindow"]["hopSize"]["size"] == 10);
    CHECK(d[1]["$hoppingWindow"]["pipeline"][0]["$group"]["_id"]["start"]["$meta"] ==
          "stream.window.start");
    CHECK(d[2]["$merge"]["into"]["coll"] == "solarColl");
  }

  SECTION("$validate with $jsonSchema and a DLQ") {
    const document d = parse(R"js([
  { $source: { connectionName: 'sample_stream_solar', tsFieldName: 'ingestionTime' } },
  {
    $validate: {
      validator: {
        $jsonSchema: {
          required: [ "group_id", "max_watts", "obs" ],
          properties: {
            group_id: { bsonType: "int", minimum: 0, maximum: 9 },
            max_watts: { bsonType: [ "int", "long" ], description: "'max_watts' must be an integer" },
            obs: {
              bsonType: "object",
              required: [ "watts", "temp" ],
            }
          }
        }
      },
      validationAction: "dlq"
    }
  },
  { $match: { $expr: { $gte: [ "$obs.temp", NumberInt(20) ] }, ingestionTime: { $gt: ISODate("2024-08-12T00:00:00.000Z") } } },
  { $emit: { connectionName: "kafkaprod", topic: "solar", config: { outputFormat: 'relaxedJson' } } }
])js");
    REQUIRE(d.size() == 4);
    const document& schema = d[1]["$validate"]["validator"]["$jsonSchema"];
    CHECK(schema["required"] == document::array({"group_id", "max_watts", "obs"}));
    CHECK(schema["properties"]["max_watts"]["description"] == "'max_watts' must be an integer");
    CHECK(d[2]["$match"]["ingestionTime"]["$gt"] ==
          document::parse(R"({"$date": "2024-08-12T00:00:00.000Z"})"));
    CHECK(d[2]["$match"]["$expr"]["$gte"][1] == 20);
  }

  SECTION("session window with windows idle timeout, Windows line endings and tabs") {
    const document d = parse(
        "[\r\n\t{ $source: { connectionName: 'kafka', topic: 'clicks', timeField: { $toDate: "
        "'$ts' } } },\r\n\t{ $sessionWindow: { partitionBy: '$user', gap: { size: 5, unit: "
        "'minute' }, allowedLateness: 0, pipeline: [ { $group: { _id: '$user', n: { $sum: 1 } } "
        "} ] } }\r\n]\r\n");
    CHECK(d[1]["$sessionWindow"]["gap"]["unit"] == "minute");
    CHECK(d[1]["$sessionWindow"]["allowedLateness"] == 0);
  }
}

TEST_CASE("syntax errors carry origin:line:column and an exact message",
          "[json][mongosh_syntax][errors]") {
  CHECK(syntax_error_of("{a: 1 b: 2}") ==
        syntax_error("p.js:1:7", "expected ',' or '}' after object member, found 'b'"));
  CHECK(syntax_error_of("[\n  { $match: { a: 1 }\n  { $project: {} }\n]") ==
        syntax_error("p.js:3:3", "expected ',' or '}' after object member, found '{'"));
  CHECK(syntax_error_of("[1 2]") ==
        syntax_error("p.js:1:4", "expected ',' or ']' after array element, found '2'"));
  CHECK(syntax_error_of("{a 1}") ==
        syntax_error("p.js:1:4", "expected ':' after object key 'a', found '1'"));
  CHECK(syntax_error_of("{a: }") == syntax_error("p.js:1:5", "expected a value, found '}'"));
  CHECK(syntax_error_of("{, a: 1}") ==
        syntax_error("p.js:1:2", "expected an object key, found ','"));
  CHECK(syntax_error_of("[1,,2]") == syntax_error("p.js:1:4", "expected a value, found ','"));
  CHECK(syntax_error_of("[ , ]") == syntax_error("p.js:1:3", "expected a value, found ','"));
  CHECK(syntax_error_of("[\"abc") == syntax_error("p.js:1:2", "unterminated string"));
  CHECK(syntax_error_of("['abc\n']") == syntax_error("p.js:1:2", "unterminated string"));
  CHECK(syntax_error_of("[1, /* note") == syntax_error("p.js:1:5", "unterminated comment"));
  CHECK(syntax_error_of("[1] x") ==
        syntax_error("p.js:1:5", "expected end of input after the pipeline, found 'x'"));
  CHECK(syntax_error_of("[1]; [2]") ==
        syntax_error("p.js:1:6", "expected end of input after the pipeline, found '['"));
  CHECK(syntax_error_of("") == syntax_error("p.js:1:1", "expected a value, found end of input"));
  CHECK(syntax_error_of("  // only a comment\n") ==
        syntax_error("p.js:2:1", "expected a value, found end of input"));
  CHECK(syntax_error_of("[") == syntax_error("p.js:1:2", "expected a value, found end of input"));
  CHECK(syntax_error_of("{a: 1") ==
        syntax_error("p.js:1:6", "expected ',' or '}' after object member, found end of input"));
  CHECK(syntax_error_of("{a: 1, a: 2}") == syntax_error("p.js:1:8", "duplicate key 'a'"));
  CHECK(syntax_error_of("{a: foo}") == syntax_error("p.js:1:5", "unexpected identifier 'foo'"));
  CHECK(syntax_error_of("{a: Math.max}") ==
        syntax_error("p.js:1:5", "unexpected identifier 'Math.max'"));
  CHECK(syntax_error_of("sp.process([{ $source: {} }])") ==
        syntax_error("p.js:1:1",
                     "unexpected identifier 'sp.process'; give the pipeline array itself, without "
                     "the sp.process(...) call around it"));
  CHECK(syntax_error_of("{\n  $x: 'a',\n  \"q\": 1 2\n}") ==
        syntax_error("p.js:3:10", "expected ',' or '}' after object member, found '2'"));
  CHECK(syntax_error_of("{\"é€\": 1 x}") ==
        syntax_error("p.js:1:10", "expected ',' or '}' after object member, found 'x'"));
  CHECK(syntax_error_of("[\r\n1\r\n2]") ==
        syntax_error("p.js:3:1", "expected ',' or ']' after array element, found '2'"));
  CHECK(
      syntax_error_of("[1 \x01]") ==
      syntax_error("p.js:1:4", "expected ',' or ']' after array element, found character U+0001"));
}

TEST_CASE("number errors", "[json][mongosh_syntax][errors]") {
  CHECK(syntax_error_of("{a: 0x1F}") ==
        syntax_error("p.js:1:5", "hexadecimal, octal and binary numbers are not supported"));
  CHECK(syntax_error_of("{a: 1e}") == syntax_error("p.js:1:5", "invalid number '1e'"));
  CHECK(syntax_error_of("{a: 12abc}") == syntax_error("p.js:1:5", "invalid number '12abc'"));
  CHECK(syntax_error_of("{a: 007}") == syntax_error("p.js:1:5", "invalid number '007'"));
  CHECK(syntax_error_of("{a: -}") == syntax_error("p.js:1:5", "invalid number '-'"));
  CHECK(syntax_error_of("{a: 1.2.3}") == syntax_error("p.js:1:5", "invalid number '1.2.3'"));
  CHECK(syntax_error_of("{a: 1e999}") == syntax_error("p.js:1:5", "number out of range '1e999'"));
}

TEST_CASE("string and escape errors", "[json][mongosh_syntax][errors]") {
  CHECK(syntax_error_of(R"({a: 'x\x4G'})") ==
        syntax_error("p.js:1:7", R"(invalid escape sequence '\x4G')"));
  CHECK(syntax_error_of(R"({a: 'x\u12'})") ==
        syntax_error("p.js:1:7", R"(invalid escape sequence '\u12'')"));
  CHECK(syntax_error_of(R"({a: '\u{110000}'})") ==
        syntax_error("p.js:1:6", R"(invalid escape sequence '\u{110000}')"));
  CHECK(syntax_error_of(R"({a: '\07'})") ==
        syntax_error("p.js:1:6", "octal escape sequences are not supported"));
  CHECK(syntax_error_of("{a: 'x\\") == syntax_error("p.js:1:5", "unterminated string"));
  CHECK(syntax_error_of("{a: '\xFF'}") == syntax_error("p.js:1:6", "invalid UTF-8 in string"));
  CHECK(syntax_error_of("{a: /\xFF/}") ==
        syntax_error("p.js:1:6", "invalid UTF-8 in regular expression"));
  // Found by tests/fuzz/mongosh.cpp: an escaped byte was copied without the UTF-8 check, so the
  // pattern string could not be serialized (dump() threw json type_error 316).
  CHECK(syntax_error_of("{a: /\\\x98"
                        "a/}") == syntax_error("p.js:1:7", "invalid UTF-8 in regular expression"));
  CHECK(syntax_error_of("{a: `x`}") ==
        syntax_error("p.js:1:5", "template literals are not supported; use '...' or \"...\""));
}

TEST_CASE("constructor errors", "[json][mongosh_syntax][errors]") {
  CHECK(syntax_error_of(R"({a: ISODate("yesterday")})") ==
        syntax_error("p.js:1:13", "invalid date 'yesterday' in ISODate(...)"));
  CHECK(syntax_error_of("{a: ISODate()}") ==
        syntax_error("p.js:1:5", "ISODate(...) takes one date string, given 0 arguments"));
  CHECK(syntax_error_of("{a: ISODate(5)}") ==
        syntax_error("p.js:1:13", "ISODate(...) takes a date string, found 5"));
  CHECK(syntax_error_of("{a: new Date()}") ==
        syntax_error("p.js:1:5", "new Date(...) takes one date string, given 0 arguments"));
  CHECK(syntax_error_of("{a: new Date(1.5)}") ==
        syntax_error("p.js:1:14", "new Date(...) needs whole milliseconds, found 1.5"));
  CHECK(syntax_error_of("{a: new Date(true)}") ==
        syntax_error("p.js:1:14", "new Date(...) takes a date string or milliseconds, found true"));
  CHECK(syntax_error_of("{a: Date()}") ==
        syntax_error("p.js:1:5",
                     "'Date()' without 'new' gives the current time as a string; use new "
                     "Date(...) or ISODate(...)"));
  CHECK(syntax_error_of("{a: ISODate 'x'}") ==
        syntax_error("p.js:1:13", "expected '(' after ISODate, found \"'\""));
  CHECK(syntax_error_of("{a: ISODate('2024-01-01' 'x')}") ==
        syntax_error("p.js:1:26", "expected ',' or ')' after argument of ISODate, found \"'\""));
  CHECK(syntax_error_of("{a: NumberInt(3000000000)}") ==
        syntax_error("p.js:1:15", "NumberInt(...) value 3000000000 is out of the 32-bit range"));
  CHECK(syntax_error_of(R"({a: NumberLong("x")})") ==
        syntax_error("p.js:1:16", R"(NumberLong(...) needs an integer, found "x")"));
  CHECK(syntax_error_of("{a: NumberLong(1, 2)}") ==
        syntax_error("p.js:1:5", "NumberLong(...) takes one integer, given 2 arguments"));
  CHECK(syntax_error_of(R"({a: NumberDecimal("1.2.3")})") ==
        syntax_error("p.js:1:19", R"(NumberDecimal(...) needs a decimal number, found "1.2.3")"));
  CHECK(syntax_error_of(R"({a: ObjectId("123")})") ==
        syntax_error("p.js:1:14",
                     R"(ObjectId(...) needs a 24-digit hexadecimal string, found "123")"));
  CHECK(syntax_error_of("{a: Timestamp(1)}") ==
        syntax_error("p.js:1:5",
                     "Timestamp(...) takes two unsigned 32-bit integers (t, i) or {t, i}"));
  CHECK(syntax_error_of("{a: new Foo(1)}") ==
        syntax_error("p.js:1:5", "unsupported constructor 'new Foo'"));
  CHECK(syntax_error_of("{a: new 5}") ==
        syntax_error("p.js:1:9", "expected a constructor after 'new', found '5'"));
}

TEST_CASE("regular expression errors", "[json][mongosh_syntax][errors]") {
  CHECK(
      syntax_error_of("{a: /abc/g}") ==
      syntax_error("p.js:1:10", "unsupported regular expression flag 'g' (supported: i, m, s, u)"));
  CHECK(syntax_error_of("{a: /abc}") ==
        syntax_error("p.js:1:5", "unterminated regular expression"));
  CHECK(syntax_error_of("{a: /ab\nc/}") ==
        syntax_error("p.js:1:5", "unterminated regular expression"));
}

TEST_CASE("nesting is bounded", "[json][mongosh_syntax][errors]") {
  const std::string ok = std::string(200, '[') + std::string(200, ']');
  CHECK(parse(ok).is_array());
  const std::string deep = std::string(201, '[') + std::string(201, ']');
  CHECK(syntax_error_of(deep) == syntax_error("p.js:1:201", "nesting deeper than 200 levels"));
  const std::string very_deep(100000, '[');
  CHECK(syntax_error_of(very_deep) == syntax_error("p.js:1:201", "nesting deeper than 200 levels"));
}

TEST_CASE("error object: id, where, message, origin optional", "[json][mongosh_syntax][errors]") {
  try {
    parse_pipeline_text("{a: 1 b: 2}", "pipelines/solar.js");
    FAIL("expected an error");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.syntax.error");
    CHECK(e.where() == "pipelines/solar.js:1:7");
    CHECK(e.message() == "expected ',' or '}' after object member, found 'b'");
  }
  CHECK(syntax_error_of("{a: 1 b: 2}", "") ==
        "[reel.syntax.error] at 1:7: expected ',' or '}' after object member, found 'b'");
  CHECK(parse_pipeline_text("[1]").size() == 1);
}
