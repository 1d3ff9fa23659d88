// SPDX-License-Identifier: Apache-2.0
/// \file
/// Helpers shared by the built-in document stages: definition errors with their JSON-pointer
/// location, option checking, field-name checks and the projection tree that `$project`,
/// `$addFields`/`$set` and `$unset` compile into.
///
/// Definition errors use the ids `reel.pipeline.bad_stage` (a value of the wrong shape),
/// `reel.pipeline.unknown_option` (an option the stage does not have) and
/// `reel.json.bad_field_path` (an invalid field name), always located at the offending value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"

namespace reel::json::detail {

/// Throws `reel.pipeline.bad_stage` at `where`.
[[noreturn]] inline void bad_stage(const std::string& where, std::string message) {
  throw_error("reel.pipeline.bad_stage", where, std::move(message));
}

/// Rejects keys of `spec` (an object) that are not in `allowed`, with a suggestion: one
/// `reel::error` carrying every unknown key.
inline void check_options(const document& spec, const std::string& where, std::string_view stage,
                          std::initializer_list<std::string_view> allowed) {
  std::vector<diagnostic> unknown;
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
    std::vector<std::string> names(allowed.begin(), allowed.end());
    unknown.push_back({"reel.pipeline.unknown_option", pointer_append(where, it.key()),
                       "unknown option '" + it.key() + "' of " + std::string(stage) +
                           reel::detail::did_you_mean(it.key(), names)});
  }
  if (!unknown.empty()) throw reel::error(std::move(unknown));
}

/// True for a value the stages treat as a subdocument (not an Extended JSON wrapper).
inline bool is_subdocument(const document& v) noexcept {
  return v.is_object() && type_of(v) == bson_type::object;
}

/// Appends `key: value` to `obj`, whose keys are known not to contain `key` (no search).
inline void append_field(document& obj, const std::string& key, document value) {
  obj.get_ref<document::object_t&>().emplace_back(key, std::move(value));
}

