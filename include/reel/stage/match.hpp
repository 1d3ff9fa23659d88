// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::match(predicate)`, `$match`: keeps the events for which the predicate is true; the
/// others are counted in `stats().filtered_count`.
#pragma once

#include <concepts>
#include <functional>

#include "reel/stage/stage_context.hpp"
#include "reel/time.hpp"

namespace reel {

template <class Pred>
struct match_spec {
  static constexpr bool is_stage = true;
  Pred predicate;

  template <class In>
  struct runtime {
    static_assert(std::predicate<const Pred&, const In&>,
                  "reel::match: the predicate must take the event and return bool");
    using output_type = In;
    Pred predicate;
    explicit runtime(const match_spec& spec) : predicate(spec.predicate) {}
    template <class Next>
    void process(const In& e, timestamp t, stage_context& ctx, Next&& next) {
      if (std::invoke(predicate, e)) {
        next(e, t);
      } else {
        ++ctx.counters.filtered;
      }
    }
  };
};

template <class Pred>
match_spec<Pred> match(Pred predicate) {
  return {std::move(predicate)};
}

}  // namespace reel
