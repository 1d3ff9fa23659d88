// SPDX-License-Identifier: Apache-2.0
#include "command_line.hpp"

#include "byte_size.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "reel/detail/suggest.hpp"

namespace reel::cli {

namespace {

constexpr std::string_view usage = R"(Usage: reel <command> PIPELINE_FILE [options]
       reel serve --state DIR [--listen 127.0.0.1:9710] [--connections FILE]
       reel sp <list|create|start|stop|drop|modify|stats|sample|explain|connections> [NAME [FILE]]

Runs MongoDB Atlas Stream Processing pipelines with Reel.

Commands:
  run PIPELINE_FILE      run a stream processor until its source ends (every window then
                         closes) or until Ctrl-C/SIGTERM, which stops it after flushing its
                         sinks; a pipeline without $emit/$merge writes its output to stdout
                         (each result is flushed within 100 ms, also through a pipe)
  process PIPELINE_FILE  like sp.process: output documents to stdout as NDJSON (relaxed
                         Extended JSON), DLQ records inline as {"_dlqMessage": {...}}
  check PIPELINE_FILE    compile and verify the connections the pipeline uses, without
                         running it: print every problem once, with its location (the
                         connections file's, the pipeline's, and connection problems such as
                         a missing input file, an unset $env variable, an unbuilt connector
                         type, or the DLQ and $emit writing the same file); every option of
                         $source, $emit, $merge and the windows is checked: a typo says "did
                         you mean", an Atlas option or connection type Reel lacks says "not
                         supported by Reel"
  serve                  host named stream processors, managed over an HTTP JSON API like
                         Atlas's sp.* (see the README, "Running as a service"): definitions
                         and checkpoints in --state DIR (required), connections from
                         --connections FILE; processors that were running resume from their
                         checkpoints; SIGTERM/Ctrl-C stops them with a final checkpoint;
                         Prometheus metrics at /metrics
  sp SUBCOMMAND          the client of 'reel serve', as mongosh's sp.*: list, connections,
                         create NAME FILE, start NAME, stop NAME, drop NAME, modify NAME FILE
                         (--fresh: start over when the stages changed), stats NAME
                         (--verbose), sample NAME (--limit N, default 10), explain NAME
  explain PIPELINE_FILE  check the pipeline as 'check' does, then print its plan as JSON
                         (pretty; --compact for one line): the processor's name, the $source
                         (connection, timeField, tsFieldName, partitionIdleTimeout), the
                         operators in order (the window's interval, hop or gap, offset,
                         boundary, allowedLateness, idleTimeout, whether it aggregates
                         incrementally or buffers its documents, and its inner operators),
                         the sink (null: output to stdout), the DLQ and the file's options

Options:
  --connections FILE     connection definitions: {"name": {"type": ..., ...}, ...}; without
                         it, a connections.json beside the pipeline file is read if present
  --name NAME            processor name (default: the file's "name", else its base name)
  --dlq CONNECTION[/DB/COLL]
                         (run, process) write DLQ records to this connection
  --limit N              (process) stop after N output documents; the summary counts the
                         documents delivered
  --max-message-bytes SIZE
                         (run, process) the largest input message (a line, a Kafka record);
                         a larger one goes to the DLQ as reel.input.too_large with its first
                         256 bytes, without being held in memory (default 16777216, 16 MiB;
                         0: no limit)
  --state DIR            (run) keep checkpoints in DIR (every 10 s of processing time, at the
                         end of input and on Ctrl-C/SIGTERM) and resume from the newest one
                         when DIR holds one: sources continue from the stored positions and
                         file sinks are cut back to the stored length, so that a restarted run
                         writes exactly what an uninterrupted one writes.
                         --state s3://CONNECTION/BUCKET/PREFIX keeps them as objects in a
                         bucket, --state mongodb://CONNECTION/DB.COLL as documents of a
                         collection, through a connection of the connections file (as
                         options.checkpoint.store in the pipeline file does)
  --fresh                (run, with --state or options.checkpoint.store) start over, ignoring
                         the stored checkpoints
  --stats-interval SECONDS
                         (run) seconds between stats lines when stderr is not a terminal
                         (default 10); on a terminal a progress line is kept up to date
  --stats-format text|json
                         (run, process) text lines (default), or json: one JSON object per
                         line with the fields of Atlas's stats() (inputMessageCount,
                         outputMessageCount, dlqMessageCount, watermark, stateSize, ...)
                         and Reel's (openWindowCount, openGroupCount,
                         bufferedDocumentCount, peakStateSize, stateSizeLimit,
                         stateLimitMessageCount, ...) at each stats interval (run) and at
                         the end, no progress line; text lines show the window state
                         (stateSize) and the final one its peak
  --max-state-bytes SIZE (run, process) the most window state the processor may hold, as
                         estimated in stats' stateSize: 512MB, 2GiB, or a number of bytes;
                         0 for no limit (default 1GiB, or the file's options.maxStateBytes);
                         a document that would exceed it goes to the DLQ with
                         [reel.window.state_limit] and counts in stateLimitMessageCount
  --compact              (explain) print the plan on one line
  --listen HOST:PORT     (serve) the address of the API (default 127.0.0.1:9710); another
                         address than the loopback requires a token
  --token-file FILE      (serve) require 'Authorization: Bearer TOKEN' (the file's first
                         line) on every call; (sp) send it. Default: the REEL_SERVE_TOKEN
                         environment variable
  --max-body-bytes SIZE  (serve) the largest request body (default 1MiB; larger: 413)
  --server URL           (sp) the server (default $REEL_SERVER, else http://127.0.0.1:9710)
  --verbose              (sp stats) per-partition watermarks, DLQ reasons, checkpoint time
  -q, --quiet            no progress display and no final summary
  -h, --help             show this text
  --version              show the version

A PIPELINE_FILE holds a JSON array of stages, or {"name": ..., "pipeline": [...],
"options": {"dlq": {"connectionName": ..., "db": ..., "coll": ...}, "streamMeta": false}}
(streamMeta: false leaves _stream_meta out of outputs; maxStateBytes: 512MB as
--max-state-bytes, which overrides it; partitionedWindows: true gives every
source partition windows and a watermark of its own, for processes sharing a Kafka consumer
group; checkpoint: {"interval": {"size": 10, "unit": "second"}, "keepLast": 3} sets how often
--state checkpoints and how many it keeps, and "store": {"connectionName": "lake", "bucket":
"reel-state", "prefix": "tickets"} or {"connectionName": "atlas", "db": "reel", "coll":
"checkpoints"} keeps them in S3 or MongoDB without --state). The mongosh syntax of the Atlas
documentation is accepted too (unquoted keys, 'strings', ISODate(...), comments).

Connections always available: sample_stream_solar, sample_movie_tickets (sample sources;
options in $source.config: seed, count, rate, start), stdin (NDJSON source), stdout and
stderr (NDJSON sinks). Connection types for connections.json: file, stdin, stdout, stderr,
memory, sample_stream_solar, sample_movie_tickets, and kafka, mongodb, s3 when Reel is
built with their connectors (-DREEL_WITH_KAFKA=ON, -DREEL_WITH_MONGO=ON, -DREEL_WITH_S3=ON).
A file sink's "mode" says what happens to an output file that already has content:
"refuse" (the default: stop with an error), "append" or "truncate"; under --state it
applies at the first start only. A value {"$env": "NAME"} in a definition is read from the
environment variable NAME when the connection is used (an unused connection needs no
variable) and never printed.

Exit status: 0 success (the input was read to its end, or --limit was reached), 1 runtime
failure, 2 bad usage or definition error, 128 + the signal's number when stopped by a signal
(130 for Ctrl-C/SIGINT, 143 for SIGTERM), after the clean stop.
)";

const std::vector<std::string>& option_names() {
  static const std::vector<std::string> names = {"--connections",
                                                 "--name",
                                                 "--dlq",
                                                 "--limit",
                                                 "--stats-interval",
                                                 "--stats-format",
                                                 "--quiet",
                                                 "--help",
                                                 "--version",
                                                 "--state",
                                                 "--fresh",
                                                 "--compact",
                                                 "--max-state-bytes",
                                                 "--max-message-bytes",
                                                 "--listen",
                                                 "--token-file",
                                                 "--server",
                                                 "--max-body-bytes",
                                                 "--verbose"};
  return names;
}

bool takes_value(std::string_view opt) {
  return opt == "--connections" || opt == "--name" || opt == "--dlq" || opt == "--limit" ||
         opt == "--stats-interval" || opt == "--stats-format" || opt == "--state" ||
         opt == "--max-state-bytes" || opt == "--max-message-bytes" || opt == "--listen" ||
         opt == "--token-file" || opt == "--server" || opt == "--max-body-bytes";
}

}  // namespace

std::string_view usage_text() {
  return usage;
}

bool parse_command_line(const std::vector<std::string>& args, command_line& out,
                        usage_error& error) {
  auto fail = [&](std::string message) {
    error.message = std::move(message);
    return false;
  };
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out.cmd = command::help;
      return true;
    }
    if (arg == "--version") {
      out.cmd = command::version;
      return true;
    }
    if (arg == "-q" || arg == "--quiet") {
      out.quiet = true;
      continue;
    }
    if (arg == "--fresh") {
      out.fresh = true;
      continue;
    }
    if (arg == "--compact") {
      out.compact = true;
      continue;
    }
    if (arg == "--verbose") {
      out.verbose = true;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      std::string value;
      bool has_value = false;
      if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
        has_value = true;
      }
      if (!takes_value(arg)) {
        return fail("unknown option '" + arg + "'" +
                    reel::detail::did_you_mean(arg, option_names()));
      }
      if (!has_value) {
        if (i + 1 >= args.size()) return fail("option " + arg + " needs a value");
        value = args[++i];
      }
      if (arg == "--connections") {
        out.connections_file = value;
      } else if (arg == "--name") {
        if (value.empty()) return fail("--name needs a non-empty name");
        out.name = value;
      } else if (arg == "--dlq") {
        out.dlq = value;
      } else if (arg == "--state") {
        if (value.empty()) return fail("--state needs a directory, s3://... or mongodb://...");
        out.state_dir = value;
      } else if (arg == "--limit") {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || p != value.data() + value.size() || n == 0) {
          return fail("--limit needs a positive integer, not '" + value + "'");
        }
        out.limit = n;
      } else if (arg == "--max-message-bytes") {
        const std::optional<std::uint64_t> bytes = parse_byte_size(value);
        if (!bytes) {
          return fail("--max-message-bytes needs a size like 16MiB or 1MB (0 for no limit), not '" +
                      value + "'");
        }
        out.max_message_bytes = bytes;
      } else if (arg == "--stats-interval") {
        char* end = nullptr;
        const double s = std::strtod(value.c_str(), &end);
        if (value.empty() || end != value.c_str() + value.size() || !(s > 0) || !std::isfinite(s)) {
          return fail("--stats-interval needs a positive number of seconds, not '" + value + "'");
        }
        out.stats_interval_seconds = s;
      } else if (arg == "--max-state-bytes") {
        const std::optional<std::uint64_t> bytes = parse_byte_size(value);
        if (!bytes) {
          return fail("--max-state-bytes needs a size like 512MB or 2GiB (0 for no limit), not '" +
                      value + "'");
        }
        out.max_state_bytes = bytes;
      } else if (arg == "--listen") {
        out.listen = value;
      } else if (arg == "--token-file") {
        out.token_file = value;
      } else if (arg == "--server") {
        out.server = value;
      } else if (arg == "--max-body-bytes") {
        const std::optional<std::uint64_t> bytes = parse_byte_size(value);
        if (!bytes || *bytes == 0)
          return fail("--max-body-bytes needs a size like 1MiB, not '" + value + "'");
        out.max_body_bytes = bytes;
      } else if (arg == "--stats-format") {
        if (value == "text") {
          out.stats_output = stats_format::text;
        } else if (value == "json") {
          out.stats_output = stats_format::json;
        } else {
          static const std::vector<std::string> formats = {"text", "json"};
          return fail("--stats-format takes text or json, not '" + value + "'" +
                      reel::detail::did_you_mean(value, formats));
        }
      }
      continue;
    }
    positional.push_back(arg);
  }

  if (positional.empty()) return fail("no command given");
  const std::string& name = positional[0];
  if (name == "run") {
    out.cmd = command::run;
  } else if (name == "process") {
    out.cmd = command::process;
  } else if (name == "check") {
    out.cmd = command::check;
  } else if (name == "explain") {
    out.cmd = command::explain;
  } else if (name == "help") {
    out.cmd = command::help;
    return true;
  } else if (name == "serve") {
    out.cmd = command::serve;
    if (positional.size() > 1) return fail("unexpected argument '" + positional[1] + "'");
    if (!out.state_dir) return fail("serve needs --state DIR (definitions and checkpoints)");
    if (out.state_dir->find("://") != std::string::npos)
      return fail("serve keeps its state in a directory: --state DIR, not '" + *out.state_dir +
                  "'");
    return true;
  } else if (name == "sp") {
    out.cmd = command::sp;
    out.sp_args.assign(positional.begin() + 1, positional.end());
    if (out.sp_args.empty()) return fail("sp needs a subcommand: list, create, start, stop, ...");
    if (out.limit && out.sp_args[0] != "sample")
      return fail("--limit is an option of 'reel process' and 'reel sp sample'");
    return true;
  } else {
    static const std::vector<std::string> commands = {"run",   "process", "check", "explain",
                                                      "serve", "sp",      "help"};
    return fail("unknown command '" + name + "'" + reel::detail::did_you_mean(name, commands));
  }
  if (positional.size() < 2) return fail(name + " needs a PIPELINE_FILE");
  if (positional.size() > 2) return fail("unexpected argument '" + positional[2] + "'");
  out.pipeline_file = positional[1];
  if (out.listen || out.token_file || out.server || out.max_body_bytes || out.verbose)
    return fail(
        "--listen, --token-file, --server, --max-body-bytes and --verbose are options of "
        "'reel serve' and 'reel sp'");
  if (out.limit && out.cmd != command::process)
    return fail("--limit is an option of 'reel process'");
  if (out.state_dir && out.cmd != command::run) return fail("--state is an option of 'reel run'");
  if (out.max_message_bytes && (out.cmd == command::check || out.cmd == command::explain))
    return fail("--max-message-bytes is an option of 'reel run' and 'reel process'");
  if (out.dlq && (out.cmd == command::check || out.cmd == command::explain))
    return fail("--dlq is an option of 'reel run' and 'reel process'");
  if (out.compact && out.cmd != command::explain)
    return fail("--compact is an option of 'reel explain'");
  return true;
}

}  // namespace reel::cli