/// A value shortened for an error message: its JSON text, at most about 200 characters.
inline std::string describe_value(const document& v) {
  if (is_missing(v)) return "MISSING";
  std::string text = v.dump(-1, ' ', false, document::error_handler_t::replace);
  if (text.size() > 200) {
    text.resize(197);
    text += "...";
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Projection trees

/// A compiled `$project`, `$addFields` or `$unset` specification: one node per object level,
/// children in specification order. Computed values are numbered so that a stage can evaluate
/// them all against the input document before it changes the document.
struct projection_tree {
  enum class kind : std::uint8_t { include, exclude, computed, nested };
  struct child {
    std::string name;
    kind what = kind::include;
    std::size_t value = 0;                 ///< index of the computed value (`computed`)
    std::unique_ptr<projection_tree> sub;  ///< the next level (`nested`)
    std::string path;                      ///< full dotted path, for messages
  };
  std::vector<child> children;
  bool has_computed = false;  ///< this level or a deeper one has a computed field

  [[nodiscard]] const child* find(std::string_view name) const noexcept {
    for (const child& c : children) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  child* find(std::string_view name) noexcept {
    for (child& c : children) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  /// A full path of this subtree's first leaf (for conflict messages).
  [[nodiscard]] std::string first_leaf_path() const {
    const projection_tree* t = this;
    while (!t->children.empty()) {
      const child& c = t->children.front();
      if (c.what != kind::nested) return c.path;
      t = c.sub.get();
    }
    return {};
  }
};

/// One leaf of a flattened specification: its path, its value and where the value is.
struct spec_leaf {
  std::vector<std::string> parts;
  std::string dotted;
  const document* value = nullptr;
  std::string where;
  bool expression_object = false;  ///< an object whose first key starts with '$'
};

/// Flattens a projection-like specification (`{a: 1, "b.c": "$x", d: {e: 0}}`) into leaves in
/// specification order. Nested objects whose first key does not start with '$' are walked.
/// `empty_object_is_literal`: `{}` is a literal (`$addFields`) or an error (`$project`).
inline void flatten_spec(const document& spec, const std::vector<std::string>& prefix,
                         const std::string& where, std::string_view stage,
                         bool empty_object_is_literal, bool dotted_in_sub_objects,
                         std::vector<spec_leaf>& out) {
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& key = it.key();
    const std::string at = pointer_append(where, key);
    if (!prefix.empty() && !dotted_in_sub_objects && key.find('.') != std::string::npos) {
      bad_stage(at, "cannot use dotted field name '" + key + "' in a sub-object of " +
                        std::string(stage));
    }
    const field_path path(key, at);
    std::vector<std::string> parts = prefix;
    parts.insert(parts.end(), path.parts().begin(), path.parts().end());
    const document& v = it.value();
    const bool operator_object =
        v.is_object() && !v.empty() && !v.begin().key().empty() && v.begin().key()[0] == '$';
    if (v.is_object() && !v.empty() && !operator_object) {
      flatten_spec(v, parts, at, stage, empty_object_is_literal, dotted_in_sub_objects, out);
      continue;
    }
    if (v.is_object() && v.empty() && !empty_object_is_literal) {
      std::string dotted;
      for (const auto& p : parts)
        dotted += (dotted.empty() ? "" : ".") + p;
      bad_stage(at, "an empty sub-projection is not a valid value (found an empty object at '" +
                        dotted + "')");
    }
    spec_leaf leaf;
    for (const auto& p : parts)
      leaf.dotted += (leaf.dotted.empty() ? "" : ".") + p;
    leaf.parts = std::move(parts);
    leaf.value = &v;
    leaf.where = at;
    leaf.expression_object = operator_object;
    out.push_back(std::move(leaf));
  }
}

/// Adds `leaf` to `root` as a child of kind `what`; two paths where one is a prefix of the
/// other (or equal) are a definition error. Returns the new child.
inline projection_tree::child& add_leaf(projection_tree& root, const spec_leaf& leaf,
                                        projection_tree::kind what) {
  using kind = projection_tree::kind;
  auto conflict = [&](const std::string& existing) {
    bad_stage(leaf.where, "specification contains two conflicting paths: cannot specify both '" +
                              existing + "' and '" + leaf.dotted + "'");
  };
  projection_tree* t = &root;
  std::string path;
  for (std::size_t i = 0; i < leaf.parts.size(); ++i) {
    const std::string& name = leaf.parts[i];
    path += (path.empty() ? "" : ".") + name;
    projection_tree::child* c = t->find(name);
    const bool last = i + 1 == leaf.parts.size();
    if (last) {
      if (c != nullptr) conflict(c->what == kind::nested ? c->sub->first_leaf_path() : c->path);
      projection_tree::child n;
      n.name = name;
      n.what = what;
      n.path = path;
      t->children.push_back(std::move(n));
      return t->children.back();
    }
    if (c == nullptr) {
      projection_tree::child n;
      n.name = name;
      n.what = kind::nested;
      n.path = path;
      n.sub = std::make_unique<projection_tree>();
      t->children.push_back(std::move(n));
      c = &t->children.back();
    } else if (c->what != kind::nested) {
      conflict(c->path);
    }
    t = c->sub.get();
  }
  bad_stage(leaf.where, "empty field path");  // unreachable: paths have a component
}

/// Marks the nodes that contain computed fields.
inline bool mark_computed(projection_tree& t) {
  bool any = false;
  for (auto& c : t.children) {
    if (c.what == projection_tree::kind::computed) any = true;
    if (c.what == projection_tree::kind::nested && mark_computed(*c.sub)) any = true;
  }
  t.has_computed = any;
  return any;
}

// Applying trees ------------------------------------------------------------------------------

/// Sets the computed fields of `t` in `obj` (an object), in specification order: existing
/// fields keep their position, new ones are appended, missing values remove the field. `values`
/// holds the computed values by index; they are moved out unless `shared` (inside an array,
/// where every element receives the same values).
inline void apply_computed(const projection_tree& t, document& obj, std::vector<document>& values,
                           bool shared = false);

/// Applies the computed fields of `t` to a value found at its path: objects get the fields,
/// arrays map over their elements, anything else is replaced by a new object of the fields.
inline void apply_computed_to_value(const projection_tree& t, document& v,
                                    std::vector<document>& values, bool shared) {
  if (is_subdocument(v)) {
    apply_computed(t, v, values, shared);
  } else if (v.is_array()) {
    for (auto& e : v)
      apply_computed_to_value(t, e, values, true);
  } else {
    v = document::object();
    apply_computed(t, v, values, shared);
  }
}

inline void apply_computed(const projection_tree& t, document& obj, std::vector<document>& values,
                           bool shared) {
  using kind = projection_tree::kind;
  for (const auto& c : t.children) {
    if (c.what == kind::computed) {
      document& v = values[c.value];
      if (is_missing(v)) {
        obj.erase(c.name);
      } else if (auto it = obj.find(c.name); it != obj.end()) {
        *it = shared ? v : std::move(v);
      } else {
        append_field(obj, c.name, shared ? v : std::move(v));
      }
    } else if (c.what == kind::nested && c.sub->has_computed) {
      auto it = obj.find(c.name);
      if (it != obj.end()) {
        apply_computed_to_value(*c.sub, *it, values, shared);
      } else {
        document fresh = document::object();
        apply_computed(*c.sub, fresh, values, shared);
        append_field(obj, c.name, std::move(fresh));
      }
    }
  }
}

/// The inclusion part of an inclusion projection on a subdocument: its included fields in
/// document order. A nested level whose value yields nothing keeps a placeholder (a missing
/// value) when computed fields will fill it, so that the field keeps its position.
inline document include_object(const projection_tree& t, document&& in);

/// Inclusion on the value at a nested path: objects are projected, arrays map over their
/// elements (dropping elements that yield nothing), other values yield nothing (missing).
inline document include_value(const projection_tree& t, document&& v) {
  if (is_subdocument(v)) return include_object(t, std::move(v));
  if (v.is_array()) {
    document out = document::array();
    for (auto& e : v) {
      document r = include_value(t, std::move(e));
      if (!is_missing(r)) out.push_back(std::move(r));
    }
    return out;
  }
  return missing();
}

inline document include_object(const projection_tree& t, document&& in) {
  using kind = projection_tree::kind;
  document out = document::object();
  for (auto it = in.begin(); it != in.end(); ++it) {
    const projection_tree::child* c = t.find(it.key());
    if (c == nullptr) continue;
    if (c->what == kind::include) {
      append_field(out, it.key(), std::move(it.value()));
    } else if (c->what == kind::nested) {
      document r = include_value(*c->sub, std::move(it.value()));
      if (!is_missing(r) || c->sub->has_computed) append_field(out, it.key(), std::move(r));
    }
  }
  return out;
}

/// An exclusion projection applied in place: excluded fields are removed, nested levels descend
/// into subdocuments and arrays (other values stay as they are).
inline void exclude_in_place(const projection_tree& t, document& v) {
  using kind = projection_tree::kind;
  if (v.is_array()) {
    for (auto& e : v)
      exclude_in_place(t, e);
    return;
  }
  if (!is_subdocument(v)) return;
  for (const auto& c : t.children) {
    if (c.what == kind::exclude) {
      v.erase(c.name);
    } else if (c.what == kind::nested) {
      auto it = v.find(c.name);
      if (it != v.end()) exclude_in_place(*c.sub, *it);
    }
  }
}

}  // namespace reel::json::detail
