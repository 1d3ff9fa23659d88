// SPDX-License-Identifier: Apache-2.0
#include "serve/processor_host.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include <reel/checkpoint/directory_store.hpp>
#include <reel/json/ejson.hpp>
#include <reel/json/stream_processor.hpp>

#include "definition.hpp"

namespace reel::serve {

namespace {

constexpr const char* definition_file_name = "definition.json";

/// Names become directory names: letters, digits, '_' and '-', at most 64.
void check_name(const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
  if (!ok) {
    throw_error("reel.serve.invalid_name", name,
                "a processor name has 1 to 64 letters, digits, '_' or '-'");
  }
}

[[noreturn]] void not_found(const std::string& name) {
  throw_error("reel.serve.not_found", name, "there is no stream processor named '" + name + "'");
}

/// A checkpoint store that remembers when it was last written (for the checkpoint age).
class timed_store final : public checkpoint_store {
 public:
  timed_store(std::filesystem::path dir, directory_store_options options, const reel::clock& c)
      : store_(std::move(dir), options), clock_(c) {}
  void put(std::uint64_t version, std::string_view bytes) override {
    store_.put(version, bytes);
    last_put_ms_ = to_millis(clock_.now());
  }
  [[nodiscard]] std::optional<std::string> get(std::uint64_t version) const override {
    return store_.get(version);
  }
  [[nodiscard]] std::vector<std::uint64_t> list() const override { return store_.list(); }
  void remove(std::uint64_t version) override { store_.remove(version); }
  [[nodiscard]] std::string location() const override { return store_.location(); }
  [[nodiscard]] std::optional<timestamp> last_put() const {
    const std::int64_t ms = last_put_ms_;
    return ms == unset ? std::nullopt : std::optional<timestamp>(from_millis(ms));
  }

