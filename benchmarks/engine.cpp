// SPDX-License-Identifier: Apache-2.0
// Throughput, state size and heap allocations of Reel's typed window engine, beside a hand-written
// loop doing the same tumbling sum, so that the abstraction overhead is a ratio from one run.
//
// Workload (reference/performance.md): events generated in memory before timing, 1,000 keys,
// event time advancing at 1 M events/s (1,000 events per millisecond), sums of a 32-bit value.
// Every run prints a result count and an order-independent checksum of (start, end, key, value)
// and checks them against an independent computation: faster but wrong does not count.
//
//   bench_engine [--events N] [--only tumbling|jitter|hopping|session]   (N default 10,000,000)
//
// Times are this thread's CPU time; state bytes are sampled once, halfway through a run.
#include <time.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <reel/reel.hpp>

// Every operator new of the program is counted (tests/support/allocation_counter.hpp).
#include "support/allocation_counter.hpp"

using reel_test::allocations;

namespace {

using namespace std::chrono_literals;

struct event {
  std::uint32_t key;
  std::uint32_t value;
  reel::timestamp ts;
};

constexpr std::int64_t base_ms = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr std::uint32_t keys = 1000;

/// splitmix64: the generator and the checksum's mixer.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Result count and an order-independent checksum of (start, end, key, value).
struct digest {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  void add(std::int64_t start, std::int64_t end, std::uint64_t key, std::int64_t value) {
    ++count;
    sum += mix(
        static_cast<std::uint64_t>(start) ^
        mix(static_cast<std::uint64_t>(end) ^ mix(key ^ mix(static_cast<std::uint64_t>(value)))));
  }
  friend bool operator==(const digest&, const digest&) = default;
};

/// `n` events, event time 1 M events/s from `base_ms`, uniform keys; with `jitter_ms`, each
/// event is up to that much older than the latest one (out of order).
std::vector<event> tumbling_events(std::size_t n, std::int64_t jitter_ms) {
  std::vector<event> out(n);
  std::uint64_t state = 42;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = mix(state++);
    std::int64_t t = base_ms + static_cast<std::int64_t>(i / 1000);
    if (jitter_ms > 0)
      t -= static_cast<std::int64_t>((r >> 40) % static_cast<std::uint64_t>(jitter_ms + 1));
    out[i] = {static_cast<std::uint32_t>(r % keys), static_cast<std::uint32_t>(1 + (r >> 20) % 100),
              reel::from_millis(t)};
  }
  return out;
}

/// Sessions: 4,000 keys in four groups; during each 50 ms only one group is active, so every key
/// has a burst of activity (~50 events) followed by 150 ms of silence.
std::vector<event> session_events(std::size_t n) {
  std::vector<event> out(n);
  std::uint64_t state = 7;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = mix(state++);
    const std::int64_t ms = static_cast<std::int64_t>(i / 1000);
    const auto group = static_cast<std::uint32_t>((ms / 50) % 4);
    out[i] = {group * keys + static_cast<std::uint32_t>(r % keys),
              static_cast<std::uint32_t>(1 + (r >> 20) % 100), reel::from_millis(base_ms + ms)};
  }
  return out;
}

// ---- References: straightforward, independent computations of the expected results. ---------

/// Sliced windows from dense (pane, key) sums; valid when no event is late.
digest reference_sliced(const std::vector<event>& events, std::int64_t interval, std::int64_t hop) {
  const std::int64_t pane = std::gcd(interval, hop);
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const event& e : events) {
    lo = std::min(lo, reel::to_millis(e.ts));
    hi = std::max(hi, reel::to_millis(e.ts));
  }
  const std::int64_t p0 = reel::detail::floor_div(lo, pane);
  const std::int64_t panes = reel::detail::floor_div(hi, pane) - p0 + 1;
  std::vector<std::int64_t> sums(static_cast<std::size_t>(panes) * keys, 0);
  for (const event& e : events) {
    const std::int64_t p = reel::detail::floor_div(reel::to_millis(e.ts), pane) - p0;
    sums[static_cast<std::size_t>(p) * keys + e.key] += e.value;
  }
  digest d;
  const std::int64_t k_first = reel::detail::floor_div(lo - interval, hop) + 1;
  const std::int64_t k_last = reel::detail::floor_div(hi, hop);
  for (std::int64_t k = k_first; k <= k_last; ++k) {
    const std::int64_t start = k * hop;
    for (std::uint32_t key = 0; key < keys; ++key) {
      std::int64_t total = 0;
      for (std::int64_t t = start; t < start + interval; t += pane) {
        const std::int64_t p = reel::detail::floor_div(t, pane) - p0;
        if (p >= 0 && p < panes) total += sums[static_cast<std::size_t>(p) * keys + key];
      }
      if (total > 0) d.add(start, start + interval, key, total);  // values are >= 1
    }
  }
  return d;
}

