// SPDX-License-Identifier: Apache-2.0
// Byte sizes as people write and read them: `--max-state-bytes 512MB`, `state 12.3 MiB`.
#pragma once

#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace reel::cli {

/// `N` (bytes) or `N<unit>` with an optional space: `KB`, `MB`, `GB`, `TB` are powers of 1000,
/// `KiB`, `MiB`, `GiB`, `TiB` powers of 1024, `B` is 1 (units in any case). The number may have
/// a fraction (`1.5GiB`). Empty when the text is not such a size or does not fit 64 bits.
inline std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.'))
    ++digits;
  if (digits == 0) return std::nullopt;
  double number = 0;
  const std::string number_text(text.substr(0, digits));
  auto [p, ec] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (ec != std::errc{} || p != number_text.data() + number_text.size()) return std::nullopt;
  std::string unit;
  for (char c : text.substr(digits)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  double scale = 1;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "kb") {
    scale = 1e3;
  } else if (unit == "mb") {
    scale = 1e6;
  } else if (unit == "gb") {
    scale = 1e9;
  } else if (unit == "tb") {
    scale = 1e12;
  } else if (unit == "kib") {
    scale = 1024.0;
  } else if (unit == "mib") {
    scale = 1024.0 * 1024;
  } else if (unit == "gib") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "tib") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  const double bytes = number * scale;
  if (!(bytes < 18446744073709551616.0)) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

/// `512 B`, `12.3 KiB`, `1.0 GiB`: one decimal from KiB on.
inline std::string format_byte_size(std::uint64_t bytes) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  std::size_t u = 0;
  while (value >= 1024 && u + 1 < std::size(units)) {
    value /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", value, units[u]);
}

}  // namespace reel::cli
