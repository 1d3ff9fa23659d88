// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::top_n(n, sort_by[, output])` and `reel::bottom_n(n, sort_by[, output])`, like
/// `$topN`/`$bottomN` with a single sort key: the outputs of the `n` events with the largest
/// (`top_n`) or smallest (`bottom_n`) sort key, best first; ties go to the earlier arrival.
#pragma once

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <vector>

#include "reel/aggregate/accumulator.hpp"

namespace reel {

struct identity_projection {
  template <class T>
  const T& operator()(const T& v) const noexcept {
    return v;
  }
};

template <class SortProj, class OutProj, bool Top>
struct rank_spec {
  std::size_t n;
  SortProj sort_by;
  OutProj output;
  template <class Event>
  struct bound {
    std::size_t n;
    SortProj sort_by;
    OutProj output;
    using sort_type = projected_t<SortProj, Event>;
    using output_type = projected_t<OutProj, Event>;
    using item = std::tuple<sort_type, std::uint64_t, output_type>;
    using state_type = std::vector<item>;  // best first, at most n

    static bool better(const item& a, const item& b) {
      if (std::get<0>(a) != std::get<0>(b))
        return Top ? std::get<0>(b) < std::get<0>(a) : std::get<0>(a) < std::get<0>(b);
      return std::get<1>(a) < std::get<1>(b);
    }
    void offer(state_type& s, item candidate) const {
      if (s.size() == n && !better(candidate, s.back())) return;
      s.insert(std::upper_bound(s.begin(), s.end(), candidate, better), std::move(candidate));
      if (s.size() > n) s.pop_back();
    }
    void add(state_type& s, const Event& e, std::uint64_t seq) const {
      offer(s, item{std::invoke(sort_by, e), seq, std::invoke(output, e)});
    }
    void merge(state_type& s, const state_type& o) const {
      for (const item& i : o)
        offer(s, i);
    }
    std::vector<output_type> result(const state_type& s) const {
      std::vector<output_type> out;
      for (const item& i : s)
        out.push_back(std::get<2>(i));
      return out;
    }
    nlohmann::json save(const state_type& s) const {
      nlohmann::json out = nlohmann::json::array();
      for (const item& i : s)
        out.push_back({std::get<0>(i), std::get<1>(i), std::get<2>(i)});
      return out;
    }
    state_type load(const nlohmann::json& j) const {
      state_type s;
      for (const auto& i : j)
        s.emplace_back(i.at(0).get<sort_type>(), i.at(1).get<std::uint64_t>(),
                       i.at(2).get<output_type>());
      return s;
    }
    std::size_t dynamic_bytes(const state_type& s) const { return s.capacity() * sizeof(item); }
  };
  template <class Event>
  bound<Event> bind() const {
    static_assert(std::totally_ordered<projected_t<SortProj, Event>>,
                  "reel::top_n/bottom_n need an ordered sort field");
    return {n, sort_by, output};
  }
};

template <class SortProj, class OutProj = SortProj>
rank_spec<SortProj, OutProj, true> top_n(std::size_t n, SortProj sort_by, OutProj output) {
  return {n, std::move(sort_by), std::move(output)};
}
template <class SortProj>
rank_spec<SortProj, SortProj, true> top_n(std::size_t n, SortProj sort_by) {
  return {n, sort_by, sort_by};
}
template <class SortProj, class OutProj>
rank_spec<SortProj, OutProj, false> bottom_n(std::size_t n, SortProj sort_by, OutProj output) {
  return {n, std::move(sort_by), std::move(output)};
}
template <class SortProj>
rank_spec<SortProj, SortProj, false> bottom_n(std::size_t n, SortProj sort_by) {
  return {n, sort_by, sort_by};
}

}  // namespace reel
