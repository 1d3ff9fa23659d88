// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB query filters (`$match`, `$validate`), compiled once. Semantics follow MongoDB:
/// dotted paths with implicit array traversal (`{"a.b": 1}` matches `{a: [{b: 1}, {b: 2}]}`),
/// numeric path components as array indexes, `null` matching missing fields, comparison type
/// bracketing (`{a: {$gt: 5}}` never matches strings), leaf arrays matching by element or as a
/// whole. Operators: `$eq $ne $gt $gte $lt $lte $in $nin $and $or $nor $not $exists $type $regex
/// $options $mod $all $elemMatch $size $expr $jsonSchema $comment $alwaysTrue $alwaysFalse`.
///
/// Definition errors throw `reel::error`: `reel.query.unknown_operator`,
/// `reel.query.bad_arguments`, `reel.query.json_schema`, `reel.json.bad_field_path` and the
/// expression ids for `$expr`, each with the JSON pointer of the culprit.
///
/// **Example**
/// ```cpp
/// using namespace reel::json;
/// query q = compile_query(document::parse(
///     R"({"status": "A", "qty": {"$lt": 30}, "tags": {"$in": ["red", "blue"]}})"), "/1/$match");
/// q.matches(document::parse(R"({"status": "A", "qty": 10, "tags": ["blue", "x"]})"));  // true
/// compile_query(document::parse(R"({"qty": {"$gtt": 5}})"), "/1/$match");
/// // throws: [reel.query.unknown_operator] at /1/$match/qty/$gtt: unknown query operator
/// //         '$gtt' (did you mean '$gt'?)
/// ```
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/detail/regex.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/json_schema.hpp"
#include "reel/json/value.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/arena.hpp"
#include "reel/bson/owned.hpp"
#include "reel/bson/value.hpp"
#endif

namespace reel::json {

namespace detail {

/// A predicate over a whole document.
struct match_node {
  virtual ~match_node() = default;
  [[nodiscard]] virtual bool matches(const document& doc, const eval_context& ctx) const = 0;
#if defined(REEL_JSON_VALUE_EVAL)
  /// The same predicate on the BSON value model (src/json/query_value.cpp); `memory` receives
  /// what `$expr` builds.
  [[nodiscard]] virtual bool matches_value(const bson::value& doc, const eval_context& ctx,
                                           bson::arena& memory) const = 0;
#endif
};
using match_ptr = std::unique_ptr<const match_node>;

/// A predicate over one value reached by a path; `nullptr` is "missing".
struct value_pred {
  virtual ~value_pred() = default;
  [[nodiscard]] virtual bool test(const document* v) const = 0;
#if defined(REEL_JSON_VALUE_EVAL)
  /// The same predicate on the BSON value model; a missing value has type `missing`.
  [[nodiscard]] virtual bool test_value(const bson::value& v, bson::arena& memory) const = 0;
#endif
};

#if defined(REEL_JSON_VALUE_EVAL)
/// The value types a `$type` argument (checked by `type_mask`: an alias or a type number)
/// names, as bits of `value_type_bit`.
std::uint32_t value_type_mask(const document& alias_or_code);
#define REEL_QUERY_VALUE_PRED \
  bool test_value(const bson::value& v, bson::arena& memory) const override;
#define REEL_QUERY_VALUE_MATCH                                                             \
  bool matches_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory) \
      const override;
#else
#define REEL_QUERY_VALUE_PRED
#define REEL_QUERY_VALUE_MATCH
#endif
using pred_ptr = std::unique_ptr<const value_pred>;

// --- value predicates --------------------------------------------------------------------------

struct eq_pred final : value_pred {
  document rhs;
#if defined(REEL_JSON_VALUE_EVAL)
  bson::owned_value value_rhs;
  explicit eq_pred(const document& spec)
      : rhs(normalize_ejson(spec)), value_rhs(query_value_constant(spec)) {}
#else
  explicit eq_pred(const document& spec) : rhs(normalize_ejson(spec)) {}
#endif
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (rhs.is_null()) return !v || v->is_null();
    return v && compare_values(*v, rhs) == 0;
  }
};

