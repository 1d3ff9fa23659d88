// SPDX-License-Identifier: Apache-2.0
/// \file
/// The session window operator. Per partition key, an event joins a session when
/// `first - gap < t < last + gap`; an event that bridges two sessions merges them. A session is
/// `[first, last + gap)` and closes when the close bound reaches its end. An event that can join
/// no open session opens `[t, t + gap)`, or is late when that session would already be closed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/aggregate/aggregation.hpp"
#include "reel/detail/flat_map.hpp"
#include "reel/time.hpp"
#include "reel/window/options.hpp"
#include "reel/window/sliced_window_operator.hpp"

namespace reel {

/// How session partition keys are hashed, compared and saved.
template <class Key>
struct default_partition_traits {
  using hash = std::hash<Key>;
  using equal = std::equal_to<Key>;
  static bool less(const Key& a, const Key& b) { return a < b; }
  static nlohmann::json save(const Key& k) { return nlohmann::json(k); }
  static Key load(const nlohmann::json& j) { return j.get<Key>(); }
};

template <window_aggregation Agg, class PartitionKey,
          class PartitionTraits = default_partition_traits<PartitionKey>>
class session_window_operator {
 public:
  using aggregation_type = Agg;
  using key_type = typename Agg::key_type;
  using state_type = typename Agg::state_type;
  using event_type = typename Agg::event_type;
  using partition_key = PartitionKey;
  using group_map =
      detail::flat_map<key_type, state_type, typename Agg::key_hash, typename Agg::key_equal>;

  struct entry {
    const key_type* key;
    const state_type* state;
  };

  session_window_operator(Agg aggregation, duration gap)
      : agg_(std::move(aggregation)), gap_(gap.count()) {
    if (gap_ <= 0) throw_error("reel.window.invalid_option", "", "gap must be a positive duration");
  }

  [[nodiscard]] const Agg& aggregation() const noexcept { return agg_; }
  [[nodiscard]] duration gap() const noexcept { return duration{gap_}; }

  placement add(const partition_key& pkey, const event_type& event, timestamp t, std::uint64_t seq,
                missed_windows& missed) {
    missed.clear();
    const std::int64_t ms = to_millis(t);
    std::vector<std::uint64_t>& ids = by_key_[pkey];
    std::uint64_t target = 0;
    bool found = false;
    for (std::size_t i = 0; i < ids.size();) {
      session& s = sessions_.at(ids[i]);
      if (s.first - gap_ < ms && ms < s.last + gap_) {
        if (!found) {
          target = ids[i];
          found = true;
          ++i;
          continue;
        }
        // Bridging event: fold this session into the target one.
        session& into = sessions_.at(target);
        into.first = std::min(into.first, s.first);
        into.last = std::max(into.last, s.last);
        into.events += s.events;
        s.groups.for_each([&](const key_type& key, const state_type& st) {
          bool fresh = false;
          state_type& dst = into.groups.find_or_insert(key, [&] {
            fresh = true;
            return st;
          });
          if (!fresh) agg_.merge(dst, st);
        });
        sessions_.erase(ids[i]);
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ++i;
    }
    if (!found) {
      if (has_closed_ && ms + gap_ <= closed_) {
        missed.starts.push_back(t);
        if (ids.empty()) by_key_.erase(pkey);
        return placement::late;
      }
      target = next_id_++;
      session fresh{pkey, ms, ms, group_map(agg_.key_hasher(), agg_.key_equality()), 0};
      sessions_.emplace(target, std::move(fresh));
      ids.push_back(target);
      push_heap_entry(ms + gap_, target);
    }
    session& s = sessions_.at(target);
    s.first = std::min(s.first, ms);
    s.last = std::max(s.last, ms);
    ++s.events;
    state_type& state =
        s.groups.find_or_insert(agg_.key_of(event), [this] { return agg_.make_state(); });
    agg_.add(state, event, seq);
    return placement::accepted;
  }

  /// The end of the earliest-ending open session (exact: stale heap entries are settled first).
  [[nodiscard]] timestamp next_close_end() const {
    settle_heap_front();
    return heap_.empty() ? max_timestamp : from_millis(heap_.front().end);
  }
  [[nodiscard]] bool has_open_windows() const noexcept { return !sessions_.empty(); }

  /// Closes sessions ending at or before `bound`, in order of end, start, partition key:
  /// `emit(window_bounds, const partition_key&, const std::vector<entry>&)`.
  template <class Emit>
  std::optional<timestamp> close_through(timestamp bound, Emit&& emit) {
    const std::int64_t b = to_millis(bound);
    std::optional<timestamp> last = close_up_to(b, emit);
    closed_ = has_closed_ ? std::max(closed_, b) : b;
    has_closed_ = true;
    return last;
  }

  template <class Emit>
  std::optional<timestamp> close_all(Emit&& emit) {
    std::optional<timestamp> last = close_up_to(INT64_MAX, emit);
    if (last) {
      closed_ = has_closed_ ? std::max(closed_, to_millis(*last)) : to_millis(*last);
      has_closed_ = true;
    }
    return last;
  }

  [[nodiscard]] std::size_t open_window_count() const noexcept { return sessions_.size(); }
  [[nodiscard]] std::size_t group_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [id, s] : sessions_)
      n += s.groups.size();
    return n;
  }
  [[nodiscard]] std::size_t state_bytes() const {
    std::size_t bytes = heap_.capacity() * sizeof(heap_entry) + by_key_.table_bytes();
    for (const auto& [id, s] : sessions_) {
      bytes += sizeof(session) + 32 + s.groups.table_bytes();
      s.groups.for_each(
          [&](const key_type&, const state_type& st) { bytes += agg_.dynamic_bytes(st); });
    }
    return bytes;
  }

