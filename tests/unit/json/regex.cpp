// SPDX-License-Identifier: Apache-2.0
// Regular expressions on PCRE2 (issue #16 item 1): long subjects match, pathological patterns
// stop at the documented limits with `reel.expression.regex_limit`, hostile patterns are refused
// with a located error, and PCRE syntax behaves as MongoDB's.
#include <chrono>
#include <string>

#include "helpers.hpp"

namespace regex_test {

using namespace reel_test;

/// A pattern of `depth` nested capture groups around `a`.
std::string nested_groups(std::size_t depth) {
  return std::string(depth, '(') + "a" + std::string(depth, ')');
}

/// `{"s": <subject>, "p": <pattern>}` as a document.
document doc_of(const std::string& subject, const std::string& pattern = "") {
  document d = document::object();
  d["s"] = subject;
  d["p"] = pattern;
  return d;
}

std::string eval_on(const std::string& spec, const document& doc) {
  return show(reel::json::compile_expression(J(spec), "/x").evaluate(doc));
}

std::string eval_error_on(const std::string& spec, const document& doc) {
  return error_of([&] { (void)reel::json::compile_expression(J(spec), "/x").evaluate(doc); });
}

/// The id of the `reel::error` thrown by `f`, or "no error".
template <class F>
std::string error_id_of(F&& f) {
  try {
    f();
  } catch (const reel::error& e) {
    return e.id();
  }
  return "no error";
}

}  // namespace regex_test

using namespace regex_test;

TEST_CASE("regex: 30 KB and 64 KB subjects match ^.*$ (std::regex crashed)",
          "[json][regex][limits]") {
  for (const std::size_t size : {30u * 1024u, 64u * 1024u}) {
    const document d = doc_of(std::string(size, 'x'));
    CHECK(eval_on(R"({"$regexMatch": {"input": "$s", "regex": "^.*$"}})", d) == "true");
    CHECK(eval_on(R"({"$strLenCP": {"$getField": {"field": "match", "input":
                       {"$regexFind": {"input": "$s", "regex": "^(x|y)*$"}}}}})",
                  d) == std::to_string(size));
    CHECK(reel::json::compile_query(J(R"({"s": {"$regex": "^.*$"}})")).matches(d));
    CHECK(reel::json::compile_query(
              J(R"({"$jsonSchema": {"properties": {"s": {"pattern": "^.*$"}}}})"))
              .matches(d));
  }
}

TEST_CASE("regex: $regexFindAll over a 64 KB subject finds every match", "[json][regex][limits]") {
  std::string s;
  for (int i = 0; i < 16 * 1024; ++i)
    s += "é1 ";  // 4 bytes, 3 code points
  const document all =
      reel::json::compile_expression(J(R"({"$regexFindAll": {"input": "$s", "regex": "\\d"}})"))
          .evaluate(doc_of(s));
  REQUIRE(all.size() == 16 * 1024);
  CHECK(all.back()["idx"] == 3 * (16 * 1024 - 1) + 1);  // code points, not bytes
}