struct cmp_pred final : value_pred {
  enum kind_t { gt, gte, lt, lte } kind;
  document rhs;
  int rhs_rank;
  bool any_type;  ///< rhs is MinKey/MaxKey: compares across types
#if defined(REEL_JSON_VALUE_EVAL)
  bson::owned_value value_rhs;
  cmp_pred(kind_t k, const document& spec)
      : kind(k),
        rhs(normalize_ejson(spec)),
        value_rhs(query_value_constant(spec)){
#else
  cmp_pred(kind_t k, const document& spec) : kind(k), rhs(normalize_ejson(spec)) {
#endif
            const bson_type t = type_of(rhs);
  rhs_rank = canonical_rank(t);
  any_type = t == bson_type::min_key || t == bson_type::max_key;
} REEL_QUERY_VALUE_PRED bool test(const document* v) const override {
  const document& val = (!v || v->is_null()) ? null_ref() : *v;
  if (!any_type && canonical_rank(type_of(val)) != rhs_rank) return false;
  const int c = compare_values(val, rhs);
  switch (kind) {
    case gt:
      return c > 0;
    case gte:
      return c >= 0;
    case lt:
      return c < 0;
    case lte:
      return c <= 0;
  }
  return false;
}
};  // namespace detail

struct regex_pred final : value_pred {
  std::shared_ptr<const regex_program> re;
  explicit regex_pred(std::shared_ptr<const regex_program> r) : re(std::move(r)) {}
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v) return false;
    if (v->is_string()) return re->search(v->get_ref<const std::string&>());
    if (type_of(*v) == bson_type::regex) {
      auto [p, o] = regex_of(*v);
      return p == re->pattern() && o == re->options();
    }
    return false;
  }
};

struct in_pred final : value_pred {
  std::vector<document> values;
  std::vector<std::shared_ptr<const regex_program>> regexes;
  bool has_null = false;
#if defined(REEL_JSON_VALUE_EVAL)
  bson::owned_value value_storage;        ///< the equalities of `$in` as written
  std::vector<bson::value> value_sorted;  ///< the same, in BSON order (into `value_storage`)
  /// Converts the equalities of `spec` (the `$in` array; regexes are left out) once.
  void attach_values(const document& spec);
#endif
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v || v->is_null()) {
      if (has_null) return true;
      if (!v) return false;
    }
    for (const auto& x : values) {
      if (compare_values(*v, x) == 0) return true;
    }
    if (v->is_string()) {
      for (const auto& re : regexes) {
        if (re->search(v->get_ref<const std::string&>())) return true;
      }
    }
    return false;
  }
};

struct exists_pred final : value_pred {
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override { return v != nullptr; }
};

struct type_pred final : value_pred {
  std::uint32_t mask = 0;
#if defined(REEL_JSON_VALUE_EVAL)
  std::uint32_t value_mask = 0;  ///< bits of `value_type_bit`: exact types (symbol, undefined…)
#endif
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    return v && (mask & (1u << static_cast<unsigned>(type_of(*v)))) != 0;
  }
};

struct mod_pred final : value_pred {
  std::int64_t divisor = 1, remainder = 0;
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v) return false;
    auto n = as_numeric(*v);
    if (!n) return false;
    std::int64_t x = n->i;
    if (!n->integral()) {
      if (!std::isfinite(n->d) || n->d >= 9.2e18 || n->d <= -9.2e18) return false;
      x = static_cast<std::int64_t>(n->d);
    }
    if (divisor == -1) return remainder == 0;
    return x % divisor == remainder;
  }
};

struct size_pred final : value_pred {
  std::int64_t size = 0;
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    return v && v->is_array() && static_cast<std::int64_t>(v->size()) == size;
  }
};

struct and_pred final : value_pred {
  std::vector<pred_ptr> all;
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    for (const auto& p : all) {
      if (!p->test(v)) return false;
    }
    return true;
  }
};

struct not_pred final : value_pred {
  pred_ptr inner;
  explicit not_pred(pred_ptr p) : inner(std::move(p)) {}
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override { return !inner->test(v); }
};

/// `$all` inside an `$elemMatch` value form: the value equals x or is an array holding x.
struct contains_pred final : value_pred {
  document x;
#if defined(REEL_JSON_VALUE_EVAL)
  bson::owned_value value_x;
  explicit contains_pred(const document& spec)
      : x(normalize_ejson(spec)), value_x(query_value_constant(spec)) {}
#else
  explicit contains_pred(const document& spec) : x(normalize_ejson(spec)) {}
#endif
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v) return false;
    if (compare_values(*v, x) == 0) return true;
    if (v->is_array()) {
      for (const auto& e : *v) {
        if (compare_values(e, x) == 0) return true;
      }
    }
    return false;
  }
};

