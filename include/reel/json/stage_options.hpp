// SPDX-License-Identifier: Apache-2.0
/// \file
/// The options of the stages that name a connection (`$source`, `$emit`, `$merge`): the ones
/// Atlas Stream Processing documents, for which kinds of connection, and whether Reel has them;
/// and the check that tells a typo from a missing feature.
///
/// Each check finds every problem of a stage (not only the first): `stage_option_problems` and
/// `stage_option_typo_problems` return them, `check_stage_options` and
/// `check_stage_option_typos` throw one `reel::error` that carries them all.
///
/// An option is checked twice:
/// - by the pipeline compiler, which knows no connection. A `$source` without a connection
///   (`documents`, or what the host pushes) takes only options of the catalogue below: another
///   key is `reel.pipeline.unknown_option` (with "did you mean"), an Atlas option that no Reel
///   connector implements is `reel.pipeline.unsupported_option` ("not supported by Reel"). For a
///   stage that names a connection, the compiler refuses only Atlas options no Reel connector
///   has and misspellings of the options it reads itself (`check_stage_option_typos`);
/// - by the connection registry, against what the connection's type declares
///   (`connection_type::stage_options`): an option the type does not take is
///   `reel.pipeline.unsupported_option` when Atlas has it (for that or another kind of
///   connection), `reel.pipeline.unknown_option` otherwise; `config.*` and `into.*` keys are
///   checked one by one. A type that declares nothing is checked against the catalogue;
///   connections built in code (`add_source`, `add_sink`) are not checked.
///
/// Atlas's lists: the `$source`, `$emit` and `$merge` pages of the Atlas Stream Processing docs
/// (Kafka, change streams, Kinesis, document arrays; Kafka, time series, Kinesis and S3 sinks).
///
/// **Example**
/// ```cpp
/// // [reel.pipeline.unknown_option] at /0/$source/timefield: unknown option 'timefield' of
/// // $source (did you mean 'timeField'?)
/// reel::json::check_stage_options("$source", spec, "/0/$source");
/// ```
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"

