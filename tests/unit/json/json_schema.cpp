// SPDX-License-Identifier: Apache-2.0
// $jsonSchema.
#include "reel/json/json_schema.hpp"

#include "helpers.hpp"

using reel_test::J;
using namespace reel::json;

namespace {
#if defined(REEL_JSON_VALUE_EVAL)
/// The value path's decision (`json_schema::matches` on a `bson::value`).
bool valid_value(const std::string& schema, const std::string& doc) {
  reel::bson::arena memory;
  return compile_json_schema(J(schema)).matches(reel_test::V(doc, memory));
}
#endif
/// The nlohmann path's decision; with the value path built, also checks that it agrees.
bool valid(const std::string& schema, const std::string& doc) {
  const bool decision = compile_json_schema(J(schema)).matches(J(doc));
#if defined(REEL_JSON_VALUE_EVAL)
  INFO("value path of " << schema << " on " << doc);
  CHECK(valid_value(schema, doc) == decision);
#endif
  return decision;
}
std::string schema_error(const std::string& schema) {
  return reel_test::error_of(
      [&] { compile_json_schema(J(schema), "/1/$validate/validator/$jsonSchema"); });
}
}  // namespace

TEST_CASE("bsonType and type", "[json][schema]") {
  CHECK(valid(R"({"bsonType": "object"})", "{}"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": "int"}}})", R"({"a": 1})"));
  CHECK_FALSE(valid(R"({"properties": {"a": {"bsonType": "int"}}})", R"({"a": 3000000000})"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": "long"}}})", R"({"a": 3000000000})"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": "number"}}})", R"({"a": 1.5})"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": ["string", "null"]}}})", R"({"a": null})"));
  CHECK_FALSE(valid(R"({"properties": {"a": {"bsonType": ["string", "null"]}}})", R"({"a": 1})"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": "date"}}})",
              R"({"a": {"$date": "2024-01-01T00:00:00Z"}})"));
  CHECK_FALSE(valid(R"({"properties": {"a": {"bsonType": "date"}}})", R"({"a": "2024-01-01"})"));
  CHECK(valid(R"({"properties": {"a": {"bsonType": "objectId"}}})",
              R"({"a": {"$oid": "65f450fa0000000000000000"}})"));
  CHECK_FALSE(valid(R"({"properties": {"a": {"bsonType": "object"}}})", R"({"a": {"$date": 0}})"));
  CHECK(valid(R"({"properties": {"a": {"type": "number"}}})", R"({"a": 2})"));
  CHECK(valid(R"({"properties": {"a": {"type": "boolean"}}})", R"({"a": false})"));
  CHECK(valid(R"({"properties": {"a": {"type": ["string", "array"]}}})", R"({"a": []})"));
  CHECK_FALSE(valid(R"({"properties": {"a": {"type": "object"}}})", R"({"a": []})"));
  CHECK(valid(R"({"properties": {"a": {"type": "string"}}})", "{}"));  // absent: not checked
}

TEST_CASE("object keywords", "[json][schema]") {
  const char* s = R"({"required": ["a", "b"], "properties": {"a": {"bsonType": "string"}, "b": {}},
                      "additionalProperties": false, "patternProperties": {"^x_": {"bsonType": "int"}},
                      "minProperties": 2, "maxProperties": 3})";
  CHECK(valid(s, R"({"a": "s", "b": 1})"));
  CHECK(valid(s, R"({"a": "s", "b": 1, "x_1": 5})"));
  CHECK_FALSE(valid(s, R"({"a": "s", "b": 1, "x_1": "no"})"));
  CHECK_FALSE(valid(s, R"({"a": "s"})"));
  CHECK_FALSE(valid(s, R"({"a": 1, "b": 1})"));
  CHECK_FALSE(valid(s, R"({"a": "s", "b": 1, "c": 1})"));
  CHECK_FALSE(valid(s, R"({"a": "s", "b": 1, "x_1": 1, "x_2": 2})"));
  CHECK(valid(R"({"additionalProperties": {"bsonType": "int"}, "properties": {"s": {}}})",
              R"({"s": "x", "n": 1})"));
  CHECK_FALSE(valid(R"({"additionalProperties": {"bsonType": "int"}})", R"({"n": "x"})"));
  CHECK(valid(R"({"properties": {"o": {"required": ["k"]}}})", R"({"o": {"k": null}})"));
  CHECK_FALSE(valid(R"({"properties": {"o": {"required": ["k"]}}})", R"({"o": {}})"));
  CHECK(valid(R"({"dependencies": {"card": ["billing"]}})", R"({"x": 1})"));
  CHECK_FALSE(valid(R"({"dependencies": {"card": ["billing"]}})", R"({"card": 1})"));
  CHECK(valid(R"({"dependencies": {"card": {"required": ["cvv"]}}})", R"({"card": 1, "cvv": 2})"));
  CHECK_FALSE(valid(R"({"dependencies": {"card": {"required": ["cvv"]}}})", R"({"card": 1})"));
}

