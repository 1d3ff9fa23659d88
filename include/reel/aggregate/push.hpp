// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::push(projection)`, `$push`: every value of the group, in arrival order.
/// `reel::add_to_set(projection)`, `$addToSet`: the distinct values, in ascending order.
#pragma once

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "reel/aggregate/accumulator.hpp"

namespace reel {

template <class Proj>
struct push_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using value_type = projected_t<Proj, Event>;
    using state_type = std::vector<std::pair<std::uint64_t, value_type>>;
    void add(state_type& s, const Event& e, std::uint64_t seq) const {
      if (!s.empty() && s.back().first > seq) {
        auto at = std::upper_bound(s.begin(), s.end(), seq,
                                   [](std::uint64_t q, const auto& p) { return q < p.first; });
        s.insert(at, {seq, std::invoke(projection, e)});
      } else {
        s.emplace_back(seq, std::invoke(projection, e));
      }
    }
    void merge(state_type& s, const state_type& o) const {
      state_type out;
      out.reserve(s.size() + o.size());
      std::merge(s.begin(), s.end(), o.begin(), o.end(), std::back_inserter(out),
                 [](const auto& a, const auto& b) { return a.first < b.first; });
      s = std::move(out);
    }
    std::vector<value_type> result(const state_type& s) const {
      std::vector<value_type> out;
      out.reserve(s.size());
      for (const auto& p : s)
        out.push_back(p.second);
      return out;
    }
    std::size_t dynamic_bytes(const state_type& s) const {
      return s.capacity() * sizeof(typename state_type::value_type);
    }
  };
  template <class Event>
  bound<Event> bind() const {
    return {projection};
  }
};

template <class Proj>
push_spec<Proj> push(Proj projection) {
  return {std::move(projection)};
}

template <class Proj>
struct add_to_set_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using value_type = projected_t<Proj, Event>;
    using state_type = std::set<value_type>;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      s.insert(std::invoke(projection, e));
    }
    void merge(state_type& s, const state_type& o) const { s.insert(o.begin(), o.end()); }
    std::vector<value_type> result(const state_type& s) const { return {s.begin(), s.end()}; }
    std::size_t dynamic_bytes(const state_type& s) const {
      return s.size() * (sizeof(value_type) + 32);
    }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(std::totally_ordered<projected_t<Proj, Event>>,
                  "reel::add_to_set needs an ordered field");
    return {projection};
  }
};

template <class Proj>
add_to_set_spec<Proj> add_to_set(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
