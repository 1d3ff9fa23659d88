// SPDX-License-Identifier: Apache-2.0
/// \file
/// Checksums for checkpoints: CRC32C (Castagnoli, as iSCSI, ext4 and Kafka record batches use)
/// guards stored bytes against torn writes and bit flips; a 64-bit FNV-1a hash fingerprints a
/// pipeline definition.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace reel::detail {

inline constexpr std::array<std::uint32_t, 256> crc32c_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1u) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

/// CRC32C of `bytes`, continuing from `crc` (the CRC of what came before, 0 at the start).
/// `crc32c("123456789") == 0xE3069283`.
constexpr std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0) noexcept {
  crc = ~crc;
  for (char ch : bytes)
    crc = crc32c_table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

/// 64-bit FNV-1a of `bytes`: a fingerprint, not a guard against corruption.
constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char ch : bytes) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace reel::detail
