// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::sum(projection)`, `$sum`: integers sum as 64-bit integers (wrapping on overflow),
/// floating-point values as double.
#pragma once

#include "reel/aggregate/accumulator.hpp"

namespace reel {

template <class Proj>
struct sum_spec {
  Proj projection;

  template <class Event>
  struct bound {
    Proj projection;
    using value_type = projected_t<Proj, Event>;
    using state_type = detail::numeric_accumulator_t<value_type>;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      if constexpr (std::is_integral_v<state_type>) {
        s = static_cast<state_type>(static_cast<std::uint64_t>(s) +
                                    static_cast<std::uint64_t>(std::invoke(projection, e)));
      } else {
        s += static_cast<state_type>(std::invoke(projection, e));
      }
    }
    void merge(state_type& s, const state_type& o) const {
      if constexpr (std::is_integral_v<state_type>) {
        s = static_cast<state_type>(static_cast<std::uint64_t>(s) + static_cast<std::uint64_t>(o));
      } else {
        s += o;
      }
    }
    state_type result(const state_type& s) const { return s; }
  };

  template <class Event>
  bound<Event> bind() const {
    static_assert(numeric_projection<Proj, Event>,
                  "reel::sum needs a numeric field: the projection must return a number");
    return {projection};
  }
};

/// Sum of a numeric field.
template <class Proj>
sum_spec<Proj> sum(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
