// SPDX-License-Identifier: Apache-2.0
/// \file
/// The value path's evaluation of what is not an operator (constants, field paths, variables,
/// literals, `$let`), the nlohmann bridge for operators not yet moved, and
/// `expression::evaluate_value` (detail/value_eval.hpp).

#include "reel/json/detail/value_eval.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/bson/decimal.hpp"
#include "reel/bson/field_path.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/bson/owned.hpp"
#include "reel/json/expression.hpp"

namespace reel::json {

namespace detail {

namespace {

const bson::owned_value& constant_of(const node& n) {
  return *static_cast<const bson::owned_value*>(n.value_data.get());
}

bson::value value_constant(const node& n, const value_scope&) {
  return constant_of(n).get();
}

const bson::field_path& value_path_of(const node& n) {
  return *static_cast<const bson::field_path*>(n.value_data.get());
}

/// `path` over `v` with aggregation's array traversal, `v` being a document or an array (a
/// variable may hold either; `bson::field_path::resolve` starts from a document).
bson::value resolve_over(const bson::field_path& path, const bson::value& v, bson::arena& memory) {
  if (!v.is_array()) return path.resolve(v, memory);
  const auto elements = v.elements();
  bson::value* out = memory.allocate_array<bson::value>(elements.size());
  std::size_t n = 0;
  for (const bson::value& e : elements) {
    bson::value r;
    if (e.is_document() || e.is_array()) r = resolve_over(path, e, memory);
    if (!r.is_missing()) out[n++] = r;
  }
  return bson::value::array({out, n});
}

bson::value value_field_path(const node& n, const value_scope& s) {
  return value_path_of(n).resolve(*s.root, *s.memory);
}

bson::value resolve_variable(const node& n, const bson::value& v, const value_scope& s) {
  if (!n.value_data) return v;
  return resolve_over(value_path_of(n), v, *s.memory);
}

/// An empty document, the root of constant folding.
const bson::value& empty_document() {
  static const bson::value empty = bson::value::document({});
  return empty;
}

}  // namespace

bson::value value_root(const node&, const value_scope& s) {
  return *s.root;
}

bson::value value_missing(const node&, const value_scope&) {
  return {};
}

bson::value value_variable(const node& n, const value_scope& s) {
  for (const value_binding* b = s.vars; b; b = b->parent) {
    if (b->slot == n.slot) return resolve_variable(n, b->value, s);
  }
  eval_fail(n, "variable '" + n.names.front() + "' is not bound");
}

bson::value value_external_variable(const node& n, const value_scope& s) {
  const document* vars = s.ctx ? s.ctx->variables : nullptr;
  if (vars && vars->is_object()) {
    auto it = vars->find(n.names.front());
    if (it != vars->end()) {
      return resolve_variable(n, bson::from_nlohmann(*it, *s.memory), s);
    }
  }
  eval_fail(n, "use of undefined variable: " + n.names.front());
}

bson::value value_array_literal(const node& n, const value_scope& s) {
  bson::value* out = s.memory->allocate_array<bson::value>(n.args.size());
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value v = vev(n.args[i], s);
    out[i] = v.is_missing() ? bson::value::null() : v;
  }
  return bson::value::array({out, n.args.size()});
}

bson::value value_object_literal(const node& n, const value_scope& s) {
  bson::field* out = s.memory->allocate_array<bson::field>(n.args.size());
  std::size_t count = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value v = vev(n.args[i], s);
    if (v.is_missing()) continue;
    const std::string& name = n.names[i];
    out[count++] = bson::field{name.data(), static_cast<std::uint32_t>(name.size()), v};
  }
  return bson::value::document({out, count});
}

namespace {
bson::value let_step(const node& n, const value_scope& s, const value_binding* chain,
                     std::size_t i) {
  if (i + 1 == n.args.size()) {
    const value_scope inner{s.root, s.ctx, chain, s.memory, s.bridge};
    return vev(n.args.back(), inner);
  }
  const value_binding b{chain, n.slot + static_cast<std::int64_t>(i), vev(n.args[i], s)};
  return let_step(n, s, &b, i + 1);
}
}  // namespace

bson::value value_let(const node& n, const value_scope& s) {
  return let_step(n, s, s.vars, 0);
}

