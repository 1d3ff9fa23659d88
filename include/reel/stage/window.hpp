// SPDX-License-Identifier: Apache-2.0
/// \file
/// The typed window stages: `reel::tumbling_window`, `reel::hopping_window`,
/// `reel::session_window`, each with an inner `reel::group`. Event-time windows need a source
/// with `reel::event_time`; pass `reel::processing_time` first for processing-time windows.
///
/// **Example**
/// ```cpp
/// using namespace std::chrono_literals;
/// reel::tumbling_window({.interval = 30s, .allowed_lateness = 1min},
///                       reel::group(&ticket::movie, reel::sum(&ticket::amount)))
/// reel::hopping_window({.interval = 20min, .hop = 10min}, reel::group(&ticket::movie,
/// reel::sum(&ticket::count))) reel::session_window({.gap = 5min}, &ticket::customer,
/// reel::group_all(reel::count())) reel::tumbling_window(reel::processing_time, {.interval = 1s},
/// reel::group_all(reel::count()))
/// ```
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "reel/aggregate/group.hpp"
#include "reel/stage/stage_context.hpp"
#include "reel/window/options.hpp"
#include "reel/window/session_window_operator.hpp"
#include "reel/window/sliced_window_operator.hpp"
#include "reel/window/window_driver.hpp"
#include "reel/window/window_result.hpp"

namespace reel {

struct processing_time_t {
  explicit processing_time_t() = default;
};
/// Tag: the window uses processing time (`boundary: "processingTime"`).
inline constexpr processing_time_t processing_time{};

namespace detail {

/// Shared by the window runtimes: dead-letter routing and counting of late and gap events.
template <class In>
struct window_stage_base {
  std::function<void(const dead_letter<In>&)> on_dead_letter;
  std::string operator_name;

  /// Whether `t` is outside the valid event-time range; if so, the event is counted and handed
  /// to the dead letter handler with `reel.event_time.out_of_range` (it reaches no window).
  bool rejects_time(const In& e, timestamp t, stage_context& ctx) {
    if (is_valid_event_time(t)) [[likely]]
      return false;
    ++ctx.counters.out_of_range;
    if (on_dead_letter) {
      ++ctx.counters.dead_letters;
      on_dead_letter(dead_letter<In>{
          e, t, ctx.partition, operator_name, event_time_out_of_range_reason(t), {}});
    }
    return true;
  }

  void account(placement where, const missed_windows& missed, const In& e, timestamp t,
               stage_context& ctx) {
    if (where == placement::accepted && missed.empty()) [[likely]]
      return;
    reject(where, missed, e, t, ctx);
  }

 private:
  /// Late, partially late and in-gap events: counted, and handed to the dead letter handler.
  [[gnu::noinline]] void reject(placement where, const missed_windows& missed, const In& e,
                                timestamp t, stage_context& ctx) {
    if (where == placement::in_gap) {
      ++ctx.counters.in_gap;
      return;
    }
    if (where == placement::late) {
      ++ctx.counters.late;
    } else {
      ++ctx.counters.partially_late;
    }
    if (on_dead_letter) {
      ++ctx.counters.dead_letters;
      on_dead_letter(
          dead_letter<In>{e, t, ctx.partition, operator_name, late_event_reason, missed.starts});
    }
  }
};

/// Processing-time windows close when the clock passes their end: lateness and idleness do not
/// apply (as Atlas refuses `allowedLateness` and `idleTimeout` with `boundary: processingTime`).
template <class Options>
void check_processing_time_options(const Options& options) {
  if (options.allowed_lateness) {
    throw_error("reel.window.invalid_option", "",
                "allowedLateness cannot be used with processing-time windows");
  }
  if (options.idle_timeout) {
    throw_error("reel.window.invalid_option", "",
                "idleTimeout cannot be used with processing-time windows");
  }
}

}  // namespace detail

template <boundary B, class Options, class GroupSpec>
struct sliced_window_spec {
  static constexpr bool is_stage = true;
  static constexpr bool is_window = true;
  static constexpr boundary time_boundary = B;
  Options options;
  GroupSpec group;
  const char* name;

