// SPDX-License-Identifier: Apache-2.0
// #16 item 6 (found by libFuzzer): a JSON stream processor's restore() of checkpoint bytes whose
// strings were corrupted to invalid UTF-8 is reel.checkpoint.invalid. It used to succeed, and the
// restored group key later made dump() throw inside the output callback.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace checkpoint_utf8_json {

using reel::json::document;

constexpr const char* pipeline = R"js([
  { $source: { timeField: { $toDate: '$t' } } },
  { $tumblingWindow: { interval: { size: 10, unit: 'second' },
      pipeline: [ { $group: { _id: '$k', n: { $count: {} }, names: { $push: '$name' } } } ] } } ])js";

reel::json::stream_processor make() {
  return reel::json::stream_processor(reel::json::parse_pipeline_text(pipeline), {}, {});
}

std::string corrupt(std::string bytes, const std::string& from, const std::string& to) {
  std::size_t replaced = 0;
  for (auto at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at + 1)) {
    bytes.replace(at, from.size(), to);
    ++replaced;
  }
  REQUIRE(replaced > 0);
  return bytes;
}

}  // namespace checkpoint_utf8_json

TEST_CASE("json restore rejects a checkpoint whose strings are not UTF-8",
          "[json][processor][checkpoint][utf8]") {
  using reel::json::document;
  auto source = checkpoint_utf8_json::make();
  source.push(document::parse(
      R"({"k": "key-in-checkpoint", "name": "name-in-checkpoint", "t": "2024-01-01T00:00:01Z"})"));
  const std::string good = source.checkpoint();
  {
    auto p = checkpoint_utf8_json::make();
    std::vector<std::string> dumped;
    p.on_output([&](const document& d) { dumped.push_back(d.dump()); });
    p.restore(good);
    p.flush();
    REQUIRE(dumped.size() == 1);
  }
  // A group key, a pushed value: inside the window state's nested MessagePack.
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"key-in-checkpoint", "key-in-checkpoin\xff"},
        {"name-in-checkpoint", "name-in-checkpoin\xc3"}}) {
    CAPTURE(from);
    auto p = checkpoint_utf8_json::make();
    try {
      p.restore(checkpoint_utf8_json::corrupt(good, from, to));
      FAIL("restored");
    } catch (const reel::error& e) {
      CHECK(std::string(e.what()) ==
            "[reel.checkpoint.invalid] malformed checkpoint: a string in it is not valid UTF-8");
    }
  }
}
