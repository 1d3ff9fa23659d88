// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$jsonSchema` as MongoDB supports it (JSON Schema draft 4 plus `bsonType`, without `$ref`,
/// `$schema`, `default`, `definitions`, `format` and `id`): `bsonType`, `type`, `required`,
/// `properties`, `additionalProperties`, `patternProperties`, `enum`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum` (draft-4 booleans), `multipleOf`, `minLength`,
/// `maxLength`, `pattern`, `items`, `additionalItems`, `minItems`, `maxItems`, `uniqueItems`,
/// `minProperties`, `maxProperties`, `allOf`, `anyOf`, `oneOf`, `not`, `dependencies`, `title`,
/// `description`. Keywords that constrain one type ignore values of other types, as in JSON
/// Schema. Mistakes in a schema are definition errors `reel.query.json_schema` with the JSON
/// pointer of the keyword.
///
/// **Example**
/// ```cpp
/// using namespace reel::json;
/// json_schema s = compile_json_schema(document::parse(R"({
///   "required": ["device_id"],
///   "properties": {"device_id": {"bsonType": "string"}, "temp": {"bsonType": "number",
///                  "minimum": -50, "maximum": 150}}})"), "/1/$validate/validator/$jsonSchema");
/// s.matches(document::parse(R"({"device_id": "d1", "temp": 20})"));  // true
/// s.matches(document::parse(R"({"temp": 20})"));                     // false
/// ```
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/detail/regex.hpp"
#include "reel/json/value.hpp"
#if defined(REEL_JSON_VALUE_EVAL)
#include "reel/bson/owned.hpp"
#include "reel/bson/value.hpp"
#endif

namespace reel::json {

namespace detail {

/// One compiled (sub)schema.
struct schema_node {
  std::uint32_t types = 0;  ///< bit per bson_type; 0 = no type constraint
  std::vector<std::string> required;
  std::vector<std::pair<std::string, std::shared_ptr<const schema_node>>> properties;
  std::vector<std::pair<std::shared_ptr<const regex_program>, std::shared_ptr<const schema_node>>>
      pattern_properties;
  int additional_properties = 0;  ///< 0 any, 1 forbidden, 2 schema
  std::shared_ptr<const schema_node> additional_properties_schema;
  std::optional<document> enum_values;
  std::optional<numeric> minimum, maximum;
  bool exclusive_minimum = false, exclusive_maximum = false;
  std::optional<numeric> multiple_of;
  std::optional<std::int64_t> min_length, max_length;
  std::shared_ptr<const regex_program> pattern;
  std::shared_ptr<const schema_node> items;  ///< every element
  std::vector<std::shared_ptr<const schema_node>> items_tuple;
  bool has_items_tuple = false;
  int additional_items = 0;  ///< 0 any, 1 forbidden, 2 schema
  std::shared_ptr<const schema_node> additional_items_schema;
  std::optional<std::int64_t> min_items, max_items;
  bool unique_items = false;
  std::optional<std::int64_t> min_properties, max_properties;
  std::vector<std::shared_ptr<const schema_node>> all_of, any_of, one_of;
  std::shared_ptr<const schema_node> not_;
  std::vector<std::pair<std::string, std::vector<std::string>>> property_dependencies;
  std::vector<std::pair<std::string, std::shared_ptr<const schema_node>>> schema_dependencies;