  template <class In>
  struct runtime : detail::window_stage_base<In> {
    using aggregation_type = decltype(std::declval<const GroupSpec&>().template bind<In>());
    using operator_type = sliced_window_operator<aggregation_type>;
    using output_type =
        window_result<typename aggregation_type::key_type, typename aggregation_type::result_type>;
    window_driver<operator_type> driver;

    runtime(const sliced_window_spec& spec, std::optional<duration> partition_idle_timeout)
        : driver(operator_type(spec.group.template bind<In>(), to_sliced(spec.options)),
                 to_close_policy(spec.options, B), partition_idle_timeout) {
      this->operator_name = spec.name;
    }

    template <class Next>
    auto emitter(Next& next) {
      return [this, &next](const window_bounds& b, const auto& entries) {
        for (const auto& en : entries) {
          next(output_type{b.start, b.end, *en.key, driver.op().aggregation().result(*en.state)},
               b.end);
        }
      };
    }
    template <class Next>
    void process(const In& e, timestamp t, stage_context& ctx, Next&& next) {
      if (this->rejects_time(e, t, ctx)) return;
      const placement where = driver.on_event(
          ctx.partition, t, ctx.now,
          [&](timestamp at, missed_windows& missed) {
            return driver.op().add(e, at, ctx.seq, missed);
          },
          emitter(next));
      this->account(where, driver.missed(), e, t, ctx);
    }
    /// Events of one partition, all at processing time `ctx.now`, the window being the first
    /// stage: those that land in the pane of the previous event and do not move the watermark
    /// take a tight loop; the others `process`. Same results as `process` one by one.
    template <class TimeOf, class Next>
    void process_batch(std::span<const In> events, TimeOf&& time_of, std::uint64_t& next_seq,
                       stage_context& ctx, Next&& next) {
      std::uint64_t fast = 0;
      std::pair<std::int64_t, std::int64_t> range{0, 0};
      if constexpr (B == boundary::event_time) range = driver.fast_range(ctx.partition);
      for (const In& e : events) {
        const timestamp t = time_of(e);
        const std::int64_t ms = to_millis(t);
        if (ms >= range.first && ms < range.second) [[likely]] {
          driver.op().add_to_fast_pane(e, next_seq++);
          ++fast;
          continue;
        }
        if (fast != 0) driver.count_fast_events(ctx.partition, std::exchange(fast, 0), ctx.now);
        ctx.seq = next_seq++;
        process(e, t, ctx, next);
        if constexpr (B == boundary::event_time) range = driver.fast_range(ctx.partition);
      }
      if (fast != 0) driver.count_fast_events(ctx.partition, fast, ctx.now);
    }
    template <class Next>
    void advance(timestamp now, Next&& next) {
      driver.advance(now, emitter(next));
    }
    template <class Next>
    void flush(Next&& next) {
      driver.flush(emitter(next));
    }
    window_explanation explain(timestamp t) const { return driver.op().explain(t); }
  };
};

template <boundary B, class Options, class PartitionProj, class GroupSpec>
struct session_window_spec {
  static constexpr bool is_stage = true;
  static constexpr bool is_window = true;
  static constexpr boundary time_boundary = B;
  Options options;
  PartitionProj partition_by;
  GroupSpec group;

  template <class In>
  struct runtime : detail::window_stage_base<In> {
    static_assert(key_projection<PartitionProj, In>,
                  "reel::session_window: the partition key must be hashable (std::hash) and "
                  "ordered (operator<)");
    using aggregation_type = decltype(std::declval<const GroupSpec&>().template bind<In>());
    using partition_type = projected_t<PartitionProj, In>;
    using operator_type = session_window_operator<aggregation_type, partition_type>;
    using output_type = window_result<typename aggregation_type::key_type,
                                      typename aggregation_type::result_type, partition_type>;
    PartitionProj partition_by;
    window_driver<operator_type> driver;

