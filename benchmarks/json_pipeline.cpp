// SPDX-License-Identifier: Apache-2.0
// The JSON path: parse + $match + tumbling $group + output, beside parsing alone and beside the
// typed path on the same events. Prints events/second (over the thread's CPU time) and the
// ratios, plus a checksum of the window results (typed and JSON must agree), and how the
// processor reads its input (the fields it parses, with simdjson or nlohmann's parser).
//
//   bench_json_pipeline [--events N]
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <reel/json.hpp>
#include <reel/json/detail/projected_input.hpp>  // which fields a pipeline reads
#include <reel/reel.hpp>

namespace {

struct ticket {
  std::int64_t movie;
  std::int64_t amount;
  reel::timestamp ts;
};

/// The CPU time of this thread: the machine is shared, and other processes taking turns on its
/// cores would inflate wall-clock times (compare the figures of one run).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(double start) {
  return thread_cpu_seconds() - start;
}

#if REEL_HAVE_SIMDJSON
constexpr const char* input_parser = "simdjson (DOM, validating)";
#else
constexpr const char* input_parser = "nlohmann (SAX)";
#endif

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--events") == 0) events = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const char* movies[] = {"Dune", "Up", "Alien", "Heat", "Brazil", "Amadeus", "Jaws", "Tron"};
  std::vector<std::string> lines;
  std::vector<ticket> typed;
  lines.reserve(events);
  typed.reserve(events);
  const std::int64_t start_ms =
      reel::to_millis(reel::parse_iso8601("2024-06-01T20:00:00Z").value());
  std::uint64_t rng = 42;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < events; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto movie = static_cast<std::int64_t>((rng >> 33) % 8);
    const auto amount = static_cast<std::int64_t>((rng >> 40) % 20);  // 0 is filtered by $match
    const std::int64_t ts =
        start_ms + static_cast<std::int64_t>(i) * 10 - static_cast<std::int64_t>((rng >> 20) % 500);
    lines.push_back(fmt::format(
        R"({{"movie":"{}","amountPaid":{},"ticketCount":{},"customer":"c-{:03}","ts":"{}"}})",
        movies[movie], amount, 1 + (rng >> 50) % 4, (rng >> 24) % 100,
        reel::format_iso8601(reel::from_millis(ts))));
    bytes += lines.back().size();
    typed.push_back({movie, amount, reel::from_millis(ts)});
  }
  fmt::print("events: {}, average document: {:.0f} bytes\n", events,
             static_cast<double>(bytes) / static_cast<double>(events));

  // 1. Parsing alone (the ceiling of the JSON path).
  auto t0 = thread_cpu_seconds();
  std::size_t fields = 0;
  for (const auto& line : lines)
    fields += reel::json::parse_ejson_line(line).size();
  const double parse_s = seconds_since(t0);

  // 2. The JSON pipeline.
  const auto pipeline = reel::json::parse_pipeline_text(R"([
    { $source: { timeField: { $dateFromString: { dateString: '$ts' } } } },
    { $match: { amountPaid: { $gt: 0 } } },
    { $tumblingWindow: { interval: { size: 1, unit: 'second' }, allowedLateness: { size: 1, unit: 'second' },
        pipeline: [ { $group: { _id: '$movie', total: { $sum: '$amountPaid' } } } ] } }
  ])");
  reel::json::stream_processor sp(pipeline, {}, {.name = "bench", .stream_meta = false});
  if (const auto read_fields =
          reel::json::detail::projected_input_fields(reel::json::compile_pipeline(pipeline))) {
    fmt::print("JSON input: only the fields {} are built, parsed with {}\n",
               fmt::join(*read_fields, ", "), input_parser);
  } else {
    fmt::print("JSON input: whole documents\n");
  }
  std::int64_t json_checksum = 0;
  std::size_t json_results = 0;
  sp.on_output([&](const reel::json::document& d) {
    ++json_results;
    json_checksum += d["total"].get<std::int64_t>();
  });
  t0 = thread_cpu_seconds();
  for (const auto& line : lines) {
    reel::source_message m;
    m.payload = line;
    sp.push(std::move(m));
  }
  sp.flush();
  const double json_s = seconds_since(t0);

  // 3. The typed path on the same events.
  std::int64_t typed_checksum = 0;
  std::size_t typed_results = 0;
  using namespace std::chrono_literals;
  auto proc = reel::make_processor(
      reel::from<ticket>(reel::event_time(&ticket::ts)) |
      reel::match([](const ticket& t) { return t.amount > 0; }) |
      reel::tumbling_window({.interval = 1s, .allowed_lateness = 1s},
                            reel::group(&ticket::movie, reel::sum(&ticket::amount))) |
      reel::emit([&](const auto& r) {
        ++typed_results;
        typed_checksum += std::get<0>(r.values);
      }));
  t0 = thread_cpu_seconds();
  for (const auto& t : typed)
    proc.push(t);
  proc.flush();
  const double typed_s = seconds_since(t0);

  const double n = static_cast<double>(events);
  fmt::print("{:<40} {:>12}\n", "path", "events/s");
  fmt::print("{:<40} {:>12.0f}\n", "parse only (parse_ejson_line)", n / parse_s);
  fmt::print("{:<40} {:>12.0f}\n", "JSON pipeline (parse+$match+$group)", n / json_s);
  fmt::print("{:<40} {:>12.0f}\n", "typed pipeline (same events)", n / typed_s);
  fmt::print("JSON pipeline / parse only: {:.2f}x\n", parse_s / json_s);
  fmt::print(
      "results: json {} (checksum {}), typed {} (checksum {}), late json {}: {}\n", json_results,
      json_checksum, typed_results, typed_checksum,
      sp.stats()["lateMessageCount"].get<std::int64_t>(),
      json_checksum == typed_checksum && json_results == typed_results ? "match" : "MISMATCH");
  (void)fields;
  return json_checksum == typed_checksum && json_results == typed_results ? 0 : 1;
}
