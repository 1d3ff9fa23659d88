// SPDX-License-Identifier: Apache-2.0
// `$jsonSchema` on the BSON value model (issue #12, docs/document-model.md §6 step 4): the value
// entry of reel/json/json_schema.hpp's compiled schema. The keywords and their rules are the
// nlohmann validator's; what changes is that types are exact (`bsonType: "long"` accepts an
// int64, `"decimal"` a Decimal128, `"symbol"`/`"javascript"`/`"undefined"` their types),
// `minimum`/`maximum` compare by value across int32/int64/double/Decimal128, and `multipleOf`
// is decided in decimal as the server's `$_internalSchemaFmod` does (0.3 is a multiple of 0.1).
#include <optional>

#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/json/json_schema.hpp"

namespace reel::json::detail {

namespace {

/// `multipleOf`: both operands as Decimal128 (a double through 15 digits, the server's
/// `numberDecimal()`), the remainder exactly zero.
bool is_multiple_of(const bson::number& n, const bson::number& divisor) {
  const bson::decimal128 r = bson::decimal_modulo(n.as_decimal(), divisor.as_decimal());
  return !bson::decimal_is_nan(r) && bson::decimal_is_zero(r);
}

std::int64_t size_of(const bson::value& v) noexcept {
  return static_cast<std::int64_t>(v.size());
}

}  // namespace

bool schema_node::matches_value(const bson::value& v) const {
  const bson::type t = v.type();
  if (value_types != 0 && (value_types & value_type_bit(t)) == 0) return false;
  if (!value_enum->is_missing()) {
    bool found = false;
    for (const bson::value& e : value_enum->elements()) {
      if (bson::equal(v, e)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (const auto n = bson::number::of(v)) {
    if (!value_minimum->is_missing()) {
      const int c = bson::compare(v, value_minimum.get());
      if (c < 0 || (exclusive_minimum && c == 0)) return false;
    }
    if (!value_maximum->is_missing()) {
      const int c = bson::compare(v, value_maximum.get());
      if (c > 0 || (exclusive_maximum && c == 0)) return false;
    }
    if (!value_multiple_of->is_missing() &&
        !is_multiple_of(*n, *bson::number::of(value_multiple_of.get()))) {
      return false;
    }
  } else if (t == bson::type::string) {
    const std::string_view s = v.as_string();
    if (min_length || max_length) {
      const auto len = static_cast<std::int64_t>(utf8_count(s));
      if (min_length && len < *min_length) return false;
      if (max_length && len > *max_length) return false;
    }
    if (pattern && !pattern->search(s)) return false;
  } else if (t == bson::type::array) {
    const auto elements = v.elements();
    if (min_items && size_of(v) < *min_items) return false;
    if (max_items && size_of(v) > *max_items) return false;
    if (items) {
      for (const bson::value& e : elements) {
        if (!items->matches_value(e)) return false;
      }
    }
    if (has_items_tuple) {
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i < items_tuple.size()) {
          if (!items_tuple[i]->matches_value(elements[i])) return false;
        } else if (additional_items == 1) {
          return false;
        } else if (additional_items == 2 && !additional_items_schema->matches_value(elements[i])) {
          return false;
        }
      }
    }
    if (unique_items) {
      for (std::size_t i = 0; i < elements.size(); ++i) {
        for (std::size_t j = i + 1; j < elements.size(); ++j) {
          if (bson::equal(elements[i], elements[j])) return false;
        }
      }
    }
  } else if (t == bson::type::document) {
    if (min_properties && size_of(v) < *min_properties) return false;
    if (max_properties && size_of(v) > *max_properties) return false;
    for (const auto& r : required) {
      if (v[r].is_missing()) return false;
    }
    for (const auto& [name, sub] : properties) {
      const bson::value f = v[name];
      if (!f.is_missing() && !sub->matches_value(f)) return false;
    }
    if (!pattern_properties.empty() || additional_properties != 0) {
      for (const bson::field& f : v.fields()) {
        const std::string_view key = f.name();
        bool covered = false;
        for (const auto& p : properties) {
          if (p.first == key) covered = true;
        }
        for (const auto& [re, sub] : pattern_properties) {
          if (re->search(key)) {
            covered = true;
            if (!sub->matches_value(f.val)) return false;
          }
        }
        if (!covered) {
          if (additional_properties == 1) return false;
          if (additional_properties == 2 && !additional_properties_schema->matches_value(f.val)) {
            return false;
          }
        }
      }
    }
    for (const auto& [name, needed] : property_dependencies) {
      if (v[name].is_missing()) continue;
      for (const auto& r : needed) {
        if (v[r].is_missing()) return false;
      }
    }
    for (const auto& [name, sub] : schema_dependencies) {
      if (!v[name].is_missing() && !sub->matches_value(v)) return false;
    }
  }
  for (const auto& s : all_of) {
    if (!s->matches_value(v)) return false;
  }
  if (!any_of.empty()) {
    bool any = false;
    for (const auto& s : any_of) {
      if (s->matches_value(v)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (!one_of.empty()) {
    int count = 0;
    for (const auto& s : one_of)
      count += s->matches_value(v) ? 1 : 0;
    if (count != 1) return false;
  }
  if (not_ && not_->matches_value(v)) return false;
  return true;
}

}  // namespace reel::json::detail
