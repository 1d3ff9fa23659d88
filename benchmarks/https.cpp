// SPDX-License-Identifier: Apache-2.0
// `$https` (reel::https) against a local HTTP server (cpp-httplib on 127.0.0.1) that answers
// every request `--latency-ms` (5 by default) after it arrived, with 1, 16 and 64 calls in flight.
// The ideal is in-flight / latency events per second; the figure printed beside it is the ratio
// reached. Every output is checked (input order, the right answer): the program exits 1
// otherwise. Built with -DREEL_WITH_HTTPS=ON.
//
// The server runs in a child process, as a service would: in the same process its threads
// (one per connection, each sleeping out the latency) compete with the processor and libcurl's
// thread for the same cores and allocator. `--same-process` keeps it in this process, as the
// first measurements did.
//
//   bench_https [--latency-ms 5] [--seconds 1] [--same-process]
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <reel/connector/all.hpp>
#include <reel/https/https.hpp>
#include <reel/json.hpp>

#include "in_flight.hpp"

#include "connectors/https/local_server.hpp"

using reel::json::document;

namespace {

void add_twice_route(reel::test::local_http_server& server, std::chrono::microseconds latency) {
  server.routes().Get(
      R"(/twice/(\d+))", [latency](const httplib::Request& req, httplib::Response& res) {
        std::this_thread::sleep_for(latency);
        const std::int64_t i = std::stoll(req.matches[1]);
        res.set_content("{\"twice\": " + std::to_string(i * 2) + "}", "application/json");
      });
}

/// Forks (before this process starts any thread) a child that serves until this process exits;
/// returns the child's URL.
std::string start_server_process(std::chrono::microseconds latency, pid_t& child) {
  int port_pipe[2];
  if (::pipe(port_pipe) != 0) std::abort();
  child = ::fork();
  if (child < 0) std::abort();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the benchmark
    ::close(port_pipe[0]);
    reel::test::local_http_server server;
    add_twice_route(server, latency);
    server.start();
    const std::string url = server.url();
    if (::write(port_pipe[1], url.data(), url.size()) != static_cast<ssize_t>(url.size()))
      std::_Exit(1);
    ::close(port_pipe[1]);
    for (;;)
      ::pause();
  }
  ::close(port_pipe[1]);
  char buffer[64];
  const ssize_t n = ::read(port_pipe[0], buffer, sizeof buffer);
  ::close(port_pipe[0]);
  if (n <= 0) std::abort();
  return std::string(buffer, static_cast<std::size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  const reel::bench::in_flight_options options = reel::bench::parse_in_flight_options(argc, argv);
  const auto latency =
      std::chrono::microseconds(static_cast<std::int64_t>(options.latency_ms * 1000));
  const bool same_process = options.same_process;
  std::optional<reel::test::local_http_server> in_process;
  pid_t child = 0;
  std::string url;
  if (same_process) {
    add_twice_route(in_process.emplace(), latency);
    in_process->start();
    url = in_process->url();
  } else {
    url = start_server_process(latency, child);
  }

  reel::connection_registry connections = reel::default_connections();
  reel::https::register_connection_type(connections);
  connections.add_connection("svc", {{"type", "https"}, {"url", url}});
  reel::bench::print_in_flight_header(
      same_process ? "server in this process" : "server in a child process", options);
  bool ok = true;
  for (int parallelism : {1, 16, 64}) {
    document pipeline = document::parse(R"([{"$https": {"connectionName": "svc",
        "path": {"$concat": ["/twice/", {"$toString": "$i"}]}, "as": "r"}}])");
    pipeline[0]["$https"]["parallelism"] = parallelism;
    reel::json::stream_processor sp(pipeline, connections, {.name = "bench", .stream_meta = false});
    ok = reel::bench::measure_in_flight(sp, parallelism, options) && ok;
  }
  if (!ok) fmt::print("WRONG: outputs out of order, wrong or dead-lettered\n");
  if (child > 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  return ok ? 0 : 1;
}
