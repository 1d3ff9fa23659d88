// SPDX-License-Identifier: Apache-2.0
/// \file
/// NDJSON files: `file_source` reads one relaxed or canonical Extended JSON document per line
/// (a bad line becomes a DLQ record with its bytes and `{line, offset}` position),
/// `file_sink` writes one relaxed Extended JSON document per line. `file_connection_type()` is
/// the `"file"` connection type:
///
/// ```json
/// {"tickets": {"type": "file", "path": "data/tickets.ndjson"},
///  "out":     {"type": "file", "directory": "out", "append": false, "outputFormat":
///  "relaxedJson"}}
/// ```
///
/// The file is the stage's `path` (resolved against the connection's `directory`), else the
/// connection's `path`; a sink of a connection with only a `directory` writes
/// `<db>.<coll>.ndjson` for `$merge` and the DLQ and `<topic>.ndjson` for `$emit`. Relative
/// paths of a definition read from a connections file are relative to that file. `$emit`'s
/// `config.outputFormat` overrides the connection's.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "reel/connector/detail/args.hpp"
#include "reel/connector/ndjson.hpp"
#include "reel/connector/registry.hpp"
#include "reel/error.hpp"

namespace reel {

namespace detail {
inline std::string open_error(const std::string& what) {
  const int e = errno;
  return e != 0 ? what + ": " + std::strerror(e) : what;
}
}  // namespace detail

/// Reads an NDJSON file. Throws `reel.io.open_failed` when it cannot be opened.
class file_source final : public source {
 public:
  explicit file_source(const std::filesystem::path& path) : path_(path.string()) {
    errno = 0;
    file_.open(path, std::ios::binary);
    if (!file_) {
      throw_error("reel.io.open_failed", path_,
                  detail::open_error("cannot open the file for reading"));
    }
    reader_ = std::make_unique<ndjson_source>(file_,
                                              ndjson_source_options{.type = "file", .path = path_});
  }

  std::string type() const override { return "file"; }
  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    return reader_->poll(out, max);
  }
  nlohmann::ordered_json positions() const override { return reader_->positions(); }
  void seek(const nlohmann::ordered_json& p) override { reader_->seek(p); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::ifstream file_;
  std::unique_ptr<ndjson_source> reader_;
};

struct file_sink_options {
  /// Append to an existing file instead of truncating it.
  bool append = false;
  output_format format = output_format::relaxed;
};

/// Writes an NDJSON file (creating its directory if needed). Throws `reel.io.open_failed` when it
/// cannot be created.
class file_sink final : public sink {
 public:
  explicit file_sink(const std::filesystem::path& path, file_sink_options options = {})
      : path_(path.string()) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    errno = 0;
    file_.open(path, std::ios::binary | (options.append ? std::ios::app : std::ios::trunc));
    if (!file_) {
      throw_error("reel.io.open_failed", path_,
                  detail::open_error("cannot open the file for writing"));
    }
    writer_ = std::make_unique<ndjson_sink>(
        file_, ndjson_sink_options{.format = options.format, .path = path_});
  }
  ~file_sink() override {
    if (file_.is_open()) file_.flush();
  }

  void write(std::span<const nlohmann::ordered_json> docs, write_result& r) override {
    writer_->write(docs, r);
  }
  void flush() override { writer_->flush(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::ofstream file_;
  std::unique_ptr<ndjson_sink> writer_;
};

namespace detail {

inline std::filesystem::path file_path(const connection_args& args, bool for_sink) {
  const std::string* dir = optional_string(args.definition, "directory", args, false);
  const std::filesystem::path base = dir ? args.resolve(*dir) : std::filesystem::path();
  if (const std::string* p = optional_string(args.stage, "path", args, true)) {
    const std::filesystem::path path(*p);
    return path.is_absolute() || base.empty() ? path : base / path;
  }
  if (const std::string* p = optional_string(args.definition, "path", args, false)) {
    return args.resolve(*p);
  }
  if (for_sink && dir) {
    const nlohmann::ordered_json& st = args.stage;
    const nlohmann::ordered_json* target = &st;
    if (st.is_object() && st.contains("into") && st["into"].is_object()) target = &st["into"];
    const std::string* db = optional_string(*target, "db", args, true);
    const std::string* coll = optional_string(*target, "coll", args, true);
    if (db && coll) return base / (*db + "." + *coll + ".ndjson");
    if (coll) return base / (*coll + ".ndjson");
    if (const std::string* topic = optional_string(st, "topic", args, true)) {
      return base / (*topic + ".ndjson");
    }
    return base / (args.name + ".ndjson");
  }
  args.stage_error("", "file connection '" + args.name +
                           "' has no path: give 'path' in the connection or in the stage");
}

}  // namespace detail

/// The `"file"` connection type: `{type: "file", path?, directory?, append?, outputFormat?}`.
inline connection_type file_connection_type() {
  connection_type t;
  t.summary = "NDJSON file: {path | directory, append, outputFormat}";
  t.stage_options = {.source = {"path"},
                     .emit = {"path", "db", "coll", "topic", "config.outputFormat"},
                     .merge = {"into.db", "into.coll"}};
  t.check = [](const connection_args& args) {
    check_definition_keys(args, "file", {"path", "directory", "append", "outputFormat"});
    detail::optional_string(args.definition, "path", args, false);
    detail::optional_string(args.definition, "directory", args, false);
    if (args.definition.contains("append") && !args.definition["append"].is_boolean()) {
      args.definition_error("/append", "append must be true or false");
    }
    detail::format_of(args.definition, args, false, "", output_format::relaxed);
  };
  t.check_source = [](const connection_args& args) {
    const std::filesystem::path path = detail::file_path(args, false);
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) return;
    const bool in_stage = args.stage.is_object() && args.stage.contains("path");
    const std::string where =
        in_stage ? args.stage_where + "/path" : args.definition_where + "/path";
    throw_error("reel.connection.invalid", where,
                "file connection '" + args.name + "' reads '" + path.string() + "', which " +
                    (std::filesystem::exists(status) ? "is a directory" : "does not exist"));
  };
  t.make_source = [](const connection_args& args) -> std::unique_ptr<source> {
    return std::make_unique<file_source>(detail::file_path(args, false));
  };
  t.sink_target = [](const connection_args& args) -> std::string {
    std::error_code ec;
    const std::filesystem::path path = std::filesystem::absolute(detail::file_path(args, true), ec);
    std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
    return ec ? path.lexically_normal().string() : canonical.string();
  };
  t.make_sink = [](const connection_args& args) -> std::unique_ptr<sink> {
    file_sink_options o;
    o.append = args.definition.value("append", false);
    o.format = detail::sink_format(args);
    return std::make_unique<file_sink>(detail::file_path(args, true), o);
  };
  return t;
}

}  // namespace reel
