// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson::field_path`: a dotted path (`ts`, `customer.address.city`) split once into its
/// components, then read from any number of documents without parsing or allocating again.
///
/// Two readings: `lookup` descends documents only (what a sink or `timeField` on a scalar needs);
/// `resolve` is MongoDB's aggregation reading of `$a.b`: an array met on the way is traversed and
/// the result is the array of what each element yields (elements without the field are left out,
/// nested arrays give nested arrays), built in the caller's arena.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson {

class field_path {
 public:
  /// `dotted` without a leading `$`. Throws `reel.path.invalid` for an empty path or an empty
  /// component (`a..b`, `a.`).
  explicit field_path(std::string_view dotted);

  [[nodiscard]] const std::vector<std::string>& components() const noexcept { return components_; }
  [[nodiscard]] const std::string& dotted() const noexcept { return dotted_; }

  /// The value at the path through documents only; missing when a step is absent or is not a
  /// document. Never allocates.
  [[nodiscard]] value lookup(const value& root) const noexcept;
  /// The value at the path with implicit array traversal (aggregation `$a.b`); arrays built for
  /// traversed paths go into `memory`. Without an array on the way this is `lookup`.
  [[nodiscard]] value resolve(const value& root, arena& memory) const;

 private:
  value resolve_from(std::size_t index, const value& doc, arena& memory) const;
  value resolve_array(std::size_t index, const value& array, arena& memory) const;

  std::string dotted_;
  std::vector<std::string> components_;
};

}  // namespace reel::bson
