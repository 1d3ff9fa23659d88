// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::group(key, accumulators...)`, `$group`: inside a window, one state per key holding
/// every accumulator's state; the window emits one `reel::window_result` per key, in ascending
/// key order. `reel::group_all(accumulators...)` aggregates the whole window under one key.
///
/// **Example**
/// ```cpp
/// reel::group(&ticket::movie, reel::sum(&ticket::amount), reel::count())
/// // -> window_result<std::string, std::tuple<double, std::int64_t>>
/// ```
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <tuple>
#include <utility>

#include "reel/aggregate/accumulator.hpp"
#include "reel/aggregate/aggregation.hpp"

namespace reel {

/// The key of `group_all`: every event in one group.
struct no_key {
  friend constexpr bool operator==(no_key, no_key) noexcept { return true; }
  // All of <, >, <=, >=: `group` requires a std::totally_ordered key.
  friend constexpr std::strong_ordering operator<=>(no_key, no_key) noexcept {
    return std::strong_ordering::equal;
  }
  friend void to_json(nlohmann::json& j, no_key) { j = nullptr; }
  friend void from_json(const nlohmann::json&, no_key&) {}
};

}  // namespace reel

template <>
struct std::hash<reel::no_key> {
  std::size_t operator()(reel::no_key) const noexcept { return 0; }
};

namespace reel {

struct group_all_key {
  no_key operator()(const auto&) const noexcept { return {}; }
};

/// A key projection usable on `Event`: hashable and ordered.
template <class Proj, class Event>
concept key_projection = projection_for<Proj, Event> &&
    std::totally_ordered<projected_t<Proj, Event>> && requires(const projected_t<Proj, Event>& k) {
  { std::hash<projected_t<Proj, Event>>{}(k) } -> std::convertible_to<std::size_t>;
};

/// `group` bound to an event type: models `window_aggregation`.
template <class Event, class KeyProj, class... Acc>
class group_aggregation {
 public:
  using event_type = Event;
  using key_type = projected_t<KeyProj, Event>;
  using state_type = std::tuple<typename Acc::state_type...>;
  using result_type = std::tuple<std::remove_cvref_t<decltype(std::declval<const Acc&>().result(
      std::declval<const typename Acc::state_type&>()))>...>;
  using key_hash = std::hash<key_type>;
  using key_equal = std::equal_to<key_type>;

  group_aggregation(KeyProj key, Acc... accumulators)
      : key_(std::move(key)), accumulators_(std::move(accumulators)...) {}

  decltype(auto) key_of(const Event& e) const { return std::invoke(key_, e); }
  state_type make_state() const { return state_type{}; }
  void add(state_type& s, const Event& e, std::uint64_t seq) const {
    each([&](const auto& acc, auto& st) { acc.add(st, e, seq); }, s);
  }
  void merge(state_type& s, const state_type& o) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(accumulators_).merge(std::get<I>(s), std::get<I>(o)), ...);
    }
    (std::index_sequence_for<Acc...>{});
  }
  result_type result(const state_type& s) const {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return result_type{std::get<I>(accumulators_).result(std::get<I>(s))...};
    }
    (std::index_sequence_for<Acc...>{});
  }
  bool key_less(const key_type& a, const key_type& b) const { return a < b; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const {
    std::size_t bytes = 0;
    each([&](const auto& acc, const auto& st) { bytes += detail::dynamic_bytes(acc, st); }, s);
    return bytes;
  }
  nlohmann::json save_key(const key_type& k) const { return nlohmann::json(k); }
  key_type load_key(const nlohmann::json& j) const { return j.get<key_type>(); }
  nlohmann::json save_state(const state_type& s) const {
    nlohmann::json out = nlohmann::json::array();
    each([&](const auto& acc, const auto& st) { out.push_back(detail::save_state(acc, st)); }, s);
    return out;
  }
  state_type load_state(const nlohmann::json& j) const {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return state_type{detail::load_state(std::get<I>(accumulators_), j.at(I))...};
    }
    (std::index_sequence_for<Acc...>{});
  }

 private:
  template <class F, class State>
  void each(F&& f, State& s) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(std::get<I>(accumulators_), std::get<I>(s)), ...);
    }
    (std::index_sequence_for<Acc...>{});
  }

  KeyProj key_;
  std::tuple<Acc...> accumulators_;
};

/// The unbound group: a key projection and accumulator specs.
template <class KeyProj, class... Specs>
struct group_spec {
  KeyProj key;
  std::tuple<Specs...> accumulators;

  template <class Event>
  auto bind() const {
    static_assert(projection_for<KeyProj, Event>,
                  "reel::group: the key projection cannot be applied to the event type");
    static_assert(key_projection<KeyProj, Event>,
                  "reel::group: the key must be hashable (std::hash) and ordered (operator<)");
    return std::apply(
        [&](const auto&... spec) {
          return group_aggregation<Event, KeyProj,
                                   decltype(detail::bind_accumulator<
                                            std::remove_cvref_t<decltype(spec)>, Event>(spec))...>(
              key, detail::bind_accumulator<std::remove_cvref_t<decltype(spec)>, Event>(spec)...);
        },
        accumulators);
  }
};

template <class KeyProj, class... Specs>
group_spec<KeyProj, Specs...> group(KeyProj key, Specs... accumulators) {
  static_assert(sizeof...(Specs) > 0, "reel::group needs at least one accumulator");
  return {std::move(key), {std::move(accumulators)...}};
}

template <class... Specs>
group_spec<group_all_key, Specs...> group_all(Specs... accumulators) {
  static_assert(sizeof...(Specs) > 0, "reel::group_all needs at least one accumulator");
  return {group_all_key{}, {std::move(accumulators)...}};
}

}  // namespace reel
