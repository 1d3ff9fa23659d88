// SPDX-License-Identifier: Apache-2.0
// Scale-out with the `reel` program: two processes running the same pipeline file in one
// consumer group share a 4-partition topic and together write exactly what one process would
// (with one watermark per process, as Atlas, and with `options.partitionedWindows`). When one is
// killed (SIGKILL) mid-stream, the other takes over its partitions and every result is still
// written (at-least-once: duplicates are counted and reported): with windows per partition when
// input keeps coming during the takeover, with either when it resumes after the takeover.
//
// The processes never see the end of the input (a Kafka source has none) and stop on SIGTERM
// without closing their open windows, so the input ends with one "sentinel" ticket per partition,
// an hour after the last real one: it moves every partition's watermark past all the real
// windows, which then close. The sentinels' own windows stay open and are never written.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "broker_support.hpp"

using namespace kafka_broker_test;

namespace {

#ifdef REEL_PROGRAM
constexpr const char* reel_program = REEL_PROGRAM;
#else
constexpr const char* reel_program = "";
#endif

constexpr int partitions = 4;

/// The pipeline file both processes run: the pipeline, with a short session timeout so
/// that a killed member's partitions move within seconds; `partitioned`: windows and watermark
/// per partition (`options.partitionedWindows`).
std::string pipeline_file(const std::string& in, const std::string& out, const std::string& group,
                          bool partitioned) {
  const document pipeline =
      movie_pipeline(in, out, group, document::object(),
                     {{"session.timeout.ms", 3000}, {"heartbeat.interval.ms", 500}});
  return document{{"name", "movies"},
                  {"pipeline", pipeline},
                  {"options", {{"partitionedWindows", partitioned}}}}
      .dump(2);
}

/// One sentinel per partition, an hour after the last ticket (see the file comment).
void produce_sentinels(const std::string& brokers, const std::string& in,
                       const std::vector<ticket>& tickets) {
  std::int64_t last = 0;
  for (const ticket& t : tickets)
    last = std::max(last, t.ts);
  producer p(brokers);
  for (std::int32_t part = 0; part < partitions; ++part) {
    const ticket s{"~end-" + std::to_string(part), 0, last + 3'600'000};
    p.send(in, part, ticket_json(s), s.movie);
  }
  p.flush();
}

/// A `reel run` of the pipeline file, stats every second on stderr.
struct reel_run {
  reel_run(const scratch_dir& dir, const std::string& name)
      : process(
            {reel_program, "run", (dir.path() / "pipeline.json").string(), "--stats-interval", "1"},
            dir.path() / (name + ".out"), dir.path() / (name + ".err")),
        name(name) {}
  child process;
  std::string name;
  [[nodiscard]] std::string report() const {
    return name + " stderr:\n" + process.err() + "\n" + name + " stdout:\n" + process.out();
  }
};

/// The group's members and assignments, or the error as text.
std::string group_text(const std::string& brokers, const std::string& group) {
  try {
    return describe_group(brokers, group).describe();
  } catch (const std::exception& e) {
    return e.what();
  }
}

bool group_is(const std::string& brokers, const std::string& group, std::size_t members,
              int per_member) {
  try {
    return describe_group(brokers, group).balanced(members, per_member);
  } catch (const std::exception&) {
    return false;
  }
}

/// Writes the pipeline file and the connections.json that `reel run` reads into `dir`.
void write_run_files(const scratch_dir& dir, const std::string& brokers, const std::string& in,
                     const std::string& out, const std::string& group, bool partitioned) {
  dir.write("pipeline.json", pipeline_file(in, out, group, partitioned));
  dir.write("connections.json",
            document{{"kafka", {{"type", "kafka"}, {"bootstrapServers", brokers}}}}.dump());
}

/// Waits (up to a minute) until both processes are members of `group` with two partitions each.
void require_both_joined(const std::string& brokers, const std::string& group, const reel_run& a,
                         const reel_run& b) {
  const bool joined = wait_until([&] { return group_is(brokers, group, 2, 2); }, 60s);
  INFO("group: " << group_text(brokers, group));
  INFO(a.report());
  INFO(b.report());
  REQUIRE(joined);
}

}  // namespace

/// Declares `const std::string NAME` with the reel program's path, or ends the test.
#define REEL_PROGRAM_OR_SKIP(NAME)                                                               \
  if (std::string(reel_program).empty() || ::access(reel_program, X_OK) != 0) {                  \
    if (kafka_broker_test::services_required()) {                                                \
      FAIL("the reel program is not built (" << reel_program << "): build the reel_cli target"); \
    }                                                                                            \
    WARN("skipped: the reel program is not built (REEL_BUILD_CLI=ON, target reel_cli)");         \
    return;                                                                                      \
  }                                                                                              \
  const std::string NAME = reel_program

