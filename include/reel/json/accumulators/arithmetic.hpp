// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$sum`, `$avg`, `$count`, `$stdDevPop`, `$stdDevSamp`, `$median`, `$percentile`. Non-numeric
/// values are ignored as MongoDB does; `$sum` keeps integers as integers (overflow promotes to
/// long, then to double).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "reel/json/accumulators/common.hpp"

namespace reel::json::detail {

class sum_accumulator final : public unary_accumulator {
 public:
  sum_accumulator(const document& arg, const std::string& where)
      : unary_accumulator(arg, where, "$sum") {}
  bool bounded_state() const override { return true; }
  document init() const override { return 0; }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override {
    if (auto n = as_numeric(v)) s = json::add(*as_numeric(s), *n).to_document();
  }
  void merge(document& s, const document& o) const override {
    s = json::add(*as_numeric(s), *as_numeric(o)).to_document();
  }
  document result(const document& s) const override { return s; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif
};

class avg_accumulator final : public unary_accumulator {
 public:
  avg_accumulator(const document& arg, const std::string& where)
      : unary_accumulator(arg, where, "$avg") {}
  bool bounded_state() const override { return true; }
  document init() const override { return document::array({0, 0}); }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override {
    if (auto n = as_numeric(v)) {
      s[0] = s[0].get<double>() + n->to_double();
      s[1] = s[1].get<std::int64_t>() + 1;
    }
  }
  void merge(document& s, const document& o) const override {
    s[0] = s[0].get<double>() + o[0].get<double>();
    s[1] = s[1].get<std::int64_t>() + o[1].get<std::int64_t>();
  }
  document result(const document& s) const override {
    const auto n = s[1].get<std::int64_t>();
    return n == 0 ? document(nullptr) : document(s[0].get<double>() / static_cast<double>(n));
  }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif
};

class count_accumulator final : public accumulator {
 public:
  count_accumulator(const document& arg, const std::string& where) {
    if (!arg.is_object() || !arg.empty())
      throw_error("reel.pipeline.bad_accumulator", where, "$count takes an empty object: {}");
  }
  bool bounded_state() const override { return true; }
  document init() const override { return 0; }
  void add(document& s, const document&, const eval_context&, std::uint64_t) const override {
    s = s.get<std::int64_t>() + 1;
  }
  void merge(document& s, const document& o) const override {
    s = s.get<std::int64_t>() + o.get<std::int64_t>();
  }
  document result(const document& s) const override { return s; }
  /// Reads nothing.
  std::optional<field_usage> fields_read() const override { return field_usage(); }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif
};

/// Welford's update and Chan's combination, state `[n, mean, m2]`.
class std_dev_accumulator final : public unary_accumulator {
 public:
  std_dev_accumulator(const document& arg, const std::string& where, bool sample)
      : unary_accumulator(arg, where, sample ? "$stdDevSamp" : "$stdDevPop"), sample_(sample) {}
  bool bounded_state() const override { return true; }
  document init() const override { return document::array({0, 0.0, 0.0}); }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override {
    auto x = as_numeric(v);
    if (!x) return;
    const auto n = s[0].get<std::int64_t>() + 1;
    double mean = s[1].get<double>();
    const double delta = x->to_double() - mean;
    mean += delta / static_cast<double>(n);
    s = document::array({n, mean, s[2].get<double>() + delta * (x->to_double() - mean)});
  }
  void merge(document& s, const document& o) const override {
    const auto n1 = s[0].get<std::int64_t>(), n2 = o[0].get<std::int64_t>();
    if (n2 == 0) return;
    if (n1 == 0) {
      s = o;
      return;
    }
    const double total = static_cast<double>(n1 + n2);
    const double delta = o[1].get<double>() - s[1].get<double>();
    s = document::array(
        {n1 + n2, s[1].get<double>() + delta * static_cast<double>(n2) / total,
         s[2].get<double>() + o[2].get<double>() +
             delta * delta * static_cast<double>(n1) * static_cast<double>(n2) / total});
  }
  document result(const document& s) const override {
    const auto n = s[0].get<std::int64_t>();
    const std::int64_t divisor = sample_ ? n - 1 : n;
    if (divisor <= 0) return nullptr;
    return std::sqrt(s[2].get<double>() / static_cast<double>(divisor));
  }

  [[nodiscard]] bool sample() const noexcept { return sample_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  bool sample_;
};

/// `$median: {input, method}` and `$percentile: {input, p: [...], method}`: exact nearest rank,
/// so every result is one of the inputs.
class percentile_accumulator final : public split_accumulator {
 public:
  percentile_accumulator(const document& arg, const std::string& where, bool median)
      : median_(median) {
    const char* op = median ? "$median" : "$percentile";
    input_ = compile_expression(required_field(arg, "input", where, op), where + "/input");
    const document& method = required_field(arg, "method", where, op);
    if (method != "approximate" && method != "continuous" && method != "discrete") {
      throw_error("reel.pipeline.bad_accumulator", where + "/method",
                  std::string(op) + " method must be 'approximate', 'discrete' or 'continuous'");
    }
    if (median) {
      ps_ = {0.5};
    } else {
      const document& p = required_field(arg, "p", where, op);
      if (!p.is_array() || p.empty())
        throw_error("reel.pipeline.bad_accumulator", where + "/p",
                    "$percentile 'p' must be a non-empty array");
      for (const auto& v : p) {
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
          throw_error("reel.pipeline.bad_accumulator", where + "/p",
                      "$percentile 'p' values must be numbers between 0 and 1");
        }
        ps_.push_back(v.get<double>());
      }
    }
  }
  document init() const override { return document::array(); }
  document evaluate(const document& doc, const eval_context& ctx) const override {
    return input_.evaluate(doc, ctx);
  }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override {
    if (auto n = as_numeric(v)) s.push_back(n->to_double());
  }
  void merge(document& s, const document& o) const override {
    for (const auto& v : o)
      s.push_back(v);
  }
  document result(const document& s) const override {
    std::vector<double> values;
    values.reserve(s.size());
    for (const auto& v : s)
      values.push_back(v.get<double>());
    std::sort(values.begin(), values.end());
    auto at = [&](double p) -> document {
      if (values.empty()) return nullptr;
      const auto rank = static_cast<std::size_t>(
          std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
      return values[std::min(rank, values.size()) - 1];
    };
    if (median_) return at(0.5);
    document out = document::array();
    for (double p : ps_)
      out.push_back(at(p));
    return out;
  }
  std::optional<field_usage> fields_read() const override { return input_.fields_read(); }

  [[nodiscard]] const expression& input() const noexcept { return input_; }
  [[nodiscard]] bool median() const noexcept { return median_; }
  [[nodiscard]] const std::vector<double>& ps() const noexcept { return ps_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  bool median_;
  expression input_;
  std::vector<double> ps_;
};

}  // namespace reel::json::detail
