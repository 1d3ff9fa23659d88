// SPDX-License-Identifier: Apache-2.0
// Private: hex, base64 and UUID text of binary payloads (Extended JSON spellings).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson::detail {

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Exactly `2·n` hex digits into `out[0..n)`.
inline bool decode_hex(std::string_view s, std::uint8_t* out, std::size_t n) noexcept {
  if (s.size() != 2 * n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

/// One or two hex digits (a binData subtype).
inline std::optional<std::uint8_t> parse_hex_byte(std::string_view s) noexcept {
  if (s.empty() || s.size() > 2) return std::nullopt;
  int v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + d;
  }
  return static_cast<std::uint8_t>(v);
}

inline void append_hex(std::string& out, const std::uint8_t* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
}

/// `8-4-4-4-12` hex digits with hyphens.
inline bool decode_uuid(std::string_view s, std::uint8_t* out) noexcept {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  char compact[32];
  std::size_t n = 0;
  for (char c : s) {
    if (c != '-') compact[n++] = c;
  }
  return n == 32 && decode_hex({compact, 32}, out, 16);
}

inline int base64_digit(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Padded standard base64 into a binData value in `memory`; missing when `s` is not base64.
inline value decode_base64(std::string_view s, std::uint8_t subtype, arena& memory) {
  if (s.size() % 4 != 0) return {};
  std::size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() >= 2 && s[s.size() - 2] == '=') ++pad;
  const std::size_t n = s.size() / 4 * 3 - pad;
  auto* out = memory.allocate_array<std::uint8_t>(n + 3);
  std::size_t o = 0;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    int d[4];
    for (int j = 0; j < 4; ++j) {
      const char c = s[i + static_cast<std::size_t>(j)];
      const bool padding = c == '=' && i + 4 == s.size() && j >= 4 - static_cast<int>(pad);
      d[j] = padding ? 0 : base64_digit(c);
      if (d[j] < 0) return {};
    }
    const std::uint32_t triple =
        (static_cast<std::uint32_t>(d[0]) << 18) | (static_cast<std::uint32_t>(d[1]) << 12) |
        (static_cast<std::uint32_t>(d[2]) << 6) | static_cast<std::uint32_t>(d[3]);
    out[o++] = static_cast<std::uint8_t>(triple >> 16);
    out[o++] = static_cast<std::uint8_t>(triple >> 8);
    out[o++] = static_cast<std::uint8_t>(triple);
  }
  return value::binary({out, n}, subtype);
}

inline void append_base64(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t t =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += digits[t >> 18];
    out += digits[(t >> 12) & 63];
    out += digits[(t >> 6) & 63];
    out += digits[t & 63];
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    const std::uint32_t t =
        (std::uint32_t{data[i]} << 16) | (rest == 2 ? std::uint32_t{data[i + 1]} << 8 : 0);
    out += digits[t >> 18];
    out += digits[(t >> 12) & 63];
    out += rest == 2 ? digits[(t >> 6) & 63] : '=';
    out += '=';
  }
}

}  // namespace reel::bson::detail