    runtime(const session_window_spec& spec, std::optional<duration> partition_idle_timeout)
        : partition_by(spec.partition_by),
          driver(operator_type(spec.group.template bind<In>(), spec.options.gap),
                 to_close_policy(spec.options, B), partition_idle_timeout) {
      this->operator_name = "SessionWindowOperator";
    }

    template <class Next>
    auto emitter(Next& next) {
      return
          [this, &next](const window_bounds& b, const partition_type& pkey, const auto& entries) {
            for (const auto& en : entries) {
              next(output_type{b.start, b.end, *en.key, driver.op().aggregation().result(*en.state),
                               pkey},
                   b.end);
            }
          };
    }
    template <class Next>
    void process(const In& e, timestamp t, stage_context& ctx, Next&& next) {
      if (this->rejects_time(e, t, ctx)) return;
      const placement where = driver.on_event(
          ctx.partition, t, ctx.now,
          [&](timestamp at, missed_windows& missed) {
            return driver.op().add(std::invoke(partition_by, e), e, at, ctx.seq, missed);
          },
          emitter(next));
      this->account(where, driver.missed(), e, t, ctx);
    }
    template <class Next>
    void advance(timestamp now, Next&& next) {
      driver.advance(now, emitter(next));
    }
    template <class Next>
    void flush(Next&& next) {
      driver.flush(emitter(next));
    }
    std::optional<window_explanation> explain(const partition_type& pkey, timestamp t) const {
      return driver.op().explain(pkey, t);
    }
  };
};

template <class GroupSpec>
sliced_window_spec<boundary::event_time, tumbling_options, GroupSpec> tumbling_window(
    tumbling_options options, GroupSpec group) {
  to_sliced(options).validate();
  return {options, std::move(group), "TumblingWindowOperator"};
}
template <class GroupSpec>
sliced_window_spec<boundary::processing_time, tumbling_options, GroupSpec> tumbling_window(
    processing_time_t, tumbling_options options, GroupSpec group) {
  to_sliced(options).validate();
  detail::check_processing_time_options(options);
  return {options, std::move(group), "TumblingWindowOperator"};
}
template <class GroupSpec>
sliced_window_spec<boundary::event_time, hopping_options, GroupSpec> hopping_window(
    hopping_options options, GroupSpec group) {
  to_sliced(options).validate();
  check_windows_per_event(options);
  return {options, std::move(group), "HoppingWindowOperator"};
}
template <class GroupSpec>
sliced_window_spec<boundary::processing_time, hopping_options, GroupSpec> hopping_window(
    processing_time_t, hopping_options options, GroupSpec group) {
  to_sliced(options).validate();
  check_windows_per_event(options);
  detail::check_processing_time_options(options);
  return {options, std::move(group), "HoppingWindowOperator"};
}
template <class PartitionProj, class GroupSpec>
session_window_spec<boundary::event_time, session_options, PartitionProj, GroupSpec> session_window(
    session_options options, PartitionProj partition_by, GroupSpec group) {
  if (options.gap.count() <= 0)
    throw_error("reel.window.invalid_option", "", "gap must be a positive duration");
  return {options, std::move(partition_by), std::move(group)};
}
template <class PartitionProj, class GroupSpec>
session_window_spec<boundary::processing_time, session_options, PartitionProj, GroupSpec>
session_window(processing_time_t, session_options options, PartitionProj partition_by,
               GroupSpec group) {
  if (options.gap.count() <= 0)
    throw_error("reel.window.invalid_option", "", "gap must be a positive duration");
  detail::check_processing_time_options(options);
  return {options, std::move(partition_by), std::move(group)};
}

}  // namespace reel