struct elem_match_value_pred final : value_pred {
  pred_ptr all;
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v || !v->is_array()) return false;
    for (const auto& e : *v) {
      if (all->test(&e)) return true;
    }
    return false;
  }
};

struct elem_match_object_pred final : value_pred {
  match_ptr query;
  REEL_QUERY_VALUE_PRED
  bool test(const document* v) const override {
    if (!v || !v->is_array()) return false;
    const eval_context ctx;
    for (const auto& e : *v) {
      if ((type_of(e) == bson_type::object || e.is_array()) && query->matches(e, ctx)) return true;
    }
    return false;
  }
};

// --- document predicates -----------------------------------------------------------------------

struct path_match final : match_node {
  field_path path;
  bool expand = true;
  pred_ptr pred;
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context&) const override {
    return path.any_query_value(doc, expand, [this](const document* v) { return pred->test(v); });
  }
};

struct and_match final : match_node {
  std::vector<match_ptr> all;
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context& ctx) const override {
    for (const auto& m : all) {
      if (!m->matches(doc, ctx)) return false;
    }
    return true;
  }
};

struct or_match final : match_node {
  std::vector<match_ptr> any;
  bool negate = false;  ///< $nor
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context& ctx) const override {
    for (const auto& m : any) {
      if (m->matches(doc, ctx)) return !negate;
    }
    return negate;
  }
};

struct not_match final : match_node {
  match_ptr inner;
  explicit not_match(match_ptr m) : inner(std::move(m)) {}
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context& ctx) const override {
    return !inner->matches(doc, ctx);
  }
};

struct const_match final : match_node {
  bool value;
  explicit const_match(bool v) : value(v) {}
  REEL_QUERY_VALUE_MATCH
  bool matches(const document&, const eval_context&) const override { return value; }
};

struct expr_match final : match_node {
  expression expr;
  explicit expr_match(expression e) : expr(std::move(e)) {}
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context& ctx) const override {
    document scratch;
    return truthy(expr.evaluate(doc, ctx, scratch));
  }
};

struct schema_match final : match_node {
  json_schema schema;
  explicit schema_match(json_schema s) : schema(std::move(s)) {}
  REEL_QUERY_VALUE_MATCH
  bool matches(const document& doc, const eval_context&) const override {
    return schema.matches(doc);
  }
};

#undef REEL_QUERY_VALUE_PRED
#undef REEL_QUERY_VALUE_MATCH

// --- compiler ----------------------------------------------------------------------------------

[[noreturn]] inline void query_error(const std::string& where, std::string message) {
  throw_error("reel.query.bad_arguments", where, std::move(message));
}

inline match_ptr make_and(std::vector<match_ptr> all) {
  if (all.size() == 1) return std::move(all.front());
  auto m = std::make_unique<and_match>();
  m->all = std::move(all);
  return m;
}

inline pred_ptr make_and_pred(std::vector<pred_ptr> all) {
  if (all.size() == 1) return std::move(all.front());
  auto p = std::make_unique<and_pred>();
  p->all = std::move(all);
  return p;
}

class query_compiler {
 public:
  explicit query_compiler(const compile_options& options) : options_(options) {}

  match_ptr compile_filter(const document& filter, const std::string& where, bool top) {
    if (!filter.is_object()) {
      query_error(where, "a query filter must be an object, found " + type_name(filter));
    }
    std::vector<match_ptr> clauses;
    for (auto it = filter.begin(); it != filter.end(); ++it) {
      const std::string& key = it.key();
      const std::string w = pointer_append(where, key);
      if (!key.empty() && key[0] == '$') {
        if (auto m = compile_top_operator(key, *it, w, top)) clauses.push_back(std::move(m));
        continue;
      }
      field_path path(key, w);
      if (top) fields_.add(path[0]);
      compile_field(path, *it, w, clauses);
    }
    if (clauses.empty()) return std::make_unique<const_match>(true);
    return make_and(std::move(clauses));
  }

