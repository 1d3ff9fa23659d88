// SPDX-License-Identifier: Apache-2.0
// Random streams for the engine's property tests: a window spec, events, and the operations
// (push on a partition, or advance processing time) in arrival order, plus the comparable record
// of what a run produced (results with the step at which they were emitted, dead letters,
// counters). Used by the reference model (reference_model.hpp) and the engine runner
// (engine_runner.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <reel/reel.hpp>

namespace reel_test {

/// The event of the random streams: `key` groups inside a window, `pkey` partitions sessions.
struct rev {
  std::int64_t id = 0;
  std::int64_t key = 0;
  std::int64_t value = 0;
  std::int64_t pkey = 0;
  reel::timestamp ts{};
};

enum class window_kind { tumbling, hopping, session };

inline const char* to_string(window_kind k) {
  switch (k) {
    case window_kind::tumbling:
      return "tumbling";
    case window_kind::hopping:
      return "hopping";
    case window_kind::session:
      return "session";
  }
  return "?";
}

/// A window definition, in milliseconds.
struct window_spec {
  window_kind kind = window_kind::tumbling;
  std::int64_t interval = 10;  ///< tumbling / hopping
  std::int64_t hop = 10;       ///< hopping
  std::int64_t offset = 0;     ///< tumbling / hopping
  std::int64_t gap = 10;       ///< session
  std::int64_t lateness = 0;
  std::optional<std::int64_t> idle_timeout;            ///< the window's idleTimeout
  std::optional<std::int64_t> partition_idle_timeout;  ///< processor_options
};

struct stream_op {
  enum kind_t { push, advance } what = push;
  std::size_t event = 0;             ///< push: index into `events`
  reel::partition_id partition = 0;  ///< push
  std::int64_t now = 0;              ///< processing time of the op (ms), both kinds
};

struct scenario {
  window_spec spec;
  std::vector<rev> events;  ///< events[i].id == i
  std::vector<stream_op> ops;

  [[nodiscard]] std::string describe() const {
    std::ostringstream s;
    s << to_string(spec.kind) << " interval=" << spec.interval << " hop=" << spec.hop
      << " offset=" << spec.offset << " gap=" << spec.gap << " lateness=" << spec.lateness;
    if (spec.idle_timeout) s << " idleTimeout=" << *spec.idle_timeout;
    if (spec.partition_idle_timeout) s << " partitionIdleTimeout=" << *spec.partition_idle_timeout;
    s << "\nops (push id:t@partition/key/pkey=value, or advance(now)):";
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const stream_op& o = ops[i];
      s << (i % 8 == 0 ? "\n  " : " ") << i << ")";
      if (o.what == stream_op::push) {
        const rev& e = events[o.event];
        s << e.id << ":" << reel::to_millis(e.ts) << "@" << o.partition << "/" << e.key << "/"
          << e.pkey << "=" << e.value;
      } else {
        s << "advance(" << o.now << ")";
      }
    }
    return s.str();
  }
};

/// The values of `reel_test::model_group()`: sum, count, min, max, first, last, push.
struct agg_values {
  std::int64_t sum = 0, count = 0, min = 0, max = 0, first = 0, last = 0;
  std::vector<std::int64_t> pushed;
  friend bool operator==(const agg_values&, const agg_values&) = default;
};

/// One emitted result, with the op index after which it came out (`ops.size()`: the flush).
struct out_row {
  std::size_t step = 0;
  std::int64_t start = 0, end = 0;
  std::optional<std::int64_t> pkey;  ///< sessions only
  std::int64_t key = 0;
  agg_values v;
  friend bool operator==(const out_row&, const out_row&) = default;
};

struct dead_row {
  std::size_t step = 0;
  std::int64_t id = 0;
  std::int64_t t = 0;
  reel::partition_id partition = 0;
  std::vector<std::int64_t> missed;
  friend bool operator==(const dead_row&, const dead_row&) = default;
};

struct outcome {
  std::vector<out_row> rows;
  std::vector<dead_row> dead;
  std::uint64_t input = 0, output = 0, late = 0, partially_late = 0, in_gap = 0, dead_letters = 0;
};

