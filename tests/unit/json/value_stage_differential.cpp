// SPDX-License-Identifier: Apache-2.0
// The value forms of the document stages (`apply_value`/`apply_value_batch`,
// document_stage.hpp) against their nlohmann forms (`apply`/`apply_batch`), on every case of
// the stage conformance files (tests/data/stages) and every stage sequence of the pipeline
// cases (tests/data/pipelines: the main pipeline's stages and each window's inner pipeline, run
// on the case's input documents). Outputs must be equal in value, field order and BSON type
// (by value where the input or the stage holds a long or a decimal, which the nlohmann path
// does not keep, and for `$count` and `$unwind`'s index, longs that the nlohmann path holds
// as plain integers); per-document errors must have the same text. The test also asserts which
// stages run natively: their count in `detail::bridged_stage_calls` stays 0.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/stage.hpp"
#include "reel/time.hpp"
#include "unit/json/value_helpers.hpp"

namespace value_stage_differential {

namespace fs = std::filesystem;
using reel::json::document;
using value_test::case_files;
using value_test::load;
using value_test::same_typed;
using value_test::show;
using stage_ptr = std::shared_ptr<const reel::json::document_stage>;

/// A stage sequence compiled, with the text of the case it comes from.
struct sequence {
  std::string label;
  std::vector<stage_ptr> stages;
  std::vector<document> inputs;  ///< as written (Extended JSON)
  bool by_value = false;         ///< compare by value (longs, decimals)
  /// The MongoDB manual's cases (`manual_*.json`) carry the server's types: the value path's
  /// outputs must equal them, types included.
  std::optional<document> typed_output;
};

/// What a sequence gives: the surviving documents and the per-document errors in order.
template <class Doc>
struct run_result {
  std::vector<Doc> docs;
  std::vector<std::string> errors;
};

std::string error_text(const reel::json::document_stage& s, const reel::error& e) {
  return std::string(s.operator_name()) + ": " + e.what();
}

run_result<document> run_nlohmann(const sequence& seq, const reel::json::eval_context& ctx) {
  run_result<document> r;
  for (const document& d : seq.inputs)
    r.docs.push_back(reel::json::parse_ejson_line(d.dump()));
  for (const stage_ptr& s : seq.stages) {
    if (s->is_batch_only()) {
      try {
        s->apply_batch(r.docs, ctx);
      } catch (const reel::error& e) {
        r.errors.push_back(error_text(*s, e));
        r.docs.clear();
      }
      continue;
    }
    std::vector<document> out;
    for (document& d : r.docs) {
      try {
        s->apply(std::move(d), ctx, out);
      } catch (const reel::error& e) {
        r.errors.push_back(error_text(*s, e));
      }
    }
    r.docs = std::move(out);
  }
  return r;
}

run_result<reel::bson::value> run_values(const sequence& seq, const reel::json::eval_context& ctx,
                                         reel::bson::arena& memory, bool as_batch) {
  run_result<reel::bson::value> r;
  reel::bson::ejson_reader reader;
  for (const document& d : seq.inputs)
    r.docs.push_back(reader.parse(d.dump(), memory));
  for (const stage_ptr& s : seq.stages) {
    if (s->is_batch_only() || as_batch) {
      if (s->is_batch_only()) {
        try {
          s->apply_value_batch(r.docs, ctx, memory);
        } catch (const reel::error& e) {
          r.errors.push_back(error_text(*s, e));
          r.docs.clear();
        }
        continue;
      }
      // A stateless stage's batch form: documents that fail are left out one by one.
      std::vector<reel::bson::value> out;
      for (const reel::bson::value& d : r.docs) {
        std::vector<reel::bson::value> one{d};
        try {
          s->apply_value_batch(one, ctx, memory);
          out.insert(out.end(), one.begin(), one.end());
        } catch (const reel::error& e) {
          r.errors.push_back(error_text(*s, e));
        }
      }
      r.docs = std::move(out);
      continue;
    }
    std::vector<reel::bson::value> out;
    for (const reel::bson::value& d : r.docs) {
      const std::size_t before = out.size();
      try {
        s->apply_value(d, ctx, memory, out);
      } catch (const reel::error& e) {
        CHECK(out.size() == before);  // nothing appended on an error
        r.errors.push_back(error_text(*s, e));
      }
    }
    r.docs = std::move(out);
  }
  return r;
}

bool holds_long_or_decimal(const std::string& text) {
  return value_test::mentions_long_or_decimal(text) ||
         text.find("includeArrayIndex") != std::string::npos;
}

/// Compiles `stages` (a pipeline array) into `seq` up to the first stage that the registry does
/// not have or that needs more than its specification (connections); windows' inner pipelines
/// become their own sequences.
void collect(const document& pipeline, const std::string& label, const document& inputs,
             std::vector<sequence>& out, const document* typed_output = nullptr) {
  const auto& registry = reel::json::stage_registry::global();
  sequence seq;
  seq.label = label;
  for (const document& in : inputs) {
    if (!in.is_object() || in.empty() || in.begin().key()[0] == '$') continue;
    seq.inputs.push_back(in);
  }
  seq.by_value = holds_long_or_decimal(pipeline.dump()) || holds_long_or_decimal(inputs.dump());
  if (typed_output != nullptr) seq.typed_output = *typed_output;
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    const document& stage = pipeline[i];
    if (!stage.is_object() || stage.size() != 1) break;
    const std::string& name = stage.begin().key();
    const document& arg = stage.begin().value();
    if (name == "$source") continue;
    if (arg.is_object() && arg.contains("pipeline") && arg["pipeline"].is_array() &&
        name != "$lookup") {
      collect(arg["pipeline"], label + " /" + std::to_string(i) + name, inputs, out);
      break;
    }
    const auto* entry = registry.find(name);
    if (entry == nullptr || name == "$lookup" || name == "$cachedLookup" ||
        name == "$externalFunction") {
      break;
    }
    try {
      seq.stages.push_back(entry->make(reel::json::parse_ejson_line(arg.dump()),
                                       "/" + std::to_string(i) + "/" + name));
    } catch (const reel::error&) {
      break;
    }
  }
  if (!seq.stages.empty() && !seq.inputs.empty()) out.push_back(std::move(seq));
}

