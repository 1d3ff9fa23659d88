// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: pipeline definitions (issue #16). The input is a pipeline as JSON text, or in
// mongosh syntax when it starts with '/' (a `//` comment line, e.g. "// mongosh"). It is compiled
// into a stream processor on a manual clock, which then runs the fixed sample events of
// fuzz_support.hpp and flushes. A definition error (`reel::error`) is a fine outcome; a crash, a
// hang, another exception, a sanitizer report or an output that cannot be serialized is a
// finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = reel_fuzz::as_text(data, size);
  reel_fuzz::document pipeline;
  try {
    pipeline = !text.empty() && text.front() == '/' ? reel::json::parse_pipeline_text(text, "fuzz")
                                                    : reel::json::parse_ejson_line(text);
  } catch (const reel::error&) {
    return 0;  // not a definition: a located syntax error
  }
  std::optional<reel_fuzz::recording_processor> p;
  try {
    p.emplace(pipeline);
  } catch (const reel::error&) {
    return 0;  // a located definition error
  }
  try {
    reel_fuzz::run_samples(*p);
  } catch (const reel::error&) {
    // A runtime error that stops the processor (a sink failure); events are not lost silently.
  }
  p->check_counts();
  return 0;
}
