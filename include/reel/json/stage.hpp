// SPDX-License-Identifier: Apache-2.0
/// \file
/// Document stages of the JSON front end and the registry that maps an Atlas stage name
/// (`"$match"`) to its compiler. Adding a stage is one header with a class and one line in
/// `stages/builtin.hpp` (or a call to `stage_registry::global().add(...)` from application code).
///
/// - A *stateless* stage (`$match`, `$project`, `$unwind`, ...) turns one document into zero or
///   more documents. A per-document failure throws `reel::error`; the processor then sends the
///   document to the dead letter queue with the stage's operator name and the error message.
/// - A *batch* stage (`$sort`, `$limit`, `$count`, `$group` inside a window) works on all the
///   documents of a closing window at once. Stateless stages also run on batches.
///
/// **Example**: a stage that drops documents without `_id`
/// ```cpp
/// class require_id final : public reel::json::document_stage {
///  public:
///   std::string_view operator_name() const override { return "RequireIdOperator"; }
///   void apply(document&& doc, const eval_context&, std::vector<document>& out) const override {
///     if (doc.contains("_id")) out.push_back(std::move(doc));
///   }
/// };
/// reel::json::stage_registry::global().add("$requireId", reel::json::stage_placement::anywhere,
///     [](const document&, const std::string&) { return std::make_shared<require_id>(); });
/// ```
///
/// A stage that needs more than its specification at compile time (the connection registry, to
/// find the `connectionName` of `$externalFunction` or `$https`) registers a factory that also
/// takes a `stage_context`:
/// ```cpp
/// registry.add("$lookupLike", reel::json::stage_placement::anywhere,
///     [](const document& spec, const std::string& where, const reel::json::stage_context& ctx) {
///       return std::make_shared<lookup_like>(spec, where, ctx.connections);
///     });
/// ```
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/json/document_stage.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

class stage_registry {
 public:
  using factory = std::function<std::shared_ptr<const document_stage>(const document& spec,
                                                                      const std::string& where)>;
  /// A factory that also gets the compile context.
  using contextual_factory = std::function<std::shared_ptr<const document_stage>(
      const document& spec, const std::string& where, const stage_context& context)>;
  struct entry {
    stage_placement placement;
    contextual_factory build;
    /// Compiles the stage `spec` found at `where`.
    [[nodiscard]] std::shared_ptr<const document_stage> make(
        const document& spec, const std::string& where, const stage_context& context = {}) const {
      return build(spec, where, context);
    }
  };

  /// The registry the pipeline compiler uses, with every built-in stage.
  static stage_registry& global();

  void add(std::string name, stage_placement placement, factory f) {
    add(std::move(name), placement,
        contextual_factory([f = std::move(f)](const document& spec, const std::string& where,
                                              const stage_context&) { return f(spec, where); }));
  }
  void add(std::string name, stage_placement placement, contextual_factory f) {
    std::lock_guard lock(mutex_);
    entries_[std::move(name)] = entry{placement, std::move(f)};
  }
  [[nodiscard]] const entry* find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [name, e] : entries_)
      out.push_back(name);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_;
};

}  // namespace reel::json

#include "reel/json/stages/builtin.hpp"
