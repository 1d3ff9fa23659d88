// SPDX-License-Identifier: Apache-2.0
// MongoDB query filters.
#include <string>
#include <vector>

#include "helpers.hpp"

using reel_test::J;
using reel_test::matches;
using reel_test::query_error;

TEST_CASE("equality with implicit array traversal", "[json][query]") {
  CHECK(matches(R"({"a": 1})", R"({"a": 1})"));
  CHECK(matches(R"({"a": 1})", R"({"a": 1.0})"));
  CHECK(matches(R"({"a": 1})", R"({"a": [3, 1]})"));
  CHECK_FALSE(matches(R"({"a": 1})", R"({"a": [[1]]})"));
  CHECK_FALSE(matches(R"({"a": 1})", R"({"a": "1"})"));
  CHECK_FALSE(matches(R"({"a": 1})", "{}"));
  CHECK(matches(R"({"a": [1, 2]})", R"({"a": [1, 2]})"));
  CHECK(matches(R"({"a": [1, 2]})", R"({"a": [[1, 2], 3]})"));
  CHECK_FALSE(matches(R"({"a": [1, 2]})", R"({"a": [2, 1]})"));
  CHECK(matches(R"({"a": {"b": 1}})", R"({"a": {"b": 1}})"));
  CHECK_FALSE(matches(R"({"a": {"b": 1}})", R"({"a": {"b": 1, "c": 2}})"));
  CHECK(matches(R"({"a": {"b": 1}})", R"({"a": [{"b": 1}]})"));
  CHECK(matches(R"({"a.b": 2})", R"({"a": [{"b": 1}, {"b": 2}]})"));
  CHECK(matches(R"({"a.b": 2})", R"({"a": [{"b": [1, 2]}]})"));
  CHECK(matches(R"({"a.1.b": 2})", R"({"a": [{"b": 1}, {"b": 2}]})"));
  CHECK_FALSE(matches(R"({"a.0.b": 2})", R"({"a": [{"b": 1}, {"b": 2}]})"));
  CHECK(matches(R"({"a.1": 20})", R"({"a": [10, 20]})"));
  CHECK(matches(R"({"a.0": 1})", R"({"a": {"0": 1}})"));
  CHECK(matches(R"({"a.b.c": 1})", R"({"a": {"b": {"c": 1}}})"));
  CHECK(matches(R"({"s": "x", "n": 2})", R"({"s": "x", "n": 2})"));
  CHECK_FALSE(matches(R"({"s": "x", "n": 2})", R"({"s": "x", "n": 3})"));
  CHECK(matches("{}", R"({"anything": 1})"));
}

TEST_CASE("null matches missing", "[json][query][null]") {
  CHECK(matches(R"({"a": null})", "{}"));
  CHECK(matches(R"({"a": null})", R"({"a": null})"));
  CHECK(matches(R"({"a": null})", R"({"a": [1, null]})"));
  CHECK_FALSE(matches(R"({"a": null})", R"({"a": 0})"));
  CHECK_FALSE(matches(R"({"a": null})", R"({"a": []})"));
  CHECK(matches(R"({"a.b": null})", R"({"a": [{"b": 1}, {"c": 1}]})"));
  CHECK(matches(R"({"a.b": null})", R"({"a": 5})"));
  CHECK_FALSE(matches(R"({"a.b": null})", R"({"a": [1, 2]})"));
  CHECK_FALSE(matches(R"({"a.b": null})", R"({"a": [{"b": 1}]})"));
  CHECK(matches(R"({"a": {"$eq": null}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$ne": null}})", "{}"));
  CHECK(matches(R"({"a": {"$ne": null}})", R"({"a": 0})"));
  CHECK(matches(R"({"a": {"$in": [null, 5]}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$nin": [null]}})", R"({"a": null})"));
  CHECK(matches(R"({"a": {"$gte": null}})", "{}"));
  CHECK(matches(R"({"a": {"$lte": null}})", R"({"a": null})"));
  CHECK_FALSE(matches(R"({"a": {"$gt": null}})", R"({"a": null})"));
  CHECK_FALSE(matches(R"({"a": {"$gte": null}})", R"({"a": 0})"));
}

