// SPDX-License-Identifier: Apache-2.0
/// \file
/// Standard streams: `stdin_source` reads NDJSON from standard input (position `{line, offset}`;
/// a bad line becomes a DLQ record with its bytes), `stdout_sink`/`stderr_sink` write one relaxed
/// Extended JSON document per line and flush after each write, so a reader of a pipe sees every
/// document as soon as it is produced.
///
/// On POSIX systems `stdin_source` waits for input at most `wait` per poll and reports
/// `poll_status::idle` meanwhile, so a processor reading a terminal or a quiet pipe can still be
/// stopped. Elsewhere it reads `std::cin`.
///
/// Connection types: `"stdin"` (source), `"stdout"` and `"stderr"` (sinks, with `outputFormat`);
/// `default_connections()` names connections after them.
#pragma once

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "reel/connector/detail/args.hpp"
#include "reel/connector/ndjson.hpp"
#include "reel/connector/registry.hpp"
#include "reel/error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <poll.h>
#include <unistd.h>
#include <cerrno>
#define REEL_STDIN_POSIX 1
#else
#define REEL_STDIN_POSIX 0
#endif

namespace reel {

/// Reads NDJSON from a file descriptor (standard input by default).
class stdin_source final : public source {
 public:
  /// `wait`: how long one `poll()` waits for input before reporting `idle`.
  explicit stdin_source(std::chrono::milliseconds wait = std::chrono::milliseconds(100), int fd = 0)
      : wait_(wait), fd_(fd) {
#if !REEL_STDIN_POSIX
    reader_ = std::make_unique<ndjson_source>(std::cin, ndjson_source_options{.type = "stdin"});
#endif
  }

  std::string type() const override {
    return "stdin";
  }

  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
#if REEL_STDIN_POSIX
    std::size_t n = 0;
    bool waited = false;
    while (n < max) {
      if (auto l = splitter_.next(eof_)) {
        if (!l->oversized && detail::blank(l->text)) continue;
        out.push_back(detail::line_message(std::move(*l), nullptr, splitter_.max_line_bytes()));
        ++n;
        continue;
      }
      if (eof_ || n > 0 || waited) break;
      waited = true;
      if (!read_some()) break;
    }
    if (n > 0) return poll_status::ready;
    if (eof_ && splitter_.empty()) return poll_status::end_of_input;
    return poll_status::idle;
#else
    return reader_->poll(out, max);
#endif
  }

  void limit_message_bytes(std::size_t max_bytes) override {
#if REEL_STDIN_POSIX
    splitter_.set_max_line_bytes(max_bytes);
#else
    reader_->limit_message_bytes(max_bytes);
#endif
  }

  nlohmann::ordered_json positions() const override {
#if REEL_STDIN_POSIX
    return {{"line", splitter_.next_number()}, { "offset", splitter_.next_offset() }};
#else
    return reader_->positions();
#endif
  }

 private:
#if REEL_STDIN_POSIX
  /// Waits up to `wait_` and reads what is there; false when nothing came.
  bool read_some() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(wait_.count()));
    if (ready < 0) {
      if (errno == EINTR) return false;
      throw_error("reel.io.read_failed", "stdin", "cannot wait for standard input");
    }
    if (ready == 0) return false;
    char buffer[64 * 1024];
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) return false;
      throw_error("reel.io.read_failed", "stdin", "cannot read standard input");
    }
    if (got == 0) {
      eof_ = true;
      return true;
    }
    splitter_.feed(std::string_view(buffer, static_cast<std::size_t>(got)));
    return true;
  }

  std::chrono::milliseconds wait_;
  int fd_;
  detail::line_splitter splitter_;
  bool eof_ = false;
#else
  std::chrono::milliseconds wait_;
  int fd_;
  std::unique_ptr<ndjson_source> reader_;
#endif
};

/// NDJSON on standard output, flushed after each write (`iso8601_dates`: `dateFormat:
/// "ISO8601"`).
inline std::unique_ptr<sink> make_stdout_sink(output_format format = output_format::relaxed,
                                              bool iso8601_dates = false) {
  return std::make_unique<ndjson_sink>(std::cout,
                                       ndjson_sink_options{.format = format,
                                                           .iso8601_dates = iso8601_dates,
                                                           .flush_each_write = true,
                                                           .path = "stdout"});
}
/// NDJSON on standard error, flushed after each write.
inline std::unique_ptr<sink> make_stderr_sink(output_format format = output_format::relaxed,
                                              bool iso8601_dates = false) {
  return std::make_unique<ndjson_sink>(std::cerr,
                                       ndjson_sink_options{.format = format,
                                                           .iso8601_dates = iso8601_dates,
                                                           .flush_each_write = true,
                                                           .path = "stderr"});
}

/// The `"stdin"` connection type (a source; no options).
namespace detail {
/// stdout and stderr take the output format and, so that a pipeline written for a topic or a
/// collection can be tried on the console, the names of the target (which they do not show).
inline connection_type::stage_option_lists console_stage_options() {
  return {.source = {},
          .emit = {"config.outputFormat", "config.dateFormat", "topic", "db", "coll"},
          .merge = {"into.db", "into.coll"}};
}
}  // namespace detail

inline connection_type stdin_connection_type() {
  connection_type t;
  t.summary = "NDJSON from standard input";
  t.stage_options.emplace();  // $source takes only the common options
  t.check = [](const connection_args& args) { check_definition_keys(args, "stdin", {}); };
  t.make_source = [](const connection_args&) -> std::unique_ptr<source> {
    return std::make_unique<stdin_source>();
  };
  return t;
}

/// The `"stdout"` connection type (a sink: `{outputFormat, dateFormat}`).
inline connection_type stdout_connection_type() {
  connection_type t;
  t.summary = "NDJSON to standard output: {outputFormat, dateFormat}";
  t.stage_options = detail::console_stage_options();
  t.check = [](const connection_args& args) {
    check_definition_keys(args, "stdout", {"outputFormat", "dateFormat"});
    detail::format_of(args.definition, args, false, "", output_format::relaxed);
    detail::iso8601_dates_of(args.definition, args, false, "", false);
  };
  t.make_sink = [](const connection_args& args) {
    return make_stdout_sink(detail::sink_format(args), detail::sink_iso8601_dates(args));
  };
  return t;
}

/// The `"stderr"` connection type (a sink: `{outputFormat, dateFormat}`).
inline connection_type stderr_connection_type() {
  connection_type t;
  t.summary = "NDJSON to standard error: {outputFormat, dateFormat}";
  t.stage_options = detail::console_stage_options();
  t.check = [](const connection_args& args) {
    check_definition_keys(args, "stderr", {"outputFormat", "dateFormat"});
    detail::format_of(args.definition, args, false, "", output_format::relaxed);
    detail::iso8601_dates_of(args.definition, args, false, "", false);
  };
  t.make_sink = [](const connection_args& args) {
    return make_stderr_sink(detail::sink_format(args), detail::sink_iso8601_dates(args));
  };
  return t;
}

}  // namespace reel
