// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$unset`: `"field"` or `["a", "b.c", ...]` removes the named fields, like an exclusion
/// `$project` (dotted paths reach into subdocuments and arrays of subdocuments).
///
/// **Example**: `{"$unset": ["password", "meta.internal"]}`
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class unset final : public document_stage {
 public:
  unset(const document& spec, const std::string& where) {
    if (spec.is_string()) {
      add(spec, where);
    } else if (spec.is_array()) {
      if (spec.empty()) {
        detail::bad_stage(
            where, "$unset specification must be a string or an array with at least one field");
      }
      for (std::size_t i = 0; i < spec.size(); ++i) {
        const std::string at = detail::pointer_append(where, i);
        if (!spec[i].is_string()) {
          detail::bad_stage(at,
                            "$unset specification must be a string or an array containing only "
                            "string values, found " +
                                type_name(spec[i]));
        }
        add(spec[i], at);
      }
    } else {
      detail::bad_stage(
          where, "$unset specification must be a string or an array, found " + type_name(spec));
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "UnsetOperator"; }

  void apply(document&& doc, const eval_context&, std::vector<document>& out) const override {
    detail::exclude_in_place(tree_, doc);
    out.push_back(std::move(doc));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_projection.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

 private:
  void add(const document& name, const std::string& where) {
    const field_path path(name.get_ref<const std::string&>(), where);
    detail::spec_leaf leaf;
    leaf.parts = path.parts();
    leaf.dotted = path.str();
    leaf.value = &name;
    leaf.where = where;
    detail::add_leaf(tree_, leaf, detail::projection_tree::kind::exclude);
  }

  detail::projection_tree tree_;
};

/// The factory of `$unset` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_unset(const document& spec,
                                                        const std::string& where) {
  return std::make_shared<unset>(spec, where);
}

}  // namespace reel::json::stages
