// SPDX-License-Identifier: Apache-2.0
/// \file
/// A monotone priority queue (a radix heap) of 32-bit items linked through two 32-bit fields of
/// their own: it holds no memory per item, only 66 list heads. An item's key is read from the item
/// (`nodes.key(i)`) and may grow while the item is queued: the queue notices when it looks at the
/// item (lazily), so growing a key costs nothing. Monotone: once items have been taken through a
/// bound, only keys above that bound may be inserted.
///
/// Items are in buckets by the highest bit in which their key differs from the base (bucket 0:
/// equal to it). Taking the items with keys up to a bound looks at the lowest non-empty bucket,
/// moves up the items whose key grew out of it, and either takes its smallest key as the new base
/// (spreading the bucket over the lower ones, down to bucket 0, whose items are taken) or, when
/// that key is past the bound, stops. Each item moves down at most 64 times between two of its
/// key's increases.
///
/// `Nodes` gives access to the items: `std::uint32_t& prev(i)`, `std::uint32_t& next(i)` (the
/// link fields, for the queue only) and `std::uint64_t key(i)`. Items must be below 2^31. Taken
/// items go to a list of their own (sorted by the caller, then read with `taken_front` and `next`
/// and removed with `erase`); `relocate` follows an item moved to another index.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace reel::detail {

class radix_queue {
 public:
  static constexpr std::uint32_t none = 0xFFFFFFFF;

  radix_queue() { clear(); }

