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
};

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
