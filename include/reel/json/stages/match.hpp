// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$match`: keeps the documents that match an MQL query filter (compiled once by
/// `compile_query`); the others produce nothing.
///
/// **Example**: `{"$match": {"qty": {"$gt": 0}, "status": {"$in": ["A", "B"]}}}`
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/query.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class match final : public document_stage {
 public:
  /// `spec` is the filter object; `where` its JSON pointer (`/1/$match`).
  match(const document& spec, const std::string& where) {
    if (!spec.is_object()) {
      detail::bad_stage(where, "$match takes an object (a query filter), found " + type_name(spec));
    }
    query_ = compile_query(spec, where);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "MatchOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    if (query_.matches(doc, ctx)) out.push_back(std::move(doc));
  }
  [[nodiscard]] std::optional<field_usage> filter_fields() const override {
    return query_.fields_read();
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The value form: the filter decided on the value itself (`query::matches`).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override {
    if (query_.matches(doc, ctx, memory)) out.push_back(doc);
  }
#endif

 private:
  query query_;
};

/// The factory of `$match` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_match(const document& spec,
                                                        const std::string& where) {
  return std::make_shared<match>(spec, where);
}

}  // namespace reel::json::stages
