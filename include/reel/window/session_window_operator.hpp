// SPDX-License-Identifier: Apache-2.0
/// \file
/// The session window operator. Per partition key, an event joins a session when
/// `first - gap < t < last + gap`; an event that bridges two sessions merges them. A session is
/// `[first, last + gap)` and closes when the close bound reaches its end. An event that can join
/// no open session opens `[t, t + gap)`, or is late when that session would already be closed.
///
/// Layout: no allocation per event, and none per session once the structures have grown.
/// - Each open session is one record in a `chunked_vector`, kept dense (a closed or merged
///   session's place is taken by the last record): its bounds, event count, partition key and its
///   first group (key and state) inline, and the two links of the close order.
/// - An `index_table` finds the records of a partition key (4 bytes a slot).
/// - A `radix_queue` orders the records by end for closing, through their links: a session that
///   grows changes nothing there until it is looked at.
/// - Groups beyond a session's first (none when the group key follows the partition key) are in
///   a table from a pool of `flat_map`s (emptied with `reset()`), found through `overflow_of_`.
/// When two sessions merge, the later-starting one is folded into the earlier-starting one.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/aggregate/aggregation.hpp"
#include "reel/detail/chunked_vector.hpp"
#include "reel/detail/flat_map.hpp"
#include "reel/detail/index_table.hpp"
#include "reel/detail/radix_queue.hpp"
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
  /// The groups of a session beyond its first.
  using group_map =
      detail::flat_map<key_type, state_type, typename Agg::key_hash, typename Agg::key_equal>;

  struct entry {
    const key_type* key;
    const state_type* state;
  };

  session_window_operator(Agg aggregation, duration gap)
      : agg_(std::move(aggregation)), gap_(gap.count()), key_equal_(agg_.key_equality()) {
    if (gap_ <= 0) throw_error("reel.window.invalid_option", "", "gap must be a positive duration");
    check_window_duration(gap, "gap");
  }

  [[nodiscard]] const Agg& aggregation() const noexcept { return agg_; }
  [[nodiscard]] duration gap() const noexcept { return duration{gap_}; }

  placement add(const partition_key& pkey, const event_type& event, timestamp t, std::uint64_t seq,
                missed_windows& missed) {
    return add_as(pkey, event, t, seq, missed);
  }
  /// `add` with a borrowed partition key (`PartitionTraits::borrowed_key`, hashed and compared
  /// by the traits as it is): it is copied into a `partition_key` only when a session opens.
  template <class Borrowed>
  requires std::same_as<Borrowed, typename PartitionTraits::borrowed_key> placement
  add(const Borrowed& pkey, const event_type& event, timestamp t, std::uint64_t seq,
      missed_windows& missed) {
    return add_as(pkey, event, t, seq, missed);
  }

 private:
  template <class PK>
  placement add_as(const PK& pkey, const event_type& event, timestamp t, std::uint64_t seq,
                   missed_windows& missed) {
    missed.clear();
    const std::int64_t ms = to_millis(t);
    const std::size_t hash = partition_hash_(pkey);
    std::uint32_t target = none;  // the earliest-starting session the event joins
    std::uint32_t joinable = 0;
    std::uint32_t matching = 0;  // sessions of `pkey` seen
    std::uint32_t last_match = none;
    by_key_.probe(hash, [&](std::uint32_t i) {
      const session& s = sessions_[i];
      if (!partition_equal_(s.pkey, pkey)) return true;
      ++matching;
      last_match = i;
      if (s.first - gap_ < ms && ms < s.last + gap_) {
        if (target == none || s.first < sessions_[target].first) target = i;
        ++joinable;
      }
      return s.may_share_key != 0;  // without the flag, it is the key's only session
    });
    if (matching == 1 && sessions_[last_match].may_share_key) [[unlikely]]
      sessions_[last_match].may_share_key = 0;  // it is alone (again)
    if (joinable == 0) return open_session(pkey, hash, last_match, event, t, seq, missed);
    if (joinable > 1) [[unlikely]]
      target = merge_joinable(pkey, hash, ms);
    session& s = sessions_[target];
    s.first = std::min(s.first, ms);
    s.last = std::max(s.last, ms);  // its end grows: the close order sees it when it looks
    ++s.events;
    agg_.add(group_state(target, agg_.key_of(event)), event, seq);
    return placement::accepted;
  }

 public:
  /// The end of the earliest-ending open session.
  [[nodiscard]] timestamp next_close_end() const {
    if (sessions_.empty()) return max_timestamp;
    return from_millis(detail::radix_queue::value_of(close_order_.min_key(nodes())));
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
    std::size_t n = sessions_.size();
    for (std::size_t t = 0; t < overflow_in_use_; ++t)
      n += overflow_tables_[t].size();
    return n;
  }
  /// Bytes held by the open sessions: every structure with its spare capacity (session chunks,
  /// key index, overflow tables, spare ones included, scratch vectors) and what states own.
  [[nodiscard]] std::size_t state_bytes() const {
    std::size_t bytes =
        sessions_.bytes() + by_key_.bytes() + detail::radix_queue::bytes() +
        overflow_of_.table_bytes() + overflow_tables_.capacity() * sizeof(group_map) +
        overflow_owners_.capacity() * sizeof(std::uint32_t) + entries_.capacity() * sizeof(entry) +
        joinable_.capacity() * sizeof(std::uint32_t);
    for (const group_map& table : overflow_tables_)
      bytes += table.table_bytes();
    for (std::size_t i = 0; i < sessions_.size(); ++i)
      bytes += agg_.dynamic_bytes(sessions_[i].state);
    for (std::size_t t = 0; t < overflow_in_use_; ++t) {
      overflow_tables_[t].for_each(
          [&](const key_type&, const state_type& st) { bytes += agg_.dynamic_bytes(st); });
    }
    return bytes;
  }

  /// The open session of `pkey` containing `t`, if any.
  [[nodiscard]] std::optional<window_explanation> explain(const partition_key& pkey,
                                                          timestamp t) const {
    const std::int64_t ms = to_millis(t);
    std::uint32_t found = none;
    by_key_.probe(partition_hash_(pkey), [&](std::uint32_t i) {
      const session& s = sessions_[i];
      if (partition_equal_(s.pkey, pkey) && s.first - gap_ < ms && ms < s.last + gap_ &&
          (found == none || s.first < sessions_[found].first)) {
        found = i;
      }
      return true;
    });
    if (found == none) return std::nullopt;
    const session& s = sessions_[found];
    return window_explanation{
        {from_millis(s.first), from_millis(s.last + gap_)}, true, groups_of(found), s.events};
  }

  /// Events before this time matter no more: their sessions have closed, and an event that old
  /// would be late. `min_timestamp` while nothing has closed. Sources commit positions by it.
  [[nodiscard]] timestamp retained_from() const noexcept {
    if (!has_closed_) return min_timestamp;
    std::int64_t from = closed_ - gap_ + 1;  // a new session at or before closed - gap is late
    for (std::size_t i = 0; i < sessions_.size(); ++i)
      from = std::min(from, sessions_[i].first);
    return from_millis(from);
  }

  [[nodiscard]] std::optional<timestamp> closed_through() const noexcept {
    return has_closed_ ? std::optional<timestamp>(from_millis(closed_)) : std::nullopt;
  }

  [[nodiscard]] nlohmann::json save() const {
    std::vector<std::uint32_t> ordered(sessions_.size());
    std::iota(ordered.begin(), ordered.end(), std::uint32_t{0});
    std::sort(ordered.begin(), ordered.end(), [this](std::uint32_t a, std::uint32_t b) {
      const session& x = sessions_[a];
      const session& y = sessions_[b];
      return x.first != y.first ? x.first < y.first : PartitionTraits::less(x.pkey, y.pkey);
    });
    nlohmann::json out = nlohmann::json::array();
    for (const std::uint32_t i : ordered) {
      const session& s = sessions_[i];
      nlohmann::json groups = nlohmann::json::array();
      for_each_group(i, [&](const key_type& key, const state_type& st) {
        groups.push_back(nlohmann::json::array({agg_.save_key(key), agg_.save_state(st)}));
      });
      out.push_back({PartitionTraits::save(s.pkey), s.first, s.last,
                     static_cast<std::uint64_t>(s.events), std::move(groups)});
    }
    return {{"closed", has_closed_ ? nlohmann::json(closed_) : nlohmann::json()},
            {"sessions", std::move(out)}};
  }

  void load(const nlohmann::json& j) {
    sessions_.clear();
    by_key_.clear();
    close_order_.clear();
    overflow_of_ = decltype(overflow_of_){};
    overflow_tables_.clear();
    overflow_owners_.clear();
    overflow_in_use_ = 0;
    has_closed_ = !j.at("closed").is_null();
    closed_ = has_closed_ ? j.at("closed").get<std::int64_t>() : 0;
    for (const auto& saved : j.at("sessions")) {
      partition_key pkey = PartitionTraits::load(saved.at(0));
      const std::size_t hash = partition_hash_(pkey);
      bool shares_key = false;
      by_key_.probe(hash, [&](std::uint32_t i) {
        if (partition_equal_(sessions_[i].pkey, pkey)) {
          sessions_[i].may_share_key = 1;
          shares_key = true;
        }
        return true;
      });
      const nlohmann::json& groups = saved.at(4);
      const nlohmann::json& first_group = groups.at(0);
      const std::uint32_t i = new_index();
      key_type first_key = agg_.load_key(first_group.at(0));
      state_type first_state = detail::load_group_state(agg_, first_group.at(1), first_key);
      session& s = sessions_.emplace_back(
          session{saved.at(1).get<std::int64_t>(), saved.at(2).get<std::int64_t>(),
                  saved.at(3).get<std::uint64_t>(), 0, shares_key, std::move(first_state),
                  std::move(pkey), std::move(first_key), none, none});
      group_map* overflow = nullptr;
      for (std::size_t g = 1; g < groups.size(); ++g) {
        const key_type key = agg_.load_key(groups.at(g).at(0));
        if (key_equal_(s.key, key)) continue;  // a repeated key: the first one counts
        if (overflow == nullptr) {
          overflow = &overflow_groups(i);
          overflow->reserve(groups.size() - g);  // see sliced_window_operator::load
        }
        overflow->find_or_insert(
            key, [&] { return detail::load_group_state(agg_, groups.at(g).at(1), key); });
      }
      by_key_.insert(hash, i, hash_of());
      close_order_.insert(i, nodes());
    }
  }

 private:
  static constexpr std::uint32_t none = detail::radix_queue::none;

  struct session {
    std::int64_t first;
    std::int64_t last;
    std::uint64_t events : 62;
    std::uint64_t has_more_groups : 1;  ///< groups beyond the first are in an overflow table
    std::uint64_t may_share_key : 1;    ///< other open sessions may have the same partition key
    state_type state;                   ///< the first group's
    partition_key pkey;
    key_type key;        ///< the first group's
    std::uint32_t prev;  ///< the close order's links (radix_queue)
    std::uint32_t next;
  };

  /// The close order's view of the sessions: their links, and their end as key.
  template <class Sessions>
  struct close_order_nodes {
    Sessions& sessions;
    std::int64_t gap;
    auto& prev(std::uint32_t i) const { return sessions[i].prev; }
    auto& next(std::uint32_t i) const { return sessions[i].next; }
    std::uint64_t key(std::uint32_t i) const {
      return detail::radix_queue::key_of(sessions[i].last + gap);
    }
  };
  close_order_nodes<detail::chunked_vector<session>> nodes() { return {sessions_, gap_}; }
  close_order_nodes<const detail::chunked_vector<session>> nodes() const {
    return {sessions_, gap_};
  }
  auto hash_of() const {
    return [this](std::uint32_t i) { return partition_hash_(sessions_[i].pkey); };
  }

  std::uint32_t new_index() const {
    if (sessions_.size() >= 0x7FFFFFFF) throw std::length_error("too many open sessions");
    return static_cast<std::uint32_t>(sessions_.size());
  }

  /// An event that joins no session: opens one, or is late.
  template <class PK>
  placement open_session(const PK& pkey, std::size_t hash, std::uint32_t other,
                         const event_type& event, timestamp t, std::uint64_t seq,
                         missed_windows& missed) {
    const std::int64_t ms = to_millis(t);
    if (has_closed_ && ms + gap_ <= closed_) {
      missed.starts.push_back(t);
      return placement::late;
    }
    const std::uint32_t i = new_index();
    const bool shares_key = other != none;
    if (shares_key) sessions_[other].may_share_key = 1;
    session& s = sessions_.emplace_back(session{ms, ms, 1, 0, shares_key, agg_.make_state(),
                                                partition_key(pkey), key_type(agg_.key_of(event)),
                                                none, none});
    by_key_.insert(hash, i, hash_of());
    close_order_.insert(i, nodes());
    agg_.add(s.state, event, seq);
    return placement::accepted;
  }

  /// The state of group `key` in session `i`, made when absent.
  template <class Key>
  state_type& group_state(std::uint32_t i, const Key& key) {
    session& s = sessions_[i];
    if (key_equal_(s.key, key)) [[likely]]
      return s.state;
    return overflow_state(i, key);
  }
  template <class Key>
  [[gnu::noinline]] state_type& overflow_state(std::uint32_t i, const Key& key) {
    return overflow_groups(i).find_or_insert(key, [this] { return agg_.make_state(); });
  }

  /// Session `i`'s overflow table; one from the spares (or a new one) when it has none. The
  /// tables in use come first in `overflow_tables_`, then the spares, emptied with their
  /// capacity kept: no more spares than tables in use (and at least 16).
  group_map& overflow_groups(std::uint32_t i) {
    session& s = sessions_[i];
    if (s.has_more_groups) return overflow_tables_[*overflow_of_.find(i)];
    const auto table = static_cast<std::uint32_t>(overflow_in_use_);
    if (overflow_in_use_ == overflow_tables_.size()) {
      overflow_tables_.emplace_back(agg_.key_hasher(), agg_.key_equality());
      overflow_owners_.push_back(i);
    }
    ++overflow_in_use_;
    overflow_owners_[table] = i;
    overflow_of_[i] = table;
    s.has_more_groups = 1;
    return overflow_tables_[table];
  }

  /// Session `i` closes or merges away: its overflow table becomes a spare.
  void release_overflow(std::uint32_t i) {
    const std::uint32_t table = *overflow_of_.find(i);
    overflow_of_.erase(i);
    sessions_[i].has_more_groups = 0;
    overflow_tables_[table].reset();
    const auto last = static_cast<std::uint32_t>(--overflow_in_use_);
    if (table != last) {  // the last table in use takes its place
      std::swap(overflow_tables_[table], overflow_tables_[last]);
      overflow_owners_[table] = overflow_owners_[last];
      *overflow_of_.find(overflow_owners_[table]) = table;
    }
    const std::size_t spares = std::max<std::size_t>(16, overflow_in_use_);
    if (overflow_tables_.size() > overflow_in_use_ + spares) {
      const auto keep = static_cast<std::ptrdiff_t>(overflow_in_use_ + spares);
      overflow_tables_.erase(overflow_tables_.begin() + keep, overflow_tables_.end());
      overflow_owners_.erase(overflow_owners_.begin() + keep, overflow_owners_.end());
      if (overflow_tables_.capacity() > 4 * overflow_tables_.size()) {
        overflow_tables_.shrink_to_fit();
        overflow_owners_.shrink_to_fit();
      }
    }
    if (overflow_of_.capacity() > 64 && overflow_of_.size() < overflow_of_.capacity() / 8) {
      decltype(overflow_of_) smaller;  // rebuilt to follow the number of sessions
      smaller.reserve(overflow_of_.size());
      overflow_of_.for_each([&](std::uint32_t s, std::uint32_t t) { smaller[s] = t; });
      overflow_of_ = std::move(smaller);
    }
  }

  /// Session `from`, which has an overflow table, moved to index `to`.
  void move_overflow(std::uint32_t from, std::uint32_t to) {
    const std::uint32_t table = *overflow_of_.find(from);
    overflow_of_.erase(from);
    overflow_of_[to] = table;
    overflow_owners_[table] = to;
  }

  std::size_t groups_of(std::uint32_t i) const {
    if (!sessions_[i].has_more_groups) return 1;
    return 1 + overflow_tables_[*overflow_of_.find(i)].size();
  }

  /// Calls `f(key, state)` for each group of session `i`, the first one first.
  template <class F>
  void for_each_group(std::uint32_t i, F&& f) const {
    const session& s = sessions_[i];
    f(s.key, s.state);
    if (s.has_more_groups) overflow_tables_[*overflow_of_.find(i)].for_each(f);
  }

  /// An event joins several sessions of `pkey`: folds them into the earliest-starting one, in
  /// order of start, and returns that one.
  template <class PK>
  [[gnu::noinline]] std::uint32_t merge_joinable(const PK& pkey, std::size_t hash,
                                                 std::int64_t ms) {
    joinable_.clear();
    by_key_.probe(hash, [&](std::uint32_t i) {
      const session& s = sessions_[i];
      if (partition_equal_(s.pkey, pkey) && s.first - gap_ < ms && ms < s.last + gap_)
        joinable_.push_back(i);
      return true;
    });
    std::sort(joinable_.begin(), joinable_.end(), [this](std::uint32_t a, std::uint32_t b) {
      return sessions_[a].first < sessions_[b].first;
    });
    std::uint32_t target = joinable_.front();
    for (std::size_t k = 1; k < joinable_.size(); ++k)
      fold(target, joinable_[k]);
    // Remove the folded ones, highest index first: removing moves the last record into the hole,
    // which then is never one still to remove (but may be the target).
    std::sort(joinable_.begin() + 1, joinable_.end(), std::greater<>());
    for (std::size_t k = 1; k < joinable_.size(); ++k) {
      const std::uint32_t i = joinable_[k];
      const auto last = static_cast<std::uint32_t>(sessions_.size() - 1);
      close_order_.erase(i, nodes());
      remove_session(i);
      if (target == last) target = i;
    }
    return target;
  }

  /// Folds session `from` (bounds, count, groups) into session `into`.
  void fold(std::uint32_t into, std::uint32_t from) {
    session& a = sessions_[into];
    session& b = sessions_[from];
    a.first = std::min(a.first, b.first);
    a.last = std::max(a.last, b.last);
    a.events += b.events;
    absorb(into, b.key, b.state);
    if (b.has_more_groups) {
      group_map& target = overflow_groups(into);  // from the pool before reading `from`'s table
      group_map& source = overflow_tables_[*overflow_of_.find(from)];
      target.reserve(target.size() + source.size());  // see sliced_window_operator::load
      source.for_each([&](const key_type& key, state_type& st) { absorb(into, key, st); });
    }
  }

  /// Adds group `key` (its state is moved from or merged) to session `into`.
  void absorb(std::uint32_t into, const key_type& key, state_type& state) {
    session& a = sessions_[into];
    if (key_equal_(a.key, key)) {
      agg_.merge(a.state, state);
      return;
    }
    bool fresh = false;
    state_type& dst = overflow_groups(into).find_or_insert(key, [&] {
      fresh = true;
      return std::move(state);
    });
    if (!fresh) agg_.merge(dst, state);
  }

  /// Removes session `i`, which is in no close-order list: the last record takes its place.
  void remove_session(std::uint32_t i) {
    by_key_.erase(partition_hash_(sessions_[i].pkey), i, hash_of());
    if (sessions_[i].has_more_groups) release_overflow(i);
    const auto last = static_cast<std::uint32_t>(sessions_.size() - 1);
    if (i != last) {
      session& moved = sessions_[last];
      by_key_.replace(partition_hash_(moved.pkey), last, i);
      if (moved.has_more_groups) move_overflow(last, i);
      sessions_[i] = std::move(moved);
      close_order_.relocate(i, nodes());
    }
    sessions_.pop_back();
  }

  void remove_taken_sessions() {
    for (std::uint32_t i = close_order_.taken_front(); i != none; i = close_order_.taken_front()) {
      close_order_.erase(i, nodes());
      remove_session(i);
    }
  }

  template <class Emit>
  std::optional<timestamp> close_up_to(std::int64_t b, Emit& emit) {
    if (!close_order_.take_through(detail::radix_queue::key_of(b), nodes())) return std::nullopt;
    close_order_.sort_taken(nodes(), [this](std::uint32_t a, std::uint32_t b2) {
      const session& x = sessions_[a];
      const session& y = sessions_[b2];
      if (x.last != y.last) return x.last < y.last;  // the order of end = last + gap
      if (x.first != y.first) return x.first < y.first;
      return PartitionTraits::less(x.pkey, y.pkey);
    });
    if constexpr (releasing_aggregation<Agg>) {  // before any emit, which may throw
      for (std::uint32_t i = close_order_.taken_front(); i != none; i = sessions_[i].next)
        for_each_group(i, [this](const key_type&, const state_type& st) { agg_.release(st); });
    }
    std::int64_t last_end = 0;
    try {
      for (std::uint32_t i = close_order_.taken_front(); i != none; i = sessions_[i].next) {
        entries_.clear();
        for_each_group(i, [&](const key_type& key, const state_type& st) {
          entries_.push_back({&key, &st});
        });
        std::sort(entries_.begin(), entries_.end(),
                  [this](const entry& x, const entry& y) { return agg_.key_less(*x.key, *y.key); });
        const session& s = sessions_[i];
        last_end = s.last + gap_;
        if (!entries_.empty())
          emit(window_bounds{from_millis(s.first), from_millis(last_end)}, s.pkey, entries_);
      }
    } catch (...) {
      remove_taken_sessions();  // closed, whatever the emitter did
      throw;
    }
    remove_taken_sessions();
    return from_millis(last_end);
  }

  Agg agg_;
  std::int64_t gap_;
  [[no_unique_address]] typename Agg::key_equal key_equal_;
  [[no_unique_address]] typename PartitionTraits::hash partition_hash_{};
  [[no_unique_address]] typename PartitionTraits::equal partition_equal_{};
  detail::chunked_vector<session> sessions_;
  detail::index_table by_key_;  ///< partition key → its sessions
  detail::radix_queue close_order_;
  detail::flat_map<std::uint32_t, std::uint32_t> overflow_of_;  ///< session → overflow table
  std::vector<group_map> overflow_tables_;      ///< in use (the first `overflow_in_use_`), spares
  std::vector<std::uint32_t> overflow_owners_;  ///< the session of each table in use
  std::size_t overflow_in_use_ = 0;
  std::vector<entry> entries_;
  std::vector<std::uint32_t> joinable_;
  bool has_closed_ = false;
  std::int64_t closed_ = 0;
};

}  // namespace reel
