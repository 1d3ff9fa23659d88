// SPDX-License-Identifier: Apache-2.0
// The value-model evaluation (`expression::evaluate_value`) against the nlohmann one
// (`evaluate`), on every expression of the conformance files in tests/data/stages and
// tests/data/pipelines, over each case's input documents. Bridged operators must agree exactly;
// native ones (arithmetic, comparison, conversion) too wherever the nlohmann path is exact.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/expression.hpp"
#include "reel/time.hpp"
#include "unit/json/value_helpers.hpp"

namespace value_eval_differential {

namespace fs = std::filesystem;
using reel::json::document;
using value_test::case_files;
using value_test::load;
using value_test::same_typed;
using value_test::show;

struct found_expression {
  document spec;
  std::string where;
};

/// Collects the expressions of one stage (and of a window's inner pipeline).
void collect_stage(const document& stage, const std::string& where,
                   std::vector<found_expression>& out);

void collect_pipeline(const document& pipeline, const std::string& where,
                      std::vector<found_expression>& out) {
  if (!pipeline.is_array()) return;
  for (std::size_t i = 0; i < pipeline.size(); ++i)
    collect_stage(pipeline[i], where + "/" + std::to_string(i), out);
}

/// `$project`'s values that are expressions (not inclusion or exclusion flags).
void collect_projection(const document& spec, const std::string& where,
                        std::vector<found_expression>& out) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const document& v = *it;
    const std::string w = where + "/" + it.key();
    if (v.is_boolean() || v.is_number()) continue;
    if (v.is_object() && !v.empty() && v.begin().key()[0] != '$') {
      collect_projection(v, w, out);
    } else {
      out.push_back({v, w});
    }
  }
}

void collect_stage(const document& stage, const std::string& where,
                   std::vector<found_expression>& out) {
  if (!stage.is_object() || stage.size() != 1) return;
  const std::string& name = stage.begin().key();
  const document& arg = stage.begin().value();
  const std::string w = where + "/" + name;
  if (name == "$addFields" || name == "$set") {
    if (!arg.is_object()) return;
    for (auto it = arg.begin(); it != arg.end(); ++it)
      out.push_back({*it, w + "/" + it.key()});
  } else if (name == "$project") {
    if (arg.is_object()) collect_projection(arg, w, out);
  } else if (name == "$replaceRoot") {
    if (arg.is_object() && arg.contains("newRoot")) out.push_back({arg["newRoot"], w + "/newRoot"});
  } else if (name == "$replaceWith" || name == "$redact") {
    out.push_back({arg, w});
  } else if (name == "$match") {
    if (arg.is_object() && arg.contains("$expr")) out.push_back({arg["$expr"], w + "/$expr"});
  } else if (name == "$group") {
    if (!arg.is_object()) return;
    for (auto it = arg.begin(); it != arg.end(); ++it) {
      if (it.key() == "_id") {
        out.push_back({*it, w + "/_id"});
      } else if (it->is_object() && it->size() == 1) {
        out.push_back({it->begin().value(), w + "/" + it.key() + "/" + it->begin().key()});
      }
    }
  } else if (name == "$source") {
    if (arg.is_object() && arg.contains("timeField")) {
      out.push_back({arg["timeField"], w + "/timeField"});
    }
  } else if (arg.is_object() && arg.contains("pipeline")) {  // windows
    collect_pipeline(arg["pipeline"], w + "/pipeline", out);
  }
}

/// The nlohmann path is not exact for int64 and Decimal128 (it keeps neither type): inputs or
/// expressions that hold them, or operators whose server result is a long (`$dateDiff`,
/// `$isoWeekYear`), are compared by value only.
bool holds_long_or_decimal(const document& d) {
  const std::string text = d.dump();
  return value_test::mentions_long_or_decimal(text) ||
         text.find("\"$dateDiff\"") != std::string::npos ||
         text.find("\"$isoWeekYear\"") != std::string::npos;
}

struct outcome {
  bool failed = false;
  std::string error;
  reel::bson::value result;
};

}  // namespace value_eval_differential

TEST_CASE("value evaluation agrees with the nlohmann one on every conformance expression",
          "[json][expression][value]") {
  using namespace value_eval_differential;
  std::size_t expressions = 0, evaluations = 0, typed = 0, by_value = 0, errors = 0;
  // Operators that still ran through the nlohmann bridge (detail::bridged_calls), by name.
  std::map<std::string, std::size_t> bridged;
  for (const fs::path& file : case_files()) {
    const document cases = load(file);
    REQUIRE(cases.is_array());
    for (const document& c : cases) {
      std::vector<found_expression> found;
      if (c.contains("stage")) collect_stage(c["stage"], "", found);
      if (c.contains("pipeline")) collect_pipeline(c["pipeline"], "", found);
      if (!c.contains("input") || !c["input"].is_array()) continue;
      for (const found_expression& f : found) {
        reel::json::expression e;
        try {
          e = reel::json::compile_expression(f.spec, f.where);
        } catch (const reel::error&) {
          continue;  // not an expression on its own (an accumulator's object argument, ...)
        }
        ++expressions;
        for (const document& input : c["input"]) {
          if (!input.is_object()) continue;
          ++evaluations;
          const std::string label = file.filename().string() + " | " + c.value("name", "") + " | " +
                                    f.where + " | " + f.spec.dump() + " | " + input.dump();
          INFO(label);
          reel::bson::arena memory;
          // One processing time for both evaluations ($currentDate).
          const reel::manual_clock clock(*reel::parse_iso8601("2024-01-01T00:00:00Z"));
          reel::json::eval_context ctx;
          ctx.clock = &clock;
          outcome old_way, value_way;
          try {
            const document r = e.evaluate(input, ctx);
            old_way.result = reel::json::is_missing(r) ? reel::bson::value{}
                                                       : reel::bson::from_nlohmann(r, memory);
          } catch (const reel::error& err) {
            old_way.failed = true;
            old_way.error = err.what();
          }
          reel::json::detail::bridged_calls().clear();
          try {
            value_way.result =
                e.evaluate_value(reel::bson::from_nlohmann(input, memory), ctx, memory);
          } catch (const reel::error& err) {
            value_way.failed = true;
            value_way.error = err.what();
          }
          for (const auto& [op, calls] : reel::json::detail::bridged_calls())
            bridged[std::string(op)] += calls;
          REQUIRE(old_way.failed == value_way.failed);
          if (old_way.failed) {
            CHECK(old_way.error == value_way.error);
            ++errors;
            continue;
          }
          INFO("nlohmann: " << show(old_way.result) << "  value: " << show(value_way.result));
          if (holds_long_or_decimal(input) || holds_long_or_decimal(f.spec)) {
            CHECK(reel::bson::compare(old_way.result, value_way.result) == 0);
            ++by_value;
          } else {
            CHECK(same_typed(old_way.result, value_way.result));
            ++typed;
          }
        }
      }
    }
  }
  // The conformance files hold a few hundred expressions; all are compared.
  CHECK(expressions > 100);
  CHECK(typed > 100);
  std::size_t bridged_calls = 0;
  std::string bridged_names;
  for (const auto& [op, calls] : bridged) {
    bridged_calls += calls;
    bridged_names += " " + op + "(" + std::to_string(calls) + ")";
  }
  WARN("value-path differential: " << expressions << " expressions, " << evaluations
                                   << " evaluations (" << typed << " with equal types, " << by_value
                                   << " by value, " << errors << " equal errors); bridged: "
                                   << bridged.size() << " operators, " << bridged_calls
                                   << " calls:" << bridged_names);
}

#endif  // REEL_JSON_VALUE_EVAL