 private:
  static constexpr std::int64_t unset = INT64_MIN;
  directory_store store_;
  const reel::clock& clock_;
  std::atomic<std::int64_t> last_put_ms_{unset};
};

/// Keeps the last `capacity` of what is added.
void keep_last(std::deque<document>& ring, std::size_t capacity, document d) {
  if (capacity == 0) return;
  if (ring.size() == capacity) ring.pop_front();
  ring.push_back(std::move(d));
}

/// The last `limit` of `ring`, oldest first.
document last_of(const std::deque<document>& ring, std::size_t limit) {
  document out = document::array();
  const std::size_t from = ring.size() > limit ? ring.size() - limit : 0;
  for (std::size_t i = from; i < ring.size(); ++i)
    out.push_back(ring[i]);
  return out;
}

/// What the processing thread hands over: the last outputs and DLQ records (together, for
/// `sample()`), the last DLQ records alone, DLQ records by reason.
struct capture {
  explicit capture(std::size_t c) : capacity(c) {}
  void add(document d) {
    std::lock_guard lock(mutex);
    keep_last(ring, capacity, std::move(d));
  }
  void dead_letter(const document& record) {
    // The reason's id (`[reel.x.y] ...`) when it has one: a label that does not grow with the
    // values in the messages.
    std::string reason = "unknown";
    if (auto info = record.find("errInfo"); info != record.end() && info->is_object()) {
      if (auto r = info->find("reason"); r != info->end() && r->is_string()) {
        reason = r->get<std::string>();
        if (reason.starts_with("[")) {
          if (auto close = reason.find(']'); close != std::string::npos)
            reason = reason.substr(1, close - 1);
        }
      }
    }
    document wrapped = document::object();
    wrapped["_dlqMessage"] = record;
    add(std::move(wrapped));
    std::lock_guard lock(mutex);
    ++by_reason[reason];
    keep_last(dead_letters, capacity, record);
  }
  std::mutex mutex;
  std::size_t capacity;
  std::deque<document> ring;
  std::deque<document> dead_letters;
  std::map<std::string, std::uint64_t> by_reason;
};

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw_error("reel.io.open_failed", p.string(), "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` to `p` through a temporary file and a rename: a crash leaves the old or the new.
void write_atomically(const std::filesystem::path& p, const std::string& text) {
  const std::filesystem::path temp = p.parent_path() / ("." + p.filename().string() + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw_error("reel.io.write_failed", temp.string(), "cannot write the file");
  }
  std::error_code ec;
  std::filesystem::rename(temp, p, ec);
  if (ec)
    throw_error("reel.io.write_failed", p.string(), "cannot rename into place: " + ec.message());
}

/// Locates every diagnostic in the file and throws them together.
[[noreturn]] void throw_located(const cli::definition& def, std::vector<diagnostic> problems) {
  for (diagnostic& d : problems)
    d.where = cli::locate(def, d);
  throw error(std::move(problems));
}

}  // namespace

struct processor_host::shared_state {
  host_options options;
  cli::loaded_connections loaded;
  std::atomic<bool> shutting_down{false};  ///< processors stopped by shutdown() stay STARTED
};

struct processor_host::entry {
  std::mutex mutex;  ///< held by every operation on the processor
  std::string name;
  std::string file_text;
  std::string file_label;
  cli::definition def;
  std::string state = "CREATED";  ///< CREATED, STARTED, STOPPED, FAILED
  std::string error;
  timestamp last_modified{};
  timestamp last_state_change{};
  std::filesystem::path dir;
  std::unique_ptr<timed_store> store;  // outlives the processor
  std::unique_ptr<json::stream_processor> sp;
  std::shared_ptr<capture> captured;
  bool dropped = false;
};

namespace {

cli::definition parse_definition(const std::string& name, const std::string& text,
                                 const std::string& label) {
  cli::definition def{cli::parse_pipeline_file(text, label.empty() ? name : label), name,
                      std::nullopt, false};
  def.dlq = def.file.dlq;
  return def;
}

}  // namespace

processor_host::processor_host(host_options options) : shared_(std::make_unique<shared_state>()) {
  shared_->options = std::move(options);
  host_options& o = shared_->options;
  shared_->loaded = cli::load_connections(std::move(o.connections), o.connections_file);
  if (!shared_->loaded.problems.empty()) throw error(shared_->loaded.problems);
  std::error_code ec;
  std::filesystem::create_directories(o.state_dir, ec);
  if (ec || !std::filesystem::is_directory(o.state_dir, ec)) {
    throw_error("reel.serve.state_dir", o.state_dir.string(),
                "cannot create the state directory" + (ec ? ": " + ec.message() : std::string()));
  }
  for (const auto& item : std::filesystem::directory_iterator(o.state_dir)) {
    const std::filesystem::path file = item.path() / definition_file_name;
    if (!item.is_directory() || !std::filesystem::exists(file)) continue;
    document kept;
    try {
      kept = document::parse(read_text(file));
    } catch (const nlohmann::json::exception& e) {
      throw_error("reel.serve.state_dir", file.string(),
                  std::string("cannot read the definition: ") + e.what());
    }
    auto e = std::make_shared<entry>();
    e->name = kept.value("name", item.path().filename().string());
    e->file_text = kept.value("file", "");
    e->file_label = kept.value("fileLabel", "");
    e->state = kept.value("state", "CREATED");
    e->error = kept.value("error", "");
    e->last_modified = from_millis(kept.value("lastModified", std::int64_t{0}));
    e->last_state_change = from_millis(kept.value("lastStateChange", std::int64_t{0}));
    e->dir = item.path();
    e->captured = std::make_shared<capture>(o.sample_capacity);
    try {
      e->def = parse_definition(e->name, e->file_text, e->file_label);
    } catch (const reel::error& err) {
      e->state = "FAILED";
      e->error = err.what();
    }
    entries_.emplace(e->name, std::move(e));
  }
}

processor_host::~processor_host() {
  shutdown();
}

const reel::clock& processor_host::clock() const noexcept {
  return *shared_->options.clock;
}

std::shared_ptr<processor_host::entry> processor_host::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) not_found(name);
  return it->second;
}

void processor_host::record_failure(entry& e, const reel::error& err) {
  e.state = "FAILED";
  e.error = err.what();
  e.last_state_change = clock().now();
  persist(e);
}

std::vector<std::shared_ptr<processor_host::entry>> processor_host::entries() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<entry>> all;
  all.reserve(entries_.size());
  for (auto& [name, e] : entries_)
    all.push_back(e);
  return all;
}