/// Sessions of in-order events: a key's session ends when the next event is `gap` or more later.
digest reference_sessions(const std::vector<event>& events, std::int64_t gap) {
  struct open_session {
    std::int64_t first = 0, last = 0, sum = 0;
    bool open = false;
  };
  std::vector<open_session> sessions(4 * keys);
  digest d;
  for (const event& e : events) {
    const std::int64_t t = reel::to_millis(e.ts);
    open_session& s = sessions[e.key];
    if (s.open && t < s.last + gap) {
      s.last = t;
      s.sum += e.value;
      continue;
    }
    if (s.open) d.add(s.first, s.last + gap, e.key, s.sum);
    s = {t, t, e.value, true};
  }
  for (std::uint32_t key = 0; key < sessions.size(); ++key) {
    const open_session& s = sessions[key];
    if (s.open) d.add(s.first, s.last + gap, key, s.sum);
  }
  return d;
}

// ---- The hand-written tumbling sum: what the typed pipeline is measured against. -------------

/// A keyed tumbling sum with allowed lateness, written directly: a ring of open windows, each an
/// open-addressing table (Fibonacci hash, keys and sums interleaved); the watermark is the
/// largest event time; a window closes when watermark - lateness >= end and emits its keys in
/// ascending order; events of closed windows are counted as late.
class hand_tumbling {
 public:
  hand_tumbling(std::int64_t width, std::int64_t lateness, digest& out)
      : width_(width),
        lateness_(lateness),
        ring_(static_cast<std::size_t>(lateness / width + 2)),
        out_(out) {
    for (window& w : ring_)
      w.slots.assign(2048, slot{});
    sorted_.reserve(2048);
  }

  void push(std::uint32_t key, std::uint32_t value, std::int64_t t) {
    window* w = current_;
    if (t < current_start_ || t >= current_start_ + width_) [[unlikely]] {
      const std::int64_t index = reel::detail::floor_div(t, width_);
      if ((index + 1) * width_ <= closed_) {
        ++late_;
        return;
      }
      w = &ring_[static_cast<std::size_t>(index % static_cast<std::int64_t>(ring_.size()))];
      if (w->index != index) w->index = index;  // the slot is empty: its window closed
      next_end_ = std::min(next_end_, (index + 1) * width_);
      current_ = w;
      current_start_ = index * width_;
    }
    w->add(key, value);
    if (t > watermark_) {
      watermark_ = t;
      if (t - lateness_ >= next_end_) close(t - lateness_);
    }
  }

  void flush() { close(INT64_MAX); }
  [[nodiscard]] std::uint64_t late() const { return late_; }

 private:
  struct slot {
    std::uint32_t key = 0;
    std::uint32_t used = 0;
    std::int64_t sum = 0;
  };
  struct window {
    std::int64_t index = INT64_MIN;
    std::vector<slot> slots;
    std::size_t size = 0;
    unsigned shift = 64 - 11;

    void add(std::uint32_t key, std::uint32_t value) {
      const std::size_t mask = slots.size() - 1;
      for (std::size_t i = (key * 0x9E3779B97F4A7C15ULL) >> shift;; i = (i + 1) & mask) {
        slot& s = slots[i];
        if (s.used && s.key == key) {
          s.sum += value;
          return;
        }
        if (!s.used) {
          s = {key, 1, value};
          if (++size * 8 > slots.size() * 7) grow();
          return;
        }
      }
    }
    void grow() {
      std::vector<slot> old(slots.size() * 2);
      old.swap(slots);
      --shift;
      size = 0;
      for (const slot& s : old) {
        if (!s.used) continue;
        for (std::size_t i = (s.key * 0x9E3779B97F4A7C15ULL) >> shift;;
             i = (i + 1) & (slots.size() - 1)) {
          if (!slots[i].used) {
            slots[i] = s;
            ++size;
            break;
          }
        }
      }
    }
  };

