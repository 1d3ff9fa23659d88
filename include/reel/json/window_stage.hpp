// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$tumblingWindow`, `$hoppingWindow` and `$sessionWindow` of the JSON front end: the options
/// with Atlas's names and defaults, compiled into a `window_definition`, and run by
/// `window_runtime` on the shared engine (`reel::window_driver`).
///
/// The inner pipeline is split in three: stateless stages before the first `$group` run on each
/// event as it arrives (they are per-document, so this is equivalent and keeps state small); a
/// leading `$group` aggregates incrementally; whatever follows (`$sort`, `$limit`, `$project`,
/// ...) runs on the window's results when it closes. Without a `$group`, the window buffers its
/// documents in arrival order and runs the rest on them at close.
///
/// `{$meta: "stream.window.start"}` / `"end"` (and `"partition"` for sessions) are available
/// inside the window pipeline and after it. A `$group` `_id` may use them directly (the value is
/// the same for every document of a window), with placeholders replaced at close; a stage or a
/// `$group` that uses them otherwise (an accumulator over them, an `_id` that transforms them)
/// runs at close on the window's buffered documents instead of per event.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/group.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/state_size.hpp"
#include "reel/json/value.hpp"
#include "reel/window/options.hpp"
#include "reel/window/session_window_operator.hpp"
#include "reel/window/sliced_window_operator.hpp"
#include "reel/window/window_driver.hpp"

#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/value.hpp"
#endif