namespace reel::json {

/// One option of `$source`, `$emit` or `$merge`.
struct stage_option {
  std::string_view stage;  ///< `$source`, `$emit` or `$merge`
  std::string_view path;   ///< `timeField`, `config.group_id`, `into.db`
  /// The Atlas connections that take it (`Kafka`, `Kinesis`, ...), or empty for an option of
  /// Reel's own connectors that Atlas does not have.
  std::string_view atlas_for;
  /// True when some Reel connector implements it (or the compiler does, for every connection).
  bool in_reel;
};

/// Options the compiler itself reads, whatever the connection: connection types need not (and
/// cannot) declare them.
inline bool is_common_stage_option(std::string_view stage, std::string_view path) noexcept {
  if (stage == "$source") {
    return path == "connectionName" || path == "documents" || path == "timeField" ||
           path == "tsFieldName" || path == "partitionIdleTimeout";
  }
  if (stage == "$emit") return path == "connectionName";
  if (stage == "$merge") return path == "into" || path == "into.connectionName";
  return false;
}

/// Every option of the stages that name a connection, in Atlas or in Reel.
inline std::span<const stage_option> stage_option_catalogue() {
  static constexpr stage_option options[] = {
      // $source: every connection
      {"$source", "connectionName", "every connection", true},
      {"$source", "documents", "document arrays", true},
      {"$source", "timeField", "every connection", true},
      {"$source", "tsFieldName", "every connection", true},
      {"$source", "config", "Kafka, change streams and Kinesis", true},
      // $source: Kafka
      {"$source", "topic", "Kafka", true},
      {"$source", "partitionIdleTimeout", "Kafka", true},
      {"$source", "schemaRegistry", "Kafka (Avro)", false},
      {"$source", "config.auto_offset_reset", "Kafka", true},
      {"$source", "config.group_id", "Kafka", true},
      {"$source", "config.enable_auto_commit", "Kafka", false},
      {"$source", "config.keyFormat", "Kafka", true},
      {"$source", "config.keyFormatError", "Kafka", true},
      // $source: change streams of an Atlas cluster
      {"$source", "db", "change streams", true},
      {"$source", "coll", "change streams", true},
      {"$source", "readPreference", "change streams", false},
      {"$source", "readPreferenceTags", "change streams", false},
      {"$source", "initialSync", "change streams", false},
      {"$source", "config.startAfter", "change streams", true},
      {"$source", "config.startAtOperationTime", "change streams", true},
      {"$source", "config.fullDocument", "change streams", true},
      {"$source", "config.fullDocumentOnly", "change streams", true},
      {"$source", "config.fullDocumentBeforeChange", "change streams", true},
      {"$source", "config.pipeline", "change streams", true},
      {"$source", "config.maxAwaitTimeMS", "change streams", true},
      // $source: Kinesis
      {"$source", "stream", "Kinesis", false},
      {"$source", "region", "Kinesis", false},
      {"$source", "shardIdleTimeout", "Kinesis", false},
      {"$source", "config.consumerARN", "Kinesis", false},
      {"$source", "config.initialPosition", "Kinesis", false},
      {"$source", "config.atTimestamp", "Kinesis", false},
      {"$source", "config.reshardDetectionIntervalSecs", "Kinesis", false},
      // $source: Reel's own connectors
      {"$source", "path", "", true},                      // file
      {"$source", "config.batchSize", "", true},          // mongodb change streams
      {"$source", "config.seed", "", true},               // samples
      {"$source", "config.count", "", true},              // samples
      {"$source", "config.rate", "", true},               // samples
      {"$source", "config.start", "", true},              // samples
      {"$source", "config.lateFraction", "", true},       // sample_movie_tickets
      {"$source", "config.malformedFraction", "", true},  // sample_movie_tickets
      // $emit
      {"$emit", "connectionName", "every connection", true},
      {"$emit", "config", "Kafka, Kinesis and S3", true},
      {"$emit", "parallelism", "every connection", false},
      {"$emit", "partitionBy", "every connection", false},
      {"$emit", "topic", "Kafka", true},
      {"$emit", "schemaRegistry", "Kafka (Avro)", false},
      {"$emit", "config.acks", "Kafka", true},
      {"$emit", "config.compression_type", "Kafka", true},
      {"$emit", "config.headers", "Kafka", true},
      {"$emit", "config.key", "Kafka", true},
      {"$emit", "config.keyFormat", "Kafka", true},
      {"$emit", "config.tombstoneWhen", "Kafka", true},
      {"$emit", "config.outputFormat", "Kafka, Kinesis and S3", true},
      {"$emit", "config.dateFormat", "Kafka, Kinesis and S3", true},
      {"$emit", "db", "time series collections", true},
      {"$emit", "coll", "time series collections", true},
      {"$emit", "timeseries", "time series collections", false},
      {"$emit", "stream", "Kinesis", false},
      {"$emit", "partitionKey", "Kinesis", false},
      {"$emit", "region", "Kinesis and S3", true},
      {"$emit", "bucket", "S3", true},
      {"$emit", "path", "S3", true},
      {"$emit", "config.writeOptions", "S3", true},
      {"$emit", "config.delimiter", "S3", true},
      {"$emit", "config.compression", "S3", true},
      {"$emit", "config.compressionLevel", "S3", true},
      // $merge (Atlas clusters)
      {"$merge", "into", "Atlas clusters", true},
      {"$merge", "into.connectionName", "Atlas clusters", true},
      {"$merge", "into.db", "Atlas clusters", true},
      {"$merge", "into.coll", "Atlas clusters", true},
      {"$merge", "on", "Atlas clusters", true},
      {"$merge", "let", "Atlas clusters", true},
      {"$merge", "whenMatched", "Atlas clusters", true},
      {"$merge", "whenNotMatched", "Atlas clusters", true},
      {"$merge", "parallelism", "Atlas clusters", true},
  };
  return options;
}

/// The catalogue entry of `path` in `stage`, or nullptr.
inline const stage_option* find_stage_option(std::string_view stage, std::string_view path) {
  for (const stage_option& o : stage_option_catalogue()) {
    if (o.stage == stage && o.path == path) return &o;
  }
  return nullptr;
}

namespace detail {

/// The last part of a dotted path: `config.group_id` → `group_id`.
inline std::string_view leaf(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

/// The options at the level of `prefix` (`""`, `"config."`, `"into."`) among `paths`.
template <class Range>
void options_at(const Range& paths, std::string_view prefix, std::vector<std::string>& out) {
  for (const auto& p : paths) {
    const std::string_view s(p);
    if (s.size() <= prefix.size() || s.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view rest = s.substr(prefix.size());
    if (rest.find('.') == std::string_view::npos && rest != "*") out.emplace_back(rest);
  }
}

}  // namespace detail

/// Every problem with the keys of `spec` (the object of `stage`, located at `where`) and those
/// of its `config` and (for `$merge`) `into` objects, in the order of the keys.
///
/// With `supported` null (the compiler, which knows no connection), every option of the
/// catalogue that Reel implements is accepted; with the list a connection type declares
/// (`"topic"`, `"config.group_id"`, `"config.*"` for any key of `config`), only those and the
/// common ones (`is_common_stage_option`). `type` names the connection type in messages.
[[nodiscard]] inline std::vector<diagnostic> stage_option_problems(
    std::string_view stage, const nlohmann::ordered_json& spec, const std::string& where,
    const std::vector<std::string>* supported = nullptr, std::string_view type = {}) {
  std::vector<diagnostic> problems;
  if (!spec.is_object()) return problems;
  const std::string for_type =
      type.empty() ? std::string() : " for connection type '" + std::string(type) + "'";
  auto declared = [&](const std::string& path) {
    if (is_common_stage_option(stage, path)) return true;
    if (!supported) {
      const stage_option* o = find_stage_option(stage, path);
      return o != nullptr && o->in_reel;
    }
    for (const std::string& s : *supported) {
      if (s == path) return true;
      // "config.*": any key under config, and config itself.
      if (s.size() > 2 && s.compare(s.size() - 2, 2, ".*") == 0) {
        const std::string prefix = s.substr(0, s.size() - 1);
        if (path.compare(0, prefix.size(), prefix) == 0 || path + "." == prefix) return true;
      }
      // "config.x" declared: config itself is taken.
      if (s.size() > path.size() && s.compare(0, path.size() + 1, path + ".") == 0) return true;
    }
    return false;
  };
  auto check_level = [&](const nlohmann::ordered_json& obj, const std::string& prefix,
                         const std::string& at) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string path = prefix + it.key();
      const std::string pointer = json_pointer_append(at, it.key());
      const std::string name = std::string(stage) + (prefix.empty() ? "" : ".") +
                               prefix.substr(0, prefix.empty() ? 0 : prefix.size() - 1);
      if (declared(path)) continue;
      // config and into are checked key by key below.
      if (prefix.empty() && it->is_object() &&
          (it.key() == "config" || (it.key() == "into" && stage == "$merge"))) {
        continue;
      }
      if (const stage_option* o = find_stage_option(stage, path); o && !o->atlas_for.empty()) {
        std::string message = "option '" + it.key() + "' of " + name + " is not supported by Reel";
        message += for_type;
        if (!o->atlas_for.empty()) message += " (Atlas takes it for " + std::string(o->atlas_for);
        message += o->atlas_for.empty() ? "" : ")";
        problems.push_back({"reel.pipeline.unsupported_option", pointer, std::move(message)});
        continue;
      }
      std::vector<std::string> candidates;
      if (supported) {
        detail::options_at(*supported, prefix, candidates);
        for (const stage_option& o : stage_option_catalogue()) {
          if (o.stage == stage && is_common_stage_option(stage, o.path)) {
            detail::options_at(std::vector<std::string>{std::string(o.path)}, prefix, candidates);
          }
        }
      } else {
        std::vector<std::string> all;
        for (const stage_option& o : stage_option_catalogue()) {
          if (o.stage == stage) all.emplace_back(o.path);
        }
        detail::options_at(all, prefix, candidates);
      }
      problems.push_back({"reel.pipeline.unknown_option", pointer,
                          "unknown option '" + it.key() + "' of " + name + for_type +
                              reel::detail::did_you_mean(it.key(), candidates)});
    }
  };
  check_level(spec, "", where);
  for (const std::string nested : {"config", "into"}) {
    auto it = spec.find(nested);
    if (it == spec.end() || !it->is_object()) continue;
    if (nested == "into" && stage != "$merge") continue;
    // Without a connection, config is the connector's business (Kafka passes its client's
    // properties on); a connection that takes any key of config checks them itself.
    if (nested == "config" && !supported) continue;
    if (supported &&
        std::find(supported->begin(), supported->end(), nested + ".*") != supported->end()) {
      continue;
    }
    check_level(*it, nested + ".", where + "/" + nested);
  }
  return problems;
}

/// Throws `reel::error` with every problem `stage_option_problems` finds, if any.
inline void check_stage_options(std::string_view stage, const nlohmann::ordered_json& spec,
                                const std::string& where,
                                const std::vector<std::string>* supported = nullptr,
                                std::string_view type = {}) {
  std::vector<diagnostic> problems = stage_option_problems(stage, spec, where, supported, type);
  if (!problems.empty()) throw reel::error(std::move(problems));
}

/// The compiler's check of a stage whose connection will check the rest (`$source` with a
/// `connectionName`, `$emit`, `$merge`): an Atlas option that no Reel connector has is
/// `reel.pipeline.unsupported_option`, a key that looks like a misspelt option the compiler
/// reads (`timefield`, `partitionIdleTimout`) is `reel.pipeline.unknown_option`, and the keys
/// of `$merge.into` are checked; other keys are left to the connection's type. Returns every
/// problem, in the order of the keys.
[[nodiscard]] inline std::vector<diagnostic> stage_option_typo_problems(
    std::string_view stage, const nlohmann::ordered_json& spec, const std::string& where) {
  std::vector<diagnostic> problems;
  if (!spec.is_object()) return problems;
  std::vector<std::string> common;
  for (const stage_option& o : stage_option_catalogue()) {
    if (o.stage == stage && is_common_stage_option(stage, o.path) &&
        o.path.find('.') == std::string_view::npos) {
      common.emplace_back(o.path);
    }
  }
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& key = it.key();
    if (is_common_stage_option(stage, key)) continue;
    const std::string pointer = json_pointer_append(where, key);
    if (const stage_option* o = find_stage_option(stage, key)) {
      if (o->in_reel) continue;
      problems.push_back({"reel.pipeline.unsupported_option", pointer,
                          "option '" + key + "' of " + std::string(stage) +
                              " is not supported by Reel (Atlas takes it for " +
                              std::string(o->atlas_for) + ")"});
      continue;
    }
    const std::string suggestion = reel::detail::did_you_mean(key, common);
    if (!suggestion.empty()) {
      problems.push_back({"reel.pipeline.unknown_option", pointer,
                          "unknown option '" + key + "' of " + std::string(stage) + suggestion});
    }
  }
  if (stage != "$merge") return problems;
  auto into = spec.find("into");
  if (into == spec.end() || !into->is_object()) return problems;
  static const std::vector<std::string> into_keys = {"connectionName", "db", "coll"};
  for (auto it = into->begin(); it != into->end(); ++it) {
    if (std::find(into_keys.begin(), into_keys.end(), it.key()) != into_keys.end()) continue;
    problems.push_back({"reel.pipeline.unknown_option",
                        where + "/into/" + json_pointer_token(it.key()),
                        "unknown option '" + it.key() + "' of $merge.into" +
                            reel::detail::did_you_mean(it.key(), into_keys)});
  }
  return problems;
}

/// Throws `reel::error` with every problem `stage_option_typo_problems` finds, if any.
inline void check_stage_option_typos(std::string_view stage, const nlohmann::ordered_json& spec,
                                     const std::string& where) {
  std::vector<diagnostic> problems = stage_option_typo_problems(stage, spec, where);
  if (!problems.empty()) throw reel::error(std::move(problems));
}

}  // namespace reel::json
