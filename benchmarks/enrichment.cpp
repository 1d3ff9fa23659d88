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
  double latency_ms = 5, seconds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--latency-ms") latency_ms = std::atof(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
  }
  const auto latency = std::chrono::microseconds(static_cast<std::int64_t>(latency_ms * 1000));
  fmt::print("service latency {} ms\n{:>9} {:>9} {:>12} {:>12} {:>7}\n", latency_ms, "inFlight",
             "events", "events/s", "ideal/s", "ratio");
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
    std::int64_t next = 0;
    sp.on_output([&](const document& d) {
      const std::int64_t i = d["i"].get<std::int64_t>();
      ok = ok && i == next && d["r"]["twice"] == i * 2;
      ++next;
    });
    const double ideal = parallelism / (latency_ms / 1000.0);
    const auto events = static_cast<std::int64_t>(ideal * seconds);
    const auto start = steady::now();
    for (std::int64_t i = 0; i < events; ++i)
      sp.push(document{{"i", i}});
    sp.flush();
    const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
    ok = ok && next == events;
    const double rate = static_cast<double>(events) / elapsed;
    fmt::print("{:>9} {:>9} {:>12.0f} {:>12.0f} {:>7.2f}\n", parallelism, events, rate, ideal,
               rate / ideal);
  }
  if (!ok) fmt::print("WRONG: outputs out of order or wrong\n");
  return ok ? 0 : 1;
}