std::vector<sequence> all_sequences() {
  std::vector<sequence> out;
  for (const fs::path& file : case_files({"stages"})) {
    const document cases = load(file);
    for (const document& c : cases) {
      if (!c.contains("stage") || !c.contains("input")) continue;
      document pipeline = document::array();
      pipeline.push_back(c["stage"]);
      const bool manual = file.filename().string().rfind("manual_", 0) == 0;
      collect(pipeline, file.filename().string() + " | " + c.value("name", ""), c["input"], out,
              manual && c.contains("output") ? &c["output"] : nullptr);
    }
  }
  for (const fs::path& file : case_files({"pipelines"})) {
    const document cases = load(file);
    for (const document& c : cases) {
      if (!c.contains("pipeline") || !c["pipeline"].is_array() || !c.contains("input")) continue;
      collect(c["pipeline"], file.filename().string() + " | " + c.value("name", ""), c["input"],
              out);
    }
  }
  return out;
}

}  // namespace value_stage_differential

TEST_CASE("the value forms of the stages agree with the nlohmann ones on every conformance case",
          "[json][stages][value]") {
  using namespace value_stage_differential;
  auto& bridged = reel::json::detail::bridged_stage_calls();
  bridged.clear();
  const reel::manual_clock clock(*reel::parse_iso8601("2024-01-01T00:00:00Z"));
  reel::json::eval_context ctx;
  ctx.clock = &clock;
  std::size_t sequences = 0, documents = 0, typed = 0, by_value = 0, errors = 0, manual = 0;
  std::set<std::string> stages_seen;
  for (const sequence& seq : all_sequences()) {
    INFO(seq.label);
    ++sequences;
    for (const stage_ptr& s : seq.stages)
      stages_seen.insert(std::string(s->operator_name()));
    const run_result<document> expected = run_nlohmann(seq, ctx);
    if (seq.typed_output) {  // the manual's output, with the server's types
      reel::bson::arena memory;
      const run_result<reel::bson::value> actual = run_values(seq, ctx, memory, false);
      reel::bson::ejson_reader reader;
      REQUIRE(actual.docs.size() == seq.typed_output->size());
      for (std::size_t i = 0; i < actual.docs.size(); ++i) {
        const reel::bson::value want = reader.parse((*seq.typed_output)[i].dump(), memory);
        INFO("manual document " << i << ": value path " << show(actual.docs[i]) << ", manual "
                                << show(want));
        CHECK(same_typed(actual.docs[i], want));
        ++manual;
      }
    }
    for (const bool as_batch : {false, true}) {
      INFO((as_batch ? "apply_value_batch" : "apply_value"));
      reel::bson::arena memory;
      const run_result<reel::bson::value> actual = run_values(seq, ctx, memory, as_batch);
      CHECK(actual.errors == expected.errors);
      errors += as_batch ? 0 : expected.errors.size();
      REQUIRE(actual.docs.size() == expected.docs.size());
      for (std::size_t i = 0; i < actual.docs.size(); ++i) {
        const reel::bson::value want = reel::bson::from_nlohmann(expected.docs[i], memory);
        INFO("document " << i << ": value path " << show(actual.docs[i]) << ", nlohmann path "
                         << show(want));
        if (!as_batch) ++documents;
        if (seq.by_value) {
          CHECK(reel::bson::compare(actual.docs[i], want) == 0);
          if (!as_batch) ++by_value;
        } else {
          CHECK(same_typed(actual.docs[i], want));
          if (!as_batch) ++typed;
        }
      }
    }
  }
  // Stages with a native value form never went through the bridge.
  std::map<std::string, std::size_t> bridged_now(bridged.begin(), bridged.end());
  for (const char* native :
       {"ProjectOperator", "AddFieldsOperator", "SetOperator", "UnsetOperator",
        "ReplaceRootOperator", "UnwindOperator", "RedactOperator", "SortOperator", "LimitOperator",
        "CountOperator", "SetStreamMetaOperator", "MatchOperator", "ValidateOperator"}) {
    INFO("native stage " << native);
    CHECK(stages_seen.count(native) == 1);
    CHECK(bridged_now.count(native) == 0);
  }
  for (const auto& [name, calls] : bridged_now)
    WARN("bridged stage " << name << ": " << calls << " calls");
  WARN(sequences << " stage sequences, " << documents << " output documents (" << typed
                 << " by type, " << by_value << " by value), " << errors << " errors, " << manual
                 << " manual outputs with their types");
  CHECK(manual > 100);
  CHECK(sequences > 150);
}

