// SPDX-License-Identifier: Apache-2.0
/// \file
/// BSON bytes (bsonspec.org 1.1) into and out of `reel::bson::value`: what MongoDB's driver hands
/// a change-stream source and what a `$merge` sink hands it back. Written by hand from the
/// specification (a plain length-prefixed format; no library type crosses the API).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson {

/// The document in `bytes` (one whole BSON document), copied into `memory`. Throws `reel::error`
/// `reel.input.invalid_bson` with the byte offset of the problem in the message (truncated
/// input, a bad length, an unknown or deprecated element type such as DBPointer, nesting deeper
/// than 200).
[[nodiscard]] value from_bson(std::span<const std::uint8_t> bytes, arena& memory);

/// Appends the BSON bytes of `doc` (a document; missing fields are left out).
void append_bson(std::vector<std::uint8_t>& out, const value& doc);

}  // namespace reel::bson
