// SPDX-License-Identifier: Apache-2.0
/// \file
/// Enrichment stages: stages that call a service once per document (`$externalFunction`,
/// `$https`; `$lookup` later) and add its answer to the document under `as`.
///
/// **Asynchronous, ordered, bounded.** In the main pipeline (before the window, or in a pipeline
/// without one) and in a window's per-event stages, the stream processor starts a stage's calls
/// without waiting for them, keeps at most `parallelism` calls in flight per stage, and releases
/// the documents **in input order** (Flink AsyncIO's ordered mode): a call that completes early
/// waits for the calls before it. Event time, watermarks and windows downstream therefore see
/// exactly what they would see with the calls made one at a time. A call that completes early
/// frees its place at once (the next document's call starts while its own document waits for
/// the earlier ones), so one slow call does not stall the others. While a stage has `parallelism`
/// calls running, or holds 4 × `parallelism` documents in all, the processor does not poll its
/// `$source` (backpressure: memory stays bounded whatever the service's latency); `push()` waits
/// for a free place. The
/// watermark moves only with released documents, and processing time (`advance()`: idle
/// timeouts, partition idleness) is not applied to the windows while documents are in flight.
/// `flush()`, checkpoints (`checkpoint()`, `save_checkpoint()`) and `stats()` after `flush()`
/// first wait for every call in flight to finish (a checkpoint never holds a half-done call);
/// commits of source positions never pass a document still in flight. After a window (its
/// at-close stages, the stages that follow it) a call is made and awaited per document.
///
/// **Errors** (`onError`, Atlas's option): a failed call sends the document to the DLQ with the
/// reason (`"dlq"`, the default), passes it on unchanged (`"ignore"`), or stops the processor
/// (`"fail"`: `[reel.enrichment.failed] at /1/$externalFunction: ...`). A document that cannot be
/// turned into a request (its `payload` pipeline fails) always goes to the DLQ.
///
/// **Statistics**: `stats().enrichment` lists each stage: `calls`, `inFlight` (calls running),
/// `waitingForOrder` (completed, waiting for an earlier call), `errors`, `maxInFlight`,
/// `meanLatencyMs`, `maxLatencyMs`, and the stage's own counters (`add_stats`).
#pragma once

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/document_stage.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

/// What `onError` asks for when a call fails.
enum class on_error_action { dlq, ignore, fail };

/// How one call ended.
struct call_outcome {
  enum class kind {
    ok,        ///< `value` (if any) becomes the field `as`
    failed,    ///< the service failed: `onError` applies
    rejected,  ///< the document could not become a request: always the DLQ
    fatal,     ///< a configuration problem: the processor stops, whatever `onError` says
  };
  kind result = kind::ok;
  std::optional<document> value;  ///< none: `as` is not set (an empty answer)
  std::string reason;             ///< for the DLQ record or the error
};

/// Called exactly once per call, from any thread, possibly before `start_call` returns.
using call_done = std::function<void(call_outcome)>;

/// The error id of an enrichment failure that stops the processor (`onError: "fail"`).
inline constexpr std::string_view enrichment_failed_id = "reel.enrichment.failed";

/// The default of `parallelism`, the most calls one stage keeps in flight.
inline constexpr std::size_t default_parallelism = 16;
/// The largest `parallelism` accepted.
inline constexpr std::size_t max_parallelism = 1024;

/// A stage that calls a service per document. Subclasses build and start the call
/// (`start_call`); this class turns its outcome into the document's result (`finish`) and gives
/// the synchronous `apply` that window-close pipelines use.
class enrichment_stage : public document_stage {
 public:
  /// Starts the call for `doc`; `done` gets its outcome. `ctx` is valid only during the call of
  /// `start_call`. Throws nothing: a problem becomes an outcome.
  virtual void start_call(const document& doc, const eval_context& ctx, call_done done) const = 0;

  /// The most calls in flight for this stage (`parallelism`).
  [[nodiscard]] std::size_t max_in_flight() const noexcept { return max_in_flight_; }
  [[nodiscard]] on_error_action on_error() const noexcept { return on_error_; }
  /// The JSON pointer of the stage (`/1/$externalFunction`), for errors.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }
  /// Adds the stage's own counters to its entry of `stats().enrichment` (`$https`: `retries`;
  /// `$lookup`: queries, cache hits and misses). The default adds nothing. Called from any thread.
  virtual void add_stats(document& /*entry*/) const {}

