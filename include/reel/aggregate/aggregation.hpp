// SPDX-License-Identifier: Apache-2.0
/// \file
/// What a window operator needs from the aggregation that runs inside a window: a key per event,
/// a state per (key, window or slice), and the ways to add an event, combine two states (for
/// hopping-window slices and session merges) and order keys. The typed `reel::group` and the
/// JSON `$group` both model this concept, so the window engine is written once.
///
/// For checkpoints an aggregation also provides `save_key`, `load_key`, `save_state` and
/// `load_state` (to and from `nlohmann::json`); they are needed only when `checkpoint()` or
/// `restore()` is called.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>

namespace reel {

template <class A>
concept window_aggregation = requires(const A& a, typename A::state_type& state,
                                      const typename A::state_type& other,
                                      const typename A::event_type& event,
                                      const typename A::key_type& key, std::uint64_t seq) {
  typename A::event_type;
  typename A::key_type;
  typename A::state_type;
  typename A::key_hash;
  typename A::key_equal;
  // The key of an event: a `key_type`, or a borrowed view of one that the window's group tables
  // look up as it is (transparent `key_hash` and `key_equal`) and copy only for a new group.
  requires std::constructible_from<typename A::key_type, decltype(a.key_of(event))>;
  { a.make_state() } -> std::same_as<typename A::state_type>;
  a.add(state, event, seq);
  a.merge(state, other);
  { a.key_less(key, key) } -> std::convertible_to<bool>;
  { a.key_hasher() } -> std::convertible_to<typename A::key_hash>;
  { a.key_equality() } -> std::convertible_to<typename A::key_equal>;
  { a.dynamic_bytes(other) } -> std::convertible_to<std::size_t>;
};

/// Optional for a `window_aggregation`: `a.release(state)` is called by the window operators
/// when they discard a state for good (its pane's last window or its session closed), so that
/// the aggregation can keep its own running account of the state it holds (the JSON front end's
/// `stateSize`). States merged into another one, or copied for a closing hopping window, are not
/// released: what they held counts in the state they were merged into.
template <class A>
concept releasing_aggregation = window_aggregation<A> &&
    requires(const A& a, const typename A::state_type& state) {
  a.release(state);
};

namespace detail {

/// `a.load_state(saved, key)` for an aggregation whose states need their key to be rebuilt (an
/// accumulator's `n` computed from the group key), else `a.load_state(saved)`.
template <class A, class Saved>
typename A::state_type load_group_state(const A& a, const Saved& saved,
                                        const typename A::key_type& key) {
  if constexpr (requires { a.load_state(saved, key); }) {
    return a.load_state(saved, key);
  } else {
    (void)key;
    return a.load_state(saved);
  }
}

}  // namespace detail

}  // namespace reel
