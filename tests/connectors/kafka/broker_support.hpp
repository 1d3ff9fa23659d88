// SPDX-License-Identifier: Apache-2.0
// Helpers of the reel::kafka tests against a real broker (scripts/services/kafka.sh, found
// through REEL_KAFKA_BROKERS): fresh topic and group names, topics created with librdkafka's
// admin API, a plain producer for the input, the movie-ticket events with their reference
// results, reading window results back, consumer-group inspection (members, assignments,
// committed offsets), and `reel` processes.
//
//   KAFKA_BROKERS_OR_SKIP(brokers);
//   const std::string in = kafka_broker_test::unique("tickets");
//   kafka_broker_test::create_topic(brokers, in, 4);
//   kafka_broker_test::produce_tickets(brokers, in, 4, tickets);
//   ... run a pipeline ...
//   auto found = kafka_broker_test::read_results(brokers, out);
//   auto check = kafka_broker_test::compare(kafka_broker_test::reference(tickets), found);
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "mock_cluster.hpp"  // read_all
#include "reel/connector/defaults.hpp"
#include "reel/connector/samples.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/value.hpp"
#include "reel/kafka/kafka.hpp"
#include "reel/time.hpp"

extern char** environ;

namespace kafka_broker_test {

using document = nlohmann::ordered_json;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// REEL_KAFKA_BROKERS, or nullopt.
inline std::optional<std::string> brokers() {
  const char* b = std::getenv("REEL_KAFKA_BROKERS");
  if (!b || !*b) return std::nullopt;
  return std::string(b);
}

/// REEL_REQUIRE_SERVICES=1: a missing service fails the test instead of skipping it.
inline bool services_required() {
  const char* r = std::getenv("REEL_REQUIRE_SERVICES");
  return r && std::string(r) == "1";
}

/// `prefix-<pid>-<random>`: topic and group names of their own, so reruns never collide.
inline std::string unique(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}() ^
                             static_cast<std::uint64_t>(steady::now().time_since_epoch().count())};
  std::ostringstream s;
  s << prefix << "-" << ::getpid() << "-" << std::hex << (rng() & 0xffffffffffULL);
  return s.str();
}

/// Polls `done` every 20 ms until it is true or `timeout` passed; false on timeout.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  while (true) {
    if (done()) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// ---------------------------------------------------------------------------------------------
// librdkafka clients.

struct client_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using client_ptr = std::unique_ptr<rd_kafka_t, client_deleter>;

inline client_ptr make_client(rd_kafka_type_t type, const std::string& bootstrap,
                              const std::map<std::string, std::string>& extra = {}) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrap}, {"log_level", "3"}};
  for (const auto& [k, v] : extra)
    props[k] = v;
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("client config " + k + ": " + err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("client: ") + err);
  }
  return client_ptr(rk);
}

/// Waits for the one result event of an admin request on `queue`.
inline rd_kafka_event_t* admin_result(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000);
  if (!ev) throw std::runtime_error("admin request: no answer from the broker");
  if (rd_kafka_event_error(ev)) {
    const std::string msg = rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    throw std::runtime_error("admin request failed: " + msg);
  }
  return ev;
}

/// The number of partitions of `topic` with a leader, as the metadata shows (0: unknown).
inline int partitions_with_leader(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
  rd_kafka_topic_destroy(rkt);
  if (e) return 0;
  int n = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic != md->topics[i].topic || md->topics[i].err) continue;
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) {
      if (md->topics[i].partitions[p].leader >= 0 && !md->topics[i].partitions[p].err) ++n;
    }
  }
  rd_kafka_metadata_destroy(md);
  return n;
}