  /// The open session of `pkey` containing `t`, if any.
  [[nodiscard]] std::optional<window_explanation> explain(const partition_key& pkey,
                                                          timestamp t) const {
    const auto* ids = by_key_.find(pkey);
    if (ids == nullptr) return std::nullopt;
    const std::int64_t ms = to_millis(t);
    for (std::uint64_t id : *ids) {
      const session& s = sessions_.at(id);
      if (s.first - gap_ < ms && ms < s.last + gap_) {
        return window_explanation{
            {from_millis(s.first), from_millis(s.last + gap_)}, true, s.groups.size(), s.events};
      }
    }
    return std::nullopt;
  }

  /// Events before this time matter no more: their sessions have closed, and an event that old
  /// would be late. `min_timestamp` while nothing has closed. Sources commit positions by it.
  [[nodiscard]] timestamp retained_from() const noexcept {
    if (!has_closed_) return min_timestamp;
    std::int64_t from = closed_ - gap_ + 1;  // a new session at or before closed - gap is late
    for (const auto& [id, s] : sessions_)
      from = std::min(from, s.first);
    return from_millis(from);
  }

  [[nodiscard]] std::optional<timestamp> closed_through() const noexcept {
    return has_closed_ ? std::optional<timestamp>(from_millis(closed_)) : std::nullopt;
  }

  [[nodiscard]] nlohmann::json save() const {
    std::vector<const session*> ordered;
    for (const auto& [id, s] : sessions_)
      ordered.push_back(&s);
    std::sort(ordered.begin(), ordered.end(), [](const session* a, const session* b) {
      return a->first != b->first ? a->first < b->first : PartitionTraits::less(a->pkey, b->pkey);
    });
    nlohmann::json out = nlohmann::json::array();
    for (const session* s : ordered) {
      nlohmann::json groups = nlohmann::json::array();
      s->groups.for_each([&](const key_type& key, const state_type& st) {
        groups.push_back(nlohmann::json::array({agg_.save_key(key), agg_.save_state(st)}));
      });
      out.push_back(
          {PartitionTraits::save(s->pkey), s->first, s->last, s->events, std::move(groups)});
    }
    return {{"closed", has_closed_ ? nlohmann::json(closed_) : nlohmann::json()},
            {"sessions", std::move(out)}};
  }

