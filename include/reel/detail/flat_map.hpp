// SPDX-License-Identifier: Apache-2.0
/// \file
/// An open-addressing hash map (linear probing, power-of-two capacity, keys and values stored
/// together in one array) for window state: no allocation per insert once the table has grown,
/// and a Fibonacci mix on top of the hash so that integer keys spread well.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace reel::detail {

template <class Key, class Value, class Hash = std::hash<Key>, class Equal = std::equal_to<Key>>
class flat_map {
  /// A key type other than `Key` that `Hash` and `Equal` accept (both declare `is_transparent`).
  template <class K>
  static constexpr bool transparent_lookup = !std::is_same_v<K, Key> && requires {
    typename Hash::is_transparent;
    typename Equal::is_transparent;
  };

 public:
  using value_type = std::pair<Key, Value>;

  flat_map() = default;
  explicit flat_map(Hash hash, Equal equal = Equal{})
      : hash_(std::move(hash)), equal_(std::move(equal)) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

  /// The value for `key`, default-constructed by `make()` when absent.
  template <class Make>
  Value& find_or_insert(const Key& key, Make&& make) {
    return find_or_insert_as(key, make);
  }
  /// Heterogeneous form, for a transparent `Hash` and `Equal`: looks up with `key` (a borrowed
  /// view of a key, e.g. a value not owned by the caller) and converts it to `Key` only when it
  /// inserts.
  template <class K, class Make>
  requires transparent_lookup<K> Value& find_or_insert(const K& key, Make&& make) {
    return find_or_insert_as(key, make);
  }
  Value& operator[](const Key& key) {
    return find_or_insert(key, [] { return Value{}; });
  }

  [[nodiscard]] Value* find(const Key& key) noexcept { return find_as(key); }
  [[nodiscard]] const Value* find(const Key& key) const noexcept {
    return const_cast<flat_map*>(this)->find_as(key);
  }
  template <class K>
  requires transparent_lookup<K>
  [[nodiscard]] Value* find(const K& key) noexcept { return find_as(key); }
  template <class K>
  requires transparent_lookup<K>
  [[nodiscard]] const Value* find(const K& key) const noexcept {
    return const_cast<flat_map*>(this)->find_as(key);
  }

  /// Removes `key` if present (backward-shift deletion keeps probing chains intact).
  bool erase(const Key& key) {
    if (size_ == 0) return false;
    std::size_t i = index_of(key);
    while (used_[i] && !equal_(slots_[i].first, key))
      i = (i + 1) & mask_;
    if (!used_[i]) return false;
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; used_[j]; j = (j + 1) & mask_) {
      const std::size_t home = index_of(slots_[j].first);
      // Move j into the hole when its home position does not lie cyclically in (hole, j].
      const bool home_in_between =
          hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!home_in_between) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    used_[hole] = 0;
    slots_[hole] = value_type{};
    --size_;
    return true;
  }

  /// Makes room for `n` entries: inserting them will not grow the table.
  void reserve(std::size_t n) {
    std::size_t capacity = slots_.empty() ? 8 : slots_.size();
    while (capacity * 7 / 8 < n)
      capacity *= 2;
    if (capacity > slots_.size()) rehash(capacity);
  }

  /// Destroys every entry (what keys and values own is released) but keeps the table, so that a
  /// map taken from a pool is filled again without allocating.
  void reset() {
    for (std::size_t i = 0; i < slots_.size() && size_ > 0; ++i) {
      if (!used_[i]) continue;
      slots_[i] = value_type{};
      used_[i] = 0;
      --size_;
    }
  }

  void clear() {
    slots_.clear();
    used_.clear();
    size_ = 0;
    grow_at_ = 0;
    mask_ = 0;
  }

  /// Calls `f(key, value)` for every entry, in table order.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (used_[i]) f(slots_[i].first, slots_[i].second);
    }
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (used_[i]) f(slots_[i].first, slots_[i].second);
    }
  }

  /// Bytes held by the table itself (not by what keys and values own).
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return slots_.capacity() * sizeof(value_type) + used_.capacity();
  }

 private:
  template <class K, class Make>
  Value& find_or_insert_as(const K& key, Make& make) {
    if (!slots_.empty()) [[likely]] {
      std::size_t i = index_of(key);
      while (used_[i]) {
        if (equal_(slots_[i].first, key)) return slots_[i].second;
        i = (i + 1) & mask_;
      }
      if (size_ < grow_at_) [[likely]] {  // room without growing: insert where the probe ended
        used_[i] = 1;
        ++size_;
        store_key(slots_[i].first, key);
        slots_[i].second = make();
        return slots_[i].second;
      }
    }
    return insert_after_growing(key, make);
  }

  template <class K>
  [[nodiscard]] Value* find_as(const K& key) noexcept {
    if (size_ == 0) return nullptr;
    for (std::size_t i = index_of(key); used_[i]; i = (i + 1) & mask_) {
      if (equal_(slots_[i].first, key)) return &slots_[i].second;
    }
    return nullptr;
  }

  template <class K>
  static void store_key(Key& slot, const K& key) {
    if constexpr (std::is_same_v<K, Key>) {
      slot = key;
    } else {
      slot = Key(key);  // the only copy of a borrowed key: the group is new
    }
  }

  template <class K>
  std::size_t index_of(const K& key) const noexcept {
    const std::uint64_t h = static_cast<std::uint64_t>(hash_(key)) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h >> shift_) & mask_;
  }
  /// Grows (the table is full, or has no slots yet), then inserts `key`, known to be absent.
  template <class K, class Make>
  [[gnu::noinline]] Value& insert_after_growing(const K& key, Make& make) {
    grow();
    std::size_t i = index_of(key);
    while (used_[i])
      i = (i + 1) & mask_;
    used_[i] = 1;
    ++size_;
    store_key(slots_[i].first, key);
    slots_[i].second = make();
    return slots_[i].second;
  }

  void grow() { rehash(slots_.empty() ? 8 : slots_.size() * 2); }

  void rehash(std::size_t new_capacity) {
    std::vector<value_type> old_slots(new_capacity);
    std::vector<std::uint8_t> old_used(new_capacity, 0);
    old_slots.swap(slots_);
    old_used.swap(used_);
    mask_ = new_capacity - 1;
    grow_at_ = new_capacity * 7 / 8;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(new_capacity));
    size_ = 0;
    for (std::size_t i = 0; i < old_slots.size(); ++i) {
      if (!old_used[i]) continue;
      std::size_t j = index_of(old_slots[i].first);
      while (used_[j])
        j = (j + 1) & mask_;
      used_[j] = 1;
      slots_[j] = std::move(old_slots[i]);
      ++size_;
    }
  }

  std::vector<value_type> slots_;
  std::vector<std::uint8_t> used_;
  std::size_t size_ = 0;
  std::size_t grow_at_ = 0;  ///< the size that fills the table to 7/8: the next insert grows
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  [[no_unique_address]] Hash hash_{};
  [[no_unique_address]] Equal equal_{};
};

}  // namespace reel::detail
