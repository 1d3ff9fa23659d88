// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$sort: {field: 1 | -1, ...}` (window pipelines only): a stable sort in MongoDB's BSON order
/// across types. As in MongoDB, a missing field sorts as null; an array field sorts by its
/// smallest element ascending and its largest descending (an empty array sorts before null);
/// dotted paths reach into arrays of subdocuments.
///
/// **Example**: `{"$sort": {"score": -1, "_id": 1}}`
#pragma once

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/batch.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class sort final : public detail::batch_stage<> {
 public:
  sort(const document& spec, const std::string& where) {
    if (!spec.is_object()) {
      detail::bad_stage(where, "$sort takes an object of sort keys, found " + type_name(spec));
    }
    if (spec.empty()) detail::bad_stage(where, "$sort must have at least one sort key");
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string at = detail::pointer_append(where, it.key());
      const field_path path(it.key(), at);
      const auto direction = as_numeric(*it);
      if (!direction || (direction->to_double() != 1 && direction->to_double() != -1)) {
        detail::bad_stage(at,
                          "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
      }
      keys_.push_back({path, direction->to_double() > 0 ? 1 : -1});
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "SortOperator"; }

  void apply_batch(std::vector<document>& docs, const eval_context&) const override {
    if (docs.size() < 2) return;
    std::vector<std::vector<document>> sort_keys(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
      sort_keys[i].reserve(keys_.size());
      for (const auto& k : keys_)
        sort_keys[i].push_back(sort_key(docs[i], k));
    }
    std::vector<std::size_t> order(docs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      for (std::size_t k = 0; k < keys_.size(); ++k) {
        const int c = compare_values(sort_keys[a][k], sort_keys[b][k]);
        if (c != 0) return c * keys_[k].direction < 0;
      }
      return false;
    });
    std::vector<document> sorted;
    sorted.reserve(docs.size());
    for (std::size_t i : order)
      sorted.push_back(std::move(docs[i]));
    docs = std::move(sorted);
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_batch.cpp).
  void apply_value_batch(std::vector<bson::value>& docs, const eval_context& ctx,
                         bson::arena& memory) const override;
#endif

 private:
  struct key {
    field_path path;
    int direction;
  };

  /// The value a document sorts by for `k`: null for missing, the smallest (ascending) or
  /// largest (descending) of the values the path reaches through arrays, missing (below null)
  /// for an empty array.
  static document sort_key(const document& doc, const key& k) {
    const document* best = nullptr;
    bool any = false;
    bool empty_array = false;
    const document null_value(nullptr);
    auto offer = [&](const document* candidate) {
      if (!any || compare_values(*candidate, *best) * k.direction < 0) best = candidate;
      any = true;
    };
    k.path.any_query_value(doc, false, [&](const document* v) {
      if (v == nullptr) {
        offer(&null_value);
      } else if (v->is_array()) {
        if (v->empty()) empty_array = true;
        for (const auto& e : *v)
          offer(&e);
      } else {
        offer(v);
      }
      return false;
    });
    if (!any) return empty_array ? missing() : document(nullptr);
    return *best;
  }

  std::vector<key> keys_;
};

/// The factory of `$sort` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_sort(const document& spec,
                                                       const std::string& where) {
  return std::make_shared<sort>(spec, where);
}

}  // namespace reel::json::stages
