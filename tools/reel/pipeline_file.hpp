// SPDX-License-Identifier: Apache-2.0
// Pipeline files: a JSON (or mongosh-syntax) array of stages, or {name, pipeline, options}.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/compile.hpp"
#include "reel/json/mongosh_syntax.hpp"

#include "byte_size.hpp"

namespace reel::cli {

using document = nlohmann::ordered_json;

struct pipeline_file {
  std::string path;  ///< as given on the command line
  std::optional<std::string> name;
  document pipeline;                 ///< the array of stages
  std::optional<document> dlq;       ///< options.dlq
  bool stream_meta = true;           ///< options.streamMeta: add _stream_meta to outputs
  bool partitioned_windows = false;  ///< options.partitionedWindows: windows per partition
  std::string pipeline_pointer;      ///< "" (array form) or "/pipeline"
  std::optional<duration> checkpoint_interval;  ///< options.checkpoint.interval
  std::optional<std::size_t> checkpoint_keep;   ///< options.checkpoint.keepLast
  /// options.checkpoint.store: `{connectionName, ...}`, and where it is in the file.
  std::optional<document> checkpoint_store;
  std::string checkpoint_store_where;
  std::optional<std::uint64_t> max_state_bytes;  ///< options.maxStateBytes (0: no limit)
};

/// `options.checkpoint: {interval: {size, unit}, keepLast: N, store: {connectionName, ...}}`.
inline void load_checkpoint_options(const document& c, const std::string& at, pipeline_file& f) {
  const std::string where = at + "/options/checkpoint";
  if (!c.is_object())
    throw_error("reel.pipeline_file.invalid", where, "checkpoint must be an object");
  static const std::vector<std::string> keys = {"interval", "keepLast", "store"};
  for (const auto& [key, value] : c.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw_error("reel.pipeline_file.invalid", where + "/" + key,
                  "unknown checkpoint option '" + key + "'" +
                      reel::detail::did_you_mean(key, keys) +
                      "; checkpoint has interval, keepLast and store");
    }
  }
  if (auto st = c.find("store"); st != c.end()) {
    if (!st->is_object() || !st->contains("connectionName") ||
        !(*st)["connectionName"].is_string()) {
      throw_error("reel.pipeline_file.invalid", where + "/store",
                  "store must be {connectionName, ...}: {connectionName, bucket, prefix} for an "
                  "S3 connection, {connectionName, db, coll} for a MongoDB one");
    }
    f.checkpoint_store = *st;
    f.checkpoint_store_where = where + "/store";
  }
  if (auto i = c.find("interval"); i != c.end()) {
    f.checkpoint_interval =
        json::detail::pipeline_compiler::parse_duration(*i, where + "/interval", false);
  }
  if (auto k = c.find("keepLast"); k != c.end()) {
    if (!k->is_number_integer() || k->get<std::int64_t>() < 1) {
      throw_error("reel.pipeline_file.invalid", where + "/keepLast",
                  "keepLast must be a positive integer");
    }
    f.checkpoint_keep = k->get<std::size_t>();
  }
}

/// Reads and checks the shape of a pipeline file; throws `reel::error` (`reel.io.open_failed`,
/// `reel.syntax.error`, `reel.pipeline_file.invalid`).
inline pipeline_file parse_pipeline_file(const std::string& text, const std::string& path);

inline pipeline_file load_pipeline_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error("reel.io.open_failed", path, "cannot read the pipeline file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_pipeline_file(text.str(), path);
}

/// The pipeline file whose contents are `text`; `path` names it in locations (`path:/1/$match`).
/// Throws `reel::error` (`reel.syntax.error`, `reel.pipeline_file.invalid`).
inline pipeline_file parse_pipeline_file(const std::string& text, const std::string& path) {
  pipeline_file f;
  f.path = path;
  document d = json::parse_pipeline_text(text, path);
  const std::string at = path + ":";
  if (d.is_array()) {
    f.pipeline = std::move(d);
    return f;
  }
  if (!d.is_object()) {
    throw_error(
        "reel.pipeline_file.invalid", at + "/",
        "a pipeline file holds an array of stages or {\"name\", \"pipeline\", \"options\"}");
  }
  static const std::vector<std::string> keys = {"name", "pipeline", "options"};
  for (const auto& [key, value] : d.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw_error("reel.pipeline_file.invalid", at + "/" + key,
                  "unknown field '" + key + "'" + reel::detail::did_you_mean(key, keys) +
                      "; a pipeline file object has name, pipeline and options");
    }
  }
  if (auto it = d.find("name"); it != d.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      throw_error("reel.pipeline_file.invalid", at + "/name", "name must be a non-empty string");
    }
    f.name = it->get<std::string>();
  }
  auto p = d.find("pipeline");
  if (p == d.end())
    throw_error("reel.pipeline_file.invalid", at + "/", "the file has no 'pipeline'");
  if (!p->is_array()) {
    throw_error("reel.pipeline_file.invalid", at + "/pipeline",
                "pipeline must be an array of stages");
  }
  f.pipeline = *p;
  f.pipeline_pointer = "/pipeline";
  if (auto o = d.find("options"); o != d.end()) {
    if (!o->is_object())
      throw_error("reel.pipeline_file.invalid", at + "/options", "options must be an object");
    static const std::vector<std::string> option_keys = {"dlq",  "streamMeta", "partitionedWindows",
                                                         "tier", "checkpoint", "maxStateBytes"};
    for (const auto& [key, value] : o->items()) {
      if (std::find(option_keys.begin(), option_keys.end(), key) == option_keys.end()) {
        throw_error("reel.pipeline_file.invalid", at + "/options/" + key,
                    "unknown option '" + key + "'" + reel::detail::did_you_mean(key, option_keys));
      }
    }
    if (auto dlq = o->find("dlq"); dlq != o->end()) {
      if (!dlq->is_object() || !dlq->contains("connectionName") ||
          !(*dlq)["connectionName"].is_string()) {
        throw_error("reel.pipeline_file.invalid", at + "/options/dlq",
                    "dlq must be {\"connectionName\": ..., \"db\": ..., \"coll\": ...}");
      }
      if (!dlq->empty()) f.dlq = *dlq;
    }
    if (auto meta = o->find("streamMeta"); meta != o->end()) {
      if (!meta->is_boolean()) {
        throw_error("reel.pipeline_file.invalid", at + "/options/streamMeta",
                    "streamMeta must be true or false");
      }
      f.stream_meta = meta->get<bool>();
    }
    if (auto per = o->find("partitionedWindows"); per != o->end()) {
      if (!per->is_boolean()) {
        throw_error("reel.pipeline_file.invalid", at + "/options/partitionedWindows",
                    "partitionedWindows must be true or false");
      }
      f.partitioned_windows = per->get<bool>();
    }
    if (auto c = o->find("checkpoint"); c != o->end()) load_checkpoint_options(*c, at, f);
    if (auto m = o->find("maxStateBytes"); m != o->end()) {
      std::optional<std::uint64_t> bytes;
      if (m->is_number_integer() && m->get<std::int64_t>() >= 0) {
        bytes = m->get<std::uint64_t>();
      } else if (m->is_string()) {
        bytes = parse_byte_size(m->get_ref<const std::string&>());
      }
      if (!bytes) {
        throw_error("reel.pipeline_file.invalid", at + "/options/maxStateBytes",
                    "maxStateBytes must be a number of bytes or a size like \"512MB\" or "
                    "\"1GiB\" (0: no limit)");
      }
      f.max_state_bytes = bytes;
    }
  }
  return f;
}

}  // namespace reel::cli
