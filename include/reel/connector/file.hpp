// SPDX-License-Identifier: Apache-2.0
/// \file
/// NDJSON files: `file_source` reads one relaxed or canonical Extended JSON document per line
/// (a bad line becomes a DLQ record with its bytes and `{line, offset}` position),
/// `file_sink` writes one relaxed Extended JSON document per line. `file_connection_type()` is
/// the `"file"` connection type:
///
/// ```json
/// {"tickets": {"type": "file", "path": "data/tickets.ndjson"},
///  "out":     {"type": "file", "directory": "out", "mode": "append",
///              "outputFormat": "relaxedJson", "dateFormat": "ISO8601"}}
/// ```
///
/// A sink's `mode` says what happens to a file that already has content: `"refuse"` (the
/// default) stops with `reel.io.file_exists`, `"append"` writes after it, `"truncate"` starts it
/// over. Under a checkpoint store (`reel run --state`) the mode applies at the first start only;
/// a restart truncates the file to the length recorded in the checkpoint it resumes from.
///
/// The file is the stage's `path` (resolved against the connection's `directory`), else the
/// connection's `path`; a sink of a connection with only a `directory` writes
/// `<db>.<coll>.ndjson` for `$merge` and the DLQ and `<topic>.ndjson` for `$emit`. Relative
/// paths of a definition read from a connections file are relative to that file. `$emit`'s
/// `config.outputFormat` and `config.dateFormat` (`"default"`, or `"ISO8601"`: dates as plain
/// ISO-8601 strings) override the connection's.
///
/// A `path` or `directory` given as `{"$env": NAME}` is a secret: errors name the setting
/// (`connection 'archive' path (from $env ARCHIVE_PATH)`), never the file's path, and outputs
/// and DLQ records of a source reading it carry no `_stream_meta.source.path`.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>
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

/// Reads an NDJSON file. Throws `reel.io.open_failed` when it cannot be opened. With `shown_as`
/// (a path that is a secret), errors name that instead of the path and messages carry no path
/// (`_stream_meta.source.path`).
class file_source final : public source {
 public:
  explicit file_source(const std::filesystem::path& path, std::string shown_as = {})
      : path_(path.string()) {
    errno = 0;
    file_.open(path, std::ios::binary);
    if (!file_) {
      throw_error("reel.io.open_failed", shown_as.empty() ? path_ : shown_as,
                  detail::open_error("cannot open the file for reading"));
    }
    const bool secret = !shown_as.empty();
    reader_ = std::make_unique<ndjson_source>(
        file_, ndjson_source_options{
                   .type = "file", .path = secret ? "" : path_, .shown_as = std::move(shown_as)});
  }

  std::string type() const override { return "file"; }
  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    return reader_->poll(out, max);
  }
  nlohmann::ordered_json positions() const override { return reader_->positions(); }
  void seek(const nlohmann::ordered_json& p) override { reader_->seek(p); }
  void limit_message_bytes(std::size_t max_bytes) override {
    reader_->limit_message_bytes(max_bytes);
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::ifstream file_;
  std::unique_ptr<ndjson_source> reader_;
};

/// What a file sink does with a file that already has content.
enum class file_mode {
  refuse,    ///< `"refuse"` (the default): stop with `reel.io.file_exists`; never lose data
  append,    ///< `"append"`: write after what is there
  truncate,  ///< `"truncate"`: start the file over
};

/// `"refuse"` → `file_mode::refuse`; nullopt for an unknown name.
inline std::optional<file_mode> parse_file_mode(std::string_view s) {
  if (s == "refuse") return file_mode::refuse;
  if (s == "append") return file_mode::append;
  if (s == "truncate") return file_mode::truncate;
  return std::nullopt;
}

struct file_sink_options {
  /// What to do with a file that exists and is not empty. Under a checkpoint store the mode
  /// applies once, at the first start; a restore truncates the file to the length recorded in
  /// the checkpoint instead (`start(point)`).
  file_mode mode = file_mode::refuse;
  output_format format = output_format::relaxed;
  /// `dateFormat: "ISO8601"`: dates as plain ISO-8601 strings.
  bool iso8601_dates = false;
  /// Names the file in errors instead of its path, when not empty (a path that is a secret).
  std::string shown_as;
};