namespace reel::json {

enum class window_kind { tumbling, hopping, session };

struct window_definition {
  window_kind kind = window_kind::tumbling;
  std::string operator_name;  ///< "TumblingWindowOperator", ...
  sliced_spec sliced;         ///< tumbling and hopping
  duration gap{};             ///< session
  std::optional<expression> partition_by;
  close_policy policy;
  std::vector<std::shared_ptr<const document_stage>> per_event;  ///< stateless prefix
  std::shared_ptr<const group_definition> group;                 ///< leading $group, if any
  std::vector<std::shared_ptr<const document_stage>> at_close;   ///< the rest
};

namespace detail {

/// Placeholders for window bounds inside `$group` keys, replaced when the window closes.
inline const document& window_start_marker() {
  static const document m = "\x01reel.window.start";
  return m;
}
inline const document& window_end_marker() {
  static const document m = "\x01reel.window.end";
  return m;
}
inline const document& window_partition_marker() {
  static const document m = "\x01reel.window.partition";
  return m;
}
inline void replace_markers(document& d, const document& start, const document& end,
                            const document& partition) {
  if (d.is_string()) {
    if (d == window_start_marker())
      d = start;
    else if (d == window_end_marker())
      d = end;
    else if (d == window_partition_marker())
      d = partition;
  } else if (d.is_structured()) {
    for (auto& v : d)
      replace_markers(v, start, end, partition);
  }
}

/// Whether `spec` (a stage or an expression) reads the window's metadata: `{$meta: "stream"}`,
/// `"stream.window"` or `"stream.window.<field>"`. Such values are known only when the window
/// closes, so the compiler runs these parts of a window's pipeline at close.
inline bool reads_window_meta(const document& spec) {
  if (spec.is_object()) {
    for (const auto& [key, value] : spec.items()) {
      if (key == "$meta" && value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        if (s == "stream" || s == "stream.window" || s.rfind("stream.window.", 0) == 0) return true;
      }
      if (reads_window_meta(value)) return true;
    }
  } else if (spec.is_array()) {
    for (const auto& value : spec)
      if (reads_window_meta(value)) return true;
  }
  return false;
}

/// Whether a `$group` `_id` reads window metadata, if at all, only as whole values
/// (`{$meta: "stream.window.start"}` as the key or as a field of an object or array key): the
/// incremental `$group` keys those with placeholders that are replaced at close.
inline bool window_meta_as_whole_values(const document& id) {
  if (!reads_window_meta(id)) return true;
  if (id.is_object() && id.size() == 1 && id.contains("$meta")) {
    const document& m = id["$meta"];
    return m == "stream.window.start" || m == "stream.window.end" || m == "stream.window.partition";
  }
  if (id.is_object()) {
    for (const auto& [key, value] : id.items()) {
      if (!key.empty() && key[0] == '$') return false;  // an operator over the metadata
      if (!window_meta_as_whole_values(value)) return false;
    }
    return true;
  }
  if (id.is_array()) {
    for (const auto& value : id)
      if (!window_meta_as_whole_values(value)) return false;
    return true;
  }
  return false;
}

/// Whether a `$group` of a window's pipeline can aggregate as events arrive: its accumulators
/// do not read window metadata, and its `_id` reads it only as whole values.
inline bool group_runs_per_event(const document& spec) {
  if (!spec.is_object()) return true;  // compile_group reports the error
  for (const auto& [field, value] : spec.items()) {
    if (field == "_id" ? !window_meta_as_whole_values(value) : reads_window_meta(value))
      return false;
  }
  return true;
}

struct session_key_traits {
  using hash = value_hash;
  using equal = value_equal;
  static bool less(const document& a, const document& b) { return compare_values(a, b) < 0; }
  static nlohmann::json save(const document& k) { return save_document(k); }
  static document load(const nlohmann::json& j) { return load_document(j); }
};

}  // namespace detail

/// What a closing window hands on: its bounds, the session partition (or null) and the output
/// documents after the window's inner pipeline.
using window_output =
    std::function<void(const window_bounds&, const document& partition, std::vector<document>&&)>;
/// What a closing window hands on for a document that a stage of its inner pipeline could not
/// process (the stage's operator name, the error message, the document): the window goes on
/// with the other documents.
using window_error = std::function<void(std::string_view operator_name, const std::string& reason,
                                        const document& doc)>;

/// What every running window of a JSON pipeline answers, whatever its document model.
class window_runtime_base {
 public:
  virtual ~window_runtime_base() = default;
  [[nodiscard]] virtual const missed_windows& missed() const = 0;
  virtual void advance(timestamp now) = 0;
  virtual void flush() = 0;
  [[nodiscard]] virtual watermark_tracker& tracker() = 0;
  [[nodiscard]] virtual const watermark_tracker& tracker() const = 0;
  [[nodiscard]] virtual std::size_t open_windows() const = 0;
  /// Events before this time matter no more (their windows closed; one that old is late).
  [[nodiscard]] virtual timestamp retained_from() const = 0;
  /// Estimated bytes of the window state (`state_size.hpp`), kept as events arrive.
  [[nodiscard]] virtual std::size_t state_bytes() const = 0;
  /// Groups held by an incremental `$group` ((key, pane) or (key, session) states); 0 for a
  /// window that buffers its documents.
  [[nodiscard]] virtual std::size_t open_groups() const = 0;
  /// Documents held by a window that buffers them; 0 for an incremental `$group`.
  [[nodiscard]] virtual std::size_t buffered_documents() const = 0;
  [[nodiscard]] virtual std::optional<timestamp> idle_close_time(timestamp end) const = 0;
  [[nodiscard]] virtual bool needs_processing_time() const = 0;
  [[nodiscard]] virtual nlohmann::json save() const = 0;
  virtual void load(const nlohmann::json& j) = 0;
};

/// The running window of a JSON pipeline.
class window_runtime : public window_runtime_base {
 public:
  /// Places `doc` (event time `t`, from `partition`, processing time `now`); `meta` is the
  /// stream metadata the inner expressions see. Closes what the new watermark allows.
  virtual placement on_event(const document& doc, timestamp t, partition_id partition,
                             timestamp now, std::uint64_t seq) = 0;
  [[nodiscard]] virtual std::optional<window_explanation> explain(const document& partition,
                                                                  timestamp t) const = 0;
};

#if defined(REEL_JSON_VALUE_EVAL)
/// What a closing window hands on, on values: its bounds, the session partition (or null) and
/// the output documents after the window's inner pipeline. Everything passed is valid during
/// the call only (the documents are in an arena reused by the next close).
using value_window_output = std::function<void(const window_bounds&, const bson::value& partition,
                                               std::span<const bson::value> docs)>;
/// `window_error` on values: the document is valid during the call only.
using value_window_error = std::function<void(std::string_view operator_name,
                                              const std::string& reason, const bson::value& doc)>;

/// The running window of a JSON pipeline on BSON values (docs/document-model.md §6 step 5):
/// `window_runtime` with `bson::value` events, valid during `on_event` only (the window keeps
/// owned copies of what it needs). Same placement, lateness, idleness, `maxStateBytes` and
/// checkpoint format as `window_runtime`.
class value_window_runtime : public window_runtime_base {
 public:
  virtual placement on_event(const bson::value& doc, timestamp t, partition_id partition,
                             timestamp now, std::uint64_t seq) = 0;
  [[nodiscard]] virtual std::optional<window_explanation> explain(const bson::value& partition,
                                                                  timestamp t) const = 0;
};
#endif

namespace detail {

/// An aggregation that keeps groups by key (`$group`), as opposed to one that buffers documents.
template <class A>
concept keyed_aggregation = requires(const A& a) {
  a.prepared_key();
};
/// An aggregation that buffers a window's documents.
template <class A>
concept buffering_aggregation = requires(const A& a) {
  a.held_documents();
};

/// The metadata a closing window's inner stages see: `{window: {start, end[, partition]}}`.
inline document closing_window_meta(const window_bounds& b, const document* partition) {
  document meta = {{"window", {{"start", make_date(b.start)}, {"end", make_date(b.end)}}}};
  if (partition != nullptr) meta["window"]["partition"] = *partition;
  return meta;
}

/// Runs one stage of a window's inner pipeline on a closing window's `docs`, whatever the
/// document model: a `$group` through `group`, a per-document stage through `one(doc, out)`
/// for each document, a batch-only stage through `batch(docs)`. A document that fails goes to
/// `report(doc, error)` and the others go on (a batch that fails reports all of its documents).
template <class Doc, class Report, class Group, class One, class Batch>
void run_at_close(const document_stage& stage, std::vector<Doc>& docs, const Report& report,
                  const Group& group, const One& one, const Batch& batch) {
  if (const auto* g = dynamic_cast<const group_stage*>(&stage)) {
    group(*g);
  } else if (!stage.is_batch_only()) {
    std::vector<Doc> out;
    out.reserve(docs.size());
    for (Doc& d : docs) {
      const std::size_t before = out.size();
      try {
        one(d, out);  // leaves `d` as it was when it throws
      } catch (const reel::error& e) {
        out.resize(before);
        report(d, e);
      }
    }
    docs = std::move(out);
  } else {
    try {
      batch(docs);
    } catch (const reel::error& e) {
      for (const Doc& d : docs)
        report(d, e);
      docs.clear();
    }
  }
}

/// The nlohmann document model of a window runtime: events and outputs are `document`s.
class document_window_model {
 public:
  using interface = window_runtime;
  using event_type = document;