TEST_CASE("number, string and enum keywords", "[json][schema]") {
  const char* n =
      R"({"properties": {"t": {"minimum": 0, "maximum": 100, "exclusiveMaximum": true, "multipleOf": 5}}})";
  CHECK(valid(n, R"({"t": 0})"));
  CHECK(valid(n, R"({"t": 95.0})"));
  CHECK_FALSE(valid(n, R"({"t": 100})"));
  CHECK_FALSE(valid(n, R"({"t": -5})"));
  CHECK_FALSE(valid(n, R"({"t": 7})"));
  CHECK(valid(n, R"({"t": "not a number"})"));  // numeric keywords ignore other types
  CHECK(
      valid(R"({"properties": {"t": {"minimum": 1, "exclusiveMinimum": true}}})", R"({"t": 1.5})"));
  CHECK_FALSE(
      valid(R"({"properties": {"t": {"minimum": 1, "exclusiveMinimum": true}}})", R"({"t": 1})"));
  CHECK(valid(R"({"properties": {"t": {"multipleOf": 0.5}}})", R"({"t": 2.5})"));
  const char* s =
      R"({"properties": {"s": {"minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$"}}})";
  CHECK(valid(s, R"({"s": "ab"})"));
  CHECK(valid(s, R"({"s": "éé"})"));  // lengths in code points
  CHECK_FALSE(valid(s, R"({"s": "a"})"));
  CHECK_FALSE(valid(s, R"({"s": "abcd"})"));
  CHECK_FALSE(valid(s, R"({"s": "A1"})"));
  const char* e = R"({"properties": {"c": {"enum": ["red", 1, null, [1, 2]]}}})";
  CHECK(valid(e, R"({"c": "red"})"));
  CHECK(valid(e, R"({"c": 1.0})"));
  CHECK(valid(e, R"({"c": null})"));
  CHECK(valid(e, R"({"c": [1, 2]})"));
  CHECK_FALSE(valid(e, R"({"c": "blue"})"));
}

TEST_CASE("array keywords", "[json][schema]") {
  const char* a =
      R"({"properties": {"l": {"items": {"bsonType": "int"}, "minItems": 1, "maxItems": 3, "uniqueItems": true}}})";
  CHECK(valid(a, R"({"l": [1, 2]})"));
  CHECK_FALSE(valid(a, R"({"l": []})"));
  CHECK_FALSE(valid(a, R"({"l": [1, 2, 3, 4]})"));
  CHECK_FALSE(valid(a, R"({"l": [1, "x"]})"));
  CHECK_FALSE(valid(a, R"({"l": [1, 1.0]})"));
  const char* t =
      R"({"properties": {"p": {"items": [{"bsonType": "string"}, {"bsonType": "int"}], "additionalItems": false}}})";
  CHECK(valid(t, R"({"p": ["a", 1]})"));
  CHECK(valid(t, R"({"p": ["a"]})"));
  CHECK_FALSE(valid(t, R"({"p": [1, "a"]})"));
  CHECK_FALSE(valid(t, R"({"p": ["a", 1, 2]})"));
  const char* t2 =
      R"({"properties": {"p": {"items": [{"bsonType": "string"}], "additionalItems": {"bsonType": "bool"}}}})";
  CHECK(valid(t2, R"({"p": ["a", true, false]})"));
  CHECK_FALSE(valid(t2, R"({"p": ["a", 1]})"));
}

