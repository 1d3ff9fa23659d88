// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::min(projection)` and `reel::max(projection)`, `$min`/`$max`, for any totally ordered
/// field (numbers, strings, timestamps, ...). The result is the value of the group (groups are
/// never empty).
#pragma once

#include <optional>

#include "reel/aggregate/accumulator.hpp"

namespace reel {

template <class Proj, bool Largest>
struct extreme_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using value_type = projected_t<Proj, Event>;
    using state_type = std::optional<value_type>;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      offer(s, std::invoke(projection, e));
    }
    void merge(state_type& s, const state_type& o) const {
      if (o) offer(s, *o);
    }
    value_type result(const state_type& s) const { return s ? *s : value_type{}; }
    nlohmann::json save(const state_type& s) const {
      return s ? nlohmann::json(*s) : nlohmann::json();
    }
    state_type load(const nlohmann::json& j) const {
      return j.is_null() ? state_type{} : state_type{j.get<value_type>()};
    }

   private:
    static void offer(state_type& s, const value_type& v) {
      if (!s || (Largest ? *s < v : v < *s)) s = v;
    }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(std::totally_ordered<projected_t<Proj, Event>>,
                  "reel::min/max need an ordered field");
    return {projection};
  }
};

template <class Proj>
extreme_spec<Proj, false> min(Proj projection) {
  return {std::move(projection)};
}
template <class Proj>
extreme_spec<Proj, true> max(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
