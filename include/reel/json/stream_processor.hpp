// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::json::stream_processor`: a named Atlas-style stream processor built from a JSON
/// pipeline. Embed it and `push()` documents, or let it pull from its `$source` connection
/// (`process()` for a bounded run, `start()`/`stop()` on a thread). Outputs go to the sink stage
/// (`$emit`/`$merge`) and to `on_output` callbacks; documents that cannot be processed become
/// DLQ records (DESIGN.md §4) sent to the DLQ connection and to `on_dead_letter` callbacks.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections;  // "out" → a sink
/// reel::json::stream_processor sp(pipeline, connections, {.name = "movies"});
/// sp.push(reel::json::document::parse(R"({"movie": "Dune", "amountPaid": 12.5, "ts":
/// "2024-06-01T20:00:03Z"})")); sp.flush(); sp.stats()["outputMessageCount"];
/// ```
///
/// The processor is compiled once in the `reel::json` library (link `reel::json`); this header
/// declares it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reel/checkpoint/options.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/source.hpp"
#include "reel/json/pipeline.hpp"
#include "reel/json/state_size.hpp"
#include "reel/json/value.hpp"
#include "reel/time.hpp"

namespace reel::json {

struct stream_processor_options {
  std::string name = "processor";
  /// Add `_stream_meta: {source: {...}, window: {start, end}}` to outputs.
  bool stream_meta = true;
  const reel::clock* clock = &reel::system_clock::instance();
  /// `{connectionName, db, coll}`: where DLQ records are written (through the registry).
  std::optional<document> dlq;
  pipeline_options compile;
  /// How often (processing time) a processor reading its `$source` flushes the sinks and commits
  /// the source positions whose results are written (`source::commit`); also on `flush()` and
  /// `stop()`.
  duration commit_interval{1000};
  /// Windows and watermark per source partition, as the tasks of Kafka Streams, instead of one
  /// window state over all partitions with the minimum watermark (Atlas). Results are then per
  /// partition: right when the group key is partitioned upstream (all of a key's events in one
  /// partition). In exchange, partitions never hold each other back, and a partition that a
  /// rebalance moves takes its whole state along: the process that loses it drops its windows,
  /// the one that gets it recomputes them from the committed position. So processes of one
  /// consumer group together give exactly the results of one process (plus, after a crash,
  /// identical duplicates of windows that closed after the last commit).
  bool partitioned_windows = false;
  /// Checkpoints in a store, taken between batches every `checkpoint.interval`, at the end of
  /// the input and when `stop()` is called; the processor resumes from the newest intact one when
  /// it is built (sources seek to the stored positions, sinks drop what was written after it).
  checkpoint_options checkpoint;
  /// The most window state (estimated bytes, `stats().stateSize`, see
  /// `reel/json/state_size.hpp`) the processor's windows may hold; 0 for no limit. A document
  /// that would take the state over it goes to the DLQ (`[reel.window.state_limit] ...`,
  /// counted in `stateLimitMessageCount`); a document of an existing group whose accumulators
  /// keep a bounded state (`$sum`, `$avg`, ...) adds nothing and is accepted. A checkpoint
  /// holding more is restored all the same (the figure shows it; the limit applies to what
  /// comes next). 1 GiB by default: far above what a usual window holds, far below what would
  /// exhaust a usual machine's memory.
  std::size_t max_state_bytes = default_max_state_bytes;
};

/// **Thread safety**: every member function may be called from any thread; calls are serialized
/// by the processor's lock. While `start()`'s thread runs, `stats()`, `explain()`,
/// `checkpoint()`, `request_stop()`, `wait_stopped()`, `stop()`, `running()` and `failure()` are
/// safe from other threads; `stats()` never waits long for a busy processing thread (it returns
/// the last figures, `statsStale: true`). The `$source` is read only by the thread that polls it
/// (`start()`'s, or the caller of `process()`/`step()`); `stats()` and checkpoints show the
/// positions and metrics that thread published after its last poll. Callbacks (`on_output`,
/// `on_dead_letter`) run on the processing thread with the lock held: they must not call back
/// into the processor from another thread and wait for it. See docs/threading.md.
class stream_processor {
 public:
  using callback = std::function<void(const document&)>;

