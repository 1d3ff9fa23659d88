// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$addFields` and its alias `$set`: every field of the specification is an expression whose
/// value is written into the document. An existing field keeps its position and a new one is
/// appended; dotted paths and nested objects (`{"a.b": 1}`, `{a: {b: 1}}`) write into
/// subdocuments (creating them, or into every element of an array); a missing value
/// (`$$REMOVE`) removes the field. All expressions see the document as it was before the stage.
///
/// **Example**: `{"$set": {"total": {"$multiply": ["$price", "$qty"]}, "meta.seen": true}}`
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class add_fields final : public document_stage {
 public:
  /// `stage` is the name used in the specification: `"$addFields"` or `"$set"`.
  add_fields(const document& spec, const std::string& where, std::string_view stage = "$addFields")
      : operator_name_(stage == "$set" ? "SetOperator" : "AddFieldsOperator") {
    const std::string name(stage);
    if (!spec.is_object())
      detail::bad_stage(where, name + " takes an object, found " + type_name(spec));
    if (spec.empty())
      detail::bad_stage(where, name + " specification must have at least one field");
    std::vector<detail::spec_leaf> leaves;
    detail::flatten_spec(spec, {}, where, stage, true, false, leaves);
    for (const auto& leaf : leaves) {
      detail::add_leaf(tree_, leaf, detail::projection_tree::kind::computed).value =
          expressions_.size();
      expressions_.push_back(compile_expression(*leaf.value, leaf.where));
    }
    detail::mark_computed(tree_);
  }

  [[nodiscard]] std::string_view operator_name() const override { return operator_name_; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    out.push_back(transform(std::move(doc), ctx));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_projection.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

  /// The document with the fields set.
  [[nodiscard]] document transform(document&& doc, const eval_context& ctx = {}) const {
    std::vector<document> values;
    values.reserve(expressions_.size());
    for (const auto& e : expressions_)
      values.push_back(e.evaluate(doc, ctx));
    detail::apply_computed(tree_, doc, values);
    return std::move(doc);
  }

 private:
  std::string_view operator_name_;
  detail::projection_tree tree_;
  std::vector<expression> expressions_;
};

/// The factory of `$addFields` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_add_fields(const document& spec,
                                                             const std::string& where) {
  return std::make_shared<add_fields>(spec, where, "$addFields");
}

/// The factory of `$set` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_set(const document& spec,
                                                      const std::string& where) {
  return std::make_shared<add_fields>(spec, where, "$set");
}

}  // namespace reel::json::stages
