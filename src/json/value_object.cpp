// SPDX-License-Identifier: Apache-2.0
/// \file
/// The object operators on the value model (detail/value_eval.hpp): `$getField`, `$setField`,
/// `$unsetField`, `$mergeObjects`, `$objectToArray`, `$arrayToObject`, with the nlohmann
/// operators' rules and messages (ops_logic.hpp, ops_array.hpp): a field set again keeps its
/// position, later values win. Built documents are one arena block; field names point into the
/// input or the expression's constants.

#include <string>
#include <string_view>
#include <vector>

#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

bson::field make_field(std::string_view name, const bson::value& v) {
  return bson::field{name.data(), static_cast<std::uint32_t>(name.size()), v};
}

/// Sets `name` to `v` among `fields[0..count)`: in place when present, else appended.
void put(bson::field* fields, std::size_t& count, std::string_view name, const bson::value& v) {
  for (std::size_t i = 0; i < count; ++i) {
    if (fields[i].name() == name) {
      fields[i].val = v;
      return;
    }
  }
  fields[count++] = make_field(name, v);
}

bson::value get_field_op(const node& n, const value_scope& s) {
  const bson::value f = vev(n.args[0], s);
  if (!f.is_string()) {
    eval_fail(n, "$getField requires 'field' to evaluate to a string, found " + value_type_name(f));
  }
  const bson::value input = vev(n.args[1], s);
  if (input.is_nullish()) return bson::value::null();
  if (!input.is_document()) {
    eval_fail(
        n, "$getField requires 'input' to evaluate to an object, found " + value_type_name(input));
  }
  return input[f.as_string()];
}

/// `$setField` and `$unsetField` (args: field (constant string), input, value).
bson::value set_field_op(const node& n, const value_scope& s) {
  const bson::value input = vev(n.args[1], s);
  if (input.is_nullish()) return bson::value::null();
  if (!input.is_document()) {
    eval_fail(n, std::string(n.op) + " requires 'input' to evaluate to an object, found " +
                     value_type_name(input));
  }
  const std::string& field = n.args[0].value.get_ref<const std::string&>();
  const bson::value value = present(n.args[2]) ? vev(n.args[2], s) : bson::value{};
  bson::field* out = s.memory->allocate_array<bson::field>(input.size() + 1);
  std::size_t count = 0;
  bool found = false;
  for (const bson::field& f : input.fields()) {
    if (f.name() == field) {
      if (found) continue;  // a repeated name: the first one is the field
      found = true;
      if (!value.is_missing()) out[count++] = make_field(f.name(), value);
      continue;
    }
    out[count++] = f;
  }
  if (!found && !value.is_missing()) out[count++] = make_field(field, value);
  return bson::value::document({out, count});
}

bson::value merge_objects_op(const node& n, const value_scope& s) {
  bson::value inputs_small[8];
  std::vector<bson::value> inputs_large;
  bson::value* inputs = inputs_small;
  if (n.args.size() > 8) {
    inputs_large.resize(n.args.size());
    inputs = inputs_large.data();
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    inputs[i] = vev(n.args[i], s);
    if (inputs[i].is_nullish()) continue;
    if (!inputs[i].is_document()) {
      eval_fail(n, "$mergeObjects requires object inputs, but input " + std::to_string(i) +
                       " is of type " + value_type_name(inputs[i]));
    }
    total += inputs[i].size();
  }
  bson::field* out = s.memory->allocate_array<bson::field>(total);
  std::size_t count = 0;
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    if (!inputs[i].is_document()) continue;
    for (const bson::field& f : inputs[i].fields())
      put(out, count, f.name(), f.val);
  }
  return bson::value::document({out, count});
}

bson::value object_to_array_op(const node& n, const value_scope& s) {
  const bson::value o = vev(n.args[0], s);
  if (o.is_nullish()) return bson::value::null();
  if (!o.is_document()) {
    eval_fail(n, "$objectToArray requires a document input, found: " + value_type_name(o));
  }
  bson::value* out = s.memory->allocate_array<bson::value>(o.size());
  bson::field* pairs = s.memory->allocate_array<bson::field>(2 * o.size());
  for (std::size_t i = 0; i < o.size(); ++i) {
    const bson::field& f = o.fields()[i];
    pairs[2 * i] = make_field("k", bson::value::string(f.name()));
    pairs[2 * i + 1] = make_field("v", f.val);
    out[i] = bson::value::document({pairs + 2 * i, 2});
  }
  return bson::value::array({out, o.size()});
}

bson::value array_to_object_op(const node& n, const value_scope& s) {
  const bson::value a = vev(n.args[0], s);
  if (a.is_nullish()) return bson::value::null();
  if (!a.is_array()) {
    eval_fail(n, "$arrayToObject requires an array input, found: " + value_type_name(a));
  }
  bson::field* out = s.memory->allocate_array<bson::field>(a.size());
  std::size_t count = 0;
  int form = 0;  // 1 pairs, 2 {k, v}
  for (const bson::value& e : a.elements()) {
    bson::value k, v;
    if (e.is_array()) {
      if (form == 2) eval_fail(n, "$arrayToObject requires a consistent input format");
      form = 1;
      if (e.size() != 2) {
        eval_fail(n, "$arrayToObject requires an array of size 2 arrays, found array of size: " +
                         std::to_string(e.size()));
      }
      k = e.elements()[0];
      v = e.elements()[1];
    } else if (e.is_document()) {
      if (form == 1) eval_fail(n, "$arrayToObject requires a consistent input format");
      form = 2;
      k = e["k"];
      v = e["v"];
      if (e.size() != 2 || k.is_missing() || v.is_missing()) {
        eval_fail(n, "$arrayToObject requires an object with keys 'k' and 'v'");
      }
    } else {
      eval_fail(n,
                "$arrayToObject requires an array of key-value pairs, found an element of type " +
                    value_type_name(e));
    }
    if (!k.is_string()) {
      eval_fail(n, "$arrayToObject requires string keys, found: " + value_type_name(k));
    }
    put(out, count, k.as_string(), v);
  }
  return bson::value::document({out, count});
}

}  // namespace

void register_value_object_ops(value_op_table& t) {
  t.emplace("$getField", &get_field_op);
  t.emplace("$setField", &set_field_op);
  t.emplace("$unsetField", &set_field_op);
  t.emplace("$mergeObjects", &merge_objects_op);
  t.emplace("$objectToArray", &object_to_array_op);
  t.emplace("$arrayToObject", &array_to_object_op);
}

}  // namespace reel::json::detail
