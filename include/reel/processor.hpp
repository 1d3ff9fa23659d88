// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::processor`: runs a typed pipeline. The application pushes events
/// (`push(event[, partition])`), tells it about processing time (`advance(now)`), ends the input
/// (`flush()`), and can ask `stats()`, `explain(t)`, and save or restore the whole state
/// (`checkpoint()` / `restore(bytes)`). Events flow through the stages without virtual calls;
/// only the window keeps state.
///
/// **Example**
/// ```cpp
/// reel::manual_clock clock;
/// auto proc = reel::make_processor(pipeline, {.clock = &clock});
/// proc.on_dead_letter([](const reel::dead_letter<ticket>& d) { /* late ticket */ });
/// for (const ticket& t : tickets) proc.push(t);
/// proc.flush();
/// ```
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reel/checkpoint/detail/checksum.hpp"
#include "reel/checkpoint/detail/decode.hpp"
#include "reel/checkpoint/options.hpp"
#include "reel/error.hpp"
#include "reel/pipeline.hpp"
#include "reel/stage/stage_context.hpp"
#include "reel/time.hpp"
#include "reel/watermark/tracker.hpp"
#include "reel/window/sliced_window_operator.hpp"

namespace reel {

struct processor_options {
  /// Where processing time comes from (idle timeouts, processing-time windows, arrival time).
  const reel::clock* clock = &system_clock::instance();
  /// Partitions idle this long stop holding the watermark back (`partitionIdleTimeout`).
  std::optional<duration> partition_idle_timeout{};
  /// A store for `resume()`, `maybe_checkpoint()` and `save_checkpoint()`. The default
  /// fingerprint is the processor's type (stage kinds, event, key and state types): give one
  /// that also covers window sizes and settings when they may change between runs.
  checkpoint_options checkpoint{};
};

/// Counters and state of a processor (`stats()`).
struct processor_stats {
  stage_counters counters;
  std::size_t open_windows = 0;
  std::size_t open_groups = 0;  ///< (key, window or slice) states held
  std::size_t state_bytes = 0;
  std::optional<timestamp> watermark;
  std::optional<std::string> watermark_held_by;  ///< partition holding the watermark back
  std::vector<partition_watermark> partitions;
};

/// Why a window has or has not fired (`explain()`).
struct window_report {
  window_explanation window;
  std::optional<timestamp> watermark;
  std::optional<std::string> watermark_held_by;
  duration allowed_lateness{};
  timestamp closes_at_watermark{};  ///< the watermark at which it closes: end + allowedLateness
  std::optional<timestamp> idle_close_at;  ///< processing time of an idle close, if configured

  /// One paragraph for humans.
  [[nodiscard]] std::string summary() const {
    std::string out =
        fmt::format("window [{}, {}) is {}; {} events in {} groups; ",
                    format_iso8601(window.bounds.start), format_iso8601(window.bounds.end),
                    window.open ? "open" : "closed", window.events, window.groups);
    out += watermark ? fmt::format("watermark {}", format_iso8601(*watermark))
                     : std::string("no watermark yet");
    if (watermark_held_by) out += fmt::format(" (held back by partition '{}')", *watermark_held_by);
    if (window.open) {
      out += fmt::format("; closes when the watermark reaches {}",
                         format_iso8601(closes_at_watermark));
      if (idle_close_at)
        out += fmt::format(" or, if the source stays idle, at {}", format_iso8601(*idle_close_at));
    }
    return out;
  }
};

namespace detail {

template <class In, class... Specs>
struct stage_flow {
  using type = std::tuple<>;
};
template <class In, class S, class... Rest>
struct stage_flow<In, S, Rest...> {
  using runtime = typename S::template runtime<In>;
  using type = decltype(std::tuple_cat(
      std::declval<std::tuple<runtime>>(),
      std::declval<typename stage_flow<typename runtime::output_type, Rest...>::type>()));
};

template <class S>
concept window_stage_spec = requires {
  S::is_window;
};

template <class... Specs>
constexpr std::size_t window_count = (std::size_t{0} + ... + (window_stage_spec<Specs> ? 1 : 0));

template <class... Specs>
constexpr std::size_t window_position() {
  std::size_t index = 0, found = sizeof...(Specs);
  ((window_stage_spec<Specs> && found == sizeof...(Specs) ? (found = index, ++index) : ++index),
   ...);
  return found;
}

template <class... Specs>
constexpr bool ends_with_sink() {
  if constexpr (sizeof...(Specs) == 0) {
    return false;
  } else {
    using last = std::tuple_element_t<sizeof...(Specs) - 1, std::tuple<Specs...>>;
    return requires {
      last::is_sink;
    };
  }
}

template <class Spec>
constexpr bool event_time_window() {
  if constexpr (window_stage_spec<Spec>) {
    return Spec::time_boundary == boundary::event_time;
  } else {
    return false;
  }
}

inline void save_counters(nlohmann::json& j, const stage_counters& c) {
  j = {c.input,        c.output, c.filtered,       c.late,
       c.dead_letters, c.in_gap, c.partially_late, c.out_of_range};
}
inline void load_counters(const nlohmann::json& j, stage_counters& c) {
  // Checkpoints written before `out_of_range` existed have seven counters.
  c = {j.at(0), j.at(1), j.at(2), j.at(3),
       j.at(4), j.at(5), j.at(6), j.size() > 7 ? j.at(7).get<std::uint64_t>() : std::uint64_t{0}};
}

}  // namespace detail

inline constexpr int checkpoint_version = 1;

/// **Thread safety**: none inside; a processor is used by one thread at a time (like a standard
/// container). It starts no threads; push, advance, flush, stats and checkpoints from several
/// threads need the caller's own lock. Distinct processors are independent. See
/// docs/threading.md.
template <class Source, class... Specs>
class processor {
 public:
  using event_type = typename Source::event_type;
  using runtimes = typename detail::stage_flow<event_type, Specs...>::type;
  static constexpr std::size_t stage_count = sizeof...(Specs);
  static constexpr std::size_t window_index = detail::window_position<Specs...>();
  static constexpr bool has_window = window_index < stage_count;
  /// Whether `push_batch` hands whole batches to the window (the first stage, event time).
  static constexpr bool batches_into_window =
      window_index == 0 && Source::has_event_time &&
      requires(std::tuple_element_t<0, runtimes> & w, std::span<const event_type> events,
               std::uint64_t& seq, stage_context& ctx) {
    w.process_batch(
        events, [](const event_type&) { return timestamp{}; }, seq, ctx,
        [](const auto&, timestamp) {});
  };

