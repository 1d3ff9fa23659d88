// SPDX-License-Identifier: Apache-2.0
/// \file
/// Reads input text with simdjson's DOM parser into the document `parse_ejson_line` would build,
/// keeping only some top-level fields. Used by the stream processor's projected input
/// (`projected_input.hpp`) when Reel is built with simdjson (`REEL_HAVE_SIMDJSON`).
///
/// The DOM parser validates the whole text (grammar, UTF-8, escapes, numbers), unlike simdjson's
/// On-Demand API, which does not look at the values it skips: a text with an error in a field the
/// pipeline does not read must still be refused, as `parse_ejson_line` refuses it. simdjson
/// accepts no text that nlohmann's parser refuses (it refuses some that nlohmann accepts, such as
/// a byte-order mark or integers beyond 64 bits), and reads what both accept to the same values
/// (numbers correctly rounded, `-0` an integer). The reader declines (returns false) whatever it
/// cannot vouch for, and the caller then parses with `parse_ejson_line`: text simdjson refuses, a
/// root that is not an object or that is itself a wrapper, nesting near `max_nesting_depth`,
/// malformed EJSON wrappers anywhere in the text, read fields or not, and texts over 1 MiB.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "reel/json/ejson.hpp"
#include "reel/json/value.hpp"

namespace reel::json::detail {

class simdjson_reader {
 public:
  /// Longer texts are declined: the parser keeps the memory of the largest text it read.
  static constexpr std::size_t max_text_bytes = std::size_t{1} << 20;

  /// Reads `text` into `out`, keeping the root object's members named in `keep` (sorted,
  /// unique); false, leaving `out` alone, when the reader declines (see the file comment).
  bool read(std::string_view text, const std::vector<std::string>& keep, document& out) {
    if (text.size() > max_text_bytes) return false;
    if (buffer_.size() < text.size() + simdjson::SIMDJSON_PADDING) {
      buffer_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buffer_.data(), text.data(), text.size());
    simdjson::dom::element root;
    if (parser_.parse(buffer_.data(), text.size(), false).get(root) != simdjson::SUCCESS) {
      return false;
    }
    if (root.type() != simdjson::dom::element_type::OBJECT) return false;
    const simdjson::dom::object members = root.get_object().value_unsafe();
    auto first = members.begin();
    if (first != members.end() && starts_with_dollar(first.key())) return false;
    document doc = document::object();
    // Room for the kept fields and the event time the processor adds: no regrowth.
    doc.get_ref<document::object_t&>().reserve(keep.size() + 1);
    for (const auto field : members) {
      if (std::binary_search(keep.begin(), keep.end(), field.key)) {
        document value;
        if (!convert(field.value, 2, value)) return false;
        // As the builder does: a repeated key keeps its first place and its last value.
        doc[std::string(field.key)] = std::move(value);
      } else if (!check(field.value, 2)) {
        return false;
      }
    }
    out = std::move(doc);
    return true;
  }

 private:
  static bool starts_with_dollar(std::string_view key) noexcept {
    return key.size() > 1 && key[0] == '$';
  }

  /// `e` (an object or array at nesting `level`, the root being 1) as the builder makes it.
  static bool convert(simdjson::dom::element e, std::size_t level, document& out) {
    using type = simdjson::dom::element_type;
    switch (e.type()) {
      case type::OBJECT: {
        if (level >= max_nesting_depth) return false;
        document obj = document::object();
        // (A local: a range-for over get_object().value_unsafe() would outlive its temporary.)
        const simdjson::dom::object members = e.get_object().value_unsafe();
        for (const auto field : members) {
          document value;
          if (!convert(field.value, level + 1, value)) return false;
          obj[std::string(field.key)] = std::move(value);
        }
        std::string message;
        if (is_wrapper_candidate(obj) && !normalise_wrapper(obj, message)) return false;
        out = std::move(obj);
        return true;
      }
      case type::ARRAY: {
        if (level >= max_nesting_depth) return false;
        document arr = document::array();
        const simdjson::dom::array elements = e.get_array().value_unsafe();
        for (const auto element : elements) {
          document value;
          if (!convert(element, level + 1, value)) return false;
          arr.push_back(std::move(value));
        }
        out = std::move(arr);
        return true;
      }
      case type::STRING:
        out = std::string(e.get_string().value_unsafe());
        return true;
      case type::INT64:
        out = e.get_int64().value_unsafe();
        return true;
      case type::UINT64: {  // the builder keeps integers beyond int64 as doubles
        const std::uint64_t v = e.get_uint64().value_unsafe();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          out = static_cast<double>(v);
        } else {
          out = static_cast<std::int64_t>(v);
        }
        return true;
      }
      case type::DOUBLE:
        out = e.get_double().value_unsafe();
        return true;
      case type::BOOL:
        out = e.get_bool().value_unsafe();
        return true;
      case type::NULL_VALUE:
        out = nullptr;
        return true;
    }
    return false;
  }

  /// Whether `e`, a value that is not kept, passes what the builder checks: nesting depth, and
  /// every wrapper in it (an object whose first key starts with `$` is converted to check it).
  static bool check(simdjson::dom::element e, std::size_t level) {
    using type = simdjson::dom::element_type;
    if (e.type() == type::OBJECT) {
      if (level >= max_nesting_depth) return false;
      const simdjson::dom::object members = e.get_object().value_unsafe();
      auto first = members.begin();
      if (first != members.end() && starts_with_dollar(first.key())) {
        document scratch;
        return convert(e, level, scratch);
      }
      for (const auto field : members) {
        if (!check(field.value, level + 1)) return false;
      }
      return true;
    }
    if (e.type() == type::ARRAY) {
      if (level >= max_nesting_depth) return false;
      const simdjson::dom::array elements = e.get_array().value_unsafe();
      for (const auto element : elements) {
        if (!check(element, level + 1)) return false;
      }
    }
    return true;
  }

  simdjson::dom::parser parser_{max_text_bytes};
  std::vector<char> buffer_;  // the text, followed by simdjson's padding
};

}  // namespace reel::json::detail