inline std::string to_string(const out_row& r) {
  std::ostringstream s;
  s << "@" << r.step << " [" << r.start << "," << r.end << ")";
  if (r.pkey) s << " pkey=" << *r.pkey;
  s << " key=" << r.key << " sum=" << r.v.sum << " count=" << r.v.count << " min=" << r.v.min
    << " max=" << r.v.max << " first=" << r.v.first << " last=" << r.v.last << " push=[";
  for (std::size_t i = 0; i < r.v.pushed.size(); ++i)
    s << (i ? "," : "") << r.v.pushed[i];
  s << "]";
  return s.str();
}
inline std::string to_string(const dead_row& d) {
  std::ostringstream s;
  s << "@" << d.step << " id=" << d.id << " t=" << d.t << " partition=" << d.partition
    << " missed=[";
  for (std::size_t i = 0; i < d.missed.size(); ++i)
    s << (i ? "," : "") << d.missed[i];
  s << "]";
  return s.str();
}

/// The first difference between two outcomes ("" when they are identical). With
/// `compare_steps == false`, only what was emitted and in which order counts, not when.
inline std::string diff(const outcome& expected, const outcome& actual, bool compare_steps = true) {
  std::ostringstream s;
  auto rows_equal = [&](const out_row& a, const out_row& b) {
    return (!compare_steps || a.step == b.step) && a.start == b.start && a.end == b.end &&
           a.pkey == b.pkey && a.key == b.key && a.v == b.v;
  };
  auto dead_equal = [&](const dead_row& a, const dead_row& b) {
    return (!compare_steps || a.step == b.step) && a.id == b.id && a.t == b.t &&
           a.partition == b.partition && a.missed == b.missed;
  };
  const std::size_t n = std::max(expected.rows.size(), actual.rows.size());
  for (std::size_t i = 0; i < n; ++i) {
    const bool has_e = i < expected.rows.size(), has_a = i < actual.rows.size();
    if (has_e && has_a && rows_equal(expected.rows[i], actual.rows[i])) continue;
    s << "result #" << i << " differs:\n  expected "
      << (has_e ? to_string(expected.rows[i]) : "nothing") << "\n  actual   "
      << (has_a ? to_string(actual.rows[i]) : "nothing") << "\n";
    return s.str();
  }
  const std::size_t m = std::max(expected.dead.size(), actual.dead.size());
  for (std::size_t i = 0; i < m; ++i) {
    const bool has_e = i < expected.dead.size(), has_a = i < actual.dead.size();
    if (has_e && has_a && dead_equal(expected.dead[i], actual.dead[i])) continue;
    s << "dead letter #" << i << " differs:\n  expected "
      << (has_e ? to_string(expected.dead[i]) : "nothing") << "\n  actual   "
      << (has_a ? to_string(actual.dead[i]) : "nothing") << "\n";
    return s.str();
  }
  auto counter = [&](const char* name, std::uint64_t e, std::uint64_t a) {
    if (e != a) s << "counter " << name << ": expected " << e << ", actual " << a << "\n";
  };
  counter("input", expected.input, actual.input);
  counter("output", expected.output, actual.output);
  counter("late", expected.late, actual.late);
  counter("partially_late", expected.partially_late, actual.partially_late);
  counter("in_gap", expected.in_gap, actual.in_gap);
  counter("dead_letters", expected.dead_letters, actual.dead_letters);
  return s.str();
}

/// Drops what depends on arrival order (first, last, the order of push), for comparing runs
/// that pushed the same events in different orders.
inline outcome without_arrival_order(outcome o) {
  for (out_row& r : o.rows) {
    r.v.first = r.v.last = 0;
    std::sort(r.v.pushed.begin(), r.v.pushed.end());
  }
  return o;
}

// ------------------------------------------------------------------------------------------------
// Random scenarios

/// How hopping windows relate `hop` to `interval`.
enum class hop_shape {
  equal,    ///< hop == interval (a tumbling window written as hopping)
  third,    ///< interval == 3 * hop
  gaps,     ///< hop > interval (events in gaps)
  overlap,  ///< any hop < interval (panes of gcd(interval, hop))
};

