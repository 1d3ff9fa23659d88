// SPDX-License-Identifier: Apache-2.0
// The measure shared by bench_enrichment and bench_https: documents {i} pushed through a
// processor whose one enrichment stage answers {twice: 2i} under `as: "r"` after a fixed
// latency, with `parallelism` calls in flight. Prints events/s beside the ideal (in-flight /
// latency) and checks every output (input order, the right answer, no DLQ record).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

#include <fmt/format.h>

#include <reel/json.hpp>

namespace reel::bench {

struct in_flight_options {
  double latency_ms = 5;
  double seconds = 1;
  bool same_process = false;  ///< bench_https: the server in the benchmark's own process
};

/// `--latency-ms N`, `--seconds N` and `--same-process`.
inline in_flight_options parse_in_flight_options(int argc, char** argv) {
  in_flight_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--latency-ms" && i + 1 < argc) o.latency_ms = std::atof(argv[++i]);
    if (flag == "--seconds" && i + 1 < argc) o.seconds = std::atof(argv[++i]);
    if (flag == "--same-process") o.same_process = true;
  }
  return o;
}

inline void print_in_flight_header(const char* what, const in_flight_options& o) {
  fmt::print("{} latency {} ms\n{:>9} {:>9} {:>12} {:>12} {:>7} {:>11} {:>12}\n", what,
             o.latency_ms, "inFlight", "events", "events/s", "ideal/s", "ratio", "meanCallMs",
             "cpuUs/event");
}

/// CPU time (user + system) of this process's threads: the processor, the client's I/O thread
/// and, with the server in this process, the server.
inline double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// Runs `ideal × seconds` documents through `sp` and prints one row; false if an output was
/// wrong, out of order or dead-lettered.
inline bool measure_in_flight(json::stream_processor& sp, int parallelism,
                              const in_flight_options& o) {
  using json::document;
  using steady = std::chrono::steady_clock;
  bool ok = true;
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
  const double ideal = parallelism / (o.latency_ms / 1000.0);
  const auto events = static_cast<std::int64_t>(ideal * o.seconds);
  // Connections (if any) are opened as the first calls start: that cost is part of the figure.
  const auto start = steady::now();
  const double cpu_start = process_cpu_seconds();
  for (std::int64_t i = 0; i < events; ++i)
    sp.push(document{{"i", i}});
  sp.flush();
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu_start;
  ok = ok && next == events;
  const double rate = static_cast<double>(events) / elapsed;
  // The stage's own mean call latency (start to completion): above the service's latency by what
  // the client and the machine add; the rest of a gap to the ideal is calls waiting in order.
  const double mean_call_ms = sp.stats()["enrichment"][0]["meanLatencyMs"].get<double>();
  fmt::print("{:>9} {:>9} {:>12.0f} {:>12.0f} {:>7.2f} {:>11.2f} {:>12.1f}\n", parallelism, events,
             rate, ideal, rate / ideal, mean_call_ms, cpu * 1e6 / static_cast<double>(events));
  return ok;
}

}  // namespace reel::bench