  /// Applies `outcome` to `doc`: on success `doc` (with `as` set when there is a value) is moved
  /// to `out`. On failure, per `onError`: `dlq` (and `rejected`) throws a `reel::error` whose
  /// message is the DLQ reason, leaving `doc` as it was; `ignore` moves `doc` to `out`
  /// unchanged; `fail` (and `fatal`) throws `reel.enrichment.failed` located at the stage.
  void finish(document& doc, call_outcome&& outcome, std::vector<document>& out) const {
    switch (outcome.result) {
      case call_outcome::kind::ok:
        if (outcome.value && !as_.empty()) set_as(doc, std::move(*outcome.value));
        out.push_back(std::move(doc));
        return;
      case call_outcome::kind::rejected:
        throw_error("reel.enrichment.rejected", where_, outcome.reason);
      case call_outcome::kind::fatal:
        throw_error(std::string(enrichment_failed_id), where_, outcome.reason);
      case call_outcome::kind::failed:
        break;
    }
    switch (on_error_) {
      case on_error_action::ignore:
        out.push_back(std::move(doc));
        return;
      case on_error_action::fail:
        throw_error(std::string(enrichment_failed_id), where_, outcome.reason);
      case on_error_action::dlq:
        throw_error("reel.enrichment.call_failed", where_, outcome.reason);
    }
  }

  /// One call, awaited (window-close pipelines and stages after a window). The call must be
  /// completed by another thread or before `start_call` returns.
  void apply(document&& doc, const eval_context& ctx, std::vector<document>& out) const override {
    struct waiter {
      std::mutex mutex;
      std::condition_variable cv;
      std::optional<call_outcome> outcome;
    };
    auto w = std::make_shared<waiter>();
    start_call(doc, ctx, [w](call_outcome o) {
      {
        std::lock_guard lock(w->mutex);
        w->outcome = std::move(o);
      }
      w->cv.notify_all();
    });
    std::unique_lock lock(w->mutex);
    w->cv.wait(lock, [&] { return w->outcome.has_value(); });
    call_outcome o = std::move(*w->outcome);
    lock.unlock();
    finish(doc, std::move(o), out);
  }

 protected:
  /// `as` may be empty (no field is set: `execution: "async"`).
  enrichment_stage(std::string where, std::string as, on_error_action on_error,
                   std::size_t max_in_flight)
      : where_(std::move(where)),
        as_(std::move(as)),
        on_error_(on_error),
        max_in_flight_(std::max<std::size_t>(max_in_flight, 1)) {}

 private:
  /// Writes `value` at the dotted path `as_`, creating (or replacing non-object) parents.
  void set_as(document& doc, document&& value) const {
    document* at = &doc;
    std::size_t from = 0;
    while (true) {
      const std::size_t dot = as_.find('.', from);
      const std::string key = as_.substr(from, dot == std::string::npos ? dot : dot - from);
      if (dot == std::string::npos) {
        (*at)[key] = std::move(value);
        return;
      }
      document& next = (*at)[key];
      if (!next.is_object()) next = document::object();
      at = &next;
      from = dot + 1;
    }
  }

  std::string where_;
  std::string as_;
  on_error_action on_error_;
  std::size_t max_in_flight_;
};

namespace detail {

/// `onError`: `"dlq"`, `"ignore"` or `"fail"` (any case, as Atlas's pages write both).
inline on_error_action parse_on_error(const document& v, const std::string& where) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "dlq") return on_error_action::dlq;
    if (s == "ignore") return on_error_action::ignore;
    if (s == "fail") return on_error_action::fail;
  }
  throw_error("reel.pipeline.invalid_option", where,
              "onError must be \"dlq\", \"ignore\" or \"fail\"");
}

/// `parallelism`: an integer from 1 to `max_parallelism`.
inline std::size_t parse_parallelism(const document& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 ||
      v.get<std::int64_t>() > static_cast<std::int64_t>(max_parallelism)) {
    throw_error("reel.pipeline.invalid_option", where,
                "parallelism must be an integer from 1 to " + std::to_string(max_parallelism));
  }
  return static_cast<std::size_t>(v.get<std::int64_t>());
}

/// `as`: a non-empty field path that does not start with `$`.
inline std::string parse_as(const document& v, const std::string& where) {
  if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>()[0] == '$') {
    throw_error("reel.pipeline.invalid_option", where, "as must be a field name");
  }
  return v.get<std::string>();
}

}  // namespace detail

}  // namespace reel::json
