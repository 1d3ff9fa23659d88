// SPDX-License-Identifier: Apache-2.0
// reel::s3::checkpoint_store against the S3-compatible server, and the S3 sink's replay-safe
// object names: put/get/list/remove/keep-last, damaged objects passed over, a processor
// restored from the bucket, unreachable and forbidden stores stopping the processor, and a
// replay after a restore writing the same objects as an uninterrupted run.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "connectors/checkpoint_store_checks.hpp"
#include "reel/checkpoint/directory_store.hpp"
#include "reel/s3/checkpoint_store.hpp"
#include "reel/s3/sink.hpp"
#include "support.hpp"

namespace {

using json = nlohmann::ordered_json;
namespace checks = checkpoint_store_checks;

struct store_fixture {
  reel_s3_test::service svc;
  reel::s3::client s3;
  std::string bucket;

  store_fixture(const reel_s3_test::service& s, const std::string& what)
      : svc(s), s3(s.client_options()), bucket(reel_s3_test::bucket_name(what)) {
    s3.create_bucket(bucket);
  }
  reel::s3::checkpoint_store_options options(const std::string& prefix, std::size_t keep) const {
    return {
        .connection = svc.client_options(), .bucket = bucket, .prefix = prefix, .keep_last = keep};
  }
  /// Empties and deletes the bucket.
  void delete_bucket() {
    for (const std::string& key : s3.list_objects(bucket))
      s3.delete_object(bucket, key);
    reel::s3::request r;
    r.method = "DELETE";
    r.bucket = bucket;
    REQUIRE(s3.send(r).status == 204);
  }
};

/// Adds the `"s3"` type (with `clock`) and an `"s3"` connection `lake` (keys from the
/// environment) to `connections`.
void add_lake(reel::connection_registry& connections, const reel_s3_test::service& svc,
              const reel::clock* clock) {
  reel::s3::register_connection_type(connections, clock);
  connections.add_connection("lake", json{{"type", "s3"},
                                          {"endpoint", svc.endpoint},
                                          {"pathStyle", true},
                                          {"accessKeyId", {{"$env", "REEL_S3_ACCESS_KEY"}}},
                                          {"secretAccessKey", {{"$env", "REEL_S3_SECRET_KEY"}}}});
}

}  // namespace

TEST_CASE("S3 checkpoint store: put, get, list, remove, keep the last N",
          "[s3][service][checkpoint]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "ckpt");
  reel::s3::checkpoint_store store(f.options("tickets/", 2));
  CHECK(store.location() == "s3://" + f.bucket + "/tickets/");
  CHECK(store.key_of(42) == "tickets/checkpoint-00000000000000000042");
  f.s3.put_object(f.bucket, "tickets/checkpoint-7.tmp", "not a checkpoint");  // not listed
  f.s3.put_object(f.bucket, "tickets/other/checkpoint-00000000000000000009", "nested: not ours");
  checks::put_get_list_remove_keep_last(store);
  CHECK(f.s3.list_objects(f.bucket, "tickets/checkpoint-0") ==
        std::vector<std::string>{"tickets/checkpoint-00000000000000000002"});

  // Another prefix in the same bucket is another store.
  reel::s3::checkpoint_store other(f.options("", 3));
  CHECK(other.location() == "s3://" + f.bucket + "/");
  CHECK(other.list().empty());
  other.put(5, "top");
  CHECK(f.s3.list_objects(f.bucket, "checkpoint-") ==
        std::vector<std::string>{"checkpoint-00000000000000000005"});
  CHECK(store.list() == std::vector<std::uint64_t>{2});
}

TEST_CASE("S3 checkpoint store: a torn or bit-flipped object is passed over by its checksum",
          "[s3][service][checkpoint]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "ckpt-damaged");
  reel::s3::checkpoint_store store(f.options("p", 3));
  checks::damaged_checkpoints_are_passed_over(store, [&](std::uint64_t v, const std::string& b) {
    f.s3.put_object(f.bucket, store.key_of(v), b);
  });
}

TEST_CASE("a JSON processor restored from an S3 store writes the uninterrupted run's output",
          "[s3][service][checkpoint][pipeline]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "ckpt-restore");
  reel::s3::checkpoint_store store(f.options("restore", 2));
  checks::restored_processor_matches_uninterrupted(store);
  CHECK(store.list().size() == 2);
}

