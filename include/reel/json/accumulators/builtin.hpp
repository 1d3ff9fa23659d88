// SPDX-License-Identifier: Apache-2.0
/// \file
/// Registers every built-in accumulator in `accumulator_registry::global()`.
#pragma once

#include <memory>

#include "reel/json/accumulators/arithmetic.hpp"
#include "reel/json/accumulators/collect.hpp"
#include "reel/json/accumulators/order.hpp"

namespace reel::json {

inline accumulator_registry& accumulator_registry::global() {
  static accumulator_registry* registry = [] {
    auto* r = new accumulator_registry;
    using namespace detail;
    using arg_t = const document&;
    using where_t = const std::string&;
    r->add("$sum", [](arg_t a, where_t w) { return std::make_shared<sum_accumulator>(a, w); });
    r->add("$avg", [](arg_t a, where_t w) { return std::make_shared<avg_accumulator>(a, w); });
    r->add("$count", [](arg_t a, where_t w) { return std::make_shared<count_accumulator>(a, w); });
    r->add("$stdDevPop",
           [](arg_t a, where_t w) { return std::make_shared<std_dev_accumulator>(a, w, false); });
    r->add("$stdDevSamp",
           [](arg_t a, where_t w) { return std::make_shared<std_dev_accumulator>(a, w, true); });
    r->add("$median",
           [](arg_t a, where_t w) { return std::make_shared<percentile_accumulator>(a, w, true); });
    r->add("$percentile", [](arg_t a, where_t w) {
      return std::make_shared<percentile_accumulator>(a, w, false);
    });
    r->add("$min",
           [](arg_t a, where_t w) { return std::make_shared<extreme_accumulator>(a, w, false); });
    r->add("$max",
           [](arg_t a, where_t w) { return std::make_shared<extreme_accumulator>(a, w, true); });
    r->add("$first",
           [](arg_t a, where_t w) { return std::make_shared<arrival_accumulator>(a, w, false); });
    r->add("$last",
           [](arg_t a, where_t w) { return std::make_shared<arrival_accumulator>(a, w, true); });
    r->add("$firstN",
           [](arg_t a, where_t w) { return std::make_shared<arrival_n_accumulator>(a, w, false); });
    r->add("$lastN",
           [](arg_t a, where_t w) { return std::make_shared<arrival_n_accumulator>(a, w, true); });
    r->add("$minN",
           [](arg_t a, where_t w) { return std::make_shared<extreme_n_accumulator>(a, w, false); });
    r->add("$maxN",
           [](arg_t a, where_t w) { return std::make_shared<extreme_n_accumulator>(a, w, true); });
    r->add("$top", [](arg_t a, where_t w) {
      return std::make_shared<ranked_accumulator>(a, w, "$top", false, false);
    });
    r->add("$bottom", [](arg_t a, where_t w) {
      return std::make_shared<ranked_accumulator>(a, w, "$bottom", true, false);
    });
    r->add("$topN", [](arg_t a, where_t w) {
      return std::make_shared<ranked_accumulator>(a, w, "$topN", false, true);
    });
    r->add("$bottomN", [](arg_t a, where_t w) {
      return std::make_shared<ranked_accumulator>(a, w, "$bottomN", true, true);
    });
    r->add("$push", [](arg_t a, where_t w) { return std::make_shared<push_accumulator>(a, w); });
    r->add("$addToSet",
           [](arg_t a, where_t w) { return std::make_shared<add_to_set_accumulator>(a, w); });
    r->add("$mergeObjects",
           [](arg_t a, where_t w) { return std::make_shared<merge_objects_accumulator>(a, w); });
    return r;
  }();
  return *registry;
}

}  // namespace reel::json