TEST_CASE("scale-out: two reel processes in one group share the partitions, results as one",
          "[kafka][broker][scale]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  REEL_PROGRAM_OR_SKIP(reel);
  const bool partitioned = GENERATE(false, true);
  INFO("partitionedWindows: " << partitioned);
  const std::string in = unique("scale"), out = unique("scale-totals"), group = unique("scale");
  create_topic(brokers, in, partitions);
  create_topic(brokers, out, 1);
  const scratch_dir dir("reel-kafka-scale");
  write_run_files(dir, brokers, in, out, group, partitioned);
  reel_run a(dir, "a"), b(dir, "b");
  // Both members hold two partitions before any input exists: no rebalance while processing.
  require_both_joined(brokers, group, a, b);

  const std::vector<ticket> tickets = make_tickets(40'000);
  produce_tickets(brokers, in, partitions, tickets);
  produce_sentinels(brokers, in, tickets);
  const results expected = reference(tickets);
  const bool written = wait_until(
      [&] {
        return message_count(brokers, out) >= static_cast<std::int64_t>(expected.size()) ||
               !a.process.running() || !b.process.running();
      },
      120s);
  a.process.signal(SIGTERM);
  b.process.signal(SIGTERM);
  const auto a_status = a.process.wait(30s), b_status = b.process.wait(30s);
  INFO(a.report());
  INFO(b.report());
  CHECK(written);
  REQUIRE(a_status);
  REQUIRE(b_status);
  CHECK(WIFEXITED(*a_status));
  CHECK(WEXITSTATUS(*a_status) == 128 + SIGTERM);  // stopped by the signal, cleanly
  CHECK(WIFEXITED(*b_status));
  CHECK(WEXITSTATUS(*b_status) == 128 + SIGTERM);

  // Each read its half: together every message once.
  const std::int64_t a_input = reported_input(a.process.err()),
                     b_input = reported_input(b.process.err());
  CHECK(a_input > 0);
  CHECK(b_input > 0);
  CHECK(a_input + b_input == static_cast<std::int64_t>(tickets.size()) + partitions);

  check_exactly_once(expected, read_results(brokers, out));
}

TEST_CASE("scale-out: a reel process killed mid-stream, the other takes over its partitions",
          "[kafka][broker][scale][kill]") {
  KAFKA_BROKERS_OR_SKIP(brokers);
  REEL_PROGRAM_OR_SKIP(reel);
  const std::string in = unique("kill"), out = unique("kill-totals"), group = unique("kill");
  create_topic(brokers, in, partitions);
  create_topic(brokers, out, 1);
  // Failover needs windows per partition: with one watermark per process, the survivor's own
  // partitions run ahead while the dead process's wait for the session timeout, and their
  // replay would be late against it (docs/semantics.md §14, the README's limitations).
  const bool during = GENERATE(true, false);
  const bool partitioned = true;
  const std::string when = during ? "input during the takeover" : "input after the takeover";
  INFO(when);
  const scratch_dir dir("reel-kafka-kill");
  write_run_files(dir, brokers, in, out, group, partitioned);
  reel_run a(dir, "a"), b(dir, "b");
  require_both_joined(brokers, group, a, b);

  const std::vector<ticket> tickets = make_tickets(40'000);
  const std::vector<ticket> first(tickets.begin(), tickets.begin() + 20'000);
  const std::vector<ticket> second(tickets.begin() + 20'000, tickets.end());
  produce_tickets(brokers, in, partitions, first);
  // Both processed part of their partitions and committed it: every partition has a committed
  // offset (the first message a still open window needs).
  std::vector<std::int64_t> committed;
  const bool progressed = wait_until(
      [&] {
        committed = committed_offsets(brokers, group, in, partitions);
        return std::all_of(committed.begin(), committed.end(),
                           [](std::int64_t o) { return o > 0; });
      },
      60s);
  {
    INFO(a.report());
    INFO(b.report());
    REQUIRE(progressed);
  }
  a.process.signal(SIGKILL);
  REQUIRE(a.process.wait(10s));
  const std::int64_t written_before_kill = message_count(brokers, out);

  // b takes over a's partitions once a's session times out (3 s). The rest of the input comes
  // either while a's partitions wait for that (as it would from producers that do not know
  // about the crash: b's own partitions run ahead), or once b holds them all.
  bool took_over = false;
  auto take_over = [&] {
    took_over = wait_until([&] { return group_is(brokers, group, 1, partitions); }, 60s);
  };
  if (during) {
    produce_tickets(brokers, in, partitions, second);
    produce_sentinels(brokers, in, tickets);
    take_over();
  } else {
    take_over();
    produce_tickets(brokers, in, partitions, second);
    produce_sentinels(brokers, in, tickets);
  }
  // Done when every result is there, or when b has committed every partition up to its
  // sentinel (whose window stays open): everything before it is then written.
  const std::vector<std::int64_t> ends = end_offsets(brokers, in, partitions);
  const results expected = reference(tickets);
  comparison c;
  const bool complete = wait_until(
      [&] {
        if (!b.process.running()) return true;
        const auto done = committed_offsets(brokers, group, in, partitions);
        bool settled = true;
        for (int p = 0; p < partitions; ++p)
          settled =
              settled && done[static_cast<std::size_t>(p)] >= ends[static_cast<std::size_t>(p)] - 1;
        if (!settled && message_count(brokers, out) < static_cast<std::int64_t>(expected.size())) {
          return false;
        }
        c = compare(expected, read_results(brokers, out));
        return c.missing == 0 || settled;
      },
      120s);
  b.process.signal(SIGTERM);
  const auto b_status = b.process.wait(30s);
  INFO("group: " << group_text(brokers, group));
  INFO(a.report());
  INFO(b.report());
  CHECK(took_over);
  CHECK(complete);
  REQUIRE(b_status);
  CHECK(WIFEXITED(*b_status));
  CHECK(WEXITSTATUS(*b_status) == 128 + SIGTERM);

  const std::vector<emitted> found = read_results(brokers, out);
  c = compare(expected, found);
  INFO(c.describe());
  CHECK(c.missing == 0);  // every result, although a died with windows open
  CHECK(c.wrong == 0);    // none computed from part of its window's events
  WARN("kill (" << when << "): " << written_before_kill << " results written before the kill, "
                << c.emitted << " in all for " << c.expected << " expected: " << c.duplicates
                << " duplicates");
}