  /// The top-level fields of the document that the filters compiled so far read (their paths
  /// and `$expr`), or the whole document (`$jsonSchema`).
  [[nodiscard]] const field_usage& fields_read() const noexcept { return fields_; }

 private:
  static bool is_operator_object(const document& v) {
    return v.is_object() && !v.empty() && !v.begin().key().empty() && v.begin().key()[0] == '$' &&
           type_of(v) == bson_type::object;
  }

  match_ptr compile_top_operator(const std::string& op, const document& v, const std::string& w,
                                 bool top) {
    if (op == "$and" || op == "$or" || op == "$nor") {
      if (!v.is_array() || v.empty()) query_error(w, op + " must be a non-empty array");
      std::vector<match_ptr> parts;
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string iw = pointer_append(w, i);
        if (!v[i].is_object()) query_error(iw, op + " entries must be objects");
        parts.push_back(compile_filter(v[i], iw, top));
      }
      if (op == "$and") return make_and(std::move(parts));
      auto m = std::make_unique<or_match>();
      m->any = std::move(parts);
      m->negate = op == "$nor";
      return m;
    }
    if (op == "$expr") {
      if (!top) query_error(w, "$expr can only be applied to the top-level document");
      expression e = compile_expression(v, w, options_);
      fields_.add(e.fields_read());
      return std::make_unique<expr_match>(std::move(e));
    }
    if (op == "$jsonSchema") {
      if (top) fields_.add_whole();
      return std::make_unique<schema_match>(compile_json_schema(v, w));
    }
    if (op == "$comment") return nullptr;
    if (op == "$alwaysTrue" || op == "$alwaysFalse") {
      auto n = as_numeric(v);
      if (!n || n->to_double() != 1) query_error(w, op + " must be an integer value of 1");
      return std::make_unique<const_match>(op == "$alwaysTrue");
    }
    if (op == "$where" || op == "$text" || op == "$sampleRate") {
      throw_error("reel.query.unknown_operator", w, "query operator '" + op + "' is not supported");
    }
    static const std::vector<std::string> names = {
        "$and", "$or", "$nor", "$expr", "$jsonSchema", "$comment", "$alwaysTrue", "$alwaysFalse"};
    throw_error(
        "reel.query.unknown_operator", w,
        "unknown top level query operator '" + op + "'" + reel::detail::did_you_mean(op, names));
  }

  static std::unique_ptr<path_match> on_path(const field_path& path, pred_ptr pred,
                                             bool expand = true) {
    auto m = std::make_unique<path_match>();
    m->path = path;
    m->expand = expand;
    m->pred = std::move(pred);
    return m;
  }

  void compile_field(const field_path& path, const document& value, const std::string& where,
                     std::vector<match_ptr>& out) {
    if (is_operator_object(value)) {
      compile_operators(path, value, where, out);
    } else if (type_of(value) == bson_type::regex) {
      auto [p, o] = regex_of(value);
      out.push_back(on_path(path, std::make_unique<regex_pred>(
                                      compile_regex(p, o, where, "reel.query.bad_arguments"))));
    } else {
      out.push_back(on_path(path, std::make_unique<eq_pred>(value)));
    }
  }

  static const std::vector<std::string>& field_operator_names() {
    static const std::vector<std::string> names = {
        "$eq",   "$ne",    "$gt",      "$gte", "$lt",   "$lte", "$in",        "$nin", "$exists",
        "$type", "$regex", "$options", "$mod", "$size", "$all", "$elemMatch", "$not"};
    return names;
  }

  [[noreturn]] static void unknown_operator(const std::string& op, const std::string& w) {
    static constexpr std::string_view unsupported[] = {
        "$geoWithin",  "$geoIntersects", "$near",         "$nearSphere", "$bitsAllSet",
        "$bitsAnySet", "$bitsAllClear",  "$bitsAnyClear", "$where",      "$text"};
    for (auto u : unsupported) {
      if (u == op) {
        throw_error("reel.query.unknown_operator", w,
                    "query operator '" + op + "' is not supported");
      }
    }
    throw_error("reel.query.unknown_operator", w,
                "unknown query operator '" + op + "'" +
                    reel::detail::did_you_mean(op, field_operator_names()));
  }

  /// The operators of `{path: {$op: ..., ...}}`, each a separate clause (as MongoDB does).
  void compile_operators(const field_path& path, const document& ops, const std::string& where,
                         std::vector<match_ptr>& out) {
    for (auto it = ops.begin(); it != ops.end(); ++it) {
      const std::string& op = it.key();
      const std::string w = pointer_append(where, op);
      const document& arg = *it;
      if (op.empty() || op[0] != '$') unknown_operator(op, w);
      if (op == "$ne" || op == "$nin") {
        out.push_back(std::make_unique<not_match>(
            on_path(path, leaf(op == "$ne" ? "$eq" : "$in", arg, w, ops))));
      } else if (op == "$exists") {
        match_ptr m = on_path(path, std::make_unique<exists_pred>());
        out.push_back(truthy(arg) ? std::move(m) : std::make_unique<not_match>(std::move(m)));
      } else if (op == "$not") {
        std::vector<match_ptr> inner;
        if (type_of(arg) == bson_type::regex) {
          auto [p, o] = regex_of(arg);
          inner.push_back(on_path(path, std::make_unique<regex_pred>(
                                            compile_regex(p, o, w, "reel.query.bad_arguments"))));
        } else if (is_operator_object(arg)) {
          compile_operators(path, arg, w, inner);
        } else if (arg.is_object() && arg.empty()) {
          query_error(w, "$not cannot be empty");
        } else {
          query_error(w, "$not needs a regex or an object of operators");
        }
        out.push_back(std::make_unique<not_match>(make_and(std::move(inner))));
      } else if (op == "$all") {
        if (!arg.is_array()) query_error(w, "$all needs an array");
        if (arg.empty()) {
          out.push_back(std::make_unique<const_match>(false));
          continue;
        }
        for (std::size_t i = 0; i < arg.size(); ++i) {
          const document& e = arg[i];
          const std::string iw = pointer_append(w, i);
          if (is_operator_object(e)) {
            if (e.size() != 1 || e.begin().key() != "$elemMatch") {
              query_error(iw, "$all entries that are operators must all be $elemMatch");
            }
            out.push_back(on_path(
                path, elem_match(e.begin().value(), pointer_append(iw, "$elemMatch")), false));
          } else if (type_of(e) == bson_type::regex) {
            auto [p, o] = regex_of(e);
            out.push_back(on_path(path, std::make_unique<regex_pred>(
                                            compile_regex(p, o, iw, "reel.query.bad_arguments"))));
          } else {
            out.push_back(on_path(path, std::make_unique<eq_pred>(e)));
          }
        }
      } else if (op == "$options") {
        if (!ops.contains("$regex")) query_error(w, "$options needs a $regex");
      } else {
        const bool expand = op != "$size" && op != "$elemMatch";
        out.push_back(on_path(path, leaf(op, arg, w, ops), expand));
      }
    }
  }

  /// Predicates of an operator object applied to one value (the `$elemMatch` value form).
  pred_ptr value_operators(const document& ops, const std::string& where) {
    std::vector<pred_ptr> all;
    for (auto it = ops.begin(); it != ops.end(); ++it) {
      const std::string& op = it.key();
      const std::string w = pointer_append(where, op);
      const document& arg = *it;
      if (op == "$ne" || op == "$nin") {
        all.push_back(std::make_unique<not_pred>(leaf(op == "$ne" ? "$eq" : "$in", arg, w, ops)));
      } else if (op == "$exists") {
        pred_ptr p = std::make_unique<exists_pred>();
        all.push_back(truthy(arg) ? std::move(p) : std::make_unique<not_pred>(std::move(p)));
      } else if (op == "$not") {
        if (type_of(arg) == bson_type::regex) {
          auto [p, o] = regex_of(arg);
          all.push_back(std::make_unique<not_pred>(
              std::make_unique<regex_pred>(compile_regex(p, o, w, "reel.query.bad_arguments"))));
        } else if (is_operator_object(arg)) {
          all.push_back(std::make_unique<not_pred>(value_operators(arg, w)));
        } else {
          query_error(w, "$not needs a regex or an object of operators");
        }
      } else if (op == "$all") {
        if (!arg.is_array()) query_error(w, "$all needs an array");
        if (arg.empty()) {
          all.push_back(std::make_unique<not_pred>(std::make_unique<and_pred>()));
        }
        for (const auto& e : arg)
          all.push_back(std::make_unique<contains_pred>(e));
      } else if (op == "$options") {
        if (!ops.contains("$regex")) query_error(w, "$options needs a $regex");
      } else {
        all.push_back(leaf(op, arg, w, ops));
      }
    }
    return make_and_pred(std::move(all));
  }

  pred_ptr elem_match(const document& arg, const std::string& w) {
    if (!arg.is_object()) query_error(w, "$elemMatch needs an object");
    const bool value_form = is_operator_object(arg) && [&] {
      const std::string& k = arg.begin().key();
      return k != "$and" && k != "$or" && k != "$nor" && k != "$expr" && k != "$jsonSchema" &&
             k != "$comment" && k != "$alwaysTrue" && k != "$alwaysFalse";
    }();
    if (value_form) {
      auto p = std::make_unique<elem_match_value_pred>();
      p->all = value_operators(arg, w);
      return p;
    }
    auto p = std::make_unique<elem_match_object_pred>();
    p->query = compile_filter(arg, w, false);
    return p;
  }

  /// One positive leaf operator.
  pred_ptr leaf(const std::string& op, const document& arg, const std::string& w,
                const document& siblings) {
    if (op == "$eq") return std::make_unique<eq_pred>(arg);
    if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      const auto kind = op == "$gt"    ? cmp_pred::gt
                        : op == "$gte" ? cmp_pred::gte
                        : op == "$lt"  ? cmp_pred::lt
                                       : cmp_pred::lte;
      return std::make_unique<cmp_pred>(kind, arg);
    }
    if (op == "$in") {
      if (!arg.is_array()) query_error(w, op + " needs an array");
      auto p = std::make_unique<in_pred>();
      for (std::size_t i = 0; i < arg.size(); ++i) {
        const document& e = arg[i];
        if (is_operator_object(e)) {
          query_error(pointer_append(w, i),
                      "cannot nest an operator ('" + e.begin().key() + "') under " + op);
        }
        if (type_of(e) == bson_type::regex) {
          auto [p2, o] = regex_of(e);
          p->regexes.push_back(
              compile_regex(p2, o, pointer_append(w, i), "reel.query.bad_arguments"));
        } else if (e.is_null()) {
          p->has_null = true;
          p->values.push_back(e);
        } else {
          p->values.push_back(normalize_ejson(e));
        }
      }
#if defined(REEL_JSON_VALUE_EVAL)
      p->attach_values(arg);
#endif
      return p;
    }
    if (op == "$regex") {
      std::string pattern, options;
      if (arg.is_string()) {
        pattern = arg.get<std::string>();
      } else if (type_of(arg) == bson_type::regex) {
        auto [p, o] = regex_of(arg);
        pattern = std::move(p);
        options = std::move(o);
      } else {
        query_error(w, "$regex has to be a string");
      }
      if (siblings.contains("$options")) {
        const document& o = siblings["$options"];
        if (!o.is_string()) query_error(w, "$options has to be a string");
        if (!options.empty()) {
          query_error(w, "options set in both $regex and $options");
        }
        options = o.get<std::string>();
      }
      return std::make_unique<regex_pred>(
          compile_regex(pattern, options, w, "reel.query.bad_arguments"));
    }
    if (op == "$type") {
      auto p = std::make_unique<type_pred>();
      std::vector<const document*> items;
      if (arg.is_array()) {
        if (arg.empty()) query_error(w, "$type must match at least one type");
        for (const auto& e : arg)
          items.push_back(&e);
      } else {
        items.push_back(&arg);
      }
      for (const document* e : items) {
        p->mask |= type_mask(*e, w);
#if defined(REEL_JSON_VALUE_EVAL)
        p->value_mask |= value_type_mask(*e);
#endif
      }
      return p;
    }
    if (op == "$mod") {
      if (!arg.is_array() || arg.size() != 2) {
        query_error(w, "$mod needs an array of 2 numbers: [divisor, remainder]");
      }
      auto d = as_numeric(arg[0]), r = as_numeric(arg[1]);
      if (!d || !r) query_error(w, "$mod needs an array of 2 numbers: [divisor, remainder]");
      auto to_int = [&](const numeric& n) {
        if (n.integral()) return n.i;
        if (!std::isfinite(n.d) || n.d >= 9.2e18 || n.d <= -9.2e18) {
          query_error(w, "$mod divisor and remainder must be finite numbers");
        }
        return static_cast<std::int64_t>(n.d);
      };
      auto p = std::make_unique<mod_pred>();
      p->divisor = to_int(*d);
      p->remainder = to_int(*r);
      if (p->divisor == 0) query_error(w, "$mod divisor cannot be 0");
      return p;
    }
    if (op == "$size") {
      auto n = as_numeric(arg);
      std::int64_t size = -1;
      if (n && n->integral()) size = n->i;
      if (n && !n->integral() && n->d == std::trunc(n->d) && std::fabs(n->d) < 9e18) {
        size = static_cast<std::int64_t>(n->d);
      }
      if (size < 0) query_error(w, "$size needs a non-negative integer");
      auto p = std::make_unique<size_pred>();
      p->size = size;
      return p;
    }
    if (op == "$elemMatch") return elem_match(arg, w);
    unknown_operator(op, w);
  }

  static std::uint32_t type_mask(const document& t, const std::string& w) {
    std::uint32_t mask = 0;
    if (t.is_string()) {
      const std::string& name = t.get_ref<const std::string&>();
      bool known = false;
      for (int i = 0; i <= static_cast<int>(bson_type::max_key); ++i) {
        if (type_alias_matches(name, static_cast<bson_type>(i), known)) {
          mask |= 1u << static_cast<unsigned>(i);
        }
      }
      type_alias_matches(name, bson_type::null, known);
      if (!known) {
        query_error(w, "unknown type name alias '" + name + "'" +
                           reel::detail::did_you_mean(name, type_aliases()));
      }
      return mask;
    }
    if (auto n = as_numeric(t)) {
      const double code = n->to_double();
      bool known = false;
      for (int i = 0; i <= static_cast<int>(bson_type::max_key); ++i) {
        if (type_code(static_cast<bson_type>(i)) == code &&
            i != static_cast<int>(bson_type::missing)) {
          mask |= 1u << static_cast<unsigned>(i);
        }
      }
      known = mask != 0 || code == 6 || code == 12 || code == 13 || code == 14 || code == 15;
      if (!known) query_error(w, "invalid numerical type code: " + t.dump());
      return mask;
    }
    query_error(w, "$type needs a type name or a BSON type number, found " + type_name(t));
  }

  const compile_options& options_;
  field_usage fields_;
};

}  // namespace reel::json

