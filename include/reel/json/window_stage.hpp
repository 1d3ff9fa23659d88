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

/// The running window of a JSON pipeline.
class window_runtime {
 public:
  virtual ~window_runtime() = default;
  /// Places `doc` (event time `t`, from `partition`, processing time `now`); `meta` is the
  /// stream metadata the inner expressions see. Closes what the new watermark allows.
  virtual placement on_event(const document& doc, timestamp t, partition_id partition,
                             timestamp now, std::uint64_t seq) = 0;
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
  [[nodiscard]] virtual std::optional<window_explanation> explain(const document& partition,
                                                                  timestamp t) const = 0;
  [[nodiscard]] virtual std::optional<timestamp> idle_close_time(timestamp end) const = 0;
  [[nodiscard]] virtual bool needs_processing_time() const = 0;
  [[nodiscard]] virtual nlohmann::json save() const = 0;
  virtual void load(const nlohmann::json& j) = 0;
};

namespace detail {

template <class Operator>
class window_runtime_impl final : public window_runtime {
 public:
  window_runtime_impl(std::shared_ptr<const window_definition> def, Operator op,
                      const document* event_meta, std::optional<duration> partition_idle_timeout,
                      window_output output, window_error error,
                      std::shared_ptr<state_budget> budget)
      : def_(std::move(def)),
        driver_(std::move(op), def_->policy, partition_idle_timeout),
        event_meta_(event_meta),
        output_(std::move(output)),
        error_(std::move(error)),
        budget_(std::move(budget)) {}
  ~window_runtime_impl() override {
    if (budget_) budget_->used -= counted_bytes_;
  }
  window_runtime_impl(const window_runtime_impl&) = delete;
  window_runtime_impl& operator=(const window_runtime_impl&) = delete;

  placement on_event(const document& doc, timestamp t, partition_id partition, timestamp now,
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
  [[gnu::noinline]] placement place_held_back(const document& doc, std::uint64_t seq) {
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

  placement add(const document& doc, timestamp at, std::uint64_t seq, missed_windows& missed) {
    if constexpr (is_session) {
      document key = def_->partition_by->evaluate(doc, eval_context{event_meta_, nullptr});
      if (is_missing(key)) key = nullptr;
      return driver_.op().add(key, doc, at, seq, missed);
    } else {
      return driver_.op().add(doc, at, seq, missed);
    }
  }

  /// The bytes the prepared document would add at time `at`: an existing group of a tumbling
  /// or hopping window is looked up (sessions count every document as a new group).
  std::size_t prepared_bytes(timestamp at) const {
    const aggregation& agg = driver_.op().aggregation();
    if constexpr (std::is_same_v<aggregation, group_aggregation> && !is_session) {
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
    if constexpr (std::is_same_v<aggregation, group_aggregation>) {
      return driver_.op().group_count();
    } else {
      return 0;
    }
  }
  std::size_t buffered_documents() const override {
    if constexpr (std::is_same_v<aggregation, buffer_aggregation>) {
      return driver_.op().aggregation().held_documents();
    } else {
      return 0;
    }
  }
  std::optional<window_explanation> explain(const document& partition, timestamp t) const override {
    if constexpr (is_session) {
      return driver_.op().explain(partition, t);
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
      return [this](const window_bounds& b, const document& pkey, const auto& entries) {
        close(b, pkey, entries);
      };
    } else {
      return [this](const window_bounds& b, const auto& entries) { close(b, null_ref(), entries); };
    }
  }
  static const document& null_ref() {
    static const document n = nullptr;
    return n;
  }

  template <class Entries>
  void close(const window_bounds& b, const document& partition, const Entries& entries) {
    const document start = make_date(b.start);
    const document end = make_date(b.end);
    document meta = {{"window", {{"start", start}, {"end", end}}}};
    if constexpr (is_session) meta["window"]["partition"] = partition;
    std::vector<document> docs;
    const aggregation& agg = driver_.op().aggregation();
    if constexpr (std::is_same_v<aggregation, group_aggregation>) {
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
    for (const auto& stage : def_->at_close) {
      if (docs.empty()) break;
      run_at_close(*stage, docs, ctx);
    }
    if (!docs.empty()) output_(b, partition, std::move(docs));
  }

  /// Runs one stage of the inner pipeline on a closing window; a document that fails goes to
  /// `error_` (without one, the error propagates) and the others go on.
  void run_at_close(const document_stage& stage, std::vector<document>& docs,
                    const eval_context& ctx) {
    auto report = [&](const document& d, const reel::error& e) {
      if (!error_) throw e;
      error_(stage.operator_name(), e.message(), d);
    };
    if (const auto* g = dynamic_cast<const group_stage*>(&stage)) {
      g->apply_batch(docs, ctx, report);
    } else if (!stage.is_batch_only()) {
      std::vector<document> out;
      out.reserve(docs.size());
      for (document& d : docs) {
        const std::size_t before = out.size();
        try {
          stage.apply(std::move(d), ctx, out);  // leaves `d` as it was when it throws
        } catch (const reel::error& e) {
          out.resize(before);
          report(d, e);
        }
      }
      docs = std::move(out);
    } else {
      try {
        stage.apply_batch(docs, ctx);
      } catch (const reel::error& e) {
        for (const document& d : docs)
          report(d, e);
        docs.clear();
      }
    }
  }

  std::shared_ptr<const window_definition> def_;
  window_driver<Operator> driver_;
  const document* event_meta_;
  window_output output_;
  window_error error_;
  std::shared_ptr<state_budget> budget_;
  std::size_t counted_bytes_ = 0;  // this window's part of budget_->used
  bool refused_ = false;           // the last event was over the limit when first placed
  timestamp refused_at_{};
  bool retried_ = false;  // the last event was placed after the windows it closed
  missed_windows retry_missed_;
};

}  // namespace detail

/// Builds the runtime for a compiled window. `event_meta` points at the metadata object the
/// processor fills for each event (it must outlive the runtime). With a `budget`, the window's
/// estimated state counts in `budget->used`, and a document that would take it over
/// `budget->limit` (when not 0) is refused with a `reel.window.state_limit` error.
inline std::unique_ptr<window_runtime> make_window_runtime(
    std::shared_ptr<const window_definition> def, const document* event_meta,
    std::optional<duration> partition_idle_timeout, window_output output, window_error error = {},
    std::shared_ptr<state_budget> budget = {}) {
  auto ctx = std::make_shared<const eval_context>(eval_context{event_meta, nullptr});
  auto make = [&]<class Op>(Op op) -> std::unique_ptr<window_runtime> {
    return std::make_unique<detail::window_runtime_impl<Op>>(
        def, std::move(op), event_meta, partition_idle_timeout, std::move(output), std::move(error),
        std::move(budget));
  };
  if (def->kind == window_kind::session) {
    if (def->group) {
      using op = session_window_operator<group_aggregation, document, detail::session_key_traits>;
      return make(op(group_aggregation(def->group, ctx), def->gap));
    }
    using op = session_window_operator<buffer_aggregation, document, detail::session_key_traits>;
    return make(op(buffer_aggregation{}, def->gap));
  }
  if (def->group) {
    using op = sliced_window_operator<group_aggregation>;
    return make(op(group_aggregation(def->group, ctx), def->sliced));
  }
  using op = sliced_window_operator<buffer_aggregation>;
  return make(op(buffer_aggregation{}, def->sliced));
}

}  // namespace reel::json
