// SPDX-License-Identifier: Apache-2.0
// A sink that waits on a server that does not answer (issue #17.14): while the processing thread
// is stuck in it, stats() still answers (with the last figures, marked stale) and a stop request
// can be given up on; once the sink returns, the thread stops and the figures are current again.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/all.hpp"
#include "reel/json.hpp"

using reel::json::document;

namespace {

/// Blocks every write until `release()`; `entered()` waits until a write is blocked.
class gate {
 public:
  void block_here() {
    std::unique_lock lock(mutex_);
    ++blocked_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
  }
  void wait_until_blocked() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return blocked_ > 0; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int blocked_ = 0;
  bool released_ = false;
};

class gated_sink final : public reel::sink {
 public:
  gated_sink(gate& g, std::vector<document>& written) : gate_(g), written_(written) {}
  void write(std::span<const document> docs, reel::write_result&) override {
    gate_.block_here();
    written_.insert(written_.end(), docs.begin(), docs.end());
  }

 private:
  gate& gate_;
  std::vector<document>& written_;
};

}  // namespace

TEST_CASE("a sink blocked on its server: stats() answers, a stop request can give up waiting",
          "[connector][processor][stop]") {
  gate g;
  std::vector<document> written;
  reel::connection_registry r = reel::default_connections();
  reel::connection_type t;
  t.make_sink = [&](const reel::connection_args&) -> std::unique_ptr<reel::sink> {
    return std::make_unique<gated_sink>(g, written);
  };
  r.register_type("gated", t);
  r.load_connections(document::parse(R"({"server": {"type": "gated"}})"));
  reel::json::stream_processor_options options;
  options.name = "blocked";
  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text("[{$source: {connectionName: 'sample_movie_tickets', "
                                      "config: {count: 5, seed: 1}}}, "
                                      "{$emit: {connectionName: 'server'}}]"),
      r, options);

  const document before = sp.stats();
  CHECK(before["inputMessageCount"] == 0);
  CHECK_FALSE(before.contains("statsStale"));

  sp.start();
  g.wait_until_blocked();  // the processing thread is inside the sink's write, holding the
                           // processor

  const document during = sp.stats();  // on main, this waited for the write forever
  CHECK(during["name"] == "blocked");
  CHECK(during["status"] == "running");
  CHECK(during["statsStale"] == true);
  CHECK(during.contains("inputMessageCount"));

  sp.request_stop();
  CHECK_FALSE(sp.wait_stopped(std::chrono::milliseconds(20)));  // still in the write
  CHECK(sp.running());

  g.release();
  CHECK(sp.wait_stopped(std::chrono::minutes(1)));
  sp.stop();
  CHECK_FALSE(sp.running());
  const document after = sp.stats();
  CHECK_FALSE(after.contains("statsStale"));
  CHECK(after["inputMessageCount"].get<int>() >= 1);
  CHECK(after["outputMessageCount"].get<std::size_t>() == written.size());
  CHECK_FALSE(written.empty());
}
