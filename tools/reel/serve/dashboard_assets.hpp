// SPDX-License-Identifier: Apache-2.0
// The dashboard's files (tools/reel/serve/dashboard/), embedded into the program at build time
// by embed_assets.cmake: `reel serve` serves them at / and /dashboard/NAME.
#pragma once

#include <span>
#include <string_view>

namespace reel::serve {

struct dashboard_asset {
  std::string_view name;  ///< `index.html`, `dashboard.js`, ...
  std::string_view content_type;
  std::string_view bytes;
};

/// Every file of the dashboard, by name.
[[nodiscard]] std::span<const dashboard_asset> dashboard_assets() noexcept;

/// The file called `name`, or null.
[[nodiscard]] inline const dashboard_asset* find_dashboard_asset(std::string_view name) noexcept {
  for (const dashboard_asset& a : dashboard_assets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace reel::serve
