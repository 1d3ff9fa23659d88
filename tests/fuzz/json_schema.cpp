// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: `$jsonSchema` (issue #16). The input is a schema document and a candidate
// document (Extended JSON text) separated by a line "---". The schema is compiled and matched
// against the candidate, and against the candidate's fields and elements one by one. A definition
// or evaluation error (`reel::error`) is a fine outcome; a crash, a hang, another exception or a
// sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <reel/json/json_schema.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [schema_text, candidate_text] =
      reel_fuzz::split_once(reel_fuzz::as_text(data, size), "\n---\n");
  reel_fuzz::document schema, candidate;
  try {
    schema = reel::json::parse_ejson_line(schema_text);
    candidate = reel::json::parse_ejson_line(candidate_text);
  } catch (const reel::error&) {
    return 0;
  }
  std::optional<reel::json::json_schema> compiled;
  try {
    compiled = reel::json::compile_json_schema(schema, "/$jsonSchema");
  } catch (const reel::error&) {
    return 0;  // a located definition error
  }
  try {
    (void)compiled->matches(candidate);
    if (candidate.is_structured()) {
      for (const reel_fuzz::document& part : candidate)
        (void)compiled->matches(part);
    }
  } catch (const reel::error&) {
    // An evaluation error (a `pattern` stopped at the regex limits): a DLQ record in a pipeline.
  }
  return 0;
}
