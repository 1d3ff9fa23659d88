// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson::builder`: builds documents and arrays into an arena, nested to any depth, in the
/// order a parser or an operator produces them. Fields gather in a scratch stack that the
/// builder reuses; closing a document copies its fields into the arena in one block. After the
/// first few messages a builder and its arena allocate nothing.
///
/// **Example**
/// ```cpp
/// reel::bson::arena a;
/// reel::bson::builder b(a);
/// b.begin_document();
/// b.append("movie", a.string("m654"));
/// b.append("total", reel::bson::value::double_(6.5));
/// reel::bson::value doc = b.end();  // {"movie": "m654", "total": 6.5}
/// ```
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"
#include "reel/error.hpp"

namespace reel::bson {

class builder {
 public:
  explicit builder(arena& memory) : arena_(&memory) {}

  /// Switches to another arena (the scratch stacks are kept). Only between documents.
  void rebind(arena& memory) noexcept { arena_ = &memory; }
  [[nodiscard]] arena& memory() const noexcept { return *arena_; }

  /// Opens a document (under the pending key when a document is open).
  void begin_document() { open(false); }
  /// Opens an array (under the pending key when a document is open).
  void begin_array() { open(true); }

  /// The name of the next value appended to the open document (copied into the arena).
  void key(std::string_view name) { pending_name_ = arena_->copy(name); }
  /// Same, for a name that already lives as long as the arena's values (no copy).
  void key_stable(std::string_view name) noexcept { pending_name_ = name; }

  /// Appends `v` (its payload must live as long as the arena's values) to the open document
  /// under the pending key, or to the open array. With nothing open, `v` becomes the result.
  void append(const value& v) {
    if (frames_.empty()) {
      result_ = v;
      return;
    }
    scratch_.push_back(
        field{pending_name_.data(), static_cast<std::uint32_t>(pending_name_.size()), v});
    pending_name_ = {};
  }
  void append(std::string_view name, const value& v) {
    key(name);
    append(v);
  }

  /// The fields (or, for an array, the elements in `.val`) appended to the innermost open
  /// document or array so far.
  [[nodiscard]] std::span<field> open_fields() noexcept {
    return {scratch_.data() + frames_.back().first, scratch_.size() - frames_.back().first};
  }
  [[nodiscard]] bool open_is_array() const noexcept { return frames_.back().is_array; }
  [[nodiscard]] std::size_t depth() const noexcept { return frames_.size(); }

  /// Closes the innermost document or array, appends it to its parent (or makes it the result)
  /// and returns it.
  value end() {
    const frame f = frames_.back();
    const std::size_t n = scratch_.size() - f.first;
    value v;
    if (f.is_array) {
      value* out = n ? arena_->allocate_array<value>(n) : nullptr;
      for (std::size_t i = 0; i < n; ++i)
        out[i] = scratch_[f.first + i].val;
      v = value::array({out, n});
    } else {
      field* out = n ? arena_->allocate_array<field>(n) : nullptr;
      for (std::size_t i = 0; i < n; ++i)
        out[i] = scratch_[f.first + i];
      v = value::document({out, n});
    }
    close_with(v, f);
    return v;
  }

  /// Closes the innermost document or array and appends `replacement` in its place (an
  /// Extended JSON wrapper such as `{"$numberLong": "5"}` becoming an int64).
  void end_replacing(const value& replacement) { close_with(replacement, frames_.back()); }

  /// The last top-level value completed.
  [[nodiscard]] const value& result() const noexcept { return result_; }

  /// The JSON pointer of the innermost open document or array (`/items/2/price`), for errors.
  [[nodiscard]] std::string json_pointer() const {
    std::string out;
    for (std::size_t k = 1; k < frames_.size(); ++k) {
      out += '/';
      const frame& parent = frames_[k - 1];
      if (parent.is_array) {
        out += std::to_string(frames_[k].first - parent.first);
        continue;
      }
      out += json_pointer_token(frames_[k].name);
    }
    return out;
  }

  /// Drops everything open (after an error) so the builder can be reused.
  void clear() noexcept {
    frames_.clear();
    scratch_.clear();
    pending_name_ = {};
    result_ = value{};
  }

 private:
  struct frame {
    std::size_t first;
    bool is_array;
    std::string_view name;  // the key this container is stored under in its parent
  };
  void open(bool is_array) {
    frames_.push_back({scratch_.size(), is_array, pending_name_});
    pending_name_ = {};
  }
  void close_with(const value& v, frame f) {
    scratch_.resize(f.first);
    frames_.pop_back();
    if (frames_.empty()) {
      result_ = v;
      return;
    }
    scratch_.push_back(field{f.name.data(), static_cast<std::uint32_t>(f.name.size()), v});
  }

  arena* arena_;
  std::vector<frame> frames_;
  std::vector<field> scratch_;
  std::string_view pending_name_;
  value result_;
};

}  // namespace reel::bson