struct scenario_options {
  window_kind kind = window_kind::tumbling;
  hop_shape shape = hop_shape::equal;
  int max_partitions = 3;
  bool idle = false;  ///< random idleTimeout / partitionIdleTimeout and advance() ops
  int max_events = 60;
};

namespace detail {
inline std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}
inline bool chance(std::mt19937_64& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}
}  // namespace detail

inline scenario random_scenario(std::mt19937_64& rng, const scenario_options& o) {
  using detail::chance;
  using detail::uniform;
  scenario sc;
  window_spec& w = sc.spec;
  w.kind = o.kind;
  switch (o.kind) {
    case window_kind::tumbling:
      w.interval = uniform(rng, 1, 30);
      w.hop = w.interval;
      break;
    case window_kind::hopping:
      switch (o.shape) {
        case hop_shape::equal:
          w.interval = uniform(rng, 1, 25);
          w.hop = w.interval;
          break;
        case hop_shape::third:
          w.hop = uniform(rng, 1, 10);
          w.interval = 3 * w.hop;
          break;
        case hop_shape::gaps:
          w.interval = uniform(rng, 1, 15);
          w.hop = w.interval + uniform(rng, 1, 2 * w.interval);
          break;
        case hop_shape::overlap:
          w.interval = uniform(rng, 2, 30);
          w.hop = uniform(rng, 1, w.interval - 1);
          break;
      }
      break;
    case window_kind::session:
      w.gap = uniform(rng, 1, 25);
      break;
  }
  if (o.kind != window_kind::session && chance(rng, 0.5))
    w.offset = uniform(rng, -2 * w.hop, 2 * w.hop);
  w.lateness = chance(rng, 0.3) ? 0 : uniform(rng, 0, chance(rng, 0.5) ? 10 : 50);
  if (o.idle) {
    if (chance(rng, 0.6)) w.idle_timeout = uniform(rng, 1, 120);
    if (chance(rng, 0.6)) w.partition_idle_timeout = uniform(rng, 1, 60);
  }

  const int partitions = static_cast<int>(uniform(rng, 1, o.max_partitions));
  const std::int64_t keys = uniform(rng, 1, 4);
  const std::int64_t pkeys = uniform(rng, 1, 3);
  const std::int64_t disorder = std::vector<std::int64_t>{0, 3, 10, 30, 80}[uniform(rng, 0, 4)];
  const std::int64_t lag = partitions > 1 && chance(rng, 0.3) ? uniform(rng, 1, 60) : 0;
  const std::int64_t step = uniform(rng, 1, 8);
  const std::size_t n = static_cast<std::size_t>(
      chance(rng, 0.1) ? uniform(rng, 1, 4 * o.max_events) : uniform(rng, 1, o.max_events));

  std::int64_t base = uniform(rng, -150, 150);
  std::int64_t now = base - uniform(rng, 0, 50);
  for (std::size_t i = 0; i < n; ++i) {
    base += uniform(rng, 0, step);
    const auto partition = static_cast<reel::partition_id>(uniform(rng, 0, partitions - 1));
    std::int64_t t = base - (disorder ? uniform(rng, 0, disorder) : 0);
    if (partition == 1) t -= lag;  // a partition that lags behind the others
    if (chance(rng, 0.04)) t = base - uniform(rng, 0, 400);  // a straggler
    rev e{static_cast<std::int64_t>(i), uniform(rng, 0, keys - 1), uniform(rng, -20, 20),
          uniform(rng, 0, pkeys - 1), reel::from_millis(t)};
    sc.events.push_back(e);
    if (o.idle && chance(rng, 0.12)) {
      now += uniform(rng, 0, 60);
      sc.ops.push_back({stream_op::advance, 0, 0, now});
    }
    // Processing time is monotonic and roughly follows event time.
    now = std::max(now + uniform(rng, 0, 2), base - uniform(rng, 0, 20));
    sc.ops.push_back({stream_op::push, i, partition, now});
  }
  if (o.idle && chance(rng, 0.5)) {
    now += uniform(rng, 0, 120);
    sc.ops.push_back({stream_op::advance, 0, 0, now});
  }
  return sc;
}

}  // namespace reel_test