  document_window_model(const window_definition&, window_output output, window_error error)
      : output_(std::move(output)), error_(std::move(error)) {}

  /// A session's partition key for `doc` (missing made null).
  static document partition_key(const window_definition& def, const document& doc,
                                const document* event_meta) {
    document key = def.partition_by->evaluate(doc, eval_context{event_meta, nullptr});
    if (is_missing(key)) key = nullptr;
    return key;
  }
  static const document& no_partition() {
    static const document n = nullptr;
    return n;
  }

  template <class Aggregation, class Entries>
  void close(const window_definition& def, const Aggregation& agg, const window_bounds& b,
             const document& partition, bool session, const Entries& entries) {
    const document meta = closing_window_meta(b, session ? &partition : nullptr);
    std::vector<document> docs;
    if constexpr (keyed_aggregation<Aggregation>) {
      const document& start = meta["window"]["start"];
      const document& end = meta["window"]["end"];
      docs.reserve(entries.size());
      for (const auto& e : entries) {
        docs.push_back(agg.result(*e.key, *e.state));
        replace_markers(docs.back()["_id"], start, end, partition);
      }
    } else {
      for (const auto& e : entries)
        docs = agg.documents(*e.state);
    }
    const eval_context ctx{&meta, nullptr};
    for (const auto& stage : def.at_close) {
      if (docs.empty()) break;
      const std::string_view name = stage->operator_name();
      auto report = [&](const document& d, const reel::error& e) {
        if (!error_) throw e;
        error_(name, e.message(), d);
      };
      run_at_close(
          *stage, docs, report, [&](const group_stage& g) { g.apply_batch(docs, ctx, report); },
          [&](document& d, std::vector<document>& out) { stage->apply(std::move(d), ctx, out); },
          [&](std::vector<document>& batch) { stage->apply_batch(batch, ctx); });
    }
    if (!docs.empty()) output_(b, partition, std::move(docs));
  }

