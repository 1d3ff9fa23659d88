// SPDX-License-Identifier: Apache-2.0
/// \file
/// `collection_reader`: how `$lookup` and `$cachedLookup` read the collection they join against.
/// A connection type that can be joined against gives one through
/// `connection_type::make_collection_reader` (the `mongodb` type of `reel::mongo` does); the
/// stages stay free of any driver. A reader is called from a stage's own thread, one query at a
/// time per stage, and may block for the query's duration.
///
/// **Example** (a reader over documents held in memory, for tests)
/// ```cpp
/// struct vector_reader final : reel::collection_reader {
///   std::vector<reel::json::document> docs;
///   std::vector<reel::json::document> find(const std::string&, const std::string&,
///                                          const reel::json::document& filter) const override {
///     auto q = reel::json::compile_query(filter);
///     std::vector<reel::json::document> out;
///     for (const auto& d : docs) if (q.matches(d)) out.push_back(d);
///     return out;
///   }
///   ...
/// };
/// ```
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reel {

class collection_reader {
 public:
  virtual ~collection_reader() = default;
  /// The documents of `db.coll` that match the query `filter`, in the order the server returns
  /// them. Throws `reel::error` when the query fails (after the connection's retries).
  [[nodiscard]] virtual std::vector<nlohmann::ordered_json> find(
      const std::string& db, const std::string& coll,
      const nlohmann::ordered_json& filter) const = 0;
  /// The results of the aggregation `pipeline` (an array of stages) run on `db.coll`. Throws
  /// `reel::error` when it fails (a stage the server refuses: its message).
  [[nodiscard]] virtual std::vector<nlohmann::ordered_json> aggregate(
      const std::string& db, const std::string& coll,
      const nlohmann::ordered_json& pipeline) const = 0;
  /// How the reader names itself in messages (`mongodb connection 'atlas'`).
  [[nodiscard]] virtual std::string describe() const { return "collection reader"; }
};

}  // namespace reel
