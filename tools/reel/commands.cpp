// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <reel/connector/all.hpp>
#include <reel/json.hpp>
#ifdef REEL_HAVE_S3
#include <reel/s3/sink.hpp>
#endif
#ifdef REEL_HAVE_MONGO
#include <reel/mongo/connection_type.hpp>
#endif
#ifdef REEL_HAVE_KAFKA
#include <reel/kafka/connection_type.hpp>
#endif

#include "console.hpp"
#include "pipeline_file.hpp"

namespace reel::cli {

namespace {

using steady = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Signals: the first SIGINT/SIGTERM asks for a clean stop, a second one ends the program.

std::atomic<int> pending_signal{0};

extern "C" void on_stop_signal(int sig) {
  if (pending_signal.exchange(sig) != 0) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

const char* signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

// ---------------------------------------------------------------------------------------------
// Sinks writing through the console, so document lines and the progress line stay apart.

class console_sink final : public sink {
 public:
  console_sink(console& c, output_format f, bool to_stderr)
      : console_(c), format_(f), err_(to_stderr) {}
  void write(std::span<const document> docs, write_result&) override {
    for (const auto& d : docs) {
      if (err_) {
        console_.err(format_document(d, format_));
      } else {
        console_.out(format_document(d, format_));
      }
    }
  }
  void flush() override { console_.flush(); }

 private:
  console& console_;
  output_format format_;
  bool err_;
};

connection_type console_type(console& c, bool to_stderr, connection_type base) {
  base.make_sink = [&c, to_stderr](const connection_args& args) -> std::unique_ptr<sink> {
    return std::make_unique<console_sink>(c, reel::detail::sink_format(args), to_stderr);
  };
  return base;
}

// ---------------------------------------------------------------------------------------------
// Errors: locations inside the pipeline become locations in the file.

struct context {
  const command_line& cl;
  console& con;
  pipeline_file file;
  std::string name;
  std::optional<document> dlq;
  bool dlq_from_command_line = false;
};

std::string locate(const context& ctx, const diagnostic& d) {
  if (d.id.rfind("reel.io.", 0) == 0) return d.where;
  if (d.where.empty()) return ctx.file.path;
  if (d.where[0] != '/') return d.where;
  if (d.where.rfind("/dlq", 0) == 0 && (d.where.size() == 4 || d.where[4] == '/')) {
    if (ctx.dlq_from_command_line) return "--dlq";
    return ctx.file.path + ":/options" + d.where;
  }
  std::string where = d.where;
  // The processor locates its sink stage by name only: "/$emit/connectionName".
  if (where.rfind("/$emit", 0) == 0 || where.rfind("/$merge", 0) == 0) {
    where =
        "/" + std::to_string(ctx.file.pipeline.empty() ? 0 : ctx.file.pipeline.size() - 1) + where;
  }
  return ctx.file.path + ":" + ctx.file.pipeline_pointer + where;
}

std::string located(const context& ctx, diagnostic d) {
  d.where = locate(ctx, d);
  return d.to_string();
}

int exit_code_of(const reel::error& e) {
  return e.id().rfind("reel.io.", 0) == 0 ? 1 : 2;
}

/// Prints every diagnostic of `e`.
void print_error(const context& ctx, const reel::error& e) {
  for (const diagnostic& d : e.diagnostics())
    ctx.con.err(located(ctx, d));
}

// ---------------------------------------------------------------------------------------------
// Setup shared by the commands.

/// Loads the pipeline file and names the processor; nullopt after printing the error.
std::optional<pipeline_file> load_file(const command_line& cl, console& con) {
  try {
    return load_pipeline_file(cl.pipeline_file);
  } catch (const reel::error& e) {
    for (const diagnostic& d : e.diagnostics())
      con.err(d.to_string());
    return std::nullopt;
  }
}

/// The registry: defaults, console-backed stdout/stderr, then the connections file.
std::optional<connection_registry> make_registry(const command_line& cl, console& con) {
  connection_registry registry = default_connections();
#ifdef REEL_HAVE_S3
  reel::s3::register_connection_type(registry);
#endif
#ifdef REEL_HAVE_MONGO
  reel::mongo::register_connection_type(registry);
#endif
#ifdef REEL_HAVE_KAFKA
  reel::kafka::register_connection_type(registry);
#endif
  registry.register_type("stdout", console_type(con, false, stdout_connection_type()));
  registry.register_type("stderr", console_type(con, true, stderr_connection_type()));
  std::optional<std::filesystem::path> file;
  if (cl.connections_file) {
    file = *cl.connections_file;
  } else {
    const std::filesystem::path beside =
        std::filesystem::path(cl.pipeline_file).parent_path() / "connections.json";
    std::error_code ec;
    if (std::filesystem::is_regular_file(beside, ec) &&
        !std::filesystem::equivalent(beside, cl.pipeline_file, ec)) {
      file = beside;
    }
  }
  if (file) {
    try {
      registry.load_connections(*file);
    } catch (const reel::error& e) {
      for (const diagnostic& d : e.diagnostics())
        con.err(d.to_string());
      return std::nullopt;
    }
  }
  return registry;
}

/// `CONNECTION[/db/coll]` → `{connectionName, db, coll}`.
std::optional<document> parse_dlq_argument(const std::string& s, console& con) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t slash = s.find('/', from);
    parts.push_back(s.substr(from, slash == std::string::npos ? std::string::npos : slash - from));
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  bool ok = (parts.size() == 1 || parts.size() == 3);
  for (const auto& p : parts)
    ok = ok && !p.empty();
  if (!ok) {
    con.err("reel: --dlq takes CONNECTION or CONNECTION/DB/COLL, not '" + s + "'");
    return std::nullopt;
  }
  document d = {{"connectionName", parts[0]}};
  if (parts.size() == 3) {
    d["db"] = parts[1];
    d["coll"] = parts[2];
  }
  return d;
}

std::optional<context> make_context(const command_line& cl, console& con) {
  auto file = load_file(cl, con);
  if (!file) return std::nullopt;
  context ctx{cl, con, std::move(*file), "", std::nullopt, false};
  if (cl.name) {
    ctx.name = *cl.name;
  } else if (ctx.file.name) {
    ctx.name = *ctx.file.name;
  } else {
    ctx.name = std::filesystem::path(cl.pipeline_file).stem().string();
  }
  if (cl.dlq) {
    ctx.dlq = parse_dlq_argument(*cl.dlq, con);
    if (!ctx.dlq) return std::nullopt;
    ctx.dlq_from_command_line = true;
  } else {
    ctx.dlq = ctx.file.dlq;
  }
  return ctx;
}

/// Compiles; prints every diagnostic and returns nullopt on failure.
std::optional<json::compiled_pipeline> compile(const context& ctx) {
  json::pipeline_options options;
  options.require_source = true;
  json::compile_result r = json::try_compile_pipeline(ctx.file.pipeline, options);
  for (const diagnostic& d : r.diagnostics)
    ctx.con.err(located(ctx, d));
  if (!r) return std::nullopt;
  return std::move(*r.pipeline);
}

/// Problems with the connections the pipeline names (unknown names, wrong roles), found
/// without building any source or sink.
std::vector<diagnostic> verify_connections(const context& ctx, const json::compiled_pipeline& p,
                                           const connection_registry& registry) {
  std::vector<diagnostic> problems;
  auto verify = [&](auto&& f) {
    try {
      f();
    } catch (const reel::error& e) {
      for (const diagnostic& d : e.diagnostics())
        problems.push_back(d);
    }
  };
  if (p.source.connection_name) {
    verify([&] { registry.verify_source(*p.source.connection_name, "/0/$source/connectionName"); });
  }
  if (p.sink) {
    const std::string where = "/" + std::to_string(ctx.file.pipeline.size() - 1) + "/" +
                              p.sink->stage + (p.sink->stage == "$merge" ? "/into" : "") +
                              "/connectionName";
    verify([&] { registry.verify_sink(p.sink->connection_name, where); });
  }
  if (ctx.dlq) {
    verify([&] {
      registry.verify_sink((*ctx.dlq)["connectionName"].get<std::string>(), "/dlq/connectionName");
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Stats display.

struct counters {
  std::uint64_t input = 0, output = 0, dlq = 0, late = 0, filtered = 0;
  std::string watermark = "-";
};

std::uint64_t count_of(const document& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_number_integer() ? it->get<std::uint64_t>() : 0;
}

counters read_counters(const document& s) {
  counters c;
  c.input = count_of(s, "inputMessageCount");
  c.output = count_of(s, "outputMessageCount");
  c.dlq = count_of(s, "dlqMessageCount");
  c.late = count_of(s, "lateMessageCount");
  c.filtered = count_of(s, "filteredMessageCount");
  if (auto it = s.find("watermark"); it != s.end() && !it->is_null()) {
    if (auto t = json::as_date(*it)) {
      c.watermark = format_iso8601(*t);
    } else {
      c.watermark = json::to_relaxed_ejson(*it);
    }
  }
  return c;
}

std::string rate_text(double events, double seconds) {
  if (seconds <= 0) return "-";
  return fmt::format("{:.0f}", events / seconds);
}

// ---------------------------------------------------------------------------------------------
// run and process.

int run_processor(const command_line& cl, bool process_mode) {
  console con;
  auto ctx_opt = make_context(cl, con);
  if (!ctx_opt) return 2;
  context& ctx = *ctx_opt;
  auto registry = make_registry(cl, con);
  if (!registry) return 2;
  auto compiled = compile(ctx);
  if (!compiled) return 2;
  const bool has_sink = compiled->sink.has_value();
  if (auto problems = verify_connections(ctx, *compiled, *registry); !problems.empty()) {
    for (const diagnostic& d : problems)
      con.err(located(ctx, d));
    return 2;
  }

  json::stream_processor_options options;
  options.name = ctx.name;
  options.dlq = ctx.dlq;
  options.stream_meta = ctx.file.stream_meta;
  options.partitioned_windows = ctx.file.partitioned_windows;
  std::unique_ptr<json::stream_processor> sp;
  try {
    sp = std::make_unique<json::stream_processor>(std::move(*compiled), *registry, options);
  } catch (const reel::error& e) {
    print_error(ctx, e);
    return exit_code_of(e);
  }

  const std::optional<std::uint64_t> limit = cl.limit;
  std::atomic<bool> limit_reached{false};
  std::uint64_t outputs_seen = 0;  // only touched on the processor's thread
  if (!has_sink || limit) {
    sp->on_output([&, has_sink](const document& d) {
      if (limit && outputs_seen >= *limit) return;
      if (!has_sink) con.out(json::to_relaxed_ejson(d));
      if (limit && ++outputs_seen >= *limit) limit_reached = true;
    });
  }
  if (process_mode && !ctx.dlq) {
    sp->on_dead_letter([&](const document& record) {
      if (limit_reached) return;
      document wrapped = document::object();
      wrapped["_dlqMessage"] = record;
      con.out(json::to_relaxed_ejson(wrapped));
    });
  }

  const bool show_progress = !process_mode && !cl.quiet;
  const bool terminal = con.stderr_is_terminal();
  const auto progress_period =
      terminal
          ? std::chrono::milliseconds(250)
          : std::chrono::milliseconds(static_cast<std::int64_t>(cl.stats_interval_seconds * 1000));
  install_signal_handlers();
  const steady::time_point started = steady::now();
  try {
    sp->start();
  } catch (const reel::error& e) {
    print_error(ctx, e);
    return 1;
  }

  steady::time_point last_report = started;
  std::uint64_t last_input = 0;
  int stop_signal = 0;
  while (sp->running()) {
    if ((stop_signal = pending_signal.load()) != 0) break;
    if (limit_reached) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const steady::time_point now = steady::now();
    if (show_progress && now - last_report >= progress_period) {
      const counters c = read_counters(sp->stats());
      const double seconds = std::chrono::duration<double>(now - last_report).count();
      const std::string rate = rate_text(static_cast<double>(c.input - last_input), seconds);
      if (terminal) {
        con.progress(fmt::format("{}: input {}  output {}  dlq {}  {} events/s  watermark {}",
                                 ctx.name, c.input, c.output, c.dlq, rate, c.watermark));
      } else {
        con.err(
            fmt::format("reel: {}: running: input {}, output {}, dlq {}, {} events/s, watermark {}",
                        ctx.name, c.input, c.output, c.dlq, rate, c.watermark));
      }
      last_report = now;
      last_input = c.input;
    }
  }
  if (stop_signal == 0) stop_signal = pending_signal.load();
  sp->stop();
  const double seconds = std::chrono::duration<double>(steady::now() - started).count();
  con.end_progress();
  con.flush();

  const std::optional<std::string> failure = sp->failure();
  const counters c = read_counters(sp->stats());
  std::string state;
  if (failure) {
    state = "failed";
  } else if (limit_reached) {
    state = "limit reached";
  } else if (stop_signal != 0) {
    state = fmt::format("stopped by {}", signal_name(stop_signal));
  } else {
    state = "finished";
  }
  if (failure) con.err(fmt::format("reel: {}: {}", ctx.name, *failure));
  if (!cl.quiet) {
    con.err(fmt::format(
        "reel: {}: {}: input {}, output {}, dlq {}, late {}, filtered {}, {:.2f} s, {} events/s, "
        "watermark {}",
        ctx.name, state, c.input, c.output, c.dlq, c.late, c.filtered, seconds,
        rate_text(static_cast<double>(c.input), seconds), c.watermark));
    if (!process_mode && !ctx.dlq && c.dlq > 0) {
      con.err(fmt::format(
          "reel: {}: {} DLQ records were counted but not kept: no DLQ is configured (use --dlq "
          "stderr, or options.dlq)",
          ctx.name, c.dlq));
    }
  }
  con.flush();
  return failure ? 1 : 0;
}

}  // namespace

int run_command(const command_line& cl) {
  return run_processor(cl, false);
}
int process_command(const command_line& cl) {
  return run_processor(cl, true);
}

int check_command(const command_line& cl) {
  console con;
  auto ctx_opt = make_context(cl, con);
  if (!ctx_opt) return 2;
  context& ctx = *ctx_opt;
  auto registry = make_registry(cl, con);
  if (!registry) return 2;
  json::pipeline_options options;
  options.require_source = true;
  json::compile_result r = json::try_compile_pipeline(ctx.file.pipeline, options);
  std::vector<diagnostic> problems = std::move(r.diagnostics);
  if (r) {
    for (diagnostic& d : verify_connections(ctx, *r.pipeline, *registry))
      problems.push_back(std::move(d));
  } else if (ctx.dlq) {
    for (diagnostic& d : verify_connections(ctx, json::compiled_pipeline{}, *registry))
      problems.push_back(std::move(d));
  }
  for (const diagnostic& d : problems)
    con.err(located(ctx, d));
  if (!problems.empty()) return 2;
  con.out(ctx.file.path + ": ok");
  con.flush();
  return 0;
}

}  // namespace reel::cli