  static_assert(detail::window_count<Specs...> <= 1,
                "a reel pipeline has at most one window stage");
  static_assert(detail::ends_with_sink<Specs...>(),
                "a reel pipeline must end with a sink: reel::emit or reel::emit_to");
  static_assert(Source::has_event_time || !(detail::event_time_window<Specs>() || ...),
                "an event-time window needs a source with an event-time extractor: "
                "reel::from<T>(reel::event_time(&T::field)), or use reel::processing_time windows");

  explicit processor(pipeline<Source, Specs...> p, processor_options options = {})
      : processor(std::move(p), options, std::index_sequence_for<Specs...>{}) {}

  processor(const processor&) = delete;
  processor& operator=(const processor&) = delete;

  /// Declares a named partition that holds the watermark back until it delivers or goes idle.
  partition_id add_partition(std::string name) {
    if constexpr (has_window) {
      return window().driver.tracker().add_partition(std::move(name),
                                                     needs_now_ ? clock_->now() : min_timestamp);
    } else {
      return 0;
    }
  }

  /// Sets the dead letter handler: late events, with the windows they missed.
  template <class F>
  void on_dead_letter(F handler) {
    static_assert(has_window, "on_dead_letter needs a window stage: only windows reject events");
    window().on_dead_letter = std::move(handler);
  }

  /// Pushes one event from `partition`.
  void push(const event_type& event, partition_id partition = 0) {
    ctx_.partition = partition;
    ctx_.seq = next_seq_++;
    ++ctx_.counters.input;
    timestamp t;
    if (needs_now_) ctx_.now = clock_->now();
    if constexpr (Source::has_event_time) {
      t = source_.time_of(event);
    } else {
      t = needs_now_ ? ctx_.now : clock_->now();
    }
    run<0>(event, t);
  }

  /// Pushes events from `partition`, in order: the same results as pushing them one by one,
  /// except that processing time is read once for the whole batch. Faster when the window is the
  /// first stage: events that land where the previous one did and do not move the watermark skip
  /// the per-event bookkeeping.
  void push_batch(std::span<const event_type> events, partition_id partition = 0) {
    if constexpr (batches_into_window) {
      ctx_.partition = partition;
      ctx_.counters.input += events.size();
      if (needs_now_) ctx_.now = clock_->now();
      window().process_batch(
          events, [this](const event_type& e) { return source_.time_of(e); }, next_seq_, ctx_,
          continuation<window_index + 1>());
    } else {
      for (const event_type& e : events)
        push(e, partition);
    }
  }

  /// Processing time moved to `now` (idle timeouts, processing-time windows).
  void advance(timestamp now) {
    if constexpr (has_window) window().advance(now, continuation<window_index + 1>());
  }
  /// Processing time moved to the clock's `now()`.
  void advance() { advance(clock_->now()); }

