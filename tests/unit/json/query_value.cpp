// SPDX-License-Identifier: Apache-2.0
// Where the value path of `$match`/`$validate` decides differently from the nlohmann path: the
// nlohmann documents lose int64 and Decimal128 (issue #12) and some server rules; the value path
// follows the server (src/mongo/db/matcher/expression_leaf.cpp, the `$jsonSchema` keywords). Each
// check states both decisions.
#if defined(REEL_JSON_VALUE_EVAL)

#include <string>

#include "helpers.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/json_schema.hpp"

using reel_test::J;
using reel_test::matches_value;

namespace {
// The nlohmann side reads the document as the runtime does today (`parse_ejson_line`: number
// and date wrappers normalised), which is where the types are lost.
bool matches_nlohmann(const std::string& filter, const std::string& doc) {
  return reel::json::compile_query(J(filter)).matches(reel::json::parse_ejson_line(doc));
}
bool valid_both(const std::string& schema, const std::string& doc, bool& nlohmann) {
  const auto s = reel::json::compile_json_schema(J(schema));
  nlohmann = s.matches(reel::json::parse_ejson_line(doc));
  reel::bson::arena memory;
  return s.matches(reel_test::V(doc, memory));
}
}  // namespace

TEST_CASE("value-path $match keeps int64 and Decimal128 apart", "[json][query][value]") {
  const std::string long42 = R"({"a": {"$numberLong": "42"}})";
  // $type "long" of a NumberLong: the nlohmann path holds it as an int.
  CHECK(matches_value(R"({"a": {"$type": "long"}})", long42));
  CHECK_FALSE(matches_nlohmann(R"({"a": {"$type": "long"}})", long42));
  CHECK_FALSE(matches_value(R"({"a": {"$type": "int"}})", long42));
  CHECK(matches_value(R"({"a": {"$type": 18}})", long42));
  CHECK(matches_value(R"({"a": {"$type": "number"}})", long42));
  // A NumberLong in the filter is a long there too; equal to 42 of any numeric type.
  CHECK(matches_value(R"({"a": {"$type": "long", "$eq": {"$numberLong": "42"}}})", long42));
  CHECK(matches_value(R"({"a": {"$numberLong": "1"}})", R"({"a": 1.0})"));
  CHECK(matches_value(R"({"a": {"$in": [{"$numberLong": "7"}, 8]}})", R"({"a": 7})"));
  // Decimal128: $type "decimal", and comparisons by exact value (the nlohmann path rounds the
  // decimal to a double: 0.1 as a double is 0.1000000000000000055…, above NumberDecimal("0.1")).
  const std::string dec = R"({"a": {"$numberDecimal": "0.1"}})";
  CHECK(matches_value(R"({"a": {"$type": "decimal"}})", dec));
  CHECK(matches_nlohmann(R"({"a": {"$type": "decimal"}})", dec));  // passes through a file
  CHECK(matches_value(R"({"a": {"$gt": {"$numberDecimal": "0.1"}}})", R"({"a": 0.1})"));
  CHECK_FALSE(matches_nlohmann(R"({"a": {"$gt": {"$numberDecimal": "0.1"}}})", R"({"a": 0.1})"));
  CHECK(matches_value(R"({"a": {"$eq": {"$numberDecimal": "1.50"}}})", R"({"a": 1.5})"));
  CHECK(matches_value(R"({"a": {"$mod": [5, 0]}})", R"({"a": {"$numberDecimal": "10.7"}})"));
  CHECK_FALSE(matches_value(R"({"a": {"$mod": [5, 0]}})", R"({"a": {"$numberDecimal": "NaN"}})"));
  // int64 beyond 2^53 compares exactly with doubles.
  CHECK_FALSE(matches_value(R"({"a": {"$eq": 9007199254740992.0}})",
                            R"({"a": {"$numberLong": "9007199254740993"}})"));
  CHECK(matches_value(R"({"a": {"$gt": 9007199254740992.0}})",
                      R"({"a": {"$numberLong": "9007199254740993"}})"));
}