TEST_CASE("comparison with type bracketing", "[json][query][compare]") {
  CHECK(matches(R"({"a": {"$gt": 5}})", R"({"a": 6})"));
  CHECK(matches(R"({"a": {"$gt": 5}})", R"({"a": 5.5})"));
  CHECK_FALSE(matches(R"({"a": {"$gt": 5}})", R"({"a": "6"})"));
  CHECK_FALSE(matches(R"({"a": {"$gt": 5}})", R"({"a": {"$date": 9999999999999}})"));
  CHECK(matches(R"({"a": {"$gt": 5}})", R"({"a": [1, 10]})"));
  CHECK_FALSE(matches(R"({"a": {"$gt": 5}})", R"({"a": []})"));
  CHECK_FALSE(matches(R"({"a": {"$gt": 5}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$lt": 5}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$lt": 5}})", R"({"a": null})"));
  CHECK(matches(R"({"a": {"$gte": 5}})", R"({"a": 5.0})"));
  CHECK(matches(R"({"a": {"$lte": "m"}})", R"({"a": "apple"})"));
  CHECK_FALSE(matches(R"({"a": {"$lte": "m"}})", R"({"a": 1})"));
  CHECK(matches(R"({"ts": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}})",
                R"({"ts": {"$date": "2024-06-01T00:00:00.000Z"}})"));
  CHECK(matches(R"({"ts": {"$lt": {"$date": {"$numberLong": "1704067200000"}}}})",
                R"({"ts": {"$date": "2023-12-31T23:59:59.999Z"}})"));
  CHECK_FALSE(matches(R"({"ts": {"$gt": {"$date": "2024-01-01T00:00:00Z"}}})", R"({"ts": 1e15})"));
  // each operator is matched separately against the array's elements, as MongoDB does
  CHECK(matches(R"({"a": {"$gt": 1, "$lt": 5}})", R"({"a": [0, 10]})"));
  CHECK_FALSE(matches(R"({"a": {"$elemMatch": {"$gt": 1, "$lt": 5}}})", R"({"a": [0, 10]})"));
  CHECK(matches(R"({"a": {"$gt": [1]}})", R"({"a": [[2]]})"));
  CHECK(matches(R"({"a": {"$gt": {"$minKey": 1}}})", R"({"a": "x"})"));
  CHECK(matches(R"({"a": {"$lt": {"$maxKey": 1}}})", R"({"a": {"b": 1}})"));
  CHECK(matches(R"({"n": {"$eq": {"$numberLong": "5"}}})", R"({"n": 5})"));
  CHECK(matches(R"({"n": {"$gt": 2147483647}})", R"({"n": {"$numberLong": "2147483648"}})"));
}