TEST_CASE("the value forms of the stages hold built values to the limits with the same errors",
          "[json][stages][value][limits]") {
  using namespace value_stage_differential;
  const auto& registry = reel::json::stage_registry::global();
  document input = document::object();
  input["big"] = std::string(9u << 20, 'x');
  input["n"] = 1;
  const char* const specs[] = {
      R"({"$addFields": {"x": {"a": "$big", "b": "$big"}}})",
      R"({"$project": {"x": ["$big", "$big"]}})",
      R"({"$replaceWith": {"$mergeObjects": [{"a": "$big"}, {"b": "$big"}]}})",
      R"({"$set": {"x": {"$concat": ["$big", "$big"]}}})",
      R"({"$project": {"x": {"a": "$n"}}})",  // within the limits: no error either way
  };
  for (const char* text : specs) {
    INFO(text);
    const document spec = document::parse(text);
    const std::string name = spec.begin().key();
    const stage_ptr stage = registry.find(name)->make(spec.begin().value(), "/0/" + name);
    std::string nlohmann_error = "no error", value_error = "no error";
    std::vector<document> out;
    try {
      stage->apply(document(input), {}, out);
    } catch (const reel::error& e) {
      nlohmann_error = e.what();
    }
    reel::bson::arena memory;
    std::vector<reel::bson::value> values;
    try {
      stage->apply_value(reel::bson::from_nlohmann(input, memory), {}, memory, values);
    } catch (const reel::error& e) {
      value_error = e.what();
    }
    CHECK(value_error == nlohmann_error);
    CHECK(values.size() == out.size());
  }
}

#endif  // REEL_JSON_VALUE_EVAL