/// Creates `topic` with `partitions` partitions (replication 1) and waits until every partition
/// has a leader. Throws std::runtime_error.
inline void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  client_ptr rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (!nt) throw std::runtime_error("new topic " + topic + ": " + err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 10000, err, sizeof err);
  rd_kafka_CreateTopics(rk.get(), &nt, 1, options, queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(nt);
  std::string failure;
  try {
    rd_kafka_event_t* ev = admin_result(queue, 10s);
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* s = rd_kafka_topic_result_error_string(results[i]);
        failure = "create topic " + topic + ": " + (s ? s : rd_kafka_err2str(e));
      }
    }
    rd_kafka_event_destroy(ev);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  rd_kafka_queue_destroy(queue);
  if (!failure.empty()) throw std::runtime_error(failure);
  if (!wait_until([&] { return partitions_with_leader(rk.get(), topic) >= partitions; }, 30s)) {
    throw std::runtime_error("topic " + topic + ": its partitions have no leader after 30 s");
  }
}

using kafka_test::producer;

/// The end offset (high watermark) of each partition of `topic`.
inline std::vector<std::int64_t> end_offsets(const std::string& bootstrap, const std::string& topic,
                                             int partitions) {
  client_ptr rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
  std::vector<std::int64_t> out;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 10000);
    if (e) throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(e));
    out.push_back(high);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Consumer groups.

/// What DescribeConsumerGroups says about a group.
struct group_state {
  std::string state;                       ///< "Stable", "PreparingRebalance", "Empty", ...
  std::vector<int> partitions_per_member;  ///< assigned partitions, one entry per member
  [[nodiscard]] std::string describe() const {
    std::string s = state + " [";
    for (std::size_t i = 0; i < partitions_per_member.size(); ++i)
      s += (i ? ", " : "") + std::to_string(partitions_per_member[i]);
    return s + "]";
  }
  /// Stable with `members` members that hold `per_member` partitions each.
  [[nodiscard]] bool balanced(std::size_t members, int per_member) const {
    return state == "Stable" && partitions_per_member.size() == members &&
           std::all_of(partitions_per_member.begin(), partitions_per_member.end(),
                       [&](int n) { return n == per_member; });
  }
};

inline group_state describe_group(const std::string& bootstrap, const std::string& group) {
  client_ptr rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk.get(), groups, 1, options, queue);
  rd_kafka_AdminOptions_destroy(options);
  group_state out;
  std::string failure;
  try {
    rd_kafka_event_t* ev = admin_result(queue, 10s);
    const rd_kafka_DescribeConsumerGroups_result_t* res =
        rd_kafka_event_DescribeConsumerGroups_result(ev);
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t** descs =
        rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
    for (size_t i = 0; i < n; ++i) {
      if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(descs[i])) {
        failure = std::string("describe group: ") + rd_kafka_error_string(e);
        continue;
      }
      out.state =
          rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(descs[i]));
      const size_t members = rd_kafka_ConsumerGroupDescription_member_count(descs[i]);
      for (size_t m = 0; m < members; ++m) {
        const rd_kafka_MemberDescription_t* member =
            rd_kafka_ConsumerGroupDescription_member(descs[i], m);
        const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(member);
        const rd_kafka_topic_partition_list_t* parts =
            a ? rd_kafka_MemberAssignment_partitions(a) : nullptr;
        out.partitions_per_member.push_back(parts ? parts->cnt : 0);
      }
    }
    rd_kafka_event_destroy(ev);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  rd_kafka_queue_destroy(queue);
  if (!failure.empty()) throw std::runtime_error(failure);
  return out;
}

