// SPDX-License-Identifier: Apache-2.0
/// \file
/// Helpers for connection types reading their definition and stage options.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reel/connector/ndjson.hpp"
#include "reel/connector/registry.hpp"

namespace reel::detail {

/// A string field of `obj`, or nullptr when absent; throws when present and not a string.
inline const std::string* optional_string(const nlohmann::ordered_json& obj, const char* key,
                                          const connection_args& args, bool in_stage,
                                          const std::string& prefix = "") {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    const std::string at = prefix + "/" + key;
    const std::string message = std::string(key) + " must be a non-empty string";
    if (in_stage) args.stage_error(at, message);
    args.definition_error(at, message);
  }
  return &it->get_ref<const std::string&>();
}

/// `outputFormat` of a definition or `$emit.config`.
inline output_format format_of(const nlohmann::ordered_json& obj, const connection_args& args,
                               bool in_stage, const std::string& prefix, output_format fallback) {
  const std::string* s = optional_string(obj, "outputFormat", args, in_stage, prefix);
  if (!s) return fallback;
  auto f = parse_output_format(*s);
  if (!f) {
    const std::string message = "outputFormat must be relaxedJson, canonicalJson or basicJson";
    if (in_stage) args.stage_error(prefix + "/outputFormat", message);
    args.definition_error(prefix + "/outputFormat", message);
  }
  return *f;
}

/// `dateFormat` of a definition or `$emit.config`: true for `"ISO8601"`, false for `"default"`.
inline bool iso8601_dates_of(const nlohmann::ordered_json& obj, const connection_args& args,
                             bool in_stage, const std::string& prefix, bool fallback) {
  if (!obj.is_object() || !obj.contains("dateFormat")) return fallback;
  const nlohmann::ordered_json& v = obj["dateFormat"];
  if (v == "ISO8601") return true;
  if (v == "default") return false;
  const std::string message = "dateFormat must be \"default\" or \"ISO8601\", not " + v.dump();
  if (in_stage) args.stage_error(prefix + "/dateFormat", message);
  args.definition_error(prefix + "/dateFormat", message);
}

/// Whether a sink writes dates as ISO-8601 strings: the stage's `config.dateFormat`, else the
/// definition's.
inline bool sink_iso8601_dates(const connection_args& args) {
  const bool def = iso8601_dates_of(args.definition, args, false, "", false);
  if (args.stage.is_object() && args.stage.contains("config")) {
    return iso8601_dates_of(args.stage["config"], args, true, "/config", def);
  }
  return def;
}

/// The output format of a sink: the stage's `config.outputFormat`, else the definition's.
inline output_format sink_format(const connection_args& args) {
  const output_format def = format_of(args.definition, args, false, "", output_format::relaxed);
  if (args.stage.is_object() && args.stage.contains("config")) {
    return format_of(args.stage["config"], args, true, "/config", def);
  }
  return def;
}

}  // namespace reel::detail