 private:
  window_output output_;
  window_error error_;
};

/// A window runtime: the engine's `Operator` driven by `window_driver`, with the JSON
/// front end's state budget (`maxStateBytes`), held-back events and inner pipeline at close.
/// `Model` is the document model (`document_window_model`, `value_window_model`): the type of
/// events, how a session's partition key is evaluated and how a closing window's results are
/// built and handed on.
template <class Operator, class Model>
class window_runtime_impl final : public Model::interface {
 public:
  using event_type = typename Model::event_type;

  window_runtime_impl(std::shared_ptr<const window_definition> def, Operator op,
                      const document* event_meta, std::optional<duration> partition_idle_timeout,
                      Model model, std::shared_ptr<state_budget> budget)
      : def_(std::move(def)),
        driver_(std::move(op), def_->policy, partition_idle_timeout),
        event_meta_(event_meta),
        model_(std::move(model)),
        budget_(std::move(budget)) {}
  ~window_runtime_impl() override {
    if (budget_) budget_->used -= counted_bytes_;
  }
  window_runtime_impl(const window_runtime_impl&) = delete;
  window_runtime_impl& operator=(const window_runtime_impl&) = delete;

  placement on_event(const event_type& doc, timestamp t, partition_id partition, timestamp now,
                     std::uint64_t seq) override {
    // Evaluate the $group key and accumulators (or measure the document to buffer) first: a
    // document that fails changes no window, and its size is known before the limit is checked.
    const aggregation& agg = driver_.op().aggregation();
    agg.prepare(doc);
    struct forget {
      const aggregation& a;
      ~forget() { a.unprepare(); }
    } forget_prepared{agg};
    retried_ = false;
    refused_ = false;
    const placement where = driver_.on_event(
        partition, t, now,
        [&](timestamp at, missed_windows& missed) {
          if (over_limit(at)) [[unlikely]]  // placed below, once the windows it closes are gone
            return hold_back(at, missed);
          return add(doc, at, seq, missed);
        },
        emitter());
    count_state();
    if (!refused_) [[likely]]
      return where;
    return place_held_back(doc, seq);
  }

 private:
  /// The document does not fit now: unless it is late, it is placed after the watermark moved.
  [[gnu::noinline]] placement hold_back(timestamp at, missed_windows& missed) {
    if constexpr (!is_session) {  // a late event is late, whatever the state
      if (const placement p = driver_.op().classify(at, missed); p != placement::accepted) return p;
    }
    missed.clear();
    refused_ = true;
    refused_at_ = at;
    return placement::accepted;
  }
  /// Places the document held back, now that the windows its time closed are gone, or refuses it.
  [[gnu::noinline]] placement place_held_back(const event_type& doc, std::uint64_t seq) {
    if (over_limit(refused_at_)) {
      const std::size_t need = prepared_bytes(refused_at_);
      throw_error(std::string(state_limit_error_id), "",
                  "window state limit reached: the windows hold an estimated " +
                      std::to_string(budget_->used) + " bytes, this document would add " +
                      std::to_string(need) + " and maxStateBytes is " +
                      std::to_string(budget_->limit));
    }
    retried_ = true;
    const placement placed = add(doc, refused_at_, seq, retry_missed_);
    count_state();
    return placed;
  }

