// SPDX-License-Identifier: Apache-2.0
/// \file
/// The expression compiler and the operator table of `reel/json/expression.hpp`, compiled once
/// in the `reel::json` library.

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/ops_arith.hpp"
#include "reel/json/detail/ops_array.hpp"
#include "reel/json/detail/ops_convert.hpp"
#include "reel/json/detail/ops_date.hpp"
#include "reel/json/detail/ops_logic.hpp"
#include "reel/json/detail/ops_math.hpp"
#include "reel/json/detail/ops_set.hpp"
#include "reel/json/detail/ops_string.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/json/detail/value_eval.hpp"
#endif
#include "reel/json/eval_context.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/mongodb_names.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

namespace detail {

inline const document& eval_remove(const node&, const scope&, document&) {
  return missing_ref();
}

const document& eval_field_path_node(const node& n, const scope& s, document& out) {
  return n.path.resolve(*s.root, out);
}

inline const document& eval_variable(const node& n, const scope& s, document& out) {
  for (const binding* b = s.vars; b; b = b->parent) {
    if (b->slot == n.slot) {
      if (n.path.empty()) return *b->value;
      return n.path.resolve(*b->value, out);
    }
  }
  eval_fail(n, "variable '" + n.names.front() + "' is not bound");
}

inline const document& eval_external_variable(const node& n, const scope& s, document& out) {
  const document* vars = s.ctx ? s.ctx->variables : nullptr;
  if (vars && vars->is_object()) {
    auto it = vars->find(n.names.front());
    if (it != vars->end()) {
      if (n.path.empty()) return *it;
      return n.path.resolve(*it, out);
    }
  }
  eval_fail(n, "use of undefined variable: " + n.names.front());
}

inline const document& eval_array_literal(const node& n, const scope& s, document& out) {
  document result = document::array();
  for (const node& a : n.args) {
    document t;
    const document& v = ev(a, s, t);
    if (is_missing(v)) {
      result.push_back(nullptr);
    } else if (&v == &t) {
      result.push_back(std::move(t));
    } else {
      result.push_back(v);
    }
  }
  out = std::move(result);
  return out;
}

inline const document& eval_object_literal(const node& n, const scope& s, document& out) {
  document result = document::object();
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    document t;
    const document& v = ev(n.args[i], s, t);
    if (is_missing(v)) continue;
    if (&v == &t) {
      result[n.names[i]] = std::move(t);
    } else {
      result[n.names[i]] = v;
    }
  }
  out = std::move(result);
  return out;
}

/// The operator table, built once.
inline const std::unordered_map<std::string_view, op_spec>& operator_table() {
  static const std::unordered_map<std::string_view, op_spec> table = [] {
    std::unordered_map<std::string_view, op_spec> t;
    register_arith_ops(t);
    register_logic_ops(t);
    register_string_ops(t);
    register_array_ops(t);
    register_convert_ops(t);
    register_date_ops(t);
    register_set_ops(t);
    register_math_ops(t);
    return t;
  }();
  return table;
}

/// MongoDB and Atlas operators Reel does not implement (for a clearer message than "unknown").
inline bool is_unsupported_operator(std::string_view op) {
  return is_listed(mongodb_expression_operators(), op) && !operator_table().contains(op);
}

inline node compile_variable(compiler& c, std::string_view text, const std::string& where) {
  const std::size_t dot = text.find('.');
  const std::string name(text.substr(0, dot));
  node n;
  n.where = where;
  if (dot != std::string_view::npos) n.path = field_path(text.substr(dot + 1), where);
  if (name == "ROOT" || name == "CURRENT") {
    n.fn = n.path.empty() ? &eval_root : &eval_field_path_node;
    return n;
  }
  if (name == "REMOVE") {
    n.fn = &eval_remove;
    n.path = field_path();
    return n;
  }
  // As in MongoDB, these are the plain strings "descend", "prune" and "keep": `$redact` compares
  // its expression's result with those values, so `{"$redact": "$action"}` on a document whose
  // `action` is "prune" prunes it, exactly as MongoDB does.
  if (name == "DESCEND" || name == "PRUNE" || name == "KEEP") {
    std::string v = name;
    for (char& ch : v)
      ch = static_cast<char>(ch - 'A' + 'a');
    return constant_node(document(v));
  }
  if (name == "NOW" || name == "CLUSTER_TIME" || name == "USER_ROLES" || name == "SEARCH_META") {
    throw_error("reel.expression.unknown_variable", where,
                "the system variable $$" + name + " is not supported in stream processing");
  }
  n.names.push_back(name);
  if (const std::int64_t slot = c.find(name); slot >= 0) {
    n.fn = &eval_variable;
    n.slot = slot;
    return n;
  }
  if (c.is_external(name)) {
    n.fn = &eval_external_variable;
    return n;
  }
  throw_error(
      "reel.expression.unknown_variable", where,
      "use of undefined variable: " + name + reel::detail::did_you_mean(name, c.variable_names()));
}