  void close(std::int64_t bound) {
    for (;;) {  // windows in order of end
      window* oldest = nullptr;
      for (window& w : ring_) {
        if (w.index != INT64_MIN && (oldest == nullptr || w.index < oldest->index)) oldest = &w;
      }
      if (oldest == nullptr || (oldest->index + 1) * width_ > bound) break;
      sorted_.clear();
      for (slot& s : oldest->slots) {
        if (s.used) sorted_.push_back(s);
        s = slot{};
      }
      std::sort(sorted_.begin(), sorted_.end(),
                [](const slot& a, const slot& b) { return a.key < b.key; });
      const std::int64_t start = oldest->index * width_;
      for (const slot& s : sorted_)
        out_.add(start, start + width_, s.key, s.sum);
      oldest->index = INT64_MIN;
      oldest->size = 0;
      if (oldest == current_) {
        current_ = nullptr;
        current_start_ = INT64_MAX / 2;
      }
    }
    closed_ = std::max(closed_, bound);
    next_end_ = INT64_MAX;
    for (const window& w : ring_) {
      if (w.index != INT64_MIN) next_end_ = std::min(next_end_, (w.index + 1) * width_);
    }
  }

  std::int64_t width_;
  std::int64_t lateness_;
  std::vector<window> ring_;
  digest& out_;
  std::vector<slot> sorted_;
  window* current_ = nullptr;
  std::int64_t current_start_ = INT64_MAX / 2;
  std::int64_t watermark_ = INT64_MIN;
  std::int64_t closed_ = INT64_MIN;
  std::int64_t next_end_ = INT64_MAX;
  std::uint64_t late_ = 0;
};

// ---- Measurement. --------------------------------------------------------------------------

struct measurement {
  std::string name;
  std::size_t events = 0;
  double seconds = 0;
  digest result;
  digest expected;
  bool checked = false;
  double bytes_per_group = 0;       ///< state bytes / (key, pane or session) states
  double bytes_per_key_window = 0;  ///< state bytes / open (key, window) pairs
  std::uint64_t allocations = 0;    ///< during the whole run, flush included
  double steady_allocations = 0;    ///< per event, over the second half of the events
  std::uint64_t late = 0;

  [[nodiscard]] double rate() const { return static_cast<double>(events) / seconds / 1e6; }
  [[nodiscard]] double ns_per_event() const { return seconds * 1e9 / static_cast<double>(events); }
  [[nodiscard]] bool ok() const { return !checked || result == expected; }
};

/// The CPU time of this thread: the machine is shared, and other processes taking turns on its
/// two cores would inflate wall-clock times (the figures are still noisy; compare ratios).
struct cpu_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<cpu_clock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec));
  }
};

/// Runs a typed pipeline over `events`: `make(digest&)` builds the pipeline around the digest.
/// Events are pushed one by one (`batch` 0) or `batch` at a time with `push_batch`. State size
/// is sampled once, halfway.
template <class Make>
measurement run_typed(std::string name, const std::vector<event>& events, Make make,
                      std::uint32_t keys_per_window, std::size_t batch = 0) {
  measurement m;
  m.name = std::move(name);
  m.events = events.size();
  auto proc = reel::make_processor(make(m.result));
  const std::size_t half = events.size() / 2;
  auto push_range = [&](std::size_t from, std::size_t to) {
    if (batch == 0) {
      for (std::size_t i = from; i < to; ++i)
        proc.push(events[i]);
      return;
    }
    const std::span<const event> all(events);
    for (std::size_t i = from; i < to; i += batch)
      proc.push_batch(all.subspan(i, std::min(batch, to - i)));
  };
  const std::uint64_t a0 = allocations.load();
  const auto t0 = cpu_clock::now();
  push_range(0, half);
  const auto t1 = cpu_clock::now();
  const std::uint64_t a_stats = allocations.load();
  const reel::processor_stats mid = proc.stats();  // not timed, allocations not counted
  const std::uint64_t a1 = allocations.load();
  const auto t2 = cpu_clock::now();
  push_range(half, events.size());
  const std::uint64_t a2 = allocations.load();
  proc.flush();
  const auto t3 = cpu_clock::now();
  const std::uint64_t a3 = allocations.load();
  m.seconds = std::chrono::duration<double>((t1 - t0) + (t3 - t2)).count();
  m.allocations = (a3 - a0) - (a1 - a_stats);
  m.steady_allocations = static_cast<double>(a2 - a1) / static_cast<double>(events.size() - half);
  if (mid.open_groups > 0)
    m.bytes_per_group = static_cast<double>(mid.state_bytes) / static_cast<double>(mid.open_groups);
  const double key_windows = keys_per_window == 0
                                 ? static_cast<double>(mid.open_groups)
                                 : static_cast<double>(mid.open_windows) * keys_per_window;
  if (key_windows > 0) m.bytes_per_key_window = static_cast<double>(mid.state_bytes) / key_windows;
  m.late = proc.stats().counters.late;
  return m;
}

