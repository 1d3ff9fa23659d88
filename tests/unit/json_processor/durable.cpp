// SPDX-License-Identifier: Apache-2.0
// Durable state of the JSON processor: checkpoints in a directory store taken between batches,
// resuming after a crash at random points with a byte-identical output file, refusing a
// checkpoint of another pipeline, and stopping when a checkpoint cannot be written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <reel/checkpoint/directory_store.hpp>
#include <reel/connector/all.hpp>
#include <reel/json.hpp>

#include "unit/connector/temp_dir.hpp"

namespace durable_test {

using connector_test::read_file;
using connector_test::temp_dir;
using connector_test::write_file;
using reel::json::document;

/// Events over 97 keys, times moving forward up to 40 ms and out of order up to 2 s.
std::string input_lines(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out;
  std::int64_t t = 1704067200000;
  for (int i = 0; i < n; ++i) {
    t += std::uniform_int_distribution<int>(0, 39)(rng);
    const std::int64_t d = t - std::uniform_int_distribution<int>(0, 1999)(rng);
    out += fmt::format("{{\"k\":\"key{}\",\"v\":{},\"t\":{{\"$date\":{}}}}}\n",
                       std::uniform_int_distribution<int>(0, 96)(rng), i, d);
  }
  return out;
}

document tumbling_pipeline() {
  return document::parse(R"([
    {"$source": {"connectionName": "in", "timeField": "$t"}},
    {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
      "allowedLateness": {"size": 1, "unit": "second"},
      "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "values": {"$push": "$v"}}}]}},
    {"$emit": {"connectionName": "out"}}])");
}

document session_pipeline() {
  return document::parse(R"([
    {"$source": {"connectionName": "in", "timeField": "$t"}},
    {"$sessionWindow": {"partitionBy": "$k", "gap": {"size": 3, "unit": "second"},
      "allowedLateness": {"size": 1, "unit": "second"},
      "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "last": {"$last": "$v"}}}]}},
    {"$emit": {"connectionName": "out"}}])");
}

/// The sample solar source: its position is the number of documents generated from the seed.
document solar_pipeline() {
  return document::parse(R"([
    {"$source": {"connectionName": "solar", "config": {"count": 2500, "seed": 3},
                 "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
    {"$hoppingWindow": {"interval": {"size": 1, "unit": "minute"},
      "hopSize": {"size": 20, "unit": "second"},
      "pipeline": [{"$group": {"_id": "$device_id", "max": {"$max": "$obs.watts"},
                               "n": {"$sum": 1}}}]}},
    {"$emit": {"connectionName": "out"}}])");
}

struct fixture {
  temp_dir dir;
  reel::connection_registry connections;
  reel::manual_clock clock{reel::from_millis(1000)};

  explicit fixture(const std::string& input, const std::string& out = "out.ndjson") {
    write_file(dir.path() / "in.ndjson", input);
    reel::register_builtin_types(connections);
    connections.load_connections(
        document{{"in", {{"type", "file"}, {"path", "in.ndjson"}}},
                 {"out", {{"type", "file"}, {"path", out}, {"mode", "truncate"}}},
                 {"solar", {{"type", "sample_stream_solar"}}}},
        "connections.json", dir.path());
  }

  reel::json::stream_processor_options options(reel::checkpoint_store* store) {
    reel::json::stream_processor_options o;
    o.clock = &clock;
    o.checkpoint.store = store;
    o.checkpoint.interval = reel::duration{0};  // after every batch
    return o;
  }
  std::string output() const { return read_file(dir.path() / "out.ndjson"); }
};

/// The output of an uninterrupted run without a store.
std::string uninterrupted(const document& pipeline, const std::string& input) {
  fixture f(input);
  reel::json::stream_processor sp(pipeline, f.connections, f.options(nullptr));
  sp.process();
  return f.output();
}

TEST_CASE("a processor dropped at random points resumes to a byte-identical output file",
          "[json_processor][checkpoint]") {
  const std::string input = input_lines(3000, 11);
  const document pipeline = GENERATE(tumbling_pipeline(), session_pipeline(), solar_pipeline());
  const std::string expected = uninterrupted(pipeline, input);
  REQUIRE(!expected.empty());

  std::mt19937 rng(5);
  for (int round = 0; round < 6; ++round) {
    fixture f(input);
    reel::directory_store store(f.dir.path() / "state", {.keep_last = 2, .sync = false});
    int starts = 0, resumes = 0;
    while (true) {
      reel::json::stream_processor sp(pipeline, f.connections, f.options(&store));
      ++starts;
      if (sp.resumed_from()) ++resumes;
      // Crash after a random number of batches (0: before the first one), unless it ends first.
      const int batches = std::uniform_int_distribution<int>(0, 3)(rng);
      bool finished = false;
      for (int b = 0; b <= batches && !finished; ++b) {
        f.clock.advance(reel::duration{10});
        finished = sp.step() == reel::poll_status::end_of_input;
      }
      if (finished) break;
      // Sometimes in the middle of a batch, with results written after the last checkpoint.
      if (rng() % 2 == 0) sp.process(1 + rng() % 40);
      // The processor is dropped: no final checkpoint.
    }
    const int crashes = starts - 1;
    INFO("round " << round << ", " << crashes << " crashes");
    REQUIRE(resumes == crashes);
    REQUIRE(f.output() == expected);
  }
}

TEST_CASE("a damaged newest checkpoint falls back to the previous one with the same output",
          "[json_processor][checkpoint]") {
  const std::string input = input_lines(2000, 3);
  const std::string expected = uninterrupted(tumbling_pipeline(), input);
  fixture f(input);
  reel::directory_store store(f.dir.path() / "state", {.keep_last = 3, .sync = false});
  {
    reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
    sp.step();
    sp.step();
  }
  const std::uint64_t newest = store.list().back();
  std::string bytes = read_file(store.path_of(newest));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  write_file(store.path_of(newest), bytes);
  reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
  REQUIRE(sp.resumed_from());
  CHECK(sp.resumed_from()->version == newest - 1);
  REQUIRE(sp.resumed_from()->skipped.size() == 1);
  sp.process();
  CHECK(f.output() == expected);
}

TEST_CASE("a checkpoint of another pipeline is refused unless starting fresh",
          "[json_processor][checkpoint]") {
  const std::string input = input_lines(600, 4);
  fixture f(input);
  reel::directory_store store(f.dir.path() / "state", {.sync = false});
  {
    reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
    sp.step();
  }
  const std::string theirs = reel::json::stream_processor::fingerprint_of(tumbling_pipeline());
  const std::string ours = reel::json::stream_processor::fingerprint_of(session_pipeline());
  REQUIRE(theirs != ours);
  REQUIRE_THROWS_WITH(
      reel::json::stream_processor(session_pipeline(), f.connections, f.options(&store)),
      "[reel.checkpoint.other_pipeline] at " + store.location() + ": checkpoint " +
          std::to_string(store.list().back()) + " was taken by another pipeline (fingerprint '" +
          theirs + "', this pipeline '" + ours +
          "'); start fresh to discard it (reel run --fresh, or checkpoint_options::fresh)");

  auto fresh = f.options(&store);
  fresh.checkpoint.fresh = true;
  const std::uint64_t before = store.list().back();
  reel::json::stream_processor sp(session_pipeline(), f.connections, fresh);
  CHECK_FALSE(sp.resumed_from());
  CHECK(store.list().back() == before + 1);  // the fresh start's checkpoint supersedes the old
  sp.process();
  CHECK(f.output() == uninterrupted(session_pipeline(), input));
}

TEST_CASE("a checkpoint that cannot be written stops processing with a clear error",
          "[json_processor][checkpoint]") {
  fixture f(input_lines(2000, 8));
  reel::directory_store store(f.dir.path() / "state", {.sync = false});
  reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
  sp.step();
  std::filesystem::remove_all(f.dir.path() / "state");
  write_file(f.dir.path() / "state", "the directory is gone");
  REQUIRE_THROWS_WITH(sp.step(), Catch::StartsWith("[reel.checkpoint.write_failed] at " +
                                                   (f.dir.path() / "state").string()));
}

TEST_CASE("a run that finished resumes at the end of its input and writes nothing more",
          "[json_processor][checkpoint]") {
  const std::string input = input_lines(800, 9);
  fixture f(input);
  reel::directory_store store(f.dir.path() / "state", {.sync = false});
  {
    reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
    sp.process();
  }
  const std::string first = f.output();
  reel::json::stream_processor sp(tumbling_pipeline(), f.connections, f.options(&store));
  REQUIRE(sp.resumed_from());
  CHECK(sp.resumed_from()->source_positions["line"] == 801);
  CHECK(sp.process() == 0);
  CHECK(f.output() == first);
  CHECK(sp.stats()["checkpointCount"] == 1);
}

}  // namespace durable_test
