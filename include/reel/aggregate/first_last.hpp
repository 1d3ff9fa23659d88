// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::first(projection)` and `reel::last(projection)`, `$first`/`$last`: the value of the
/// group's first or last event in arrival order (kept exact across hopping-window slices and
/// session merges by the arrival sequence number).
#pragma once

#include <optional>
#include <utility>

#include "reel/aggregate/accumulator.hpp"

namespace reel {

template <class Proj, bool Last>
struct arrival_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using value_type = projected_t<Proj, Event>;
    struct state_type {
      std::uint64_t seq = 0;
      std::optional<value_type> value;
    };
    void add(state_type& s, const Event& e, std::uint64_t seq) const {
      if (!s.value || (Last ? seq >= s.seq : seq < s.seq)) {
        s.seq = seq;
        s.value = std::invoke(projection, e);
      }
    }
    void merge(state_type& s, const state_type& o) const {
      if (o.value && (!s.value || (Last ? o.seq >= s.seq : o.seq < s.seq))) s = o;
    }
    value_type result(const state_type& s) const { return s.value ? *s.value : value_type{}; }
    nlohmann::json save(const state_type& s) const {
      return s.value ? nlohmann::json::array({s.seq, *s.value}) : nlohmann::json();
    }
    state_type load(const nlohmann::json& j) const {
      if (j.is_null()) return {};
      return {j.at(0).get<std::uint64_t>(), j.at(1).get<value_type>()};
    }
  };
  template <class Event>
  bound<Event> bind() const {
    return {projection};
  }
};

template <class Proj>
arrival_spec<Proj, false> first(Proj projection) {
  return {std::move(projection)};
}
template <class Proj>
arrival_spec<Proj, true> last(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