  /// End of input: every open window closes and emits.
  void flush() {
    if constexpr (has_window) window().flush(continuation<window_index + 1>());
  }

  [[nodiscard]] processor_stats stats() const {
    processor_stats s;
    s.counters = ctx_.counters;
    if constexpr (has_window) {
      const auto& driver = window().driver;
      s.open_windows = driver.op().open_window_count();
      s.open_groups = driver.op().group_count();
      s.state_bytes = driver.op().state_bytes();
      if (driver.tracker().has_watermark()) s.watermark = driver.tracker().watermark();
      s.partitions = driver.tracker().partitions();
      if (auto holder = driver.tracker().holding_back(); holder && s.partitions.size() > 1) {
        s.watermark_held_by = s.partitions[*holder].name;
      }
    }
    return s;
  }

  /// The window of a tumbling or hopping stage that contains `t` (the latest one for hopping).
  [[nodiscard]] window_report explain(timestamp t) const requires(has_window) {
    return report(window().explain(t));
  }
  /// The open session of `partition_key` containing `t`, if any.
  template <class Key>
  [[nodiscard]] std::optional<window_report> explain(const Key& partition_key, timestamp t) const
      requires(has_window) {
    auto w = window().explain(partition_key, t);
    if (!w) return std::nullopt;
    return report(*w);
  }

  /// With a checkpoint store: restores the newest intact checkpoint and returns the application
  /// state saved with it (where the application's input resumes, how much of its output is
  /// committed), or nullopt when the store holds none (or `fresh` is set). Throws
  /// `reel.checkpoint.other_pipeline` for a checkpoint of another pipeline, and what the store
  /// throws.
  ///
  /// Exactly-once output for an application: save, with every checkpoint, the position of the
  /// next input event and the extent of the committed output; after `resume()`, drop output
  /// beyond that extent and push from that position.
  std::optional<nlohmann::json> resume() {
    checkpoint_store& store = store_or_throw();
    if (options_.fresh) {
      const std::vector<std::uint64_t> versions = store.list();
      if (!versions.empty()) checkpoint_version_ = versions.back();
      last_checkpoint_ = clock_->now();
      return std::nullopt;
    }
    std::optional<stored_checkpoint> latest = store.latest();
    last_checkpoint_ = clock_->now();
    if (!latest) return std::nullopt;
    nlohmann::json j = detail::decode_checkpoint(latest->bytes);
    const std::string theirs = j.is_object() ? j.value("fingerprint", "") : "";
    if (theirs != fingerprint()) {
      throw_error("reel.checkpoint.other_pipeline", store.location(),
                  fmt::format("checkpoint {} was taken by another pipeline (fingerprint '{}', "
                              "this pipeline '{}'); start fresh to discard it",
                              latest->version, theirs, fingerprint()));
    }
    load_state(j);
    checkpoint_version_ = latest->version;
    skipped_ = std::move(latest->skipped);
    return j.value("application", nlohmann::json());
  }

  /// Stores a checkpoint with `application_state` now. Throws what the store throws
  /// (`reel.checkpoint.write_failed`): the application must stop rather than go on.
  void save_checkpoint(const nlohmann::json& application_state = nullptr) {
    checkpoint_store& store = store_or_throw();
    nlohmann::json j = state_json();
    j["fingerprint"] = fingerprint();
    j["application"] = application_state;
    const std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(j);
    store.put(checkpoint_version_ + 1,
              std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    ++checkpoint_version_;
    last_checkpoint_ = clock_->now();
  }

  /// Stores a checkpoint when `checkpoint.interval` of processing time passed since the last
  /// one (or since `resume()`); true when it did. Call it between batches, with the state of
  /// what the application has pushed and committed so far.
  bool maybe_checkpoint(const nlohmann::json& application_state = nullptr) {
    const timestamp now = clock_->now();
    if (last_checkpoint_ != min_timestamp && now - last_checkpoint_ < options_.interval)
      return false;
    save_checkpoint(application_state);
    return true;
  }

  /// Newer checkpoints `resume()` passed over because they were damaged.
  [[nodiscard]] const std::vector<std::string>& skipped_checkpoints() const noexcept {
    return skipped_;
  }
  /// The fingerprint stored in checkpoints (`checkpoint.fingerprint`, else the processor type).
  [[nodiscard]] std::string fingerprint() const {
    if (!options_.fingerprint.empty()) return options_.fingerprint;
    return fmt::format("{:016x}", detail::fnv1a64(typeid(processor).name()));
  }

  /// The whole state (open windows and aggregates, watermarks, idleness timers, counters), as
  /// versioned bytes (MessagePack). Keys and states must convert to and from `nlohmann::json`.
  [[nodiscard]] std::string checkpoint() const {
    const std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(state_json());
    return std::string(bytes.begin(), bytes.end());
  }

  /// Restores a checkpoint taken from a processor with the same pipeline. Throws
  /// `reel.checkpoint.invalid` for bytes that are not a checkpoint of a compatible version.
  void restore(std::string_view bytes) { load_state(detail::decode_checkpoint(bytes)); }

 private:
  checkpoint_store& store_or_throw() const {
    if (!options_.store) {
      throw_error("reel.processor.no_checkpoint_store", "",
                  "processor_options::checkpoint.store is not set");
    }
    return *options_.store;
  }

  nlohmann::json state_json() const {
    nlohmann::json counters;
    detail::save_counters(counters, ctx_.counters);
    nlohmann::json j = {{"format", "reel.checkpoint"},
                        {"version", checkpoint_version},
                        {"seq", next_seq_},
                        {"counters", counters}};
    if constexpr (has_window) j["window"] = window().driver.save();
    return j;
  }

  void load_state(const nlohmann::json& j) {
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != "reel.checkpoint") {
      throw_error("reel.checkpoint.invalid", "", "not a reel checkpoint");
    }
    if (j.value("version", 0) != checkpoint_version) {
      throw_error("reel.checkpoint.invalid", "",
                  fmt::format("checkpoint version {} is not supported (expected {})",
                              j.value("version", 0), checkpoint_version));
    }
    try {
      next_seq_ = j.at("seq").get<std::uint64_t>();
      detail::load_counters(j.at("counters"), ctx_.counters);
      if constexpr (has_window) window().driver.load(j.at("window"));
    } catch (const nlohmann::json::exception& e) {
      throw_error("reel.checkpoint.invalid", "", fmt::format("malformed checkpoint: {}", e.what()));
    }
  }

