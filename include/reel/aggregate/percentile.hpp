// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::percentile(p, projection)` and `reel::median(projection)`, `$percentile`/`$median`:
/// exact, nearest-rank (the value at rank `ceil(p * n)`), so the result is always one of the
/// inputs, as MongoDB documents for its percentiles.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "reel/aggregate/accumulator.hpp"
#include "reel/error.hpp"

namespace reel {

template <class Proj>
struct percentile_spec {
  double p;
  Proj projection;
  template <class Event>
  struct bound {
    double p;
    Proj projection;
    using state_type = std::vector<double>;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      s.push_back(static_cast<double>(std::invoke(projection, e)));
    }
    void merge(state_type& s, const state_type& o) const { s.insert(s.end(), o.begin(), o.end()); }
    double result(const state_type& s) const {
      if (s.empty()) return 0.0;
      std::vector<double> values = s;
      const auto rank = static_cast<std::size_t>(
          std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
      auto nth = values.begin() + static_cast<std::ptrdiff_t>(std::min(rank, values.size()) - 1);
      std::nth_element(values.begin(), nth, values.end());
      return *nth;
    }
    std::size_t dynamic_bytes(const state_type& s) const { return s.capacity() * sizeof(double); }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(numeric_projection<Proj, Event>, "reel::percentile/median need a numeric field");
    return {p, projection};
  }
};

/// `p` in [0, 1]; throws `reel.aggregate.invalid_percentile` otherwise.
template <class Proj>
percentile_spec<Proj> percentile(double p, Proj projection) {
  if (!(p >= 0.0 && p <= 1.0))
    throw_error("reel.aggregate.invalid_percentile", "", "percentile must be between 0 and 1");
  return {p, std::move(projection)};
}
template <class Proj>
percentile_spec<Proj> median(Proj projection) {
  return {0.5, std::move(projection)};
}

}  // namespace reel