TEST_CASE("value-path $match follows the server on NaN and on types nlohmann lacks",
          "[json][query][value]") {
  const std::string nan = R"({"a": {"$numberDouble": "NaN"}})";
  // The server's ComparisonMatchExpression: NaN is equal to NaN and compares false otherwise
  // ($lt/$lte of a number never match NaN, although NaN sorts below every number).
  CHECK_FALSE(matches_value(R"({"a": {"$lt": 5}})", nan));
  CHECK_FALSE(matches_value(R"({"a": {"$lte": 5}})", nan));
  CHECK_FALSE(matches_value(R"({"a": {"$gt": 5}})", nan));
  CHECK(matches_value(R"({"a": {"$gte": {"$numberDouble": "NaN"}}})", nan));
  CHECK_FALSE(matches_value(R"({"a": {"$gt": {"$numberDouble": "NaN"}}})", nan));
  CHECK(matches_value(R"({"a": {"$eq": {"$numberDouble": "NaN"}}})", nan));
  CHECK(matches_value(R"({"a": {"$numberDouble": "NaN"}})", nan));
  CHECK_FALSE(matches_value(R"({"a": {"$lt": 5}})", R"({"a": {"$numberDecimal": "NaN"}})"));
  CHECK(matches_value(R"({"a": {"$lt": 5}})", R"({"a": {"$numberDouble": "-Infinity"}})"));
  // Symbols, JavaScript code and undefined are types of their own.
  CHECK(matches_value(R"({"a": {"$type": "symbol"}})", R"({"a": {"$symbol": "x"}})"));
  CHECK(matches_value(R"({"a": {"$type": 13}})", R"({"a": {"$code": "go"}})"));
  CHECK(matches_value(R"({"a": {"$type": "undefined"}})", R"({"a": {"$undefined": true}})"));
  CHECK(matches_value(R"({"a": "x"})", R"({"a": {"$symbol": "x"}})"));  // one bracket
  CHECK(matches_value(R"({"a": {"$regex": "^x"}})", R"({"a": {"$symbol": "xy"}})"));
  // Undefined is in null's bracket: {$eq: null}, $in with null, $gte/$lte null match it.
  CHECK(matches_value(R"({"a": null})", R"({"a": {"$undefined": true}})"));
  CHECK(matches_value(R"({"a": {"$in": [null]}})", R"({"a": {"$undefined": true}})"));
  CHECK(matches_value(R"({"a": {"$lte": null}})", R"({"a": {"$undefined": true}})"));
  CHECK_FALSE(matches_value(R"({"a": {"$lt": null}})", R"({"a": {"$undefined": true}})"));
  // MinKey and MaxKey bound every type.
  CHECK(matches_value(R"({"a": {"$lt": {"$maxKey": 1}}})", R"({"a": "x"})"));
  CHECK(matches_value(R"({"a": {"$gt": {"$minKey": 1}}})", "{}"));
  CHECK_FALSE(matches_value(R"({"a": {"$gt": {"$maxKey": 1}}})", R"({"a": "x"})"));
}