  /// Compiles `pipeline` (`options.compile`) and connects its `$source`, sink and DLQ through
  /// `connections`; throws `reel::error` with every problem of the definition.
  stream_processor(const document& pipeline, const connection_registry& connections = {},
                   stream_processor_options options = {});
  stream_processor(compiled_pipeline pipeline, const connection_registry& connections,
                   stream_processor_options options = {});
  /// Stops the thread of `start()`, if running.
  ~stream_processor();
  stream_processor(const stream_processor&) = delete;
  stream_processor& operator=(const stream_processor&) = delete;

  [[nodiscard]] const std::string& name() const noexcept;
  void on_output(callback f);
  void on_dead_letter(callback f);

  /// Pushes one document from `partition`. `record_time` is the source's own timestamp, used as
  /// event time when the pipeline has no `timeField`.
  void push(document doc, partition_id partition = 0,
            std::optional<timestamp> record_time = std::nullopt);
  /// Pushes one message (payload bytes are decoded as relaxed or canonical Extended JSON;
  /// undecodable ones become DLQ records that keep the bytes and the position). When the pipeline
  /// provably reads only some top-level fields, only those are built
  /// (`detail/projected_input.hpp`); results and DLQ records are the same.
  void push(source_message message);

  /// Processing time moved to `now`: partition idleness, idle timeouts, processing-time windows.
  void advance(timestamp now);
  void advance();

  /// End of input: every open window closes; the sink is flushed.
  void flush();

  /// Reads the `$source` until it ends (then flushes) or until `limit` outputs were produced.
  /// Returns the number of outputs produced by this call.
  std::size_t process(std::size_t limit = SIZE_MAX);

  /// One round of what `start()` runs on its thread: reads one batch from the `$source`, pushes
  /// it, applies processing time (`advance()`), commits what the commit interval allows; at the
  /// end of the source, flushes. Returns `idle` when nothing was read. For hosts that run their
  /// own loop (and tests: `while (sp.stats()["inputMessageCount"] < n) sp.step();`).
  poll_status step();

  /// Runs the source on a thread until `stop()` or its end.
  void start();
  /// Stops the thread after the current batch, flushing sinks (open windows stay open: checkpoint
  /// them or call `flush()` to close them).
  void stop();
  /// Asks the thread to stop after its current batch and returns at once.
  void request_stop();
  /// Waits at most `timeout` for the thread to end (after `request_stop()` or the end of the
  /// source); false while a sink still blocks it, e.g. on a server that does not answer. A host
  /// that gives up on it must not destroy the processor (the destructor joins the thread).
  [[nodiscard]] bool wait_stopped(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running() const noexcept;
  /// The error that stopped the thread, if any.
  [[nodiscard]] std::optional<std::string> failure() const;

  /// Statistics with Atlas's field names, plus Reel's extras. `verbose` (Atlas's
  /// `stats({verbose: true})`) adds `operatorStats` (per operator in the order documents go
  /// through them, source first, sink last: `name`, `inputMessageCount`, `outputMessageCount`,
  /// `dlqMessageCount`, `executionTimeMillis` estimated from one event in 32 timed; the window's
  /// with `stateSize`, `maxMemoryUsage`, `openWindowCount`) and `latency` (`{p50, p90, p99, max,
  /// unit: "microseconds", count, sum}`: from the read of a batch from the `$source` to the
  /// return of its outputs' sink writes, once per output; documents given to `push()` are not
  /// measured). Both count since the processor was built, not from a restored checkpoint.
  [[nodiscard]] document stats(bool verbose = false) const;
  /// Why the window containing `t` (for sessions: of `partition`) has or has not closed.
  [[nodiscard]] document explain(timestamp t, const document& partition = nullptr) const;

  /// Window state, watermarks, counters and source positions as versioned bytes.
  [[nodiscard]] std::string checkpoint() const;
  void restore(std::string_view bytes);

  /// The fingerprint a checkpoint of `pipeline` carries: a hash of its compact JSON text.
  static std::string fingerprint_of(const document& pipeline);
  /// The checkpoint the processor resumed from when it was built, if any.
  [[nodiscard]] const std::optional<resume_info>& resumed_from() const noexcept;
  /// Takes a checkpoint into the store now (the sinks are flushed and synced first). Throws what
  /// the store throws (`reel.checkpoint.write_failed`): processing must stop then.
  void save_checkpoint();

 private:
  class impl;  // src/json/stream_processor_impl.hpp
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::json
