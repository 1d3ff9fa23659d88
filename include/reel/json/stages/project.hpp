// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$project`, with MongoDB's rules:
/// - **inclusion** (`a: 1` / `true`, any non-zero number) keeps the named fields, in the order
///   they have in the document; `_id` is kept unless `_id: 0`;
/// - **computed fields** (`a: "$b"`, `a: {$add: [...]}`, `a: "text"`, `a: {$literal: 1}`) make
///   an inclusion projection; they come after the included fields, in specification order (a
///   computed field below an included one fills that field in place);
/// - **exclusion** (`a: 0` / `false`) removes the named fields and keeps everything else;
/// - inclusion and exclusion cannot be mixed, except for `_id`;
/// - dotted paths (`"a.b": 1`) and nested objects (`a: {b: 1}`) are the same thing; they reach
///   into subdocuments and into arrays of subdocuments (`{"a.b": 1}` on `{a: [{b: 1, c: 2}, 3]}`
///   gives `{a: [{b: 1}]}`), and a computed value that is missing (`$$REMOVE`) omits the field.
///
/// **Example**: `{"$project": {"_id": 0, "name": 1, "total": {"$multiply": ["$price", "$qty"]}}}`
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class project final : public document_stage {
 public:
  project(const document& spec, const std::string& where) {
    using kind = detail::projection_tree::kind;
    if (!spec.is_object()) {
      detail::bad_stage(where, "$project takes an object, found " + type_name(spec));
    }
    if (spec.empty()) {
      detail::bad_stage(where, "$project specification must have at least one field");
    }
    std::vector<detail::spec_leaf> leaves;
    detail::flatten_spec(spec, {}, where, "$project", false, true, leaves);

    enum class mode { unknown, inclusion, exclusion } m = mode::unknown;
    bool id_specified = false;
    bool id_included = false;
    for (const auto& leaf : leaves) {
      const bool top_level_id = leaf.parts.size() == 1 && leaf.parts[0] == "_id";
      if (leaf.parts[0] == "_id") id_specified = true;
      const document& v = *leaf.value;
      const bool flag = !leaf.expression_object && (v.is_boolean() || v.is_number());
      if (!flag) {
        if (m == mode::exclusion) {
          detail::bad_stage(leaf.where, "cannot use a computed field ('" + leaf.dotted +
                                            "') in an exclusion projection");
        }
        m = mode::inclusion;
        detail::add_leaf(tree_, leaf, kind::computed).value = expressions_.size();
        expressions_.push_back(compile_expression(v, leaf.where));
      } else if (truthy(v)) {
        if (top_level_id) {
          id_included = true;
        } else {
          if (m == mode::exclusion) {
            detail::bad_stage(leaf.where, "cannot do inclusion on field '" + leaf.dotted +
                                              "' in an exclusion projection");
          }
          m = mode::inclusion;
        }
        detail::add_leaf(tree_, leaf, kind::include);
      } else {
        if (!top_level_id) {
          if (m == mode::inclusion) {
            detail::bad_stage(leaf.where, "cannot do exclusion on field '" + leaf.dotted +
                                              "' in an inclusion projection");
          }
          m = mode::exclusion;
        }
        detail::add_leaf(tree_, leaf, kind::exclude);
      }
    }
    // `{_id: 1}` alone is an inclusion; `{_id: 0}` alone an exclusion.
    inclusion_ = m == mode::inclusion || (m == mode::unknown && id_included);
    if (inclusion_ && !id_specified) {
      detail::projection_tree::child id;
      id.name = "_id";
      id.path = "_id";
      id.what = kind::include;
      tree_.children.insert(tree_.children.begin(), std::move(id));
    }
    detail::mark_computed(tree_);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "ProjectOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    out.push_back(transform(std::move(doc), ctx));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_projection.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

  /// The projected document.
  [[nodiscard]] document transform(document&& doc, const eval_context& ctx = {}) const {
    if (!inclusion_) {
      detail::exclude_in_place(tree_, doc);
      return std::move(doc);
    }
    std::vector<document> values;
    values.reserve(expressions_.size());
    for (const auto& e : expressions_)
      values.push_back(e.evaluate(doc, ctx));
    document result = detail::include_object(tree_, std::move(doc));
    if (tree_.has_computed) detail::apply_computed(tree_, result, values);
    return result;
  }

  /// True for an inclusion projection (with or without computed fields).
  [[nodiscard]] bool is_inclusion() const noexcept {
    return inclusion_;
  }

 private:
  detail::projection_tree tree_;
  std::vector<expression> expressions_;
  bool inclusion_ = false;
};

/// The factory of `$project` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_project(const document& spec,
                                                          const std::string& where) {
  return std::make_shared<project>(spec, where);
}

}  // namespace reel::json::stages
