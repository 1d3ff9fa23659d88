// SPDX-License-Identifier: Apache-2.0
/// \file
/// Order-based accumulators: `$min`, `$max`, `$first`, `$last`, `$firstN`, `$lastN`, `$minN`,
/// `$maxN`, `$top`, `$bottom`, `$topN`, `$bottomN`. Values compare in BSON order; `$first`/`$last`
/// follow arrival order (kept by sequence numbers, exact across combined partial states).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "reel/json/accumulators/common.hpp"

namespace reel::json::detail {

/// `$min` / `$max`: nulls and missing values are ignored; null when nothing remains.
class extreme_accumulator final : public unary_accumulator {
 public:
  extreme_accumulator(const document& arg, const std::string& where, bool largest)
      : unary_accumulator(arg, where, largest ? "$max" : "$min"), largest_(largest) {}
  bool bounded_state() const override { return true; }
  document init() const override { return nullptr; }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override { offer(s, v); }
  void merge(document& s, const document& o) const override { offer(s, o); }
  document result(const document& s) const override { return s; }

  [[nodiscard]] bool largest() const noexcept { return largest_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  void offer(document& s, const document& v) const {
    if (is_missing(v) || v.is_null()) return;
    if (s.is_null() || (largest_ ? compare_values(v, s) > 0 : compare_values(v, s) < 0)) s = v;
  }
  bool largest_;
};

/// `$first` / `$last`: state `[seq, value]`; a missing value counts as null.
class arrival_accumulator final : public unary_accumulator {
 public:
  arrival_accumulator(const document& arg, const std::string& where, bool last)
      : unary_accumulator(arg, where, last ? "$last" : "$first"), last_(last) {}
  bool bounded_state() const override { return true; }
  document init() const override { return nullptr; }
  void add_evaluated(document& s, document&& v, std::uint64_t seq) const override {
    if (!s.is_null() && !wins(seq, s[0].get<std::uint64_t>())) return;
    s = document::array({seq, is_missing(v) ? document(nullptr) : std::move(v)});
  }
  void merge(document& s, const document& o) const override {
    if (o.is_null()) return;
    if (s.is_null() || wins(o[0].get<std::uint64_t>(), s[0].get<std::uint64_t>())) s = o;
  }
  document result(const document& s) const override {
    return s.is_null() ? document(nullptr) : s[1];
  }

  [[nodiscard]] bool last() const noexcept { return last_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  bool wins(std::uint64_t candidate, std::uint64_t current) const {
    return last_ ? candidate >= current : candidate < current;
  }
  bool last_;
};

/// `$firstN` / `$lastN: {input, n}`: state `[[seq, value], ...]` ordered by seq, nulls kept.
class arrival_n_accumulator final : public split_accumulator {
 public:
  arrival_n_accumulator(const document& arg, const std::string& where, bool last) : last_(last) {
    const char* op = last ? "$lastN" : "$firstN";
    input_ = compile_expression(required_field(arg, "input", where, op), where + "/input");
    n_ = parse_n(required_field(arg, "n", where, op), where, op);
  }
  bool bounded_state() const override { return true; }
  document init() const override { return document::array(); }
  document evaluate(const document& doc, const eval_context& ctx) const override {
    return input_.evaluate(doc, ctx);
  }
  void add_evaluated(document& s, document&& v, std::uint64_t seq) const override {
    insert_by_seq(s, document::array({seq, is_missing(v) ? document(nullptr) : std::move(v)}));
    trim(s);
  }
  void merge(document& s, const document& o) const override {
    s = merge_by_seq(s, o);
    trim(s);
  }
  document result(const document& s) const override {
    document out = document::array();
    for (const auto& item : s)
      out.push_back(item[1]);
    return out;
  }
  std::optional<field_usage> fields_read() const override { return input_.fields_read(); }

  bool reads_group_key() const override { return n_.computed.has_value(); }
  [[nodiscard]] const expression& input() const noexcept { return input_; }
  [[nodiscard]] const n_argument& n() const noexcept { return n_; }
  [[nodiscard]] bool last() const noexcept { return last_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  void trim(document& s) const {
    while (s.size() > n_.constant)
      s.erase(last_ ? s.begin() : s.end() - 1);
  }
  expression input_;
  n_argument n_;
  bool last_;
};

/// `$minN` / `$maxN: {input, n}`: nulls and missing ignored; best first.
class extreme_n_accumulator final : public split_accumulator {
 public:
  extreme_n_accumulator(const document& arg, const std::string& where, bool largest)
      : largest_(largest) {
    const char* op = largest ? "$maxN" : "$minN";
    input_ = compile_expression(required_field(arg, "input", where, op), where + "/input");
    n_ = parse_n(required_field(arg, "n", where, op), where, op);
  }
  bool bounded_state() const override { return true; }
  document init() const override { return document::array(); }
  document evaluate(const document& doc, const eval_context& ctx) const override {
    return input_.evaluate(doc, ctx);
  }
  void add_evaluated(document& s, document&& v, std::uint64_t) const override { offer(s, v); }
  void merge(document& s, const document& o) const override {
    for (const auto& v : o)
      offer(s, v);
  }
  document result(const document& s) const override { return s; }
  std::optional<field_usage> fields_read() const override { return input_.fields_read(); }

