// SPDX-License-Identifier: Apache-2.0
// The command line of the `reel` program: commands, options, usage text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reel::cli {

enum class command { none, help, version, run, process, check, explain, serve, sp };

/// How `run` and `process` report stats on stderr.
enum class stats_format { text, json };

struct command_line {
  command cmd = command::none;
  std::string pipeline_file;
  std::optional<std::string> connections_file;
  std::optional<std::string> name;
  std::optional<std::string> dlq;  ///< CONNECTION[/db/coll]
  std::optional<std::uint64_t> limit;
  /// --max-message-bytes N: `limits::max_message_bytes` (0: none).
  std::optional<std::uint64_t> max_message_bytes;
  double stats_interval_seconds = 10;
  stats_format stats_output = stats_format::text;
  bool quiet = false;
  std::optional<std::string> state_dir;          ///< --state DIR: checkpoints, resume on restart
  bool fresh = false;                            ///< --fresh: ignore the checkpoints in --state
  bool compact = false;                          ///< --compact: explain's JSON on one line
  std::optional<std::uint64_t> max_state_bytes;  ///< --max-state-bytes SIZE (0: no limit)
  // reel serve, reel sp
  std::optional<std::string> listen;            ///< --listen HOST:PORT (serve)
  std::optional<std::string> token_file;        ///< --token-file FILE (serve, sp)
  std::optional<std::string> server;            ///< --server URL (sp)
  std::optional<std::uint64_t> max_body_bytes;  ///< --max-body-bytes SIZE (serve)
  bool verbose = false;                         ///< --verbose (sp stats)
  std::vector<std::string> sp_args;             ///< sp SUBCOMMAND [NAME [FILE]]
};

/// A usage error: the message, without the `reel: ` prefix.
struct usage_error {
  std::string message;
};

/// Parses `argv[1..]`; returns a usage error or the command line.
[[nodiscard]] bool parse_command_line(const std::vector<std::string>& args, command_line& out,
                                      usage_error& error);

/// The `--help` text.
[[nodiscard]] std::string_view usage_text();

}  // namespace reel::cli