/// The offsets `group` committed for each partition of `topic` (-1: none), read with OffsetFetch
/// (the reading consumer does not join the group).
inline std::vector<std::int64_t> committed_offsets(const std::string& bootstrap,
                                                   const std::string& group,
                                                   const std::string& topic, int partitions) {
  client_ptr rk = make_client(RD_KAFKA_CONSUMER, bootstrap, {{"group.id", group}});
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  const rd_kafka_resp_err_t e = rd_kafka_committed(rk.get(), list, 10000);
  std::vector<std::int64_t> out(static_cast<std::size_t>(partitions), -1);
  for (int i = 0; i < list->cnt; ++i) {
    if (!list->elems[i].err)
      out[static_cast<std::size_t>(list->elems[i].partition)] = list->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk.get());
  if (e) throw std::runtime_error(std::string("committed offsets: ") + rd_kafka_err2str(e));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Movie-ticket events and their window results.

/// One ticket sale: `{movie, amountPaid, ts}`.
struct ticket {
  std::string movie;
  double amount = 0;    ///< a multiple of 0.25: sums are exact in binary
  std::int64_t ts = 0;  ///< event time, milliseconds since the epoch
};

/// `count` tickets from the movie-ticket sample (6 movies, 250 ms apart, at most 3 s out of
/// order, none late or malformed), starting at `start_ms` (default 2024-06-01T20:00:00Z).
inline std::vector<ticket> make_tickets(
    std::size_t count, std::uint64_t seed = 42,
    reel::timestamp start = reel::samples::movie_ticket_generator::default_start) {
  reel::samples::movie_ticket_generator gen(seed, start,
                                            {.late_fraction = 0, .malformed_fraction = 0});
  std::vector<ticket> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const document t = gen.next();
    const auto ts = reel::parse_iso8601(t["ts"].get<std::string>());
    if (!ts) throw std::runtime_error("the sample produced a bad ts: " + t.dump());
    out.push_back(
        {t["movie"].get<std::string>(), t["amountPaid"].get<double>(), reel::to_millis(*ts)});
  }
  return out;
}

/// The partition a movie's tickets go to: a fixed function of the title, so all the tickets of
/// a movie stay in one partition (as keying by movie does). The sample's six movies are spread
/// round-robin (4 partitions: Dune and Wicked in 0, Oppenheimer and Gladiator II in 1, Barbie in
/// 2, Inside Out 2 in 3), so that every partition has tickets; other titles are hashed.
inline std::int32_t partition_of(const std::string& movie, int partitions) {
  static const std::vector<std::string> movies = {"Dune",         "Oppenheimer", "Barbie",
                                                  "Inside Out 2", "Wicked",      "Gladiator II"};
  auto it = std::find(movies.begin(), movies.end(), movie);
  if (it != movies.end()) return static_cast<std::int32_t>((it - movies.begin()) % partitions);
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : movie)
    h = (h ^ c) * 16777619u;
  return static_cast<std::int32_t>(h % static_cast<std::uint32_t>(partitions));
}

inline std::string ticket_json(const ticket& t) {
  return document{{"movie", t.movie},
                  {"amountPaid", t.amount},
                  {"ts", reel::format_iso8601(reel::from_millis(t.ts))}}
      .dump();
}

/// Produces `tickets` in their order, keyed by movie; `partition(t)` picks the partition
/// (default: `partition_of(movie, partitions)`).
inline void produce_tickets(const std::string& bootstrap, const std::string& topic, int partitions,
                            const std::vector<ticket>& tickets,
                            const std::function<std::int32_t(const ticket&)>& partition = nullptr) {
  producer p(bootstrap);
  for (const ticket& t : tickets) {
    p.send(topic, partition ? partition(t) : partition_of(t.movie, partitions), ticket_json(t),
           t.movie);
  }
  p.flush();
}

/// A 30-second tumbling window result: `{window start, movie}` → `{total, n}`.
using result_key = std::pair<std::int64_t, std::string>;
struct result_value {
  double total = 0;
  std::int64_t n = 0;
  bool operator==(const result_value&) const = default;
};
using results = std::map<result_key, result_value>;

inline constexpr std::int64_t window_ms = 30'000;

/// What `$tumblingWindow: {interval: 30 s, pipeline: [{$group: {_id: "$movie", total: {$sum:
/// "$amountPaid"}, n: {$count: {}}}}]}` gives for `tickets`; with `keep`, only the windows
/// (by start) it accepts.
inline results reference(const std::vector<ticket>& tickets,
                         const std::function<bool(std::int64_t)>& keep = nullptr) {
  results out;
  for (const ticket& t : tickets) {
    const std::int64_t start = t.ts - (t.ts % window_ms);
    if (keep && !keep(start)) continue;
    result_value& v = out[{start, t.movie}];
    v.total += t.amount;
    v.n += 1;
  }
  return out;
}

