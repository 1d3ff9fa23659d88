// SPDX-License-Identifier: Apache-2.0
/// \file
/// A compiled Atlas Stream Processing pipeline and the functions that compile one: the `$source`
/// settings, stateless stages, at most one window with its inner pipeline, stages after it and
/// the sink. The compiler itself (`reel/json/compile.hpp`) is compiled once in the `reel::json`
/// library; this header declares the API.
///
/// Definition errors carry a stable id and the JSON pointer of the offending value:
/// `[reel.pipeline.unknown_operator] at /2/$tumblingWindow/pipeline/0/$group/qty: unknown
/// accumulator '$summ' (did you mean '$sum'?)`. `compile_pipeline` throws the first (the
/// exception carries all of them); `try_compile_pipeline` returns every problem.
///
/// **Example**
/// ```cpp
/// auto pipeline = reel::json::document::parse(R"([
///   {"$source": {"connectionName": "tickets", "timeField": {"$toDate": "$ts"}}},
///   {"$tumblingWindow": {"interval": {"size": 30, "unit": "second"},
///     "pipeline": [{"$group": {"_id": "$movie", "total": {"$sum": "$amountPaid"}}}]}},
///   {"$emit": {"connectionName": "out"}}])");
/// reel::json::compiled_pipeline p = reel::json::compile_pipeline(pipeline);
/// ```
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"
#include "reel/limits.hpp"
#include "reel/time.hpp"

namespace reel {
class connection_registry;  // reel/connector/registry.hpp
}

namespace reel::json {

class document_stage;      // reel/json/stage.hpp
struct window_definition;  // reel/json/window_stage.hpp

struct source_definition {
  std::optional<std::string> connection_name;
  std::optional<document> documents;  ///< `$source.documents`: an inline, finite input
  std::optional<expression> time_field;
  std::string ts_field_name = "_ts";
  std::optional<duration> partition_idle_timeout;
  document spec = document::object();  ///< the whole `$source` object, for connectors
};

struct sink_definition {
  std::string stage;  ///< "$emit" or "$merge"
  std::string connection_name;
  document spec;      ///< the whole stage value, for connectors
  std::string where;  ///< JSON pointer of the stage value (`/3/$emit`), for errors
};

struct compiled_pipeline {
  source_definition source;
  std::vector<std::shared_ptr<const document_stage>> before_window;
  std::shared_ptr<const window_definition> window;
  std::vector<std::shared_ptr<const document_stage>> after_window;
  std::optional<sink_definition> sink;
  /// A stage removes `_stream_meta` the way Atlas documents it (`{$project: {_stream_meta: 0}}`
  /// or `{$unset: "_stream_meta"}`): outputs carry no `_stream_meta`.
  bool removes_stream_meta = false;
};

struct pipeline_options {
  /// `sp.process` style: a pipeline without `$source` reads from what the host pushes.
  bool require_source = false;
  /// Hard limits (docs/semantics.md §17): the compiler checks `max_windows_per_event`, a
  /// processor applies `max_message_bytes` to its input.
  reel::limits limits;
  /// The connections stages such as `$externalFunction` resolve their `connectionName` in, at
  /// compile time (`stage_context::connections`); must outlive the compile call only. A
  /// `stream_processor` built from a pipeline document passes its own registry.
  const reel::connection_registry* connections = nullptr;
};

/// Every problem of a pipeline, or the compiled pipeline.
struct compile_result {
  std::optional<compiled_pipeline> pipeline;
  std::vector<diagnostic> diagnostics;
  explicit operator bool() const noexcept { return pipeline.has_value(); }
};

/// Every problem of `pipeline`, or the compiled pipeline.
[[nodiscard]] compile_result try_compile_pipeline(const document& pipeline,
                                                  pipeline_options options = {});

/// The compiled pipeline; throws `reel::error` (with every diagnostic) when it has problems.
[[nodiscard]] compiled_pipeline compile_pipeline(const document& pipeline,
                                                 pipeline_options options = {});

/// The plan of a compiled pipeline, as `reel explain` prints it: the `$source` settings, the
/// operators in order (the window with its timing, whether it aggregates incrementally or
/// buffers, and its inner operators), the sink. Durations are in milliseconds.
///
/// **Example** (`$source` tickets, `$match`, a 10 s `$tumblingWindow` with `$group`, `$emit`)
/// ```json
/// {"source": {"connectionName": "tickets", "timeField": {"$toDate": "$ts"}, "tsFieldName": "_ts"},
///  "stages": [{"operatorName": "MatchOperator"},
///             {"operatorName": "TumblingWindowOperator", "intervalMs": 10000, ...,
///              "aggregation": "incremental", "pipeline": [{"operatorName": "GroupOperator"}]}],
///  "sink": {"stage": "$emit", "connectionName": "out"}}
/// ```
[[nodiscard]] document explain_pipeline(const compiled_pipeline& pipeline);

}  // namespace reel::json