measurement run_hand(const std::vector<event>& events, std::int64_t width, std::int64_t lateness) {
  measurement m;
  m.name = "hand-written";
  m.events = events.size();
  hand_tumbling hand(width, lateness, m.result);
  const std::uint64_t a0 = allocations.load();
  const auto t0 = cpu_clock::now();
  for (const event& e : events)
    hand.push(e.key, e.value, reel::to_millis(e.ts));
  hand.flush();
  m.seconds = std::chrono::duration<double>(cpu_clock::now() - t0).count();
  m.allocations = allocations.load() - a0;
  m.late = hand.late();
  m.bytes_per_key_window = 2048.0 * 16 / keys;  // one table per open window
  m.bytes_per_group = m.bytes_per_key_window;
  return m;
}

void print_header() {
  fmt::print("{:<34} {:>8} {:>7} {:>9} {:>18} {:>6} {:>9} {:>9} {:>8} {:>10}\n", "run", "M ev/s",
             "ns/ev", "results", "checksum", "check", "B/state", "B/(k,w)", "allocs", "allocs/ev*");
}

void print(const measurement& m) {
  fmt::print("{:<34} {:>8.1f} {:>7.2f} {:>9} {:>18x} {:>6} {:>9.1f} {:>9.1f} {:>8} {:>10.2g}\n",
             m.name, m.rate(), m.ns_per_event(), m.result.count, m.result.sum,
             m.checked ? (m.ok() ? "ok" : "WRONG") : "-", m.bytes_per_group, m.bytes_per_key_window,
             m.allocations, m.steady_allocations);
}

/// Events per `push_batch` call in the batch runs (as a Kafka poll might return them).
constexpr std::size_t batch_size = 1024;

