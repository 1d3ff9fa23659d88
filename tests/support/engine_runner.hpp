// SPDX-License-Identifier: Apache-2.0
// Runs a `reel_test::scenario` through the real engine (a typed processor with
// `model_group()`), recording what comes out in the comparable `outcome` form. Optionally
// checkpoints after a given number of ops, restores into a fresh processor and carries on there.
#pragma once

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <reel/reel.hpp>

#include "support/scenario.hpp"

namespace reel_test {

/// sum, count, min, max, first, last, push of `rev::value`, grouped by `rev::key`.
inline auto model_group() {
  return reel::group(&rev::key, reel::sum(&rev::value), reel::count(), reel::min(&rev::value),
                     reel::max(&rev::value), reel::first(&rev::value), reel::last(&rev::value),
                     reel::push(&rev::value));
}

struct run_recorder {
  outcome out;
  std::size_t step = 0;
};

/// The sink: records each result with the current step.
struct recording_sink {
  run_recorder* rec;
  template <class Result>
  void operator()(const Result& r) const {
    out_row row;
    row.step = rec->step;
    row.start = reel::to_millis(r.start);
    row.end = reel::to_millis(r.end);
    if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(r.partition)>, reel::no_partition>)
      row.pkey = r.partition;
    row.key = r.key;
    const auto& [sum, count, min, max, first, last, pushed] = r.values;
    row.v = {sum, count, min, max, first, last, pushed};
    rec->out.rows.push_back(std::move(row));
  }
};

/// Calls `f(make)` with `make()` building the scenario's pipeline (a fresh one per call).
template <class F>
void with_pipeline(const window_spec& w, recording_sink sink, F&& f) {
  using reel::duration;
  const std::optional<duration> idle =
      w.idle_timeout ? std::optional<duration>(duration{*w.idle_timeout}) : std::nullopt;
  switch (w.kind) {
    case window_kind::tumbling:
      f([=] {
        return reel::from<rev>(reel::event_time(&rev::ts)) |
               reel::tumbling_window({.interval = duration{w.interval},
                                      .offset = duration{w.offset},
                                      .allowed_lateness = duration{w.lateness},
                                      .idle_timeout = idle},
                                     model_group()) |
               reel::emit(sink);
      });
      break;
    case window_kind::hopping:
      f([=] {
        return reel::from<rev>(reel::event_time(&rev::ts)) |
               reel::hopping_window({.interval = duration{w.interval},
                                     .hop = duration{w.hop},
                                     .offset = duration{w.offset},
                                     .allowed_lateness = duration{w.lateness},
                                     .idle_timeout = idle},
                                    model_group()) |
               reel::emit(sink);
      });
      break;
    case window_kind::session:
      f([=] {
        return reel::from<rev>(reel::event_time(&rev::ts)) |
               reel::session_window({.gap = duration{w.gap},
                                     .allowed_lateness = duration{w.lateness},
                                     .idle_timeout = idle},
                                    &rev::pkey, model_group()) |
               reel::emit(sink);
      });
      break;
  }
}

/// Compares the parts of two `stats()` that a checkpoint must carry ("" when equal).
inline std::string stats_diff(const reel::processor_stats& a, const reel::processor_stats& b) {
  std::ostringstream s;
  const auto& ca = a.counters;
  const auto& cb = b.counters;
  if (std::tie(ca.input, ca.output, ca.filtered, ca.late, ca.dead_letters, ca.in_gap,
               ca.partially_late) != std::tie(cb.input, cb.output, cb.filtered, cb.late,
                                              cb.dead_letters, cb.in_gap, cb.partially_late))
    s << "counters differ; ";
  if (a.open_windows != b.open_windows)
    s << "open_windows " << a.open_windows << " vs " << b.open_windows << "; ";
  if (a.open_groups != b.open_groups)
    s << "open_groups " << a.open_groups << " vs " << b.open_groups << "; ";
  if (a.watermark != b.watermark) s << "watermark differs; ";
  if (a.watermark_held_by != b.watermark_held_by) s << "watermark_held_by differs; ";
  if (a.partitions.size() != b.partitions.size()) {
    s << "partition count " << a.partitions.size() << " vs " << b.partitions.size() << "; ";
  } else {
    for (std::size_t i = 0; i < a.partitions.size(); ++i) {
      const auto& p = a.partitions[i];
      const auto& q = b.partitions[i];
      if (std::tie(p.name, p.watermark, p.last_activity, p.idle, p.events) !=
          std::tie(q.name, q.watermark, q.last_activity, q.idle, q.events))
        s << "partition " << i << " differs; ";
    }
  }
  return s.str();
}

