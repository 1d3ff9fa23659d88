// SPDX-License-Identifier: Apache-2.0
/// \file
/// The compiled form of aggregation expressions: a tree of `node`s, each with a plain function
/// pointer that evaluates it. Evaluation returns a reference (into the document, a constant, a
/// bound variable or the caller's scratch `out`), so field paths, constants and comparisons
/// evaluate without allocating. Operator headers (`ops_*.hpp`) register into a table that the
/// compiler in `expression.hpp` consults.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

/// Options of `compile_expression`.
struct compile_options {
  /// Names of external variables (`$$name`) that `eval_context::variables` will provide.
  std::vector<std::string> variables;
};

}  // namespace reel::json

namespace reel::bson {
class value;
}

namespace reel::json::detail {

struct node;
struct value_scope;

/// A variable bound by `$let`, `$map`, `$filter` or `$reduce`: a stack-allocated chain.
struct binding {
  const binding* parent = nullptr;
  std::int64_t slot = -1;
  const document* value = nullptr;
};

/// Everything an evaluation sees.
struct scope {
  const document* root;
  const eval_context* ctx;
  const binding* vars;
};

using eval_fn = const document& (*)(const node&, const scope&, document& out);
/// The evaluation of a node on the BSON value model (`expression::evaluate_value`): operators
/// moved to it have their own (src/json/value_*.cpp); the others are bridged through nlohmann
/// (detail/value_eval.hpp).
using value_eval_fn = bson::value (*)(const node&, const value_scope&);

/// One compiled expression. `args` hold operands in a fixed order per operator; an optional
/// operand that was not given has `fn == nullptr`.
struct node {
  eval_fn fn = nullptr;
  std::string_view op;  ///< operator name (static storage), for messages
  std::string where;    ///< JSON pointer of the expression, for evaluation errors
  std::vector<node> args;
  document value;                  ///< the constant, or operator data
  field_path path;                 ///< field path or variable sub-path
  std::int64_t slot = -1;          ///< first variable slot bound or read
  std::vector<std::string> names;  ///< field names of object literals, variable names
  std::shared_ptr<const void> data;
  value_eval_fn value_fn = nullptr;        ///< evaluation on `bson::value`; null when not built
  std::shared_ptr<const void> value_data;  ///< the value path's own data (constant, field path)
  bool constant = false;
};

inline const document& ev(const node& n, const scope& s, document& out) {
  return n.fn(n, s, out);
}
inline bool present(const node& n) noexcept {
  return n.fn != nullptr;
}
inline bool is_nullish(const document& d) noexcept {
  return d.is_null() || d.is_discarded();
}

inline const document& eval_constant(const node& n, const scope&, document&) {
  return n.value;
}

inline const document& eval_root(const node&, const scope& s, document&) {
  return *s.root;
}

inline node root_node() {
  node n;
  n.fn = &eval_root;
  return n;
}

inline node constant_node(document v) {
  node n;
  n.fn = &eval_constant;
  n.value = std::move(v);
  n.constant = true;
  return n;
}

/// A reference into scratch storage that survives leaving the binding frame: copy `r` to `out`.
inline const document& keep(const document& r, document& out) {
  if (&r != &out) out = r;
  return out;
}

[[noreturn]] inline void eval_fail(const node& n, std::string message) {
  throw_error("reel.expression.evaluation_failed", n.where, std::move(message));
}
[[noreturn]] inline void bad_arguments(const std::string& where, std::string message) {
  throw_error("reel.expression.bad_arguments", where, std::move(message));
}

/// `where` + "/" + `key` as a JSON pointer (escaping '~' and '/').
inline std::string pointer_append(const std::string& where, std::string_view key) {
  return json_pointer_append(where, key);
}
inline std::string pointer_append(const std::string& where, std::size_t index) {
  return where + "/" + std::to_string(index);
}

class compiler;
struct op_spec;
using compile_fn = node (*)(compiler&, const op_spec&, const document& arg,
                            const std::string& where);

/// One operator of the table: a generic operand list (`min_args`..`max_args`, -1 = unbounded)
/// evaluated by `eval`, or a `compile` function of its own.
struct op_spec {
  std::string_view name;
  eval_fn eval = nullptr;
  int min_args = 1;
  int max_args = 1;
  compile_fn compile = nullptr;
  bool foldable = true;  ///< may be evaluated at compile time when all operands are constant
};

/// Compiles expression specs, tracking variables in scope.
class compiler {
 public:
  explicit compiler(const compile_options& options) : options_(options) {}

  /// Compiles `spec` found at `where` (defined in expression.hpp).
  node compile(const document& spec, const std::string& where);

  /// Declares a variable for the operands compiled until `pop`; returns its slot.
  std::int64_t declare(const std::string& name, const std::string& where, bool check_name = true) {
    if (check_name) check_variable_name(name, where);
    vars_.emplace_back(name, next_slot_);
    return next_slot_++;
  }
  void pop(std::size_t count) { vars_.resize(vars_.size() - count); }
  /// The slot of a variable in scope, or -1.
  [[nodiscard]] std::int64_t find(std::string_view name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return -1;
  }
  [[nodiscard]] bool is_external(std::string_view name) const {
    for (const auto& v : options_.variables) {
      if (v == name) return true;
    }
    return false;
  }
  [[nodiscard]] std::vector<std::string> variable_names() const {
    std::vector<std::string> out{"ROOT", "CURRENT", "REMOVE"};
    for (const auto& v : vars_)
      out.push_back(v.first);
    for (const auto& v : options_.variables)
      out.push_back(v);
    return out;
  }

