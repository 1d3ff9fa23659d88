// SPDX-License-Identifier: Apache-2.0
/// \file
/// The array operators on the value model (detail/value_eval.hpp): `$size`, `$arrayElemAt`,
/// `$first`, `$last`, `$isArray`, `$in`, `$indexOfArray`, `$concatArrays`, `$slice`,
/// `$reverseArray`, `$range`, `$filter`, `$map`, `$reduce`, `$allElementsTrue`,
/// `$anyElementTrue`, with the nlohmann operators' rules and messages (ops_array.hpp) and
/// `bson::compare` for equality. An element found in an input is returned without copying;
/// built arrays are one arena block each. `$concatArrays`, `$range`, `$map` and `$reduce` hold
/// what they build to the 16 MiB / 200-level limits (value_limits.hpp) as the nlohmann ones do.
/// `$zip`, `$sortArray`, `$firstN`/`$lastN`/`$maxN`/`$minN`, `$arrayToObject`,
/// `$objectToArray` and the set operators are still bridged.

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "reel/bson/compare.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/detail/value_limits.hpp"

namespace reel::json::detail {

namespace {

/// `index_operand` of ops_array.hpp.
std::int64_t index_operand(const node& n, const bson::value& v, const std::string& what) {
  if (!v.is_number()) {
    eval_fail(n, std::string(n.op) + "'s " + what + " must be a numeric value, but is " +
                     value_type_name(v));
  }
  const auto i = value_integral(v);
  if (!i) {
    eval_fail(n, std::string(n.op) + "'s " + what +
                     " must be representable as an integer: " + value_dump(v));
  }
  return *i;
}

bson::value size_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  if (!v.is_array()) {
    eval_fail(n, "the argument to $size must be an array, but was of type: " + value_type_name(v));
  }
  return bson::value::int32(static_cast<std::int32_t>(v.size()));
}

bson::value array_elem_at_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  const bson::value i = vev(n.args[1], s);
  if (a.is_nullish() || i.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, "$arrayElemAt's first argument must be an array, but is " + value_type_name(a));
  }
  std::int64_t idx = index_operand(n, i, "second argument");
  const auto size = static_cast<std::int64_t>(a.size());
  if (idx < 0) idx += size;
  if (idx < 0 || idx >= size) return {};
  return a.elements()[static_cast<std::size_t>(idx)];
}

template <bool First>
bson::value first_last_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, std::string(n.op) + "'s argument must be an array, but is " + value_type_name(a));
  }
  if (a.size() == 0) return {};
  return First ? a.elements().front() : a.elements().back();
}

bson::value is_array_op(const node& n, const value_scope& s) {
  return bson::value::boolean(vev(n.args[0], s).is_array());
}

bson::value in_op(const node& n, const value_scope& s) {
  const bson::value v = vev(n.args[0], s);
  const bson::value a = vev(n.args[1], s);
  if (!a.is_array()) {
    eval_fail(n, "$in requires an array as a second argument, found: " + value_type_name(a));
  }
  for (const bson::value& e : a.elements()) {
    if (bson::compare(v, e) == 0) return bson::value::boolean(true);
  }
  return bson::value::boolean(false);
}

bson::value index_of_array_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n,
              "$indexOfArray requires an array as a first argument, found: " + value_type_name(a));
  }
  const bson::value v = vev(n.args[1], s);
  std::int64_t bounds[2] = {0, static_cast<std::int64_t>(a.size())};
  for (std::size_t k = 2; k < n.args.size(); ++k) {
    const std::int64_t i =
        index_operand(n, vev(n.args[k], s), k == 2 ? "starting index" : "ending index");
    if (i < 0) {
      eval_fail(n, std::string("$indexOfArray ") + (k == 2 ? "starting" : "ending") +
                       " index must be a non-negative integer");
    }
    bounds[k - 2] = i;
  }
  const std::int64_t end = std::min<std::int64_t>(bounds[1], static_cast<std::int64_t>(a.size()));
  for (std::int64_t i = bounds[0]; i < end; ++i) {
    if (bson::compare(a.elements()[static_cast<std::size_t>(i)], v) == 0) {
      return bson::value::int32(static_cast<std::int32_t>(i));
    }
  }
  return bson::value::int32(-1);
}

