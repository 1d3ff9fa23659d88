// SPDX-License-Identifier: Apache-2.0
/// \file
/// `document_stage`, the interface of every stage of the JSON front end, where it may appear, and
/// what its factory may use at compile time. The registry of stages is in `reel/json/stage.hpp`;
/// this header is apart so that stage base classes (`reel/json/enrichment.hpp`) can be included
/// before the registry's built-in stages.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "reel/json/eval_context.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/value.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include <cstddef>
#include <string>
#include <unordered_map>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"
#endif

namespace reel {
class connection_registry;  // reel/connector/registry.hpp
}

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

#if defined(REEL_JSON_VALUE_EVAL)
  // The value path (docs/document-model.md §6, step 4): the forms the stream processor calls
  // once it runs on `reel::bson::value` (step 5). Built when Reel has `reel::bson`.
  //
  // Lifetimes. A stage never changes its input (values are immutable) and never owns what it
  // returns:
  // - an output may point into its input `doc` (fields, strings, array elements, whole
  //   subdocuments; `$unwind`'s elements are the input's own), into the stage's compiled
  //   constants (valid while the stage is), and into `memory`, which receives everything the
  //   stage builds;
  // - so `memory` must live at least as long as the input's own storage is kept: the processor
  //   passes the arena that holds the input (one per message, or one per window batch), and
  //   outputs are valid until that arena is reset. A value kept longer (window state) is copied
  //   into a `bson::owned_value`.
  // Errors are the nlohmann stage's (`reel::error`, same ids, locations and texts, so the DLQ
  // records are identical); on an error nothing is appended to `out` (`apply_value_batch`
  // leaves `docs` as it was), and the DLQ record carries the unchanged input.

  /// Appends the results for `doc` to `out`. The default bridges: it converts `doc` to nlohmann,
  /// runs `apply` and converts its results back into `memory` (counted per thread in
  /// `detail::bridged_stage_calls`); stages with a native value form override it.
  virtual void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                           std::vector<bson::value>& out) const;
  /// Runs on a whole window batch. The default: for a batch-only stage, bridges the batch
  /// through `apply_batch`; for the others, applies `apply_value` to each document in order.
  virtual void apply_value_batch(std::vector<bson::value>& docs, const eval_context& ctx,
                                 bson::arena& memory) const;
#endif
};

#if defined(REEL_JSON_VALUE_EVAL)
namespace detail {
/// Test hook: how many documents (or batches) each stage, by operator name, ran through the
/// nlohmann bridge of `apply_value`/`apply_value_batch` on this thread. A stage whose count
/// stays 0 over its cases runs natively on values.
std::unordered_map<std::string, std::size_t>& bridged_stage_calls();
}  // namespace detail
#endif

/// Where a stage may appear (DESIGN.md §4, stage placement).
enum class stage_placement {
  anywhere,     ///< main pipeline and inside windows
  window_only,  ///< only inside a window's pipeline
  main_only,    ///< only in the main pipeline, not inside a window
};

/// What a stage factory may use besides the stage's specification and location.
struct stage_context {
  /// The connections the pipeline is compiled against: where `$externalFunction` and `$https`
  /// find their `connectionName`. Null when the pipeline is compiled without them
  /// (`compile_pipeline(p)`, `reel check`): such stages then check their options only.
  const reel::connection_registry* connections = nullptr;
  /// True inside a window's pipeline.
  bool in_window = false;
};

}  // namespace reel::json
