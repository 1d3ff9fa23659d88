// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson::owned_value`: a value and everything it points to, copied out of a message's
/// arena into one exactly-sized block. What window state, `$group` keys and `$push` lists keep
/// once the message they came from is gone: one allocation per kept value, no pointers to
/// follow across the heap, and moving it is moving a pointer.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "reel/bson/value.hpp"

namespace reel::bson {

class owned_value {
 public:
  owned_value() = default;
  explicit owned_value(const value& v);
  owned_value(const owned_value& other) : owned_value(other.root_) {}
  owned_value& operator=(const owned_value& other) {
    if (this != &other) *this = owned_value(other.root_);
    return *this;
  }
  /// The block moves; the moved-from value is missing.
  owned_value(owned_value&& other) noexcept
      : storage_(std::move(other.storage_)),
        size_(std::exchange(other.size_, 0)),
        root_(std::exchange(other.root_, value{})) {}
  owned_value& operator=(owned_value&& other) noexcept {
    storage_ = std::move(other.storage_);
    size_ = std::exchange(other.size_, 0);
    root_ = std::exchange(other.root_, value{});
    return *this;
  }

  [[nodiscard]] const value& get() const noexcept { return root_; }
  const value* operator->() const noexcept { return &root_; }
  /// Bytes of the block (0 for a scalar, which needs none).
  [[nodiscard]] std::size_t footprint() const noexcept { return size_; }
  /// The bytes an `owned_value` of `v` would hold, without copying (window state accounting).
  [[nodiscard]] static std::size_t footprint_of(const value& v) noexcept;

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t size_ = 0;
  value root_;
};

}  // namespace reel::bson
