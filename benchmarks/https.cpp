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

#include "in_flight.hpp"

#include "connectors/https/local_server.hpp"

using reel::json::document;

int main(int argc, char** argv) {
  const reel::bench::in_flight_options options = reel::bench::parse_in_flight_options(argc, argv);
  const auto latency =
      std::chrono::microseconds(static_cast<std::int64_t>(options.latency_ms * 1000));
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
  reel::bench::print_in_flight_header("server", options);
  bool ok = true;
  for (int parallelism : {1, 16, 64}) {
    document pipeline = document::parse(R"([{"$https": {"connectionName": "svc",
        "path": {"$concat": ["/twice/", {"$toString": "$i"}]}, "as": "r"}}])");
    pipeline[0]["$https"]["parallelism"] = parallelism;
    reel::json::stream_processor sp(pipeline, connections, {.name = "bench", .stream_meta = false});
    ok = reel::bench::measure_in_flight(sp, parallelism, options) && ok;
  }
  if (!ok) fmt::print("WRONG: outputs out of order, wrong or dead-lettered\n");
  return ok ? 0 : 1;
}