/// One window result as emitted: `{_id: movie, total, n, _stream_meta: {window: {start}}}`.
struct emitted {
  result_key key;
  result_value value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

inline emitted parse_result(const kafka_test::record& r) {
  if (!r.value) throw std::runtime_error("a tombstone in the output");
  const document d = reel::json::parse_ejson_line(*r.value);
  emitted e;
  e.partition = r.partition;
  e.offset = r.offset;
  const auto start = reel::json::as_date(d.at("_stream_meta").at("window").at("start"));
  if (!start) throw std::runtime_error("no window start in " + *r.value);
  e.key = {reel::to_millis(*start), d.at("_id").get<std::string>()};
  e.value = {d.at("total").get<double>(), d.at("n").get<std::int64_t>()};
  return e;
}

/// Every window result in `topic` now.
inline std::vector<emitted> read_results(const std::string& bootstrap, const std::string& topic,
                                         std::chrono::milliseconds timeout = 30s) {
  std::vector<emitted> out;
  for (const kafka_test::record& r : kafka_test::read_all(bootstrap, topic, timeout))
    out.push_back(parse_result(r));
  return out;
}

/// The number of messages in `topic` now (the sum of its end offsets).
inline std::int64_t message_count(const std::string& bootstrap, const std::string& topic,
                                  int partitions = 1) {
  std::int64_t n = 0;
  for (std::int64_t e : end_offsets(bootstrap, topic, partitions))
    n += e;
  return n;
}

/// How emitted results compare with the reference.
struct comparison {
  std::size_t expected = 0, emitted = 0;
  std::size_t distinct = 0;           ///< distinct {window, movie} emitted
  std::size_t missing = 0;            ///< reference results never emitted
  std::size_t wrong = 0;              ///< emitted results not in the reference (or other values)
  std::size_t duplicates = 0;         ///< emitted more than once (identical values)
  std::vector<std::string> examples;  ///< a few missing or wrong ones, for messages
  [[nodiscard]] std::string describe() const {
    std::string s = "expected " + std::to_string(expected) + ", emitted " +
                    std::to_string(emitted) + " (" + std::to_string(distinct) +
                    " distinct), missing " + std::to_string(missing) + ", wrong " +
                    std::to_string(wrong) + ", duplicates " + std::to_string(duplicates);
    for (const auto& e : examples)
      s += "\n  " + e;
    return s;
  }
};

inline std::string key_text(const result_key& k) {
  return reel::format_iso8601(reel::from_millis(k.first)) + " " + k.second;
}

inline comparison compare(const results& expected, const std::vector<emitted>& found) {
  comparison c;
  c.expected = expected.size();
  c.emitted = found.size();
  std::map<result_key, std::size_t> seen;
  for (const emitted& e : found) {
    auto it = expected.find(e.key);
    if (it == expected.end() || !(it->second == e.value)) {
      ++c.wrong;
      if (c.examples.size() < 10) {
        c.examples.push_back("wrong: " + key_text(e.key) + " total " +
                             std::to_string(e.value.total) + " n " + std::to_string(e.value.n) +
                             (it == expected.end()
                                  ? std::string(" (no such result)")
                                  : " (expected total " + std::to_string(it->second.total) + " n " +
                                        std::to_string(it->second.n) + ")"));
      }
      continue;
    }
    if (seen[e.key]++ > 0) ++c.duplicates;
  }
  c.distinct = seen.size();
  for (const auto& [k, v] : expected) {
    if (!seen.count(k)) {
      ++c.missing;
      if (c.examples.size() < 10) c.examples.push_back("missing: " + key_text(k));
    }
  }
  return c;
}

/// Checks that `found` holds every result of `expected` exactly once, each with its values.
inline void check_exactly_once(const results& expected, const std::vector<emitted>& found) {
  const comparison c = compare(expected, found);
  INFO(c.describe());
  CHECK(c.missing == 0);
  CHECK(c.wrong == 0);
  CHECK(c.duplicates == 0);
  CHECK(found.size() == expected.size());
}

// ---------------------------------------------------------------------------------------------
// Pipelines.

/// A registry with the defaults and `kafka` = the broker.
inline reel::connection_registry connections(const std::string& bootstrap) {
  reel::connection_registry r = reel::default_connections();
  reel::kafka::register_connection_type(r);
  r.add_connection("kafka", {{"type", "kafka"}, {"bootstrapServers", bootstrap}});
  return r;
}

/// The pipeline: tickets from `in` → 30-second tumbling totals and counts per movie →
/// `out`. `source_extra` is merged into the `$source` stage, `config_extra` into its `config`.
inline document movie_pipeline(const std::string& in, const std::string& out,
                               const std::string& group, const document& source_extra = {},
                               const document& config_extra = {}) {
  document source = {{"connectionName", "kafka"},
                     {"topic", in},
                     {"timeField", {{"$toDate", "$ts"}}},
                     {"config", {{"group_id", group}, {"auto_offset_reset", "earliest"}}}};
  if (source_extra.is_object()) {
    for (const auto& [k, v] : source_extra.items())
      source[k] = v;
  }
  if (config_extra.is_object()) {
    for (const auto& [k, v] : config_extra.items())
      source["config"][k] = v;
  }
  return document::array(
      {{{"$source", source}},
       {{"$tumblingWindow",
         {{"interval", {{"size", 30}, {"unit", "second"}}},
          {"allowedLateness", {{"size", 1}, {"unit", "minute"}}},
          {"pipeline", document::array({{{"$group",
                                          {{"_id", "$movie"},
                                           {"total", {{"$sum", "$amountPaid"}}},
                                           {"n", {{"$count", document::object()}}}}}}})}}}},
       {{"$emit", {{"connectionName", "kafka"}, {"topic", out}}}}});
}

// ---------------------------------------------------------------------------------------------
// `reel` processes.

/// A scratch directory, removed at the end.
class scratch_dir {
 public:
  explicit scratch_dir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / unique(name)) {
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A child process with stdout and stderr in files; killed (SIGKILL) if still running at the end.
class child {
 public:
  child(const std::vector<std::string>& argv, const std::filesystem::path& out,
        const std::filesystem::path& err)
      : out_(out), err_(err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  ~child() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  [[nodiscard]] bool running() {
    if (exited_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = status;
      return false;
    }
    return r == 0;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  /// Waits for the exit; its wait status, or nullopt after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (!wait_until([&] { return !running(); }, timeout)) return std::nullopt;
    return status_;
  }
  [[nodiscard]] std::string out() const { return read_text(out_); }
  [[nodiscard]] std::string err() const { return read_text(err_); }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::filesystem::path out_, err_;
};

/// `input N` of the last stats line a `reel run` printed on stderr (-1 if none).
inline std::int64_t reported_input(const std::string& stderr_text) {
  const auto at = stderr_text.rfind("input ");
  if (at == std::string::npos) return -1;
  return std::strtoll(stderr_text.c_str() + at + 6, nullptr, 10);
}

}  // namespace kafka_broker_test

/// Declares `const std::string NAME` with the brokers, or ends the test: skipped (with a warning)
/// without REEL_KAFKA_BROKERS, failed when REEL_REQUIRE_SERVICES=1.
#define KAFKA_BROKERS_OR_SKIP(NAME)                                                           \
  const std::optional<std::string> NAME##_opt = kafka_broker_test::brokers();                 \
  if (!NAME##_opt) {                                                                          \
    if (kafka_broker_test::services_required()) {                                             \
      FAIL(                                                                                   \
          "REEL_KAFKA_BROKERS is not set and REEL_REQUIRE_SERVICES=1 (start the broker with " \
          "scripts/services/kafka.sh up)");                                                   \
    }                                                                                         \
    WARN(                                                                                     \
        "skipped: REEL_KAFKA_BROKERS is not set (scripts/services/kafka.sh up; eval "         \
        "\"$(scripts/services/kafka.sh env)\")");                                             \
    return;                                                                                   \
  }                                                                                           \
  const std::string NAME = *NAME##_opt