TEST_CASE("combinators", "[json][schema]") {
  CHECK(valid(R"({"properties": {"v": {"anyOf": [{"bsonType": "int"}, {"bsonType": "string"}]}}})",
              R"({"v": "x"})"));
  CHECK_FALSE(
      valid(R"({"properties": {"v": {"anyOf": [{"bsonType": "int"}, {"bsonType": "string"}]}}})",
            R"({"v": 1.5})"));
  CHECK(valid(R"({"properties": {"v": {"allOf": [{"minimum": 1}, {"maximum": 3}]}}})",
              R"({"v": 2})"));
  CHECK_FALSE(valid(R"({"properties": {"v": {"allOf": [{"minimum": 1}, {"maximum": 3}]}}})",
                    R"({"v": 4})"));
  const char* one = R"({"properties": {"v": {"oneOf": [{"multipleOf": 3}, {"multipleOf": 5}]}}})";
  CHECK(valid(one, R"({"v": 9})"));
  CHECK_FALSE(valid(one, R"({"v": 15})"));
  CHECK_FALSE(valid(one, R"({"v": 7})"));
  CHECK(valid(R"({"properties": {"v": {"not": {"bsonType": "null"}}}})", R"({"v": 1})"));
  CHECK_FALSE(valid(R"({"properties": {"v": {"not": {"bsonType": "null"}}}})", R"({"v": null})"));
  CHECK(valid(R"({"title": "t", "description": "d", "properties": {}})", "{}"));
}

TEST_CASE("schema definition errors", "[json][schema][errors]") {
  CHECK(
      schema_error(R"({"bsonTyp": "object"})") ==
      "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/bsonTyp: unknown $jsonSchema "
      "keyword 'bsonTyp' (did you mean 'bsonType'?)");
  CHECK(schema_error(R"({"properties": {"a": {"minimun": 1}}})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/properties/a/minimun: "
        "unknown "
        "$jsonSchema keyword 'minimun' (did you mean 'minimum'?)");
  CHECK(schema_error(R"({"$ref": "#/x"})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/$ref: $jsonSchema keyword "
        "'$ref' is not supported");
  CHECK(schema_error(R"({"type": "integer"})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/type: $jsonSchema type "
        "'integer' is not supported; use bsonType 'int' or 'long'");
  CHECK(
      schema_error(R"({"type": "object", "bsonType": "object"})") ==
      "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema: a $jsonSchema schema cannot "
      "use both 'type' and 'bsonType'");
  CHECK(schema_error(R"({"required": []})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/required: $jsonSchema "
        "keyword "
        "'required' must be a non-empty array of strings");
  CHECK(schema_error(R"({"required": ["a", "a"]})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/required: $jsonSchema "
        "keyword "
        "'required' contains the duplicate 'a'");
  CHECK(schema_error(R"({"exclusiveMaximum": true})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/exclusiveMaximum: "
        "$jsonSchema "
        "keyword 'exclusiveMaximum' requires 'maximum' to be present");
  CHECK(schema_error(R"({"minLength": -1})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/minLength: $jsonSchema "
        "keyword "
        "'minLength' must be a non-negative integer");
  CHECK(schema_error(R"({"multipleOf": 0})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/multipleOf: $jsonSchema "
        "keyword 'multipleOf' must be a positive number");
  CHECK(schema_error(R"({"pattern": "("})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/pattern: invalid regular "
        "expression '(': missing closing parenthesis at offset 1");
  CHECK(schema_error(R"({"anyOf": []})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/anyOf: $jsonSchema keyword "
        "'anyOf' must be a non-empty array of schemas");
  CHECK(schema_error(R"({"items": [{"bsonType": "int"}, {"bsonTyp": 1}]})") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema/items/1/bsonTyp: unknown "
        "$jsonSchema keyword 'bsonTyp' (did you mean 'bsonType'?)");
  CHECK(schema_error("5") ==
        "[reel.query.json_schema] at /1/$validate/validator/$jsonSchema: a $jsonSchema schema must "
        "be an object");
}