  void load(const nlohmann::json& j) {
    sessions_.clear();
    by_key_.clear();
    heap_.clear();
    has_closed_ = !j.at("closed").is_null();
    closed_ = has_closed_ ? j.at("closed").get<std::int64_t>() : 0;
    for (const auto& s : j.at("sessions")) {
      session restored{
          PartitionTraits::load(s.at(0)), s.at(1).get<std::int64_t>(), s.at(2).get<std::int64_t>(),
          group_map(agg_.key_hasher(), agg_.key_equality()), s.at(3).get<std::uint64_t>()};
      for (const auto& g : s.at(4)) {
        restored.groups.find_or_insert(agg_.load_key(g.at(0)),
                                       [&] { return agg_.load_state(g.at(1)); });
      }
      const std::uint64_t id = next_id_++;
      by_key_[restored.pkey].push_back(id);
      push_heap_entry(restored.last + gap_, id);
      sessions_.emplace(id, std::move(restored));
    }
  }

 private:
  struct session {
    partition_key pkey;
    std::int64_t first;
    std::int64_t last;
    group_map groups;
    std::uint64_t events;
  };
  struct heap_entry {
    std::int64_t end;
    std::uint64_t id;
  };
  static bool heap_after(const heap_entry& a, const heap_entry& b) noexcept {
    return a.end > b.end;
  }

  void push_heap_entry(std::int64_t end, std::uint64_t id) const {
    heap_.push_back({end, id});
    std::push_heap(heap_.begin(), heap_.end(), heap_after);
  }

  /// Until the top of the heap is a live session's current end: drops entries of sessions merged
  /// away, and pushes again, with its current end, a session that grew since its entry was made.
  void settle_heap_front() const {
    while (!heap_.empty()) {
      const heap_entry top = heap_.front();
      const auto it = sessions_.find(top.id);
      if (it != sessions_.end() && it->second.last + gap_ == top.end) return;
      std::pop_heap(heap_.begin(), heap_.end(), heap_after);
      heap_.pop_back();
      if (it != sessions_.end()) push_heap_entry(it->second.last + gap_, top.id);
    }
  }

  template <class Emit>
  std::optional<timestamp> close_up_to(std::int64_t b, Emit& emit) {
    closing_.clear();
    while (!heap_.empty() && heap_.front().end <= b) {
      std::pop_heap(heap_.begin(), heap_.end(), heap_after);
      const heap_entry top = heap_.back();
      heap_.pop_back();
      auto it = sessions_.find(top.id);
      if (it == sessions_.end()) continue;  // merged away
      const std::int64_t end = it->second.last + gap_;
      if (end > top.end) {  // extended since this entry was pushed
        push_heap_entry(end, top.id);
        continue;
      }
      closing_.push_back(top.id);
    }
    if (closing_.empty()) return std::nullopt;
    std::sort(closing_.begin(), closing_.end(), [this](std::uint64_t a, std::uint64_t b2) {
      const session& x = sessions_.at(a);
      const session& y = sessions_.at(b2);
      if (x.last + gap_ != y.last + gap_) return x.last + gap_ < y.last + gap_;
      if (x.first != y.first) return x.first < y.first;
      return PartitionTraits::less(x.pkey, y.pkey);
    });
    std::int64_t last_end = 0;
    for (std::uint64_t id : closing_) {
      session& s = sessions_.at(id);
      entries_.clear();
      s.groups.for_each([&](const key_type& key, const state_type& st) {
        entries_.push_back({&key, &st});
      });
      std::sort(entries_.begin(), entries_.end(),
                [this](const entry& a, const entry& b2) { return agg_.key_less(*a.key, *b2.key); });
      last_end = s.last + gap_;
      if (!entries_.empty())
        emit(window_bounds{from_millis(s.first), from_millis(last_end)}, s.pkey, entries_);
      auto* ids = by_key_.find(s.pkey);
      if (ids != nullptr) {
        ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
        if (ids->empty()) by_key_.erase(s.pkey);
      }
      sessions_.erase(id);
    }
    return from_millis(last_end);
  }

  Agg agg_;
  std::int64_t gap_;
  std::unordered_map<std::uint64_t, session> sessions_;
  detail::flat_map<partition_key, std::vector<std::uint64_t>, typename PartitionTraits::hash,
                   typename PartitionTraits::equal>
      by_key_;
  mutable std::vector<heap_entry> heap_;  // by end; may hold stale entries (see close_up_to)
  std::vector<std::uint64_t> closing_;
  std::vector<entry> entries_;
  std::uint64_t next_id_ = 0;
  bool has_closed_ = false;
  std::int64_t closed_ = 0;
};

}  // namespace reel
