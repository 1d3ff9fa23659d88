// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::json::field_usage`: which top-level fields of a document a compiled part of a pipeline
/// reads (an expression, a query, an accumulator, a stage), or that it may read the whole
/// document (`$$ROOT`, `$jsonSchema`, a stage that does not say). The stream processor uses it
/// to parse only those fields of its input when the whole pipeline reads a known set.
///
/// **Example**
/// ```cpp
/// using namespace reel::json;
/// compile_expression(document::parse(R"({"$add": ["$a.b", "$c"]})")).fields_read().names();
/// // {"a", "c"}
/// compile_expression(document::parse(R"({"$objectToArray": "$$ROOT"})")).fields_read().whole();
/// // true
/// ```
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace reel::json {

class field_usage {
 public:
  /// Reads nothing.
  field_usage() = default;
  /// May read any part of the document.
  [[nodiscard]] static field_usage whole_document() {
    field_usage u;
    u.whole_ = true;
    return u;
  }

  /// Reads the top-level field `name` (and anything below it).
  void add(std::string_view name) {
    if (whole_) return;
    auto at = std::lower_bound(names_.begin(), names_.end(), name);
    if (at == names_.end() || *at != name) names_.emplace(at, name);
  }
  void add_whole() {
    whole_ = true;
    names_.clear();
  }
  /// Reads what `other` reads too.
  void add(const field_usage& other) {
    if (other.whole_) add_whole();
    for (const std::string& n : other.names_)
      add(n);
  }

  /// True when the whole document may be read (`names()` is then empty).
  [[nodiscard]] bool whole() const noexcept { return whole_; }
  /// The top-level fields read, sorted, each once.
  [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  bool whole_ = false;
  std::vector<std::string> names_;
};

}  // namespace reel::json