TEST_CASE("$ne, $in, $nin", "[json][query]") {
  CHECK(matches(R"({"a": {"$ne": 1}})", R"({"a": 2})"));
  CHECK(matches(R"({"a": {"$ne": 1}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$ne": 1}})", R"({"a": [1, 2]})"));
  CHECK(matches(R"({"a": {"$in": [1, "x"]}})", R"({"a": "x"})"));
  CHECK(matches(R"({"a": {"$in": [1, "x"]}})", R"({"a": [3, 1]})"));
  CHECK_FALSE(matches(R"({"a": {"$in": [1, "x"]}})", R"({"a": 2})"));
  CHECK_FALSE(matches(R"({"a": {"$in": []}})", R"({"a": 2})"));
  CHECK(matches(R"({"a": {"$in": [[1, 2]]}})", R"({"a": [1, 2]})"));
  CHECK(matches(R"({"a": {"$in": [{"$regularExpression": {"pattern": "^ab", "options": ""}}]}})",
                R"({"a": "abc"})"));
  CHECK(matches(R"({"a": {"$nin": [1, 2]}})", R"({"a": 3})"));
  CHECK(matches(R"({"a": {"$nin": [1, 2]}})", "{}"));
  CHECK_FALSE(matches(R"({"a": {"$nin": [1, 2]}})", R"({"a": [3, 2]})"));
  CHECK(query_error(R"({"a": {"$in": 5}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$in: $in needs an array");
  CHECK(query_error(R"({"a": {"$nin": [{"$gt": 1}]}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$nin/0: cannot nest an operator ('$gt') under "
        "$in");
}

TEST_CASE("$exists, $type", "[json][query]") {
  CHECK(matches(R"({"a": {"$exists": true}})", R"({"a": null})"));
  CHECK_FALSE(matches(R"({"a": {"$exists": true}})", "{}"));
  CHECK(matches(R"({"a": {"$exists": false}})", "{}"));
  CHECK(matches(R"({"a": {"$exists": 0}})", "{}"));
  CHECK(matches(R"({"a.b": {"$exists": false}})", R"({"a": [{"c": 1}]})"));
  CHECK_FALSE(matches(R"({"a.b": {"$exists": false}})", R"({"a": [{"c": 1}, {"b": null}]})"));
  CHECK(matches(R"({"a": {"$type": "string"}})", R"({"a": "x"})"));
  CHECK(matches(R"({"a": {"$type": "string"}})", R"({"a": [1, "x"]})"));
  CHECK(matches(R"({"a": {"$type": "array"}})", R"({"a": []})"));
  CHECK(matches(R"({"a": {"$type": "number"}})", R"({"a": 1.5})"));
  CHECK(matches(R"({"a": {"$type": 16}})", R"({"a": 1})"));
  CHECK_FALSE(matches(R"({"a": {"$type": "int"}})", R"({"a": 3000000000})"));
  CHECK(matches(R"({"a": {"$type": "long"}})", R"({"a": 3000000000})"));
  CHECK(matches(R"({"a": {"$type": ["string", "null"]}})", R"({"a": null})"));
  CHECK(matches(R"({"a": {"$type": "date"}})", R"({"a": {"$date": 0}})"));
  CHECK(
      matches(R"({"a": {"$type": "objectId"}})", R"({"a": {"$oid": "65f450fa0000000000000000"}})"));
  CHECK(matches(R"({"a": {"$type": "object"}})", R"({"a": {"x": 1}})"));
  CHECK_FALSE(matches(R"({"a": {"$type": "object"}})", R"({"a": {"$date": 0}})"));
  CHECK_FALSE(matches(R"({"a": {"$type": "null"}})", "{}"));
  CHECK(query_error(R"({"a": {"$type": "strng"}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$type: unknown type name alias 'strng' (did you "
        "mean 'string'?)");
  CHECK(query_error(R"({"a": {"$type": 99}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$type: invalid numerical type code: 99");
}

TEST_CASE("$regex", "[json][query][regex]") {
  CHECK(matches(R"({"a": {"$regex": "^ab", "$options": "i"}})", R"({"a": "ABc"})"));
  CHECK_FALSE(matches(R"({"a": {"$regex": "^ab"}})", R"({"a": "ABc"})"));
  CHECK(matches(R"({"a": {"$regex": "b"}})", R"({"a": ["x", "abc"]})"));
  CHECK_FALSE(matches(R"({"a": {"$regex": "1"}})", R"({"a": 1})"));
  CHECK_FALSE(matches(R"({"a": {"$regex": "a"}})", "{}"));
  CHECK(matches(R"({"a": {"$regularExpression": {"pattern": "c$", "options": ""}}})",
                R"({"a": "abc"})"));
  CHECK(matches(R"({"a": {"$regex": {"$regularExpression": {"pattern": "^A", "options": "i"}}}})",
                R"({"a": "abc"})"));
  CHECK(matches(R"({"a": {"$regex": "^x.y$", "$options": "s"}})", R"({"a": "x\ny"})"));
  CHECK(matches(R"({"a": {"$regex": "^y", "$options": "m"}})", R"({"a": "x\ny"})"));
  CHECK(query_error(R"({"a": {"$options": "i"}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$options: $options needs a $regex");
  CHECK(query_error(R"({"a": {"$regex": "("}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$regex: invalid regular expression '(': "
        "missing closing parenthesis at offset 1");
  CHECK(query_error(R"({"a": {"$regex": 5}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$regex: $regex has to be a string");
  CHECK(query_error(R"({"a": {"$regex": "a", "$options": "z"}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$regex: invalid regular expression option 'z' "
        "(supported: i, m, s, x, u)");
}

TEST_CASE("$not, $mod, $size, $all", "[json][query]") {
  CHECK(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"a": 3})"));
  CHECK(matches(R"({"a": {"$not": {"$gt": 5}}})", "{}"));
  CHECK(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"a": "x"})"));
  CHECK_FALSE(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"a": 6})"));
  CHECK_FALSE(matches(R"({"a": {"$not": {"$gt": 5, "$lt": 10}}})", R"({"a": 7})"));
  CHECK(matches(R"({"a": {"$not": {"$gt": 5, "$lt": 10}}})", R"({"a": 12})"));
  CHECK(matches(R"({"a": {"$not": {"$regularExpression": {"pattern": "^a", "options": ""}}}})",
                R"({"a": "b"})"));
  CHECK_FALSE(matches(R"({"a": {"$not": {"$regex": "^a"}}})", R"({"a": "abc"})"));
  CHECK(query_error(R"({"a": {"$not": 5}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$not: $not needs a regex or an object of "
        "operators");
  CHECK(query_error(R"({"a": {"$not": {}}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$not: $not cannot be empty");
  CHECK(matches(R"({"a": {"$mod": [4, 0]}})", R"({"a": 8})"));
  CHECK(matches(R"({"a": {"$mod": [4, 0]}})", R"({"a": 8.9})"));
  CHECK_FALSE(matches(R"({"a": {"$mod": [4, 0]}})", R"({"a": 7})"));
  CHECK(matches(R"({"a": {"$mod": [4, 0]}})", R"({"a": [1, 12]})"));
  CHECK_FALSE(matches(R"({"a": {"$mod": [4, 0]}})", R"({"a": "8"})"));
  CHECK(matches(R"({"a": {"$mod": [-3, -1]}})", R"({"a": -7})"));
  CHECK(query_error(R"({"a": {"$mod": [0, 1]}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$mod: $mod divisor cannot be 0");
  CHECK(query_error(R"({"a": {"$mod": [4]}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$mod: $mod needs an array of 2 numbers: "
        "[divisor, remainder]");
  CHECK(matches(R"({"a": {"$size": 2}})", R"({"a": [1, [2, 3]]})"));
  CHECK_FALSE(matches(R"({"a": {"$size": 2}})", R"({"a": [[1, 2]]})"));
  CHECK_FALSE(matches(R"({"a": {"$size": 2}})", R"({"a": "ab"})"));
  CHECK(matches(R"({"a": {"$size": 0}})", R"({"a": []})"));
  CHECK(matches(R"({"a.b": {"$size": 1}})", R"({"a": [{"b": [1]}, {"b": [1, 2]}]})"));
  CHECK(query_error(R"({"a": {"$size": -1}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$size: $size needs a non-negative integer");
  CHECK(query_error(R"({"a": {"$size": 1.5}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$size: $size needs a non-negative integer");
  CHECK(matches(R"({"a": {"$all": [1, 2]}})", R"({"a": [2, 3, 1]})"));
  CHECK_FALSE(matches(R"({"a": {"$all": [1, 2]}})", R"({"a": [1]})"));
  CHECK(matches(R"({"a": {"$all": [1]}})", R"({"a": 1})"));
  CHECK_FALSE(matches(R"({"a": {"$all": []}})", R"({"a": [1]})"));
  CHECK(matches(R"({"a": {"$all": [[1, 2]]}})", R"({"a": [1, 2]})"));
  CHECK(matches(R"({"a": {"$all": [[1, 2]]}})", R"({"a": [[1, 2], 3]})"));
  CHECK(matches(R"({"a": {"$all": [{"$elemMatch": {"x": 1}}, {"$elemMatch": {"y": 2}}]}})",
                R"({"a": [{"x": 1}, {"y": 2}]})"));
  CHECK_FALSE(matches(R"({"a": {"$all": [{"$elemMatch": {"x": 1}}, {"$elemMatch": {"y": 3}}]}})",
                      R"({"a": [{"x": 1}, {"y": 2}]})"));
  CHECK(query_error(R"({"a": {"$all": 1}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$all: $all needs an array");
}

TEST_CASE("$elemMatch", "[json][query]") {
  CHECK(matches(R"({"a": {"$elemMatch": {"$gte": 80, "$lt": 85}}})", R"({"a": [70, 82]})"));
  CHECK_FALSE(matches(R"({"a": {"$elemMatch": {"$gte": 80, "$lt": 85}}})", R"({"a": [70, 90]})"));
  CHECK_FALSE(matches(R"({"a": {"$elemMatch": {"$gte": 80}}})", R"({"a": 82})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"x": 1, "y": {"$gt": 1}}}})",
                R"({"a": [{"x": 1, "y": 2}]})"));
  CHECK_FALSE(matches(R"({"a": {"$elemMatch": {"x": 1, "y": {"$gt": 1}}}})",
                      R"({"a": [{"x": 1, "y": 0}, {"x": 2, "y": 2}]})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"$ne": 1}}})", R"({"a": [1, 2]})"));
  CHECK_FALSE(matches(R"({"a": {"$elemMatch": {"$ne": 1}}})", R"({"a": [1, 1]})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"b.c": 1}}})", R"({"a": [{"b": {"c": 1}}]})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"$or": [{"x": 5}, {"y": 5}]}}})", R"({"a": [{"y": 5}]})"));
  CHECK(matches(R"({"a.b": {"$elemMatch": {"$in": [3]}}})", R"({"a": [{"b": [1]}, {"b": [3]}]})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"$not": {"$gt": 1}}}})", R"({"a": [5, 0]})"));
  CHECK(matches(R"({"a": {"$elemMatch": {"$type": "string", "$regex": "^x"}}})",
                R"({"a": [1, "xy"]})"));
  CHECK(query_error(R"({"a": {"$elemMatch": 1}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$elemMatch: $elemMatch needs an object");
  CHECK(query_error(R"({"a": {"$elemMatch": {"$expr": true}}})") ==
        "[reel.query.bad_arguments] at /0/$match/a/$elemMatch/$expr: $expr can only be applied to "
        "the "
        "top-level document");
}

TEST_CASE("$and, $or, $nor, $comment, $alwaysTrue", "[json][query][logical]") {
  CHECK(matches(R"({"$or": [{"a": 1}, {"b": 2}]})", R"({"b": 2})"));
  CHECK_FALSE(matches(R"({"$or": [{"a": 1}, {"b": 2}]})", R"({"b": 3})"));
  CHECK(matches(R"({"$and": [{"a": {"$gt": 1}}, {"a": {"$lt": 3}}]})", R"({"a": 2})"));
  CHECK_FALSE(matches(R"({"$and": [{"a": {"$gt": 1}}, {"a": {"$lt": 3}}]})", R"({"a": 3})"));
  CHECK(matches(R"({"$nor": [{"a": 1}, {"b": 1}]})", "{}"));
  CHECK_FALSE(matches(R"({"$nor": [{"a": 1}, {"b": 1}]})", R"({"b": 1})"));
  CHECK(matches(R"({"x": 1, "$or": [{"a": 1}, {"$and": [{"b": 1}, {"c": 1}]}]})",
                R"({"x": 1, "b": 1, "c": 1})"));
  CHECK(matches(R"({"$comment": "why", "a": 1})", R"({"a": 1})"));
  CHECK(matches(R"({"$alwaysTrue": 1})", "{}"));
  CHECK_FALSE(matches(R"({"$alwaysFalse": 1})", "{}"));
  CHECK(query_error(R"({"$or": []})") ==
        "[reel.query.bad_arguments] at /0/$match/$or: $or must be a non-empty array");
  CHECK(query_error(R"({"$and": [1]})") ==
        "[reel.query.bad_arguments] at /0/$match/$and/0: $and entries must be objects");
  CHECK(
      query_error(R"({"$andd": []})") ==
      "[reel.query.unknown_operator] at /0/$match/$andd: unknown top level query operator '$andd' "
      "(did you mean '$and'?)");
  CHECK(query_error(R"({"$where": "this.a > 1"})") ==
        "[reel.query.unknown_operator] at /0/$match/$where: query operator '$where' is not "
        "supported");
  CHECK(query_error(R"({"a": {"$gtt": 1}})") ==
        "[reel.query.unknown_operator] at /0/$match/a/$gtt: unknown query operator '$gtt' (did you "
        "mean '$gt'?)");
  CHECK(query_error(R"({"loc": {"$near": [0, 0]}})") ==
        "[reel.query.unknown_operator] at /0/$match/loc/$near: query operator '$near' is not "
        "supported");
  CHECK(query_error(R"({"a": {"$or": [1]}})") ==
        "[reel.query.unknown_operator] at /0/$match/a/$or: unknown query operator '$or' (did you "
        "mean '$eq'?)");
  CHECK(query_error("[1]") ==
        "[reel.query.bad_arguments] at /0/$match: a query filter must be an object, found array");
  CHECK(query_error(R"({"a..b": 1})") ==
        "[reel.json.bad_field_path] at /0/$match/a..b: field path 'a..b' has an empty component");
}

TEST_CASE("$expr and $meta in queries", "[json][query][expr]") {
  CHECK(matches(R"({"$expr": {"$gt": ["$a", "$b"]}})", R"({"a": 2, "b": 1})"));
  CHECK_FALSE(matches(R"({"$expr": {"$gt": ["$a", "$b"]}})", R"({"a": 1, "b": 1})"));
  CHECK(matches(R"({"$expr": "$flag"})", R"({"flag": 1})"));
  CHECK_FALSE(matches(R"({"$expr": "$flag"})", "{}"));
  const reel::json::query q = reel::json::compile_query(
      J(R"({"$expr": {"$eq": [{"$meta": "stream.source.partition"}, 3]}})"));
  const reel::json::document meta = J(R"({"source": {"partition": 3}})");
  reel::json::eval_context ctx;
  ctx.meta = &meta;
  CHECK(q.matches(J("{}"), ctx));
  CHECK_FALSE(q.matches(J("{}")));
  CHECK(query_error(R"({"$expr": {"$ad": [1]}})") ==
        "[reel.expression.unknown_operator] at /0/$match/$expr: unknown expression operator '$ad' "
        "(did you mean '$add'?)");
  // evaluation failures in $expr surface as reel::error (the processor routes them to the DLQ)
  CHECK(reel_test::error_of([] {
          (void)reel::json::compile_query(J(R"({"$expr": {"$add": ["$s", 1]}})"), "/1/$match")
              .matches(J(R"({"s": "x"})"));
        }) ==
        "[reel.expression.evaluation_failed] at /1/$match/$expr: $add only supports numeric or "
        "date types, not string");
}

TEST_CASE("$jsonSchema in a query", "[json][query][schema]") {
  const char* filter =
      R"({"$jsonSchema": {"required": ["a"], "properties": {"a": {"bsonType": "int"}}}, "b": 1})";
  CHECK(matches(filter, R"({"a": 1, "b": 1})"));
  CHECK_FALSE(matches(filter, R"({"a": 1.5, "b": 1})"));
  CHECK_FALSE(matches(filter, R"({"b": 1})"));
  CHECK_FALSE(matches(filter, R"({"a": 1, "b": 2})"));
  CHECK(query_error(R"({"$jsonSchema": {"bsonType": "objec"}})") ==
        "[reel.query.json_schema] at /0/$match/$jsonSchema/bsonType: unknown $jsonSchema bsonType "
        "'objec' (did you mean 'object'?)");
}

TEST_CASE("a default query matches everything", "[json][query]") {
  const reel::json::query q;
  CHECK(q.matches(J("{}")));
  const reel::json::query copy = reel::json::compile_query(J(R"({"a": 1})"));
  const reel::json::query other = copy;
  CHECK(other.matches(J(R"({"a": 1})")));
}

TEST_CASE("the top-level fields a query reads", "[json][query][fields]") {
  auto fields = [](const char* filter) {
    return reel::json::compile_query(J(filter)).fields_read();
  };
  using names = std::vector<std::string>;
  CHECK(fields(R"({"a.b": 1, "c": {"$gt": 0}})").names() == names{"a", "c"});
  CHECK(fields(R"({"$or": [{"x": 1}, {"$and": [{"y": 2}, {"z.w": 3}]}]})").names() ==
        names{"x", "y", "z"});
  CHECK(fields(R"({"arr": {"$elemMatch": {"inner": 1, "other": {"$gt": 2}}}})").names() ==
        names{"arr"});
  CHECK(fields(R"({"$expr": {"$gt": ["$p", "$q"]}, "$comment": "c"})").names() == names{"p", "q"});
  CHECK(fields("{}").names().empty());
  CHECK(fields(R"({"$jsonSchema": {"required": ["a"]}})").whole());
  CHECK(fields(R"({"$expr": {"$eq": [{"$size": {"$objectToArray": "$$ROOT"}}, 2]}})").whole());
}
