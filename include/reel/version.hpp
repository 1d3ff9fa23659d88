// SPDX-License-Identifier: Apache-2.0
#pragma once

#define REEL_VERSION_MAJOR 0
#define REEL_VERSION_MINOR 1
#define REEL_VERSION_PATCH 0

namespace reel {
inline constexpr const char* version_string = "0.1.0";
}  // namespace reel
