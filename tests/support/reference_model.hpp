// SPDX-License-Identifier: Apache-2.0
// A brute-force reference model of DESIGN.md §4 for event-time windows, written independently of
// the engine: no panes, no heaps, no incremental aggregates.
//
// - The watermark is replayed in arrival order: per partition the largest event time; the
//   processor watermark is max over time of min over the partitions known so far (a partition
//   is known from its first event on; pushing to partition p makes 0..p known, as the engine
//   numbers partitions densely). The close bound is watermark - allowedLateness.
// - Tumbling / hopping: an event's windows are found by scanning window starts
//   k * hop + offset with start <= t < start + interval. It is accepted in every window whose end
//   is above the close bound when it arrives; the others are "missed". No window: in a gap; all
//   missed: late; some missed: partially late (both dead-lettered with the missed starts).
// - Sessions: per partition key a list of open sessions, each the list of its events; an event
//   joins every session with first - gap < t < last + gap (more than one: they merge); none: a
//   new session, or late when t + gap <= close bound.
// - A window (session) is emitted at the first step where the close bound reaches its end, or
//   at the flush, iff it has at least one accepted event; windows in (end, start, partition key)
//   order, groups in ascending key order. Aggregates are recomputed from the event lists, in
//   arrival order.
//
// Processing time (the `now` of each op) drives the two idle rules. partitionIdleTimeout: on
// advance(), a partition without data for that long is idle and stops holding the watermark back
// until it delivers again (all idle: the largest event time seen). idleTimeout: on advance(), if
// no event arrived for that long (since the last arrival, or since the first advance() when none
// did), the open windows (sessions) ending by now close and the watermark and the close bound
// move to the last one's end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "support/scenario.hpp"

namespace reel_test {

namespace model_detail {

/// Floor division written differently from the engine's (b > 0).
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t r = a % b;
  if (r < 0) r += b;
  return (a - r) / b;
}

struct window_key {
  std::int64_t end, start;
  friend auto operator<=>(const window_key&, const window_key&) = default;
};

/// The results of one window over its accepted events (indices into `events`, in arrival order).
inline void emit_groups(std::vector<out_row>& rows, std::size_t step, std::int64_t start,
                        std::int64_t end, std::optional<std::int64_t> pkey,
                        const std::vector<std::size_t>& arrivals, const std::vector<rev>& events) {
  std::map<std::int64_t, std::vector<std::int64_t>> by_key;  // values in arrival order
  for (std::size_t idx : arrivals)
    by_key[events[idx].key].push_back(events[idx].value);
  for (const auto& [key, values] : by_key) {
    out_row r;
    r.step = step;
    r.start = start;
    r.end = end;
    r.pkey = pkey;
    r.key = key;
    r.v.count = static_cast<std::int64_t>(values.size());
    r.v.min = values.front();
    r.v.max = values.front();
    for (std::int64_t v : values) {
      r.v.sum += v;
      r.v.min = std::min(r.v.min, v);
      r.v.max = std::max(r.v.max, v);
    }
    r.v.first = values.front();
    r.v.last = values.back();
    r.v.pushed = values;
    rows.push_back(std::move(r));
  }
}

}  // namespace model_detail