/// Writes an NDJSON file (creating its directory if needed). The file is opened by `start()`,
/// which a processor calls before its first write (else the first write does): it throws
/// `reel.io.open_failed` when the file cannot be created, `reel.io.file_exists` when it has
/// content and the mode is `refuse`. `commit_point()` is `{"length": bytes}` after flushing and
/// fsyncing; `start(point)` truncates the file back to such a length.
class file_sink final : public sink {
 public:
  explicit file_sink(const std::filesystem::path& path, file_sink_options options = {})
      : path_(path.string()),
        options_(std::move(options)),
        shown_(options_.shown_as.empty() ? path_ : options_.shown_as) {}
  ~file_sink() override {
    if (file_.is_open()) file_.flush();
  }

  void start(const nlohmann::ordered_json& resume_point) override {
    if (file_.is_open()) file_.close();
    const std::filesystem::path path(path_);
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const bool regular = std::filesystem::is_regular_file(path, ec);
    std::uintmax_t size = regular ? std::filesystem::file_size(path, ec) : 0;
    if (ec) size = 0;
    if (!resume_point.is_null()) {
      resume(resume_point, regular, size);
      return;
    }
    if (size > 0 && options_.mode == file_mode::refuse) {
      throw_error("reel.io.file_exists", shown_,
                  fmt::format("the output file exists and holds {} bytes; set the connection's "
                              "mode to \"append\" or \"truncate\", or move the file away",
                              size));
    }
    const bool truncate = options_.mode == file_mode::truncate;
    open(truncate ? std::ios::trunc : std::ios::app);
    length_ = truncate ? 0 : size;
  }

  void write(std::span<const nlohmann::ordered_json> docs, write_result& r) override {
    if (!writer_) start(nullptr);
    const std::uint64_t before = writer_->bytes_written();
    writer_->write(docs, r);
    length_ += writer_->bytes_written() - before;
  }
  void flush() override {
    if (writer_) writer_->flush();
  }

