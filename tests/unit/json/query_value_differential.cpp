// SPDX-License-Identifier: Apache-2.0
// `$match` filters and `$validate` validators (`$jsonSchema` included) decided on the BSON value
// model (`query::matches(bson::value, …)`) against the nlohmann decision, for every filter of the
// conformance files in tests/data/stages and tests/data/pipelines, over each case's inputs (read
// into values as the value path reads input: Extended JSON straight into exact types). The
// cases of tests/unit/json/query.cpp and json_schema.cpp are run both ways by their helpers.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/query.hpp"
#include "unit/json/value_helpers.hpp"

namespace query_value_differential {

namespace fs = std::filesystem;
using reel::json::document;
using value_test::case_files;
using value_test::load;

struct found_filter {
  document spec;
  std::string where;
};

void collect_pipeline(const document& pipeline, const std::string& where,
                      std::vector<found_filter>& out);

/// The filters of one stage: `$match`, `$validate`'s validator, and those of a window's inner
/// pipeline.
void collect_stage(const document& stage, const std::string& where,
                   std::vector<found_filter>& out) {
  if (!stage.is_object() || stage.size() != 1) return;
  const std::string& name = stage.begin().key();
  const document& arg = stage.begin().value();
  const std::string w = where + "/" + name;
  if (name == "$match") {
    out.push_back({arg, w});
  } else if (name == "$validate") {
    if (arg.is_object() && arg.contains("validator")) {
      out.push_back({arg["validator"], w + "/validator"});
    }
  } else if (arg.is_object() && arg.contains("pipeline")) {
    collect_pipeline(arg["pipeline"], w + "/pipeline", out);
  }
}

void collect_pipeline(const document& pipeline, const std::string& where,
                      std::vector<found_filter>& out) {
  if (!pipeline.is_array()) return;
  for (std::size_t i = 0; i < pipeline.size(); ++i)
    collect_stage(pipeline[i], where + "/" + std::to_string(i), out);
}

/// A decision or the text of the error that replaced it.
struct outcome {
  bool matched = false;
  std::string error;
};

template <class F>
outcome decide(F&& f) {
  outcome o;
  try {
    o.matched = f();
  } catch (const reel::error& e) {
    o.error = e.what();
  }
  return o;
}

}  // namespace query_value_differential

TEST_CASE(
    "value-path $match and $validate agree with the nlohmann path on every conformance filter",
    "[json][query][value]") {
  using namespace query_value_differential;
  std::size_t filters = 0, decisions = 0, matched = 0, errors = 0, schemas = 0;
  reel::bson::ejson_reader reader;
  for (const fs::path& file : case_files()) {
    const document cases = load(file);
    REQUIRE(cases.is_array());
    for (const document& c : cases) {
      std::vector<found_filter> found;
      if (c.contains("stage")) collect_stage(c["stage"], "", found);
      if (c.contains("pipeline")) collect_pipeline(c["pipeline"], "", found);
      if (!c.contains("input") || !c["input"].is_array()) continue;
      for (const found_filter& f : found) {
        reel::json::query q;
        try {
          q = reel::json::compile_query(f.spec, f.where);
        } catch (const reel::error&) {
          continue;  // a conformance case of a definition error
        }
        ++filters;
        if (f.spec.dump().find("$jsonSchema") != std::string::npos) ++schemas;
        for (const document& input : c["input"]) {
          if (!input.is_object()) continue;
          ++decisions;
          INFO(file.filename().string() << " | " << c.value("name", "") << " | " << f.where << " | "
                                        << f.spec.dump() << " | " << input.dump());
          reel::bson::arena memory;
          const reel::bson::value doc = reader.parse(input.dump(), memory);
          // The nlohmann side reads the input as the runtime does (`parse_ejson_line`).
          const document old_input = reel::json::parse_ejson_line(input.dump());
          const outcome old_way = decide([&] { return q.matches(old_input); });
          const outcome value_way = decide([&] { return q.matches(doc, {}, memory); });
          CHECK(old_way.error == value_way.error);
          CHECK(old_way.matched == value_way.matched);
          matched += value_way.matched ? 1 : 0;
          errors += value_way.error.empty() ? 0 : 1;
        }
      }
    }
  }
  // The conformance files hold dozens of filters; all are compared, on both outcomes.
  CHECK(filters > 25);
  CHECK(matched > 30);
  CHECK(decisions - matched > 30);
  WARN("value-path query differential: " << filters << " filters (" << schemas
                                         << " with $jsonSchema), " << decisions << " decisions ("
                                         << matched << " matched, " << errors << " equal errors)");
}

#endif  // REEL_JSON_VALUE_EVAL
