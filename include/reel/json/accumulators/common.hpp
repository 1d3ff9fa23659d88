// SPDX-License-Identifier: Apache-2.0
/// \file
/// Helpers shared by the built-in accumulators: argument parsing, sequence-ordered lists.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "reel/error.hpp"
#include "reel/json/accumulator.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"

namespace reel::json::detail {

/// `{"input": ..., "n": ...}`-style arguments: the field or a definition error.
inline const document& required_field(const document& arg, const char* field,
                                      const std::string& where, const char* op) {
  if (!arg.is_object())
    throw_error("reel.pipeline.bad_accumulator", where,
                std::string(op) + " takes an object argument");
  auto it = arg.find(field);
  if (it == arg.end()) {
    throw_error("reel.pipeline.bad_accumulator", where,
                std::string(op) + " requires '" + field + "'");
  }
  return *it;
}

/// A positive integer `n` (constant), else a definition error. An integral double counts (3.0,
/// what mongosh may send), as for the server's `AccumulatorN::validateN`.
inline std::size_t positive_n(const document& n, const std::string& where, const char* op) {
  const bool integral = n.is_number_integer() ||
                        (n.is_number_float() && n.get<double>() == std::floor(n.get<double>()) &&
                         n.get<double>() < 9.2e18);
  if (!integral || n.get<double>() < 1) {
    throw_error("reel.pipeline.bad_accumulator", where + "/n",
                std::string(op) + " requires 'n' to be a positive integer");
  }
  return n.is_number_float() ? static_cast<std::size_t>(n.get<double>()) : n.get<std::size_t>();
}

/// The `n` of `$firstN`, `$lastN`, `$minN`, `$maxN`, `$topN`, `$bottomN`: a positive integer, or
/// an expression the server evaluates once per group against the group's `_id` (the manual's
/// `$topN` example: `n: {$cond: {if: {$eq: ["$gameId", "G2"]}, then: 1, else: 3}}`). Only the
/// value path (value_group.hpp) computes it; the nlohmann `$group` refuses it.
struct n_argument {
  std::size_t constant = 1;
  std::optional<expression> computed;
};
inline n_argument parse_n(const document& n, const std::string& where, const char* op) {
  if (n.is_string() || n.is_object()) {
    expression e = compile_expression(n, where + "/n");
    if (!e.is_constant()) return {1, std::move(e)};
    return {positive_n(*e.constant_value(), where, op), std::nullopt};
  }
  return {positive_n(n, where, op), std::nullopt};
}

/// Merges two arrays of `[seq, ...]` items ordered by seq.
inline document merge_by_seq(const document& a, const document& b) {
  document out = document::array();
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() ||
        (i < a.size() && a[i][0].get<std::uint64_t>() <= b[j][0].get<std::uint64_t>())) {
      out.push_back(a[i++]);
    } else {
      out.push_back(b[j++]);
    }
  }
  return out;
}

/// Inserts `[seq, value...]` into an array ordered by seq.
inline void insert_by_seq(document& list, document item) {
  const std::uint64_t seq = item[0].get<std::uint64_t>();
  if (list.empty() || list.back()[0].get<std::uint64_t>() <= seq) {
    list.push_back(std::move(item));
    return;
  }
  auto at = std::upper_bound(list.begin(), list.end(), seq, [](std::uint64_t s, const document& e) {
    return s < e[0].get<std::uint64_t>();
  });
  list.insert(at, std::move(item));
}

/// Accumulators split in `evaluate` (reads the document, may throw) and `add_value` (changes
/// the state, never throws): `add` is the two in a row.
class split_accumulator : public accumulator {
 public:
  void add(document& s, const document& doc, const eval_context& ctx,
           std::uint64_t seq) const final {
    add_value(s, evaluate(doc, ctx), doc, ctx, seq);
  }
  void add_value(document& s, document&& value, const document&, const eval_context&,
                 std::uint64_t seq) const final {
    add_evaluated(s, std::move(value), seq);
  }

 protected:
  virtual void add_evaluated(document& s, document&& value, std::uint64_t seq) const = 0;
};

/// Accumulators with one input expression (MongoDB's accumulators are unary in `$group`: an
/// array argument is a definition error).
class unary_accumulator : public split_accumulator {
 public:
  unary_accumulator(const document& arg, const std::string& where, const char* op)
      : input_(compile_unary(arg, where, op)) {}
  document evaluate(const document& doc, const eval_context& ctx) const override {
    return input_.evaluate(doc, ctx);
  }
  std::optional<field_usage> fields_read() const override { return input_.fields_read(); }
  /// The compiled argument.
  [[nodiscard]] const expression& input() const noexcept { return input_; }

 private:
  static expression compile_unary(const document& arg, const std::string& where, const char* op) {
    if (arg.is_array()) {
      throw_error("reel.pipeline.bad_accumulator", where,
                  std::string("the ") + op +
                      " accumulator is a unary operator: it takes one expression, not an array");
    }
    return compile_expression(arg, where);
  }
  expression input_;
};

}  // namespace reel::json::detail
