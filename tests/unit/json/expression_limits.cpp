// SPDX-License-Identifier: Apache-2.0
// The size and depth limits of values built by expressions (detail/value_limits.hpp,
// docs/semantics.md §17): 16 MiB and 200 levels, as MongoDB bounds a document. Each case builds
// past a limit with a few operators and must fail with reel.expression.too_large or too_deep at
// the operator that grew the value, in bounded time and memory; values inside the limits pass.
#include <string>

#include "helpers.hpp"

using reel_test::ev;
using reel_test::eval_error;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE("$concat stops at 16 MiB instead of building strings of any size",
          "[json][expression][limits]") {
  // Doubles a string 40 times: 2^40 bytes without the limit.
  const std::string e =
      eval_error(R"({"$reduce": {"input": {"$range": [0, 40]}, "initialValue": "x",
      "in": {"$concat": ["$$value", "$$value"]}}})");
  CHECK(e ==
        "[reel.expression.too_large] at /x/$reduce/in: $concat would build a string of more than "
        "16777216 bytes (16 MiB, MongoDB's largest document)");
  // 2^20 bytes is fine.
  CHECK(ev(R"({"$strLenBytes": {"$reduce": {"input": {"$range": [0, 20]}, "initialValue": "x",
      "in": {"$concat": ["$$value", "$$value"]}}}})") == "1048576");
}

TEST_CASE("$reduce cannot nest a value deeper than 200 levels", "[json][expression][limits]") {
  const std::string e = eval_error(R"({"$reduce": {"input": {"$range": [0, 10000]},
      "initialValue": {}, "in": {"a": "$$value"}}})");
  CHECK(e ==
        "[reel.expression.too_deep] at /x: $reduce would build a value nested more than 200 "
        "levels deep (MongoDB's limit)");
  const std::string arrays = eval_error(R"({"$reduce": {"input": {"$range": [0, 10000]},
      "initialValue": [], "in": ["$$value"]}})");
  CHECK(starts_with(arrays, "[reel.expression.too_deep] at /x: $reduce"));
  // 199 levels inside the top one: at the limit, accepted.
  CHECK_FALSE(starts_with(eval_error(R"({"$reduce": {"input": {"$range": [0, 199]},
      "initialValue": {}, "in": {"a": "$$value"}}})"),
                          "[reel"));
}

TEST_CASE("$reduce that doubles a document stops at the size limit, not after 2^n copies",
          "[json][expression][limits]") {
  const std::string kb(1000, 'k');
  const std::string e = eval_error(R"({"$reduce": {"input": {"$range": [0, 64]},
      "initialValue": ["$k"], "in": {"$concatArrays": ["$$value", "$$value"]}}})",
                                   R"({"k": ")" + kb + R"("})");
  CHECK(starts_with(e, "[reel.expression.too_large] at /x/$reduce/in: $concatArrays would build"));
  const std::string literal = eval_error(R"({"$reduce": {"input": {"$range": [0, 64]},
      "initialValue": "$k", "in": {"a": "$$value", "b": "$$value"}}})",
                                         R"({"k": ")" + kb + R"("})");
  CHECK(starts_with(literal, "[reel.expression.too_large] at /x: $reduce would build a value"));
}

TEST_CASE("$range, $map and $concatArrays results are bounded by 16 MiB",
          "[json][expression][limits]") {
  CHECK(eval_error(R"({"$range": [0, 2000000]})") ==
        "[reel.expression.too_large] at /x: $range would build an array of more than 16777216 "
        "bytes (16 MiB, MongoDB's largest document)");
  CHECK(ev(R"({"$size": {"$range": [0, 100000]}})") == "100000");
  // 100,000 copies of a 1,000-byte string.
  const std::string doc = R"({"s": ")" + std::string(1000, 's') + R"("})";
  CHECK(starts_with(eval_error(R"({"$map": {"input": {"$range": [0, 100000]}, "in": "$s"}})", doc),
                    "[reel.expression.too_large] at /x: $map would build a value of more than"));
  // Twice an array of ten 1 MB strings.
  std::string tens = R"({"a": [)";
  for (int i = 0; i < 10; ++i)
    tens += (i ? ", \"" : "\"") + std::string(1'000'000, 'a') + "\"";
  tens += "]}";
  CHECK(starts_with(eval_error(R"({"$concatArrays": ["$a", "$a"]})", tens),
                    "[reel.expression.too_large] at /x: $concatArrays would build"));
}

TEST_CASE("an object literal over the limits fails where it is evaluated",
          "[json][expression][limits]") {
  // Ten references to a 2 MB string: 20 MB built by one literal.
  const std::string doc = R"({"s": ")" + std::string(2'000'000, 's') + R"("})";
  std::string spec = "{";
  for (int i = 0; i < 10; ++i)
    spec += (i ? ", " : "") + std::string("\"f") + std::to_string(i) + R"(": "$s")";
  spec += "}";
  CHECK(eval_error(spec, doc) ==
        "[reel.expression.too_large] at /x: an expression would build a value of more than "
        "16777216 bytes (16 MiB, MongoDB's largest document)");
}
