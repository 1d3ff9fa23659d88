// SPDX-License-Identifier: Apache-2.0
// The expression compiler: errors and their locations, constant folding, fast paths.
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace reel::json;
using reel_test::compile_error;
using reel_test::J;

TEST_CASE("unknown and unsupported operators", "[json][expression][errors]") {
  CHECK(compile_error(R"({"$ad": [1, 2]})", "/0/$project/x") ==
        "[reel.expression.unknown_operator] at /0/$project/x: unknown expression operator '$ad' "
        "(did you mean '$add'?)");
  CHECK(compile_error(R"({"$add": [1, {"$multiplyy": [2, 3]}]})", "/0/$project/x") ==
        "[reel.expression.unknown_operator] at /0/$project/x/$add/1: unknown expression operator "
        "'$multiplyy' (did you mean '$multiply'?)");
  CHECK(compile_error(R"({"a": {"b": {"$toUppr": "$s"}}})", "/2/$addFields") ==
        "[reel.expression.unknown_operator] at /2/$addFields/a/b: unknown expression operator "
        "'$toUppr' (did you mean '$toUpper'?)");
  CHECK(compile_error(R"({"$qwertyuiop": 1})") ==
        "[reel.expression.unknown_operator] at /x: unknown expression operator '$qwertyuiop'");
  CHECK(compile_error(R"({"$function": {}})") ==
        "[reel.expression.unsupported_operator] at /x: expression operator '$function' is not "
        "supported by Reel");
  CHECK(compile_error(R"({"$cond": {"if": {"$eq": [1]}, "then": 1, "else": 2}})", "/1/$set/y") ==
        "[reel.expression.bad_arguments] at /1/$set/y/$cond/if: $eq takes exactly 2 arguments, 1 "
        "was given");
  CHECK(compile_error(R"({"a/b": {"$xyzzy": 1}})", "/0") ==
        "[reel.expression.unknown_operator] at /0/a~1b: unknown expression operator '$xyzzy'");
}

TEST_CASE("evaluation errors carry the operator location", "[json][expression][errors]") {
  const expression e = compile_expression(J(R"({"$add": [1, {"$toInt": "$s"}]})"), "/1/$project/n");
  CHECK(
      reel_test::error_of([&] { (void)e.evaluate(J(R"({"s": "abc"})")); }) ==
      "[reel.expression.evaluation_failed] at /1/$project/n/$add/1: $toInt: Failed to parse number "
      "'abc' in $convert with no onError value");
  try {
    (void)e.evaluate(J(R"({"s": "x"})"));
    FAIL("no error");
  } catch (const reel::error& err) {
    CHECK(err.id() == "reel.expression.evaluation_failed");
    CHECK(err.where() == "/1/$project/n/$add/1");
  }
  CHECK(e.evaluate(J(R"({"s": "41"})")) == 42);
}

TEST_CASE("constant folding and fast paths", "[json][expression]") {
  const expression c = compile_expression(J(R"({"$add": [1, {"$multiply": [2, 3]}]})"));
  CHECK(c.is_constant());
  REQUIRE(c.constant_value() != nullptr);
  CHECK(reel_test::show(*c.constant_value()) == "7");
  CHECK_FALSE(c.is_field_path());

  // a constant that fails to evaluate is kept, and fails per document
  const expression bad = compile_expression(J(R"({"$add": [1, "a"]})"), "/x");
  CHECK_FALSE(bad.is_constant());

  const expression p = compile_expression(J(R"("$a.b")"));
  CHECK(p.is_field_path());
  REQUIRE(p.as_field_path() != nullptr);
  CHECK(p.as_field_path()->str() == "a.b");
  CHECK_FALSE(p.is_constant());
  CHECK(compile_expression(J(R"("$$ROOT.a")")).is_field_path());
  CHECK_FALSE(compile_expression(J(R"({"$add": ["$a", 1]})")).is_field_path());

  const document doc = J(R"({"a": {"b": {"big": [1, 2, 3]}}})");
  document scratch;
  const document& r = p.evaluate(doc, {}, scratch);
  CHECK(&r == &doc["a"]["b"]);  // no copy for a field path
  CHECK(scratch.is_null());

  const expression lit = compile_expression(J(R"({"k": "$a.b.big", "n": {"$literal": 1}})"));
  CHECK(reel_test::show(lit.evaluate(doc)) == R"({"k":[1,2,3],"n":1})");

  const expression none;
  CHECK(is_missing(none.evaluate(doc)));
  CHECK(none.is_constant());

  const expression copy = lit;  // copies share the compiled tree
  CHECK(reel_test::show(copy.evaluate(doc)) == reel_test::show(lit.evaluate(doc)));
}

TEST_CASE("EJSON input values are understood", "[json][expression]") {
  const document doc = J(R"({"n": {"$numberLong": "41"}, "d": {"$numberDouble": "0.5"},
                             "t": {"$date": {"$numberLong": "1704067200000"}}})");
  auto eval = [&](const char* spec) {
    return reel_test::show(compile_expression(J(spec)).evaluate(doc));
  };
  CHECK(eval(R"({"$add": ["$n", 1]})") == "42");
  CHECK(eval(R"({"$add": ["$n", "$d"]})") == "41.5");
  CHECK(eval(R"({"$year": "$t"})") == "2024");
  CHECK(eval(R"({"$add": ["$t", 1000]})") == R"({"$date":"2024-01-01T00:00:01.000Z"})");
  CHECK(eval(R"({"$type": "$n"})") == R"("long")");
  CHECK(eval(R"({"$gt": ["$n", 40.5]})") == "true");
}

TEST_CASE("the top-level fields an expression reads", "[json][expression][fields]") {
  auto fields = [](const char* spec) { return compile_expression(J(spec)).fields_read(); };
  using names = std::vector<std::string>;
  CHECK(fields(R"("$a.b.c")").names() == names{"a"});
  CHECK(fields(R"({"$add": ["$x", {"$multiply": ["$b", 2]}, "$$ROOT.c.d"]})").names() ==
        names{"b", "c", "x"});
  CHECK(fields(R"({"$let": {"vars": {"v": "$p"}, "in": {"$concat": ["$$v", "$q"]}}})").names() ==
        names{"p", "q"});
  CHECK(fields(R"({"$map": {"input": "$items", "as": "i", "in": "$$i.price"}})").names() ==
        names{"items"});
  CHECK(fields(R"({"$meta": "stream.source.topic"})").names().empty());
  CHECK(fields(R"({"$add": [1, 2]})").names().empty());
  CHECK_FALSE(fields(R"({"$add": [1, 2]})").whole());
  CHECK(fields(R"("$$ROOT")").whole());
  CHECK(fields(R"({"$mergeObjects": ["$$CURRENT", {"x": 1}]})").whole());
  CHECK(fields(R"({"$getField": "a"})").whole());  // reads $$CURRENT implicitly
  CHECK(fields(R"({"$getField": {"field": "a", "input": "$sub"}})").names() == names{"sub"});
  CHECK(compile_expression(J("1")).fields_read().names().empty());
}
