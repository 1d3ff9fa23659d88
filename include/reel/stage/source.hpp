// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::from<T>(...)`: the start of a typed pipeline. Events of type `T` are pushed by the
/// application (`processor::push`) or fed from a range (`reel::run`). With
/// `reel::event_time(projection)` each event carries its event time; without it, events carry
/// the processing time of their arrival, and only processing-time windows may follow.
///
/// **Example**
/// ```cpp
/// auto p = reel::from<trade>(reel::event_time(&trade::ts)) | ...;
/// ```
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <type_traits>

#include "reel/time.hpp"

namespace reel {

/// Marks a source without an event-time extractor.
struct no_event_time {};

template <class Proj>
struct event_time_spec {
  Proj projection;
};

/// The event time of an event: a member pointer or callable returning a `std::chrono::sys_time`.
template <class Proj>
event_time_spec<Proj> event_time(Proj projection) {
  return {std::move(projection)};
}

/// An event-time projection usable on `T`.
template <class Proj, class T>
concept event_time_projection = std::invocable<const Proj&, const T&> &&
    requires(const Proj& p, const T& e) {
  std::chrono::time_point_cast<duration>(std::invoke(p, e));
};

template <class T, class TimeSpec = no_event_time>
struct source_spec {
  using event_type = T;
  static constexpr bool has_event_time = !std::is_same_v<TimeSpec, no_event_time>;
  TimeSpec time;

  timestamp time_of(const T& e) const requires has_event_time {
    return std::chrono::time_point_cast<duration>(std::invoke(time.projection, e));
  }
};

template <class T>
source_spec<T> from() {
  return {};
}

template <class T, class Proj>
source_spec<T, event_time_spec<Proj>> from(event_time_spec<Proj> time) {
  static_assert(event_time_projection<Proj, T>,
                "reel::event_time: the projection must return a std::chrono::sys_time (e.g. "
                "reel::timestamp) for the event type");
  return {std::move(time)};
}

}  // namespace reel
