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
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/json/eval_context.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

class document_stage {
 public:
  virtual ~document_stage() = default;
  /// Name used in DLQ records (`operatorName`) and stats, Atlas style: `"MatchOperator"`.
  [[nodiscard]] virtual std::string_view operator_name() const = 0;
  /// Appends the results for `doc` to `out`. Throws `reel::error` when `doc` cannot be processed,
  /// and then leaves `doc` as it received it (the DLQ record carries it).
  virtual void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const = 0;
  /// Runs on a whole window batch. The default applies `apply` to each document in order.
  virtual void apply_batch(std::vector<document>& docs, const eval_context& ctx) const {
    std::vector<document> out;
    out.reserve(docs.size());
    for (document& d : docs)
      apply(std::move(d), ctx, out);
    docs = std::move(out);
  }
  /// True for stages that need the whole batch (`$sort`, `$limit`, `$count`, `$group`): they are
  /// allowed only inside a window.
  [[nodiscard]] virtual bool is_batch_only() const { return false; }
  /// For a filter, a stage whose `apply` passes its document on unchanged or drops it: the
  /// top-level fields it reads. The stream processor then may give it a document that holds
  /// only the fields the pipeline reads. Empty (the default) for any other stage.
  [[nodiscard]] virtual std::optional<field_usage> filter_fields() const { return std::nullopt; }
};

/// Where a stage may appear (DESIGN.md §4, stage placement).
enum class stage_placement {
  anywhere,     ///< main pipeline and inside windows
  window_only,  ///< only inside a window's pipeline
  main_only,    ///< only in the main pipeline, not inside a window
};

class stage_registry {
 public:
  using factory = std::function<std::shared_ptr<const document_stage>(const document& spec,
                                                                      const std::string& where)>;
  struct entry {
    stage_placement placement;
    factory make;
  };

  /// The registry the pipeline compiler uses, with every built-in stage.
  static stage_registry& global();

  void add(std::string name, stage_placement placement, factory f) {
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
