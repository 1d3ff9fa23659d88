// SPDX-License-Identifier: Apache-2.0
// #16 item 6: restore() of checkpoint bytes whose strings were corrupted to invalid UTF-8 is
// reel.checkpoint.invalid (it used to succeed, and a later dump() threw in a user callback).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/events.hpp"

using namespace reel_test;
using namespace std::chrono_literals;

namespace checkpoint_utf8 {

/// `bytes` with every `from` replaced by `to` (same length).
std::string corrupt(std::string bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  std::size_t replaced = 0;
  for (auto at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at + 1)) {
    bytes.replace(at, from.size(), to);
    ++replaced;
  }
  REQUIRE(replaced > 0);
  return bytes;
}

}  // namespace checkpoint_utf8

TEST_CASE("typed restore rejects a checkpoint whose strings are not UTF-8",
          "[processor][checkpoint][utf8]") {
  using result = reel::window_result<std::string, std::tuple<std::int64_t>>;
  std::vector<result> out;
  auto make = [&] {
    return reel::make_processor(
        reel::from<trade>(reel::event_time(&trade::ts)) |
        reel::tumbling_window({.interval = 10s}, reel::group(&trade::symbol, reel::count())) |
        reel::emit_to(out));
  };
  auto source = make();
  source.push({"MDB-symbol", 1.0, 1, secs(3)});
  const std::string good = source.checkpoint();

  auto restored = make();
  CHECK_NOTHROW(restored.restore(good));
  for (const char* bad : {"MDB-symbo\xff", "MDB-symbo\xc0", "MDB-sym\xed\xa0\x80"}) {
    auto p = make();
    try {
      p.restore(checkpoint_utf8::corrupt(good, "MDB-symbol", bad));
      FAIL("restored");
    } catch (const reel::error& e) {
      CHECK(std::string(e.what()) ==
            "[reel.checkpoint.invalid] malformed checkpoint: a string in it is not valid UTF-8");
    }
  }
}
