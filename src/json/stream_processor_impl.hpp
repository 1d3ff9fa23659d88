// SPDX-License-Identifier: Apache-2.0
/// \file
/// The implementation of `reel::json::stream_processor` (`reel/json/stream_processor.hpp`), behind
/// its pimpl: compiled once in the `reel::json` library (`src/json/stream_processor.cpp`).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "reel/checkpoint/detail/checksum.hpp"
#include "reel/checkpoint/detail/decode.hpp"
#include "reel/checkpoint/options.hpp"
#include "reel/connector/detail/release_log.hpp"
#include "reel/connector/memory.hpp"
#include "reel/connector/registry.hpp"
#include "reel/detail/latency_histogram.hpp"
#include "reel/error.hpp"
#include "reel/json/compile.hpp"
#include "reel/json/detail/projected_input.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/enrichment.hpp"
#include "reel/json/stream_processor.hpp"
#include "reel/json/value.hpp"
#include "reel/json/window_stage.hpp"
#include "reel/time.hpp"
#include "reel/window/window_result.hpp"
#include "stream_processor_enrichment.hpp"

#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/arena.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/value.hpp"
#include "value_stage.hpp"
#endif

namespace reel::json {

namespace detail {
/// Bytes of the compact JSON text of `d`, computed without serialising (strings counted
/// without escapes).
inline std::size_t serialized_size(const document& d) {
  switch (d.type()) {
    case document::value_t::object: {
      std::size_t n = 2;
      for (const auto& [k, v] : d.items())
        n += k.size() + 4 + serialized_size(v);
      return n;
    }
    case document::value_t::array: {
      std::size_t n = 2;
      for (const auto& v : d)
        n += serialized_size(v) + 1;
      return n;
    }
    case document::value_t::string:
      return d.get_ref<const std::string&>().size() + 2;
    case document::value_t::boolean:
      return d.get<bool>() ? 4 : 5;
    case document::value_t::null:
      return 4;
    case document::value_t::number_integer:
      return fmt::formatted_size("{}", d.get<std::int64_t>());
    case document::value_t::number_unsigned:
      return fmt::formatted_size("{}", d.get<std::uint64_t>());
    case document::value_t::number_float:
      return fmt::formatted_size("{}", d.get<double>());
    default:
      return 0;
  }
}

/// What `stats()`'s `operatorStats` shows of one operator. Time is measured on one event in
/// `timing_sample` (a clock read per stage of that event), and scaled to all of them.
struct operator_counters {
  std::string name;
  std::uint64_t input = 0, output = 0;
  std::chrono::nanoseconds sampled_time{0};
  std::uint64_t sampled_input = 0;  ///< documents of the timed events
  [[nodiscard]] double execution_millis() const {
    if (sampled_input == 0) return 0.0;
    return std::chrono::duration<double, std::milli>(sampled_time).count() *
           static_cast<double>(input) / static_cast<double>(sampled_input);
  }
};
/// One event in this many has its stages timed (a power of two).
inline constexpr std::uint64_t timing_sample = 32;

/// Measures the time of a block when `on` (one event in `timing_sample`).
class sampled_timer {
 public:
  sampled_timer(bool on, operator_counters& c, std::size_t documents) : c_(on ? &c : nullptr) {
    if (c_) {
      c_->sampled_input += documents;
      start_ = std::chrono::steady_clock::now();
    }
  }
  ~sampled_timer() {
    if (c_) c_->sampled_time += std::chrono::steady_clock::now() - start_;
  }
  sampled_timer(const sampled_timer&) = delete;
  sampled_timer& operator=(const sampled_timer&) = delete;

 private:
  operator_counters* c_;
  std::chrono::steady_clock::time_point start_{};
};
/// An event's document as DLQ records show it.
inline const document& as_document(const document& d) {
  return d;
}
#if defined(REEL_JSON_VALUE_EVAL)
inline document as_document(const bson::value& d) {
  return bson::to_nlohmann(d);
}
#endif
}  // namespace detail

#if defined(REEL_JSON_VALUE_EVAL)
using window_runtime_type = value_window_runtime;  // events enter the window as values
#else
using window_runtime_type = window_runtime;
#endif

class stream_processor::impl {
 public:
  impl(compiled_pipeline pipeline, const connection_registry& connections,
       stream_processor_options options)
      : pipeline_(std::move(pipeline)), options_(std::move(options)), clock_(options_.clock) {
    set_up_enrichment();
    if (pipeline_.source.documents) {
      source_ =
          std::make_unique<memory_source>(pipeline_.source.documents->get<std::vector<document>>());
    } else if (pipeline_.source.connection_name) {
      source_ = connections.make_source(*pipeline_.source.connection_name, pipeline_.source.spec,
                                        "/0/$source/connectionName");
    }
    if (source_) source_->limit_message_bytes(max_message_bytes());
    source_type_ = source_ ? source_->type() : "memory";
    if (pipeline_.sink) {
      const std::string where = pipeline_.sink->where +
                                (pipeline_.sink->stage == "$merge" ? "/into" : "") +
                                "/connectionName";
      sink_ = connections.make_sink(pipeline_.sink->connection_name, pipeline_.sink->spec, where);
    }
    if (options_.dlq) {
      const document& d = *options_.dlq;
      if (!d.is_object() || !d.contains("connectionName") || !d["connectionName"].is_string()) {
        throw_error("reel.options.invalid", "/dlq", "dlq must be {connectionName, db, coll}");
      }
      dlq_ =
          connections.make_sink(d["connectionName"].get<std::string>(), d, "/dlq/connectionName");
    }
    // Buffering sinks report documents they reject after write() returned here.
    if (sink_) {
      sink_->set_rejection_handler([this](const document& doc, const std::string& reason) {
        std::lock_guard lock(mutex_);
        sink_rejected(doc, reason);
      });
    }
    if (dlq_) {
      dlq_->set_rejection_handler([this](const document&, const std::string& reason) {
        std::lock_guard lock(mutex_);
        dlq_write_failed(reason);
      });
    }
    event_meta_ = {{"source", {{"type", source_type_}}}};
    if (pipeline_.window) {
      // The window's $group keys and session keys see the window bounds as placeholders, filled
      // in at close; stages outside the window see no window metadata.
      window_meta_ = {
          {"source", event_meta_["source"]},
          {"window",
           {{"start", detail::window_start_marker()}, {"end", detail::window_end_marker()}}}};
      if (pipeline_.window->kind == window_kind::session) {
        window_meta_["window"]["partition"] = detail::window_partition_marker();
      }
      make_window_ = [this] {
#if defined(REEL_JSON_VALUE_EVAL)
        // Events enter as values and the window keeps owned values; its results become nlohmann
        // documents once each, for the stages after the window and the sink.
        return make_value_window_runtime(
            pipeline_.window, &window_meta_, pipeline_.source.partition_idle_timeout,
            [this](const window_bounds& b, const bson::value& partition,
                   std::span<const bson::value> results) {
              std::vector<document> docs;
              docs.reserve(results.size());
              for (const bson::value& d : results)
                docs.push_back(bson::to_nlohmann(d));
              on_window_output(b, bson::to_nlohmann(partition), std::move(docs));
            },
            [this](std::string_view op, const std::string& reason, const bson::value& doc) {
              window_error(op, reason, bson::to_nlohmann(doc));
            },
            state_budget_);
#else
        return make_window_runtime(
            pipeline_.window, &window_meta_, pipeline_.source.partition_idle_timeout,
            [this](const window_bounds& b, const document& partition,
                   std::vector<document>&& docs) {
              on_window_output(b, partition, std::move(docs));
            },
            [this](std::string_view op, const std::string& reason, const document& doc) {
              window_error(op, reason, doc);
            },
            state_budget_);
#endif
      };
      state_budget_->limit = options_.max_state_bytes;
      window_ = make_window_();
      if (auto fields = detail::projected_input_fields(pipeline_)) {
#if defined(REEL_JSON_VALUE_EVAL)
        projected_fields_ = std::move(*fields);
        if (std::find(projected_fields_.begin(), projected_fields_.end(),
                      pipeline_.source.ts_field_name) == projected_fields_.end()) {
          projected_fields_.push_back(pipeline_.source.ts_field_name);
        }
#else
        projected_reader_.emplace(std::move(*fields));
#endif
      }
      needs_now_ =
          window_->needs_processing_time() || pipeline_.source.partition_idle_timeout.has_value();
      if (options_.partitioned_windows) {
        window_.reset();  // one per partition, made when the partition appears
      } else if (source_) {
        const timestamp now = clock_->now();
        for (const std::string& p : source_->partitions())
          window_->tracker().add_partition(p, now);
      }
    }
    resume_or_start();
    if (source_) publish_source_state();
    snapshot_ = collect_stats();
  }

