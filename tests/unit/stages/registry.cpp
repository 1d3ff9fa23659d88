// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/json/stages/builtin.hpp (the registry of built-in stages) and the parts
// of the stage classes that the data-driven cases cannot reach (apply vs apply_batch, contexts,
// error ids and locations, direct construction).
#include "reel/json/stages/match.hpp"  // first: a single stage header is self-contained

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/error.hpp"
#include "reel/json/stage.hpp"

using reel::json::document;
using reel::json::eval_context;
using reel::json::stage_placement;
using reel::json::stage_registry;

namespace {

std::shared_ptr<const reel::json::document_stage> make(const std::string& name,
                                                       const document& spec,
                                                       const std::string& where = "/1") {
  const auto* entry = stage_registry::global().find(name);
  REQUIRE(entry != nullptr);
  return entry->make(spec, where + "/" + name);
}

std::vector<document> run(const reel::json::document_stage& stage, std::vector<document> input,
                          const eval_context& ctx = {}) {
  std::vector<document> out;
  for (auto& d : input)
    stage.apply(std::move(d), ctx, out);
  return out;
}

reel::error definition_error(const std::string& name, const document& spec) {
  try {
    (void)make(name, spec);
  } catch (const reel::error& e) {
    return e;
  }
  FAIL("no definition error for " << name << " " << spec.dump());
  return reel::error("none", "", "none");
}

}  // namespace

TEST_CASE("every built-in stage is registered with its placement", "[json][stages][registry]") {
  struct expected {
    const char* name;
    stage_placement placement;
    const char* operator_name;
    document spec;
  };
  const std::vector<expected> all = {
      {"$match", stage_placement::anywhere, "MatchOperator", document::object()},
      {"$validate",
       stage_placement::anywhere,
       "ValidateOperator",
       {{"validator", document::object()}}},
      {"$project", stage_placement::anywhere, "ProjectOperator", {{"a", 1}}},
      {"$addFields", stage_placement::anywhere, "AddFieldsOperator", {{"a", 1}}},
      {"$set", stage_placement::anywhere, "SetOperator", {{"a", 1}}},
      {"$unset", stage_placement::anywhere, "UnsetOperator", "a"},
      {"$replaceRoot", stage_placement::anywhere, "ReplaceRootOperator", {{"newRoot", "$a"}}},
      {"$replaceWith", stage_placement::anywhere, "ReplaceRootOperator", "$a"},
      {"$unwind", stage_placement::anywhere, "UnwindOperator", "$a"},
      {"$redact", stage_placement::anywhere, "RedactOperator", "$$KEEP"},
      {"$sort", stage_placement::window_only, "SortOperator", {{"a", 1}}},
      {"$limit", stage_placement::window_only, "LimitOperator", 1},
      {"$count", stage_placement::window_only, "CountOperator", "n"},
      {"$setStreamMeta",
       stage_placement::main_only,
       "SetStreamMetaOperator",
       {{"stream.coll", "$a"}}},
  };
  const std::vector<std::string> names = stage_registry::global().names();
  for (const auto& e : all) {
    INFO(e.name);
    const auto* entry = stage_registry::global().find(e.name);
    REQUIRE(entry != nullptr);
    CHECK(entry->placement == e.placement);
    const auto stage = entry->make(e.spec, std::string("/0/") + e.name);
    REQUIRE(stage != nullptr);
    CHECK(stage->operator_name() == e.operator_name);
    CHECK(stage->is_batch_only() == (e.placement == stage_placement::window_only));
    CHECK(std::find(names.begin(), names.end(), e.name) != names.end());
  }
  CHECK(stage_registry::global().find("$group") == nullptr);  // compiled by the pipeline compiler
  CHECK(stage_registry::global().find("$matchh") == nullptr);
  CHECK(stage_registry::global().find("match") == nullptr);
}

TEST_CASE("definition errors carry the id and the location given to the factory",
          "[json][stages][registry]") {
  const reel::error e = definition_error("$project", {{"a", 1}, {"b", 0}});
  CHECK(e.id() == "reel.pipeline.bad_stage");
  CHECK(e.where() == "/1/$project/b");
  CHECK(e.message() == "cannot do exclusion on field 'b' in an inclusion projection");

  // JSON-pointer escaping of field names with '/' and '~'.
  const reel::error p = definition_error("$project", {{"a/b~c", 1}, {"d", 0}});
  CHECK(p.where() == "/1/$project/d");
  const reel::error q = definition_error("$set", {{"x/y", {{"$nope", 1}}}});
  CHECK(q.id() == "reel.expression.unknown_operator");
  CHECK(q.where() == "/1/$set/x~1y");

  const reel::error u = definition_error("$unwind", {{"path", "$a"}, {"extra", 1}});
  CHECK(u.id() == "reel.pipeline.unknown_option");
  CHECK(u.where() == "/1/$unwind/extra");
}

TEST_CASE("window-only stages refuse single documents", "[json][stages][batch]") {
  for (const auto& [name, spec] : std::vector<std::pair<std::string, document>>{
           {"$sort", {{"a", 1}}}, {"$limit", 2}, {"$count", "n"}}) {
    INFO(name);
    const auto stage = make(name, spec);
    std::vector<document> out;
    try {
      stage->apply(document{{"a", 1}}, {}, out);
      FAIL("apply did not throw");
    } catch (const reel::error& e) {
      CHECK(e.id() == "reel.pipeline.batch_stage");
    }
    CHECK(out.empty());
  }
}

