// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::emit(callback)` and `reel::emit_to(container)`: the sink of a typed pipeline.
#pragma once

#include <functional>
#include <type_traits>

#include "reel/stage/stage_context.hpp"
#include "reel/time.hpp"

namespace reel {

template <class Fn>
struct emit_spec {
  static constexpr bool is_stage = true;
  Fn callback;
  static constexpr bool is_sink = true;

  template <class In>
  struct runtime {
    static_assert(std::is_invocable_v<Fn&, const In&>,
                  "reel::emit: the callback must accept what the pipeline produces");
    using output_type = void;
    Fn callback;
    explicit runtime(const emit_spec& spec) : callback(spec.callback) {}
    template <class Next>
    void process(const In& e, timestamp, stage_context& ctx, Next&&) {
      ++ctx.counters.output;
      std::invoke(callback, e);
    }
  };
};

template <class Fn>
emit_spec<Fn> emit(Fn callback) {
  return {std::move(callback)};
}

/// Appends every output to `container` (which must outlive the processor).
template <class Container>
auto emit_to(Container& container) {
  return emit([&container](const auto& v) { container.push_back(v); });
}

}  // namespace reel
