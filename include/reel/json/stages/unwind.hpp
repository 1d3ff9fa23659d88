// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$unwind`: `"$path"` or `{path: "$path", includeArrayIndex: "field",
/// preserveNullAndEmptyArrays: bool}`. One output document per element of the array at `path`
/// (the element replaces the array in place). As in MongoDB: the path does not descend into
/// arrays; a value that is neither an array nor null/missing passes through as if it were a
/// one-element array (index null); an empty array, null or a missing field produce nothing,
/// unless `preserveNullAndEmptyArrays`, which keeps the document (an empty array is removed, a
/// null stays null) with a null index. The index is a 64-bit integer.
///
/// **Example**: `{"$unwind": {"path": "$items", "includeArrayIndex": "pos"}}`
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json::stages {

class unwind final : public document_stage {
 public:
  unwind(const document& spec, const std::string& where) {
    if (spec.is_string()) {
      path_ = parse_path(spec, where);
    } else if (spec.is_object()) {
      detail::check_options(spec, where, "$unwind",
                            {"path", "includeArrayIndex", "preserveNullAndEmptyArrays"});
      auto path = spec.find("path");
      if (path == spec.end()) detail::bad_stage(where, "$unwind requires 'path'");
      path_ = parse_path(*path, where + "/path");
      if (auto idx = spec.find("includeArrayIndex"); idx != spec.end()) {
        const std::string at = where + "/includeArrayIndex";
        if (!idx->is_string() || idx->get_ref<const std::string&>().empty()) {
          detail::bad_stage(at, "'includeArrayIndex' must be a non-empty string, found " +
                                    detail::describe_value(*idx));
        }
        const std::string& name = idx->get_ref<const std::string&>();
        if (name[0] == '$') {
          detail::bad_stage(
              at, "'includeArrayIndex' must be a field name without a '$' prefix, found '" + name +
                      "'");
        }
        index_ = field_path(name, at);
        // An index path at or above the unwound path overwrites the element.
        index_hides_value_ = index_->size() <= path_.size();
        for (std::size_t i = 0; index_hides_value_ && i < index_->size(); ++i) {
          index_hides_value_ = (*index_)[i] == path_[i];
        }
      }
      if (auto keep = spec.find("preserveNullAndEmptyArrays"); keep != spec.end()) {
        if (!keep->is_boolean()) {
          detail::bad_stage(
              where + "/preserveNullAndEmptyArrays",
              "'preserveNullAndEmptyArrays' must be a boolean, found " + type_name(*keep));
        }
        preserve_ = keep->get<bool>();
      }
    } else {
      detail::bad_stage(
          where,
          "$unwind takes a field path string (\"$path\") or an object, found " + type_name(spec));
    }
  }

  [[nodiscard]] std::string_view operator_name() const override { return "UnwindOperator"; }

  void apply(document&& doc, const eval_context&, std::vector<document>& out) const override {
    const document* value = lookup(doc);
    if (value != nullptr && value->is_array()) {
      if (value->empty()) {
        if (!preserve_) return;
        remove_leaf(doc);
        emit(std::move(doc), nullptr, out);
        return;
      }
      document elements = std::move(*const_cast<document*>(value));
      const std::size_t n = elements.size();
      for (std::size_t i = 0; i < n; ++i) {
        document copy = i + 1 == n ? std::move(doc) : doc;
        if (!index_hides_value_) *mutable_leaf(copy) = std::move(elements[i]);
        const auto index = static_cast<std::int64_t>(i);
        emit(std::move(copy), &index, out);
      }
      return;
    }
    if (value == nullptr || value->is_null()) {
      if (!preserve_) return;
    }
    emit(std::move(doc), nullptr, out);
  }

#if defined(REEL_JSON_VALUE_EVAL)
  /// The native value form (document_stage.hpp's lifetimes; src/json/value_stage_reshape.cpp).
  void apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                   std::vector<bson::value>& out) const override;
#endif

 private:
  static field_path parse_path(const document& spec, const std::string& where) {
    if (!spec.is_string()) {
      detail::bad_stage(where, "$unwind path must be a string, found " + type_name(spec));
    }
    const std::string& s = spec.get_ref<const std::string&>();
    if (s.empty() || s[0] != '$') {
      detail::bad_stage(where,
                        "$unwind path must be a field path prefixed with '$', found '" + s + "'");
    }
    return field_path(std::string_view(s).substr(1), where);
  }

  /// The value at the path through subdocuments only (no array traversal), or null.
  const document* lookup(const document& doc) const {
    const document* cur = &doc;
    for (const auto& part : path_.parts()) {
      if (!detail::is_subdocument(*cur)) return nullptr;
      auto it = cur->find(part);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    }
    return cur;
  }
  document* mutable_leaf(document& doc) const {
    document* cur = &doc;
    for (const auto& part : path_.parts())
      cur = &*cur->find(part);
    return cur;
  }
  void remove_leaf(document& doc) const {
    document* cur = &doc;
    for (std::size_t i = 0; i + 1 < path_.size(); ++i)
      cur = &*cur->find(path_[i]);
    cur->erase(path_[path_.size() - 1]);
  }

  /// Adds the index field (when asked for) and emits.
  void emit(document&& doc, const std::int64_t* index, std::vector<document>& out) const {
    if (index_) {
      document* cur = &doc;
      for (std::size_t i = 0; i < index_->size(); ++i) {
        if (!detail::is_subdocument(*cur)) *cur = document::object();
        auto it = cur->find((*index_)[i]);
        if (it == cur->end()) {
          detail::append_field(*cur, (*index_)[i], document());
          it = cur->find((*index_)[i]);
        }
        cur = &*it;
      }
      *cur = index != nullptr ? document(*index) : document(nullptr);
    }
    out.push_back(std::move(doc));
  }

  field_path path_;
  std::optional<field_path> index_;
  bool index_hides_value_ = false;
  bool preserve_ = false;
};

/// The factory of `$unwind` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_unwind(const document& spec,
                                                         const std::string& where) {
  return std::make_shared<unwind>(spec, where);
}

}  // namespace reel::json::stages
