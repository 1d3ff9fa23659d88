// SPDX-License-Identifier: Apache-2.0
// explain_pipeline: the plan of a compiled pipeline (reel/json/pipeline.hpp).
#include <memory>
#include <vector>

#include "reel/json/pipeline.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/window_stage.hpp"

namespace reel::json {

namespace {

document operators(const std::vector<std::shared_ptr<const document_stage>>& stages) {
  document out = document::array();
  for (const auto& s : stages)
    out.push_back({{"operatorName", std::string(s->operator_name())}});
  return out;
}

document milliseconds(duration d) {
  return d.count();
}

document explain_window(const window_definition& w) {
  document out = {{"operatorName", w.operator_name}};
  if (w.kind == window_kind::session) {
    out["gapMs"] = milliseconds(w.gap);
  } else {
    out["intervalMs"] = milliseconds(w.sliced.interval);
    if (w.kind == window_kind::hopping) out["hopSizeMs"] = milliseconds(w.sliced.hop);
    out["offsetMs"] = milliseconds(w.sliced.offset);
  }
  const bool processing_time = w.policy.time_boundary == boundary::processing_time;
  out["boundary"] = processing_time ? "processingTime" : "eventTime";
  out["allowedLatenessMs"] =
      processing_time ? document(0) : milliseconds(w.policy.allowed_lateness);
  out["idleTimeoutMs"] =
      w.policy.idle_timeout ? milliseconds(*w.policy.idle_timeout) : document(nullptr);
  // A leading $group keeps one accumulator state per group; without it the window keeps its
  // documents until it closes.
  out["aggregation"] = w.group ? "incremental" : "buffered";
  document inner = operators(w.per_event);
  if (w.group) inner.push_back({{"operatorName", "GroupOperator"}});
  for (auto& op : operators(w.at_close))
    inner.push_back(std::move(op));
  out["pipeline"] = std::move(inner);
  return out;
}

}  // namespace

document explain_pipeline(const compiled_pipeline& p) {
  const source_definition& s = p.source;
  document source = document::object();
  if (s.connection_name) {
    source["connectionName"] = *s.connection_name;
  } else if (s.documents) {
    source["documents"] = s.documents->size();
  } else {
    source["connectionName"] = nullptr;  // the host pushes the documents
  }
  auto time_field = s.spec.find("timeField");
  source["timeField"] = time_field != s.spec.end() ? *time_field : document(nullptr);
  source["tsFieldName"] = s.ts_field_name;
  source["partitionIdleTimeoutMs"] =
      s.partition_idle_timeout ? milliseconds(*s.partition_idle_timeout) : document(nullptr);

  document stages = operators(p.before_window);
  if (p.window) stages.push_back(explain_window(*p.window));
  for (auto& op : operators(p.after_window))
    stages.push_back(std::move(op));

  document sink = nullptr;
  if (p.sink) sink = {{"stage", p.sink->stage}, {"connectionName", p.sink->connection_name}};
  return {{"source", std::move(source)},
          {"stages", std::move(stages)},
          {"sink", std::move(sink)},
          {"streamMeta", !p.removes_stream_meta}};
}

}  // namespace reel::json
