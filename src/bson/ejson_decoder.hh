// SPDX-License-Identifier: Apache-2.0
// Private: the SAX-style sink that every JSON front end (simdjson, nlohmann's SAX parser, a
// nlohmann::json tree) feeds. It builds values with a `builder` and turns Extended JSON wrappers
// into their BSON types as each object closes, so all front ends give the same values.
#pragma once

#include <cstdint>
#include <string_view>

#include "reel/bson/arena.hpp"
#include "reel/bson/builder.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson::detail {

class ejson_decoder {
 public:
  explicit ejson_decoder(arena& memory) : memory_(&memory), builder_(memory) {}

  /// Starts a new text in `memory`.
  void reset(arena& memory) {
    memory_ = &memory;
    builder_.rebind(memory);
    builder_.clear();
  }

  void null() { builder_.append(value::null()); }
  void boolean(bool b) { builder_.append(value::boolean(b)); }
  /// A JSON integer: int32 when it fits, else int64.
  void integer(std::int64_t n) {
    if (n >= INT32_MIN && n <= INT32_MAX) {
      builder_.append(value::int32(static_cast<std::int32_t>(n)));
    } else {
      builder_.append(value::int64(n));
    }
  }
  /// A JSON integer above INT64_MAX: a double.
  void unsigned_integer(std::uint64_t n) {
    if (n <= static_cast<std::uint64_t>(INT64_MAX)) {
      integer(static_cast<std::int64_t>(n));
    } else {
      builder_.append(value::double_(static_cast<double>(n)));
    }
  }
  void floating(double d) { builder_.append(value::double_(d)); }
  void string(std::string_view s) { builder_.append(memory_->string(s)); }
  void key(std::string_view k) { builder_.key(k); }
  /// False when the text nests deeper than `max_nesting_depth`.
  [[nodiscard]] bool start_object() {
    if (builder_.depth() >= max_nesting_depth) return false;
    builder_.begin_document();
    return true;
  }
  [[nodiscard]] bool start_array() {
    if (builder_.depth() >= max_nesting_depth) return false;
    builder_.begin_array();
    return true;
  }
  void end_array() { builder_.end(); }
  /// Closes an object; a wrapper becomes its BSON value (throws `reel.input.invalid_ejson` for a
  /// malformed one).
  void end_object();

  [[nodiscard]] const value& result() const noexcept { return builder_.result(); }

 private:
  bool decode_wrapper(value& out);

  arena* memory_;
  builder builder_;
};

}  // namespace reel::bson::detail
