// SPDX-License-Identifier: Apache-2.0
/// \file
/// What the value forms of the built-in stages share (src/json/value_stage_*.cpp): the builder
/// they write with and the path writes of `$unwind`/`$setStreamMeta`. Private to `reel::json`.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "reel/bson/arena.hpp"
#include "reel/bson/builder.hpp"
#include "reel/bson/value.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::detail {

/// This thread's builder for the value stages, cleared and bound to `memory`. Never open while
/// an expression is evaluated (stages evaluate first, then build), so nothing reenters it.
bson::builder& stage_builder(bson::arena& memory);

/// `doc` with the value at `prefix.parts` set to `v` (or the field removed when `v` is missing),
/// built into `b`'s arena: the documents on the path are new, everything else points into
/// `doc`. An existing field keeps its position, a new one is appended; a step that is not a
/// document becomes one (as the nlohmann stages do with `document::object()`). `first`, when
/// not empty, is a component before `parts`.
bson::value with_path_set(bson::builder& b, const bson::value& doc, std::string_view first,
                          std::span<const std::string> parts, const bson::value& v);

/// An exclusion projection of `doc` (`$unset`, exclusion `$project`): `doc` itself when it has
/// none of the excluded fields.
bson::value exclude_value(const projection_tree& t, const bson::value& doc, bson::arena& memory);

}  // namespace reel::json::detail
