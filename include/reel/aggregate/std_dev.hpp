// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::std_dev_pop(projection)` and `reel::std_dev_samp(projection)`, `$stdDevPop` /
/// `$stdDevSamp`, computed with Welford's update and Chan's combination (numerically stable and
/// combinable across slices). A sample deviation of fewer than two values is 0 (MongoDB: null).
#pragma once

#include <cmath>

#include "reel/aggregate/accumulator.hpp"

namespace reel {

struct moments {
  std::int64_t n = 0;
  double mean = 0;
  double m2 = 0;
  void add(double x) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  void merge(const moments& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const double total = static_cast<double>(n + o.n);
    const double delta = o.mean - mean;
    mean += delta * static_cast<double>(o.n) / total;
    m2 += o.m2 + delta * delta * static_cast<double>(n) * static_cast<double>(o.n) / total;
    n += o.n;
  }
  friend void to_json(nlohmann::json& j, const moments& m) { j = {m.n, m.mean, m.m2}; }
  friend void from_json(const nlohmann::json& j, moments& m) {
    m.n = j.at(0).get<std::int64_t>();
    m.mean = j.at(1).get<double>();
    m.m2 = j.at(2).get<double>();
  }
};

template <class Proj, bool Sample>
struct std_dev_spec {
  Proj projection;
  template <class Event>
  struct bound {
    Proj projection;
    using state_type = moments;
    void add(state_type& s, const Event& e, std::uint64_t) const {
      s.add(static_cast<double>(std::invoke(projection, e)));
    }
    void merge(state_type& s, const state_type& o) const { s.merge(o); }
    double result(const state_type& s) const {
      const std::int64_t divisor = Sample ? s.n - 1 : s.n;
      return divisor <= 0 ? 0.0 : std::sqrt(s.m2 / static_cast<double>(divisor));
    }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(numeric_projection<Proj, Event>,
                  "reel::std_dev_pop/std_dev_samp need a numeric field");
    return {projection};
  }
};

template <class Proj>
std_dev_spec<Proj, false> std_dev_pop(Proj projection) {
  return {std::move(projection)};
}
template <class Proj>
std_dev_spec<Proj, true> std_dev_samp(Proj projection) {
  return {std::move(projection)};
}

}  // namespace reel
