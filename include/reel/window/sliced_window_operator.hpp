// SPDX-License-Identifier: Apache-2.0
/// \file
/// The tumbling and hopping window operator. Time is cut into panes of
/// `gcd(interval, hop)`; each pane keeps one aggregate state per key, created lazily when an event
/// lands in it. A window closes by combining the states of its panes, so the cost per event does
/// not grow with `interval / hop` (slicing), and a tumbling window (one pane per window) emits
/// its pane as it is. With many panes per window and fixed-size states, the combinations slide
/// ("two stacks", `slide_to`), so the cost per window does not grow with `interval / hop` either.
/// Consecutive events in the same pane take a fast path (no division, no pane lookup).
///
/// Windows are aligned to the epoch shifted by `offset`: window `k` is
/// `[k*hop + offset, k*hop + offset + interval)`. A window closes when the close bound (the
/// watermark minus the allowed lateness, or a forced idle close) reaches its end; windows close in
/// order of end, and within a window results come in ascending key order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/aggregate/aggregation.hpp"
#include "reel/detail/checked_arithmetic.hpp"
#include "reel/detail/flat_map.hpp"
#include "reel/time.hpp"
#include "reel/window/options.hpp"

namespace reel {

/// Where an event went.
enum class placement {
  accepted,  ///< in at least one open window
  late,      ///< every window it belongs to had closed
  in_gap,    ///< between hopping windows (`hop > interval`): in no window
};

/// The windows an event missed because they had closed (for the DLQ record).
struct missed_windows {
  std::vector<timestamp> starts;
  void clear() noexcept { starts.clear(); }
  [[nodiscard]] bool empty() const noexcept { return starts.empty(); }
};

/// What `explain()` shows about one window.
struct window_explanation {
  window_bounds bounds;
  bool open = false;         ///< not closed yet
  std::size_t groups = 0;    ///< distinct keys with state
  std::uint64_t events = 0;  ///< events added (for hopping, summed over its panes)
};

template <window_aggregation Agg>
class sliced_window_operator {
 public:
  using aggregation_type = Agg;
  using key_type = typename Agg::key_type;
  using state_type = typename Agg::state_type;
  using event_type = typename Agg::event_type;
  using group_map =
      detail::flat_map<key_type, state_type, typename Agg::key_hash, typename Agg::key_equal>;

  /// One group of a closing window, handed to the emit callback in ascending key order.
  struct entry {
    const key_type* key;
    const state_type* state;
  };

  sliced_window_operator(Agg aggregation, sliced_spec spec)
      : agg_(std::move(aggregation)),
        interval_(spec.interval.count()),
        hop_(spec.hop.count()),
        offset_(spec.offset.count()),
        pane_(std::gcd(spec.interval.count(), spec.hop.count())) {
    spec.validate();
  }

  [[nodiscard]] const Agg& aggregation() const noexcept { return agg_; }
  [[nodiscard]] const sliced_spec spec() const noexcept {
    return {duration{interval_}, duration{hop_}, duration{offset_}};
  }

  /// Adds `event` at time `t`. Fills `missed` with the starts of closed windows it belonged to.
  placement add(const event_type& event, timestamp t, std::uint64_t seq, missed_windows& missed) {
    missed.clear();
    const std::int64_t ms = to_millis(t);
    // Fast path: the event lands in the pane of the previous one, whose windows are all still
    // open (checked when the range was set, re-checked whenever windows close). No division, no
    // pane lookup; nothing changes for next_end_ (already at or below that pane's first end).
    if (ms >= fast_start_ && ms < fast_end_) [[likely]] {
      ++cached_->events;
      state_type& state =
          cached_->groups.find_or_insert(agg_.key_of(event), [this] { return agg_.make_state(); });
      agg_.add(state, event, seq);
      return placement::accepted;
    }
    return add_slow(event, ms, seq, missed);
  }

  /// For batches: the times `[first, last)` (milliseconds) of the pane of the previous event
  /// while all that pane's windows are open, or an empty range. An event there can be added with
  /// `add_to_fast_pane` until the next `add` or close.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> fast_pane() const noexcept {
    return {fast_start_, fast_end_};
  }
  /// Adds `event`, whose time is in `fast_pane()`. Its count in the pane is left to
  /// `count_fast_events`, called before the next `add`.
  void add_to_fast_pane(const event_type& event, std::uint64_t seq) {
    state_type& state =
        cached_->groups.find_or_insert(agg_.key_of(event), [this] { return agg_.make_state(); });
    agg_.add(state, event, seq);
  }
  /// Counts `n` events added by `add_to_fast_pane` in their pane.
  void count_fast_events(std::uint64_t n) noexcept { cached_->events += n; }