inline std::vector<std::string> operator_names() {
  std::vector<std::string> out;
  for (const auto& [name, spec] : operator_table()) {
    (void)spec;
    out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Adds the top-level fields of the root document that `n` reads: every sub-expression is among
/// `args`, and the root is read only through `eval_root` (`$$ROOT`, an implicit `$$CURRENT`) and
/// `eval_field_path_node` (`"$a.b"`, `"$$ROOT.a.b"`).
void collect_fields_read(const node& n, field_usage& out) {
  if (n.fn == &eval_root) {
    out.add_whole();
  } else if (n.fn == &eval_field_path_node && !n.path.empty()) {
    out.add(n.path[0]);
  }
  for (const node& a : n.args)
    collect_fields_read(a, out);
}

/// Gives `n` and its operands lacking one their evaluation on the value model
/// (detail/value_eval.hpp): `native` for an operator moved to it, the value path's own
/// evaluation of constants, field paths, variables, literals and `$let`, else the nlohmann
/// bridge.
inline void attach_value_eval([[maybe_unused]] node& n, [[maybe_unused]] value_eval_fn native) {
#if defined(REEL_JSON_VALUE_EVAL)
  if (!n.fn || n.value_fn) return;
  for (node& a : n.args)
    attach_value_eval(a, nullptr);
  if (native) {
    // An operator with a field path of its own (`$meta`) reads it as field path nodes do.
    if (!n.path.empty()) attach_value_field_path(n);
    n.value_fn = native;
  } else if (n.fn == &eval_constant) {
    attach_value_constant(n);
  } else if (n.fn == &eval_root) {
    n.value_fn = &value_root;
  } else if (n.fn == &eval_field_path_node) {
    if (n.path.empty()) {
      n.value_fn = &value_root;
    } else {
      attach_value_field_path(n);
    }
  } else if (n.fn == &eval_remove) {
    n.value_fn = &value_missing;
  } else if (n.fn == &eval_variable || n.fn == &eval_external_variable) {
    if (!n.path.empty()) attach_value_field_path(n);
    n.value_fn = n.fn == &eval_variable ? &value_variable : &value_external_variable;
  } else if (n.fn == &eval_array_literal) {
    n.value_fn = &value_array_literal;
  } else if (n.fn == &eval_object_literal) {
    n.value_fn = &value_object_literal;
  } else if (n.fn == &eval_let) {
    n.value_fn = &value_let;
  } else {
    n.value_fn = &value_bridge;
  }
#endif
}

inline node with_value_eval(node n, value_eval_fn native = nullptr) {
  attach_value_eval(n, native);
  return n;
}

inline node fold(node n, bool foldable) {
  if (!foldable || !n.fn) return n;
  for (const node& a : n.args) {
    if (present(a) && !a.constant) return n;
  }
  try {
    static const document empty = document::object();
    const eval_context ctx;
    const scope s{&empty, &ctx, nullptr};
    document out;
    const document& r = n.fn(n, s, out);
    node folded = constant_node(&r == &out ? std::move(out) : r);
#if defined(REEL_JSON_VALUE_EVAL)
    // The value path folds with its own evaluation: its result may differ in type (a long, a
    // decimal) or value (`$round` of a double) from the nlohmann one.
    if (n.value_fn) fold_value_constant(n, folded);
#endif
    return folded;
  } catch (const reel::error&) {
    return n;  // fails at evaluation time, with the document's context
  }
}

}  // namespace detail

detail::node detail::compiler::compile(const document& spec, const std::string& where) {
  switch (spec.type()) {
    case document::value_t::string: {
      const std::string& s = spec.get_ref<const std::string&>();
      if (s.empty() || s[0] != '$') return with_value_eval(constant_node(spec));
      if (s.size() >= 2 && s[1] == '$') {
        if (s.size() == 2) bad_arguments(where, "'$$' is not a valid variable reference");
        return with_value_eval(compile_variable(*this, std::string_view(s).substr(2), where));
      }
      if (s.size() == 1) bad_arguments(where, "'$' by itself is not a valid field path");
      node n;
      n.fn = &eval_field_path_node;
      n.where = where;
      n.path = field_path(std::string_view(s).substr(1), where);
      return with_value_eval(std::move(n));
    }
    case document::value_t::array: {
      node n;
      n.fn = &eval_array_literal;
      n.where = where;
      n.args.reserve(spec.size());
      for (std::size_t i = 0; i < spec.size(); ++i) {
        n.args.push_back(compile(spec[i], pointer_append(where, i)));
      }
      return fold(with_value_eval(std::move(n)), true);
    }
    case document::value_t::object:
      break;
    default:
      return with_value_eval(constant_node(spec));
  }
  if (spec.empty()) return with_value_eval(constant_node(spec));
  const std::string& first = spec.begin().key();
  if (!first.empty() && first[0] == '$') {
    if (type_of(spec) != bson_type::object) {
      node n = constant_node(normalize_ejson(spec));
#if defined(REEL_JSON_VALUE_EVAL)
      attach_value_constant(n, &spec);
#endif
      return n;
    }
    if (spec.size() != 1) {
      std::string keys;
      for (auto it = spec.begin(); it != spec.end(); ++it) {
        keys += (keys.empty() ? "'" : ", '") + it.key() + "'";
      }
      bad_arguments(where,
                    "an expression object must contain exactly one field, the name of the "
                    "operator; found " +
                        std::to_string(spec.size()) + " fields: " + keys);
    }
    const auto& table = operator_table();
    auto it = table.find(first);
    if (it == table.end()) {
      if (is_unsupported_operator(first)) {
        throw_error("reel.expression.unsupported_operator", where,
                    "expression operator '" + first + "' is not supported by Reel");
      }
      throw_error("reel.expression.unknown_operator", where,
                  "unknown expression operator '" + first + "'" +
                      reel::detail::did_you_mean(first, operator_names()));
    }
    const op_spec& op = it->second;
    node n = op.compile ? op.compile(*this, op, spec.begin().value(), where)
                        : compile_generic(*this, op, spec.begin().value(), where);
    if (n.where.empty()) n.where = where;
    const bool foldable = op.foldable && !n.constant;
#if defined(REEL_JSON_VALUE_EVAL)
    if (n.fn == &eval_constant && (op.name == "$literal" || op.name == "$const")) {
      attach_value_constant(n, &spec.begin().value());
    }
    attach_value_eval(n, n.fn == op.eval && !n.constant ? native_value_op(op.name) : nullptr);
#endif
    return fold(std::move(n), foldable);
  }
  node n;
  n.fn = &eval_object_literal;
  n.where = where;
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& key = it.key();
    const std::string w = pointer_append(where, key);
    if (key.empty()) bad_arguments(w, "field names in an expression object must not be empty");
    if (key[0] == '$') {
      bad_arguments(w, "field name '" + key + "' in an expression object must not start with '$'");
    }
    if (key.find('.') != std::string::npos) {
      bad_arguments(w, "field name '" + key + "' in an expression object must not contain '.'");
    }
    n.names.push_back(key);
    n.args.push_back(compile(*it, w));
  }
  return fold(with_value_eval(std::move(n)), true);
}

/// Compiles a MongoDB aggregation expression. `where` is the JSON pointer of `spec` in the
/// enclosing definition, used in error locations; `options.variables` declares external
/// variables that `eval_context::variables` provides at evaluation.
expression compile_expression(const document& spec, std::string where,
                              const compile_options& options) {
  detail::compiler c(options);
  return expression(std::make_shared<const detail::node>(c.compile(spec, where)));
}

}  // namespace reel::json
