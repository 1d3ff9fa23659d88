// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson::arena`: the memory of the values of one message or batch. Allocation is a pointer
/// bump in a chunk; `reset()` forgets every value at once and keeps the largest chunk, so a
/// reader that reuses one arena per message allocates nothing in steady state.
///
/// Values read from an arena are valid until its next `reset()` or its destruction. To keep a
/// value longer (window state, a `$group` key), copy it into an `owned_value` (owned.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/bson/value.hpp"

namespace reel::bson {

class arena {
 public:
  /// `first_chunk`: bytes of the first chunk (later chunks double, up to 1 MiB each at least
  /// the request).
  explicit arena(std::size_t first_chunk = 4096) : next_chunk_size_(first_chunk) {}
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  /// The values move with their chunks; the moved-from arena is empty.
  arena(arena&& other) noexcept { *this = std::move(other); }
  arena& operator=(arena&& other) noexcept {
    chunks_ = std::move(other.chunks_);
    cursor_ = std::exchange(other.cursor_, 0);
    limit_ = std::exchange(other.limit_, 0);
    next_chunk_size_ = other.next_chunk_size_;
    other.chunks_.clear();
    return *this;
  }

  /// `size` bytes aligned to `align` (a power of two, at most 16).
  [[nodiscard]] void* allocate(std::size_t size, std::size_t align = alignof(std::max_align_t)) {
    auto p = (cursor_ + (align - 1)) & ~static_cast<std::uintptr_t>(align - 1);
    if (p + size > limit_) {
      grow(size + align);
      p = (cursor_ + (align - 1)) & ~static_cast<std::uintptr_t>(align - 1);
    }
    cursor_ = p + size;
    return reinterpret_cast<void*>(p);
  }
  template <class T>
  [[nodiscard]] T* allocate_array(std::size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T)));
  }

  /// Forgets every value; keeps the largest chunk for the next message.
  void reset() noexcept {
    if (chunks_.size() > 1) {
      auto largest =
          std::max_element(chunks_.begin(), chunks_.end(),
                           [](const chunk& a, const chunk& b) { return a.size < b.size; });
      chunk keep = std::move(*largest);
      chunks_.clear();
      chunks_.push_back(std::move(keep));
    }
    if (chunks_.empty()) {
      cursor_ = limit_ = 0;
    } else {
      cursor_ = reinterpret_cast<std::uintptr_t>(chunks_.front().data.get());
      limit_ = cursor_ + chunks_.front().size;
    }
  }

  /// Bytes held in chunks (for tests and statistics).
  [[nodiscard]] std::size_t capacity() const noexcept {
    std::size_t n = 0;
    for (const chunk& c : chunks_)
      n += c.size;
    return n;
  }

  // ---- values whose payload is copied into the arena ----
  [[nodiscard]] std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate_array<char>(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  [[nodiscard]] value string(std::string_view s, type t = type::string) {
    return value::string(copy(s), t);
  }
  [[nodiscard]] value decimal(const decimal128& d) {
    auto* p = static_cast<decimal128*>(allocate(sizeof(decimal128), 8));
    *p = d;
    return value::decimal(p);
  }
  [[nodiscard]] value oid(const object_id& id) {
    auto* p = static_cast<object_id*>(allocate(sizeof(object_id), 4));
    *p = id;
    return value::oid(p);
  }
  [[nodiscard]] value binary(std::span<const std::uint8_t> data, std::uint8_t subtype) {
    auto* p = allocate_array<std::uint8_t>(data.size());
    if (!data.empty()) std::memcpy(p, data.data(), data.size());
    return value::binary({p, data.size()}, subtype);
  }
  [[nodiscard]] value regex(std::string_view pattern, std::string_view options) {
    char* p = allocate_array<char>(pattern.size() + options.size() + 2);
    // An empty view may hold a null pointer, which memcpy must not be given.
    if (!pattern.empty()) std::memcpy(p, pattern.data(), pattern.size());
    p[pattern.size()] = '\0';
    if (!options.empty()) std::memcpy(p + pattern.size() + 1, options.data(), options.size());
    p[pattern.size() + 1 + options.size()] = '\0';
    return value::regex(p, pattern.size());
  }
  /// A copy of `v` (and everything it points to) in this arena.
  [[nodiscard]] value deep_copy(const value& v);

 private:
  struct chunk {
    std::unique_ptr<std::byte[]> data;
    std::size_t size = 0;
  };
  void grow(std::size_t at_least) {
    std::size_t size = std::max(next_chunk_size_, at_least);
    chunk c{std::unique_ptr<std::byte[]>(new std::byte[size]), size};
    cursor_ = reinterpret_cast<std::uintptr_t>(c.data.get());
    limit_ = cursor_ + size;
    chunks_.push_back(std::move(c));
    next_chunk_size_ = std::min<std::size_t>(next_chunk_size_ * 2, std::size_t{1} << 20);
  }

  std::vector<chunk> chunks_;
  std::uintptr_t cursor_ = 0;
  std::uintptr_t limit_ = 0;
  std::size_t next_chunk_size_ = 4096;
};

}  // namespace reel::bson
