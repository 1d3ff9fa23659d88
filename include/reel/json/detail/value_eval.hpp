// SPDX-License-Identifier: Apache-2.0
/// \file
/// Evaluation of compiled expressions on the BSON value model (`reel::bson::value`), beside the
/// nlohmann evaluation of `expr_core.hpp` (issue #12, docs/document-model.md §6). Every `node`
/// gets a `value_fn` when the tree is compiled: literals, field paths, variables, `$let` and the
/// operator families moved so far (src/json/value_*.cpp) evaluate natively; every other operator
/// goes through a bridge that converts the root and the bound variables to nlohmann once, runs
/// the operator's nlohmann body and converts its result back. Operators move family by family;
/// the runtime switches to this path once all have moved.
///
/// Only the `reel::json` library's sources include this header (it needs `reel::bson`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"
#include "reel/json/detail/expr_core.hpp"

namespace reel::json::detail {

/// A variable bound by `$let` on the value path: a stack-allocated chain, as `binding`.
struct value_binding {
  const value_binding* parent = nullptr;
  std::int64_t slot = -1;
  bson::value value;
};

/// What bridged operators share within one evaluation: the root converted to nlohmann once.
struct bridge_cache {
  std::optional<document> root;
};

/// Everything a value evaluation sees. `memory` receives every value the evaluation builds; the
/// result is valid while `memory` and `root` are.
struct value_scope {
  const bson::value* root;
  const eval_context* ctx;
  const value_binding* vars;
  bson::arena* memory;
  bridge_cache* bridge;
};

inline bson::value vev(const node& n, const value_scope& s) {
  return n.value_fn(n, s);
}

/// Calls `f(value)` for the operands of the expression forms of the accumulators (`$sum`,
/// `$stdDevPop`, ...): the elements of a single array operand, or else each operand.
template <class F>
void for_each_value_operand(const node& n, const value_scope& s, F&& f) {
  if (n.args.size() == 1) {
    const bson::value v = vev(n.args[0], s);
    if (v.is_array()) {
      for (const bson::value& e : v.elements())
        f(e);
    } else {
      f(v);
    }
    return;
  }
  for (const node& a : n.args)
    f(vev(a, s));
}

/// Operators with a native value evaluation, by name (filled by the family files).
using value_op_table = std::unordered_map<std::string_view, value_eval_fn>;
void register_value_arith_ops(value_op_table& t);
void register_value_compare_ops(value_op_table& t);
void register_value_cond_ops(value_op_table& t);
void register_value_convert_ops(value_op_table& t);
void register_value_string_ops(value_op_table& t);
void register_value_array_ops(value_op_table& t);
void register_value_set_ops(value_op_table& t);
void register_value_object_ops(value_op_table& t);
void register_value_date_ops(value_op_table& t);
void register_value_reorder_ops(value_op_table& t);
void register_value_stats_ops(value_op_table& t);
void register_value_meta_ops(value_op_table& t);
/// The native evaluation of operator `name` when `n.fn` is the operator's generic one, or null.
value_eval_fn native_value_op(std::string_view name);

// The value path's own evaluations of the nodes that are not operators (value_eval.cpp).
bson::value value_root(const node&, const value_scope& s);
bson::value value_missing(const node&, const value_scope&);
bson::value value_bridge(const node& n, const value_scope& s);
bson::value value_variable(const node& n, const value_scope& s);
bson::value value_external_variable(const node& n, const value_scope& s);
bson::value value_array_literal(const node& n, const value_scope& s);
bson::value value_object_literal(const node& n, const value_scope& s);
bson::value value_let(const node& n, const value_scope& s);
/// Makes `n` (an `eval_constant` node) evaluate to its constant converted once: from
/// `original`, the spec as written, when given (Extended JSON wrappers keep their type).
void attach_value_constant(node& n, const document* original = nullptr);
/// Makes `n` (a field path node) evaluate with `bson::field_path::resolve`.
void attach_value_field_path(node& n);
/// Evaluates `n` on the value path against an empty document, for constant folding; the result
/// is attached to `folded` as its value constant.
void fold_value_constant(const node& n, node& folded);

/// Test hook: how many times each operator ran through `value_bridge` on this thread (the
/// differential test reads it to show which operators are still bridged).
std::unordered_map<std::string_view, std::size_t>& bridged_calls();

/// MongoDB truthiness on values: false, null, undefined, missing and numeric zero are false.
bool value_truthy(const bson::value& v) noexcept;
/// `$type`'s name of a value's type ("missing" for missing).
std::string value_type_name(const bson::value& v);
/// An integral operand, as `integral_of`: an int, a long, or a double or decimal without
/// fraction (within ±9.2e18); else empty.
std::optional<std::int64_t> value_integral(const bson::value& v);
/// The weight of `v` added to `bytes`, `v` being `level` levels deep in what an operator builds
/// (value_limits.hpp's measure on a value): fails with `too_large`/`too_deep` as
/// `add_value_bytes` does (value_array.cpp).
std::size_t add_value_weight(const node& n, const bson::value& v, std::size_t bytes,
                             std::size_t level);
/// `v` as the nlohmann operators' messages show it (`document::dump` of its nlohmann form).
std::string value_dump(const bson::value& v);

}  // namespace reel::json::detail
