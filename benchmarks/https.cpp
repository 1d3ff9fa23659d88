// SPDX-License-Identifier: Apache-2.0
// `$https` (reel::https) against a local HTTP server (cpp-httplib on 127.0.0.1) that answers
// every request `--latency-ms` (5 by default) after it arrived, with 1, 16 and 64 calls in flight.
// The ideal is in-flight / latency events per second; the figure printed beside it is the ratio
// reached. Every output is checked (input order, the right answer): the program exits 1
// otherwise. Built with -DREEL_WITH_HTTPS=ON.
//
//   bench_https [--latency-ms 5] [--seconds 1]
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <reel/connector/all.hpp>
#include <reel/https/https.hpp>
#include <reel/json.hpp>

#include "connectors/https/local_server.hpp"

using reel::json::document;
using steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  double latency_ms = 5, seconds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--latency-ms") latency_ms = std::atof(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
  }
  const auto latency = std::chrono::microseconds(static_cast<std::int64_t>(latency_ms * 1000));
  reel::test::local_http_server server;
  server.routes().Get(R"(/twice/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    std::this_thread::sleep_for(latency);
    const std::int64_t i = std::stoll(req.matches[1]);
    res.set_content("{\"twice\": " + std::to_string(i * 2) + "}", "application/json");
  });
  server.start();

  reel::connection_registry connections = reel::default_connections();
  reel::https::register_connection_type(connections);
  connections.add_connection("svc", {{"type", "https"}, {"url", server.url()}});
  fmt::print("server latency {} ms\n{:>9} {:>9} {:>12} {:>12} {:>7}\n", latency_ms, "inFlight",
             "events", "events/s", "ideal/s", "ratio");
  bool ok = true;
  for (int parallelism : {1, 16, 64}) {
    document pipeline = document::parse(R"([{"$https": {"connectionName": "svc",
        "path": {"$concat": ["/twice/", {"$toString": "$i"}]}, "as": "r"}}])");
    pipeline[0]["$https"]["parallelism"] = parallelism;
    reel::json::stream_processor sp(pipeline, connections, {.name = "bench", .stream_meta = false});
    std::int64_t next = 0;
    sp.on_output([&](const document& d) {
      const std::int64_t i = d["i"].get<std::int64_t>();
      ok = ok && i == next && d["r"]["twice"] == i * 2;
      ++next;
    });
    sp.on_dead_letter([&](const document& d) {
      fmt::print("DLQ: {}\n", d["errInfo"]["reason"].dump());
      ok = false;
    });
    const double ideal = parallelism / (latency_ms / 1000.0);
    const auto events = static_cast<std::int64_t>(ideal * seconds);
    // Connections are opened as the first calls start: that cost is part of the figure.
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
  if (!ok) fmt::print("WRONG: outputs out of order, wrong or dead-lettered\n");
  return ok ? 0 : 1;
}
