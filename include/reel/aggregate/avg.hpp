// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::avg(projection)`, `$avg`: the arithmetic mean as double.
#pragma once

#include "reel/aggregate/accumulator.hpp"

namespace reel {

struct avg_state {
  double sum = 0;
  std::int64_t count = 0;
  friend void to_json(nlohmann::json& j, const avg_state& s) { j = {s.sum, s.count}; }
  friend void from_json(const nlohmann::json& j, avg_state& s) {
    s.sum = j.at(0).get<double>();
    s.count = j.at(1).get<std::int64_t>();
  }
};

template <class Proj>
struct avg_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using state_type = avg_state;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      s.sum += static_cast<double>(std::invoke(projection, e));
      ++s.count;
    }
    void merge(state_type& s, const state_type& o) const {
      s.sum += o.sum;
      s.count += o.count;
    }
    double result(const state_type& s) const {
      return s.count == 0 ? 0.0 : s.sum / static_cast<double>(s.count);
    }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(numeric_projection<Proj, Event>,
                  "reel::avg needs a numeric field: the projection must return a number");
    return {projection};
  }
};

template <class Proj>
avg_spec<Proj> avg(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
