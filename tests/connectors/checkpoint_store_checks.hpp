// SPDX-License-Identifier: Apache-2.0
// Checks every checkpoint store of a connector passes (S3, MongoDB), written once: put, get,
// list, remove and keep-last; damaged checkpoints passed over; a JSON processor dropped at random
// points and restored from the store writing what an uninterrupted run writes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "reel/checkpoint/store.hpp"
#include "reel/connector/all.hpp"
#include "reel/json.hpp"
#include "unit/connector/temp_dir.hpp"

namespace checkpoint_store_checks {

using reel::json::document;

/// Bytes that are not text: every byte value, so a store that mangles binary data is caught.
inline std::string blob(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out)
    c = static_cast<char>(rng() & 0xFFu);
  return out;
}

/// `store` is empty and keeps the last 2.
inline void put_get_list_remove_keep_last(reel::checkpoint_store& store) {
  CHECK(store.list().empty());
  CHECK_FALSE(store.get(1));
  CHECK_FALSE(store.latest());
  store.put(1, blob(1000, 1));
  store.put(2, blob(70'000, 2));
  CHECK(store.list() == std::vector<std::uint64_t>{1, 2});
  CHECK(store.get(1) == blob(1000, 1));
  CHECK(store.get(2) == blob(70'000, 2));
  store.put(3, "");                                         // an empty checkpoint is a checkpoint
  CHECK(store.list() == std::vector<std::uint64_t>{2, 3});  // keep last 2
  CHECK_FALSE(store.get(1));
  CHECK(store.get(3) == "");
  const auto latest = store.latest();
  REQUIRE(latest);
  CHECK(latest->version == 3);
  CHECK(latest->skipped.empty());
  store.remove(3);
  store.remove(3);  // gone already: nothing
  CHECK(store.list() == std::vector<std::uint64_t>{2});
  REQUIRE(store.latest());
  CHECK(store.latest()->version == 2);
  CHECK(store.latest()->bytes == blob(70'000, 2));
}

/// Replaces the stored form of checkpoint `version` by `bytes` (the store's own medium).
using overwrite_fn = std::function<void(std::uint64_t version, const std::string& bytes)>;

/// `store` is empty and keeps at least 3. Checkpoint 3 is cut short and checkpoint 2 has a bit
/// flipped: `latest()` passes over both (naming them) and returns 1; with all three damaged it
/// refuses to choose.
inline void damaged_checkpoints_are_passed_over(reel::checkpoint_store& store,
                                                const overwrite_fn& overwrite) {
  for (std::uint64_t v = 1; v <= 3; ++v)
    store.put(v, blob(5000, static_cast<unsigned>(v)));
  std::string torn = reel::seal_checkpoint(3, blob(5000, 3));
  torn.resize(torn.size() / 2);
  overwrite(3, torn);
  std::string flipped = reel::seal_checkpoint(2, blob(5000, 2));
  flipped[100] = static_cast<char>(flipped[100] ^ 0x04);
  overwrite(2, flipped);

  REQUIRE_THROWS_WITH(store.get(3), Catch::Contains("[reel.checkpoint.corrupt]") &&
                                        Catch::Contains("truncated checkpoint"));
  REQUIRE_THROWS_WITH(store.get(2), Catch::Contains("checksum mismatch"));
  const auto latest = store.latest();
  REQUIRE(latest);
  CHECK(latest->version == 1);
  CHECK(latest->bytes == blob(5000, 1));
  REQUIRE(latest->skipped.size() == 2);
  CHECK_THAT(latest->skipped[0], Catch::Contains("truncated"));
  CHECK_THAT(latest->skipped[1], Catch::Contains("checksum mismatch"));

  std::string wrong = reel::seal_checkpoint(1, blob(5000, 1));
  wrong.back() = static_cast<char>(wrong.back() ^ 0x01);
  overwrite(1, wrong);
  REQUIRE_THROWS_WITH(store.latest(),
                      Catch::StartsWith("[reel.checkpoint.corrupt] at " + store.location() +
                                        ": no intact checkpoint (3 damaged)"));
}

/// Events over 31 keys, times moving forward and out of order up to 2 s.
inline std::string input_lines(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out;
  std::int64_t t = 1704067200000;
  for (int i = 0; i < n; ++i) {
    t += std::uniform_int_distribution<int>(0, 39)(rng);
    const std::int64_t d = t - std::uniform_int_distribution<int>(0, 1999)(rng);
    out += fmt::format("{{\"k\":\"key{}\",\"v\":{},\"t\":{{\"$date\":{}}}}}\n",
                       std::uniform_int_distribution<int>(0, 30)(rng), i, d);
  }
  return out;
}

inline document windowed_pipeline() {
  return document::parse(R"([
    {"$source": {"connectionName": "in", "timeField": "$t"}},
    {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
      "allowedLateness": {"size": 1, "unit": "second"},
      "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "values": {"$push": "$v"}}}]}},
    {"$emit": {"connectionName": "out"}}])");
}

/// A file source `in` and a file sink `out` in a directory of their own.
struct file_run {
  connector_test::temp_dir dir;
  reel::connection_registry connections;
  reel::manual_clock clock{reel::from_millis(1000)};

  explicit file_run(const std::string& input) {
    connector_test::write_file(dir.path() / "in.ndjson", input);
    reel::register_builtin_types(connections);
    connections.load_connections(
        document{{"in", {{"type", "file"}, {"path", "in.ndjson"}}},
                 {"out", {{"type", "file"}, {"path", "out.ndjson"}, {"mode", "truncate"}}}},
        "connections.json", dir.path());
  }
  reel::json::stream_processor_options options(reel::checkpoint_store* store) {
    reel::json::stream_processor_options o;
    o.name = "restore";
    o.clock = &clock;
    o.checkpoint.store = store;
    o.checkpoint.interval = reel::duration{0};  // after every batch
    return o;
  }
  [[nodiscard]] std::string output() const {
    return connector_test::read_file(dir.path() / "out.ndjson");
  }
};

/// A JSON processor over a file source and a file sink, dropped (no final checkpoint) after a
/// random number of batches and restored from `store` until its input ends, writes the output of
/// an uninterrupted run; `store` is empty.
inline void restored_processor_matches_uninterrupted(reel::checkpoint_store& store) {
  const std::string input = input_lines(4000, 7);
  std::string expected;
  {
    file_run plain(input);
    reel::json::stream_processor sp(windowed_pipeline(), plain.connections, plain.options(nullptr));
    sp.process();
    expected = plain.output();
  }
  REQUIRE(!expected.empty());

  file_run run(input);
  std::mt19937 rng(3);
  int starts = 0, resumes = 0;
  while (true) {
    reel::json::stream_processor sp(windowed_pipeline(), run.connections, run.options(&store));
    ++starts;
    if (sp.resumed_from()) ++resumes;
    const int batches = std::uniform_int_distribution<int>(0, 2)(rng);
    bool finished = false;
    for (int b = 0; b <= batches && !finished; ++b) {
      run.clock.advance(reel::duration{10});
      finished = sp.step() == reel::poll_status::end_of_input;
    }
    if (finished) break;
    if (rng() % 2 == 0) sp.process(1 + rng() % 40);  // results written after the checkpoint
  }
  INFO(starts - 1 << " crashes");
  CHECK(starts > 2);
  CHECK(resumes == starts - 1);
  CHECK(run.output() == expected);
}

}  // namespace checkpoint_store_checks