  ~impl() {
    stop();
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  [[nodiscard]] const std::string& name() const noexcept {
    return options_.name;
  }
  void on_output(callback f) {
    outputs_.push_back(std::move(f));
  }
  void on_dead_letter(callback f) {
    dead_letters_.push_back(std::move(f));
  }

  /// Pushes one document from `partition`. `record_time` is the source's own timestamp, used as
  /// event time when the pipeline has no `timeField`.
  void push(document doc, partition_id partition = 0,
            std::optional<timestamp> record_time = std::nullopt) {
    std::lock_guard lock(mutex_);
    source_message m;
    m.document = std::move(doc);
    m.partition = partition;
    m.record_time = record_time;
    ingest(std::move(m));
    release_ready();
    wait_for_room();
  }
  /// Pushes one message (payload bytes are decoded as relaxed or canonical Extended JSON;
  /// undecodable ones become DLQ records that keep the bytes and the position). When the pipeline
  /// provably reads only some top-level fields, only those are built
  /// (`detail/projected_input.hpp`); results and DLQ records are the same.
  void push(source_message message) {
    std::lock_guard lock(mutex_);
    ingest(std::move(message));
    release_ready();
    wait_for_room();
  }

  /// Processing time moved to `now`: partition idleness, idle timeouts, processing-time windows.
  void advance(timestamp now) {
    std::lock_guard lock(mutex_);
    release_ready();
    // Documents in flight would have reached the windows already had their calls been made one
    // at a time: processing time waits for them (the source is not idle while they are).
    if (!enrichment_busy()) for_each_window([&](window_runtime_type& w) { w.advance(now); });
    if (sink_) sink_->on_time_passed();
    if (dlq_) dlq_->on_time_passed();
  }
  void advance() {
    advance(clock_->now());
  }

  /// End of input: every open window closes; the sink is flushed.
  void flush() {
    std::lock_guard lock(mutex_);
    drain_enrichment();
    for_each_window([&](window_runtime_type& w) { w.flush(); });
    if (sink_) sink_->flush();
    if (dlq_) dlq_->flush();
    commit_released(max_timestamp);  // every window closed: nothing is held
  }

  /// Reads the `$source` until it ends (then flushes) or until `limit` outputs were produced.
  /// Returns the number of outputs produced by this call.
  std::size_t process(std::size_t limit = SIZE_MAX) {
    if (!source_)
      throw_error("reel.processor.no_source", "", "the pipeline has no $source to read from");
    const std::uint64_t before = outputs_count_;
    std::vector<source_message> batch;
    while (outputs_count_ - before < limit) {
      batch.clear();
      wait_for_room();
      // Messages polled but not pushed when a previous call reached its limit come first.
      const poll_status status =
          pending_.empty() ? poll_source(batch, poll_room()) : poll_status::ready;
      if (!pending_.empty()) batch.swap(pending_);
      const std::uint64_t batch_outputs_before = outputs_count_;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        push_polled(std::move(batch[i]));
        if (outputs_count_ - before >= limit) {
          pending_.assign(
              std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(i) + 1),
              std::make_move_iterator(batch.end()));
          break;
        }
      }
      if (status == poll_status::end_of_input) flush();  // its outputs are the batch's
      record_batch_latency(batch_outputs_before);
      if (status == poll_status::end_of_input) {
        if (options_.checkpoint.store) save_checkpoint();
        break;
      }
      if (status == poll_status::idle) advance();
      maybe_commit();
      maybe_checkpoint();
    }
    return static_cast<std::size_t>(outputs_count_ - before);
  }

  /// One round of what `start()` runs on its thread: reads one batch from the `$source`, pushes
  /// it, applies processing time (`advance()`), commits what the commit interval allows; at the
  /// end of the source, flushes. Returns `idle` when nothing was read. For hosts that run their
  /// own loop (and tests: `while (sp.stats()["inputMessageCount"] < n) sp.step();`).
  poll_status step() {
    if (!source_)
      throw_error("reel.processor.no_source", "", "the pipeline has no $source to read from");
    std::vector<source_message>& batch = step_batch_;
    batch.clear();
    {
      std::lock_guard lock(mutex_);
      release_ready();
    }
    // Backpressure: while an enrichment stage has its fill of documents in flight, the source
    // is not read.
    const std::size_t room = poll_room();
    poll_status status = !pending_.empty() ? poll_status::ready
                         : room == 0       ? poll_status::idle
                                           : poll_source(batch, room);
    if (!pending_.empty()) batch.swap(pending_);
    const std::uint64_t outputs_before = outputs_count_;
    for (auto& m : batch)
      push_polled(std::move(m));
    advance();
    maybe_commit();
    if (status == poll_status::end_of_input) {
      flush();
      record_batch_latency(outputs_before);
      if (options_.checkpoint.store) save_checkpoint();
    } else {
      record_batch_latency(outputs_before);
      if (batch.empty()) status = poll_status::idle;
    }
    if (status != poll_status::end_of_input) maybe_checkpoint();
    return status;
  }

