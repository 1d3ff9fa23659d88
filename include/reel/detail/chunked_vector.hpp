// SPDX-License-Identifier: Apache-2.0
/// \file
/// A vector whose elements live in fixed-size chunks (a power of two of elements, at most 4 KiB a
/// chunk unless an element is larger than 512 bytes) reached through a table of chunk pointers.
/// Growing never moves an element, and shrinking releases the chunks past the end, keeping less
/// than one and a half chunks of room: the memory held follows the current size, not the largest
/// size ever reached, while a size that goes up and down around a chunk boundary allocates at most
/// once every half chunk.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace reel::detail {

template <class T>
class chunked_vector {
 public:
  /// Elements per chunk: a power of two, as many as fit in 4 KiB, at least 8.
  static constexpr std::size_t chunk_size =
      std::bit_floor(std::max<std::size_t>(8, 4096 / sizeof(T)));

  chunked_vector() = default;
  chunked_vector(const chunked_vector& other) {
    for (std::size_t i = 0; i < other.size_; ++i)
      emplace_back(other[i]);
  }
  chunked_vector(chunked_vector&& other) noexcept
      : chunks_(std::move(other.chunks_)), size_(std::exchange(other.size_, 0)) {}
  chunked_vector& operator=(const chunked_vector& other) {
    if (this != &other) {
      chunked_vector copy(other);
      swap(copy);
    }
    return *this;
  }
  chunked_vector& operator=(chunked_vector&& other) noexcept {
    if (this != &other) {
      clear();
      chunks_ = std::move(other.chunks_);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~chunked_vector() { clear(); }

  void swap(chunked_vector& other) noexcept {
    chunks_.swap(other.chunks_);
    std::swap(size_, other.size_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  [[nodiscard]] T& operator[](std::size_t i) noexcept { return *slot(i); }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    return *const_cast<chunked_vector*>(this)->slot(i);
  }
  [[nodiscard]] T& back() noexcept { return *slot(size_ - 1); }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == chunks_.size() * chunk_size)
      chunks_.push_back(std::make_unique_for_overwrite<chunk>());
    T* p = ::new (storage(size_)) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }

  /// Destroys the last element; releases the last chunk once more than a chunk and a half of room
  /// would be left (so at least half a chunk of room remains).
  void pop_back() noexcept {
    --size_;
    std::destroy_at(slot(size_));
    if (size_ + chunk_size + chunk_size / 2 <= chunks_.size() * chunk_size) chunks_.pop_back();
  }

  void clear() noexcept {
    while (size_ > 0) {
      --size_;
      std::destroy_at(slot(size_));
    }
    chunks_.clear();
  }

  /// Bytes held: the chunks (used or not) and the table of chunk pointers.
  [[nodiscard]] std::size_t bytes() const noexcept {
    return chunks_.size() * sizeof(chunk) + chunks_.capacity() * sizeof(std::unique_ptr<chunk>);
  }

 private:
  static constexpr unsigned chunk_shift = static_cast<unsigned>(std::countr_zero(chunk_size));

  struct chunk {
    alignas(T) std::byte bytes[sizeof(T) * chunk_size];
  };

  void* storage(std::size_t i) noexcept {
    return chunks_[i >> chunk_shift]->bytes + (i & (chunk_size - 1)) * sizeof(T);
  }
  T* slot(std::size_t i) noexcept { return std::launder(static_cast<T*>(storage(i))); }

  std::vector<std::unique_ptr<chunk>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace reel::detail
