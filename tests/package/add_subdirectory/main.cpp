// SPDX-License-Identifier: Apache-2.0
// A tiny Reel program: one tumbling window over three trades.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

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
  for (const auto& line : lines)
    std::printf("%s\n", line.c_str());
  return lines.size() == 2 ? 0 : 1;
}