  placement add(const event_type& doc, timestamp at, std::uint64_t seq, missed_windows& missed) {
    if constexpr (is_session) {
      return driver_.op().add(model_.partition_key(*def_, doc, event_meta_), doc, at, seq, missed);
    } else {
      return driver_.op().add(doc, at, seq, missed);
    }
  }

  /// The bytes the prepared document would add at time `at`: an existing group of a tumbling
  /// or hopping window is looked up (sessions count every document as a new group).
  std::size_t prepared_bytes(timestamp at) const {
    const aggregation& agg = driver_.op().aggregation();
    if constexpr (keyed_aggregation<aggregation> && !is_session) {
      return agg.prepared_bytes(driver_.op().find_group(at, agg.prepared_key()) != nullptr);
    } else {
      (void)at;
      return agg.prepared_bytes(false);
    }
  }

  /// Whether the prepared document would take the processor's window state over its limit.
  bool over_limit(timestamp at) const {
    if (!budget_ || budget_->limit == 0) return false;
    const aggregation& agg = driver_.op().aggregation();
    if (budget_->used + agg.prepared_bytes(false) <= budget_->limit) [[likely]]
      return false;
    return over_limit_in_place(at);
  }
  /// `over_limit` once the quick bound failed: looks the group up.
  [[gnu::noinline]] bool over_limit_in_place(timestamp at) const {
    return budget_->used + prepared_bytes(at) > budget_->limit;
  }

  /// Brings the processor's budget up to date with this window's state.
  void count_state() noexcept {
    const std::size_t held = driver_.op().aggregation().held_bytes();
    if (budget_) {
      budget_->used = budget_->used - counted_bytes_ + held;
      budget_->peak = std::max(budget_->peak, budget_->used);
    }
    counted_bytes_ = held;
  }

 public:
  const missed_windows& missed() const override {
    return retried_ ? retry_missed_ : driver_.missed();
  }
  void advance(timestamp now) override {
    driver_.advance(now, emitter());
    count_state();
  }
  void flush() override {
    driver_.flush(emitter());
    count_state();
  }
  watermark_tracker& tracker() override { return driver_.tracker(); }
  const watermark_tracker& tracker() const override { return driver_.tracker(); }
  std::size_t open_windows() const override { return driver_.op().open_window_count(); }
  timestamp retained_from() const override { return driver_.op().retained_from(); }
  std::size_t state_bytes() const override { return driver_.op().aggregation().held_bytes(); }
  std::size_t open_groups() const override {
    if constexpr (keyed_aggregation<aggregation>) {
      return driver_.op().group_count();
    } else {
      return 0;
    }
  }
  std::size_t buffered_documents() const override {
    if constexpr (buffering_aggregation<aggregation>) {
      return driver_.op().aggregation().held_documents();
    } else {
      return 0;
    }
  }
  std::optional<window_explanation> explain(const event_type& partition,
                                            timestamp t) const override {
    if constexpr (is_session) {
      return driver_.op().explain(typename Operator::partition_key(partition), t);
    } else {
      (void)partition;
      return driver_.op().explain(t);
    }
  }
  std::optional<timestamp> idle_close_time(timestamp end) const override {
    return driver_.idle_close_time(end);
  }
  bool needs_processing_time() const override { return driver_.needs_processing_time(); }
  nlohmann::json save() const override { return driver_.save(); }
  void load(const nlohmann::json& j) override {
    driver_.op().aggregation().clear_held();
    driver_.load(j);
    count_state();
  }

 private:
  static constexpr bool is_session = requires(const Operator& o) { o.gap(); };
  using aggregation = typename Operator::aggregation_type;

  auto emitter() {
    if constexpr (is_session) {
      return [this](const window_bounds& b, const auto& pkey, const auto& entries) {
        model_.close(*def_, driver_.op().aggregation(), b, unwrap(pkey), true, entries);
      };
    } else {
      return [this](const window_bounds& b, const auto& entries) {
        model_.close(*def_, driver_.op().aggregation(), b, Model::no_partition(), false, entries);
      };
    }
  }
  template <class Key>
  static const auto& unwrap(const Key& key) {
    if constexpr (requires { key.get(); }) {
      return key.get();  // an owned value
    } else {
      return key;
    }
  }

