// SPDX-License-Identifier: Apache-2.0
/// \file
/// The value forms of the window-only stages `$sort`, `$limit` and `$count`
/// (document_stage.hpp, docs/document-model.md §6 step 4). `$sort` orders the batch's values
/// themselves (no copy): keys are read once per document and compared with `bson::compare`.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "reel/bson/compare.hpp"
#include "reel/json/stage.hpp"

namespace reel::json::stages {

namespace {

/// A component's array index (`a.0.b`), or -1.
std::int64_t array_index(std::string_view s) noexcept {
  if (s.empty() || s.size() > 18) return -1;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// MongoDB's query reading of a path on values (`field_path::any_query_value` without leaf
/// expansion): calls `offer(v)` for each value the path reaches, a null pointer for "missing".
/// Arrays met before the end of the path are traversed: document elements continue the path,
/// a numeric component also selects that element.
template <class Offer>
class query_walk {
 public:
  query_walk(const std::vector<std::string>& parts, Offer& offer) : parts_(parts), offer_(offer) {}

  void walk(const bson::value& node, std::size_t i) const {
    bson::value cur = node;
    while (i < parts_.size()) {
      if (cur.is_document()) {
        cur = cur[parts_[i]];
        if (cur.is_missing()) {
          offer_(nullptr);
          return;
        }
        ++i;
      } else if (cur.is_array()) {
        walk_array(cur, i);
        return;
      } else {
        offer_(nullptr);
        return;
      }
    }
    offer_(&cur);
  }

 private:
  void walk_array(const bson::value& arr, std::size_t i) const {
    const std::int64_t idx = array_index(parts_[i]);
    std::int64_t pos = 0;
    for (const bson::value& e : arr.elements()) {
      const bool offset_match = idx == pos++;
      if (e.is_document()) {
        walk(e, i);
        if (offset_match) {
          if (i + 1 == parts_.size()) {
            offer_(&e);
          } else {
            walk(e, i + 1);
          }
        }
      } else if (offset_match) {
        if (i + 1 == parts_.size()) {
          offer_(&e);
        } else if (e.is_array()) {
          walk_array(e, i + 1);
        }
      }
    }
  }

  const std::vector<std::string>& parts_;
  Offer& offer_;
};

}  // namespace

void sort::apply_value_batch(std::vector<bson::value>& docs, const eval_context&,
                             bson::arena&) const {
  if (docs.size() < 2) return;
  // The key a document sorts by for `k`: null for missing, the smallest (ascending) or largest
  // (descending) of the values the path reaches through arrays (a leaf array offers its
  // elements), missing (below null) for an empty array.
  const auto sort_key = [](const bson::value& doc, const key& k) {
    bson::value best;
    bool any = false;
    bool empty_array = false;
    const auto consider = [&](const bson::value& candidate) {
      if (!any || bson::compare(candidate, best) * k.direction < 0) best = candidate;
      any = true;
    };
    auto offer = [&](const bson::value* v) {
      if (v == nullptr) {
        consider(bson::value::null());
      } else if (v->is_array()) {
        if (v->size() == 0) empty_array = true;
        for (const bson::value& e : v->elements())
          consider(e);
      } else {
        consider(*v);
      }
    };
    query_walk<decltype(offer)>(k.path.parts(), offer).walk(doc, 0);
    if (!any) return empty_array ? bson::value{} : bson::value::null();
    return best;
  };
  const std::size_t n = docs.size();
  std::vector<bson::value> sort_keys(n * keys_.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < keys_.size(); ++k)
      sort_keys[i * keys_.size() + k] = sort_key(docs[i], keys_[k]);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const int c = bson::compare(sort_keys[a * keys_.size() + k], sort_keys[b * keys_.size() + k]);
      if (c != 0) return c * keys_[k].direction < 0;
    }
    return false;
  });
  std::vector<bson::value> sorted;
  sorted.reserve(n);
  for (std::size_t i : order)
    sorted.push_back(docs[i]);
  docs = std::move(sorted);
}

void limit::apply_value_batch(std::vector<bson::value>& docs, const eval_context&,
                              bson::arena&) const {
  if (docs.size() > n_) docs.resize(n_);
}

void count::apply_value_batch(std::vector<bson::value>& docs, const eval_context&,
                              bson::arena& memory) const {
  if (docs.empty()) return;
  // An int32 while it fits, then a long (the server's $sum of 1s).
  const bson::value n = docs.size() <= static_cast<std::size_t>(INT32_MAX)
                            ? bson::value::int32(static_cast<std::int32_t>(docs.size()))
                            : bson::value::int64(static_cast<std::int64_t>(docs.size()));
  auto* f = memory.allocate_array<bson::field>(1);
  f[0] = bson::field{field_.data(), static_cast<std::uint32_t>(field_.size()), n};
  docs.clear();
  docs.push_back(bson::value::document({f, 1}));
}

}  // namespace reel::json::stages
