// SPDX-License-Identifier: Apache-2.0
/// \file
/// Accumulators of the typed API and how to write your own.
///
/// An accumulator *spec* (what `reel::sum(&trade::qty)` returns) is bound to the event type by
/// `reel::group`, giving an accumulator with a `state_type` and four operations:
/// `add(state, event, seq)`, `merge(state, other)` (combine two partial states: hopping-window
/// slices and session merges), `result(state)` and, for checkpoints, `save(state)` /
/// `load(json)`. `seq` is the arrival order of the event, which `first`, `last` and `push` use
/// so that combining partial states keeps arrival order.
///
/// **A custom accumulator** is any type with those members (it need not be a spec):
/// ```cpp
/// struct sum_of_squares {
///   using state_type = double;
///   void add(double& s, const trade& t, std::uint64_t) const { s += t.price * t.price; }
///   void merge(double& s, const double& o) const { s += o; }
///   double result(const double& s) const { return s; }
/// };
/// auto g = reel::group(&trade::symbol, sum_of_squares{}, reel::count());
/// ```
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace reel {

/// A bound accumulator for events of type `Event`.
template <class A, class Event>
concept accumulator_for = requires(const A& a, typename A::state_type& s,
                                   const typename A::state_type& o, const Event& e,
                                   std::uint64_t seq) {
  typename A::state_type;
  a.add(s, e, seq);
  a.merge(s, o);
  a.result(o);
};

/// A spec that binds to an event type (`reel::sum(&trade::qty)`).
template <class S, class Event>
concept accumulator_spec_for = requires(const S& s) {
  { s.template bind<Event>() } -> accumulator_for<Event>;
};

/// What a projection (member pointer or callable) gives for an event, decayed.
template <class Proj, class Event>
using projected_t = std::remove_cvref_t<std::invoke_result_t<const Proj&, const Event&>>;

/// A projection usable on `Event`.
template <class Proj, class Event>
concept projection_for = std::invocable<const Proj&, const Event&>;

/// A projection that yields a number (needed by `sum`, `avg`, `std_dev_*`, `median`, ...).
template <class Proj, class Event>
concept numeric_projection =
    projection_for<Proj, Event> && std::is_arithmetic_v<projected_t<Proj, Event>> &&
    !std::is_same_v<projected_t<Proj, Event>, bool>;

namespace detail {

/// `sum` keeps integers as 64-bit integers and everything else as double.
template <class T>
using numeric_accumulator_t = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;

template <class A, class State>
nlohmann::json save_state(const A& a, const State& s) {
  if constexpr (requires { a.save(s); }) {
    return a.save(s);
  } else {
    return nlohmann::json(s);
  }
}

template <class A>
typename A::state_type load_state(const A& a, const nlohmann::json& j) {
  if constexpr (requires { a.load(j); }) {
    return a.load(j);
  } else {
    return j.get<typename A::state_type>();
  }
}

template <class A, class State>
std::size_t dynamic_bytes(const A& a, const State& s) {
  if constexpr (requires { a.dynamic_bytes(s); }) {
    return a.dynamic_bytes(s);
  } else {
    return 0;
  }
}

template <class A, class Event>
auto bind_accumulator(const A& a) {
  if constexpr (accumulator_spec_for<A, Event>) {
    return a.template bind<Event>();
  } else {
    static_assert(
        accumulator_for<A, Event>,
        "reel::group: each accumulator must be a reel accumulator (reel::sum, reel::count, ...) or "
        "a type with state_type, add(state&, const Event&, std::uint64_t), merge(state&, const "
        "state&) and result(const state&)");
    return a;
  }
}

}  // namespace detail
}  // namespace reel
