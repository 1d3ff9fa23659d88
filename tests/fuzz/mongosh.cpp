// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: the mongosh-syntax reader (`reel::json::parse_pipeline_text`, issue #16).
// Any text either gives a value or a `reel.syntax.error` with a location. A value serializes
// (valid UTF-8) and reads back, as the strict JSON it was serialized to, as the same value. A
// crash, a hang, another exception or a sanitizer report is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

namespace {

/// True when `v` holds a double that JSON text cannot carry exactly (NaN, infinities).
bool has_non_finite(const reel_fuzz::document& v) {
  if (v.is_number_float()) return !std::isfinite(v.get<double>());
  if (v.is_structured()) {
    for (const auto& e : v)
      if (has_non_finite(e)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reel_fuzz::document value;
  try {
    value = reel::json::parse_pipeline_text(reel_fuzz::as_text(data, size), "fuzz.js");
  } catch (const reel::error& e) {
    reel_fuzz::expect(e.id() == "reel.syntax.error", "the reader throws only reel.syntax.error");
    reel_fuzz::expect(e.where().rfind("fuzz.js:", 0) == 0, "a syntax error names its location");
    return 0;
  }
  const std::string text = value.dump();
  if (has_non_finite(value)) return 0;
  reel_fuzz::document again;
  try {
    again = reel::json::parse_pipeline_text(text, "again");
  } catch (const reel::error&) {
    reel_fuzz::violated("the reader's own result, as JSON text, reads back");
  }
  reel_fuzz::expect(again == value, "the reader's result reads back as the same value");
  return 0;
}