  /// Runs the source on a thread until `stop()` or its end.
  void start() {
    if (!source_)
      throw_error("reel.processor.no_source", "", "the pipeline has no $source to read from");
    if (thread_.joinable())
      throw_error("reel.processor.state", "", "the processor is already running");
    stop_requested_ = false;
    running_ = true;
    thread_ = std::thread([this] { run_loop(); });
  }
  /// Stops the thread after the current batch, flushing sinks (open windows stay open: checkpoint
  /// them or call `flush()` to close them).
  void stop() {
    request_stop();
    if (thread_.joinable()) thread_.join();
    running_ = false;
  }
  /// Asks the thread to stop after its current batch and returns at once.
  void request_stop() {
    {
      std::lock_guard lock(wake_mutex_);
      stop_requested_ = true;
    }
    wake_.notify_all();
  }
  /// Waits at most `timeout` for the thread to end (after `request_stop()` or the end of the
  /// source); false while a sink still blocks it, e.g. on a server that does not answer. A host
  /// that gives up on it must not destroy the processor (the destructor joins the thread).
  [[nodiscard]] bool wait_stopped(std::chrono::milliseconds timeout) {
    std::unique_lock lock(wake_mutex_);
    return wake_.wait_for(lock, timeout, [this] { return !running_.load(); });
  }
  [[nodiscard]] bool running() const noexcept {
    return running_;
  }
  /// The error that stopped the thread, if any.
  [[nodiscard]] std::optional<std::string> failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }

  /// Statistics with Atlas's field names, plus Reel's extras. Never waits on a sink: while the
  /// processing thread holds the processor (a sink waiting on its server, a long window close),
  /// the figures of the last snapshot are returned, with `"statsStale": true`.
  /// `verbose` adds `operatorStats` and `latency`.
  [[nodiscard]] document stats(bool verbose) const {
    const auto brief = [verbose](document s) {
      if (!verbose) {
        s.erase("operatorStats");
        s.erase("latency");
      }
      return s;
    };
    std::unique_lock lock(mutex_, std::chrono::milliseconds(100));
    if (!lock.owns_lock()) {
      std::lock_guard snapshot_lock(snapshot_mutex_);
      document s = snapshot_;
      s["status"] = running_ ? "running" : "created";
      s["statsStale"] = true;
      return brief(std::move(s));
    }
    document s = collect_stats();
    std::lock_guard snapshot_lock(snapshot_mutex_);
    snapshot_ = s;
    return brief(std::move(s));
  }

 private:
  /// stats() with the processor locked.
  [[nodiscard]] document collect_stats() const {
    document s = {{"name", options_.name},
                  {"status", running_ ? "running" : "created"},
                  {"scaleFactor", 1},
                  {"inputMessageCount", input_count_},
                  {"inputMessageSize", input_bytes_},
                  {"outputMessageCount", outputs_count_},
                  {"outputMessageSize", output_bytes_},
                  {"dlqMessageCount", dlq_count_},
                  {"dlqMessageSize", dlq_bytes_},
                  {"filteredMessageCount", filtered_count_},
                  {"lateMessageCount", late_count_},
                  {"redeliveredSkippedCount", redelivered_count_},
                  {"dlqWriteFailureCount", dlq_write_failures_},
                  {"handedOverWindowCount", handed_over_windows_},
                  {"stateLimitMessageCount", state_limit_count_},
                  {"stateSize", 0},
                  {"peakStateSize", state_budget_->peak},
                  {"stateSizeLimit", options_.max_state_bytes},
                  {"openWindowCount", 0},
                  {"openGroupCount", 0},
                  {"bufferedDocumentCount", 0}};
    if (options_.partitioned_windows && pipeline_.window) {
      std::size_t state = 0, open = 0, groups = 0, buffered = 0;
      std::optional<timestamp> lowest;
      document parts = document::array();
      for (const auto& w : partition_windows_) {
        if (!w) continue;
        state += w->state_bytes();
        open += w->open_windows();
        groups += w->open_groups();
        buffered += w->buffered_documents();
        const auto& tracker = w->tracker();
        if (tracker.has_watermark())
          lowest = std::min(lowest.value_or(max_timestamp), tracker.watermark());
        for (const auto& p : tracker.partitions()) {
          parts.push_back({{"partition", p.name},
                           {"watermark", tracker.has_watermark() ? make_date(tracker.watermark())
                                                                 : document(nullptr)},
                           {"isIdle", p.idle},
                           {"messageCount", p.events},
                           {"openWindowCount", w->open_windows()}});
        }
      }
      s["stateSize"] = state;
      s["openWindowCount"] = open;
      s["openGroupCount"] = groups;
      s["bufferedDocumentCount"] = buffered;
      s["watermark"] = lowest ? make_date(*lowest) : document(nullptr);
      s["partitions"] = std::move(parts);
    }
    if (window_) {
      s["stateSize"] = window_->state_bytes();
      s["openWindowCount"] = window_->open_windows();
      s["openGroupCount"] = window_->open_groups();
      s["bufferedDocumentCount"] = window_->buffered_documents();
      const auto& tracker = window_->tracker();
      s["watermark"] = tracker.has_watermark() ? make_date(tracker.watermark()) : document(nullptr);
      document parts = document::array();
      for (const auto& p : tracker.partitions()) {
        parts.push_back({{"partition", p.name},
                         {"watermark", p.watermark == min_timestamp ? document(nullptr)
                                                                    : make_date(p.watermark)},
                         {"isIdle", p.idle},
                         {"messageCount", p.events}});
      }
      s["partitions"] = std::move(parts);
      if (auto holder = tracker.holding_back(); holder && tracker.partitions().size() > 1) {
        s["watermarkHeldBy"] = tracker.partitions()[*holder].name;
      }
    }
    if (sink_) {
      if (document m = sink_->metrics(); !m.is_null()) s["sinkMetrics"] = std::move(m);
    }
    if (!queues_.empty()) s["enrichment"] = enrichment_stats();
    if (!last_dlq_failure_.empty()) s["lastDlqWriteFailure"] = last_dlq_failure_;
    if (options_.checkpoint.store) {
      s["checkpointCount"] = checkpoint_count_;
      s["lastCheckpointVersion"] = checkpoint_version_;
    }
    if (source_) {
      s["sourcePositions"] = source_positions_;
      if (!source_metrics_.is_null()) s["sourceMetrics"] = source_metrics_;
    }
    s["operatorStats"] = operator_stats(s);
    s["latency"] = latency_stats();
    return s;
  }

  /// `operatorStats` (Atlas's verbose stats), in the order documents go through them: the
  /// source, each per-event stage (the window's own included), the window (its `$group`,
  /// `$sort`, ... run in it), the stages after it, the sink. Counted since the processor was
  /// built: a processor resumed from a checkpoint starts them over.
  [[nodiscard]] document operator_stats(const document& totals) const {
    using ms = std::chrono::duration<double, std::milli>;
    const auto dlq_of = [this](const std::string& op) -> std::uint64_t {
      auto it = dlq_by_operator_.find(op);
      return it == dlq_by_operator_.end() ? 0 : it->second;
    };
    const auto entry = [&](const detail::operator_counters& c) {
      return document{{"name", c.name},
                      {"inputMessageCount", c.input},
                      {"outputMessageCount", c.output},
                      {"dlqMessageCount", dlq_of(c.name)},
                      {"executionTimeMillis", c.execution_millis()}};
    };
    document out = document::array();
    out.push_back({{"name", "SourceOperator"},
                   {"inputMessageCount", source_read_},
                   {"outputMessageCount", source_passed_},
                   {"dlqMessageCount", dlq_of("SourceOperator")},
                   {"executionTimeMillis", ms(source_poll_time_).count()}});
    const std::size_t before_window = pipeline_.before_window.size();
    for (std::size_t i = 0; i < before_window; ++i)
      out.push_back(entry(stage_counters_[i]));
    if (pipeline_.window) {
      // The window's own per-event stages run before it places the document.
      for (std::size_t i = before_window; i < stage_counters_.size(); ++i)
        out.push_back(entry(stage_counters_[i]));
      document w = entry(window_counters_);
      w["stateSize"] = totals["stateSize"];
      w["maxMemoryUsage"] = state_budget_->peak;
      w["openWindowCount"] = totals["openWindowCount"];
      out.push_back(std::move(w));
      for (const auto& c : after_window_counters_)
        out.push_back(entry(c));
    }
    if (sink_) {
      document sink = entry(sink_counters_);
      sink["outputMessageCount"] = sink_counters_.input - dlq_of(sink_counters_.name);
      out.push_back(std::move(sink));
    }
    return out;
  }
  /// `latency` (Atlas's verbose stats): from the read of a batch from the `$source` to the return
  /// of the sink writes of its outputs, once per output, since the processor was built.
  [[nodiscard]] document latency_stats() const {
    return {{"p50", latency_.quantile_micros(0.5)},
            {"p90", latency_.quantile_micros(0.9)},
            {"p99", latency_.quantile_micros(0.99)},
            {"max", latency_.max_micros()},
            {"unit", "microseconds"},
            {"count", latency_.count()},
            {"sum", latency_.sum_micros()}};
  }
  /// Refreshes the snapshot stats() falls back to, at most every 250 ms (processing thread).
  void refresh_snapshot() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_snapshot_ < std::chrono::milliseconds(250)) return;
    last_snapshot_ = now;
    std::lock_guard lock(mutex_);
    document s = collect_stats();
    std::lock_guard snapshot_lock(snapshot_mutex_);
    snapshot_ = std::move(s);
  }

 public:
  /// Why the window containing `t` (for sessions: of `partition`) has or has not closed.
  [[nodiscard]] document explain(timestamp t, const document& partition = nullptr) const {
    std::lock_guard lock(mutex_);
    if (!pipeline_.window)
      return {{"window", nullptr}, {"reason", "the pipeline has no window stage"}};
#if defined(REEL_JSON_VALUE_EVAL)
    bson::arena partition_memory;
    const bson::value partition_key = bson::from_nlohmann(partition, partition_memory);
#else
    const document& partition_key = partition;
#endif
    // Per-partition windows: the partition whose window at `t` holds the most events.
    const window_runtime_type* runtime = window_.get();
    std::optional<window_explanation> w;
    for (const auto& candidate : partition_windows_) {
      if (!candidate) continue;
      auto e = candidate->explain(partition_key, t);
      if (e && (!w || e->events > w->events)) {
        w = e;
        runtime = candidate.get();
      }
    }
    if (window_) w = window_->explain(partition_key, t);
    if (!w || runtime == nullptr)
      return {{"window", nullptr}, {"reason", "no open session contains that time"}};
    const auto& tracker = runtime->tracker();
    const duration lateness = pipeline_.window->policy.time_boundary == boundary::processing_time
                                  ? duration{0}
                                  : pipeline_.window->policy.allowed_lateness;
    document out = {
        {"window", {{"start", make_date(w->bounds.start)}, {"end", make_date(w->bounds.end)}}},
        {"open", w->open},
        {"events", w->events},
        {"groups", w->groups},
        {"watermark", tracker.has_watermark() ? make_date(tracker.watermark()) : document(nullptr)},
        {"allowedLatenessMs", lateness.count()},
        {"closesAtWatermark", make_date(w->bounds.end + lateness)}};
    if (auto holder = tracker.holding_back(); holder && tracker.partitions().size() > 1) {
      out["watermarkHeldBy"] = tracker.partitions()[*holder].name;
    }
    if (!window_) out["partition"] = tracker.partitions().front().name;
    if (auto idle = runtime->idle_close_time(w->bounds.end)) out["idleCloseAt"] = make_date(*idle);
    return out;
  }

  /// The checkpoint the processor resumed from when it was built, if any.
  [[nodiscard]] const std::optional<resume_info>& resumed_from() const noexcept {
    return resumed_from_;
  }
  /// Takes a checkpoint into the store now (the sinks are flushed and synced first). Throws what
  /// the store throws (`reel.checkpoint.write_failed`): processing must stop then.
  void save_checkpoint() {
    std::lock_guard lock(mutex_);
    drain_enrichment();  // a checkpoint never holds a call in flight
    if (!options_.checkpoint.store) {
      throw_error("reel.processor.no_checkpoint_store", "",
                  "the processor has no checkpoint store");
    }
    nlohmann::json j = state_json();
    j["fingerprint"] = options_.checkpoint.fingerprint;
    const std::uint64_t version = checkpoint_version_ + 1;
    const document positions = source_ ? source_positions_ : document(nullptr);
    // Transactional sinks add the positions to their transaction here, and commit it once the
    // checkpoint is stored.
    if (sink_) {
      sink_->prepare_checkpoint(version, positions);
      j["sink"] = sink_->commit_point();
    }
    if (dlq_) {
      dlq_->prepare_checkpoint(version, positions);
      j["dlq"] = dlq_->commit_point();
    }
    const auto bytes = nlohmann::json::to_msgpack(j);
    options_.checkpoint.store->put(
        version, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    checkpoint_version_ = version;
    ++checkpoint_count_;
    last_checkpoint_ = clock_->now();
    if (sink_) sink_->checkpoint_stored();
    if (dlq_) dlq_->checkpoint_stored();
  }

  /// Window state, watermarks, counters and source positions as versioned bytes.
  [[nodiscard]] std::string checkpoint() {
    std::lock_guard lock(mutex_);
    drain_enrichment();  // a checkpoint never holds a call in flight
    const auto bytes = nlohmann::json::to_msgpack(state_json());
    return std::string(bytes.begin(), bytes.end());
  }
  void restore(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    load_state(reel::detail::decode_checkpoint(bytes));
  }

 private:
  /// With a store: restores the newest intact checkpoint, or takes the first one. Without:
  /// starts the sinks.
  void resume_or_start() {
    checkpoint_store* store = options_.checkpoint.store;
    const sink_context context{options_.name, source_.get(), store != nullptr};
    if (sink_) sink_->attach(context);
    if (dlq_) dlq_->attach(context);
    if (!store) {
      if (sink_) sink_->start(nullptr);
      if (dlq_) dlq_->start(nullptr);
      return;
    }
    if (options_.checkpoint.fingerprint.empty()) {
      throw_error("reel.options.invalid", "/checkpoint/fingerprint",
                  "a processor built from a compiled pipeline needs a checkpoint fingerprint");
    }
    std::optional<stored_checkpoint> latest;
    if (options_.checkpoint.fresh) {
      const std::vector<std::uint64_t> versions = store->list();
      if (!versions.empty()) checkpoint_version_ = versions.back();
    } else {
      latest = store->latest();
    }
    if (!latest) {
      if (sink_) sink_->start(nullptr);
      if (dlq_) dlq_->start(nullptr);
      save_checkpoint();  // a restart before the next one must find the sinks' starting points
      return;
    }
    nlohmann::json j = checked_checkpoint(latest->version, latest->bytes);
    const std::uint64_t newest = latest->version;
    if (!output_committed(j)) {
      // The process died between storing this checkpoint and committing its sinks' transaction
      // (the transaction was aborted when the sink started): its output is not there, so the
      // state to resume from is the previous checkpoint's, and this one must never be used.
      std::vector<std::string> skipped = std::move(latest->skipped);
      latest = previous_checkpoint(newest);
      j = checked_checkpoint(latest->version, latest->bytes);
      skipped.push_back(fmt::format(
          "checkpoint {}: its output transaction did not commit; resuming from checkpoint {}",
          newest, latest->version));
      latest->skipped = std::move(skipped);
      store->remove(newest);
    }
    load_state(j);
    if (sink_) sink_->start(document(j.value("sink", nlohmann::json())));
    if (dlq_) dlq_->start(document(j.value("dlq", nlohmann::json())));
    checkpoint_version_ = newest;  // the next one supersedes every checkpoint in the store
    last_checkpoint_ = clock_->now();
    resumed_from_ = resume_info{latest->version,
                                j.contains("source") ? document(j["source"]) : document(nullptr),
                                std::move(latest->skipped)};
  }

  /// Checkpoint `version` decoded; throws `reel.checkpoint.other_pipeline` when another pipeline
  /// took it.
  nlohmann::json checked_checkpoint(std::uint64_t version, std::string_view bytes) const {
    nlohmann::json j = reel::detail::decode_checkpoint(bytes);
    const std::string theirs = j.is_object() ? j.value("fingerprint", "") : "";
    if (theirs != options_.checkpoint.fingerprint) {
      throw_error("reel.checkpoint.other_pipeline", options_.checkpoint.store->location(),
                  fmt::format("checkpoint {} was taken by another pipeline (fingerprint '{}', this "
                              "pipeline '{}'); start fresh to discard it (reel run --fresh, or "
                              "checkpoint_options::fresh)",
                              version, theirs, options_.checkpoint.fingerprint));
    }
    return j;
  }

  /// Whether the sinks committed the output recorded by checkpoint `j`.
  bool output_committed(const nlohmann::json& j) {
    if (sink_ && !sink_->output_committed(document(j.value("sink", nlohmann::json())))) {
      return false;
    }
    return !dlq_ || dlq_->output_committed(document(j.value("dlq", nlohmann::json())));
  }

  /// The newest intact checkpoint older than `version` (its output was committed: a checkpoint
  /// is only taken after the previous one's transaction committed). Throws
  /// `reel.checkpoint.uncommitted` when the store has none.
  stored_checkpoint previous_checkpoint(std::uint64_t version) const {
    checkpoint_store* store = options_.checkpoint.store;
    std::vector<std::uint64_t> versions = store->list();
    std::vector<std::string> skipped;
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      if (*it >= version) continue;
      try {
        if (auto bytes = store->get(*it)) return stored_checkpoint{*it, std::move(*bytes), {}};
      } catch (const reel::error& e) {
        if (e.id() != "reel.checkpoint.corrupt") throw;
        skipped.push_back(e.what());
      }
    }
    throw_error("reel.checkpoint.uncommitted", store->location(),
                fmt::format("the output transaction of checkpoint {} did not commit and the store "
                            "holds no intact earlier checkpoint to resume from (keep at least 2: "
                            "\"keepLast\": 2){}",
                            version, skipped.empty() ? "" : "; damaged: " + skipped.front()));
  }

  /// A checkpoint every `checkpoint.interval`, between batches (nothing polled and not pushed).
  void maybe_checkpoint() {
    std::lock_guard lock(mutex_);
    if (!options_.checkpoint.store || !pending_.empty()) return;
    if (clock_->now() - last_checkpoint_ < options_.checkpoint.interval) return;
    save_checkpoint();
  }

  nlohmann::json state_json() const {
    nlohmann::json j = {{"format", "reel.json.checkpoint"},
                        {"version", 1},
                        {"seq", seq_},
                        {"counters",
                         {input_count_, input_bytes_, outputs_count_, output_bytes_, dlq_count_,
                          dlq_bytes_, filtered_count_, late_count_}}};
    if (window_) j["window"] = window_->save();
    if (options_.partitioned_windows) {
      nlohmann::json windows = restored_windows_;  // of partitions not seen since a restore
      for (const auto& w : partition_windows_)
        if (w) windows[w->tracker().partitions().front().name] = w->save();
      j["partitionWindows"] = std::move(windows);
    }
    if (source_) j["source"] = source_positions_;
    return j;
  }
  void load_state(const nlohmann::json& j) {
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != "reel.json.checkpoint" ||
        j.value("version", 0) != 1) {
      throw_error("reel.checkpoint.invalid", "",
                  "not a reel stream processor checkpoint of version 1");
    }
    try {
      seq_ = j.at("seq").get<std::uint64_t>();
      const auto& c = j.at("counters");
      input_count_ = c.at(0);
      input_bytes_ = c.at(1);
      outputs_count_ = c.at(2);
      output_bytes_ = c.at(3);
      dlq_count_ = c.at(4);
      dlq_bytes_ = c.at(5);
      filtered_count_ = c.at(6);
      late_count_ = c.at(7);
      if (window_) window_->load(j.at("window"));
      if (options_.partitioned_windows) {
        restored_windows_ = j.at("partitionWindows");
        for (auto& w : partition_windows_) {
          if (!w) continue;
          const std::string& name = w->tracker().partitions().front().name;
          if (auto it = restored_windows_.find(name); it != restored_windows_.end()) {
            w->load(*it);
            restored_windows_.erase(it);
          }
        }
      }
      if (source_ && j.contains("source")) {
        source_->seek(document(j.at("source")));
        publish_source_state();
      }
    } catch (const nlohmann::json::exception& e) {
      throw_error("reel.checkpoint.invalid", "", fmt::format("malformed checkpoint: {}", e.what()));
    }
  }

  void run_loop() {
    try {
      while (true) {
        {
          std::lock_guard lock(wake_mutex_);
          if (stop_requested_) break;
        }
        const std::uint64_t completions = signal_->count();
        const poll_status status = step();
        refresh_snapshot();
        if (status == poll_status::end_of_input) break;
        if (status == poll_status::idle && enrichment_busy()) {
          signal_->wait_past(completions, std::chrono::milliseconds(20));
        } else if (status == poll_status::idle) {
          std::unique_lock lock(wake_mutex_);
          wake_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stop_requested_; });
        }
      }
      std::lock_guard lock(mutex_);
      if (sink_) sink_->flush();
      if (dlq_) dlq_->flush();
      commit_released();
      if (options_.checkpoint.store && pending_.empty()) save_checkpoint();
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      failure_ = e.what();
    }
    {
      std::lock_guard lock(wake_mutex_);
      running_ = false;
    }
    wake_.notify_all();
  }

  void ingest(source_message&& m) {
    ++input_count_;
    ++source_read_;
    timing_ = (source_read_ & (detail::timing_sample - 1)) == 1;
    projected_event_ = false;
    event_time_.reset();
    if (source_) released_.delivered(m.partition);
    if (m.error.empty() && !m.document && too_large(m.payload.size())) {
      m.error = message_too_large_reason(m.payload.size(), max_message_bytes());
      m.payload.resize(oversized_payload_prefix_bytes);
    }
    if (!m.error.empty()) {
      input_bytes_ += m.payload.size();
      reject_payload(m, m.error);
      return;
    }
    const timestamp now =
        needs_now_ || !pipeline_.source.time_field ? clock_->now() : min_timestamp;
#if defined(REEL_JSON_VALUE_EVAL)
    ingest_value(std::move(m), now);
#else
    ingest_document(std::move(m), now);
#endif
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The per-event path on values (docs/document-model.md §6, step 5): the payload is parsed
  /// into `event_memory_` (a pushed document is converted into it), `timeField` evaluated and
  /// `_ts` set on the value, the per-event stages up to the first enrichment stage run with
  /// `apply_value`; the results become nlohmann documents once, for the window, the enrichment
  /// queue or the sink. DLQ records are built from the value (a rare path).
  void ingest_value(source_message&& m, timestamp now) {
    event_memory_.reset();
    bson::value doc;
    if (m.document) {
      try {
        doc = bson::from_nlohmann(*m.document, event_memory_);
      } catch (const reel::error& e) {
        // Deeper than values nest (200 levels) or a malformed wrapper. A window holds values: the
        // document goes to the DLQ as such a payload does. Without a window the nlohmann path
        // takes it as it always did.
        if (pipeline_.window) {
          input_bytes_ += detail::serialized_size(*m.document);
          reject_event("SourceOperator", e.message(), *m.document, m);
          return;
        }
        ingest_document(std::move(m), now);
        return;
      }
      if (!accept_document_size(*m.document, m)) return;
    } else {
      input_bytes_ += m.payload.size();
      try {
        doc = payload_reader_.parse(m.payload, event_memory_);
      } catch (const reel::error& e) {
        reject_payload(m, e.message());
        return;
      }
    }
    if (!doc.is_document()) {
      reject_payload(m, "Input message is not a JSON object");
      return;
    }
    set_source_meta(m);

    const auto shown = [&doc] { return bson::to_nlohmann(doc); };
    timestamp t;
    if (window_ && pipeline_.window->policy.time_boundary == boundary::processing_time) {
      t = now;
    } else if (pipeline_.source.time_field) {
      bson::value v;
      try {
        v = pipeline_.source.time_field->evaluate_value(
            doc, eval_context{&event_meta_, nullptr, clock_}, event_memory_);
      } catch (const reel::error& e) {
        reject_event("SourceOperator", "Failed to evaluate timeField: " + dlq_reason(e), shown(),
                     m);
        return;
      }
      if (v.type() != bson::type::date) {
        reject_event("SourceOperator",
                     "timeField must evaluate to a date, but it evaluated to " +
                         std::string(bson::type_name(v.type())),
                     shown(), m);
        return;
      }
      t = from_millis(v.as_date());
    } else {
      t = untimed_event_time(m, now);
    }
    doc =
        detail::with_path_set(detail::stage_builder(event_memory_), doc,
                              pipeline_.source.ts_field_name, {}, bson::value::date(to_millis(t)));
    event_time_ = t;
    if (!admit_event(t, m, shown)) return;

    ++source_passed_;
    std::vector<bson::value>& values = value_batch_;
    values.clear();
    values.push_back(doc);
    const std::span<const std::shared_ptr<const document_stage>> stages(per_event_stages_);
    const eval_context ctx{&event_meta_, nullptr, clock_};
    if (!run_stages_on(
            stages.first(value_stages_), values, value_out_, m, 0,
            [&](const document_stage& stage, const bson::value& d, std::vector<bson::value>& out) {
              stage.apply_value(d, ctx, event_memory_, out);
            },
            [](const bson::value& d) { return bson::to_nlohmann(d); })) {
      return;
    }
    if (pipeline_.window && value_stages_ == per_event_stages_.size()) {
      place_in_window(values, m, t, now);
      return;
    }
    // Only the fields the pipeline reads become nlohmann when that is all it needs of a message
    // (a DLQ record parses the bytes again: `whole_document`).
    projected_event_ = !projected_fields_.empty() && !m.document;
    std::vector<document>& docs = batch_;
    docs.clear();
    for (const bson::value& d : values)
      docs.push_back(projected_event_ ? projected_document(d) : bson::to_nlohmann(d));
    if (value_stages_ < per_event_stages_.size()) {
      detail::pending_event e{std::move(m), t, now, std::move(docs), {}};
      continue_event(std::move(e), value_stages_);
      return;
    }
    place(docs, m, t, now);
  }

  /// `d` as nlohmann with only the top-level fields of `projected_fields_`, in `d`'s order.
  document projected_document(const bson::value& d) const {
    document out = document::object();
    auto& members = out.get_ref<document::object_t&>();
    for (const bson::field& f : d.fields()) {
      if (std::find(projected_fields_.begin(), projected_fields_.end(), f.name()) !=
          projected_fields_.end()) {
        members.emplace_back(std::string(f.name()), bson::to_nlohmann(f.val));
      }
    }
    return out;
  }
#endif

  /// The per-event path on nlohmann documents (builds without `reel::bson`, and pushed documents
  /// that are no values).
  void ingest_document(source_message&& m, timestamp now) {
    document doc;
    if (m.document) {
      doc = normalize_ejson(std::move(*m.document));
      if (!accept_document_size(doc, m)) return;
    } else {
      input_bytes_ += m.payload.size();
      if (projected_reader_ && projected_reader_->read(m.payload, doc)) {
        projected_event_ = true;  // only the fields the pipeline reads
      } else {
        try {
          doc = parse_ejson_line(m.payload);
        } catch (const reel::error& e) {
          reject_payload(m, e.message());
          return;
        }
        if (!doc.is_object()) {
          reject_payload(m, "Input message is not a JSON object");
          return;
        }
      }
    }
    set_source_meta(m);

    timestamp t;
    document ts_value;  // the time as a date, when timeField already gave it as make_date(t) does
    if (window_ && pipeline_.window->policy.time_boundary == boundary::processing_time) {
      t = now;
    } else if (pipeline_.source.time_field) {
      document v;
      try {
        v = pipeline_.source.time_field->evaluate(doc, eval_context{&event_meta_, nullptr, clock_});
      } catch (const reel::error& e) {
        reject_event("SourceOperator", "Failed to evaluate timeField: " + dlq_reason(e), doc, m);
        return;
      }
      if (auto ms = detail::relaxed_date_millis(v)) {  // the usual result of a date operator
        t = from_millis(*ms);
        ts_value = std::move(v);
      } else if (auto date = as_date(v)) {
        t = *date;
      } else {
        reject_event("SourceOperator",
                     "timeField must evaluate to a date, but it evaluated to " + type_name(v), doc,
                     m);
        return;
      }
    } else {
      t = untimed_event_time(m, now);
    }
    doc[pipeline_.source.ts_field_name] = ts_value.is_null() ? make_date(t) : std::move(ts_value);
    event_time_ = t;
    if (!admit_event(t, m, [&doc] { return doc; })) return;

    ++source_passed_;
    if (!queues_.empty()) {
      detail::pending_event e{std::move(m), t, now, {}, {}};
      e.docs.push_back(std::move(doc));
      continue_event(std::move(e), 0);
      return;
    }
    std::vector<document>& docs = batch_;
    docs.clear();
    docs.push_back(std::move(doc));
    if (!run_stages(per_event_stages_, docs, m, 0)) return;
    place(docs, m, t, now);
  }

  /// The event time of a pipeline without `timeField`: the source's record time, else now.
  timestamp untimed_event_time(const source_message& m, timestamp now) const {
    if (m.record_time) return *m.record_time;
    return now == min_timestamp ? clock_->now() : now;
  }

  /// A message that could not become a document: its DLQ record keeps the bytes.
  void reject_payload(const source_message& m, const std::string& reason) {
    document record = dlq_record("SourceOperator", reason, nullptr, m);
    record["errInfo"]["payload"] = payload_value(m.payload);
    dead_letter(std::move(record));
  }
  /// A DLQ record of the event's document `doc`, as the operator received it.
  void reject_event(const std::string& op, const std::string& reason, const document& doc,
                    const source_message& m) {
    dead_letter(dlq_record(op, reason, &doc, m));
  }

  /// Counts a pushed document's bytes; false (and a DLQ record) when it is too large.
  bool accept_document_size(const document& doc, const source_message& m) {
    const std::size_t size = detail::serialized_size(doc);
    input_bytes_ += size;
    if (!too_large(size)) return true;
    // The document is already in memory: its record says why, and keeps only its size.
    dead_letter(dlq_record("SourceOperator", message_too_large_reason(size, max_message_bytes()),
                           nullptr, m));
    return false;
  }

  /// Whether an event at `t` goes on: false, after a DLQ record of `shown()` (the document as
  /// the source gave it, with its event time), for a time out of range or a late event read
  /// again after a restart (a redelivered one is only counted).
  template <class Shown>
  bool admit_event(timestamp t, const source_message& m, Shown&& shown) {
    if (!is_valid_event_time(t)) [[unlikely]] {
      reject_event("SourceOperator", event_time_out_of_range_reason(t), shown(), m);
      return false;
    }
    if (m.closed_before && pipeline_.window && t < *m.closed_before) {
      // Read again after a restart or a rebalance: its windows were closed by the reader that
      // committed the position this partition resumed from.
      if (m.redelivered) {
        ++redelivered_count_;
      } else {
        ++late_count_;
        const document doc = shown();
        document record = dlq_record(pipeline_.window->operator_name, late_event_reason, &doc, m);
        record["missedWindowStartTimes"] = document::array();
        dead_letter(std::move(record));
      }
      return false;
    }
    return true;
  }

  /// The documents of an event that passed every per-event stage: delivered, or given to the
  /// window (late ones to the DLQ).
  void place(std::vector<document>& docs, const source_message& m, timestamp t, timestamp now) {
    if (!pipeline_.window) {
      for (auto& d : docs)
        deliver(std::move(d), nullptr, m);
      return;
    }
#if defined(REEL_JSON_VALUE_EVAL)
    // Documents that come back from an enrichment stage (or took the nlohmann path): the window
    // takes values.
    window_memory_.reset();
    std::vector<bson::value>& values = window_values_;
    values.clear();
    for (const document& d : docs) {
      try {
        values.push_back(bson::from_nlohmann(d, window_memory_));
      } catch (const reel::error& e) {
        refused_by_window(e, d, m);
      }
    }
    place_in_window(values, m, t, now);
#else
    place_in_window(docs, m, t, now);
#endif
  }

  /// Gives an event's documents (`document`s, or `bson::value`s valid during the call) to its
  /// window; late ones and refused ones to the DLQ.
  template <class Doc>
  void place_in_window(std::vector<Doc>& docs, const source_message& m, timestamp t,
                       timestamp now) {
    window_runtime_type& window = window_of(m.partition, now);
    // With per-partition windows, the partition is the only one of its window's tracker.
    const partition_id local = options_.partitioned_windows ? 0 : m.partition;
    window_counters_.input += docs.size();
    const detail::sampled_timer timer(timing_, window_counters_, docs.size());
    for (const Doc& d : docs) {
      const std::uint64_t seq = seq_++;
      placement where = placement::accepted;
      try {
        where = window.on_event(d, t, local, now, seq);
      } catch (const reel::error& e) {
        refused_by_window(e, detail::as_document(d), m);
        continue;
      }
      if (source_ && where == placement::accepted && m.has_position()) {
        released_.held(
            m.partition, [&m] { return m.position_document(); }, t);
      }
      const missed_windows& missed = window.missed();
      if (where == placement::in_gap) {
        ++filtered_count_;
      } else if (where == placement::late || !missed.empty()) {
        if (where == placement::late) ++late_count_;
        const document doc = detail::as_document(d);
        document record = dlq_record(pipeline_.window->operator_name, late_event_reason, &doc, m);
        document starts = document::array();
        for (timestamp s : missed.starts)
          starts.push_back(make_date(s));
        record["missedWindowStartTimes"] = std::move(starts);
        dead_letter(std::move(record));
      }
    }
  }

  // ---- Enrichment stages: calls in flight, released in input order (reel/json/enrichment.hpp)

  /// The per-event stages in order, and a queue for each asynchronous one.
  void set_up_enrichment() {
    per_event_stages_ = pipeline_.before_window;
    if (pipeline_.window) {
      per_event_stages_.insert(per_event_stages_.end(), pipeline_.window->per_event.begin(),
                               pipeline_.window->per_event.end());
    }
#if defined(REEL_JSON_VALUE_EVAL)
    value_stages_ = per_event_stages_.size();
#endif
    for (const auto& stage : per_event_stages_)
      stage_counters_.push_back({.name = std::string(stage->operator_name())});
    if (pipeline_.window) {
      window_counters_.name = pipeline_.window->operator_name;
      for (const auto& stage : pipeline_.after_window)
        after_window_counters_.push_back({.name = std::string(stage->operator_name())});
    }
    if (pipeline_.sink)
      sink_counters_.name = pipeline_.sink->stage == "$merge" ? "MergeOperator" : "EmitOperator";
    for (std::size_t i = 0; i < per_event_stages_.size(); ++i) {
      if (auto* e = dynamic_cast<const enrichment_stage*>(per_event_stages_[i].get())) {
#if defined(REEL_JSON_VALUE_EVAL)
        if (queues_.empty()) value_stages_ = i;
#endif
        detail::enrichment_queue q;
        q.stage = e;
        q.index = i;
        queues_.push_back(std::move(q));
      }
    }
  }

  /// Runs the per-event stages of `e` from `from` up to the next asynchronous one, whose queue
  /// it joins; past the last, its documents are placed.
  void continue_event(detail::pending_event&& e, std::size_t from) {
    detail::enrichment_queue* queue = nullptr;
    for (auto& q : queues_) {
      if (q.index >= from) {
        queue = &q;
        break;
      }
    }
    const std::size_t to = queue ? queue->index : per_event_stages_.size();
    const std::span<const std::shared_ptr<const document_stage>> stages(per_event_stages_);
    if (!run_stages(stages.subspan(from, to - from), e.docs, e.message, from)) return;
    if (!queue) {
      place(e.docs, e.message, e.time, e.now);
      return;
    }
    queue->documents += e.docs.size();
    queue->events.push_back(std::move(e));
    start_calls(*queue);
  }

  /// Starts calls for the documents of `q`, oldest first, while fewer than `parallelism` run.
  void start_calls(detail::enrichment_queue& q) {
    const std::size_t max = q.stage->max_in_flight();
    if (q.started == q.documents || q.running() >= max) return;
    for (detail::pending_event& e : q.events) {
      if (e.calls.size() == e.docs.size()) continue;
      set_source_meta(e.message);  // what `$meta: "stream.source"` shows to the payload
      const eval_context ctx{&event_meta_, nullptr, clock_};
      while (e.calls.size() < e.docs.size()) {
        if (q.running() >= max) return;
        auto slot = std::make_shared<detail::call_slot>();
        e.calls.push_back(slot);
        ++q.started;
        ++q.calls;
        q.stage->start_call(
            e.docs[e.calls.size() - 1], ctx,
            [slot, signal = signal_, waiting = q.completed_waiting](call_outcome outcome) {
              {
                std::lock_guard lock(slot->mutex);
                slot->outcome = std::move(outcome);
                slot->finished = std::chrono::steady_clock::now();
                // Counted before `done`: a release that sees `done` subtracts it.
                waiting->fetch_add(1, std::memory_order_release);
                slot->done = true;
              }
              signal->notify();
            });
      }
    }
  }

  /// Releases, queue by queue, the events at the front whose calls have all completed: their
  /// documents get their answers (or the DLQ) and go on through the pipeline, in input order.
  /// Throws `reel.enrichment.failed` for `onError: "fail"`.
  void release_ready() {
    for (detail::enrichment_queue& q : queues_) {
      while (q.front_ready()) {
        detail::pending_event e = std::move(q.events.front());
        q.events.pop_front();
        q.documents -= e.docs.size();
        q.started -= e.calls.size();
        q.completed_waiting->fetch_sub(e.calls.size(), std::memory_order_relaxed);
        set_source_meta(e.message);
        projected_event_ = false;
        event_time_ = e.time;
        std::vector<document> out;
        for (std::size_t i = 0; i < e.docs.size(); ++i) {
          detail::call_slot& call = *e.calls[i];
          const auto latency = call.finished - call.started;
          q.latency_total += latency;
          q.latency_max = std::max(q.latency_max, latency);
          ++q.completed;
          if (call.outcome.result != call_outcome::kind::ok) ++q.errors;
          try {
            q.stage->finish(e.docs[i], std::move(call.outcome), out);
          } catch (const reel::error& err) {
            if (err.id() == enrichment_failed_id) throw;
            dead_letter(dlq_record(std::string(q.stage->operator_name()), err.message(), &e.docs[i],
                                   e.message));
          }
        }
        if (out.empty()) continue;
        e.docs = std::move(out);
        e.calls.clear();
        continue_event(std::move(e), q.index + 1);
      }
      start_calls(q);  // places freed by completed calls, released or not
    }
  }

  [[nodiscard]] bool enrichment_busy() const noexcept {
    return std::any_of(queues_.begin(), queues_.end(),
                       [](const detail::enrichment_queue& q) { return !q.events.empty(); });
  }
  /// How many messages may be read now: the least room of the queues (512 without any).
  [[nodiscard]] std::size_t poll_room() {
    std::lock_guard lock(mutex_);
    std::size_t room = 512;
    for (const auto& q : queues_)
      room = std::min(room, q.room());
    return room;
  }
  /// Waits until every queue has room (a slow service holds the caller back).
  void wait_for_room() {
    const auto full = [this] {
      return std::any_of(queues_.begin(), queues_.end(),
                         [](const detail::enrichment_queue& q) { return q.full(); });
    };
    while (true) {
      const std::uint64_t seen = signal_->count();
      {
        std::lock_guard lock(mutex_);
        release_ready();
        if (!full()) return;
      }
      signal_->wait_past(seen, std::chrono::milliseconds(100));
    }
  }
  /// Waits for every call in flight and releases its document.
  void drain_enrichment() {
    while (enrichment_busy()) {
      const std::uint64_t seen = signal_->count();
      release_ready();
      if (!enrichment_busy()) return;
      signal_->wait_past(seen, std::chrono::milliseconds(100));
    }
  }
  /// A message the processor polled itself: ingested without waiting for room (the caller
  /// polled no more than there was).
  void push_polled(source_message&& m) {
    std::lock_guard lock(mutex_);
    ingest(std::move(m));
    release_ready();
  }

  [[nodiscard]] document enrichment_stats() const {
    document out = document::array();
    for (const auto& q : queues_) {
      using ms = std::chrono::duration<double, std::milli>;
      const double mean =
          q.completed == 0 ? 0.0 : ms(q.latency_total).count() / static_cast<double>(q.completed);
      document entry = {{"operatorName", q.stage->operator_name()},
                        {"stage", q.stage->where()},
                        {"calls", q.calls},
                        {"inFlight", q.running()},
                        {"waitingForOrder", q.started - q.running()},
                        {"errors", q.errors},
                        {"maxInFlight", q.stage->max_in_flight()},
                        {"meanLatencyMs", mean},
                        {"maxLatencyMs", ms(q.latency_max).count()}};
      q.stage->add_stats(entry);
      out.push_back(std::move(entry));
    }
    return out;
  }

  /// The DLQ reason of an evaluation error: MongoDB's message, led by the id for a limit
  /// (`[reel.expression.too_large] $concat would build …`) so that it can be told apart.
  static std::string dlq_reason(const reel::error& e) {
    if (is_limit_error(e.id())) return "[" + e.id() + "] " + e.message();
    return e.message();
  }

  [[nodiscard]] std::size_t max_message_bytes() const noexcept {
    return options_.compile.limits.max_message_bytes;
  }
  /// Whether a message of `size` bytes is over `limits::max_message_bytes`.
  [[nodiscard]] bool too_large(std::size_t size) const noexcept {
    return max_message_bytes() > 0 && size > max_message_bytes();
  }

  /// `{$meta: "stream.source"}` for message `m`: its metadata with the source type. The lines of
  /// one file share it, so it is built again only when the file changes.
  void set_source_meta(const source_message& m) {
    const bool line_path = !(m.metadata.is_object() && !m.metadata.empty()) && m.line &&
                           m.line->path && !m.line->path->empty();
    if (line_path && m.line->path == source_meta_path_) return;
    source_meta_path_ = line_path ? m.line->path : nullptr;
    if (line_path || (m.metadata.is_object() && !m.metadata.empty())) {
      document source_meta = m.metadata_document();
      if (!source_meta.contains("type")) source_meta["type"] = source_type_;
      event_meta_["source"] = std::move(source_meta);
      if (window_) window_meta_["source"] = event_meta_["source"];
      default_source_meta_ = false;
    } else if (!default_source_meta_) {
      event_meta_["source"] = {{"type", source_type_}};
      if (window_) window_meta_["source"] = event_meta_["source"];
      default_source_meta_ = true;
    }
  }

  /// Runs stateless stages, the per-event stages from index `first`; a failing document becomes
  /// a DLQ record. False when nothing is left.
  bool run_stages(std::span<const std::shared_ptr<const document_stage>> stages,
                  std::vector<document>& docs, const source_message& m, std::size_t first) {
    const eval_context ctx{&event_meta_, nullptr, clock_};
    return run_stages_on(
        stages, docs, stage_out_, m, first,
        [&](const document_stage& stage, document& d, std::vector<document>& out) {
          stage.apply(std::move(d), ctx, out);
        },
        // `d` may have been moved from: the record keeps what the stage received when it can.
        [](const document& d) { return d; });
  }

  /// `run_stages` for documents of type `Doc`: `apply(stage, doc, out)` runs a stage, `shown(doc)`
  /// gives the nlohmann document of a DLQ record (null: none). `out` is scratch.
  template <class Doc, class Apply, class Shown>
  bool run_stages_on(std::span<const std::shared_ptr<const document_stage>> stages,
                     std::vector<Doc>& docs, std::vector<Doc>& out, const source_message& m,
                     std::size_t first, Apply&& apply, Shown&& shown) {
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const auto& stage = stages[i];
      detail::operator_counters& counters = stage_counters_[first + i];
      counters.input += docs.size();
      const detail::sampled_timer timer(timing_, counters, docs.size());
      out.clear();
      for (Doc& d : docs) {
        const std::size_t before = out.size();
        try {
          apply(*stage, d, out);
        } catch (const reel::error& e) {
          if (e.id() == enrichment_failed_id) throw;  // onError: "fail" stops the processor
          out.resize(before);
          const document received = shown(d);
          dead_letter(dlq_record(std::string(stage->operator_name()), dlq_reason(e),
                                 received.is_null() ? nullptr : &received, m));
          continue;
        }
        if (out.size() == before) ++filtered_count_;
      }
      counters.output += out.size();
      docs.swap(out);
      if (docs.empty()) return false;
    }
    return true;
  }

  /// The DLQ record of an event the window refused (`e`: its key or an accumulator's input
  /// failed, or the state limit).
  void refused_by_window(const reel::error& e, const document& doc, const source_message& m) {
    // A document refused by the state limit keeps the id in its reason, as out-of-range
    // event times do; expression failures read as MongoDB's messages.
    const bool state_limit = e.id() == state_limit_error_id;
    if (state_limit) ++state_limit_count_;
    dead_letter(dlq_record(pipeline_.window->operator_name, state_limit ? e.what() : dlq_reason(e),
                           &doc, m));
  }
  /// A window's inner stage failed on `doc` at close.
  void window_error(std::string_view op, const std::string& reason, const document& doc) {
    document record = base_record(std::string(op), reason);
    record["doc"] = doc;
    dead_letter(std::move(record));
  }

  void on_window_output(const window_bounds& b, const document& partition,
                        std::vector<document>&& docs) {
    const document start = make_date(b.start), end = make_date(b.end);
    document meta = {{"source", {{"type", source_type_}}},
                     {"window", {{"start", start}, {"end", end}}}};
    if (pipeline_.window->kind == window_kind::session) meta["window"]["partition"] = partition;
    const eval_context ctx{&meta, nullptr, clock_};
    window_counters_.output += docs.size();
    for (std::size_t i = 0; i < pipeline_.after_window.size(); ++i) {
      const auto& stage = pipeline_.after_window[i];
      detail::operator_counters& counters = after_window_counters_[i];
      counters.input += docs.size();
      const detail::sampled_timer timer(true, counters, docs.size());  // once per window
      std::vector<document> out;
      for (document& d : docs) {
        try {
          stage->apply(std::move(d), ctx, out);
        } catch (const reel::error& e) {
          document record = base_record(std::string(stage->operator_name()), dlq_reason(e));
          record["doc"] = d;
          dead_letter(std::move(record));
        }
      }
      counters.output += out.size();
      docs = std::move(out);
    }
    for (auto& d : docs) {
      if (options_.stream_meta && !pipeline_.removes_stream_meta)
        d["_stream_meta"] = stages::merged_stream_meta(meta, d);
      emit(std::move(d));
    }
  }

  void deliver(document&& d, const document*, const source_message& m) {
    if (options_.stream_meta && !pipeline_.removes_stream_meta) {
      document meta = {{"source", event_meta_["source"]}};
      if (m.has_position() && !meta["source"].contains("position"))
        meta["source"]["position"] = m.position_document();
      d["_stream_meta"] = stages::merged_stream_meta(std::move(meta), d);
    }
    emit(std::move(d));
  }

  void emit(document&& d) {
    ++outputs_count_;
    output_bytes_ += detail::serialized_size(d);
    for (const auto& f : outputs_)
      f(d);
    if (sink_) {
      ++sink_counters_.input;
      const detail::sampled_timer timer(timing_, sink_counters_, 1);
      write_result r;
      sink_->write(std::span<const document>(&d, 1), r);
      for (const auto& [index, reason] : r.rejected)
        sink_rejected(d, reason);
    }
  }

  document base_record(const std::string& op, const std::string& reason) const {
    // A reason may quote input bytes that are not UTF-8: they become U+FFFD (ASCII, the usual
    // case for late events, is kept as it is).
    const bool ascii = std::none_of(reason.begin(), reason.end(),
                                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    const document text = ascii ? document(reason)
                                : document::parse(document(reason).dump(
                                      -1, ' ', false, document::error_handler_t::replace));
    return {{"processorName", options_.name},
            {"dlqTime", make_date(clock_->now())},
            {"operatorName", op},
            {"errInfo", {{"reason", text}}}};
  }
  /// A DLQ record of `doc`, the document of message `m` (as a stage received it).
  document dlq_record(const std::string& op, const std::string& reason, const document* doc,
                      const source_message& m) const {
    document record = base_record(op, reason);
    if (doc) record["doc"] = projected_event_ ? whole_document(m) : *doc;
    document source = m.metadata_document();
    if (!source.is_object()) source = document::object();
    if (!source.contains("type")) source["type"] = source_type_;
    if (m.has_position()) source["position"] = m.position_document();
    record["_stream_meta"] = {{"source", std::move(source)}};
    return record;
  }

  /// The whole document of a message read projected, as the stages saw it: the payload parsed
  /// again, with the event time once it was assigned (the stages before the window are filters,
  /// which change nothing else).
  document whole_document(const source_message& m) const {
    document doc = parse_ejson_line(m.payload);  // cannot throw: the projected read accepted it
    if (event_time_) doc[pipeline_.source.ts_field_name] = make_date(*event_time_);
    return doc;
  }

  void dead_letter(document&& record) {
    ++dlq_count_;
    if (auto op = record.find("operatorName"); op != record.end() && op->is_string())
      ++dlq_by_operator_[op->get_ref<const std::string&>()];
    dlq_bytes_ += detail::serialized_size(record);
    for (const auto& f : dead_letters_)
      f(record);
    if (dlq_) {
      write_result r;
      dlq_->write(std::span<const document>(&record, 1), r);
      for (const auto& [index, reason] : r.rejected)
        dlq_write_failed(reason);
    }
  }

  /// The bytes of an undecodable message for its DLQ record: a string when they are UTF-8,
  /// else binData.
  static document payload_value(const std::string& bytes) {
    document text = bytes;
    try {
      (void)text.dump();
      return text;
    } catch (const nlohmann::json::type_error&) {
      return make_binary(bytes);
    }
  }

  void sink_rejected(const document& doc, const std::string& reason) {
    document record =
        base_record(pipeline_.sink->stage == "$merge" ? "MergeOperator" : "EmitOperator", reason);
    record["doc"] = doc;
    dead_letter(std::move(record));
  }
  /// The DLQ itself refused a record: it cannot go anywhere else, so it is counted (and the
  /// reason kept for `stats()`).
  void dlq_write_failed(const std::string& reason) {
    ++dlq_write_failures_;
    last_dlq_failure_ = reason;
  }

  /// Copies what stats() and checkpoints show of the source, on the thread that polls it, with
  /// `mutex_` held: sources are not thread-safe, and the processing thread polls without `mutex_`
  /// (so that stats() does not wait for a blocking poll), so no other thread reads the source.
  void publish_source_state() {
    source_positions_ = source_->positions();
    source_metrics_ = source_->metrics();
  }

  /// Polls the source and applies its partition changes (rebalances) to the watermarks and to
  /// the positions to commit.
  poll_status poll_source(std::vector<source_message>& batch, std::size_t max = 512) {
    const auto started = std::chrono::steady_clock::now();
    const poll_status status = source_->poll(batch, std::min<std::size_t>(max, 512));
    partition_changes changes = source_->take_partition_changes();
    std::lock_guard lock(mutex_);
    batch_read_at_ = std::chrono::steady_clock::now();
    source_poll_time_ += batch_read_at_ - started;
    publish_source_state();
    if (!changes.empty()) {
      // Documents read before the rebalance go through first, as they would have without calls
      // in flight (a revoked partition's window must not come back for them).
      drain_enrichment();
      const timestamp now = clock_->now();
      for (partition_id id : changes.revoked) {
        if (window_) window_->tracker().remove_partition(id);
        // Per-partition windows go with their partition: the new owner recomputes them.
        if (id < partition_windows_.size() && partition_windows_[id]) {
          handed_over_windows_ += partition_windows_[id]->open_windows();
          partition_windows_[id].reset();
        }
        released_.forget(id);
      }
      for (auto& [id, name] : changes.assigned) {
        if (window_) window_->tracker().declare_partition(id, name, now);
        if (options_.partitioned_windows && pipeline_.window) {
          if (id < partition_windows_.size()) partition_windows_[id].reset();
          partition_names_[id] = std::move(name);
          (void)window_of(id, now);
        }
      }
      for_each_window([&](window_runtime_type& w) { w.advance(now); });
    }
    return status;
  }

  /// Counts the latency of the outputs made since there were `outputs_before`: from the read of
  /// the batch to now, once for each.
  void record_batch_latency(std::uint64_t outputs_before) {
    std::lock_guard lock(mutex_);
    if (outputs_count_ <= outputs_before) return;
    latency_.record(std::chrono::steady_clock::now() - batch_read_at_,
                    outputs_count_ - outputs_before);
  }

  /// Commits, every `commit_interval`, the source positions whose results are written.
  void maybe_commit() {
    std::lock_guard lock(mutex_);
    const timestamp now = clock_->now();
    if (last_commit_ != min_timestamp && now - last_commit_ < options_.commit_interval) return;
    if (sink_) sink_->flush();
    if (dlq_) dlq_->flush();
    commit_released();
  }
  /// Tells the source what the processor no longer needs (after the sinks were flushed). Not
  /// while messages polled by `process()` wait to be pushed: they were not delivered yet.
  void commit_released(std::optional<timestamp> retained_from = std::nullopt) {
    last_commit_ = clock_->now();
    if (!source_ || !pending_.empty()) return;
    std::vector<partition_release> releases = released_.release([&](partition_id p) {
      if (retained_from) return *retained_from;
      if (window_) return window_->retained_from();
      if (p < partition_windows_.size() && partition_windows_[p])
        return partition_windows_[p]->retained_from();
      return max_timestamp;  // no window state: nothing held
    });
    // A document in flight is needed as long as the window's oldest: the later queues hold the
    // older events, and each queue's front its oldest.
    for (partition_release& r : releases) {
      if (!r.first_needed.is_null()) continue;
      for (auto q = queues_.rbegin(); q != queues_.rend() && r.first_needed.is_null(); ++q) {
        for (const detail::pending_event& e : q->events) {
          if (e.message.partition == r.partition && e.message.has_position()) {
            r.first_needed = e.message.position_document();
            break;
          }
        }
      }
    }
    source_->commit(releases);
  }

  template <class F>
  void for_each_window(F&& f) {
    if (window_) f(*window_);
    for (auto& w : partition_windows_)
      if (w) f(*w);
  }

  /// The window state events of `partition` go to (made on first use with per-partition windows,
  /// named after the source's partition, loaded from a restored checkpoint when there is one).
  window_runtime_type& window_of(partition_id partition, timestamp now) {
    if (window_) return *window_;
    if (partition >= partition_windows_.size()) partition_windows_.resize(partition + 1);
    std::unique_ptr<window_runtime_type>& w = partition_windows_[partition];
    if (!w) {
      w = make_window_();
      std::string name;
      if (auto it = partition_names_.find(partition); it != partition_names_.end()) {
        name = it->second;
      } else if (source_ && partition < source_->partitions().size()) {
        name = source_->partitions()[partition];
      } else {
        name = std::to_string(partition);
      }
      w->tracker().add_partition(name, now);
      if (auto it = restored_windows_.find(name); it != restored_windows_.end()) {
        w->load(*it);
        restored_windows_.erase(it);
      }
    }
    return *w;
  }

  compiled_pipeline pipeline_;
  stream_processor_options options_;
  const reel::clock* clock_;
  std::unique_ptr<source> source_;
  std::string source_type_;
  std::unique_ptr<sink> sink_;
  std::unique_ptr<sink> dlq_;
  std::function<std::unique_ptr<window_runtime_type>()> make_window_;
  std::shared_ptr<state_budget> state_budget_ = std::make_shared<state_budget>();  // all windows
  std::unique_ptr<window_runtime_type> window_;  // shared by all partitions (the default)
  std::vector<std::unique_ptr<window_runtime_type>> partition_windows_;  // partitioned_windows
  std::map<partition_id, std::string> partition_names_;
  nlohmann::json restored_windows_ = nlohmann::json::object();  // by partition name
  document event_meta_;                                         // what stages see: {source}
  document window_meta_;  // what the window's keys see: {source, window: placeholders}
  bool default_source_meta_ = true;
  // The file path of the line whose metadata event_meta_ holds (null: other metadata).
  std::shared_ptr<const std::string> source_meta_path_;
#if defined(REEL_JSON_VALUE_EVAL)
  bson::ejson_reader payload_reader_;
  bson::arena event_memory_;  // the values of the event being processed, reset per message
  std::vector<bson::value> value_batch_, value_out_;  // its documents; scratch for the stages
  bson::arena window_memory_;  // nlohmann documents given to the window, as values
  std::vector<bson::value> window_values_;
  // The per-event stages run on values: those before the first enrichment stage.
  std::size_t value_stages_ = 0;
  // The top-level fields (with the event time's) the pipeline reads, when that is all it needs:
  // only they are converted to nlohmann.
  std::vector<std::string> projected_fields_;
#endif
  // Payloads parsed with only the fields the pipeline reads, when that is all it needs (builds
  // without `reel::bson`).
  std::optional<detail::projected_reader> projected_reader_;
  bool projected_event_ = false;         // the current event was read projected
  std::optional<timestamp> event_time_;  // the current event's time, once assigned
  std::vector<document> batch_;          // the documents of the event being processed
  std::vector<source_message> pending_;  // polled by process() but not pushed yet
  std::vector<source_message> step_batch_;
  std::vector<document> stage_out_;  // scratch for run_stages
  // Enrichment: the per-event stages (before the window and the window's own), and a queue of
  // calls in flight for each asynchronous one among them, in pipeline order.
  std::vector<std::shared_ptr<const document_stage>> per_event_stages_;
  std::vector<detail::enrichment_queue> queues_;
  std::shared_ptr<detail::completion_signal> signal_ =
      std::make_shared<detail::completion_signal>();
  std::vector<callback> outputs_;
  std::vector<callback> dead_letters_;
  bool needs_now_ = false;
  std::uint64_t seq_ = 0;
  std::uint64_t input_count_ = 0, input_bytes_ = 0, outputs_count_ = 0, output_bytes_ = 0;
  std::uint64_t dlq_count_ = 0, dlq_bytes_ = 0, filtered_count_ = 0, late_count_ = 0;
  std::uint64_t redelivered_count_ = 0, dlq_write_failures_ = 0, handed_over_windows_ = 0;
  std::uint64_t state_limit_count_ = 0;  // documents refused by max_state_bytes
  // operatorStats: per per-event stage (per_event_stages_'s order), the window, its later
  // stages, the sink; DLQ records by operatorName.
  // Counted since the processor was built (not kept in checkpoints, unlike input_count_).
  std::uint64_t source_read_ = 0;
  std::uint64_t source_passed_ = 0;  // decoded, with an event time
  std::chrono::nanoseconds source_poll_time_{0};
  std::vector<detail::operator_counters> stage_counters_;
  detail::operator_counters window_counters_;
  std::vector<detail::operator_counters> after_window_counters_;
  detail::operator_counters sink_counters_;
  std::map<std::string, std::uint64_t, std::less<>> dlq_by_operator_;
  bool timing_ = false;  // the current event's stages are timed (one in detail::timing_sample)
  // Latency of the outputs of a polled batch (see latency_stats()).
  reel::detail::latency_histogram latency_;
  std::chrono::steady_clock::time_point batch_read_at_{};
  std::string last_dlq_failure_;
  reel::detail::release_log released_;  // source positions still needed, per partition
  timestamp last_commit_ = min_timestamp;
  std::uint64_t checkpoint_version_ = 0;  // the newest in the store
  std::uint64_t checkpoint_count_ = 0;    // taken by this processor
  timestamp last_checkpoint_ = min_timestamp;
  std::optional<resume_info> resumed_from_;
  // Held while the processor runs a batch, including its sinks' writes; stats() waits for it at
  // most 100 ms, then answers from `snapshot_`.
  mutable std::recursive_timed_mutex mutex_;
  mutable std::mutex snapshot_mutex_;
  mutable document snapshot_;
  document source_positions_;  ///< `publish_source_state()`, guarded by `mutex_`
  document source_metrics_;    ///< likewise
  std::chrono::steady_clock::time_point last_snapshot_{};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::optional<std::string> failure_;
};

}  // namespace reel::json
