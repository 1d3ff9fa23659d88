// SPDX-License-Identifier: Apache-2.0
// `$match` filters on the BSON value model (issue #12, docs/document-model.md §6 step 4): the
// value entries of the predicates of reel/json/query.hpp. Semantics are the server's
// (src/mongo/db/matcher/expression_leaf.cpp, path.cpp): comparisons within the canonical type
// bracket, null matching missing and undefined, NaN compared only with NaN by $lt/$lte/$gt/$gte,
// numbers by value across int32/int64/double/Decimal128, dotted paths with implicit array
// traversal and numeric components. Constants were converted once when the filter was compiled.
#include <algorithm>
#include <cmath>
#include <string_view>

#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/query.hpp"

namespace reel::json::detail {

namespace {

constexpr bson::type all_value_types[] = {
    bson::type::double_,    bson::type::string,    bson::type::document,  bson::type::array,
    bson::type::binary,     bson::type::undefined, bson::type::object_id, bson::type::boolean,
    bson::type::date,       bson::type::null,      bson::type::regex,     bson::type::code,
    bson::type::symbol,     bson::type::int32,     bson::type::timestamp, bson::type::int64,
    bson::type::decimal128, bson::type::min_key,   bson::type::max_key};

/// The server's type code of `t` (`$type` numbers: MinKey is −1).
int type_code(bson::type t) noexcept {
  return t == bson::type::min_key ? -1 : static_cast<int>(t);
}

bool is_nan(const bson::value& v) noexcept {
  if (v.type() == bson::type::double_) return std::isnan(v.as_double());
  if (v.type() == bson::type::decimal128) return bson::decimal_is_nan(v.as_decimal());
  return false;
}

/// Null and undefined are one bracket for comparisons, and a missing field reads as either.
bool null_like(const bson::value& v) noexcept {
  return v.is_missing() || v.type() == bson::type::undefined;
}

// ---- the query reading of a dotted path (the server's BSONElementIterator) -------------------

template <class Pred>
bool walk(const field_path& path, const bson::value& node, std::size_t i, bool expand, Pred& pred);

template <class Pred>
bool leaf(const bson::value& v, bool expand, Pred& pred) {
  if (expand && v.is_array()) {
    for (const bson::value& e : v.elements()) {
      if (pred(e)) return true;
    }
  }
  return pred(v);
}

/// Component `i` applies to the elements of `array`: documents continue the path, and a
/// numeric component also selects its element.
template <class Pred>
bool walk_array(const field_path& path, const bson::value& array, std::size_t i, bool expand,
                Pred& pred) {
  const std::int64_t index = path.index(i);
  std::int64_t position = 0;
  for (const bson::value& e : array.elements()) {
    const bool offset_match = index == position++;
    if (e.is_document()) {
      if (walk(path, e, i, expand, pred)) return true;
      if (offset_match) {
        if (i + 1 == path.size()) {
          if (pred(e)) return true;
        } else if (walk(path, e, i + 1, expand, pred)) {
          return true;
        }
      }
    } else if (offset_match) {
      if (i + 1 == path.size()) {
        if (pred(e)) return true;
      } else if (e.is_array()) {
        if (walk_array(path, e, i + 1, expand, pred)) return true;
      }
    }
  }
  return false;
}

template <class Pred>
bool walk(const field_path& path, const bson::value& node, std::size_t i, bool expand, Pred& pred) {
  bson::value cur = node;
  while (i < path.size()) {
    if (cur.is_document()) {
      cur = cur[path[i]];
      if (cur.is_missing()) return pred(cur);
      ++i;
    } else if (cur.is_array()) {
      return walk_array(path, cur, i, expand, pred);
    } else {
      return pred(bson::value::missing());
    }
  }
  return leaf(cur, expand, pred);
}

bool regex_test(const regex_program& re, const bson::value& v) {
  switch (v.type()) {
    case bson::type::string:
    case bson::type::symbol:
      return re.search(v.as_string());
    case bson::type::regex:
      return v.regex_pattern() == re.pattern() && v.regex_options() == re.options();
    default:
      return false;
  }
}

}  // namespace

// ---- constants and types ---------------------------------------------------------------------

bson::owned_value query_value_constant(const document& spec) {
  bson::arena memory;
  bson::value v;
  try {
    v = bson::from_nlohmann(spec, memory);
  } catch (const reel::error&) {  // a wrapper the value model refuses: its working form
    v = bson::from_nlohmann(normalize_ejson(spec), memory);
  }
  return bson::owned_value(v);
}

std::uint32_t value_type_bit(bson::type t) noexcept {
  switch (t) {
    case bson::type::min_key:
      return 1u << 20;
    case bson::type::max_key:
      return 1u << 21;
    default:
      return static_cast<unsigned>(t) < 20 ? 1u << static_cast<unsigned>(t) : 0;
  }
}

std::uint32_t value_types_of_alias(std::string_view alias) noexcept {
  if (alias == "number") {
    return value_type_bit(bson::type::int32) | value_type_bit(bson::type::int64) |
           value_type_bit(bson::type::double_) | value_type_bit(bson::type::decimal128);
  }
  for (bson::type t : all_value_types) {
    if (bson::type_name(t) == alias) return value_type_bit(t);
  }
  return 0;
}

std::uint32_t value_type_mask(const document& alias_or_code) {
  if (alias_or_code.is_string()) {
    return value_types_of_alias(alias_or_code.get_ref<const std::string&>());
  }
  const auto n = as_numeric(alias_or_code);
  if (!n) return 0;
  std::uint32_t mask = 0;
  for (bson::type t : all_value_types) {
    if (type_code(t) == n->to_double()) mask |= value_type_bit(t);
  }
  return mask;
}

void in_pred::attach_values(const document& spec) {
  value_storage = query_value_constant(spec);
  value_sorted.clear();
  for (const bson::value& e : value_storage->elements()) {
    if (e.type() != bson::type::regex) value_sorted.push_back(e);
  }
  std::sort(value_sorted.begin(), value_sorted.end(), bson::value_less{});
}

// ---- value predicates ------------------------------------------------------------------------

bool eq_pred::test_value(const bson::value& v, bson::arena&) const {
  const bson::value& r = value_rhs.get();
  if (r.type() == bson::type::null) return v.type() == bson::type::null || null_like(v);
  if (bson::canonical_rank(v.type()) != bson::canonical_rank(r.type())) return false;
  return bson::compare(v, r) == 0;
}

bool cmp_pred::test_value(const bson::value& v, bson::arena&) const {
  const bson::value& r = value_rhs.get();
  if (v.type() != r.type() && bson::canonical_rank(v.type()) != bson::canonical_rank(r.type())) {
    if (r.type() == bson::type::null && null_like(v)) return kind == gte || kind == lte;
    if (r.type() == bson::type::max_key) return kind == lt || kind == lte;
    if (r.type() == bson::type::min_key) return kind == gt || kind == gte;
    return false;
  }
  const bool lhs_nan = is_nan(v), rhs_nan = is_nan(r);
  if (lhs_nan || rhs_nan) return (kind == gte || kind == lte) && lhs_nan && rhs_nan;
  const int c = bson::compare(v, r);
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

bool regex_pred::test_value(const bson::value& v, bson::arena&) const {
  return regex_test(*re, v);
}

bool in_pred::test_value(const bson::value& v, bson::arena&) const {
  if (has_null && null_like(v)) return true;
  if (std::binary_search(value_sorted.begin(), value_sorted.end(), v, bson::value_less{})) {
    return true;
  }
  for (const auto& re : regexes) {
    if (regex_test(*re, v)) return true;
  }
  return false;
}

bool exists_pred::test_value(const bson::value& v, bson::arena&) const {
  return !v.is_missing();
}

bool type_pred::test_value(const bson::value& v, bson::arena&) const {
  return (value_mask & value_type_bit(v.type())) != 0 && !v.is_missing();
}

bool mod_pred::test_value(const bson::value& v, bson::arena&) const {
  if (!v.is_number()) return false;
  // Doubles and decimals truncated toward zero; NaN, infinities and values beyond int64 never
  // match (the server's ModMatchExpression).
  const auto x = bson::to_long(v);
  if (!x) return false;
  if (divisor == -1) return remainder == 0;
  return *x % divisor == remainder;
}

bool size_pred::test_value(const bson::value& v, bson::arena&) const {
  return v.is_array() && static_cast<std::int64_t>(v.size()) == size;
}

bool and_pred::test_value(const bson::value& v, bson::arena& memory) const {
  for (const auto& p : all) {
    if (!p->test_value(v, memory)) return false;
  }
  return true;
}

bool not_pred::test_value(const bson::value& v, bson::arena& memory) const {
  return !inner->test_value(v, memory);
}

bool contains_pred::test_value(const bson::value& v, bson::arena&) const {
  if (v.is_missing()) return false;
  if (bson::equal(v, value_x.get())) return true;
  if (v.is_array()) {
    for (const bson::value& e : v.elements()) {
      if (bson::equal(e, value_x.get())) return true;
    }
  }
  return false;
}

bool elem_match_value_pred::test_value(const bson::value& v, bson::arena& memory) const {
  if (!v.is_array()) return false;
  for (const bson::value& e : v.elements()) {
    if (all->test_value(e, memory)) return true;
  }
  return false;
}

bool elem_match_object_pred::test_value(const bson::value& v, bson::arena& memory) const {
  if (!v.is_array()) return false;
  const eval_context ctx;
  for (const bson::value& e : v.elements()) {
    if ((e.is_document() || e.is_array()) && query->matches_value(e, ctx, memory)) return true;
  }
  return false;
}

// ---- document predicates ---------------------------------------------------------------------

bool path_match::matches_value(const bson::value& doc, const eval_context&,
                               bson::arena& memory) const {
  auto test = [&](const bson::value& v) { return pred->test_value(v, memory); };
  return walk(path, doc, 0, expand, test);
}

bool and_match::matches_value(const bson::value& doc, const eval_context& ctx,
                              bson::arena& memory) const {
  for (const auto& m : all) {
    if (!m->matches_value(doc, ctx, memory)) return false;
  }
  return true;
}

bool or_match::matches_value(const bson::value& doc, const eval_context& ctx,
                             bson::arena& memory) const {
  for (const auto& m : any) {
    if (m->matches_value(doc, ctx, memory)) return !negate;
  }
  return negate;
}

bool not_match::matches_value(const bson::value& doc, const eval_context& ctx,
                              bson::arena& memory) const {
  return !inner->matches_value(doc, ctx, memory);
}

bool const_match::matches_value(const bson::value&, const eval_context&, bson::arena&) const {
  return value;
}

bool expr_match::matches_value(const bson::value& doc, const eval_context& ctx,
                               bson::arena& memory) const {
  return value_truthy(expr.evaluate_value(doc, ctx, memory));
}

bool schema_match::matches_value(const bson::value& doc, const eval_context&, bson::arena&) const {
  return schema.matches(doc);
}

}  // namespace reel::json::detail
