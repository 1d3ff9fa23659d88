// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the JSON front-end tests.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "reel/error.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/query.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/arena.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/value.hpp"
#endif

namespace reel_test {

using reel::json::document;

inline document J(const std::string& text) {
  return document::parse(text);
}

/// The dump of a value, "missing" for the missing value: exact, including int vs double.
inline std::string show(const document& d) {
  return reel::json::is_missing(d) ? std::string("missing") : d.dump();
}

/// Compiles `spec` and evaluates it on `doc`; the dump of the result.
inline std::string ev(const std::string& spec, const std::string& doc = "{}") {
  return show(reel::json::compile_expression(J(spec)).evaluate(J(doc)));
}

/// The `what()` of the `reel::error` thrown by `f`, or "no error".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const reel::error& e) {
    return e.what();
  }
  return "no error";
}

/// Compile error of an expression spec.
inline std::string compile_error(const std::string& spec, const std::string& where = "/x") {
  return error_of([&] { reel::json::compile_expression(J(spec), where); });
}

/// Evaluation error of an expression spec on a document.
inline std::string eval_error(const std::string& spec, const std::string& doc = "{}") {
  return error_of([&] { (void)reel::json::compile_expression(J(spec), "/x").evaluate(J(doc)); });
}

#if defined(REEL_JSON_VALUE_EVAL)
/// `doc` read as the value path reads its input (Extended JSON straight into values, types exact).
inline reel::bson::value V(const std::string& doc, reel::bson::arena& memory) {
  thread_local reel::bson::ejson_reader reader;
  return reader.parse(doc, memory);
}

/// The value path's decision (`query::matches` on a `bson::value`).
inline bool matches_value(const std::string& filter, const std::string& doc) {
  reel::bson::arena memory;
  return reel::json::compile_query(J(filter)).matches(V(doc, memory), {}, memory);
}
#endif

/// The decision of the nlohmann path; with the value path built, also checks that the value path
/// decides the same (cases where they must differ use `matches_value` on their own).
inline bool matches(const std::string& filter, const std::string& doc) {
  const bool decision = reel::json::compile_query(J(filter)).matches(J(doc));
#if defined(REEL_JSON_VALUE_EVAL)
  INFO("value path of " << filter << " on " << doc);
  CHECK(matches_value(filter, doc) == decision);
#endif
  return decision;
}

inline std::string query_error(const std::string& filter, const std::string& where = "/0/$match") {
  return error_of([&] { reel::json::compile_query(J(filter), where); });
}

}  // namespace reel_test
