// SPDX-License-Identifier: Apache-2.0
// Shared by the fuzz harnesses of tests/fuzz (issue #16): the input as text, a stream processor
// that records what comes out, and the invariant check. A violated invariant calls abort(), which
// libFuzzer reports as a crash with the input that caused it (and the replay test fails).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <reel/error.hpp>
#include <reel/json.hpp>

namespace reel_fuzz {

using reel::json::document;

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The text before the first `separator` and the text after it (empty when there is none).
inline std::pair<std::string_view, std::string_view> split_once(std::string_view text,
                                                                std::string_view separator) {
  const std::size_t cut = text.find(separator);
  if (cut == std::string_view::npos) return {text, {}};
  return {text.substr(0, cut), text.substr(cut + separator.size())};
}

/// Stops the run with a message: libFuzzer saves the input as a crash.
[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}
inline void expect(bool ok, const char* what) {
  if (!ok) violated(what);
}

/// The start of processing time in the harnesses: 2024-01-01T00:00:00Z.
inline constexpr std::int64_t start_millis = 1'704'067'200'000;

/// A stream processor on a manual clock whose outputs and DLQ records are serialized as they
/// arrive (`dump()` must not throw: every string in them is valid UTF-8) and counted.
struct recording_processor {
  explicit recording_processor(const document& pipeline) : sp(pipeline, {}, options(clock)) {
    sp.on_output([this](const document& d) {
      ++outputs;
      output_bytes += d.dump().size();
      if (d.contains("n") && d["n"].is_number_integer()) counted += d["n"].get<std::int64_t>();
    });
    sp.on_dead_letter([this](const document& d) {
      ++dead_letters;
      output_bytes += d.dump().size();
    });
  }
  static reel::json::stream_processor_options options(const reel::manual_clock& c) {
    reel::json::stream_processor_options o;
    o.name = "fuzz";
    o.clock = &c;
    return o;
  }
  /// A statistic as an integer (0 when absent).
  [[nodiscard]] std::int64_t stat(const char* name) const {
    const document s = sp.stats();
    return s.contains(name) && s[name].is_number_integer() ? s[name].get<std::int64_t>() : 0;
  }
  /// The callbacks saw what the statistics count.
  void check_counts() const {
    expect(stat("outputMessageCount") == outputs, "outputMessageCount == outputs delivered");
    expect(stat("dlqMessageCount") == dead_letters, "dlqMessageCount == DLQ records delivered");
  }

  reel::manual_clock clock{reel::from_millis(start_millis)};
  reel::json::stream_processor sp;
  std::int64_t outputs = 0;
  std::int64_t dead_letters = 0;
  /// The sum of the `n` fields of the outputs: events counted by a `n: {$sum: 1}` accumulator.
  std::int64_t counted = 0;
  std::size_t output_bytes = 0;
};

/// A few fixed events (NDJSON lines) that the pipeline harnesses push: dates, numbers of every
/// kind, strings, arrays, nesting, missing fields.
inline const std::vector<std::string>& sample_lines() {
  static const std::vector<std::string> lines = {
      R"({"k": "a", "v": 1, "t": {"$date": "2024-01-01T00:00:00Z"}, "a": [1, 2, 3], "s": "hello"})",
      R"({"k": "b", "v": 2.5, "t": {"$date": "2024-01-01T00:00:03.500Z"}, "a": [], "o": {"x": 1, "y": [{"z": "w"}]}})",
      R"({"k": "a", "v": {"$numberLong": "9223372036854775807"}, "t": {"$date": "2024-01-01T00:00:09.999Z"}, "a": "str"})",
      R"({"k": null, "v": -0.0, "t": {"$date": "2024-01-01T00:00:10Z"}, "s": "h\u00e9llo \ud83d\ude00"})",
      R"({"k": "a", "v": "x", "t": "2024-01-01T00:00:11Z", "a": [{"b": 1}, {"b": [2, 3]}]})",
      R"({"v": 7, "t": {"$date": "2023-12-31T23:59:50Z"}})",
      R"({"k": {"n": [1, {"m": 2}]}, "v": 1e308, "t": {"$date": {"$numberLong": "1704067230000"}}})",
      R"({"k": "b", "v": 3, "t": {"$date": "2024-01-01T00:01:00Z"}, "a": [null, true, 1.5]})",
      R"(not json)",
      R"([1, 2])",
  };
  return lines;
}

/// Pushes the sample lines (processing time moving one second per line), then flushes; every
/// output and DLQ record is serialized. Library errors (`reel::error`) are acceptable results.
inline void run_samples(recording_processor& p) {
  for (const std::string& line : sample_lines()) {
    p.clock.advance(reel::duration(1000));
    reel::source_message m;
    m.payload = line;
    p.sp.push(std::move(m));
    p.sp.advance();
  }
  p.sp.flush();
  (void)p.sp.stats().dump();
}

}  // namespace reel_fuzz