void processor_host::persist(const entry& e) {
  const document kept = {{"name", e.name},
                         {"file", e.file_text},
                         {"fileLabel", e.file_label},
                         {"state", e.state},
                         {"error", e.error},
                         {"lastModified", to_millis(e.last_modified)},
                         {"lastStateChange", to_millis(e.last_state_change)}};
  write_atomically(e.dir / definition_file_name, kept.dump(2) + "\n");
}

void processor_host::resume() {
  const std::vector<std::shared_ptr<entry>> all = entries();
  for (auto& e : all) {
    std::lock_guard lock(e->mutex);
    if (e->state != "STARTED" || e->sp) continue;
    try {
      build_and_start(*e, false);
    } catch (const reel::error& err) {
      record_failure(*e, err);
    }
  }
}

document processor_host::create(const std::string& name, const std::string& file_text,
                                const std::string& file_label) {
  check_name(name);
  auto e = std::make_shared<entry>();
  e->name = name;
  e->file_text = file_text;
  e->file_label = file_label;
  e->def = parse_definition(name, file_text, file_label);
  std::optional<json::compiled_pipeline> compiled;
  std::vector<diagnostic> problems = cli::definition_problems(e->def, shared_->loaded, compiled);
  if (!problems.empty()) throw_located(e->def, std::move(problems));
  e->dir = shared_->options.state_dir / name;
  e->captured = std::make_shared<capture>(shared_->options.sample_capacity);
  e->last_modified = e->last_state_change = clock().now();
  {
    std::lock_guard lock(mutex_);
    if (entries_.count(name) != 0) {
      throw_error("reel.serve.exists", name,
                  "a stream processor named '" + name + "' exists; drop it first, or modify it");
    }
    std::error_code ec;
    // Checkpoints left by a processor of this name that was dropped by hand are not resumed.
    std::filesystem::remove_all(e->dir, ec);
    std::filesystem::create_directories(e->dir, ec);
    if (ec) {
      throw_error("reel.serve.state_dir", e->dir.string(),
                  "cannot create the processor's directory: " + ec.message());
    }
    persist(*e);
    entries_.emplace(name, e);
  }
  std::lock_guard lock(e->mutex);
  return describe(*e);
}

void processor_host::build_and_start(entry& e, bool fresh) {
  std::optional<json::compiled_pipeline> compiled;
  std::vector<diagnostic> problems = cli::definition_problems(e.def, shared_->loaded, compiled);
  if (!problems.empty()) throw_located(e.def, std::move(problems));
  const host_options& o = shared_->options;
  e.sp.reset();
  e.store.reset();
  e.store = std::make_unique<timed_store>(
      e.dir / "checkpoints",
      directory_store_options{.keep_last = e.def.file.checkpoint_keep.value_or(3), .sync = o.sync},
      *o.clock);
  json::stream_processor_options options;
  options.name = e.name;
  options.dlq = e.def.dlq;
  options.stream_meta = e.def.file.stream_meta;
  options.partitioned_windows = e.def.file.partitioned_windows;
  options.clock = o.clock;
  if (e.def.file.max_state_bytes)
    options.max_state_bytes = static_cast<std::size_t>(*e.def.file.max_state_bytes);
  options.checkpoint.store = e.store.get();
  options.checkpoint.fingerprint = json::stream_processor::fingerprint_of(e.def.file.pipeline);
  options.checkpoint.fresh = fresh;
  if (e.def.file.checkpoint_interval) options.checkpoint.interval = *e.def.file.checkpoint_interval;
  try {
    e.sp = std::make_unique<json::stream_processor>(std::move(*compiled), shared_->loaded.registry,
                                                    options);
  } catch (const reel::error& err) {
    throw_located(e.def, err.diagnostics());
  }
  std::shared_ptr<capture> captured = e.captured;
  e.sp->on_output([captured](const document& d) { captured->add(d); });
  e.sp->on_dead_letter([captured](const document& d) { captured->dead_letter(d); });
  e.sp->start();
  e.state = "STARTED";
  e.error.clear();
  e.last_state_change = clock().now();
  persist(e);
}