/// An operator not moved yet: its nlohmann body, on the root and the bound variables converted
/// to nlohmann (the root once per evaluation), its result converted back into the arena.
bson::value value_bridge(const node& n, const value_scope& s) {
  ++bridged_calls()[n.op];
  bridge_cache& cache = *s.bridge;
  if (!cache.root) cache.root = bson::to_nlohmann(*s.root);
  std::size_t depth = 0;
  for (const value_binding* b = s.vars; b; b = b->parent)
    ++depth;
  std::vector<document> values(depth);
  std::vector<binding> chain(depth);
  std::size_t i = 0;
  for (const value_binding* b = s.vars; b; b = b->parent, ++i) {
    values[i] = bson::to_nlohmann(b->value);
    chain[i] = binding{i + 1 < depth ? &chain[i + 1] : nullptr, b->slot, &values[i]};
  }
  const scope old{&*cache.root, s.ctx, depth ? chain.data() : nullptr};
  document out;
  const document& r = n.fn(n, old, out);
  if (is_missing(r)) return {};
  return bson::from_nlohmann(r, *s.memory);
}

void attach_value_constant(node& n, const document* original) {
  if (is_missing(n.value)) {
    n.value_fn = &value_missing;
    return;
  }
  bson::arena memory;
  bson::value v;
  try {
    // The spec as written keeps what normalize_ejson turned into plain JSON numbers (a
    // {"$numberLong": "42"} stays a long, a {"$numberDecimal": …} a decimal).
    v = bson::from_nlohmann(original ? *original : n.value, memory);
  } catch (const reel::error&) {
    v = bson::from_nlohmann(n.value, memory);
  }
  n.value_data = std::make_shared<const bson::owned_value>(v);
  n.value_fn = &value_constant;
}

void attach_value_field_path(node& n) {
  n.value_data = std::make_shared<const bson::field_path>(n.path.str());
  n.value_fn = &value_field_path;
}

void fold_value_constant(const node& n, node& folded) {
  bson::arena memory;
  bridge_cache cache;
  const eval_context ctx;
  const value_scope s{&empty_document(), &ctx, nullptr, &memory, &cache};
  const bson::value v = vev(n, s);
  if (v.is_missing()) {
    folded.value_fn = &value_missing;
    return;
  }
  folded.value_data = std::make_shared<const bson::owned_value>(v);
  folded.value_fn = &value_constant;
}

std::unordered_map<std::string_view, std::size_t>& bridged_calls() {
  thread_local std::unordered_map<std::string_view, std::size_t> calls;
  return calls;
}

bool value_truthy(const bson::value& v) noexcept {
  switch (v.type()) {
    case bson::type::boolean:
      return v.as_bool();
    case bson::type::null:
    case bson::type::undefined:
    case bson::type::missing:
      return false;
    case bson::type::int32:
    case bson::type::int64:
      return v.as_int64() != 0;
    case bson::type::double_:
      return v.as_double() != 0.0;
    case bson::type::decimal128:
      return !bson::decimal_is_zero(v.as_decimal());
    default:
      return true;
  }
}

std::string value_type_name(const bson::value& v) {
  return std::string(bson::type_name(v.type()));
}

std::optional<std::int64_t> value_integral(const bson::value& v) {
  if (v.type() == bson::type::int32 || v.type() == bson::type::int64) return v.as_int64();
  if (!v.is_number()) return std::nullopt;
  const double d = *bson::to_double(v);
  if (!std::isfinite(d) || d != std::trunc(d) || d >= 9.2e18 || d <= -9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

std::string value_dump(const bson::value& v) {
  return bson::to_nlohmann(v).dump();
}

value_eval_fn native_value_op(std::string_view name) {
  static const value_op_table table = [] {
    value_op_table t;
    register_value_arith_ops(t);
    register_value_compare_ops(t);
    register_value_cond_ops(t);
    register_value_convert_ops(t);
    register_value_string_ops(t);
    register_value_array_ops(t);
    register_value_set_ops(t);
    register_value_object_ops(t);
    register_value_date_ops(t);
    register_value_reorder_ops(t);
    register_value_stats_ops(t);
    register_value_meta_ops(t);
    return t;
  }();
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace detail

bson::value expression::evaluate_value(const bson::value& root, const eval_context& ctx,
                                       bson::arena& memory) const {
  if (!root_) return {};
  detail::bridge_cache cache;
  const detail::value_scope s{&root, &ctx, nullptr, &memory, &cache};
  const bson::value r = root_->value_fn(*root_, s);
  // As `evaluate`: a document or array the expression built (not one it reads from the root, a
  // variable or its constant) is held to the size and depth limits (value_limits.hpp), once,
  // here; operators that grow a value also check as they build.
  if ((r.is_document() || r.is_array()) && !root_->constant &&
      root_->fn != &detail::eval_field_path_node && root_->fn != &detail::eval_root &&
      root_->value_fn != &detail::value_variable &&
      root_->value_fn != &detail::value_external_variable) {
    (void)detail::add_value_weight(*root_, r, 0, 0);
  }
  return r;
}

}  // namespace reel::json
