// SPDX-License-Identifier: Apache-2.0
#include "reel/bson/field_path.hpp"

#include "reel/error.hpp"

namespace reel::bson {

field_path::field_path(std::string_view dotted) : dotted_(dotted) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) {
      throw_error("reel.path.invalid", "",
                  "field path '" + std::string(dotted) + "' has an empty component");
    }
    components_.emplace_back(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
}

value field_path::lookup(const value& root) const noexcept {
  value v = root;
  for (const std::string& name : components_) {
    if (!v.is_document()) return {};
    v = v[name];
  }
  return v;
}

value field_path::resolve(const value& root, arena& memory) const {
  if (!root.is_document()) return {};
  return resolve_from(0, root, memory);
}

value field_path::resolve_from(std::size_t index, const value& doc, arena& memory) const {
  const value v = doc[components_[index]];
  if (index + 1 == components_.size()) return v;
  switch (v.type()) {
    case type::document:
      return resolve_from(index + 1, v, memory);
    case type::array:
      return resolve_array(index + 1, v, memory);
    default:
      return {};
  }
}

value field_path::resolve_array(std::size_t index, const value& array, arena& memory) const {
  const auto elements = array.elements();
  value* out = memory.allocate_array<value>(elements.size());
  std::size_t n = 0;
  for (const value& e : elements) {
    value nested;
    if (e.is_document()) {
      nested = resolve_from(index, e, memory);
    } else if (e.is_array()) {
      nested = resolve_array(index, e, memory);
    }
    if (!nested.is_missing()) out[n++] = nested;
  }
  return value::array({out, n});
}

}  // namespace reel::bson
