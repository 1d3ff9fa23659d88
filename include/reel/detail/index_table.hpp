// SPDX-License-Identifier: Apache-2.0
/// \file
/// An open-addressing hash table of 32-bit indices into storage kept elsewhere: the keys live in
/// the indexed elements, so a slot is 4 bytes and the caller compares keys. Several entries may
/// share a key (they all lie in the probe run of their hash). Linear probing, backward-shift
/// deletion, a Fibonacci mix on top of the caller's hash; the table grows when 7/8 full and
/// halves when under 1/4 full, so its size follows the number of entries.
///
/// Operations that move entries (insert when growing, erase) take `hash_of(index)`, the hash of
/// the key of a stored entry.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace reel::detail {

class index_table {
 public:
  static constexpr std::uint32_t no_index = 0xFFFFFFFF;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Calls `visit(index)` for the entries of the probe run of `hash`, in probe order, while it
  /// returns true: every entry whose key hashes to `hash` is among them.
  template <class Visit>
  void probe(std::size_t hash, Visit&& visit) const {
    if (size_ == 0) return;
    for (std::size_t i = home(hash); slots_[i] != no_index; i = (i + 1) & mask_) {
      if (!visit(slots_[i])) return;
    }
  }

  template <class HashOf>
  void insert(std::size_t hash, std::uint32_t index, HashOf&& hash_of) {
    if (size_ + 1 > grow_at_) rehash(slots_.empty() ? min_capacity : slots_.size() * 2, hash_of);
    std::size_t i = home(hash);
    while (slots_[i] != no_index)
      i = (i + 1) & mask_;
    slots_[i] = index;
    ++size_;
  }

  /// Removes the entry `index` (stored under `hash`), if present.
  template <class HashOf>
  void erase(std::size_t hash, std::uint32_t index, HashOf&& hash_of) {
    const std::size_t at = find(hash, index);
    if (at == npos) return;
    std::size_t hole = at;
    for (std::size_t j = (at + 1) & mask_; slots_[j] != no_index; j = (j + 1) & mask_) {
      const std::size_t h = home(hash_of(slots_[j]));
      // Move j into the hole when its home does not lie cyclically in (hole, j].
      const bool home_in_between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (!home_in_between) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = no_index;
    --size_;
    if (size_ < slots_.size() / 4 && slots_.size() > min_capacity)
      rehash(slots_.size() / 2, hash_of);
  }

  /// The entry `from` (stored under `hash`) becomes `to`: its element moved.
  void replace(std::size_t hash, std::uint32_t from, std::uint32_t to) noexcept {
    const std::size_t at = find(hash, from);
    if (at != npos) slots_[at] = to;
  }

  void clear() {
    slots_ = {};
    size_ = 0;
    grow_at_ = 0;
    mask_ = 0;
    shift_ = 64;
  }

  /// Bytes held by the table.
  [[nodiscard]] std::size_t bytes() const noexcept {
    return slots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  static constexpr std::size_t min_capacity = 16;
  static constexpr std::size_t npos = ~std::size_t{0};

  std::size_t home(std::size_t hash) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ULL) >>
                                    shift_) &
           mask_;
  }

  std::size_t find(std::size_t hash, std::uint32_t index) const noexcept {
    if (size_ == 0) return npos;
    for (std::size_t i = home(hash); slots_[i] != no_index; i = (i + 1) & mask_) {
      if (slots_[i] == index) return i;
    }
    return npos;
  }

  template <class HashOf>
  void rehash(std::size_t capacity, HashOf& hash_of) {
    std::vector<std::uint32_t> old(capacity, no_index);
    old.swap(slots_);
    mask_ = capacity - 1;
    grow_at_ = capacity * 7 / 8;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    for (const std::uint32_t index : old) {
      if (index == no_index) continue;
      std::size_t i = home(hash_of(index));
      while (slots_[i] != no_index)
        i = (i + 1) & mask_;
      slots_[i] = index;
    }
  }

  std::vector<std::uint32_t> slots_;
  std::size_t size_ = 0;
  std::size_t grow_at_ = 0;  ///< the size that fills the table to 7/8: the next insert grows
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace reel::detail