struct engine_run_options {
  /// After each of these many ops (0 to ops.size(), ascending): checkpoint, then continue in a
  /// fresh processor restored from it.
  std::vector<std::size_t> checkpoints_after;
  /// How a restored processor's stats differed from the original's at a checkpoint ("" when
  /// they always matched).
  std::string* restore_mismatch = nullptr;
  /// Receives the final `stats()` (after the flush).
  reel::processor_stats* final_stats = nullptr;
  /// Receives a checkpoint taken after the last op, before the flush.
  std::string* last_checkpoint = nullptr;
  /// Pushes each run of consecutive push ops with the same partition and processing time with
  /// one `push_batch` call (checkpoints then fall only between runs).
  bool batches = false;
};

inline outcome run_engine(const scenario& sc, const engine_run_options& options = {}) {
  run_recorder rec;
  with_pipeline(sc.spec, recording_sink{&rec}, [&](auto make) {
    reel::manual_clock clock;
    reel::processor_options popts{.clock = &clock};
    if (sc.spec.partition_idle_timeout)
      popts.partition_idle_timeout = reel::duration{*sc.spec.partition_idle_timeout};
    using processor_type = decltype(reel::make_processor(make(), popts));
    std::optional<processor_type> proc;
    proc.emplace(make(), popts);
    auto attach_dlq = [&](processor_type& p) {
      p.on_dead_letter([&rec](const reel::dead_letter<rev>& d) {
        std::vector<std::int64_t> missed;
        for (reel::timestamp s : d.missed_window_starts)
          missed.push_back(reel::to_millis(s));
        rec.out.dead.push_back(
            {rec.step, d.event.id, reel::to_millis(d.event_time), d.partition, std::move(missed)});
      });
    };
    attach_dlq(*proc);
    auto maybe_checkpoint = [&](std::size_t i) {
      for (std::size_t cut : options.checkpoints_after) {
        if (cut != i) continue;
        const reel::processor_stats before = proc->stats();
        const std::string bytes = proc->checkpoint();
        proc.reset();
        proc.emplace(make(), popts);
        attach_dlq(*proc);
        proc->restore(bytes);
        if (options.restore_mismatch)
          *options.restore_mismatch += stats_diff(before, proc->stats());
      }
    };
    std::vector<rev> batch;
    for (std::size_t i = 0; i < sc.ops.size(); ++i) {
      maybe_checkpoint(i);
      const stream_op& op = sc.ops[i];
      rec.step = i;
      clock.set(reel::from_millis(op.now));
      if (op.what == stream_op::push && options.batches) {
        batch.assign(1, sc.events[op.event]);
        for (; i + 1 < sc.ops.size(); ++i) {
          const stream_op& next = sc.ops[i + 1];
          if (next.what != stream_op::push || next.partition != op.partition || next.now != op.now)
            break;
          batch.push_back(sc.events[next.event]);
        }
        proc->push_batch(batch, op.partition);
      } else if (op.what == stream_op::push) {
        proc->push(sc.events[op.event], op.partition);
      } else {
        proc->advance();
      }
    }
    maybe_checkpoint(sc.ops.size());
    if (options.last_checkpoint) *options.last_checkpoint = proc->checkpoint();
    rec.step = sc.ops.size();
    proc->flush();
    const reel::processor_stats s = proc->stats();
    rec.out.input = s.counters.input;
    rec.out.output = s.counters.output;
    rec.out.late = s.counters.late;
    rec.out.partially_late = s.counters.partially_late;
    rec.out.in_gap = s.counters.in_gap;
    rec.out.dead_letters = s.counters.dead_letters;
    if (options.final_stats) *options.final_stats = s;
  });
  return std::move(rec.out);
}

}  // namespace reel_test
