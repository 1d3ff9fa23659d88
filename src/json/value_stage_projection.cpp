// SPDX-License-Identifier: Apache-2.0
/// \file
/// The value forms of `$project`, `$addFields`/`$set` and `$unset` (document_stage.hpp,
/// docs/document-model.md §6 step 4): the compiled `projection_tree` (stages/common.hpp) applied
/// to a `bson::value`, writing the result with a `bson::builder` into the caller's arena. Each
/// emitter gives, in one pass, what the nlohmann stage gives in two (inclusion, then computed
/// fields set in place): field names, included values and untouched subvalues point into the
/// input; only the documents and arrays on a projected path are new.

#include <span>
#include <vector>

#include "reel/bson/builder.hpp"
#include "reel/json/stage.hpp"
#include "value_stage.hpp"

namespace reel::json::detail {

namespace {

using kind = projection_tree::kind;

bool is_container(const bson::value& v) noexcept {
  return v.is_document() || v.is_array();
}

bool has_field(const bson::value& doc, std::string_view name) noexcept {
  if (!doc.is_document()) return false;
  for (const bson::field& f : doc.fields()) {
    if (f.name() == name) return true;
  }
  return false;
}

/// A computed value (never missing) appended under `name`.
void append_computed(bson::builder& b, const std::string& name, const bson::value& v) {
  b.key_stable(name);
  b.append(v);
}

void emit_computed_only(bson::builder& b, const projection_tree& t,
                        std::span<const bson::value> values);

/// The children of `t` in specification order that the output does not have yet: computed values
/// and nested levels holding computed fields that `doc` lacks (`apply_computed`'s appended
/// fields). `set_in_place`: a computed field that `doc` has was already written in its place
/// (`$addFields`); else (inclusion, whose output never holds a computed name) it comes here.
void emit_new_computed(bson::builder& b, const projection_tree& t, const bson::value& doc,
                       std::span<const bson::value> values, bool set_in_place) {
  for (const auto& c : t.children) {
    if (c.what == kind::computed) {
      const bson::value& v = values[c.value];
      if (!v.is_missing() && !(set_in_place && has_field(doc, c.name))) {
        append_computed(b, c.name, v);
      }
    } else if (c.what == kind::nested && c.sub->has_computed && !has_field(doc, c.name)) {
      b.key_stable(c.name);
      emit_computed_only(b, *c.sub, values);
    }
  }
}

/// A new document holding only the computed fields of `t` (`apply_computed` on `{}`).
void emit_computed_only(bson::builder& b, const projection_tree& t,
                        std::span<const bson::value> values) {
  b.begin_document();
  emit_new_computed(b, t, bson::value{}, values, false);
  b.end();
}

void emit_set_value(bson::builder& b, const projection_tree& t, const bson::value& v,
                    std::span<const bson::value> values);

/// `apply_computed` on a document: existing fields keep their position (replaced, or removed by
/// a missing value), new ones are appended in specification order.
void emit_set_document(bson::builder& b, const projection_tree& t, const bson::value& doc,
                       std::span<const bson::value> values) {
  b.begin_document();
  for (const bson::field& f : doc.fields()) {
    const projection_tree::child* c = t.find(f.name());
    if (c != nullptr && c->what == kind::computed) {
      const bson::value& v = values[c->value];
      if (!v.is_missing()) {
        b.key_stable(f.name());
        b.append(v);
      }
    } else if (c != nullptr && c->what == kind::nested && c->sub->has_computed) {
      b.key_stable(f.name());
      emit_set_value(b, *c->sub, f.val, values);
    } else {
      b.key_stable(f.name());
      b.append(f.val);
    }
  }
  emit_new_computed(b, t, doc, values, true);
  b.end();
}

/// `apply_computed_to_value`: documents get the fields, arrays map over their elements, any
/// other value is replaced by a document of the fields.
void emit_set_value(bson::builder& b, const projection_tree& t, const bson::value& v,
                    std::span<const bson::value> values) {
  if (v.is_document()) {
    emit_set_document(b, t, v, values);
  } else if (v.is_array()) {
    b.begin_array();
    for (const bson::value& e : v.elements())
      emit_set_value(b, t, e, values);
    b.end();
  } else {
    emit_computed_only(b, t, values);
  }
}

void emit_projected_value(bson::builder& b, const projection_tree& t, const bson::value& v,
                          std::span<const bson::value> values);

/// An inclusion projection of a document (`include_object` then `apply_computed`): the included
/// fields in document order, nested levels projected in place, then the new computed fields.
void emit_projected_document(bson::builder& b, const projection_tree& t, const bson::value& doc,
                             std::span<const bson::value> values) {
  b.begin_document();
  for (const bson::field& f : doc.fields()) {
    const projection_tree::child* c = t.find(f.name());
    if (c == nullptr) continue;
    if (c->what == kind::include) {
      b.key_stable(f.name());
      b.append(f.val);
    } else if (c->what == kind::nested) {
      if (is_container(f.val)) {
        b.key_stable(f.name());
        emit_projected_value(b, *c->sub, f.val, values);
      } else if (c->sub->has_computed) {  // the placeholder the computed fields fill
        b.key_stable(f.name());
        emit_computed_only(b, *c->sub, values);
      }
    }
  }
  emit_new_computed(b, t, doc, values, false);
  b.end();
}

/// `include_value` on a document or an array (arrays keep the elements that yield something).
void emit_projected_value(bson::builder& b, const projection_tree& t, const bson::value& v,
                          std::span<const bson::value> values) {
  if (v.is_document()) {
    emit_projected_document(b, t, v, values);
    return;
  }
  b.begin_array();
  for (const bson::value& e : v.elements()) {
    if (is_container(e)) emit_projected_value(b, t, e, values);
  }
  b.end();
}

/// `exclude_in_place`: excluded fields are left out, nested levels descend into documents and
/// arrays, other values are kept.
void emit_excluded(bson::builder& b, const projection_tree& t, const bson::value& v) {
  if (v.is_array()) {
    b.begin_array();
    for (const bson::value& e : v.elements())
      emit_excluded(b, t, e);
    b.end();
    return;
  }
  if (!v.is_document()) {
    b.append(v);
    return;
  }
  b.begin_document();
  for (const bson::field& f : v.fields()) {
    const projection_tree::child* c = t.find(f.name());
    if (c != nullptr && c->what == kind::exclude) continue;
    b.key_stable(f.name());
    if (c != nullptr && c->what == kind::nested) {
      emit_excluded(b, *c->sub, f.val);
    } else {
      b.append(f.val);
    }
  }
  b.end();
}

/// True when `v` holds a field that `t` excludes (else the exclusion returns `v` itself).
bool touches_exclusion(const projection_tree& t, const bson::value& v) {
  if (v.is_array()) {
    for (const bson::value& e : v.elements()) {
      if (touches_exclusion(t, e)) return true;
    }
    return false;
  }
  if (!v.is_document()) return false;
  for (const bson::field& f : v.fields()) {
    const projection_tree::child* c = t.find(f.name());
    if (c == nullptr) continue;
    if (c->what == kind::exclude) return true;
    if (c->what == kind::nested && touches_exclusion(*c->sub, f.val)) return true;
  }
  return false;
}

/// The values of `expressions` for `doc`, in an array of `memory`.
std::span<const bson::value> evaluate_all(const std::vector<expression>& expressions,
                                          const bson::value& doc, const eval_context& ctx,
                                          bson::arena& memory) {
  if (expressions.empty()) return {};
  bson::value* values = memory.allocate_array<bson::value>(expressions.size());
  for (std::size_t i = 0; i < expressions.size(); ++i)
    values[i] = expressions[i].evaluate_value(doc, ctx, memory);
  return {values, expressions.size()};
}

}  // namespace

bson::value exclude_value(const projection_tree& t, const bson::value& doc, bson::arena& memory) {
  if (!touches_exclusion(t, doc)) return doc;
  bson::builder& b = stage_builder(memory);
  emit_excluded(b, t, doc);
  return b.result();
}

}  // namespace reel::json::detail

namespace reel::json::stages {

void project::apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                          std::vector<bson::value>& out) const {
  if (!inclusion_) {
    out.push_back(detail::exclude_value(tree_, doc, memory));
    return;
  }
  const auto values = detail::evaluate_all(expressions_, doc, ctx, memory);
  bson::builder& b = detail::stage_builder(memory);
  detail::emit_projected_document(b, tree_, doc, values);
  out.push_back(b.result());
}

void add_fields::apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                             std::vector<bson::value>& out) const {
  const auto values = detail::evaluate_all(expressions_, doc, ctx, memory);
  bson::builder& b = detail::stage_builder(memory);
  detail::emit_set_document(b, tree_, doc, values);
  out.push_back(b.result());
}

void unset::apply_value(const bson::value& doc, const eval_context&, bson::arena& memory,
                        std::vector<bson::value>& out) const {
  out.push_back(detail::exclude_value(tree_, doc, memory));
}

}  // namespace reel::json::stages
