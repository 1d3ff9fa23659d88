// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$limit: n` (window pipelines only): the first `n` documents of the batch; `n` is a positive
/// integer (an integral double such as `2.0` is accepted, as in MongoDB).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/batch.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class limit final : public detail::batch_stage<> {
 public:
  limit(const document& spec, const std::string& where) {
    const auto n = as_numeric(spec);
    if (!n) detail::bad_stage(where, "$limit must be a positive integer, found " + type_name(spec));
    if (!n->integral() &&
        (!std::isfinite(n->d) || n->d != std::trunc(n->d) || std::abs(n->d) >= 9.2e18)) {
      detail::bad_stage(where,
                        "$limit must be a positive integer, found " + detail::describe_value(spec));
    }
    const std::int64_t v = n->integral() ? n->i : static_cast<std::int64_t>(n->d);
    if (v <= 0) detail::bad_stage(where, "$limit must be positive, found " + std::to_string(v));
    n_ = static_cast<std::size_t>(v);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "LimitOperator"; }

  void apply_batch(std::vector<document>& docs, const eval_context&) const override {
    if (docs.size() > n_) docs.resize(n_);
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_batch.cpp).
  void apply_value_batch(std::vector<bson::value>& docs, const eval_context& ctx,
                         bson::arena& memory) const override;
#endif

  [[nodiscard]] std::size_t count() const noexcept {
    return n_;
  }

 private:
  std::size_t n_ = 1;
};

/// The factory of `$limit` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_limit(const document& spec,
                                                        const std::string& where) {
  return std::make_shared<limit>(spec, where);
}

}  // namespace reel::json::stages