 private:
  /// `add` for an event outside the fast-path pane: classifies it, finds its pane.
  /// The windows `k_first..k_last` of an event at `ms`, and the first of them still open.
  struct assignment {
    std::int64_t k_first, k_last, k_open;
  };
  [[nodiscard]] assignment assign(std::int64_t ms) const {
    // Checked: event times are validated upstream (`is_valid_event_time`), so this only guards
    // against a caller that skipped that (the result would otherwise wrap around silently).
    const std::int64_t relative = detail::checked_sub(ms, offset_);
    const std::int64_t k_last = detail::floor_div(relative, hop_);
    const std::int64_t k_first =
        detail::floor_div(detail::checked_sub(relative, interval_), hop_) + 1;
    return {k_first, k_last, std::max(k_first, first_open_k())};
  }
  /// Classifies an event of window assignment `a` as `add` does, filling `missed`.
  placement classify(const assignment& a, missed_windows& missed) const {
    if (a.k_first > a.k_last) return placement::in_gap;
    if (a.k_open > a.k_first) {
      for (std::int64_t k = a.k_first; k < std::min(a.k_open, a.k_last + 1); ++k) {
        missed.starts.push_back(from_millis(k * hop_ + offset_));
      }
      if (a.k_open > a.k_last) return placement::late;
    }
    return placement::accepted;
  }

 public:
  /// Where an event at `t` would go (`missed` filled as `add` fills it), without adding it.
  [[nodiscard]] placement classify(timestamp t, missed_windows& missed) const {
    missed.clear();
    return classify(assign(to_millis(t)), missed);
  }

 private:
  [[gnu::noinline]] placement add_slow(const event_type& event, std::int64_t ms, std::uint64_t seq,
                                       missed_windows& missed) {
    const assignment a = assign(ms);
    const std::int64_t k_first = a.k_first, k_open = a.k_open;
    if (const placement where = classify(a, missed); where != placement::accepted) return where;
    const std::int64_t index = detail::floor_div(ms - offset_, pane_);
    pane& p = pane_for(index);
    ++p.events;
    state_type& state =
        p.groups.find_or_insert(agg_.key_of(event), [this] { return agg_.make_state(); });
    agg_.add(state, event, seq);
    const std::int64_t end = detail::checked_add(
        detail::checked_add(detail::checked_mul(k_open, hop_), offset_), interval_);
    if (end < next_end_) next_end_ = end;
    if (k_open == k_first) {  // every window of this pane is open: later events take the fast path
      fast_start_ = index * pane_ + offset_;
      fast_end_ = fast_start_ + pane_;
      fast_first_end_ = end;
    } else {  // partially late: the pane may be folded into the sliding combinations
      reset_fast_path();
      slide_valid_ = false;
    }
    return placement::accepted;
  }

 public:
  /// The end of the earliest window that still has content: nothing closes below it.
  [[nodiscard]] timestamp next_close_end() const noexcept { return from_millis(next_end_); }
  [[nodiscard]] bool has_open_windows() const noexcept { return !panes_.empty(); }

  /// Closes every window whose end is at or before `bound`, calling
  /// `emit(window_bounds, const std::vector<entry>&)` for each non-empty one, in order of end.
  /// Returns the end of the last window closed, if any.
  template <class Emit>
  std::optional<timestamp> close_through(timestamp bound, Emit&& emit) {
    const std::int64_t b = to_millis(bound);
    if (has_closed_ && b <= closed_) return std::nullopt;
    if (b < next_end_) {  // no window with content ends at or before b: only the bound moves
      closed_ = b;
      has_closed_ = true;
      if (closed_ >= fast_first_end_) reset_fast_path();
      return std::nullopt;
    }
    std::optional<timestamp> last_closed;
    while (!panes_.empty()) {
      const std::int64_t first_pane_start = panes_.begin()->first * pane_ + offset_;
      const std::int64_t k = std::max(
          detail::floor_div(first_pane_start - offset_ - interval_, hop_) + 1, first_open_k());
      const std::int64_t start = k * hop_ + offset_;
      const std::int64_t end = start + interval_;
      if (end > b) break;
      emit_window(start, end, emit);
      closed_ = end;
      has_closed_ = true;
      last_closed = from_millis(end);
      collect_panes(end);
    }
    closed_ = has_closed_ ? std::max(closed_, b) : b;
    has_closed_ = true;
    if (closed_ >= fast_first_end_) reset_fast_path();
    recompute_next_end();
    return last_closed;
  }

