// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$redact: <expression>`: the expression is evaluated on the document and then, where it
/// answers `$$DESCEND`, on every subdocument (also inside arrays); `$$KEEP` keeps the current
/// level whole, `$$PRUNE` removes it (a pruned top level produces nothing). Field paths in the
/// expression refer to the level being examined (MongoDB's `$$CURRENT`). Any other result is a
/// per-document error (`reel.pipeline.bad_document`).
///
/// **Example**
/// ```json
/// {"$redact": {"$cond": [{"$eq": ["$level", "secret"]}, "$$PRUNE", "$$DESCEND"]}}
/// ```
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class redact final : public document_stage {
 public:
  redact(const document& spec, const std::string& where) : where_(where) {
    // The expression is evaluated with the examined level as its document, so `$$ROOT` is
    // rewritten to an external variable that holds the whole document.
    document rewritten = spec;
    compile_options options;
    uses_root_ = rewrite_root(rewritten);
    if (uses_root_) options.variables.emplace_back(root_variable);
    expression_ = compile_expression(rewritten, where, options);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "RedactOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    if (!uses_root_) {
      if (redact_object(doc, ctx)) out.push_back(std::move(doc));
      return;
    }
    document variables = ctx.variables != nullptr ? *ctx.variables : document::object();
    variables[std::string(root_variable)] = doc;
    eval_context with_root = ctx;
    with_root.variables = &variables;
    if (redact_object(doc, with_root)) out.push_back(std::move(doc));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_reshape.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

 private:
  static constexpr std::string_view root_variable = "__redact_root";

  /// Replaces `$$ROOT` (outside `$literal`) by the external variable; true if there was one.
  static bool rewrite_root(document& d) {
    if (d.is_string()) {
      const std::string& s = d.get_ref<const std::string&>();
      if (s == "$$ROOT" || s.rfind("$$ROOT.", 0) == 0) {
        d = "$$" + std::string(root_variable) + s.substr(6);
        return true;
      }
      return false;
    }
    if (d.is_object() && d.size() == 1 && d.begin().key() == "$literal") return false;
    bool any = false;
    if (d.is_object() || d.is_array()) {
      for (auto& e : d)
        any = rewrite_root(e) || any;
    }
    return any;
  }

  enum class decision { descend, prune, keep };

  decision decide(const document& current, const eval_context& ctx) const {
    document scratch;
    const document& r = expression_.evaluate(current, ctx, scratch);
    if (r.is_string()) {
      const std::string& s = r.get_ref<const std::string&>();
      if (s == "descend") return decision::descend;
      if (s == "prune") return decision::prune;
      if (s == "keep") return decision::keep;
    }
    throw_error("reel.pipeline.bad_document", where_,
                "$redact's expression should not return anything aside from the variables "
                "$$KEEP, $$DESCEND, and $$PRUNE, but returned " +
                    detail::describe_value(r));
  }

  /// Redacts `obj` in place; false when it is pruned.
  bool redact_object(document& obj, const eval_context& ctx) const {
    switch (decide(obj, ctx)) {
      case decision::keep:
        return true;
      case decision::prune:
        return false;
      case decision::descend:
        break;
    }
    auto& fields = obj.get_ref<document::object_t&>();
    for (auto it = fields.begin(); it != fields.end();) {
      if (redact_value(it->second, ctx)) {
        ++it;
      } else {
        it = fields.erase(it);
      }
    }
    return true;
  }

  /// Redacts a field value in place; false when it is pruned.
  bool redact_value(document& v, const eval_context& ctx) const {
    if (detail::is_subdocument(v)) return redact_object(v, ctx);
    if (v.is_array()) {
      document kept = document::array();
      for (auto& e : v) {
        if (redact_value(e, ctx)) kept.push_back(std::move(e));
      }
      v = std::move(kept);
    }
    return true;
  }

  expression expression_;
  std::string where_;
  bool uses_root_ = false;
};

/// The factory of `$redact` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_redact(const document& spec,
                                                         const std::string& where) {
  return std::make_shared<redact>(spec, where);
}

}  // namespace reel::json::stages
