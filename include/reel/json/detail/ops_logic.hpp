// SPDX-License-Identifier: Apache-2.0
/// \file
/// Comparison, boolean, conditional and object expression operators: `$eq $ne $gt $gte $lt $lte
/// $cmp $and $or $not $cond $ifNull $switch $literal $let $meta $getField $setField $unsetField
/// $mergeObjects $type $isNumber`.
#pragma once

#include <string>
#include <unordered_map>

#include "reel/json/detail/expr_core.hpp"

namespace reel::json::detail {

template <int Kind>  // 0 eq, 1 ne, 2 gt, 3 gte, 4 lt, 5 lte, 6 cmp
const document& eval_compare(const node& n, const scope& s, document& out) {
  document ta, tb;
  const int c = compare_values(ev(n.args[0], s, ta), ev(n.args[1], s, tb));
  switch (Kind) {
    case 0:
      out = c == 0;
      break;
    case 1:
      out = c != 0;
      break;
    case 2:
      out = c > 0;
      break;
    case 3:
      out = c >= 0;
      break;
    case 4:
      out = c < 0;
      break;
    case 5:
      out = c <= 0;
      break;
    default:
      out = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return out;
}

inline const document& eval_and(const node& n, const scope& s, document& out) {
  for (const node& a : n.args) {
    document t;
    if (!truthy(ev(a, s, t))) {
      out = false;
      return out;
    }
  }
  out = true;
  return out;
}

inline const document& eval_or(const node& n, const scope& s, document& out) {
  for (const node& a : n.args) {
    document t;
    if (truthy(ev(a, s, t))) {
      out = true;
      return out;
    }
  }
  out = false;
  return out;
}

inline const document& eval_not(const node& n, const scope& s, document& out) {
  document t;
  out = !truthy(ev(n.args[0], s, t));
  return out;
}

inline const document& eval_cond(const node& n, const scope& s, document& out) {
  document t;
  const bool c = truthy(ev(n.args[0], s, t));
  return ev(n.args[c ? 1 : 2], s, out);
}

inline node compile_cond(compiler& c, const op_spec& spec, const document& arg,
                         const std::string& where) {
  if (arg.is_array()) return compile_list(c, spec, arg, where, 3, 3);
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) bad_arguments(where, arity_message(spec.name, 3, 3, 1));
  n.args = compile_named(c, spec.name, arg, where, {{"if", true}, {"then", true}, {"else", true}});
  return n;
}

inline const document& eval_if_null(const node& n, const scope& s, document& out) {
  for (std::size_t i = 0; i + 1 < n.args.size(); ++i) {
    const document& v = ev(n.args[i], s, out);
    if (!is_nullish(v)) return v;
  }
  return ev(n.args.back(), s, out);
}

inline const document& eval_switch(const node& n, const scope& s, document& out) {
  const bool has_default = n.value.get<bool>();
  const std::size_t branches = (n.args.size() - (has_default ? 1 : 0)) / 2;
  for (std::size_t i = 0; i < branches; ++i) {
    document t;
    if (truthy(ev(n.args[2 * i], s, t))) return ev(n.args[2 * i + 1], s, out);
  }
  if (!has_default) {
    eval_fail(n,
              "$switch could not find a matching branch for an input, and no default was "
              "specified");
  }
  return ev(n.args.back(), s, out);
}

inline node compile_switch(compiler& c, const op_spec& spec, const document& arg,
                           const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) bad_arguments(where, "$switch requires an object as its argument");
  const std::string base = pointer_append(where, "$switch");
  const document* branches = nullptr;
  const document* def = nullptr;
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (it.key() == "branches") {
      branches = &*it;
    } else if (it.key() == "default") {
      def = &*it;
    } else {
      bad_arguments(where, "$switch does not take an argument named '" + it.key() + "'" +
                               reel::detail::did_you_mean(
                                   it.key(), std::vector<std::string>{"branches", "default"}));
    }
  }
  if (!branches || !branches->is_array() || branches->empty()) {
    bad_arguments(where, "$switch requires at least one branch in 'branches'");
  }
  const std::string bbase = pointer_append(base, "branches");
  for (std::size_t i = 0; i < branches->size(); ++i) {
    const document& b = (*branches)[i];
    const std::string bw = pointer_append(bbase, i);
    if (!b.is_object() || b.size() != 2 || !b.contains("case") || !b.contains("then")) {
      bad_arguments(bw, "a $switch branch must be an object with exactly 'case' and 'then'");
    }
    n.args.push_back(c.compile(b["case"], pointer_append(bw, "case")));
    n.args.push_back(c.compile(b["then"], pointer_append(bw, "then")));
  }
  if (def) n.args.push_back(c.compile(*def, pointer_append(base, "default")));
  n.value = def != nullptr;
  return n;
}