/// A compiled MongoDB query filter. Copies share the immutable tree; matching is thread-safe.
class query {
 public:
  /// A filter that matches every document (`{}`).
  query() : root_(std::make_shared<detail::const_match>(true)) {}

  /// True when `doc` satisfies the filter. `ctx` is used by `$expr` (`$meta`, variables).
  [[nodiscard]] bool matches(const document& doc, const eval_context& ctx = {}) const {
    return root_->matches(doc, ctx);
  }
#if defined(REEL_JSON_VALUE_EVAL)
  /// The same decision on the BSON value model (docs/document-model.md §6): types are exact
  /// (`{"$numberLong": "42"}` in the filter or the document is a long, Decimal128 compares by
  /// its value). `memory` receives what `$expr` builds (one arena per message or batch).
  [[nodiscard]] bool matches(const bson::value& doc, const eval_context& ctx,
                             bson::arena& memory) const {
    return root_->matches_value(doc, ctx, memory);
  }
#endif
  /// The top-level fields of the document that the filter reads (the whole document with
  /// `$jsonSchema` or an `$expr` that reads it).
  [[nodiscard]] const field_usage& fields_read() const noexcept {
    return fields_;
  }

 private:
  friend query compile_query(const document&, std::string, const compile_options&);
  query(std::shared_ptr<const detail::match_node> root, field_usage fields)
      : root_(std::move(root)), fields_(std::move(fields)) {}
  std::shared_ptr<const detail::match_node> root_;
  field_usage fields_;
};

/// Compiles a MongoDB query filter. `where` is the JSON pointer of `filter` in the enclosing
/// definition; `options.variables` declares external variables for `$expr`.
inline query compile_query(const document& filter, std::string where = "",
                           const compile_options& options = {}) {
  detail::query_compiler c(options);
  std::shared_ptr<const detail::match_node> root = c.compile_filter(filter, where, true);
  return query(std::move(root), c.fields_read());
}

}  // namespace reel::json