  std::shared_ptr<const window_definition> def_;
  window_driver<Operator> driver_;
  const document* event_meta_;
  Model model_;
  std::shared_ptr<state_budget> budget_;
  std::size_t counted_bytes_ = 0;  // this window's part of budget_->used
  bool refused_ = false;           // the last event was over the limit when first placed
  timestamp refused_at_{};
  bool retried_ = false;  // the last event was placed after the windows it closed
  missed_windows retry_missed_;
};

/// Builds a window runtime of model `Model` for `def`, with `GroupAggregation` for a window
/// that starts with `$group` (made by `make_group(ctx)`) and `BufferAggregation` otherwise.
template <class Model, class GroupAggregation, class BufferAggregation, class PartitionKey,
          class PartitionTraits, class MakeGroup>
std::unique_ptr<typename Model::interface> make_window_runtime_of(
    const std::shared_ptr<const window_definition>& def, const document* event_meta,
    std::optional<duration> partition_idle_timeout, Model model,
    std::shared_ptr<state_budget> budget, const MakeGroup& make_group) {
  auto ctx = std::make_shared<const eval_context>(eval_context{event_meta, nullptr});
  auto make = [&]<class Op>(Op op) -> std::unique_ptr<typename Model::interface> {
    return std::make_unique<window_runtime_impl<Op, Model>>(def, std::move(op), event_meta,
                                                            partition_idle_timeout,
                                                            std::move(model), std::move(budget));
  };
  if (def->kind == window_kind::session) {
    if (def->group) {
      using op = session_window_operator<GroupAggregation, PartitionKey, PartitionTraits>;
      return make(op(make_group(ctx), def->gap));
    }
    using op = session_window_operator<BufferAggregation, PartitionKey, PartitionTraits>;
    return make(op(BufferAggregation{}, def->gap));
  }
  if (def->group) {
    using op = sliced_window_operator<GroupAggregation>;
    return make(op(make_group(ctx), def->sliced));
  }
  using op = sliced_window_operator<BufferAggregation>;
  return make(op(BufferAggregation{}, def->sliced));
}

}  // namespace detail

/// Builds the runtime for a compiled window. `event_meta` points at the metadata object the
/// processor fills for each event (it must outlive the runtime). With a `budget`, the window's
/// estimated state counts in `budget->used`, and a document that would take it over
/// `budget->limit` (when not 0) is refused with a `reel.window.state_limit` error.
inline std::unique_ptr<window_runtime> make_window_runtime(
    std::shared_ptr<const window_definition> def, const document* event_meta,
    std::optional<duration> partition_idle_timeout, window_output output, window_error error = {},
    std::shared_ptr<state_budget> budget = {}) {
  detail::document_window_model model(*def, std::move(output), std::move(error));
  return detail::make_window_runtime_of<detail::document_window_model, group_aggregation,
                                        buffer_aggregation, document, detail::session_key_traits>(
      def, event_meta, partition_idle_timeout, std::move(model), std::move(budget),
      [&](std::shared_ptr<const eval_context> ctx) {
        return group_aggregation(def->group, std::move(ctx));
      });
}

#if defined(REEL_JSON_VALUE_EVAL)
/// `make_window_runtime` on values: events are `bson::value`s, the window keeps owned copies
/// (`value_group_aggregation`, `value_buffer_aggregation`), closed windows come out as values
/// after the inner pipeline ran on them (`apply_value_batch`). Checkpoints are interchangeable
/// with `make_window_runtime`'s. Built in src/json/value_window.cpp.
[[nodiscard]] std::unique_ptr<value_window_runtime> make_value_window_runtime(
    std::shared_ptr<const window_definition> def, const document* event_meta,
    std::optional<duration> partition_idle_timeout, value_window_output output,
    value_window_error error = {}, std::shared_ptr<state_budget> budget = {});
#endif

}  // namespace reel::json
