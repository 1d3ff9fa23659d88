// SPDX-License-Identifier: Apache-2.0
// A tiny Reel program: one tumbling window over three trades, typed and as a JSON pipeline.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <reel/json.hpp>
#include <reel/reel.hpp>

struct trade {
  std::string symbol;
  std::int64_t qty;
  reel::timestamp ts;
};

int main() {
  using namespace std::chrono_literals;
  static_assert(REEL_VERSION_MAJOR == 0 && REEL_VERSION_MINOR >= 1, "Reel 0.1 or later");
  std::vector<std::string> lines;
  auto proc = reel::make_processor(
      reel::from<trade>(reel::event_time(&trade::ts)) |
      reel::tumbling_window({.interval = 1min},
                            reel::group(&trade::symbol, reel::sum(&trade::qty), reel::count())) |
      reel::emit([&lines](const auto& r) {
        const auto& [sum, count] = r.values;
        lines.push_back("[" + std::to_string(reel::to_millis(r.start)) + ", " +
                        std::to_string(reel::to_millis(r.end)) + ") " + r.key +
                        " sum=" + std::to_string(sum) + " count=" + std::to_string(count));
      }));
  proc.push({"AAPL", 10, reel::from_millis(1'000)});
  proc.push({"AAPL", 20, reel::from_millis(2'000)});
  proc.push({"MDB", 5, reel::from_millis(61'000)});
  proc.flush();

  // The same trades as JSON bytes (read with simdjson when Reel was built with it).
  reel::json::stream_processor sp(reel::json::document::parse(R"([
      {"$source": {"timeField": {"$toDate": "$ts"}}},
      {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
        "pipeline": [{"$group": {"_id": "$symbol", "sum": {"$sum": "$qty"}}}]}}])"),
                                  {}, {.stream_meta = false});
  sp.on_output([&lines](const reel::json::document& d) { lines.push_back("json " + d.dump()); });
  for (const char* text : {R"({"symbol": "AAPL", "qty": 10, "ts": "1970-01-01T00:00:01Z"})",
                           R"({"symbol": "AAPL", "qty": 20, "ts": "1970-01-01T00:00:02Z"})",
                           R"({"symbol": "MDB", "qty": 5, "ts": "1970-01-01T00:01:01Z"})"}) {
    reel::source_message m;
    m.payload = text;
    sp.push(std::move(m));
  }
  sp.flush();
  for (const auto& line : lines)
    std::printf("%s\n", line.c_str());
  return lines.size() == 4 ? 0 : 1;
}
