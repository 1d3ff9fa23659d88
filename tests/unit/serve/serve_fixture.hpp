// SPDX-License-Identifier: Apache-2.0
// What the tests of `reel serve` share: a state directory per test, a connections file with a
// file sink in it, pipeline texts, and a bounded wait for a condition (processors run on their
// own threads: a test waits for what they did, never for a length of time).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <reel/connector/defaults.hpp>

#include "serve/processor_host.hpp"
#include "unit/connector/temp_dir.hpp"

namespace serve_test {

using reel::serve::document;

using connector_test::read_file;
using connector_test::temp_dir;
using connector_test::write_file;

/// True as soon as `condition()` holds; false if it still does not after `limit`.
template <class F>
bool eventually(F&& condition, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

/// A state directory, a connections file (`out`: a file sink writing `out.ndjson`; `secret`: a
/// file whose path comes from $env) and a host on them.
struct fixture {
  temp_dir dir;
  std::filesystem::path state = dir.path() / "state";
  std::filesystem::path out = dir.path() / "out.ndjson";
  std::filesystem::path connections = dir.path() / "connections.json";

  fixture() {
    write_file(
        connections,
        R"({"out": {"type": "file", "path": ")" + out.string() +
            R"("}, "secret": {"type": "file", "path": {"$env": "REEL_SERVE_TEST_SECRET"}}})");
  }
  [[nodiscard]] reel::serve::host_options options() const {
    reel::serve::host_options o;
    o.state_dir = state;
    o.connections = reel::default_connections();
    o.connections_file = connections;
    o.sync = false;
    return o;
  }
  /// The `_stream_meta.source.position` of every document the file sink wrote.
  [[nodiscard]] std::vector<std::int64_t> positions() const {
    std::vector<std::int64_t> out_positions;
    std::istringstream lines(read_file(out));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      out_positions.push_back(
          document::parse(line)["_stream_meta"]["source"]["position"].get<std::int64_t>());
    }
    return out_positions;
  }
};

/// Solar readings at `rate` a second, for ever, into the file sink `out`.
inline std::string endless_pipeline(int rate = 400) {
  return R"({"pipeline": [{"$source": {"connectionName": "sample_stream_solar", "config": {"rate": )" +
         std::to_string(rate) + R"(}}}, {"$emit": {"connectionName": "out"}}]})";
}

/// `count` solar readings, grouped per device in 1-second windows; no sink (sample only).
inline std::string bounded_window_pipeline(int count = 500) {
  return R"([{"$source": {"connectionName": "sample_stream_solar", "config": {"count": )" +
         std::to_string(count) + R"(},
              "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
             {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
               "pipeline": [{"$group": {"_id": "$device_id", "n": {"$sum": 1}}}]}}])";
}

inline std::int64_t count_of(const document& stats, const char* key) {
  return stats.contains(key) ? stats[key].get<std::int64_t>() : 0;
}

/// Positions 0..n-1, each once, in order: what an uninterrupted run writes.
inline bool contiguous(const std::vector<std::int64_t>& positions) {
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

}  // namespace serve_test
