// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB's order over BSON values (what `$sort`, `$min`/`$max` and `$cmp` use, without
/// collation), and equality and hash consistent with it (what `$group` keys use: 1, 1.0,
/// NumberLong(1) and NumberDecimal("1.0") are one key).
///
/// Across types: MinKey < undefined/missing < null < numbers < string/symbol < document < array
/// < binData < ObjectId < bool < date < timestamp < regex < code < MaxKey. Numbers compare by
/// value whatever their type (NaN equals NaN, below every other number). Documents compare field
/// by field (type order of the values, then the names, then the values), then by length; arrays
/// element by element, then by length; binData by length, then subtype, then bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "reel/bson/value.hpp"

namespace reel::bson {

/// The server's canonical rank of a type (`canonicalizeBSONType`); equal ranks compare by value.
[[nodiscard]] int canonical_rank(type t) noexcept;

/// <0, 0 or >0.
[[nodiscard]] int compare(const value& a, const value& b) noexcept;
[[nodiscard]] inline bool equal(const value& a, const value& b) noexcept {
  return compare(a, b) == 0;
}
/// Consistent with `equal`: equal values hash alike (numbers by value, across types).
[[nodiscard]] std::size_t hash(const value& v) noexcept;

/// For unordered containers keyed by values.
struct value_hash {
  std::size_t operator()(const value& v) const noexcept { return hash(v); }
};
struct value_equal {
  bool operator()(const value& a, const value& b) const noexcept { return equal(a, b); }
};
struct value_less {
  bool operator()(const value& a, const value& b) const noexcept { return compare(a, b) < 0; }
};

}  // namespace reel::bson
