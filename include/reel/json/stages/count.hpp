// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$count: "field"` (window pipelines only): one document `{field: <number of documents>}` for
/// the batch, nothing for an empty batch. The name must be non-empty, must not start with '$'
/// and must not contain '.' (MongoDB's rules). The count is an int32 while it fits, then a long
/// (the server's `$group` with `$sum: 1`: the smallest type that holds it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/batch.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class count final : public detail::batch_stage<> {
 public:
  count(const document& spec, const std::string& where) {
    if (!spec.is_string() || spec.get_ref<const std::string&>().empty()) {
      detail::bad_stage(where, "the count field must be a non-empty string, found " +
                                   detail::describe_value(spec));
    }
    field_ = spec.get<std::string>();
    if (field_[0] == '$') detail::bad_stage(where, "the count field cannot be a $-prefixed path");
    if (field_.find('.') != std::string::npos) {
      detail::bad_stage(where, "the count field cannot contain '.'");
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "CountOperator"; }

  void apply_batch(std::vector<document>& docs, const eval_context&) const override {
    if (docs.empty()) return;
    document result = document::object();
    if (docs.size() <= static_cast<std::size_t>(INT32_MAX)) {
      result[field_] = static_cast<std::int32_t>(docs.size());
    } else {
      result[field_] = static_cast<std::int64_t>(docs.size());
    }
    docs.clear();
    docs.push_back(std::move(result));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_batch.cpp).
  void apply_value_batch(std::vector<bson::value>& docs, const eval_context& ctx,
                         bson::arena& memory) const override;
#endif

 private:
  std::string field_;
};

/// The factory of `$count` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_count(const document& spec,
                                                        const std::string& where) {
  return std::make_shared<count>(spec, where);
}

}  // namespace reel::json::stages