  nlohmann::ordered_json commit_point() override {
    if (!writer_) start(nullptr);
    flush();
    sync();
    return {{"length", length_}};
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  void resume(const nlohmann::ordered_json& point, bool regular, std::uintmax_t size) {
    if (!point.is_object() || !point.contains("length") || !point["length"].is_number_unsigned()) {
      throw_error("reel.checkpoint.invalid", shown_,
                  "the file sink's commit point is not a length");
    }
    const auto length = point["length"].get<std::uint64_t>();
    if (regular && size < length) {
      throw_error("reel.io.output_lost", shown_,
                  fmt::format("the checkpoint says {} bytes were written, the file holds {}: "
                              "output written before the checkpoint is gone",
                              length, size));
    }
    if (regular && size > length) {
      std::error_code ec;
      std::filesystem::resize_file(path_, length, ec);
      if (ec) {
        throw_error("reel.io.write_failed", shown_,
                    "cannot truncate the output to the checkpoint: " + ec.message());
      }
    }
    open(std::ios::app);
    length_ = length;
  }

  void open(std::ios::openmode how) {
    errno = 0;
    file_.open(path_, std::ios::binary | std::ios::out | how);
    if (!file_) {
      throw_error("reel.io.open_failed", shown_,
                  detail::open_error("cannot open the file for writing"));
    }
    writer_ = std::make_unique<ndjson_sink>(
        file_,
        ndjson_sink_options{
            .format = options_.format, .iso8601_dates = options_.iso8601_dates, .path = shown_});
  }
  /// The bytes written so far reach the disk (a checkpoint then records their length).
  void sync() const {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;  // a special file (/dev/null) or a vanished one: nothing to keep
    const bool ok = ::fsync(fd) == 0 || errno == EINVAL || errno == EROFS;
    const int err = errno;
    ::close(fd);
    if (!ok) {
      throw_error("reel.io.write_failed", shown_,
                  fmt::format("cannot sync the output: {}", std::strerror(err)));
    }
  }

  std::string path_;
  file_sink_options options_;
  std::string shown_;  // names the file in errors: its path, or options_.shown_as
  std::ofstream file_;
  std::unique_ptr<ndjson_sink> writer_;
  std::uint64_t length_ = 0;  // bytes in the file, including those still buffered
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

/// How errors name `path`, a file of connection `args`, when it holds the value of the
/// definition's `path` or `directory` read from `$env`: `connection 'archive' path (from $env
/// ARCHIVE_PATH)`, `connection 'out' directory (from $env OUT_DIR), file out.ndjson`; empty when
/// the path may be shown.
inline std::string file_path_shown(const connection_args& args, const std::filesystem::path& path) {
  for (const char* setting : {"path", "directory"}) {
    const std::string shown = args.shown(std::string("/") + setting);
    if (shown.empty() || !args.definition[setting].is_string()) continue;
    const std::filesystem::path value = args.resolve(args.definition[setting].get<std::string>());
    if (path == value) return shown;
    const std::filesystem::path inside = path.lexically_relative(value);
    if (!inside.empty() && *inside.begin() != "..") return shown + ", file " + inside.string();
  }
  return {};
}

/// The connection's `mode` (or the older `append`), checked.
inline file_mode file_mode_of(const connection_args& args) {
  const nlohmann::ordered_json& d = args.definition;
  if (d.contains("append")) {
    if (!d["append"].is_boolean()) args.definition_error("/append", "append must be true or false");
    if (d.contains("mode")) {
      args.definition_error("/append", "give mode or append, not both (append is the older name)");
    }
    return d["append"].get<bool>() ? file_mode::append : file_mode::truncate;
  }
  if (!d.contains("mode")) return file_mode::refuse;
  const nlohmann::ordered_json& m = d["mode"];
  std::optional<file_mode> mode;
  if (m.is_string()) mode = parse_file_mode(m.get_ref<const std::string&>());
  if (!mode) {
    args.definition_error("/mode", "mode must be \"refuse\", \"append\" or \"truncate\"");
  }
  return *mode;
}

}  // namespace detail

/// The `"file"` connection type: `{type: "file", path?, directory?, mode?, outputFormat?,
/// dateFormat?}`;
/// `append: true|false` is the older spelling of `mode: "append"|"truncate"`.
inline connection_type file_connection_type() {
  connection_type t;
  t.summary =
      "NDJSON file: {path | directory, mode: refuse (default) | append | truncate, outputFormat, "
      "dateFormat}";
  t.stage_options = {
      .source = {"path"},
      .emit = {"path", "db", "coll", "topic", "config.outputFormat", "config.dateFormat"},
      .merge = {"into.db", "into.coll"}};
  t.check = [](const connection_args& args) {
    check_definition_keys(args, "file",
                          {"path", "directory", "mode", "append", "outputFormat", "dateFormat"});
    detail::optional_string(args.definition, "path", args, false);
    detail::optional_string(args.definition, "directory", args, false);
    detail::file_mode_of(args);
    detail::format_of(args.definition, args, false, "", output_format::relaxed);
    detail::iso8601_dates_of(args.definition, args, false, "", false);
  };
  t.check_source = [](const connection_args& args) {
    const std::filesystem::path path = detail::file_path(args, false);
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) return;
    const bool in_stage = args.stage.is_object() && args.stage.contains("path");
    const std::string where =
        in_stage ? args.stage_where + "/path" : args.definition_where + "/path";
    const std::string what = std::filesystem::exists(status) ? "is a directory" : "does not exist";
    if (std::string shown = detail::file_path_shown(args, path); !shown.empty()) {
      throw_error("reel.connection.invalid", where, shown + " " + what);
    }
    throw_error("reel.connection.invalid", where,
                "file connection '" + args.name + "' reads '" + path.string() + "', which " + what);
  };
  t.make_source = [](const connection_args& args) -> std::unique_ptr<source> {
    const std::filesystem::path path = detail::file_path(args, false);
    return std::make_unique<file_source>(path, detail::file_path_shown(args, path));
  };
  t.sink_target = [](const connection_args& args) -> std::string {
    std::error_code ec;
    const std::filesystem::path path = std::filesystem::absolute(detail::file_path(args, true), ec);
    std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
    return ec ? path.lexically_normal().string() : canonical.string();
  };
  t.make_sink = [](const connection_args& args) -> std::unique_ptr<sink> {
    file_sink_options o;
    o.mode = detail::file_mode_of(args);
    o.format = detail::sink_format(args);
    o.iso8601_dates = detail::sink_iso8601_dates(args);
    const std::filesystem::path path = detail::file_path(args, true);
    o.shown_as = detail::file_path_shown(args, path);
    return std::make_unique<file_sink>(path, std::move(o));
  };
  return t;
}

}  // namespace reel