TEST_CASE("value-path $match on dates, ObjectIds, binData, timestamps and regexes",
          "[json][query][value]") {
  const std::string doc =
      R"({"ts": {"$date": "2024-06-01T20:00:00.000Z"}, "id": {"$oid": "65f450fa0000000000000001"},
          "b": {"$binary": {"base64": "AQI=", "subType": "00"}},
          "t": {"$timestamp": {"t": 5, "i": 1}}, "r": {"$regularExpression": {"pattern": "^a", "options": "i"}}})";
  CHECK(matches_value(R"({"ts": {"$gte": {"$date": "2024-06-01T00:00:00Z"}}})", doc));
  CHECK_FALSE(matches_value(R"({"ts": {"$gte": {"$date": "2024-06-02T00:00:00Z"}}})", doc));
  CHECK_FALSE(matches_value(R"({"ts": {"$gte": 0}})", doc));  // a date is not a number
  CHECK(matches_value(R"({"ts": {"$type": "date"}})", doc));
  CHECK(matches_value(R"({"id": {"$oid": "65f450fa0000000000000001"}})", doc));
  CHECK(matches_value(R"({"id": {"$gt": {"$oid": "65f450fa0000000000000000"}}})", doc));
  CHECK_FALSE(matches_value(R"({"id": "65f450fa0000000000000001"})", doc));
  CHECK(matches_value(R"({"b": {"$binary": {"base64": "AQI=", "subType": "00"}}})", doc));
  CHECK(matches_value(R"({"b": {"$type": "binData"}})", doc));
  CHECK(matches_value(R"({"t": {"$gt": {"$timestamp": {"t": 5, "i": 0}}}})", doc));
  CHECK(matches_value(R"({"t": {"$type": 17}})", doc));
  // A regex in a document matches a regex of the same pattern and options.
  CHECK(matches_value(R"({"r": {"$regex": "^a", "$options": "i"}})", doc));
  CHECK_FALSE(matches_value(R"({"r": {"$regex": "^a"}})", doc));
  CHECK(matches_value(R"({"r": {"$type": "regex"}})", doc));
}

TEST_CASE("value-path $jsonSchema keeps BSON types exact", "[json][schema][value]") {
  bool nlohmann = false;
  // Issue #12: {"$numberLong": "42"} was rejected by bsonType "long".
  CHECK(valid_both(R"({"properties": {"a": {"bsonType": "long"}}})",
                   R"({"a": {"$numberLong": "42"}})", nlohmann));
  CHECK_FALSE(nlohmann);
  CHECK_FALSE(valid_both(R"({"properties": {"a": {"bsonType": "int"}}})",
                         R"({"a": {"$numberLong": "42"}})", nlohmann));
  CHECK(nlohmann);
  CHECK(valid_both(R"({"properties": {"a": {"bsonType": "decimal"}}})",
                   R"({"a": {"$numberDecimal": "1.5"}})", nlohmann));
  CHECK(nlohmann);  // a decimal passes through a file
  CHECK_FALSE(valid_both(R"({"properties": {"a": {"bsonType": "double"}}})",
                         R"({"a": {"$numberDecimal": "1.5"}})", nlohmann));
  CHECK_FALSE(nlohmann);
  CHECK(valid_both(R"({"properties": {"a": {"bsonType": "symbol"}}})", R"({"a": {"$symbol": "s"}})",
                   nlohmann));
  CHECK_FALSE(nlohmann);
  // minimum/maximum by exact value: a double 0.1 is above NumberDecimal("0.1").
  CHECK_FALSE(valid_both(R"({"properties": {"a": {"maximum": {"$numberDecimal": "0.1"}}}})",
                         R"({"a": 0.1})", nlohmann));
  CHECK(nlohmann);
  CHECK(valid_both(R"({"properties": {"a": {"minimum": {"$numberLong": "9007199254740993"}}}})",
                   R"({"a": {"$numberLong": "9007199254740993"}})", nlohmann));
  // multipleOf is decided in decimal, as the server's $_internalSchemaFmod: 0.3 is a multiple
  // of 0.1 (the nlohmann path's fmod says 0.09999…).
  CHECK(valid_both(R"({"properties": {"a": {"multipleOf": 0.1}}})", R"({"a": 0.3})", nlohmann));
  CHECK_FALSE(nlohmann);
  CHECK_FALSE(
      valid_both(R"({"properties": {"a": {"multipleOf": 0.1}}})", R"({"a": 0.35})", nlohmann));
  CHECK(valid_both(R"({"properties": {"a": {"multipleOf": 3}}})",
                   R"({"a": {"$numberDecimal": "9.0"}})", nlohmann));
  // enum by value across numeric types, with the types of the schema as written.
  CHECK(valid_both(R"({"properties": {"a": {"enum": [{"$numberLong": "5"}, "x"]}}})",
                   R"({"a": 5.0})", nlohmann));
  CHECK(nlohmann);
}

#endif  // REEL_JSON_VALUE_EVAL
