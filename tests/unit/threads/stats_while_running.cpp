// SPDX-License-Identifier: Apache-2.0
// #16 item 3: stats() from another thread while the processing thread reads the source (what
// `reel run` does). The processing thread polls the source without holding the processor's lock,
// so stats() must not read the source itself: it shows what that thread published after its last
// poll. Run under ThreadSanitizer by scripts/tsan.sh, which reported a data race in
// ndjson_source/line_splitter (file source) and memory_source before.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/all.hpp"
#include "reel/json.hpp"
#include "unit/connector/temp_dir.hpp"

namespace stats_while_running {

using reel::json::document;

constexpr int events = 20'000;

/// Reads `stats()` on this thread until the processing thread ends; returns how many times the
/// source's position was seen, and checks that the figures never go backwards.
int poll_stats(reel::json::stream_processor& sp) {
  int seen = 0;
  std::int64_t last_input = 0;
  while (sp.running()) {
    const document s = sp.stats();
    const std::int64_t input = s["inputMessageCount"].get<std::int64_t>();
    CHECK(input >= last_input);
    last_input = input;
    if (s.contains("sourcePositions")) ++seen;
  }
  return seen;
}

}  // namespace stats_while_running

TEST_CASE("stats() while the processing thread reads a file source", "[connector][threads]") {
  using reel::json::document;
  connector_test::temp_dir dir;
  std::string lines;
  for (int i = 0; i < stats_while_running::events; ++i)
    lines += R"({"i": )" + std::to_string(i) + "}\n";
  connector_test::write_file(dir.path() / "in.ndjson", lines);
  reel::connection_registry r = reel::default_connections();
  r.load_connections(document{{"in", {{"type", "file"}, {"path", "in.ndjson"}}}},
                     "connections.json", dir.path());
  std::vector<document> out;
  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text("[{$source: {connectionName: 'in'}}]"), r, {});
  sp.on_output([&](const document&) { out.push_back(document()); });
  sp.start();
  CHECK(stats_while_running::poll_stats(sp) >= 0);
  sp.stop();
  CHECK_FALSE(sp.failure().has_value());
  const document s = sp.stats();
  CHECK(s["inputMessageCount"] == stats_while_running::events);
  CHECK(out.size() == static_cast<std::size_t>(stats_while_running::events));
  CHECK_FALSE(s["sourcePositions"].is_null());
}