/// The starts of the windows of `spec` (tumbling or hopping) that contain `t`, ascending.
inline std::vector<std::int64_t> windows_of(const window_spec& spec, std::int64_t t) {
  std::vector<std::int64_t> out;
  for (std::int64_t k = model_detail::floor_div(t - spec.offset, spec.hop);; --k) {
    const std::int64_t start = k * spec.hop + spec.offset;
    if (start + spec.interval <= t) break;
    out.push_back(start);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

inline outcome run_model(const scenario& sc) {
  using namespace model_detail;
  const window_spec& spec = sc.spec;
  outcome out;
  std::vector<std::size_t> arrival(sc.events.size(), 0);

  // Watermarks. Partitions 0..p exist from the first push to p on, each with its largest event
  // time, the processing time of its last delivery (or of its creation) and an idle flag.
  struct partition_state {
    std::optional<std::int64_t> max;
    std::int64_t last_activity = 0;
    bool idle = false;
  };
  std::vector<partition_state> partitions;
  std::optional<std::int64_t> watermark;
  // The close bound: every window (session) ending at or before it has closed. It is the largest
  // of watermark - allowedLateness and the ends of windows closed by the idle timeout.
  std::optional<std::int64_t> bound;
  std::optional<std::int64_t> last_arrival, started;  // processing time, for idleTimeout

  // Tumbling / hopping: accepted events per open window, by (end, start).
  std::map<window_key, std::vector<std::size_t>> windows;
  struct session {
    std::int64_t pkey, first, last;
    std::vector<std::size_t> arrivals;
  };
  std::vector<session> sessions;  // open ones

  auto has_open = [&] {
    return spec.kind == window_kind::session ? !sessions.empty() : !windows.empty();
  };
  // Emits every open window (session) ending at or before `limit`, in (end, start, partition
  // key) order; returns the largest end emitted.
  auto close_until = [&](std::size_t step, std::int64_t limit) {
    std::optional<std::int64_t> last_end;
    if (spec.kind != window_kind::session) {
      for (auto it = windows.begin(); it != windows.end() && it->first.end <= limit;) {
        emit_groups(out.rows, step, it->first.start, it->first.end, std::nullopt, it->second,
                    sc.events);
        last_end = it->first.end;
        it = windows.erase(it);
      }
      return last_end;
    }
    std::vector<session> closing;
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (it->last + spec.gap <= limit) {
        closing.push_back(std::move(*it));
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(closing.begin(), closing.end(), [&](const session& a, const session& b) {
      return std::tuple(a.last + spec.gap, a.first, a.pkey) <
             std::tuple(b.last + spec.gap, b.first, b.pkey);
    });
    for (session& s : closing) {
      std::sort(s.arrivals.begin(), s.arrivals.end(),
                [&](std::size_t a, std::size_t b) { return arrival[a] < arrival[b]; });
      emit_groups(out.rows, step, s.first, s.last + spec.gap, s.pkey, s.arrivals, sc.events);
      last_end = s.last + spec.gap;
    }
    return last_end;
  };
  // The watermark: min over partitions not idle (none if one of them has no data yet), or, when
  // all are idle, the largest event time seen; never lower than before. Then close to it.
  auto update_watermark = [&](std::size_t step) {
    std::optional<std::int64_t> candidate;
    bool any_active = false, blocked = false;
    for (const partition_state& p : partitions) {
      if (p.idle) continue;
      any_active = true;
      if (!p.max) {
        blocked = true;
      } else if (!candidate || *p.max < *candidate) {
        candidate = p.max;
      }
    }
    if (!any_active) {
      candidate.reset();
      for (const partition_state& p : partitions)
        if (p.max && (!candidate || *p.max > *candidate)) candidate = p.max;
    } else if (blocked) {
      candidate.reset();
    }
    if (candidate && (!watermark || *candidate > *watermark)) watermark = candidate;
    if (!watermark) return;
    const std::int64_t b = *watermark - spec.lateness;
    if (!bound || b > *bound) bound = b;
    close_until(step, *bound);
  };

  for (std::size_t step = 0; step < sc.ops.size(); ++step) {
    const stream_op& op = sc.ops[step];
    if (op.what == stream_op::advance) {
      if (!started) started = op.now;
      if (spec.partition_idle_timeout) {
        for (partition_state& p : partitions)
          if (!p.idle && op.now - p.last_activity >= *spec.partition_idle_timeout) p.idle = true;
        update_watermark(step);
      }
      // idleTimeout: nothing delivered for that long closes the open windows ending by now;
      // the watermark and the close bound move to the last one's end.
      const std::int64_t idle_since = last_arrival ? *last_arrival : *started;
      if (spec.idle_timeout && has_open() && op.now - idle_since >= *spec.idle_timeout) {
        if (const auto last_end = close_until(step, op.now)) {
          if (!bound || *last_end > *bound) bound = last_end;
          if (!watermark || *last_end > *watermark) watermark = last_end;
        }
      }
      continue;
    }

    ++out.input;
    const rev& e = sc.events[op.event];
    arrival[op.event] = step;
    last_arrival = op.now;
    while (partitions.size() <= op.partition)
      partitions.push_back({std::nullopt, op.now, false});
    const std::int64_t t = reel::to_millis(e.ts);
    std::vector<std::int64_t> missed;
    bool accepted = false;
    if (spec.kind != window_kind::session) {
      const std::vector<std::int64_t> starts = windows_of(spec, t);
      if (starts.empty()) ++out.in_gap;
      for (std::int64_t start : starts) {
        const std::int64_t end = start + spec.interval;
        if (bound && end <= *bound) {
          missed.push_back(start);
        } else {
          windows[{end, start}].push_back(op.event);
          accepted = true;
        }
      }
    } else {
      std::vector<std::size_t> joins;
      for (std::size_t i = 0; i < sessions.size(); ++i) {
        const session& s = sessions[i];
        if (s.pkey == e.pkey && s.first - spec.gap < t && t < s.last + spec.gap) joins.push_back(i);
      }
      if (joins.empty() && bound && t + spec.gap <= *bound) {
        missed.push_back(t);
      } else {
        session merged{e.pkey, t, t, {op.event}};
        for (auto it = joins.rbegin(); it != joins.rend(); ++it) {
          session& s = sessions[*it];
          merged.first = std::min(merged.first, s.first);
          merged.last = std::max(merged.last, s.last);
          merged.arrivals.insert(merged.arrivals.end(), s.arrivals.begin(), s.arrivals.end());
          sessions.erase(sessions.begin() + static_cast<std::ptrdiff_t>(*it));
        }
        sessions.push_back(std::move(merged));
        accepted = true;
      }
    }
    if (!missed.empty()) {
      if (accepted) {
        ++out.partially_late;
      } else {
        ++out.late;
      }
      ++out.dead_letters;
      out.dead.push_back({step, e.id, t, op.partition, missed});
    }
    partition_state& p = partitions[op.partition];
    p.last_activity = op.now;
    p.idle = false;
    if (!p.max || *p.max < t) p.max = t;
    update_watermark(step);
  }
  close_until(sc.ops.size(), INT64_MAX);
  out.output = out.rows.size();
  return out;
}

}  // namespace reel_test
