// SPDX-License-Identifier: Apache-2.0
// Test helper: the message of the reel::error `f` throws.
#pragma once

#include <functional>
#include <string>

#include "reel/error.hpp"

namespace reel_test {

/// `what()` of the `reel::error` that `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace reel_test