TEST_CASE("stateless stages run on batches through the default apply_batch",
          "[json][stages][batch]") {
  const auto unwind = make("$unwind", "$a");
  std::vector<document> batch = {document::parse(R"({"_id": 1, "a": [1, 2]})"),
                                 document::parse(R"({"_id": 2, "a": []})"),
                                 document::parse(R"({"_id": 3, "a": [3]})")};
  unwind->apply_batch(batch, {});
  REQUIRE(batch.size() == 3);
  CHECK(batch[0] == document::parse(R"({"_id": 1, "a": 1})"));
  CHECK(batch[1] == document::parse(R"({"_id": 1, "a": 2})"));
  CHECK(batch[2] == document::parse(R"({"_id": 3, "a": 3})"));
}

TEST_CASE("$validate with dlq throws reel.validate.failed with the Atlas reason",
          "[json][stages][validate]") {
  const auto v =
      make("$validate", {{"validator", {{"a", {{"$exists", true}}}}}, {"validationAction", "dlq"}});
  std::vector<document> out;
  try {
    v->apply(document{{"b", 1}}, {}, out);
    FAIL("no error");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.validate.failed");
    CHECK(e.message() == "Input document found to be invalid in $validate stage");
    CHECK(e.where() == "/1/$validate");
  }
  CHECK(out.empty());
  CHECK(run(*v, {document{{"a", 1}}}).size() == 1);
  // The same failure with the default action is silent.
  const auto discard = make("$validate", {{"validator", {{"a", {{"$exists", true}}}}}});
  CHECK(run(*discard, {document{{"b", 1}}}).empty());
}

TEST_CASE("stages pass the evaluation context to expressions and queries",
          "[json][stages][context]") {
  const document meta = document::parse(
      R"({"window": {"start": {"$date": "2024-01-01T00:00:00.000Z"}}, "source": {"topic": "t"}})");
  eval_context ctx;
  ctx.meta = &meta;
  const auto set = make("$set", {{"ws", {{"$meta", "stream.window.start"}}}});
  const auto out = run(*set, {document{{"_id", 1}}}, ctx);
  REQUIRE(out.size() == 1);
  CHECK(out[0].dump() == R"({"_id":1,"ws":{"$date":"2024-01-01T00:00:00.000Z"}})");
  // Without metadata the value is missing and the field is not added.
  CHECK(run(*set, {document{{"_id", 1}}})[0].dump() == R"({"_id":1})");

  const auto match =
      make("$match", {{"$expr", {{"$eq", {{{"$meta", "stream.source.topic"}}, "t"}}}}});
  CHECK(run(*match, {document{{"_id", 1}}}, ctx).size() == 1);
  CHECK(run(*match, {document{{"_id", 1}}}).empty());
}

TEST_CASE("stage classes can be used directly", "[json][stages]") {
  const reel::json::stages::match m(document{{"a", {{"$gt", 1}}}}, "/0/$match");
  CHECK(m.operator_name() == "MatchOperator");
  std::vector<document> out;
  m.apply(document{{"a", 2}}, {}, out);
  m.apply(document{{"a", 1}}, {}, out);
  CHECK(out.size() == 1);

  const reel::json::stages::project p(document::parse(R"({"_id": 0, "b": "$a"})"), "/0/$project");
  CHECK(p.is_inclusion());
  CHECK(p.transform(document{{"_id", 1}, {"a", 5}}).dump() == R"({"b":5})");

  const reel::json::stages::limit l(3, "/0/$limit");
  CHECK(l.count() == 3);
}

TEST_CASE("a compiled stage is reusable across documents and does not keep state",
          "[json][stages]") {
  const auto project = make("$project", document::parse(R"({"a.b": 1, "c": {"$add": ["$x", 1]}})"));
  for (int i = 0; i < 3; ++i) {
    const auto out =
        run(*project, {document::parse(R"({"_id": 1, "a": [{"b": 1, "z": 0}], "x": 1})"),
                       document::parse(R"({"_id": 2, "x": 2})")});
    REQUIRE(out.size() == 2);
    CHECK(out[0].dump() == R"({"_id":1,"a":[{"b":1}],"c":2})");
    CHECK(out[1].dump() == R"({"_id":2,"c":3})");
  }
}

TEST_CASE("applications can register their own stages", "[json][stages][registry]") {
  class require_id final : public reel::json::document_stage {
   public:
    [[nodiscard]] std::string_view operator_name() const override { return "RequireIdOperator"; }
    void apply(document&& doc, const eval_context&, std::vector<document>& out) const override {
      if (doc.contains("_id")) out.push_back(std::move(doc));
    }
  };
  stage_registry local;
  local.add("$requireId", stage_placement::anywhere,
            [](const document&, const std::string&) { return std::make_shared<require_id>(); });
  const auto* entry = local.find("$requireId");
  REQUIRE(entry != nullptr);
  const auto stage = entry->make(document(), "/0/$requireId");
  CHECK(run(*stage, {document{{"_id", 1}}, document{{"a", 1}}}).size() == 1);
  CHECK(local.find("$match") == nullptr);  // a local registry starts empty
}