  template <std::size_t... I>
  processor(pipeline<Source, Specs...> p, processor_options options, std::index_sequence<I...>)
      : source_(std::move(p.source)),
        stages_(make_runtime<I>(std::get<I>(p.stages), options)...),
        clock_(options.clock),
        options_(std::move(options.checkpoint)) {
    if constexpr (has_window) needs_now_ = window().driver.needs_processing_time();
  }

  template <std::size_t I, class Spec>
  static auto make_runtime(const Spec& spec, const processor_options& options) {
    using runtime = std::tuple_element_t<I, runtimes>;
    if constexpr (detail::window_stage_spec<Spec>) {
      return runtime(spec, options.partition_idle_timeout);
    } else {
      return runtime(spec);
    }
  }

  auto& window() { return std::get<window_index>(stages_); }
  const auto& window() const { return std::get<window_index>(stages_); }

  template <std::size_t I>
  auto continuation() {
    return [this](const auto& out, timestamp t) { run<I>(out, t); };
  }

  template <std::size_t I, class E>
  void run(const E& e, timestamp t) {
    if constexpr (I < stage_count) std::get<I>(stages_).process(e, t, ctx_, continuation<I + 1>());
  }

  window_report report(const window_explanation& w) const {
    const auto& driver = window().driver;
    window_report r;
    r.window = w;
    if (driver.tracker().has_watermark()) r.watermark = driver.tracker().watermark();
    const auto& parts = driver.tracker().partitions();
    if (auto holder = driver.tracker().holding_back(); holder && parts.size() > 1)
      r.watermark_held_by = parts[*holder].name;
    r.allowed_lateness =
        driver.processing_time_windows() ? duration{0} : driver.policy().allowed_lateness;
    r.closes_at_watermark = w.bounds.end + r.allowed_lateness;
    r.idle_close_at = driver.idle_close_time(w.bounds.end);
    return r;
  }

  Source source_;
  std::uint64_t next_seq_ = 0;  // not next to ctx_.seq: the two stores would be vectorised (slower)
  runtimes stages_;
  const clock* clock_;
  stage_context ctx_;
  bool needs_now_ = false;
  checkpoint_options options_;
  std::uint64_t checkpoint_version_ = 0;
  timestamp last_checkpoint_ = min_timestamp;
  std::vector<std::string> skipped_;
};

/// Instantiates a pipeline.
template <class Source, class... Specs>
processor<Source, Specs...> make_processor(pipeline<Source, Specs...> p,
                                           processor_options options = {}) {
  return processor<Source, Specs...>(std::move(p), options);
}

/// Runs a pipeline over a finite range of events (all in partition 0), then flushes.
/// Returns the final statistics.
template <class Source, class... Specs, class Range>
processor_stats run(pipeline<Source, Specs...> p, const Range& events,
                    processor_options options = {}) {
  processor<Source, Specs...> proc(std::move(p), options);
  for (const auto& e : events)
    proc.push(e);
  proc.flush();
  return proc.stats();
}

}  // namespace reel