bson::value concat_arrays_op(const node& n, const value_scope& s) {
  // Operands first, then one block.
  bson::value inputs_small[8];
  std::vector<bson::value> inputs_large;
  bson::value* inputs = inputs_small;
  if (n.args.size() > 8) {
    inputs_large.resize(n.args.size());
    inputs = inputs_large.data();
  }
  std::size_t total = 0, bytes = 5;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    inputs[i] = vev(n.args[i], s);
    if (inputs[i].is_nullish()) return bson::value::null();
    if (!inputs[i].is_array()) {
      eval_fail(n, "$concatArrays only supports arrays, not " + value_type_name(inputs[i]));
    }
    for (const bson::value& e : inputs[i].elements())
      bytes = add_value_weight(n, e, bytes + 1, 1);
    total += inputs[i].size();
  }
  bson::value* out = s.memory->allocate_array<bson::value>(total);
  std::size_t at = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    std::copy(inputs[i].elements().begin(), inputs[i].elements().end(), out + at);
    at += inputs[i].size();
  }
  return bson::value::array({out, total});
}

bson::value slice_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  const bson::value x = vev(n.args[1], s);
  const bson::value y = n.args.size() > 2 ? vev(n.args[2], s) : bson::value{};
  if (a.is_nullish() || x.is_nullish() || (n.args.size() > 2 && y.is_nullish())) {
    return bson::value::null();
  }
  if (!a.is_array()) {
    eval_fail(n,
              "first argument to $slice must be an array, but is of type: " + value_type_name(a));
  }
  const auto size = static_cast<std::int64_t>(a.size());
  std::int64_t begin = 0, count = 0;
  if (n.args.size() == 2) {
    const std::int64_t k = index_operand(n, x, "second argument");
    if (k >= 0) {
      count = std::min(k, size);
    } else {
      begin = std::max<std::int64_t>(0, size + k);
      count = size - begin;
    }
  } else {
    std::int64_t pos = index_operand(n, x, "second argument");
    const std::int64_t k = index_operand(n, y, "third argument");
    if (k <= 0) eval_fail(n, "third argument to $slice must be positive: " + std::to_string(k));
    if (pos < 0) pos = std::max<std::int64_t>(0, size + pos);
    begin = std::min(pos, size);
    count = std::min(k, size - begin);
  }
  // A slice points into the input's elements: nothing is copied.
  return bson::value::array(
      a.elements().subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)));
}

bson::value reverse_array_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, "the argument to $reverseArray must be an array, but was of type: " +
                     value_type_name(a));
  }
  bson::value* out = s.memory->allocate_array<bson::value>(a.size());
  std::reverse_copy(a.elements().begin(), a.elements().end(), out);
  return bson::value::array({out, a.size()});
}

bson::value range_op(const node& n, const value_scope& s) {
  std::int64_t v[3] = {0, 0, 1};
  static constexpr const char* names[] = {"starting value", "ending value", "step value"};
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const bson::value x = vev(n.args[i], s);
    if (!x.is_number()) {
      eval_fail(n, std::string("$range requires a numeric ") + names[i] +
                       ", found value of type: " + value_type_name(x));
    }
    const auto xi = value_integral(x);
    if (!xi || *xi < INT32_MIN || *xi > INT32_MAX) {
      eval_fail(n,
                std::string("$range requires a ") + names[i] +
                    " that can be represented as a 32-bit integer, found value: " + value_dump(x));
    }
    v[i] = *xi;
  }
  if (v[2] == 0) eval_fail(n, "$range requires a non-zero step value");
  const std::int64_t count = v[2] > 0 ? (v[1] > v[0] ? (v[1] - v[0] + v[2] - 1) / v[2] : 0)
                                      : (v[0] > v[1] ? (v[0] - v[1] - v[2] - 1) / -v[2] : 0);
  if (static_cast<std::uint64_t>(count) * 9 + 5 > max_document_bytes) {
    value_too_large(n, "an array");
  }
  bson::value* out = s.memory->allocate_array<bson::value>(static_cast<std::size_t>(count));
  for (std::int64_t i = 0, x = v[0]; i < count; ++i, x += v[2])
    out[i] = bson::value::int32(static_cast<std::int32_t>(x));
  return bson::value::array({out, static_cast<std::size_t>(count)});
}