  [[nodiscard]] bool matches(const document& v) const;

#if defined(REEL_JSON_VALUE_EVAL)
  // The value path's own view of the keywords whose constants have BSON types
  // (src/json/json_schema_value.cpp).
  std::uint32_t value_types = 0;  ///< bits of `value_type_bit`; 0 = no type constraint
  bson::owned_value value_enum;   ///< `enum` as written (an array), or missing
  bson::owned_value value_minimum, value_maximum, value_multiple_of;  ///< as written, or missing
  /// The same decision on the BSON value model: types are exact (`bsonType: "long"` accepts a
  /// `{"$numberLong": "42"}`, `"decimal"` a Decimal128), numbers compare by value across types.
  [[nodiscard]] bool matches_value(const bson::value& v) const;
#endif
};

#if defined(REEL_JSON_VALUE_EVAL)
/// The bit of a BSON type in the value path's type masks (`$type`, `bsonType`, `type`).
std::uint32_t value_type_bit(bson::type t) noexcept;
/// The value types a `$type`/`bsonType` alias names (`"number"` is the four numeric types);
/// 0 for an unknown alias or one no value holds (`dbPointer`).
std::uint32_t value_types_of_alias(std::string_view alias) noexcept;
/// A constant of a filter or schema as a value, converted once from the spec as written, so
/// Extended JSON wrappers keep their type (`{"$numberLong": "42"}` is a long).
bson::owned_value query_value_constant(const document& spec);
#endif

inline std::uint32_t type_bit(bson_type t) noexcept {
  return 1u << static_cast<unsigned>(t);
}

inline std::size_t utf8_count(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

inline bool schema_node::matches(const document& v) const {
  const bson_type t = type_of(v);
  if (types != 0 && (types & type_bit(t)) == 0) return false;
  if (enum_values) {
    bool found = false;
    for (const auto& e : *enum_values) {
      if (compare_values(v, e) == 0) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (auto n = as_numeric(v)) {
    if (minimum) {
      const int c = compare_numeric(*n, *minimum);
      if (c < 0 || (exclusive_minimum && c == 0)) return false;
    }
    if (maximum) {
      const int c = compare_numeric(*n, *maximum);
      if (c > 0 || (exclusive_maximum && c == 0)) return false;
    }
    if (multiple_of) {
      if (n->integral() && multiple_of->integral()) {
        if (n->i % multiple_of->i != 0) return false;
      } else {
        const double r = std::fmod(n->to_double(), multiple_of->to_double());
        if (!(r == 0.0)) return false;
      }
    }
  } else if (t == bson_type::string) {
    const std::string& s = v.get_ref<const std::string&>();
    if (min_length || max_length) {
      const auto len = static_cast<std::int64_t>(utf8_count(s));
      if (min_length && len < *min_length) return false;
      if (max_length && len > *max_length) return false;
    }
    if (pattern && !pattern->search(s)) return false;
  } else if (t == bson_type::array) {
    const auto size = static_cast<std::int64_t>(v.size());
    if (min_items && size < *min_items) return false;
    if (max_items && size > *max_items) return false;
    if (items) {
      for (const auto& e : v) {
        if (!items->matches(e)) return false;
      }
    }
    if (has_items_tuple) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i < items_tuple.size()) {
          if (!items_tuple[i]->matches(v[i])) return false;
        } else if (additional_items == 1) {
          return false;
        } else if (additional_items == 2 && !additional_items_schema->matches(v[i])) {
          return false;
        }
      }
    }
    if (unique_items) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        for (std::size_t j = i + 1; j < v.size(); ++j) {
          if (compare_values(v[i], v[j]) == 0) return false;
        }
      }
    }
  } else if (t == bson_type::object) {
    const auto size = static_cast<std::int64_t>(v.size());
    if (min_properties && size < *min_properties) return false;
    if (max_properties && size > *max_properties) return false;
    for (const auto& r : required) {
      if (!v.contains(r)) return false;
    }
    for (const auto& [name, sub] : properties) {
      auto it = v.find(name);
      if (it != v.end() && !sub->matches(*it)) return false;
    }
    if (!pattern_properties.empty() || additional_properties != 0) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        bool covered = false;
        for (const auto& p : properties) {
          if (p.first == it.key()) covered = true;
        }
        for (const auto& [re, sub] : pattern_properties) {
          if (re->search(it.key())) {
            covered = true;
            if (!sub->matches(*it)) return false;
          }
        }
        if (!covered) {
          if (additional_properties == 1) return false;
          if (additional_properties == 2 && !additional_properties_schema->matches(*it)) {
            return false;
          }
        }
      }
    }
    for (const auto& [name, needed] : property_dependencies) {
      if (!v.contains(name)) continue;
      for (const auto& r : needed) {
        if (!v.contains(r)) return false;
      }
    }
    for (const auto& [name, sub] : schema_dependencies) {
      if (v.contains(name) && !sub->matches(v)) return false;
    }
  }
  for (const auto& s : all_of) {
    if (!s->matches(v)) return false;
  }
  if (!any_of.empty()) {
    bool any = false;
    for (const auto& s : any_of) {
      if (s->matches(v)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (!one_of.empty()) {
    int count = 0;
    for (const auto& s : one_of)
      count += s->matches(v) ? 1 : 0;
    if (count != 1) return false;
  }
  if (not_ && not_->matches(v)) return false;
  return true;
}

[[noreturn]] inline void schema_error(const std::string& where, std::string message) {
  throw_error("reel.query.json_schema", where, std::move(message));
}

inline std::uint32_t schema_types(const document& spec, const std::string& where, bool json_types) {
  const char* keyword = json_types ? "type" : "bsonType";
  std::vector<const document*> names;
  if (spec.is_string()) {
    names.push_back(&spec);
  } else if (spec.is_array() && !spec.empty()) {
    for (const auto& e : spec)
      names.push_back(&e);
  } else {
    schema_error(where, std::string("$jsonSchema keyword '") + keyword +
                            "' must be a string or a non-empty array of strings");
  }
  std::uint32_t mask = 0;
  static const std::vector<std::string> json_names = {"object",  "array",  "number",
                                                      "boolean", "string", "null"};
  for (const document* n : names) {
    if (!n->is_string()) {
      schema_error(where,
                   std::string("$jsonSchema keyword '") + keyword + "' must contain only strings");
    }
    const std::string& name = n->get_ref<const std::string&>();
    if (json_types) {
      if (name == "integer") {
        schema_error(where,
                     "$jsonSchema type 'integer' is not supported; use bsonType 'int' or "
                     "'long'");
      }
      const std::string alias = name == "boolean" ? "bool" : name;
      if (std::find(json_names.begin(), json_names.end(), name) == json_names.end()) {
        schema_error(where, "unknown $jsonSchema type '" + name + "'" +
                                reel::detail::did_you_mean(name, json_names));
      }
      for (int t = 0; t <= static_cast<int>(bson_type::max_key); ++t) {
        bool known = false;
        if (type_alias_matches(alias, static_cast<bson_type>(t), known)) {
          mask |= type_bit(static_cast<bson_type>(t));
        }
      }
    } else {
      bool known = false;
      for (int t = 0; t <= static_cast<int>(bson_type::max_key); ++t) {
        if (type_alias_matches(name, static_cast<bson_type>(t), known)) {
          mask |= type_bit(static_cast<bson_type>(t));
        }
      }
      type_alias_matches(name, bson_type::null, known);
      if (!known) {
        schema_error(where, "unknown $jsonSchema bsonType '" + name + "'" +
                                reel::detail::did_you_mean(name, type_aliases()));
      }
    }
  }
  return mask == 0 ? type_bit(bson_type::missing) : mask;  // only impossible types: never matches
}

inline std::int64_t schema_count(const document& v, const std::string& where,
                                 std::string_view keyword) {
  auto n = as_numeric(v);
  if (n && !n->integral() && std::isfinite(n->d) && n->d == std::trunc(n->d)) {
    n = numeric::from_int(static_cast<std::int64_t>(n->d));
  }
  if (!n || !n->integral() || n->i < 0) {
    schema_error(
        where, "$jsonSchema keyword '" + std::string(keyword) + "' must be a non-negative integer");
  }
  return n->i;
}

inline std::shared_ptr<const schema_node> compile_schema_node(const document& spec,
                                                              const std::string& where);

inline std::vector<std::shared_ptr<const schema_node>> schema_list(const document& v,
                                                                   const std::string& where,
                                                                   std::string_view keyword) {
  if (!v.is_array() || v.empty()) {
    schema_error(where, "$jsonSchema keyword '" + std::string(keyword) +
                            "' must be a non-empty array of schemas");
  }
  std::vector<std::shared_ptr<const schema_node>> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.push_back(compile_schema_node(v[i], where + "/" + std::to_string(i)));
  }
  return out;
}

inline std::shared_ptr<const schema_node> compile_schema_node(const document& spec,
                                                              const std::string& where) {
  if (!spec.is_object()) schema_error(where, "a $jsonSchema schema must be an object");
  static const std::vector<std::string> keywords = {"bsonType",
                                                    "type",
                                                    "required",
                                                    "properties",
                                                    "additionalProperties",
                                                    "patternProperties",
                                                    "enum",
                                                    "minimum",
                                                    "maximum",
                                                    "exclusiveMinimum",
                                                    "exclusiveMaximum",
                                                    "multipleOf",
                                                    "minLength",
                                                    "maxLength",
                                                    "pattern",
                                                    "items",
                                                    "additionalItems",
                                                    "minItems",
                                                    "maxItems",
                                                    "uniqueItems",
                                                    "minProperties",
                                                    "maxProperties",
                                                    "allOf",
                                                    "anyOf",
                                                    "oneOf",
                                                    "not",
                                                    "dependencies",
                                                    "title",
                                                    "description"};
  auto out = std::make_shared<schema_node>();
  if (spec.contains("type") && spec.contains("bsonType")) {
    schema_error(where, "a $jsonSchema schema cannot use both 'type' and 'bsonType'");
  }
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& k = it.key();
    const document& v = *it;
    const std::string w = json_pointer_append(where, k);
    if (k == "bsonType" || k == "type") {
      out->types = schema_types(v, w, k == "type");
#if defined(REEL_JSON_VALUE_EVAL)
      out->value_types = 0;
      for (const auto& name : v.is_array() ? v : document::array({v})) {
        const std::string& alias = name.get_ref<const std::string&>();
        out->value_types |=
            value_types_of_alias(k == "type" && alias == "boolean" ? "bool" : alias);
      }
      if (out->value_types == 0) out->value_types = value_type_bit(bson::type::missing);
#endif
    } else if (k == "required") {
      if (!v.is_array() || v.empty()) {
        schema_error(w, "$jsonSchema keyword 'required' must be a non-empty array of strings");
      }
      for (const auto& r : v) {
        if (!r.is_string()) {
          schema_error(w, "$jsonSchema keyword 'required' must contain only strings");
        }
        if (std::find(out->required.begin(), out->required.end(), r.get<std::string>()) !=
            out->required.end()) {
          schema_error(w, "$jsonSchema keyword 'required' contains the duplicate '" +
                              r.get<std::string>() + "'");
        }
        out->required.push_back(r.get<std::string>());
      }
    } else if (k == "properties") {
      if (!v.is_object()) schema_error(w, "$jsonSchema keyword 'properties' must be an object");
      for (auto p = v.begin(); p != v.end(); ++p) {
        out->properties.emplace_back(p.key(),
                                     compile_schema_node(*p, json_pointer_append(w, p.key())));
      }
    } else if (k == "patternProperties") {
      if (!v.is_object()) {
        schema_error(w, "$jsonSchema keyword 'patternProperties' must be an object");
      }
      for (auto p = v.begin(); p != v.end(); ++p) {
        const std::string pw = json_pointer_append(w, p.key());
        out->pattern_properties.emplace_back(
            compile_regex(p.key(), "", pw, "reel.query.json_schema"), compile_schema_node(*p, pw));
      }
    } else if (k == "additionalProperties" || k == "additionalItems") {
      int& kind = k == "additionalProperties" ? out->additional_properties : out->additional_items;
      auto& schema = k == "additionalProperties" ? out->additional_properties_schema
                                                 : out->additional_items_schema;
      if (v.is_boolean()) {
        kind = v.get<bool>() ? 0 : 1;
      } else if (v.is_object()) {
        kind = 2;
        schema = compile_schema_node(v, w);
      } else {
        schema_error(w, "$jsonSchema keyword '" + k + "' must be a boolean or an object");
      }
    } else if (k == "enum") {
      if (!v.is_array() || v.empty()) {
        schema_error(w, "$jsonSchema keyword 'enum' must be a non-empty array");
      }
      out->enum_values = normalize_ejson(v);
#if defined(REEL_JSON_VALUE_EVAL)
      out->value_enum = query_value_constant(v);
#endif
    } else if (k == "minimum" || k == "maximum" || k == "multipleOf") {
      auto n = as_numeric(v);
      if (!n) schema_error(w, "$jsonSchema keyword '" + k + "' must be a number");
      if (k == "minimum") out->minimum = n;
      if (k == "maximum") out->maximum = n;
#if defined(REEL_JSON_VALUE_EVAL)
      (k == "minimum"   ? out->value_minimum
       : k == "maximum" ? out->value_maximum
                        : out->value_multiple_of) = query_value_constant(v);
#endif
      if (k == "multipleOf") {
        if (!(n->to_double() > 0)) {
          schema_error(w, "$jsonSchema keyword 'multipleOf' must be a positive number");
        }
        out->multiple_of = n;
      }
    } else if (k == "exclusiveMinimum" || k == "exclusiveMaximum") {
      if (!v.is_boolean()) schema_error(w, "$jsonSchema keyword '" + k + "' must be a boolean");
      const std::string bound = k == "exclusiveMinimum" ? "minimum" : "maximum";
      if (!spec.contains(bound)) {
        schema_error(w, "$jsonSchema keyword '" + k + "' requires '" + bound + "' to be present");
      }
      (k == "exclusiveMinimum" ? out->exclusive_minimum : out->exclusive_maximum) = v.get<bool>();
    } else if (k == "minLength") {
      out->min_length = schema_count(v, w, k);
    } else if (k == "maxLength") {
      out->max_length = schema_count(v, w, k);
    } else if (k == "minItems") {
      out->min_items = schema_count(v, w, k);
    } else if (k == "maxItems") {
      out->max_items = schema_count(v, w, k);
    } else if (k == "minProperties") {
      out->min_properties = schema_count(v, w, k);
    } else if (k == "maxProperties") {
      out->max_properties = schema_count(v, w, k);
    } else if (k == "pattern") {
      if (!v.is_string()) schema_error(w, "$jsonSchema keyword 'pattern' must be a string");
      out->pattern = compile_regex(v.get<std::string>(), "", w, "reel.query.json_schema");
    } else if (k == "items") {
      if (v.is_object()) {
        out->items = compile_schema_node(v, w);
      } else if (v.is_array()) {
        out->has_items_tuple = true;
        for (std::size_t i = 0; i < v.size(); ++i) {
          out->items_tuple.push_back(compile_schema_node(v[i], w + "/" + std::to_string(i)));
        }
      } else {
        schema_error(w, "$jsonSchema keyword 'items' must be an object or an array of objects");
      }
    } else if (k == "uniqueItems") {
      if (!v.is_boolean()) schema_error(w, "$jsonSchema keyword 'uniqueItems' must be a boolean");
      out->unique_items = v.get<bool>();
    } else if (k == "allOf") {
      out->all_of = schema_list(v, w, k);
    } else if (k == "anyOf") {
      out->any_of = schema_list(v, w, k);
    } else if (k == "oneOf") {
      out->one_of = schema_list(v, w, k);
    } else if (k == "not") {
      out->not_ = compile_schema_node(v, w);
    } else if (k == "dependencies") {
      if (!v.is_object()) schema_error(w, "$jsonSchema keyword 'dependencies' must be an object");
      for (auto d = v.begin(); d != v.end(); ++d) {
        const std::string dw = json_pointer_append(w, d.key());
        if (d->is_object()) {
          out->schema_dependencies.emplace_back(d.key(), compile_schema_node(*d, dw));
        } else if (d->is_array() && !d->empty()) {
          std::vector<std::string> names;
          for (const auto& n : *d) {
            if (!n.is_string()) {
              schema_error(dw, "a property dependency must be a non-empty array of strings");
            }
            names.push_back(n.get<std::string>());
          }
          out->property_dependencies.emplace_back(d.key(), std::move(names));
        } else {
          schema_error(dw,
                       "a $jsonSchema dependency must be an object or a non-empty array of "
                       "strings");
        }
      }
    } else if (k == "title" || k == "description") {
      if (!v.is_string()) schema_error(w, "$jsonSchema keyword '" + k + "' must be a string");
    } else if (k == "$ref" || k == "$schema" || k == "default" || k == "definitions" ||
               k == "format" || k == "id" || k == "encrypt" || k == "encryptMetadata") {
      schema_error(w, "$jsonSchema keyword '" + k + "' is not supported");
    } else {
      schema_error(
          w, "unknown $jsonSchema keyword '" + k + "'" + reel::detail::did_you_mean(k, keywords));
    }
  }
  return out;  // draft 4: additionalItems only matters when items is an array
}

}  // namespace detail

/// A compiled `$jsonSchema`. Copies share the immutable tree.
class json_schema {
 public:
  /// A schema that accepts everything.
  json_schema() : root_(std::make_shared<detail::schema_node>()) {}
  explicit json_schema(std::shared_ptr<const detail::schema_node> root) : root_(std::move(root)) {}

  /// True when `value` (normally a whole document) satisfies the schema.
  [[nodiscard]] bool matches(const document& value) const { return root_->matches(value); }
#if defined(REEL_JSON_VALUE_EVAL)
  /// The same decision on the BSON value model (docs/document-model.md §6), types exact.
  [[nodiscard]] bool matches(const bson::value& value) const {
    return root_->matches_value(value);
  }
#endif

 private:
  std::shared_ptr<const detail::schema_node> root_;
};

/// Compiles a `$jsonSchema` object; `where` is its JSON pointer, used in error locations.
inline json_schema compile_json_schema(const document& schema, std::string where = "") {
  return json_schema(detail::compile_schema_node(schema, where));
}

}  // namespace reel::json
