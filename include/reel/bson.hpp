// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson`: Reel's BSON-typed document model (target `reel::bson`, see
/// docs/document-model.md). Values, arenas, builders, compiled field paths, MongoDB's order and
/// numeric rules with Decimal128, Extended JSON and BSON in and out, and the nlohmann::json edge
/// (reel/bson/nlohmann.hpp, not included here).
#pragma once

#include "reel/bson/arena.hpp"
#include "reel/bson/bson_bytes.hpp"
#include "reel/bson/builder.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/field_path.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/bson/owned.hpp"
#include "reel/bson/value.hpp"
