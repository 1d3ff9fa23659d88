// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::map(function)` (`$project`, `$addFields`, ... in typed form): replaces each event by
/// the function's result; the event keeps its time.
#pragma once

#include <functional>
#include <type_traits>

#include "reel/stage/stage_context.hpp"
#include "reel/time.hpp"

namespace reel {

template <class Fn>
struct map_spec {
  static constexpr bool is_stage = true;
  Fn function;

  template <class In>
  struct runtime {
    static_assert(std::is_invocable_v<const Fn&, const In&>,
                  "reel::map: the function must accept the event type");
    using output_type = std::remove_cvref_t<std::invoke_result_t<const Fn&, const In&>>;
    Fn function;
    explicit runtime(const map_spec& spec) : function(spec.function) {}
    template <class Next>
    void process(const In& e, timestamp t, stage_context&, Next&& next) {
      next(std::invoke(function, e), t);
    }
  };
};

template <class Fn>
map_spec<Fn> map(Fn function) {
  return {std::move(function)};
}

/// Alias of `map`, named after `$project`.
template <class Fn>
map_spec<Fn> project(Fn function) {
  return {std::move(function)};
}

}  // namespace reel