  /// Closes every window (end of input).
  template <class Emit>
  std::optional<timestamp> close_all(Emit&& emit) {
    std::optional<timestamp> last;
    while (!panes_.empty()) {
      const std::int64_t first_pane_start = panes_.begin()->first * pane_ + offset_;
      const std::int64_t k = std::max(
          detail::floor_div(first_pane_start - offset_ - interval_, hop_) + 1, first_open_k());
      const std::int64_t start = k * hop_ + offset_;
      const std::int64_t end = start + interval_;
      emit_window(start, end, emit);
      closed_ = end;
      has_closed_ = true;
      last = from_millis(end);
      collect_panes(end);
    }
    reset_fast_path();
    slide_valid_ = false;
    recompute_next_end();
    return last;
  }

  /// Number of windows that hold content and are not closed.
  [[nodiscard]] std::size_t open_window_count() const {
    std::size_t count = 0;
    std::int64_t counted_through = INT64_MIN;  // highest k counted so far
    for (const auto& [index, p] : panes_) {
      const std::int64_t ps = index * pane_ + offset_;
      const std::int64_t lo =
          std::max({detail::floor_div(ps - offset_ - interval_, hop_) + 1, first_open_k(),
                    counted_through == INT64_MIN ? INT64_MIN : counted_through + 1});
      const std::int64_t hi = detail::floor_div(ps - offset_, hop_);
      if (hi >= lo) {
        count += static_cast<std::size_t>(hi - lo + 1);
        counted_through = hi;
      }
    }
    return count;
  }

