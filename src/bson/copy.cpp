// SPDX-License-Identifier: Apache-2.0
// Deep copies of values: into an arena, or into the single block of an owned_value (its size
// computed first by the same walk with a counting allocator).
#include <cstring>

#include "reel/bson/arena.hpp"
#include "reel/bson/owned.hpp"

namespace reel::bson {
namespace {

/// Bump allocation from offset 0 of a 16-aligned block: counts when `base` is null.
struct block_allocator {
  std::byte* base = nullptr;
  std::size_t used = 0;
  void* allocate(std::size_t size, std::size_t align) {
    used = (used + align - 1) & ~(align - 1);
    void* p = base ? base + used : nullptr;
    used += size;
    return p;
  }
};

template <class Allocator>
void* bytes_copy(Allocator& a, const void* src, std::size_t n, std::size_t align) {
  void* p = a.allocate(n, align);
  if (p && n) std::memcpy(p, src, n);
  return p;
}

template <class Allocator>
value copy_value(const value& v, Allocator& a) {
  switch (v.type()) {
    case type::string:
    case type::symbol:
    case type::code: {
      const auto s = v.as_string();
      return value::string(
          {static_cast<const char*>(bytes_copy(a, s.data(), s.size(), 1)), s.size()}, v.type());
    }
    case type::binary: {
      const auto d = v.binary_data();
      return value::binary(
          {static_cast<const std::uint8_t*>(bytes_copy(a, d.data(), d.size(), 1)), d.size()},
          v.binary_subtype());
    }
    case type::regex: {
      const std::size_t n = v.regex_pattern().size() + v.regex_options().size() + 2;
      return value::regex(static_cast<const char*>(bytes_copy(a, v.payload_pointer(), n, 1)),
                          v.regex_pattern().size());
    }
    case type::decimal128:
      return value::decimal(
          static_cast<const decimal128*>(bytes_copy(a, v.payload_pointer(), 16, 8)));
    case type::object_id:
      return value::oid(static_cast<const object_id*>(bytes_copy(a, v.payload_pointer(), 12, 4)));
    case type::document: {
      const auto in = v.fields();
      auto* out = static_cast<field*>(a.allocate(in.size() * sizeof(field), alignof(field)));
      for (std::size_t i = 0; i < in.size(); ++i) {
        const auto name = in[i].name();
        field f{static_cast<const char*>(bytes_copy(a, name.data(), name.size(), 1)),
                in[i].name_size, copy_value(in[i].val, a)};
        if (out) out[i] = f;
      }
      return value::document({out, in.size()});
    }
    case type::array: {
      const auto in = v.elements();
      auto* out = static_cast<value*>(a.allocate(in.size() * sizeof(value), alignof(value)));
      for (std::size_t i = 0; i < in.size(); ++i) {
        const value e = copy_value(in[i], a);
        if (out) out[i] = e;
      }
      return value::array({out, in.size()});
    }
    default:
      return v;  // scalars carry their payload
  }
}

}  // namespace

value arena::deep_copy(const value& v) {
  return copy_value(v, *this);
}

std::size_t owned_value::footprint_of(const value& v) noexcept {
  block_allocator counter;
  copy_value(v, counter);
  return counter.used;
}

owned_value::owned_value(const value& v) {
  block_allocator counter;
  copy_value(v, counter);
  size_ = counter.used;
  if (size_ == 0) {
    root_ = copy_value(v, counter);  // a scalar (or empty container): nothing to hold
    return;
  }
  storage_.reset(new std::byte[size_]);
  block_allocator fill{storage_.get(), 0};
  root_ = copy_value(v, fill);
}

}  // namespace reel::bson