  /// The key of a signed value, ordered as the value.
  static constexpr std::uint64_t key_of(std::int64_t v) noexcept {
    return static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63);
  }
  static constexpr std::int64_t value_of(std::uint64_t key) noexcept {
    return static_cast<std::int64_t>(key ^ (std::uint64_t{1} << 63));
  }

  [[nodiscard]] bool empty() const noexcept { return nonempty_ == 0 && heads_[0] == none; }

  void clear() noexcept {
    heads_.fill(none);
    nonempty_ = 0;
    base_ = 0;
    lower_bound_ = std::numeric_limits<std::uint64_t>::max();
  }

  /// Queues item `i` (its key must not be below the base).
  template <class Nodes>
  void insert(std::uint32_t i, const Nodes& nodes) {
    const std::uint64_t key = nodes.key(i);
    assert(key >= base_ && "radix_queue: a key below the base");
    lower_bound_ = std::min(lower_bound_, key);
    push(bucket_of(key), i, nodes);
  }

  /// Removes item `i` from the queue or from the taken items.
  template <class Nodes>
  void erase(std::uint32_t i, const Nodes& nodes) {
    const std::uint32_t prev = nodes.prev(i);
    const std::uint32_t next = nodes.next(i);
    if (next != none) nodes.prev(next) = prev;
    if (is_head(prev)) {
      const std::uint32_t list = prev & ~head_tag;
      heads_[list] = next;
      if (next == none && list != 0 && list != taken_list) nonempty_ &= ~bucket_bit(list);
    } else {
      nodes.next(prev) = next;
    }
  }

  /// The item at index `to` was moved there (links included): its neighbours now point to it.
  template <class Nodes>
  void relocate(std::uint32_t to, const Nodes& nodes) {
    const std::uint32_t prev = nodes.prev(to);
    const std::uint32_t next = nodes.next(to);
    if (next != none) nodes.prev(next) = to;
    if (is_head(prev)) {
      heads_[prev & ~head_tag] = to;
    } else {
      nodes.next(prev) = to;
    }
  }

  /// Moves every queued item with key at or below `bound` to the taken items; returns whether it
  /// took any. The base becomes at most `bound`: afterwards, only keys above `bound` may be
  /// inserted.
  template <class Nodes>
  bool take_through(std::uint64_t bound, const Nodes& nodes) {
    if (bound < lower_bound_) return false;
    bool took = false;
    for (;;) {
      const int k = lowest_bucket();
      if (k < 0) {
        lower_bound_ = std::numeric_limits<std::uint64_t>::max();
        return took;
      }
      std::uint64_t smallest = 0;
      std::uint32_t kept = sift(k, nodes, smallest);
      if (kept == none) continue;
      if (smallest > bound) {
        // Nothing more to take. Rebasing on the bound spreads the bucket, so that the next call
        // looks only at the items nearest to closing.
        if (bound > base_) base_ = bound;
        spread(kept, nodes);
        lower_bound_ = smallest;
        return took;
      }
      if (k == 0) {  // keys equal to the base
        for (std::uint32_t i = kept; i != none;) {
          const std::uint32_t next = nodes.next(i);
          push(taken_list, i, nodes);
          i = next;
        }
        took = true;
        continue;
      }
      base_ = smallest;
      spread(kept, nodes);
    }
  }

  /// The smallest key queued (exact), or the largest key when empty. Changes nothing.
  template <class Nodes>
  [[nodiscard]] std::uint64_t min_key(const Nodes& nodes) const {
    // Keys only grow, so an item is never below the lowest key of its bucket: look at the buckets
    // upwards until one starts above the smallest key seen.
    std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
    for (int k = 0; k <= 64; ++k) {
      if (heads_[static_cast<std::size_t>(k)] == none) continue;
      if (bucket_floor(k) > smallest) break;
      for (std::uint32_t i = heads_[static_cast<std::size_t>(k)]; i != none; i = nodes.next(i))
        smallest = std::min(smallest, nodes.key(i));
    }
    return smallest;
  }

  [[nodiscard]] std::uint32_t taken_front() const noexcept { return heads_[taken_list]; }

  /// Sorts the taken items by `less(a, b)` (a merge sort of the list: no memory).
  template <class Nodes, class Less>
  void sort_taken(const Nodes& nodes, Less&& less) {
    std::size_t n = 0;
    for (std::uint32_t i = heads_[taken_list]; i != none; i = nodes.next(i))
      ++n;
    std::uint32_t head = sort_list(heads_[taken_list], n, nodes, less);
    heads_[taken_list] = head;
    std::uint32_t prev = head_tag | taken_list;
    for (std::uint32_t i = head; i != none; i = nodes.next(i)) {
      nodes.prev(i) = prev;
      prev = i;
    }
  }

  /// Bytes held by the queue (the list heads).
  [[nodiscard]] static constexpr std::size_t bytes() noexcept {
    return sizeof(std::array<std::uint32_t, lists>);
  }

 private:
  static constexpr std::uint32_t head_tag = 0x80000000;  ///< a link to a list head
  static constexpr std::size_t taken_list = 65;
  static constexpr std::size_t lists = 66;  ///< buckets 0 to 64, taken items

  static bool is_head(std::uint32_t link) noexcept { return (link & head_tag) != 0; }
  static std::uint64_t bucket_bit(std::size_t bucket) noexcept {
    return std::uint64_t{1} << (bucket - 1);
  }

  std::size_t bucket_of(std::uint64_t key) const noexcept {
    return key == base_ ? 0 : static_cast<std::size_t>(64 - std::countl_zero(key ^ base_));
  }
  /// The smallest key that bucket `k` may hold.
  std::uint64_t bucket_floor(int k) const noexcept {
    if (k == 0) return base_;
    const int bit = k - 1;
    return ((base_ >> bit) | 1) << bit;
  }
  int lowest_bucket() const noexcept {
    if (heads_[0] != none) return 0;
    return nonempty_ == 0 ? -1 : std::countr_zero(nonempty_) + 1;
  }

  template <class Nodes>
  void push(std::size_t list, std::uint32_t i, const Nodes& nodes) {
    const std::uint32_t head = heads_[list];
    nodes.prev(i) = head_tag | static_cast<std::uint32_t>(list);
    nodes.next(i) = head;
    if (head != none) nodes.prev(head) = i;
    heads_[list] = i;
    if (list != 0 && list != taken_list) nonempty_ |= bucket_bit(list);
  }

  /// Empties bucket `k`: items whose key grew out of it go to their bucket, the others are
  /// returned as a chain through `next` (`smallest`: their smallest key).
  template <class Nodes>
  std::uint32_t sift(int k, const Nodes& nodes, std::uint64_t& smallest) {
    const auto bucket = static_cast<std::size_t>(k);
    std::uint32_t i = heads_[bucket];
    heads_[bucket] = none;
    if (bucket != 0) nonempty_ &= ~bucket_bit(bucket);
    std::uint32_t kept = none;
    smallest = std::numeric_limits<std::uint64_t>::max();
    while (i != none) {
      const std::uint32_t next = nodes.next(i);
      const std::uint64_t key = nodes.key(i);
      const std::size_t b = bucket_of(key);
      if (b > bucket) {
        push(b, i, nodes);
      } else {
        nodes.next(i) = kept;
        kept = i;
        smallest = std::min(smallest, key);
      }
      i = next;
    }
    return kept;
  }

  /// Puts a chain of items back, each in its bucket for the current base.
  template <class Nodes>
  void spread(std::uint32_t chain, const Nodes& nodes) {
    while (chain != none) {
      const std::uint32_t next = nodes.next(chain);
      push(bucket_of(nodes.key(chain)), chain, nodes);
      chain = next;
    }
  }

  /// Sorts the first `n` items of the chain at `head` (linked through `next`); returns the new
  /// head, the chain ending with `none`.
  template <class Nodes, class Less>
  static std::uint32_t sort_list(std::uint32_t head, std::size_t n, const Nodes& nodes,
                                 Less& less) {
    if (n <= 1) {
      if (n == 1) nodes.next(head) = none;
      return head;
    }
    std::uint32_t middle = head;
    for (std::size_t s = 0; s < n / 2; ++s)
      middle = nodes.next(middle);
    std::uint32_t a = sort_list(head, n / 2, nodes, less);
    std::uint32_t b = sort_list(middle, n - n / 2, nodes, less);
    std::uint32_t out = none;
    std::uint32_t* tail = &out;
    while (a != none && b != none) {
      if (less(b, a)) {  // stable: a first on ties
        *tail = b;
        tail = &nodes.next(b);
        b = *tail;
      } else {
        *tail = a;
        tail = &nodes.next(a);
        a = *tail;
      }
    }
    *tail = a != none ? a : b;
    return out;
  }

  std::array<std::uint32_t, lists> heads_{};
  std::uint64_t nonempty_ = 0;  ///< bit k - 1: bucket k (1 to 64) holds items
  std::uint64_t base_ = 0;
  std::uint64_t lower_bound_ = 0;  ///< no queued key is below it
};

}  // namespace reel::detail