  bool reads_group_key() const override { return n_.computed.has_value(); }
  [[nodiscard]] const expression& input() const noexcept { return input_; }
  [[nodiscard]] const n_argument& n() const noexcept { return n_; }
  [[nodiscard]] bool largest() const noexcept { return largest_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  void offer(document& s, const document& v) const {
    if (is_missing(v) || v.is_null()) return;
    auto better = [this](const document& a, const document& b) {
      return largest_ ? compare_values(a, b) > 0 : compare_values(a, b) < 0;
    };
    if (s.size() == n_.constant && !better(v, s.back())) return;
    s.insert(std::upper_bound(s.begin(), s.end(), v, better), v);
    if (s.size() > n_.constant) s.erase(s.end() - 1);
  }
  expression input_;
  n_argument n_;
  bool largest_;
};

/// `$top`, `$bottom`, `$topN`, `$bottomN: {n, sortBy, output}`: state `[[sortKeys, seq, output],
/// ...]` best first; `$bottom` keeps the last ones of the sort order.
class ranked_accumulator final : public split_accumulator {
 public:
  ranked_accumulator(const document& arg, const std::string& where, const char* op, bool bottom,
                     bool with_n)
      : bottom_(bottom), with_n_(with_n) {
    const document& sort_by = required_field(arg, "sortBy", where, op);
    if (!sort_by.is_object() || sort_by.empty()) {
      throw_error("reel.pipeline.bad_accumulator", where + "/sortBy",
                  std::string(op) + " 'sortBy' must be a non-empty object");
    }
    for (const auto& [field, direction] : sort_by.items()) {
      if (direction != 1 && direction != -1) {
        throw_error("reel.pipeline.bad_accumulator", where + "/sortBy/" + field,
                    "sort direction must be 1 or -1");
      }
      keys_.emplace_back(field_path(field, where + "/sortBy"), direction.get<int>());
    }
    output_ = compile_expression(required_field(arg, "output", where, op), where + "/output");
    if (with_n) {
      n_ = parse_n(required_field(arg, "n", where, op), where, op);
    } else if (arg.contains("n")) {
      throw_error("reel.pipeline.bad_accumulator", where + "/n",
                  std::string(op) + " does not take 'n'");
    }
  }
  bool bounded_state() const override { return true; }
  document init() const override { return document::array(); }
  /// `[sortKeys, output]`.
  document evaluate(const document& doc, const eval_context& ctx) const override {
    document sort_values = document::array();
    for (const auto& [path, direction] : keys_) {
      document v = path.evaluate(doc);
      sort_values.push_back(is_missing(v) ? document(nullptr) : std::move(v));
    }
    document out = output_.evaluate(doc, ctx);
    return document::array(
        {std::move(sort_values), is_missing(out) ? document(nullptr) : std::move(out)});
  }
  void add_evaluated(document& s, document&& v, std::uint64_t seq) const override {
    offer(s, document::array({std::move(v[0]), seq, std::move(v[1])}));
  }
  void merge(document& s, const document& o) const override {
    for (const auto& item : o)
      offer(s, item);
  }
  /// `$bottomN` keeps its best (the last of the sort order) first, and returns them in sort
  /// order as MongoDB does.
  document result(const document& s) const override {
    if (!with_n_) return s.empty() ? document(nullptr) : s[0][2];
    document out = document::array();
    if (bottom_) {
      for (auto it = s.rbegin(); it != s.rend(); ++it)
        out.push_back((*it)[2]);
    } else {
      for (const auto& item : s)
        out.push_back(item[2]);
    }
    return out;
  }
  std::optional<field_usage> fields_read() const override {
    field_usage out = output_.fields_read();
    for (const auto& key : keys_)
      out.add(key.first[0]);
    return out;
  }

  bool reads_group_key() const override { return n_.computed.has_value(); }
  [[nodiscard]] const std::vector<std::pair<field_path, int>>& keys() const noexcept {
    return keys_;
  }
  [[nodiscard]] const expression& output() const noexcept { return output_; }
  [[nodiscard]] const n_argument& n() const noexcept { return n_; }
  [[nodiscard]] bool bottom() const noexcept { return bottom_; }
  [[nodiscard]] bool with_n() const noexcept { return with_n_; }
#if defined(REEL_JSON_VALUE_EVAL)
  std::shared_ptr<const value_accumulator> value_form() const override;
#endif

 private:
  /// Order of the sort specification; ties by arrival.
  bool before(const document& a, const document& b) const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      const int c = compare_values(a[0][i], b[0][i]) * keys_[i].second;
      if (c != 0) return bottom_ ? c > 0 : c < 0;
    }
    return bottom_ ? a[1].get<std::uint64_t>() > b[1].get<std::uint64_t>()
                   : a[1].get<std::uint64_t>() < b[1].get<std::uint64_t>();
  }
  void offer(document& s, const document& item) const {
    auto cmp = [this](const document& a, const document& b) { return before(a, b); };
    if (s.size() == n_.constant && !before(item, s.back())) return;
    s.insert(std::upper_bound(s.begin(), s.end(), item, cmp), item);
    if (s.size() > n_.constant) s.erase(s.end() - 1);
  }
  std::vector<std::pair<field_path, int>> keys_;
  expression output_;
  n_argument n_;
  bool bottom_;
  bool with_n_;
};

}  // namespace reel::json::detail
