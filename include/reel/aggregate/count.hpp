// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::count()`, `$count` (the accumulator): the number of events in the group.
#pragma once

#include "reel/aggregate/accumulator.hpp"

namespace reel {

struct count_spec {
  template <class Event>
  struct bound {
    using state_type = std::int64_t;
    void add(state_type& s, const Event&, std::uint64_t) const { ++s; }
    void merge(state_type& s, const state_type& o) const { s += o; }
    state_type result(const state_type& s) const { return s; }
  };
  template <class Event>
  bound<Event> bind() const {
    return {};
  }
};

inline count_spec count() {
  return {};
}

}  // namespace reel