  static void check_variable_name(const std::string& name, const std::string& where) {
    bool ok = !name.empty() &&
              ((name[0] >= 'a' && name[0] <= 'z') || static_cast<unsigned char>(name[0]) >= 0x80);
    for (char ch : name) {
      const auto c = static_cast<unsigned char>(ch);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c >= 0x80)) {
        ok = false;
      }
    }
    if (!ok) {
      bad_arguments(where, "invalid variable name '" + name +
                               "': it must start with a lowercase letter and contain only "
                               "letters, digits and '_'");
    }
  }

 private:
  const compile_options& options_;
  std::vector<std::pair<std::string, std::int64_t>> vars_;
  std::int64_t next_slot_ = 0;
};

inline std::string arity_message(std::string_view op, int min, int max, std::size_t got) {
  auto plural = [](long long n) {
    return n == 1 ? std::string(" argument") : std::string(" arguments");
  };
  std::string out(op);
  if (min == max) {
    out += " takes exactly " + std::to_string(min) + plural(min);
  } else if (max < 0) {
    out += " takes at least " + std::to_string(min) + plural(min);
  } else {
    out += " takes " + std::to_string(min) + " to " + std::to_string(max) + " arguments";
  }
  out += ", " + std::to_string(got) + (got == 1 ? " was" : " were") + " given";
  return out;
}

/// Compiles the operand list of `spec.name` (an array, or a single operand), checking arity.
inline node compile_list(compiler& c, const op_spec& spec, const document& arg,
                         const std::string& where, int min_args, int max_args) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  const std::string base = pointer_append(where, spec.name);
  if (arg.is_array()) {
    if (arg.size() < static_cast<std::size_t>(min_args) ||
        (max_args >= 0 && arg.size() > static_cast<std::size_t>(max_args))) {
      bad_arguments(where, arity_message(spec.name, min_args, max_args, arg.size()));
    }
    n.args.reserve(arg.size());
    for (std::size_t i = 0; i < arg.size(); ++i) {
      n.args.push_back(c.compile(arg[i], pointer_append(base, i)));
    }
  } else {
    if (min_args > 1 || max_args == 0) {
      bad_arguments(where, arity_message(spec.name, min_args, max_args, 1));
    }
    n.args.push_back(c.compile(arg, base));
  }
  return n;
}

inline node compile_generic(compiler& c, const op_spec& spec, const document& arg,
                            const std::string& where) {
  return compile_list(c, spec, arg, where, spec.min_args, spec.max_args);
}

struct named_arg {
  std::string_view name;
  bool required = false;
};

/// Compiles the object-form operands of `op` in the order of `names`; absent optional operands
/// are left empty (`present()` false).
inline std::vector<node> compile_named(compiler& c, std::string_view op, const document& arg,
                                       const std::string& where,
                                       std::initializer_list<named_arg> names) {
  if (!arg.is_object()) {
    bad_arguments(where,
                  std::string(op) + " requires an object as its argument, found " + type_name(arg));
  }
  std::vector<node> out(names.size());
  const std::string base = pointer_append(where, op);
  for (auto it = arg.begin(); it != arg.end(); ++it) {
    std::size_t i = 0;
    bool found = false;
    for (const auto& n : names) {
      if (n.name == it.key()) {
        found = true;
        break;
      }
      ++i;
    }
    if (!found) {
      std::vector<std::string> candidates;
      for (const auto& n : names)
        candidates.emplace_back(n.name);
      bad_arguments(where, std::string(op) + " does not take an argument named '" + it.key() + "'" +
                               reel::detail::did_you_mean(it.key(), candidates));
    }
    out[i] = c.compile(*it, pointer_append(base, it.key()));
  }
  std::size_t i = 0;
  for (const auto& n : names) {
    if (n.required && !present(out[i])) {
      bad_arguments(where,
                    std::string(op) + " requires an argument named '" + std::string(n.name) + "'");
    }
    ++i;
  }
  return out;
}

/// An operand that must be an integral number (an int, a long or a double without fraction).
inline std::optional<std::int64_t> integral_of(const document& d) noexcept {
  auto n = as_numeric(d);
  if (!n) return std::nullopt;
  if (n->integral()) return n->i;
  if (!std::isfinite(n->d) || n->d != std::trunc(n->d) || n->d >= 9.2e18 || n->d <= -9.2e18) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(n->d);
}

/// A date operand: a date, or an ObjectId / Timestamp (their embedded time).
inline std::optional<std::int64_t> date_millis_of(const document& d) noexcept {
  switch (type_of(d)) {
    case bson_type::date: {
      auto t = as_date(d);
      if (!t) return std::nullopt;
      return to_millis(*t);
    }
    case bson_type::object_id: {
      const std::string& hex = d.begin()->get_ref<const std::string&>();
      if (!is_hex24(hex)) return std::nullopt;
      return static_cast<std::int64_t>(std::stoul(hex.substr(0, 8), nullptr, 16)) * 1000;
    }
    case bson_type::timestamp:
      return static_cast<std::int64_t>(timestamp_of(d).first) * 1000;
    default:
      return std::nullopt;
  }
}

}  // namespace reel::json::detail
