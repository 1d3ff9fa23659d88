// SPDX-License-Identifier: Apache-2.0
// Counts every allocation of a test program: replaces the global operators new and delete.
// Include it in exactly one source file of a test executable (it defines the operators), and
// read `reel_test::allocations` around the code under test.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace reel_test {
inline std::atomic<long> allocations{0};
}

void* operator new(std::size_t n) {
  ++reel_test::allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  ++reel_test::allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too: they must pair with the replaced operator delete (Catch2 uses them; under
// AddressSanitizer a sanitizer allocation freed here is an alloc-dealloc mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++reel_test::allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  ++reel_test::allocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