TEST_CASE("an unreachable or forbidden S3 store: a clear error, never the secret",
          "[s3][service][checkpoint][errors]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "ckpt-errors");

  auto unreachable = f.options("p", 3);
  unreachable.connection.endpoint = "http://127.0.0.1:9";
  unreachable.connection.connect_timeout = std::chrono::milliseconds(500);
  reel::s3::checkpoint_store nowhere(unreachable);
  REQUIRE_THROWS_WITH(nowhere.put(1, "x"),
                      Catch::StartsWith("[reel.checkpoint.write_failed] at s3://" + f.bucket +
                                        "/p/checkpoint-00000000000000000001: cannot store the "
                                        "checkpoint: "));
  REQUIRE_THROWS_WITH(nowhere.latest(),
                      Catch::StartsWith("[reel.checkpoint.read_failed] at s3://" + f.bucket +
                                        "/p/: cannot list the checkpoints: "));

  auto forbidden = f.options("p", 3);
  forbidden.connection.credentials.secret_access_key = "not-the-secret-at-all";
  reel::s3::checkpoint_store refused(forbidden);
  try {
    refused.put(1, "x");
    FAIL("a put with a wrong secret succeeded");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.checkpoint.write_failed");
    CHECK_THAT(e.what(), Catch::Contains("HTTP 403"));
    CHECK_THAT(e.what(), !Catch::Contains("not-the-secret-at-all"));
    CHECK_THAT(e.what(), !Catch::Contains(svc->secret_key));
  }
  CHECK(f.s3.list_objects(f.bucket).empty());

  // A processor cannot start on a store it cannot read ...
  checks::file_run run(checks::input_lines(500, 1));
  auto missing_bucket = f.options("p", 3);
  missing_bucket.bucket = f.bucket + "-missing";
  reel::s3::checkpoint_store no_bucket(missing_bucket);
  REQUIRE_THROWS_WITH(
      reel::json::stream_processor(checks::windowed_pipeline(), run.connections,
                                   run.options(&no_bucket)),
      Catch::StartsWith("[reel.checkpoint.read_failed] at s3://" + missing_bucket.bucket +
                        "/p/: cannot list the checkpoints: ") &&
          Catch::Contains("NoSuchBucket"));

  // ... and stops when its store goes away mid-run.
  reel::s3::checkpoint_store store(f.options("p", 3));
  reel::json::stream_processor sp(checks::windowed_pipeline(), run.connections,
                                  run.options(&store));
  sp.step();
  REQUIRE(!store.list().empty());
  f.delete_bucket();
  REQUIRE_THROWS_WITH(sp.step(), Catch::StartsWith("[reel.checkpoint.write_failed] at s3://" +
                                                   f.bucket + "/p/checkpoint-") &&
                                     Catch::Contains("NoSuchBucket"));
}

TEST_CASE("an s3 connection of the registry builds a checkpoint store",
          "[s3][service][checkpoint][connection]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "ckpt-registry");
  reel::connection_registry connections = reel::default_connections();
  add_lake(connections, *svc, &reel::system_clock::instance());
  auto store = connections.make_checkpoint_store(
      "lake",
      json{{"connectionName", "lake"}, {"bucket", f.bucket}, {"prefix", "a/b"}, {"keepLast", 1}},
      "--state");
  REQUIRE(store);
  CHECK(store->location() == "s3://" + f.bucket + "/a/b/");
  store->put(1, "one");
  store->put(2, "two");
  CHECK(store->list() == std::vector<std::uint64_t>{2});
  CHECK(f.s3.get_object(f.bucket, "a/b/checkpoint-00000000000000000002").size() == 3 + 32);

  REQUIRE_THROWS_WITH(
      connections.make_checkpoint_store("lake", json{{"connectionName", "lake"}, {"buckt", "x"}},
                                        "file.json:/options/checkpoint/store"),
      "[reel.connection.invalid] at file.json:/options/checkpoint/store/buckt: unknown field "
      "'buckt' of an S3 checkpoint store (did you mean 'bucket'?)");
  REQUIRE_THROWS_WITH(
      connections.make_checkpoint_store("lake", json{{"connectionName", "lake"}}, "--state"),
      "[reel.connection.invalid] at --state: an S3 checkpoint store requires a bucket");
  REQUIRE_THROWS_WITH(connections.make_checkpoint_store("lak", json::object(), "--state"),
                      "[reel.connection.unknown] at --state: no connection named 'lak' to keep "
                      "checkpoints in (did you mean 'lake'?)");
}

namespace {

/// The objects under `prefix` of `bucket`, with the sink id (the part of the name before the
/// sequence) replaced by `ID`: two runs choose different ids.
std::map<std::string, std::string> objects_by_name(reel::s3::client& s3, const std::string& bucket,
                                                   const std::string& prefix,
                                                   std::vector<std::string>* ids = nullptr) {
  std::map<std::string, std::string> out;
  for (const std::string& key : s3.list_objects(bucket, prefix)) {
    const std::size_t slash = key.rfind('/');
    const std::size_t dash = key.find('-', slash);
    REQUIRE(dash != std::string::npos);
    if (ids) ids->push_back(key.substr(slash + 1, dash - slash - 1));
    out[key.substr(0, slash + 1) + "ID" + key.substr(dash)] = s3.get_object(bucket, key);
  }
  return out;
}

json s3_pipeline(const std::string& bucket) {
  json p = checkpoint_store_checks::windowed_pipeline();
  p[2] = json::parse(R"({"$emit": {"connectionName": "lake", "bucket": "", "region": "us-east-1",
      "path": {"$concat": ["w/", {"$substrCP": ["$_id", 0, 4]}]},
      "config": {"writeOptions": {"count": 7}}}})");
  p[2]["$emit"]["bucket"] = bucket;
  return p;
}

}  // namespace