TEST_CASE("regex: (a+)+$ against 40 a's and a b stops at the match limit",
          "[json][regex][limits]") {
  const document d = doc_of(std::string(40, 'a') + "b");
  const auto start = std::chrono::steady_clock::now();
  CHECK(
      eval_error_on(R"({"$regexMatch": {"input": "$s", "regex": "(a+)+$"}})", d) ==
      "[reel.expression.regex_limit] at /x: $regexMatch: regular expression '(a+)+$' stopped at a "
      "limit: "
      "more than 1000000 match steps");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Measured, not asserted (std::regex took 5 s at 26 a's and doubled per a).
  INFO("(a+)+$ on 41 characters stopped after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
  CHECK(
      eval_error_on(R"({"$regexFindAll": {"input": "$s", "regex": "$p"}})",
                    doc_of(std::string(40, 'a') + "b", "(a+)+$")) ==
      "[reel.expression.regex_limit] at /x: $regexFindAll: regular expression '(a+)+$' stopped at "
      "a limit: "
      "more than 1000000 match steps");
  // In a query and a JSON Schema, the error names the pattern's place in the definition.
  CHECK(error_of([&] {
          (void)reel::json::compile_query(J(R"({"s": {"$regex": "(a+)+$"}})"), "/0/$match")
              .matches(d);
        }) ==
        "[reel.expression.regex_limit] at /0/$match/s/$regex: regular expression '(a+)+$' "
        "stopped at a limit: more than 1000000 match steps");
  CHECK(error_id_of([&] {
          (void)reel::json::compile_query(
              J(R"({"$jsonSchema": {"properties": {"s": {"pattern": "(a+)+$"}}}})"))
              .matches(d);
        }) == "reel.expression.regex_limit");
}

TEST_CASE("regex: 50,000 nested groups are refused, from the input and from the definition",
          "[json][regex][limits]") {
  const std::string deep = nested_groups(50000);  // 100,001 bytes
  CHECK(eval_error_on(R"({"$regexMatch": {"input": "$s", "regex": "$p"}})", doc_of("a", deep)) ==
        "[reel.expression.invalid_regex] at /x: $regexMatch: regular expression '" +
            std::string(64, '(') + "...' (100001 bytes) is too long: the limit is 32764 bytes");
  document spec = J(R"({"$regexMatch": {"input": "$s"}})");
  spec["$regexMatch"]["regex"] = deep;
  CHECK(error_id_of([&] { reel::json::compile_expression(spec, "/x"); }) ==
        "reel.expression.bad_arguments");
  document filter = document::object();
  filter["s"]["$regex"] = deep;
  CHECK(error_id_of([&] { reel::json::compile_query(filter); }) == "reel.query.bad_arguments");

  // Under the length limit, PCRE2's nesting limit (250) refuses 300 nested groups.
  const std::string nested300 = nested_groups(300);
  CHECK(
      eval_error_on(R"({"$regexMatch": {"input": "$s", "regex": "$p"}})", doc_of("a", nested300)) ==
      "[reel.expression.invalid_regex] at /x: $regexMatch: invalid regular expression '" +
          std::string(64, '(') +
          "...' (601 bytes): parentheses are too deeply nested at offset 251");
  CHECK(eval_on(R"({"$regexMatch": {"input": "$s", "regex": "$p"}})",
                doc_of("a", nested_groups(200))) == "true");
}

TEST_CASE("regex: the longest pattern accepted is 32764 bytes", "[json][regex][limits]") {
  const document d = doc_of(std::string(40000, 'c'));
  CHECK(eval_on(R"({"$regexMatch": {"input": "$s", "regex": "$p"}})",
                doc_of(std::string(40000, 'c'), std::string(32764, 'c'))) == "true");
  CHECK(error_id_of([&] {
          (void)reel::json::compile_expression(
              J(R"({"$regexMatch": {"input": "$s", "regex": "$p"}})"))
              .evaluate(doc_of("c", std::string(32765, 'c')));
        }) == "reel.expression.invalid_regex");
  (void)d;
}

TEST_CASE("regex: PCRE syntax and MongoDB options", "[json][regex]") {
  // PCRE constructs std::regex (ECMAScript) lacked.
  CHECK(ev(R"js({"$regexMatch": {"input": "ab", "regex": "(?<=a)b"}})js") == "true");
  CHECK(ev(R"js({"$regexFind": {"input": "x 42", "regex": "(?<n>\\d+)"}})js") ==
        R"js({"match":"42","idx":2,"captures":["42"]})js");
  CHECK(ev(R"js({"$regexMatch": {"input": "aaa", "regex": "^a++a"}})js") == "false");
  CHECK(ev(R"js({"$regexMatch": {"input": "ABC", "regex": "a(?i)bc"}})js") == "false");
  CHECK(ev(R"js({"$regexMatch": {"input": "aBC", "regex": "a(?i)bc"}})js") == "true");
  CHECK(ev(R"js({"$regexMatch": {"input": "x\ny", "regex": "(?s)x.y"}})js") == "true");
  // UTF mode: `.` is one code point and case folding covers non-ASCII letters.
  CHECK(ev(R"js({"$regexFind": {"input": "Éa", "regex": "^.a"}})js") ==
        R"js({"match":"Éa","idx":0,"captures":[]})js");
  CHECK(ev(R"js({"$regexMatch": {"input": "É", "regex": "é", "options": "i"}})js") == "true");
  // `u` is accepted and changes nothing; other letters are refused as MongoDB does.
  CHECK(ev(R"js({"$regexMatch": {"input": "a", "regex": "A", "options": "iu"}})js") == "true");
  CHECK(compile_error(R"js({"$regexMatch": {"input": "a", "regex": "a", "options": "g"}})js") ==
        "[reel.expression.bad_arguments] at /x: invalid regular expression option 'g' (supported: "
        "i, m, s, x, u)");
  // A NUL byte in a pattern is refused, as MongoDB does.
  CHECK(compile_error(R"js({"$regexMatch": {"input": "a", "regex": "a\u0000b"}})js") ==
        "[reel.expression.bad_arguments] at /x: a regular expression cannot contain a NUL byte");
  // $regexFindAll: `^` matches at the start only; empty matches advance one code point.
  CHECK(ev(R"js({"$regexFindAll": {"input": "aaa", "regex": "^a"}})js") ==
        R"js([{"match":"a","idx":0,"captures":[]}])js");
  CHECK(ev(R"js({"$regexFindAll": {"input": "éb", "regex": "b*"}})js") ==
        R"js([{"match":"","idx":0,"captures":[]},{"match":"b","idx":1,"captures":[]},)js"
        R"js({"match":"","idx":2,"captures":[]}])js");
  CHECK(ev(R"js({"$regexFindAll": {"input": "a-b", "regex": "(a)|(b)"}})js") ==
        R"js([{"match":"a","idx":0,"captures":["a",null]},)js"
        R"js({"match":"b","idx":2,"captures":[null,"b"]}])js");
}

TEST_CASE("regex: a subject that is not UTF-8 is an evaluation error", "[json][regex]") {
  CHECK(error_id_of([&] {
          (void)reel::json::compile_expression(
              J(R"({"$regexMatch": {"input": "$s", "regex": "a"}})"))
              .evaluate(doc_of("a\xff"));
        }) == "reel.expression.evaluation_failed");
}
