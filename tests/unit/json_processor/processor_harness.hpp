// SPDX-License-Identifier: Apache-2.0
// A JSON stream processor under test: a pipeline from text, a manual clock, outputs and DLQ
// records collected, messages pushed as payload bytes (as a source delivers them).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <reel/json.hpp>

namespace reel_test {

struct processor_harness {
  explicit processor_harness(const char* pipeline_text, bool stream_meta = false)
      : sp(reel::json::parse_pipeline_text(pipeline_text), {}, options(stream_meta)) {
    sp.on_output([this](const reel::json::document& d) { outputs.push_back(d); });
    sp.on_dead_letter([this](const reel::json::document& d) { dlq.push_back(d); });
  }
  reel::json::stream_processor_options options(bool stream_meta) {
    reel::json::stream_processor_options o;
    o.stream_meta = stream_meta;
    o.clock = &clock;
    return o;
  }
  void payload(std::string bytes) {
    reel::source_message m;
    m.payload = std::move(bytes);
    sp.push(std::move(m));
  }
  reel::manual_clock clock{reel::parse_iso8601("2024-01-01T00:00:00Z").value()};
  reel::json::stream_processor sp;
  std::vector<reel::json::document> outputs;
  std::vector<reel::json::document> dlq;
};

}  // namespace reel_test