template <class Group>
auto tumbling(std::int64_t width, std::int64_t lateness, Group group) {
  return [=](digest& d) {
    return reel::from<event>(reel::event_time(&event::ts)) |
           reel::tumbling_window({.interval = reel::duration{width},
                                  .allowed_lateness = reel::duration{lateness},
                                  .idle_timeout = {}},
                                 group) |
           reel::emit([&d](const auto& r) {
             d.add(reel::to_millis(r.start), reel::to_millis(r.end), r.key, std::get<0>(r.values));
           });
  };
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 10'000'000;
  std::string_view only;  // one section: tumbling, jitter, hopping or session
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--events" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      fmt::print(stderr, "usage: {} [--events N] [--only tumbling|jitter|hopping|session]\n",
                 argv[0]);
      return 2;
    }
  }
  auto want = [&](std::string_view section) { return only.empty() || only == section; };
  if (n < 2000) n = 2000;

  fmt::print("Reel typed engine, {} events, {} keys, event time 1 M events/s\n", n, keys);
  fmt::print(
      "B/state: state bytes per (key, pane or session) state; B/(k,w): per open (key, "
      "window); allocs: heap allocations in the run; allocs/ev*: per event over the second "
      "half (keys known)\n\n");
  print_header();
  bool all_ok = true;
  std::vector<measurement> all;
  auto report = [&](measurement m) {
    print(m);
    all_ok = all_ok && m.ok() && m.late == 0;
    all.push_back(std::move(m));
  };
  const auto group_sum = reel::group(&event::key, reel::sum(&event::value));

  // 1. Tumbling 100 ms, in order, no allowed lateness: one open window at a time.
  if (want("tumbling")) {
    const std::vector<event> events = tumbling_events(n, 0);
    const digest expected = reference_sliced(events, 100, 100);
    measurement hand = run_hand(events, 100, 0);
    hand.name = "tumbling 100ms: hand-written";
    hand.expected = expected;
    hand.checked = true;
    measurement typed = run_typed("tumbling 100ms: typed", events, tumbling(100, 0, group_sum), 0);
    typed.expected = expected;
    typed.checked = true;
    measurement batched = run_typed("tumbling 100ms: typed, batches", events,
                                    tumbling(100, 0, group_sum), 0, batch_size);
    batched.expected = expected;
    batched.checked = true;
    report(hand);
    report(typed);
    report(batched);
    fmt::print("  ratio typed / hand-written time: {:.2f} (push), {:.2f} (push_batch)\n",
               typed.seconds / hand.seconds, batched.seconds / hand.seconds);
  }
  // 2. The same out of order: events up to 10 ms older than the latest, lateness 10 ms.
  if (want("jitter")) {
    const std::vector<event> events = tumbling_events(n, 10);
    const digest expected = reference_sliced(events, 100, 100);
    measurement hand = run_hand(events, 100, 10);
    hand.name = "tumbling, jitter 10ms: hand";
    hand.expected = expected;
    hand.checked = true;
    measurement typed =
        run_typed("tumbling, jitter 10ms: typed", events, tumbling(100, 10, group_sum), 0);
    typed.expected = expected;
    typed.checked = true;
    measurement batched = run_typed("tumbling, jitter 10ms: batches", events,
                                    tumbling(100, 10, group_sum), 0, batch_size);
    batched.expected = expected;
    batched.checked = true;
    report(hand);
    report(typed);
    report(batched);
    fmt::print("  ratio typed / hand-written time: {:.2f} (push), {:.2f} (push_batch)\n",
               typed.seconds / hand.seconds, batched.seconds / hand.seconds);
  }
  // 3. Hopping, hop 10 ms, interval 10, 100 and 600 ms (interval / hop = 1, 10, 60).
  if (want("hopping")) {
    const std::vector<event> events = tumbling_events(n, 0);
    for (std::int64_t ratio : {1, 10, 60}) {
      const std::int64_t hop = 10, interval = hop * ratio;
      measurement typed = run_typed(
          fmt::format("hopping {}ms/{}ms (x{}): typed", interval, hop, ratio), events,
          [&](digest& d) {
            return reel::from<event>(reel::event_time(&event::ts)) |
                   reel::hopping_window({.interval = reel::duration{interval},
                                         .hop = reel::duration{hop},
                                         .allowed_lateness = 0ms,
                                         .idle_timeout = {}},
                                        group_sum) |
                   reel::emit([&d](const auto& r) {
                     d.add(reel::to_millis(r.start), reel::to_millis(r.end), r.key,
                           std::get<0>(r.values));
                   });
          },
          keys);
      typed.expected = reference_sliced(events, interval, hop);
      typed.checked = true;
      report(typed);
    }
  }
  // 4. Sessions per key, gap 10 ms.
  if (want("session")) {
    const std::vector<event> events = session_events(n);
    measurement typed = run_typed(
        "session gap 10ms: typed", events,
        [](digest& d) {
          return reel::from<event>(reel::event_time(&event::ts)) |
                 reel::session_window({.gap = 10ms, .allowed_lateness = 0ms, .idle_timeout = {}},
                                      &event::key,
                                      reel::group(&event::key, reel::sum(&event::value))) |
                 reel::emit([&d](const auto& r) {
                   d.add(reel::to_millis(r.start), reel::to_millis(r.end), r.key,
                         std::get<0>(r.values));
                 });
        },
        0);
    typed.expected = reference_sessions(events, 10);
    typed.checked = true;
    report(typed);
  }
  if (!all_ok) {
    fmt::print("\nFAILED: a result differs from its reference (or events were late)\n");
    return 1;
  }
  fmt::print("\nAll results match their references.\n");
  return 0;
}
