// SPDX-License-Identifier: Apache-2.0
// `reel::serve::processor_host`: named stream processors managed as Atlas's `sp.*` commands
// manage them (create, start, stop, drop, modify, list, stats, sample, explain), each running
// on its own thread, their definitions and checkpoints kept in a state directory:
//
//     STATE/NAME/definition.json   {name, file, fileLabel, state, error, lastModified, ...}
//     STATE/NAME/checkpoints/      the processor's checkpoints (reel::directory_store)
//
// A host built on a state directory finds the processors defined there; `resume()` starts the
// ones that were running when the previous host stopped, from their checkpoints. Errors are
// `reel::error`s: `reel.serve.not_found`, `reel.serve.exists`, `reel.serve.conflict`,
// `reel.serve.invalid_name`, and the located diagnostics of a definition (`reel check`'s).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <reel/connector/registry.hpp>
#include <reel/json/value.hpp>
#include <reel/time.hpp>

namespace reel::serve {

using document = nlohmann::ordered_json;

struct host_options {
  /// Where definitions and checkpoints are kept (created when missing).
  std::filesystem::path state_dir;
  /// The connection types and built-in connections (`default_connections()` plus the compiled
  /// connectors); the connections file's definitions are added to it.
  connection_registry connections;
  /// `connections.json`: the connections processors may use.
  std::optional<std::filesystem::path> connections_file;
  /// Outputs (and DLQ records) kept per processor for `sample()`.
  std::size_t sample_capacity = 1000;
  /// Processing time of the processors, and the time of the metrics (watermark lag, checkpoint
  /// age) and of the definitions' timestamps.
  const reel::clock* clock = &reel::system_clock::instance();
  /// fsync checkpoints (off only in tests).
  bool sync = true;
};

class processor_host {
 public:
  /// Reads the definitions kept in `options.state_dir` and the connections file; throws
  /// `reel::error` with every problem of the connections file, or when a definition kept there
  /// cannot be read. Starts nothing (see `resume()`).
  explicit processor_host(host_options options);
  /// Stops the running processors with a final checkpoint (see `shutdown()`).
  ~processor_host();
  processor_host(const processor_host&) = delete;
  processor_host& operator=(const processor_host&) = delete;

  /// Starts the processors whose kept state is STARTED (from their newest checkpoint). A
  /// processor that cannot start is marked FAILED with the reason; the others start all the same.
  void resume();

  /// `sp.createStreamProcessor(name, pipeline, options)`: `file_text` is what a pipeline file
  /// holds (an array of stages, or `{name, pipeline, options}`; JSON or mongosh syntax);
  /// `file_label` names it in diagnostics (`label:/pipeline/1/$match`; default: the name).
  /// The definition is checked as `reel check` checks it. Returns the description (`list()`'s).
  document create(const std::string& name, const std::string& file_text,
                  const std::string& file_label = "");
  /// `sp.NAME.start()`: builds the processor (resuming from its newest checkpoint) and runs it
  /// on its thread. `reel.serve.conflict` when it is already running.
  void start(const std::string& name);
  /// `sp.NAME.stop()`: stops it after its current batch, with a final checkpoint.
  void stop(const std::string& name);
  /// `sp.NAME.drop()`: stops it and removes its definition and checkpoints.
  void drop(const std::string& name);
  /// `sp.NAME.modify(pipeline, options)`: stops the processor, replaces its definition and starts
  /// it again if it was running. Its checkpoints are kept when they fit the new pipeline (same
  /// stages: options changed); with other stages, `resume_from_checkpoint == false` starts
  /// it over, else the modification is refused (`reel.serve.incompatible_checkpoint`) and
  /// nothing changes.
  document modify(const std::string& name, const std::string& file_text,
                  const std::string& file_label = "", bool resume_from_checkpoint = true);

  /// `sp.listStreamProcessors()`: `[{name, state, error_msg, pipeline, options, lastModified,
  /// lastStateChange}]`, by name.
  [[nodiscard]] document list();
  /// One processor's description (an element of `list()`).
  [[nodiscard]] document describe(const std::string& name);
  /// `sp.NAME.stats()`: the processor's statistics with Atlas's field names (`name`, `status`,
  /// `inputMessageCount`, ...). `verbose` adds Atlas's `operatorStats` and `latency`, the
  /// per-partition watermarks, source positions, the sink's and source's metrics, DLQ records by
  /// reason, the last checkpoint's time and `statsTime` (the host's clock).
  [[nodiscard]] document stats(const std::string& name, bool verbose = false);
  /// `sp.NAME.sample()`: the last `limit` outputs (DLQ records as `{_dlqMessage: record}`),
  /// oldest first.
  [[nodiscard]] document sample(const std::string& name, std::size_t limit = 10);
  /// The last `limit` DLQ records (at most `sample_capacity` are kept), oldest first, with
  /// credentials masked (values of keys such as `password`, user information in URIs).
  [[nodiscard]] document dead_letters(const std::string& name, std::size_t limit = 10);
  /// The plan (`reel explain`'s); with `t`, also why the window holding `t` has or has not
  /// closed (of a running or stopped processor).
  [[nodiscard]] document explain(const std::string& name,
                                 const std::optional<timestamp>& t = std::nullopt);
  /// `sp.listConnections()`: the connections, secrets masked.
  [[nodiscard]] document connections() const;

  /// The figures of every processor for `/metrics`: `[{name, state, stats (verbose),
  /// deadLettersByReason, lastCheckpointTime}]`.
  [[nodiscard]] std::vector<document> metrics_snapshot();
  [[nodiscard]] const reel::clock& clock() const noexcept;

  /// Stops every running processor with a final checkpoint; their kept state stays STARTED, so
  /// that the next host resumes them.
  void shutdown();

 private:
  struct entry;
  std::shared_ptr<entry> find(const std::string& name);
  /// Every entry, taken under the map's lock (each is then locked on its own).
  std::vector<std::shared_ptr<entry>> entries();
  void persist(const entry& e);
  void build_and_start(entry& e, bool fresh);
  /// Keeps `err` as the entry's error, its state FAILED.
  void record_failure(entry& e, const reel::error& err);
  void stop_processor(entry& e);
  void refresh(entry& e);
  document describe(entry& e);

  struct shared_state;
  std::unique_ptr<shared_state> shared_;
  std::mutex mutex_;  ///< guards the map, not the processors (each entry has its own lock)
  std::map<std::string, std::shared_ptr<entry>> entries_;
};

}  // namespace reel::serve