TEST_CASE("S3 $emit replayed after a restore writes the uninterrupted run's objects, no more",
          "[s3][service][checkpoint][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  const std::string input = checks::input_lines(12000, 21);
  reel::s3::client s3(svc->client_options());

  // Uninterrupted, with the same checkpoint schedule (a checkpoint flushes the sink).
  const std::string plain_bucket = reel_s3_test::bucket_name("replay-plain");
  s3.create_bucket(plain_bucket);
  std::map<std::string, std::string> expected;
  {
    checks::file_run run(input);
    add_lake(run.connections, *svc, &run.clock);
    reel::directory_store store(run.dir.path() / "state", {.sync = false});
    reel::json::stream_processor sp(s3_pipeline(plain_bucket), run.connections,
                                    run.options(&store));
    while (true) {
      run.clock.advance(reel::duration{10});
      if (sp.step() == reel::poll_status::end_of_input) break;
    }
    expected = objects_by_name(s3, plain_bucket, "w/");
  }
  REQUIRE(expected.size() > 20);

  // Dropped at random points (objects written after the last checkpoint are left behind) and
  // restored each time.
  const std::string bucket = reel_s3_test::bucket_name("replay");
  s3.create_bucket(bucket);
  checks::file_run run(input);
  add_lake(run.connections, *svc, &run.clock);
  reel::directory_store store(run.dir.path() / "state", {.sync = false});
  std::mt19937 rng(8);
  int crashes = 0;
  std::size_t objects_left_behind = 0;
  while (true) {
    reel::json::stream_processor sp(s3_pipeline(bucket), run.connections, run.options(&store));
    const int batches = std::uniform_int_distribution<int>(0, 2)(rng);
    bool finished = false;
    for (int b = 0; b <= batches && !finished; ++b) {
      run.clock.advance(reel::duration{10});
      finished = sp.step() == reel::poll_status::end_of_input;
    }
    if (finished) break;
    const std::size_t before = s3.list_objects(bucket, "w/").size();
    sp.process(1 + rng() % 60);  // results (and objects) after the last checkpoint
    objects_left_behind += s3.list_objects(bucket, "w/").size() - before;
    ++crashes;
  }
  INFO(crashes << " crashes, " << objects_left_behind << " objects written before a crash");
  CHECK(crashes > 2);
  CHECK(objects_left_behind > 0);  // the replay had something to overwrite
  std::vector<std::string> ids;
  CHECK(objects_by_name(s3, bucket, "w/", &ids) == expected);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  CHECK(ids.size() == 1);  // every restart named its objects on from the checkpoint
}

TEST_CASE("the S3 sink commit point is {sinkId, objects} and a restored sink names on from it",
          "[s3][service][checkpoint][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  store_fixture f(*svc, "commit-point");
  reel::s3::sink_options o;
  o.connection = svc->client_options();
  o.bucket = f.bucket;
  o.path = "out";
  o.count = 2;
  o.sink_id = "aaaa0001";
  const std::vector<json> docs = {{{"i", 1}}, {{"i", 2}}, {{"i", 3}}};
  reel::write_result r;
  json point;
  {
    reel::s3::sink first(o);
    first.start(nullptr);
    first.write(docs, r);
    CHECK(first.written_keys() == std::vector<std::string>{"out/aaaa0001-000001.json"});
    point = first.commit_point();  // flushes the third document
    CHECK(point == json{{"sinkId", "aaaa0001"}, {"objects", 2}});
    CHECK(first.written_keys().back() == "out/aaaa0001-000002.json");
  }
  o.sink_id.clear();  // a new sink would choose a random id ...
  reel::s3::sink restored(o);
  restored.start(point);  // ... a restored one takes the checkpoint's
  restored.write(docs, r);
  restored.flush();
  CHECK(restored.written_keys() ==
        std::vector<std::string>{"out/aaaa0001-000003.json", "out/aaaa0001-000004.json"});

  reel::s3::sink other(o);
  REQUIRE_THROWS_WITH(other.start(json{{"length", 3}}),
                      "[reel.checkpoint.invalid] at s3://" + f.bucket +
                          ": the S3 sink's commit point is not {sinkId, objects}");
}
