// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$setStreamMeta` (Atlas Stream Processing): `{"stream.<field>": <expression>, ...}` sets
/// metadata fields of each document without changing its content. Later stages read them with
/// `{$meta: "stream.<field>"}`, and sinks with expressions in their targets
/// (`$merge: {into: {coll: {$meta: "stream.coll"}}}`, `$emit.topic`).
///
/// Reel keeps a document's metadata in its `_stream_meta` object, so the stage writes
/// `_stream_meta.<field>`; `{$meta: "stream.<field>"}` reads the processor's metadata (source,
/// window) first and then that object. Outputs carry it in `_stream_meta` unless it is removed
/// (`{$project: {_stream_meta: 0}}`, `{$unset: "_stream_meta"}`).
///
/// Keys must start with `stream.` (`reel.pipeline.bad_stage` otherwise). A document whose
/// expression fails to evaluate goes to the DLQ. Allowed in the main pipeline only, not inside a
/// window.
///
/// **Example**: `{"$setStreamMeta": {"stream.coll": "$product.category"}}`
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/expression.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class set_stream_meta final : public document_stage {
 public:
  set_stream_meta(const document& spec, const std::string& where) {
    if (!spec.is_object() || spec.empty()) {
      detail::bad_stage(where,
                        "$setStreamMeta takes an object like {\"stream.coll\": <expression>}");
    }
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string at = detail::pointer_append(where, it.key());
      const std::string& key = it.key();
      if (key.rfind("stream.", 0) != 0 || key.size() == 7) {
        detail::bad_stage(at,
                          "a $setStreamMeta key must start with 'stream.', like "
                          "'stream.coll', not '" +
                              key + "'");
      }
      field f{field_path(std::string_view(key).substr(7), at).parts(),
              compile_expression(it.value(), at)};
      fields_.push_back(std::move(f));
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "SetStreamMetaOperator"; }

  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    std::vector<document> values;
    values.reserve(fields_.size());
    for (const field& f : fields_)
      values.push_back(f.value.evaluate(doc, ctx));
    document* meta = nullptr;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (is_missing(values[i])) continue;
      if (!meta) {
        meta = &doc["_stream_meta"];
        if (!meta->is_object()) *meta = document::object();
      }
      document* at = meta;
      const auto& parts = fields_[i].parts;
      for (std::size_t p = 0; p + 1 < parts.size(); ++p) {
        at = &(*at)[parts[p]];
        if (!at->is_object()) *at = document::object();
      }
      (*at)[parts.back()] = std::move(values[i]);
    }
    out.push_back(std::move(doc));
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_reshape.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

 private:
  struct field {
    std::vector<std::string> parts;
    expression value;
  };
  std::vector<field> fields_;
};

/// The processor's metadata `meta` of an output, with the fields of `doc`'s own `_stream_meta`
/// (set by `$setStreamMeta`) that `meta` does not have.
inline document merged_stream_meta(document meta, const document& doc) {
  if (auto it = doc.find("_stream_meta"); it != doc.end() && it->is_object()) {
    for (auto f = it->begin(); f != it->end(); ++f) {
      if (!meta.contains(f.key())) meta[f.key()] = f.value();
    }
  }
  return meta;
}

/// The factory of `$setStreamMeta` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_set_stream_meta(const document& spec,
                                                                  const std::string& where) {
  return std::make_shared<set_stream_meta>(spec, where);
}

}  // namespace reel::json::stages
