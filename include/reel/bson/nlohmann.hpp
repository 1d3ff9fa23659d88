// SPDX-License-Identifier: Apache-2.0
/// \file
/// The API edge with `nlohmann::ordered_json`, in the representation Reel's JSON path uses today
/// (include/reel/json/ejson.hpp): numbers as JSON numbers, dates as `{"$date": "…Z"}` (or
/// `{"$date": {"$numberLong": "…"}}` outside years 0000–9999), every other BSON type as its
/// canonical Extended JSON wrapper (`{"$oid": …}`, `{"$numberDecimal": "…"}`, `{"$binary":
/// {"base64", "subType"}}`, …). Lets the JSON path move to `value` one stage at a time and lets
/// users who hold a nlohmann::json keep doing so.
///
/// Going to nlohmann loses what that representation cannot say (int32 vs int64); coming back,
/// wrappers are decoded exactly as text input decodes them (`from_nlohmann(to_nlohmann(v))`
/// equals `v` for every type but int64 values that fit in 32 bits, which come back as int32).
#pragma once

#include <nlohmann/json.hpp>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson {

[[nodiscard]] nlohmann::ordered_json to_nlohmann(const value& v);
/// Throws `reel.input.invalid_ejson` (with the JSON pointer) for a malformed wrapper.
[[nodiscard]] value from_nlohmann(const nlohmann::ordered_json& j, arena& memory);

}  // namespace reel::bson