inline node compile_literal(compiler&, const op_spec&, const document& arg, const std::string&) {
  return constant_node(normalize_ejson(arg));
}

inline const document& let_step(const node& n, const scope& s, const binding* chain, std::size_t i,
                                document& out) {
  if (i + 1 == n.args.size()) {
    const scope inner{s.root, s.ctx, chain};
    return keep(ev(n.args.back(), inner, out), out);
  }
  document tmp;
  const document& v = ev(n.args[i], s, tmp);
  const binding b{chain, n.slot + static_cast<std::int64_t>(i), &v};
  return let_step(n, s, &b, i + 1, out);
}

inline const document& eval_let(const node& n, const scope& s, document& out) {
  return let_step(n, s, s.vars, 0, out);
}

inline node compile_let(compiler& c, const op_spec& spec, const document& arg,
                        const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (!arg.is_object()) bad_arguments(where, "$let requires an object with 'vars' and 'in'");
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    if (it.key() != "vars" && it.key() != "in") {
      bad_arguments(
          where, "$let does not take an argument named '" + it.key() + "'" +
                     reel::detail::did_you_mean(it.key(), std::vector<std::string>{"vars", "in"}));
    }
  }
  if (!arg.contains("vars") || !arg["vars"].is_object()) {
    bad_arguments(where, "$let requires 'vars' to be an object");
  }
  if (!arg.contains("in")) bad_arguments(where, "$let requires an argument named 'in'");
  const std::string base = pointer_append(where, "$let");
  const std::string vbase = pointer_append(base, "vars");
  const document& vars = arg["vars"];
  for (auto it = vars.begin(); it != vars.end(); ++it) {
    const std::string vw = pointer_append(vbase, it.key());
    compiler::check_variable_name(it.key(), vw);
    n.args.push_back(c.compile(*it, vw));
    n.names.push_back(it.key());
  }
  for (std::size_t i = 0; i < n.names.size(); ++i) {
    const std::int64_t slot = c.declare(n.names[i], vbase, false);
    if (i == 0) n.slot = slot;
  }
  n.args.push_back(c.compile(arg["in"], pointer_append(base, "in")));
  c.pop(n.names.size());
  return n;
}

/// The processor's metadata (source, window), then the document's own `_stream_meta` (what
/// `$setStreamMeta` set).
inline const document& eval_meta(const node& n, const scope& s, document& out) {
  const document* meta = s.ctx ? s.ctx->meta : nullptr;
  if (meta && n.path.empty()) return *meta;
  if (meta) {
    const document& v = n.path.resolve(*meta, out);
    if (!is_missing(v)) return v;
  }
  if (!n.path.empty() && s.root && s.root->is_object()) {
    if (auto it = s.root->find("_stream_meta"); it != s.root->end() && it->is_object()) {
      return n.path.resolve(*it, out);
    }
  }
  return missing_ref();
}

inline node compile_meta(compiler&, const op_spec& spec, const document& arg,
                         const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  const std::string key = arg.is_string() ? arg.get<std::string>() : arg.dump();
  if (key == "stream") return n;
  if (arg.is_string() && key.rfind("stream.", 0) == 0) {
    n.path = field_path(std::string_view(key).substr(7), pointer_append(where, "$meta"));
    return n;
  }
  bad_arguments(where, "unsupported $meta key " + (arg.is_string() ? "'" + key + "'" : key) +
                           ": Reel supports \"stream\" and \"stream.<path>\"");
}

inline const document& eval_get_field(const node& n, const scope& s, document& out) {
  document tf;
  const document& f = ev(n.args[0], s, tf);
  if (!f.is_string()) {
    eval_fail(n, "$getField requires 'field' to evaluate to a string, found " + type_name(f));
  }
  document ti;
  const document& input = ev(n.args[1], s, ti);
  if (is_nullish(input)) return null_ref();
  if (!input.is_object()) {
    eval_fail(n, "$getField requires 'input' to evaluate to an object, found " + type_name(input));
  }
  auto it = input.find(f.get_ref<const std::string&>());
  if (it == input.end()) return missing_ref();
  if (&input == &ti) {
    out = *it;
    return out;
  }
  return *it;
}

inline node compile_get_field(compiler& c, const op_spec& spec, const document& arg,
                              const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (arg.is_object() && !arg.empty() && arg.begin().key()[0] != '$') {
    n.args = compile_named(c, spec.name, arg, where, {{"field", true}, {"input", false}});
  } else {
    n.args.push_back(c.compile(arg, pointer_append(where, "$getField")));
    n.args.emplace_back();
  }
  if (!present(n.args[1])) n.args[1] = root_node();
  if (!n.args[0].constant) {
    bad_arguments(where,
                  "$getField requires 'field' to be a constant string; use $literal for "
                  "a field name that starts with '$'");
  }
  if (!n.args[0].value.is_string()) {
    bad_arguments(where,
                  "$getField requires 'field' to be a string, found " + type_name(n.args[0].value));
  }
  return n;
}

