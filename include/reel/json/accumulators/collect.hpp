// SPDX-License-Identifier: Apache-2.0
/// \file
/// Collecting accumulators: `$push` (arrival order), `$addToSet` (distinct, in BSON order),
/// `$mergeObjects` (objects merged in arrival order; null and missing ignored).
#pragma once

#include <string>

#include "reel/json/accumulators/common.hpp"

namespace reel::json::detail {

class push_accumulator final : public unary_accumulator {
 public:
  push_accumulator(const document& arg, const std::string& where)
      : unary_accumulator(arg, where, "$push") {}
  document init() const override { return document::array(); }
  void add_evaluated(document& s, document&& v, std::uint64_t seq) const override {
    if (is_missing(v)) return;
    insert_by_seq(s, document::array({seq, std::move(v)}));
  }
  void merge(document& s, const document& o) const override { s = merge_by_seq(s, o); }
  document result(const document& s) const override {
    document out = document::array();
    for (const auto& item : s)
      out.push_back(item[1]);
    return out;
  }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif
};

class add_to_set_accumulator final : public unary_accumulator {
 public:
  add_to_set_accumulator(const document& arg, const std::string& where)
      : unary_accumulator(arg, where, "$addToSet") {}
  document init() const override { return document::array(); }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override { offer(s, v); }
  void merge(document& s, const document& o) const override {
    for (const auto& v : o)
      offer(s, v);
  }
  document result(const document& s) const override { return s; }

#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  static void offer(document& s, const document& v) {
    if (is_missing(v)) return;
    auto less = [](const document& a, const document& b) { return compare_values(a, b) < 0; };
    auto at = std::lower_bound(s.begin(), s.end(), v, less);
    if (at != s.end() && compare_values(*at, v) == 0) return;
    s.insert(at, v);
  }
};

class merge_objects_accumulator final : public unary_accumulator {
 public:
  merge_objects_accumulator(const document& arg, const std::string& where)
      : unary_accumulator(arg, where, "$mergeObjects") {}
  document init() const override { return document::array(); }
  document evaluate(const document& doc, const eval_context& ctx) const override {
    document v = unary_accumulator::evaluate(doc, ctx);
    if (!is_missing(v) && !v.is_null() && !v.is_object()) {
      throw_error("reel.expression.evaluation_failed", "",
                  "$mergeObjects requires object inputs, but input is of type " + type_name(v));
    }
    return v;
  }
  void add_evaluated(document& s, document&& v, std::uint64_t seq) const override {
    if (is_missing(v) || v.is_null()) return;
    insert_by_seq(s, document::array({seq, std::move(v)}));
  }
  void merge(document& s, const document& o) const override { s = merge_by_seq(s, o); }
  document result(const document& s) const override {
    document out = document::object();
    for (const auto& item : s) {
      for (const auto& [k, v] : item[1].items())
        out[k] = v;
    }
    return out;
  }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif
};

}  // namespace reel::json::detail
