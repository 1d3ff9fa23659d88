// SPDX-License-Identifier: Apache-2.0
// The enrichment machinery (reel/json/enrichment.hpp) against a service of fixed latency: an
// in-process function answering every call after `--latency-ms` (5 by default) on a timer
// thread, called by `$externalFunction` with 1, 16 and 64 calls in flight. The ideal is
// in-flight / latency events per second; the figure printed beside it is the ratio reached. Every
// output is checked (input order, the right answer): the program exits 1 otherwise.
//
//   bench_enrichment [--latency-ms 5] [--seconds 1]
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <reel/json.hpp>

#include "in_flight.hpp"

using reel::json::document;
using steady = std::chrono::steady_clock;

namespace {

/// Answers each call `latency` after it was made, in the order made (the latency is fixed).
class slow_service {
 public:
  explicit slow_service(std::chrono::microseconds latency)
      : latency_(latency), thread_([this] { run(); }) {}
  ~slow_service() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void call(const document& argument, reel::function_completion done) {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(
          {steady::now() + latency_, argument["i"].get<std::int64_t>(), std::move(done)});
    }
    wake_.notify_all();
  }

 private:
  struct call_t {
    steady::time_point due;
    std::int64_t i;
    reel::function_completion done;
  };
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stop_ || !calls_.empty(); });
      if (stop_) return;
      const steady::time_point due = calls_.front().due;
      if (steady::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      call_t c = std::move(calls_.front());
      calls_.pop_front();
      lock.unlock();
      c.done(document{{"twice", c.i * 2}});
      lock.lock();
    }
  }
  std::chrono::microseconds latency_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<call_t> calls_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const reel::bench::in_flight_options options = reel::bench::parse_in_flight_options(argc, argv);
  const auto latency =
      std::chrono::microseconds(static_cast<std::int64_t>(options.latency_ms * 1000));
  reel::bench::print_in_flight_header("service", options);
  bool ok = true;
  for (int parallelism : {1, 16, 64}) {
    slow_service service(latency);
    reel::connection_registry connections;
    connections.register_function("svc", "twice",
                                  [&](const document& a, reel::function_completion done) {
                                    service.call(a, std::move(done));
                                  });
    document pipeline = document::parse(R"([{"$externalFunction": {"connectionName": "svc",
        "functionName": "twice", "as": "r"}}])");
    pipeline[0]["$externalFunction"]["parallelism"] = parallelism;
    reel::json::stream_processor sp(pipeline, connections, {.name = "bench", .stream_meta = false});
    ok = reel::bench::measure_in_flight(sp, parallelism, options) && ok;
  }
  if (!ok) fmt::print("WRONG: outputs out of order or wrong\n");
  return ok ? 0 : 1;
}
