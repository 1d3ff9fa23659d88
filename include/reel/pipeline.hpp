// SPDX-License-Identifier: Apache-2.0
/// \file
/// Composing a typed pipeline with `|`: a `reel::from` source, stateless stages, at most one
/// window, and a sink. The composition is only a description; `reel::processor` instantiates it.
///
/// **Example**
/// ```cpp
/// auto pipeline = reel::from<trade>(reel::event_time(&trade::ts))
///               | reel::match([](const trade& t) { return t.qty > 0; })
///               | reel::tumbling_window({.interval = 1min}, reel::group(&trade::symbol,
///               reel::sum(&trade::qty))) | reel::emit([](const auto& r) { /* r.start, r.end,
///               r.key, r.values */ });
/// ```
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>

#include "reel/stage/source.hpp"

namespace reel {

/// A stage description: `match`, `map`, a window, `emit`.
template <class S>
concept stage_spec = requires {
  S::is_stage;
};

template <class Source, class... Specs>
struct pipeline {
  Source source;
  std::tuple<Specs...> stages;
};

template <class T, class TimeSpec, stage_spec Spec>
pipeline<source_spec<T, TimeSpec>, Spec> operator|(source_spec<T, TimeSpec> source, Spec stage) {
  return {std::move(source), std::tuple<Spec>(std::move(stage))};
}

template <class Source, class... Specs, stage_spec Spec>
pipeline<Source, Specs..., Spec> operator|(pipeline<Source, Specs...> p, Spec stage) {
  return {std::move(p.source),
          std::tuple_cat(std::move(p.stages), std::tuple<Spec>(std::move(stage)))};
}

}  // namespace reel