void processor_host::start(const std::string& name) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  refresh(*e);
  if (e->sp && e->sp->running()) {
    throw_error("reel.serve.conflict", name, "stream processor '" + name + "' is already running");
  }
  try {
    build_and_start(*e, false);
  } catch (const reel::error& err) {
    record_failure(*e, err);
    throw;
  }
}

void processor_host::stop_processor(entry& e) {
  if (!e.sp) return;
  e.sp->stop();  // after its current batch, with a final checkpoint
}

void processor_host::stop(const std::string& name) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  refresh(*e);
  if (e->state != "STARTED") {
    throw_error("reel.serve.conflict", name,
                "stream processor '" + name + "' is not running (" + e->state + ")");
  }
  stop_processor(*e);
  refresh(*e);
  if (e->state == "STARTED") {
    e->state = "STOPPED";
    e->last_state_change = clock().now();
    persist(*e);
  }
}

void processor_host::drop(const std::string& name) {
  auto e = find(name);
  {
    std::lock_guard lock(e->mutex);
    if (e->dropped) not_found(name);
    stop_processor(*e);
    e->sp.reset();
    e->store.reset();
    e->dropped = true;
    std::error_code ec;
    std::filesystem::remove_all(e->dir, ec);
    if (ec) {
      throw_error("reel.serve.state_dir", e->dir.string(),
                  "cannot remove the processor's directory: " + ec.message());
    }
  }
  std::lock_guard lock(mutex_);
  entries_.erase(name);
}

document processor_host::modify(const std::string& name, const std::string& file_text,
                                const std::string& file_label, bool resume_from_checkpoint) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  cli::definition def = parse_definition(name, file_text, file_label);
  std::optional<json::compiled_pipeline> compiled;
  std::vector<diagnostic> problems = cli::definition_problems(def, shared_->loaded, compiled);
  if (!problems.empty()) throw_located(def, std::move(problems));
  const bool same_stages = json::stream_processor::fingerprint_of(def.file.pipeline) ==
                           json::stream_processor::fingerprint_of(e->def.file.pipeline);
  bool has_checkpoint = false;
  {
    const directory_store checkpoints(e->dir / "checkpoints", {.sync = false});
    has_checkpoint = !checkpoints.list().empty();
  }
  if (!same_stages && has_checkpoint && resume_from_checkpoint) {
    throw_error("reel.serve.incompatible_checkpoint", name,
                "the new pipeline's stages differ from the ones that took the checkpoints of '" +
                    name +
                    "': its window state cannot be carried over; modify it with "
                    "resumeFromCheckpoint: false to start it over (from the beginning of its "
                    "source), or keep the stages and change only the options");
  }
  refresh(*e);
  const bool was_running = e->state == "STARTED";
  stop_processor(*e);
  e->sp.reset();
  e->store.reset();
  e->def = std::move(def);
  e->file_text = file_text;
  e->file_label = file_label;
  e->last_modified = clock().now();
  const bool fresh = !same_stages || !resume_from_checkpoint;
  if (fresh) {
    std::error_code ec;
    std::filesystem::remove_all(e->dir / "checkpoints", ec);
  }
  if (was_running) {
    try {
      build_and_start(*e, fresh);
    } catch (const reel::error& err) {
      record_failure(*e, err);
      throw;
    }
  } else {
    if (e->state == "FAILED") e->state = "STOPPED";
    e->error.clear();
    persist(*e);
  }
  return describe(*e);
}

void processor_host::refresh(entry& e) {
  // A processor whose thread ended by itself: its source ended, or it failed.
  if (e.state != "STARTED" || !e.sp || e.sp->running() || shared_->shutting_down) return;
  if (auto failure = e.sp->failure()) {
    e.state = "FAILED";
    e.error = *failure;
  } else {
    e.state = "STOPPED";
  }
  e.last_state_change = clock().now();
  persist(e);
}

document processor_host::describe(entry& e) {
  refresh(e);
  document d = document::object();
  d["name"] = e.name;
  d["state"] = e.state;
  d["error_msg"] = e.error.empty() ? document(nullptr) : document(e.error);
  d["pipeline"] = e.def.file.pipeline;
  document options = document::object();
  if (e.def.dlq) options["dlq"] = *e.def.dlq;
  if (!e.def.file.stream_meta) options["streamMeta"] = false;
  if (e.def.file.partitioned_windows) options["partitionedWindows"] = true;
  d["options"] = std::move(options);
  d["lastModified"] = json::make_date(e.last_modified);
  d["lastStateChange"] = json::make_date(e.last_state_change);
  return d;
}

