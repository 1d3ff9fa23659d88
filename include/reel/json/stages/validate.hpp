// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$validate`: `{validator: <query filter, incl. $jsonSchema and $expr>, validationAction:
/// "discard" | "dlq"}`. Valid documents pass unchanged. Invalid ones are dropped (`discard`, the
/// default) or fail with `reel.validate.failed` (`dlq`), which the processor turns into a dead
/// letter queue record with the reason `Input document found to be invalid in $validate stage`.
///
/// **Example**
/// ```json
/// {"$validate": {"validator": {"$jsonSchema": {"required": ["id"]}}, "validationAction": "dlq"}}
/// ```
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/query.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class validate final : public document_stage {
 public:
  /// The message of the per-document error (the DLQ record's `errInfo.reason`).
  static constexpr std::string_view failure_message =
      "Input document found to be invalid in $validate stage";

  validate(const document& spec, const std::string& where) : where_(where) {
    if (!spec.is_object()) {
      detail::bad_stage(where, "$validate takes an object, found " + type_name(spec));
    }
    detail::check_options(spec, where, "$validate", {"validator", "validationAction"});
    auto validator = spec.find("validator");
    if (validator == spec.end()) detail::bad_stage(where, "$validate requires 'validator'");
    const std::string validator_at = where + "/validator";
    if (!validator->is_object()) {
      detail::bad_stage(validator_at, "'validator' must be an object (a query filter), found " +
                                          type_name(*validator));
    }
    query_ = compile_query(*validator, validator_at);
    if (auto action = spec.find("validationAction"); action != spec.end()) {
      const std::string action_at = where + "/validationAction";
      if (*action == "dlq") {
        dlq_ = true;
      } else if (*action != "discard") {
        detail::bad_stage(action_at, "'validationAction' must be \"discard\" or \"dlq\", found " +
                                         detail::describe_value(*action));
      }
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "ValidateOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    if (query_.matches(doc, ctx)) {
      out.push_back(std::move(doc));
    } else if (dlq_) {
      throw_error("reel.validate.failed", where_, std::string(failure_message));
    }
  }

  /// True when invalid documents go to the dead letter queue.
  [[nodiscard]] bool sends_to_dlq() const noexcept { return dlq_; }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The value form: the validator decided on the value itself (`query::matches`).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override {
    if (query_.matches(doc, ctx, memory)) {
      out.push_back(doc);
    } else if (dlq_) {
      throw_error("reel.validate.failed", where_, std::string(failure_message));
    }
  }
#endif

 private:
  query query_;
  std::string where_;
  bool dlq_ = false;
};

/// The factory of `$validate` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_validate(const document& spec,
                                                           const std::string& where) {
  return std::make_shared<validate>(spec, where);
}

}  // namespace reel::json::stages