bson::value filter_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) eval_fail(n, "input to $filter must be an array not " + value_type_name(a));
  std::int64_t limit = -1;
  if (present(n.args[1])) {
    const bson::value l = vev(n.args[1], s);
    if (!l.is_nullish()) {
      const auto li = value_integral(l);
      if (!li || *li < 1) {
        eval_fail(n, "$filter: limit must be a positive integral value, found " + value_dump(l));
      }
      limit = *li;
    }
  }
  value_binding b{s.vars, n.slot, {}};
  const value_scope inner{s.root, s.ctx, &b, s.memory, s.bridge};
  bson::value* out = s.memory->allocate_array<bson::value>(a.size());
  std::size_t kept = 0;
  for (const bson::value& e : a.elements()) {
    if (limit >= 0 && static_cast<std::int64_t>(kept) >= limit) break;
    b.value = e;
    if (value_truthy(vev(n.args[2], inner))) out[kept++] = e;
  }
  return bson::value::array({out, kept});
}

bson::value map_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) eval_fail(n, "input to $map must be an array not " + value_type_name(a));
  value_binding b{s.vars, n.slot, {}};
  const value_scope inner{s.root, s.ctx, &b, s.memory, s.bridge};
  bson::value* out = s.memory->allocate_array<bson::value>(a.size());
  std::size_t bytes = 5;
  for (std::size_t i = 0; i < a.size(); ++i) {
    b.value = a.elements()[i];
    const bson::value r = vev(n.args[2], inner);
    bytes = add_value_weight(n, r, bytes + 1, 1);
    out[i] = r.is_missing() ? bson::value::null() : r;
  }
  return bson::value::array({out, a.size()});
}

bson::value reduce_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, "$reduce requires an array as its input, found " + value_type_name(a));
  }
  value_binding value{s.vars, n.slot, vev(n.args[1], s)};
  value_binding self{&value, n.slot + 1, {}};
  const value_scope inner{s.root, s.ctx, &self, s.memory, s.bridge};
  for (const bson::value& e : a.elements()) {
    self.value = e;
    value.value = vev(n.args[2], inner);
    // The value may grow with each element (`{a: "$$value"}`): checked every time.
    if (value.value.is_document() || value.value.is_array())
      (void)add_value_weight(n, value.value, 0, 0);
  }
  return value.value;
}

template <bool All>
bson::value all_any_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (!a.is_array()) {
    eval_fail(n, std::string(n.op) + "'s argument must be an array, but is " + value_type_name(a));
  }
  for (const bson::value& e : a.elements()) {
    if (value_truthy(e) != All) return bson::value::boolean(!All);
  }
  return bson::value::boolean(All);
}

}  // namespace

std::size_t add_value_weight(const node& n, const bson::value& v, std::size_t bytes,
                             std::size_t level) {
  switch (v.type()) {
    case bson::type::document:
    case bson::type::array:
      break;
    case bson::type::string:
    case bson::type::symbol:
    case bson::type::code:
    case bson::type::binary:
      bytes += v.size() + 5;
      if (bytes > max_document_bytes) value_too_large(n, "a value");
      return bytes;
    default:
      bytes += 8;
      if (bytes > max_document_bytes) value_too_large(n, "a value");
      return bytes;
  }
  if (level + 1 > max_document_depth) value_too_deep(n);
  bytes += 5;
  if (v.is_document()) {
    for (const bson::field& f : v.fields())
      bytes = add_value_weight(n, f.val, bytes + f.name().size() + 2, level + 1);
  } else {
    for (const bson::value& e : v.elements())
      bytes = add_value_weight(n, e, bytes + 1, level + 1);
  }
  if (bytes > max_document_bytes) value_too_large(n, "a value");
  return bytes;
}

void register_value_array_ops(value_op_table& t) {
  t.emplace("$size", &size_op);
  t.emplace("$arrayElemAt", &array_elem_at_op);
  t.emplace("$first", &first_last_op<true>);
  t.emplace("$last", &first_last_op<false>);
  t.emplace("$isArray", &is_array_op);
  t.emplace("$in", &in_op);
  t.emplace("$indexOfArray", &index_of_array_op);
  t.emplace("$concatArrays", &concat_arrays_op);
  t.emplace("$slice", &slice_op);
  t.emplace("$reverseArray", &reverse_array_op);
  t.emplace("$range", &range_op);
  t.emplace("$filter", &filter_op);
  t.emplace("$map", &map_op);
  t.emplace("$reduce", &reduce_op);
  t.emplace("$allElementsTrue", &all_any_op<true>);
  t.emplace("$anyElementTrue", &all_any_op<false>);
}

}  // namespace reel::json::detail
