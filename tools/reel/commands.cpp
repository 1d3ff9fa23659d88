// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <reel/checkpoint/directory_store.hpp>
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
#ifdef REEL_HAVE_HTTPS
#include <reel/https/https.hpp>
#endif

#include "byte_size.hpp"
#include "console.hpp"
#include "definition.hpp"
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

/// How long a stop request (signal, --limit) waits for the sinks' writes in flight.
constexpr std::chrono::milliseconds stop_grace{10'000};

const char* signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

// ---------------------------------------------------------------------------------------------
// Sinks writing through the console, so document lines and the progress line stay apart.

class console_sink final : public sink {
 public:
  console_sink(console& c, output_format f, bool iso8601_dates, bool to_stderr)
      : console_(c), format_(f), iso8601_dates_(iso8601_dates), err_(to_stderr) {}
  void write(std::span<const document> docs, write_result&) override {
    for (const auto& d : docs) {
      std::string line = format_document(d, format_, iso8601_dates_);
      if (err_) {
        console_.err(line);
      } else {
        console_.out(line);
      }
    }
  }
  void flush() override { console_.flush(); }

 private:
  console& console_;
  output_format format_;
  bool iso8601_dates_;
  bool err_;
};

connection_type console_type(console& c, bool to_stderr, connection_type base) {
  base.make_sink = [&c, to_stderr](const connection_args& args) -> std::unique_ptr<sink> {
    return std::make_unique<console_sink>(c, reel::detail::sink_format(args),
                                          reel::detail::sink_iso8601_dates(args), to_stderr);
  };
  return base;
}

// ---------------------------------------------------------------------------------------------
// Errors: locations inside the pipeline become locations in the file.

struct context : definition {
  context(const command_line& c, console& o, pipeline_file f)
      : definition{std::move(f), "", std::nullopt, false}, cl(c), con(o) {}
  const command_line& cl;
  console& con;
};

int exit_code_of(const reel::error& e) {
  return e.id().rfind("reel.io.", 0) == 0 || e.id().rfind("reel.checkpoint.", 0) == 0 ? 1 : 2;
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
loaded_connections make_registry(const command_line& cl, console& con) {
  connection_registry registry = builtin_connections();
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
  return load_connections(std::move(registry), file);
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
  context ctx(cl, con, std::move(*file));
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

/// Compiles the pipeline into `compiled` and verifies its connections; prints every problem
/// found (the connections file's, the pipeline's, the connections') and returns false if any.
bool report_definition_problems(const context& ctx, const loaded_connections& loaded,
                                std::optional<json::compiled_pipeline>& compiled) {
  const std::vector<diagnostic> problems = definition_problems(ctx, loaded, compiled);
  for (const diagnostic& d : problems)
    ctx.con.err(located(ctx, d));
  return problems.empty();
}

// ---------------------------------------------------------------------------------------------
// Stats display.

struct counters {
  std::uint64_t input = 0, output = 0, dlq = 0, late = 0, filtered = 0;
  std::uint64_t state = 0, peak_state = 0;  ///< stateSize, peakStateSize
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
  c.state = count_of(s, "stateSize");
  c.peak_state = count_of(s, "peakStateSize");
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

/// A store specification from `--state s3://CONNECTION/BUCKET/PREFIX` or
/// `--state mongodb://CONNECTION/DB.COLL`, with the connection type the scheme asks for; nullopt
/// for a directory.
struct store_spec {
  document spec;
  std::string type;
};
std::optional<store_spec> parse_state_uri(const std::string& state) {
  const std::size_t scheme_end = state.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = state.substr(0, scheme_end);
  const std::string rest = state.substr(scheme_end + 3);
  const std::size_t slash = rest.find('/');
  const std::string connection = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  if (scheme == "s3") {
    const std::size_t bucket_end = path.find('/');
    const std::string bucket = path.substr(0, bucket_end);
    if (connection.empty() || bucket.empty()) {
      throw_error("reel.cli.invalid_state", "--state",
                  "'" + state +
                      "' is not s3://CONNECTION/BUCKET/PREFIX (CONNECTION names an s3 "
                      "connection of the connections file)");
    }
    document spec = {{"connectionName", connection}, {"bucket", bucket}};
    if (bucket_end != std::string::npos && bucket_end + 1 < path.size()) {
      spec["prefix"] = path.substr(bucket_end + 1);
    }
    return store_spec{std::move(spec), "s3"};
  }
  if (scheme == "mongodb") {
    const std::size_t dot = path.find('.');
    if (connection.empty() || dot == std::string::npos || dot == 0 || dot + 1 == path.size()) {
      throw_error("reel.cli.invalid_state", "--state",
                  "'" + state +
                      "' is not mongodb://CONNECTION/DB.COLL (CONNECTION names a "
                      "mongodb connection of the connections file, not a server)");
    }
    return store_spec{document{{"connectionName", connection},
                               {"db", path.substr(0, dot)},
                               {"coll", path.substr(dot + 1)}},
                      "mongodb"};
  }
  throw_error("reel.cli.invalid_state", "--state",
              "'" + scheme +
                  "://' is not a checkpoint store: --state takes a directory, "
                  "s3://CONNECTION/BUCKET/PREFIX or mongodb://CONNECTION/DB.COLL");
}

/// The checkpoint store of a run: `--state` (a directory or a connection URI), else the
/// pipeline file's `options.checkpoint.store`; null when neither is given.
std::unique_ptr<checkpoint_store> open_state_store(const context& ctx,
                                                   const connection_registry& registry,
                                                   bool process_mode) {
  const std::size_t keep = ctx.file.checkpoint_keep.value_or(3);
  std::optional<store_spec> uri;
  if (ctx.cl.state_dir) {
    uri = parse_state_uri(*ctx.cl.state_dir);
    if (!uri) {
      return std::make_unique<directory_store>(*ctx.cl.state_dir,
                                               directory_store_options{.keep_last = keep});
    }
  } else if (!ctx.file.checkpoint_store || process_mode) {
    return nullptr;
  }
  document spec = uri ? uri->spec : *ctx.file.checkpoint_store;
  const std::string where = uri ? "--state" : ctx.file.checkpoint_store_where;
  const std::string name = spec["connectionName"].get<std::string>();
  const std::string type = detail::lower(registry.type_of_connection(name));
  if (uri && !type.empty() && type != uri->type) {
    throw_error("reel.cli.invalid_state", where,
                "connection '" + name + "' is of type '" + type + "', not " + uri->type);
  }
  if (!spec.contains("keepLast")) spec["keepLast"] = keep;
  // Defaults that name the processor, so that processors may share a bucket or a collection.
  if (type == "s3" && !spec.contains("prefix")) spec["prefix"] = ctx.name;
  if (type == "mongodb" && !spec.contains("processor")) spec["processor"] = ctx.name;
  return registry.make_checkpoint_store(name, spec, where);
}

/// Where a run under --state starts: the checkpoint it resumed from, or the beginning.
void report_resume(const context& ctx, const json::stream_processor& sp,
                   const checkpoint_store& state) {
  const auto& resumed = sp.resumed_from();
  if (resumed) {
    for (const std::string& s : resumed->skipped) {
      // Damaged checkpoints are errors (`[reel.checkpoint.corrupt] at ...`); an uncommitted
      // one says so itself.
      const bool damaged = s.starts_with("[");
      ctx.con.err(fmt::format("reel: {}: passed over {}{}", ctx.name,
                              damaged ? "a damaged checkpoint: " : "", s));
    }
  }
  if (ctx.cl.quiet) return;
  if (resumed) {
    ctx.con.err(fmt::format("reel: {}: resumed from checkpoint {} in {} (source at {})", ctx.name,
                            resumed->version, state.location(),
                            json::to_relaxed_ejson(resumed->source_positions)));
  } else if (ctx.cl.fresh) {
    ctx.con.err(
        fmt::format("reel: {}: starting fresh; checkpoints go to {}", ctx.name, state.location()));
  } else {
    ctx.con.err(fmt::format("reel: {}: no checkpoint in {}: starting from the beginning", ctx.name,
                            state.location()));
  }
}

int run_processor(const command_line& cl, bool process_mode) {
  console con;
  auto ctx_opt = make_context(cl, con);
  if (!ctx_opt) return 2;
  context& ctx = *ctx_opt;
  loaded_connections loaded = make_registry(cl, con);
  std::optional<json::compiled_pipeline> compiled;
  if (!report_definition_problems(ctx, loaded, compiled)) return 2;
  const bool has_sink = compiled->sink.has_value();
  const connection_registry& registry = loaded.registry;

  json::stream_processor_options options;
  options.name = ctx.name;
  options.dlq = ctx.dlq;
  options.stream_meta = ctx.file.stream_meta;
  options.partitioned_windows = ctx.file.partitioned_windows;
  if (auto limit = cl.max_state_bytes ? cl.max_state_bytes : ctx.file.max_state_bytes)
    options.max_state_bytes = static_cast<std::size_t>(*limit);
  if (cl.max_message_bytes) {
    options.compile.limits.max_message_bytes = static_cast<std::size_t>(*cl.max_message_bytes);
  }
  std::unique_ptr<checkpoint_store> state_store;  // outlives the processor
  std::unique_ptr<json::stream_processor> sp;
  try {
    state_store = open_state_store(ctx, registry, process_mode);
    if (cl.fresh && !state_store) {
      throw_error("reel.cli.invalid_state", "--fresh",
                  "--fresh goes with --state (a directory, s3://... or mongodb://...) or "
                  "options.checkpoint.store");
    }
    if (state_store) {
      options.checkpoint.store = state_store.get();
      options.checkpoint.fingerprint = json::stream_processor::fingerprint_of(ctx.file.pipeline);
      options.checkpoint.fresh = cl.fresh;
      if (ctx.file.checkpoint_interval) options.checkpoint.interval = *ctx.file.checkpoint_interval;
    }
    sp = std::make_unique<json::stream_processor>(std::move(*compiled), registry, options);
  } catch (const reel::error& e) {
    print_error(ctx, e);
    return exit_code_of(e);
  }
  if (state_store) report_resume(ctx, *sp, *state_store);

  const std::optional<std::uint64_t> limit = cl.limit;
  std::atomic<bool> limit_reached{false};
  // Only touched on the processor's thread (read after stop()).
  std::uint64_t outputs_seen = 0;
  std::uint64_t dead_letters_shown = 0;
  if (!has_sink || limit) {
    sp->on_output([&, has_sink](const document& d) {
      if (limit && outputs_seen >= *limit) return;
      if (!has_sink) con.out(json::to_relaxed_ejson(d));
      if (limit && ++outputs_seen >= *limit) limit_reached = true;
    });
  }
  const bool dead_letters_inline = process_mode && !ctx.dlq;
  if (dead_letters_inline) {
    sp->on_dead_letter([&](const document& record) {
      if (limit_reached) return;
      document wrapped = document::object();
      wrapped["_dlqMessage"] = record;
      con.out(json::to_relaxed_ejson(wrapped));
      ++dead_letters_shown;
    });
  }

  const bool show_progress = !process_mode && !cl.quiet;
  const bool json_stats = cl.stats_output == stats_format::json;
  const bool terminal = con.stderr_is_terminal() && !json_stats;
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
    con.flush_pending();
    const steady::time_point now = steady::now();
    if (show_progress && now - last_report >= progress_period) {
      const document stats = sp->stats();
      const double seconds = std::chrono::duration<double>(now - last_report).count();
      last_report = now;
      if (json_stats) {
        con.err(json::to_relaxed_ejson(stats));
        continue;
      }
      const counters c = read_counters(stats);
      const std::string rate = rate_text(static_cast<double>(c.input - last_input), seconds);
      if (terminal) {
        con.progress(fmt::format(
            "{}: input {}  output {}  dlq {}  {} events/s  watermark {}  state {}", ctx.name,
            c.input, c.output, c.dlq, rate, c.watermark, format_byte_size(c.state)));
      } else {
        con.err(fmt::format(
            "reel: {}: running: input {}, output {}, dlq {}, {} events/s, watermark {}, state {}",
            ctx.name, c.input, c.output, c.dlq, rate, c.watermark, format_byte_size(c.state)));
      }
      last_input = c.input;
    }
  }
  if (stop_signal == 0) stop_signal = pending_signal.load();
  // A sink waiting on a server that does not answer must not keep a stop request waiting: after
  // the grace period the program ends without the writes still in flight.
  sp->request_stop();
  if (!sp->wait_stopped(stop_grace)) {
    con.end_progress();
    con.err(fmt::format(
        "reel: {}: a sink was still waiting on its server {} s after the stop request; exiting "
        "without the writes in flight (they are redone when the source is read again)",
        ctx.name, std::chrono::duration_cast<std::chrono::seconds>(stop_grace).count()));
    con.flush();
    std::_Exit(1);  // the processor's destructor would wait for the blocked thread
  }
  sp->stop();
  const double seconds = std::chrono::duration<double>(steady::now() - started).count();
  con.end_progress();
  con.flush();

  const std::optional<std::string> failure = sp->failure();
  document final_stats = sp->stats();
  final_stats["status"] = failure ? "failed" : "stopped";
  if (limit) {
    // The processor went on past the limit (a window closes all at once): count what was
    // delivered, not what was produced.
    final_stats["outputMessageCount"] = outputs_seen;
    if (dead_letters_inline) final_stats["dlqMessageCount"] = dead_letters_shown;
  }
  const counters c = read_counters(final_stats);
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
  if (!cl.quiet && json_stats) {
    con.err(json::to_relaxed_ejson(final_stats));
  } else if (!cl.quiet) {
    // The peak window state tells what a run needed (the state is empty once the input ended).
    const std::string peak =
        c.peak_state > 0 ? ", peak state " + format_byte_size(c.peak_state) : std::string();
    con.err(fmt::format(
        "reel: {}: {}: input {}, output {}, dlq {}, late {}, filtered {}, {:.2f} s, {} events/s, "
        "watermark {}{}",
        ctx.name, state, c.input, c.output, c.dlq, c.late, c.filtered, seconds,
        rate_text(static_cast<double>(c.input), seconds), c.watermark, peak));
    if (!process_mode && !ctx.dlq && c.dlq > 0) {
      con.err(fmt::format(
          "reel: {}: {} DLQ records were counted but not kept: no DLQ is configured (use --dlq "
          "stderr, or options.dlq)",
          ctx.name, c.dlq));
    }
  }
  con.flush();
  if (failure) return 1;
  // A run stopped by a signal did not read all its input: the shell's convention, 128 + the
  // signal's number, tells a script so.
  if (stop_signal != 0 && !limit_reached) return 128 + stop_signal;
  return 0;
}

}  // namespace

connection_registry builtin_connections() {
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
#ifdef REEL_HAVE_HTTPS
  reel::https::register_connection_type(registry);
#endif
  return registry;
}

int run_command(const command_line& cl) {
  return run_processor(cl, false);
}
int process_command(const command_line& cl) {
  return run_processor(cl, true);
}

namespace {

/// Loads the pipeline file and its connections and checks them as `reel check` does: exit status
/// 2 once every problem is printed, else `then(console, context, connections, compiled)`.
template <class Then>
int with_checked_definition(const command_line& cl, Then&& then) {
  console con;
  auto ctx = make_context(cl, con);
  if (!ctx) return 2;
  loaded_connections loaded = make_registry(cl, con);
  std::optional<json::compiled_pipeline> compiled;
  if (!report_definition_problems(*ctx, loaded, compiled)) return 2;
  const int status = then(con, *ctx, loaded, *compiled);
  con.flush();
  return status;
}

}  // namespace

int check_command(const command_line& cl) {
  return with_checked_definition(cl, [](console& con, const context& ctx, const loaded_connections&,
                                        const json::compiled_pipeline&) {
    con.out(ctx.file.path + ": ok");
    return 0;
  });
}

namespace {

/// The type of connection `name` ("file", "stdout", ...; "code" for connections built in code).
document connection_type_of(const connection_registry& registry, const std::string& name) {
  for (const document& c : registry.describe()) {
    if (c["name"] == name) return c["type"];
  }
  return nullptr;
}

}  // namespace

int explain_command(const command_line& cl) {
  return with_checked_definition(
      cl, [&](console& con, const context& ctx, const loaded_connections& loaded,
              const json::compiled_pipeline& compiled) {
        const document plan = json::explain_pipeline(compiled);
        document out = {{"name", ctx.name}};
        // The type of each connection, beside its name.
        auto with_type = [&](const document& part) {
          if (!part.is_object()) return part;
          auto name = part.find("connectionName");
          if (name == part.end() || !name->is_string()) return part;
          document typed = document::object();
          for (const auto& [key, value] : part.items()) {
            typed[key] = value;
            if (key == "connectionName")
              typed["type"] = connection_type_of(loaded.registry, name->get<std::string>());
          }
          return typed;
        };
        out["source"] = with_type(plan["source"]);
        out["stages"] = plan["stages"];
        out["sink"] = with_type(plan["sink"]);
        out["dlq"] = ctx.dlq ? *ctx.dlq : document(nullptr);
        out["options"] = {{"streamMeta", ctx.file.stream_meta && plan["streamMeta"].get<bool>()},
                          {"partitionedWindows", ctx.file.partitioned_windows}};
        con.out(cl.compact ? out.dump() : out.dump(2));
        return 0;
      });
}

}  // namespace reel::cli
