// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB aggregation expressions, compiled once into a tree and evaluated per event without
/// re-parsing: field paths (`"$a.b"`), variables (`$$ROOT`, `$$CURRENT`, `$$REMOVE`, `$let`
/// and iteration variables, external variables), literals, and the operators listed in
/// `detail/ops_*.hpp` (arithmetic, comparison, boolean, conditional, string, array, set, type
/// conversion, date, trigonometry, bitwise, statistics, random, `$meta`). Semantics follow MongoDB:
/// BSON comparison order, integer promotion on overflow, null/missing handling per operator.
///
/// Definition errors throw `reel::error` with a stable id and the JSON pointer of the culprit:
/// `reel.expression.unknown_operator`, `reel.expression.bad_arguments`,
/// `reel.expression.unknown_variable`, `reel.json.bad_field_path`. Evaluation failures that
/// MongoDB reports as errors (`$add` of a string, `$toInt` of "abc" without `onError`) throw
/// `reel.expression.evaluation_failed` naming the operator.
///
/// **Example**
/// ```cpp
/// using namespace reel::json;
/// expression e = compile_expression(document::parse(
///     R"({"$cond": [{"$gte": ["$qty", 100]}, {"$multiply": ["$qty", 0.9]}, "$qty"]})"),
///     "/1/$project/total");
/// e.evaluate(document{{"qty", 200}});  // 180.0
/// e.evaluate(document{{"qty", 5}});    // 5
/// compile_expression(document{{"$ad", {1, 2}}}, "/0/$project/x");
/// // throws: [reel.expression.unknown_operator] at /0/$project/x: unknown expression operator
/// //         '$ad' (did you mean '$add'?)
/// ```
///
/// The operators and the compiler are compiled once in the `reel::json` library
/// (`src/json/expression.cpp`); this header declares the API.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/value_limits.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/value.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"
#endif

namespace reel::json {

namespace detail {
/// The evaluation of a field path (`"$a.b"`), told apart by address.
const document& eval_field_path_node(const node& n, const scope& s, document& out);
/// Adds the top-level fields of the root document that `n` reads.
void collect_fields_read(const node& n, field_usage& out);
}  // namespace detail

class expression;
/// Compiles a MongoDB aggregation expression. `where` is the JSON pointer of `spec` in the
/// enclosing definition, used in error locations; `options.variables` declares external
/// variables that `eval_context::variables` provides at evaluation.
expression compile_expression(const document& spec, std::string where = "",
                              const compile_options& options = {});

/// A compiled aggregation expression. Copies share the immutable tree; evaluation is
/// thread-safe.
class expression {
 public:
  /// An expression that evaluates to missing.
  expression() = default;

  /// Evaluates against `root` (also `$$ROOT`/`$$CURRENT`); may return `missing()`.
  [[nodiscard]] document evaluate(const document& root, const eval_context& ctx = {}) const {
    document scratch;
    const document& r = evaluate(root, ctx, scratch);
    if (&r == &scratch) return scratch;
    return r;
  }
  /// Evaluates without copying the result: the reference points into `root`, into the
  /// expression's constants or into `scratch`, and is valid while those are.
  const document& evaluate(const document& root, const eval_context& ctx, document& scratch) const {
    if (!root_) return detail::missing_ref();
    const detail::scope s{&root, &ctx, nullptr};
    const document& r = root_->fn(*root_, s, scratch);
    // A document or array the expression built (not one it found in `root`) is held to the
    // size and depth limits (detail/value_limits.hpp), once, here.
    if (&r == &scratch && r.is_structured()) detail::check_built_value(*root_, r);
    return r;
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// Evaluates on the BSON value model (docs/document-model.md §6): types are exact (int64 stays
  /// long, Decimal128 arithmetic is decimal). Values the evaluation builds go into `memory` (one
  /// arena per message or batch); the result may also point into `root` and into the
  /// expression's constants, and is valid while those are. May return missing. Operators not yet
  /// moved to the value model are evaluated through nlohmann (same results as `evaluate`).
  /// Built when Reel has `reel::bson` (GCC; `REEL_JSON_VALUE_EVAL`).
  [[nodiscard]] bson::value evaluate_value(const bson::value& root, const eval_context& ctx,
                                           bson::arena& memory) const;
#endif

  /// True when the value does not depend on the document (folded at compile time).
  [[nodiscard]] bool is_constant() const noexcept {
    return !root_ || root_->constant;
  }
  /// The constant value, or null when not constant.
  [[nodiscard]] const document* constant_value() const noexcept {
    return root_ && root_->constant ? &root_->value : nullptr;
  }
  /// True for a plain field path such as `"$a.b"` (or `"$$ROOT.a.b"`).
  [[nodiscard]] bool is_field_path() const noexcept {
    return root_ && !root_->path.empty() && root_->fn == &detail::eval_field_path_node;
  }
  /// The top-level fields of the evaluated document that the expression reads (or the whole
  /// document, for `$$ROOT` and the like).
  [[nodiscard]] field_usage fields_read() const {
    field_usage out;
    if (root_) detail::collect_fields_read(*root_, out);
    return out;
  }
  /// The field path of `"$a.b"`, or null.
  [[nodiscard]] const field_path* as_field_path() const noexcept {
    return is_field_path() ? &root_->path : nullptr;
  }

 private:
  friend expression compile_expression(const document&, std::string, const compile_options&);
  explicit expression(std::shared_ptr<const detail::node> root) : root_(std::move(root)) {}
  std::shared_ptr<const detail::node> root_;
};

}  // namespace reel::json