document processor_host::list() {
  const std::vector<std::shared_ptr<entry>> all = entries();
  document out = document::array();
  for (auto& e : all) {
    std::lock_guard lock(e->mutex);
    if (!e->dropped) out.push_back(describe(*e));
  }
  return out;
}

document processor_host::describe(const std::string& name) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  return describe(*e);
}

document processor_host::stats(const std::string& name, bool verbose) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  refresh(*e);
  document s = document::object();
  if (e->sp) {
    s = e->sp->stats(verbose);
  } else {
    s["name"] = e->name;
  }
  // Atlas's status: created, running, stopped, failed.
  std::string status = e->state == "STARTED" ? "running" : e->state;
  std::transform(status.begin(), status.end(), status.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  s["status"] = status;
  if (!e->error.empty()) s["error"] = e->error;
  if (!verbose) {
    for (const char* key : {"partitions", "sourcePositions", "sourceMetrics", "sinkMetrics",
                            "operatorStats", "latency"})
      s.erase(key);
    return s;
  }
  {
    std::lock_guard captured_lock(e->captured->mutex);
    document reasons = document::object();
    for (const auto& [reason, n] : e->captured->by_reason)
      reasons[reason] = n;
    s["dlqMessageCountByReason"] = std::move(reasons);
  }
  if (e->store) {
    if (auto t = e->store->last_put()) s["lastCheckpointTime"] = json::make_date(*t);
  }
  s["statsTime"] = json::make_date(clock().now());  // the dashboard's watermark lag
  return s;
}

document processor_host::sample(const std::string& name, std::size_t limit) {
  auto e = find(name);
  std::lock_guard lock(e->captured->mutex);
  return last_of(e->captured->ring, limit);
}

document processor_host::dead_letters(const std::string& name, std::size_t limit) {
  auto e = find(name);
  std::lock_guard lock(e->captured->mutex);
  // Values under keys such as `password` or `token`, and user information in URIs, are masked:
  // the records are shown in a browser.
  return reel::detail::masked_definition(last_of(e->captured->dead_letters, limit));
}

document processor_host::explain(const std::string& name, const std::optional<timestamp>& t) {
  auto e = find(name);
  std::lock_guard lock(e->mutex);
  if (e->dropped) not_found(name);  // dropped while this call waited for the lock
  std::optional<json::compiled_pipeline> compiled;
  std::vector<diagnostic> problems = cli::definition_problems(e->def, shared_->loaded, compiled);
  if (!problems.empty()) throw_located(e->def, std::move(problems));
  document out = {{"name", e->name}};
  const document plan = json::explain_pipeline(*compiled);
  for (const auto& [key, value] : plan.items())
    out[key] = value;
  out["dlq"] = e->def.dlq ? *e->def.dlq : document(nullptr);
  if (t) {
    if (!e->sp) {
      throw_error("reel.serve.conflict", name,
                  "stream processor '" + name +
                      "' has not run since the server started: nothing to explain at a time");
    }
    out["window"] = e->sp->explain(*t);
  }
  return out;
}

document processor_host::connections() const {
  return shared_->loaded.registry.describe();
}

std::vector<document> processor_host::metrics_snapshot() {
  const std::vector<std::shared_ptr<entry>> all = entries();
  std::vector<document> out;
  for (auto& e : all) {
    document s;
    try {
      s = stats(e->name, true);
    } catch (const reel::error&) {
      continue;  // dropped meanwhile
    }
    std::lock_guard lock(e->mutex);
    out.push_back({{"name", e->name}, {"state", e->state}, {"stats", std::move(s)}});
  }
  return out;
}

void processor_host::shutdown() {
  shared_->shutting_down = true;
  const std::vector<std::shared_ptr<entry>> all = entries();
  for (auto& e : all) {
    std::lock_guard lock(e->mutex);
    if (e->sp && e->sp->running()) stop_processor(*e);  // the kept state stays STARTED
  }
}

}  // namespace reel::serve
