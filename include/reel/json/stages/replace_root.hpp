// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$replaceRoot: {newRoot: <expression>}` and `$replaceWith: <expression>`: the document
/// becomes the value of the expression. A value that is not a document is a per-document error
/// (`reel.pipeline.bad_document`; the processor sends the document to the dead letter queue).
///
/// **Example**: `{"$replaceWith": {"$mergeObjects": [{"count": 0}, "$stats"]}}`
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class replace_root final : public document_stage {
 public:
  /// `stage` is `"$replaceRoot"` (`spec` is `{newRoot: ...}`) or `"$replaceWith"` (`spec` is
  /// the expression).
  replace_root(const document& spec, const std::string& where,
               std::string_view stage = "$replaceRoot") {
    if (stage == "$replaceWith") {
      what_ = "'replacement document'";
      where_ = where;
      new_root_ = compile_expression(spec, where);
      return;
    }
    if (!spec.is_object()) {
      detail::bad_stage(where,
                        "$replaceRoot takes an object with 'newRoot', found " + type_name(spec));
    }
    detail::check_options(spec, where, "$replaceRoot", {"newRoot"});
    auto it = spec.find("newRoot");
    if (it == spec.end()) detail::bad_stage(where, "$replaceRoot requires 'newRoot'");
    what_ = "'newRoot' expression";
    where_ = where + "/newRoot";
    new_root_ = compile_expression(*it, where_);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "ReplaceRootOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    document scratch;
    const document& r = new_root_.evaluate(doc, ctx, scratch);
    if (!detail::is_subdocument(r)) {
      throw_error("reel.pipeline.bad_document", where_,
                  what_ + " must evaluate to an object, but resulting value was: " +
                      detail::describe_value(r) + ". Type of resulting value: '" + type_name(r) +
                      "'");
    }
    if (&r == &scratch) {
      out.push_back(std::move(scratch));
    } else {
      out.push_back(r);  // may point into `doc`: copy before `doc` goes away
    }
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_reshape.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

 private:
  expression new_root_;
  std::string what_;
  std::string where_;
};

/// The factory of `$replaceRoot` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_replace_root(const document& spec,
                                                               const std::string& where) {
  return std::make_shared<replace_root>(spec, where, "$replaceRoot");
}

/// The factory of `$replaceWith` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_replace_with(const document& spec,
                                                               const std::string& where) {
  return std::make_shared<replace_root>(spec, where, "$replaceWith");
}

}  // namespace reel::json::stages