/// args: field (constant string), input, value (absent for `$unsetField`).
inline const document& eval_set_field(const node& n, const scope& s, document& out) {
  document ti;
  const document& input = ev(n.args[1], s, ti);
  if (is_nullish(input)) return null_ref();
  if (type_of(input) != bson_type::object) {
    eval_fail(n, std::string(n.op) + " requires 'input' to evaluate to an object, found " +
                     type_name(input));
  }
  const std::string& field = n.args[0].value.get_ref<const std::string&>();
  document tv;
  const document& value = present(n.args[2]) ? ev(n.args[2], s, tv) : missing_ref();
  document result;
  if (&input == &ti) {
    result = std::move(ti);
  } else {
    result = input;
  }
  if (is_missing(value)) {
    result.erase(field);
  } else if (&value == &tv) {
    result[field] = std::move(tv);
  } else {
    result[field] = value;
  }
  out = std::move(result);
  return out;
}

/// `$setField: {field, input, value}` and `$unsetField: {field, input}`.
template <bool Unset>
node compile_set_field(compiler& c, const op_spec& spec, const document& arg,
                       const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  if (Unset) {
    n.args = compile_named(c, spec.name, arg, where, {{"field", true}, {"input", true}});
    n.args.emplace_back();
  } else {
    n.args = compile_named(c, spec.name, arg, where,
                           {{"field", true}, {"input", true}, {"value", true}});
  }
  const std::string fw = pointer_append(pointer_append(where, spec.name), "field");
  if (!n.args[0].constant) {
    bad_arguments(fw, std::string(spec.name) +
                          " requires 'field' to be a constant string; use $literal for a field "
                          "name that starts with '$'");
  }
  if (!n.args[0].value.is_string()) {
    bad_arguments(fw, std::string(spec.name) + " requires 'field' to be a string, found " +
                          type_name(n.args[0].value));
  }
  return n;
}

inline const document& eval_merge_objects(const node& n, const scope& s, document& out) {
  document result = document::object();
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    document t;
    const document& v = ev(n.args[i], s, t);
    if (is_nullish(v)) continue;
    if (type_of(v) != bson_type::object) {
      eval_fail(n, "$mergeObjects requires object inputs, but input " + std::to_string(i) +
                       " is of type " + type_name(v));
    }
    for (auto it = v.begin(); it != v.end(); ++it)
      result[it.key()] = *it;
  }
  out = std::move(result);
  return out;
}

inline const document& eval_type(const node& n, const scope& s, document& out) {
  document t;
  out = type_name(ev(n.args[0], s, t));
  return out;
}

inline const document& eval_is_number(const node& n, const scope& s, document& out) {
  document t;
  out = is_number(ev(n.args[0], s, t));
  return out;
}

inline void register_logic_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$eq", &eval_compare<0>, 2, 2});
  add_op({"$ne", &eval_compare<1>, 2, 2});
  add_op({"$gt", &eval_compare<2>, 2, 2});
  add_op({"$gte", &eval_compare<3>, 2, 2});
  add_op({"$lt", &eval_compare<4>, 2, 2});
  add_op({"$lte", &eval_compare<5>, 2, 2});
  add_op({"$cmp", &eval_compare<6>, 2, 2});
  add_op({"$and", &eval_and, 0, -1});
  add_op({"$or", &eval_or, 0, -1});
  add_op({"$not", &eval_not, 1, 1});
  add_op({"$cond", &eval_cond, 3, 3, &compile_cond});
  add_op({"$ifNull", &eval_if_null, 2, -1});
  add_op({"$switch", &eval_switch, 1, 1, &compile_switch});
  add_op({"$literal", nullptr, 1, 1, &compile_literal});
  add_op({"$const", nullptr, 1, 1, &compile_literal});
  add_op({"$let", &eval_let, 1, 1, &compile_let});
  add_op({"$meta", &eval_meta, 1, 1, &compile_meta, false});
  add_op({"$getField", &eval_get_field, 1, 1, &compile_get_field});
  add_op({"$setField", &eval_set_field, 1, 1, &compile_set_field<false>});
  add_op({"$unsetField", &eval_set_field, 1, 1, &compile_set_field<true>});
  add_op({"$mergeObjects", &eval_merge_objects, 0, -1});
  add_op({"$type", &eval_type, 1, 1});
  add_op({"$isNumber", &eval_is_number, 1, 1});
}

}  // namespace reel::json::detail