  /// (key, pane) states held.
  [[nodiscard]] std::size_t group_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [index, p] : panes_)
      n += p.groups.size();
    return n;
  }

  /// Bytes of window state: hash tables plus what states own on the heap.
  [[nodiscard]] std::size_t state_bytes() const {
    std::size_t bytes = 0;
    for (const auto& [index, p] : panes_) {
      bytes += p.groups.table_bytes() + sizeof(pane);
      p.groups.for_each(
          [&](const key_type&, const state_type& s) { bytes += agg_.dynamic_bytes(s); });
    }
    for (const group_map& m : front_)  // sliding combinations (fixed-size states only)
      bytes += m.table_bytes();
    return bytes + back_.table_bytes();
  }

  /// The state of group `key` in the pane of time `t`, if that pane holds one.
  /// `key` is a `key_type` or what `aggregation().key_of` returns.
  template <class Key>
  [[nodiscard]] const state_type* find_group(timestamp t, const Key& key) const {
    const std::int64_t index = detail::floor_div(detail::checked_sub(to_millis(t), offset_), pane_);
    auto it = panes_.find(index);
    return it == panes_.end() ? nullptr : it->second.groups.find(key);
  }

  /// The window that starts at `start` (or, if `start` is not a window start, the latest window
  /// containing it).
  [[nodiscard]] window_explanation explain(timestamp t) const {
    const std::int64_t ms = to_millis(t);
    const std::int64_t k = detail::floor_div(detail::checked_sub(ms, offset_), hop_);
    const std::int64_t start = detail::checked_add(detail::checked_mul(k, hop_), offset_);
    const std::int64_t end = detail::checked_add(start, interval_);
    window_explanation out;
    out.bounds = {from_millis(start), from_millis(end)};
    out.open = !(has_closed_ && end <= closed_);
    group_map keys;
    for (auto it = panes_.lower_bound(detail::floor_div(start - offset_, pane_));
         it != panes_.end() && it->first * pane_ + offset_ < end; ++it) {
      out.events += it->second.events;
      it->second.groups.for_each([&](const key_type& key, const state_type&) { keys[key]; });
    }
    out.groups = keys.size();
    return out;
  }

  /// Events before this time matter no more: their windows have closed, and an event that old
  /// would be late. `min_timestamp` while nothing has closed. Sources commit positions by it.
  [[nodiscard]] timestamp retained_from() const noexcept {
    if (!has_closed_) return min_timestamp;
    // The first window not closed starts here; every window holding an earlier event is closed.
    std::int64_t from = first_open_k() * hop_ + offset_;
    if (!panes_.empty()) from = std::min(from, panes_.begin()->first * pane_ + offset_);
    return from_millis(from);
  }

  /// The close bound reached so far (every window ending at or before it has closed).
  [[nodiscard]] std::optional<timestamp> closed_through() const noexcept {
    return has_closed_ ? std::optional<timestamp>(from_millis(closed_)) : std::nullopt;
  }

  [[nodiscard]] nlohmann::json save() const {
    nlohmann::json panes = nlohmann::json::array();
    for (const auto& [index, p] : panes_) {
      nlohmann::json groups = nlohmann::json::array();
      p.groups.for_each([&](const key_type& key, const state_type& s) {
        groups.push_back(nlohmann::json::array({agg_.save_key(key), agg_.save_state(s)}));
      });
      panes.push_back({index, p.events, std::move(groups)});
    }
    return {{"closed", has_closed_ ? nlohmann::json(closed_) : nlohmann::json()},
            {"panes", std::move(panes)}};
  }

  void load(const nlohmann::json& j) {
    panes_.clear();
    cached_ = nullptr;
    reset_fast_path();
    slide_valid_ = false;
    has_closed_ = !j.at("closed").is_null();
    closed_ = has_closed_ ? j.at("closed").get<std::int64_t>() : 0;
    for (const auto& p : j.at("panes")) {
      pane& target = pane_for(p.at(0).get<std::int64_t>());
      target.events = p.at(1).get<std::uint64_t>();
      // Sized first: the groups come in the saved table's slot order, which would pile up in
      // the probe sequences of a table growing from small (quadratic restore time).
      target.groups.reserve(p.at(2).size());
      for (const auto& g : p.at(2)) {
        const key_type key = agg_.load_key(g.at(0));
        target.groups.find_or_insert(key,
                                     [&] { return detail::load_group_state(agg_, g.at(1), key); });
      }
    }
    recompute_next_end();
  }

 private:
  struct pane {
    group_map groups;
    std::uint64_t events = 0;
  };

  [[nodiscard]] std::int64_t first_open_k() const noexcept {
    if (!has_closed_) return INT64_MIN;
    return detail::floor_div(closed_ - offset_ - interval_, hop_) + 1;
  }

  pane& pane_for(std::int64_t index) {
    if (cached_ != nullptr && cached_index_ == index) return *cached_;
    auto [it, fresh] =
        panes_.try_emplace(index, pane{group_map(agg_.key_hasher(), agg_.key_equality()), 0});
    // Size the table like the last pane dropped: no rehashing while the keys come back.
    if (fresh && expected_groups_ > 0) it->second.groups.reserve(expected_groups_);
    cached_index_ = index;
    cached_ = &it->second;
    return *cached_;
  }

  template <class Emit>
  void emit_window(std::int64_t start, std::int64_t end, Emit& emit) {
    entries_.clear();
    const std::int64_t first_index = detail::floor_div(start - offset_, pane_);
    const std::int64_t end_index = detail::floor_div(end - offset_, pane_);
    if (pane_ == interval_) {  // tumbling: the pane is the window
      auto it = panes_.find(first_index);
      if (it == panes_.end()) return;
      it->second.groups.for_each([&](const key_type& key, const state_type& s) {
        entries_.push_back({&key, &s});
      });
    } else if (slides()) {
      slide_to(first_index, end_index).for_each([&](const key_type& key, const state_type& s) {
        entries_.push_back({&key, &s});
      });
    } else {
      combined_.clear();
      merge_panes(combined_, first_index, end_index);
      combined_.for_each([&](const key_type& key, const state_type& s) {
        entries_.push_back({&key, &s});
      });
    }
    if (entries_.empty()) return;
    std::sort(entries_.begin(), entries_.end(),
              [this](const entry& a, const entry& b) { return agg_.key_less(*a.key, *b.key); });
    emit(window_bounds{from_millis(start), from_millis(end)}, entries_);
  }

  /// Merges the panes with index in `[lo, hi)` into `into`.
  void merge_panes(group_map& into, std::int64_t lo, std::int64_t hi) {
    for (auto it = panes_.lower_bound(lo); it != panes_.end() && it->first < hi; ++it)
      merge_map(into, it->second.groups);
  }
  void merge_map(group_map& into, const group_map& from) {
    into.reserve(into.size() + from.size());  // see load(): `from` comes in its slot order
    from.for_each([&](const key_type& key, const state_type& s) {
      bool fresh = false;
      state_type& target = into.find_or_insert(key, [&] {
        fresh = true;
        return s;
      });
      if (!fresh) agg_.merge(target, s);
    });
  }

  /// Whether windows are combined by sliding (below) rather than pane by pane: when a window has
  /// enough panes for it to pay, and states are small values that are cheap to copy.
  [[nodiscard]] bool slides() const noexcept {
    return std::is_trivially_copy_constructible_v<state_type> &&
           std::is_trivially_destructible_v<state_type> && interval_ / pane_ >= 2 * step_ + 4;
  }

  /// The combined states of the panes `[lo, hi)` of the window closing now, for hopping windows
  /// with many panes ("two stacks"): `front_[j]` combines the panes from the start of the j-th
  /// window of the current run up to `front_end_`; `back_` combines the panes added since, up to
  /// `back_end_`. A window is `front_[j]` + `back_`; when the run is used up, the front is rebuilt
  /// from the panes of the closing window. Each pane is merged a constant number of times,
  /// so the cost per window does not grow with interval / hop. Windows close in order of end,
  /// and panes of closed windows change only through partially late events, which invalidate
  /// this (`slide_valid_`).
  const group_map& slide_to(std::int64_t lo, std::int64_t hi) {
    if (slide_valid_ && lo >= front_lo_ && lo < front_end_ && (lo - front_lo_) % step_ == 0 &&
        hi >= back_end_) {
      const auto j = static_cast<std::size_t>((lo - front_lo_) / step_);
      for (; front_pos_ < j; ++front_pos_)  // used up: release the table
        front_[front_pos_] = group_map(agg_.key_hasher(), agg_.key_equality());
      merge_panes(back_, back_end_, hi);
      back_end_ = hi;
      if (back_.empty()) return front_[j];
      combined_ = front_[j];
      merge_map(combined_, back_);
      return combined_;
    }
    const auto n = static_cast<std::size_t>((hi - lo + step_ - 1) / step_);
    front_.assign(n, group_map(agg_.key_hasher(), agg_.key_equality()));
    for (std::size_t j = n; j-- > 0;) {
      const std::int64_t from = lo + static_cast<std::int64_t>(j) * step_;
      if (j + 1 < n) front_[j] = front_[j + 1];
      merge_panes(front_[j], from, std::min(from + step_, hi));
    }
    front_lo_ = lo;
    front_pos_ = 0;
    front_end_ = hi;
    back_.clear();
    back_end_ = hi;
    slide_valid_ = true;
    return front_[0];
  }

  /// Drops panes whose every window has ended at or before `closed_end`.
  void collect_panes(std::int64_t closed_end) {
    while (!panes_.empty()) {
      const std::int64_t ps = panes_.begin()->first * pane_ + offset_;
      const std::int64_t last_k = detail::floor_div(ps - offset_, hop_);
      if (last_k * hop_ + offset_ + interval_ > closed_end) break;
      if (cached_ == &panes_.begin()->second) {
        cached_ = nullptr;
        reset_fast_path();
      }
      expected_groups_ = panes_.begin()->second.groups.size();
      if constexpr (releasing_aggregation<Agg>) {
        panes_.begin()->second.groups.for_each(
            [this](const key_type&, const state_type& s) { agg_.release(s); });
      }
      panes_.erase(panes_.begin());
    }
  }

  void reset_fast_path() noexcept {
    fast_start_ = INT64_MAX;
    fast_end_ = INT64_MIN;
    fast_first_end_ = INT64_MAX;
  }

  void recompute_next_end() {
    if (panes_.empty()) {
      next_end_ = INT64_MAX;
      return;
    }
    const std::int64_t ps = panes_.begin()->first * pane_ + offset_;
    const std::int64_t k =
        std::max(detail::floor_div(ps - offset_ - interval_, hop_) + 1, first_open_k());
    next_end_ = k * hop_ + offset_ + interval_;
  }

  Agg agg_;
  std::int64_t interval_;
  std::int64_t hop_;
  std::int64_t offset_;
  std::int64_t pane_;
  std::int64_t step_ = pane_ > 0 ? hop_ / pane_ : 1;  ///< panes from a window start to the next
  std::map<std::int64_t, pane> panes_;
  std::size_t expected_groups_ = 0;  ///< groups of the last pane dropped: new panes' table size
  pane* cached_ = nullptr;
  std::int64_t cached_index_ = 0;
  // [fast_start_, fast_end_): the range of the cached pane while all its windows are open
  // (fast_first_end_: the end of its first window). Empty otherwise.
  std::int64_t fast_start_ = INT64_MAX;
  std::int64_t fast_end_ = INT64_MIN;
  std::int64_t fast_first_end_ = INT64_MAX;
  bool has_closed_ = false;
  std::int64_t closed_ = 0;
  std::int64_t next_end_ = INT64_MAX;
  std::vector<entry> entries_;
  group_map combined_{agg_.key_hasher(), agg_.key_equality()};
  // Sliding combinations of hopping windows (slide_to).
  std::vector<group_map> front_;
  std::size_t front_pos_ = 0;
  std::int64_t front_lo_ = 0;
  std::int64_t front_end_ = 0;
  group_map back_{agg_.key_hasher(), agg_.key_equality()};
  std::int64_t back_end_ = 0;
  bool slide_valid_ = false;
};

}  // namespace reel
