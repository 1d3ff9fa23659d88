// SPDX-License-Identifier: Apache-2.0
// reel::s3 against a real S3-compatible server (scripts/services/s3.sh: versitygw, which checks
// SigV4 signatures): every flush threshold, dynamic paths, gzip, output formats, a wrong secret,
// a server restart in the middle of a run, and a JSON pipeline ending in $emit to S3.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/defaults.hpp"
#include "reel/json/stream_processor.hpp"
#include "reel/s3/client.hpp"
#include "reel/s3/sink.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using json = nlohmann::ordered_json;
using reel_s3_test::split_lines;

namespace {

const reel::timestamp t0 = reel::from_millis(1'717'272'003'000);  // 2024-06-01T20:00:03Z

struct fixture {
  reel_s3_test::service svc;
  reel::s3::client s3;
  std::string bucket;
  std::vector<std::chrono::milliseconds> sleeps;
  reel::manual_clock clock{t0};

  fixture(const reel_s3_test::service& s, const std::string& what)
      : svc(s), s3(s.client_options()), bucket(reel_s3_test::bucket_name(what)) {
    s3.create_bucket(bucket);
  }

  reel::s3::sink_options options(json path = "out") {
    reel::s3::sink_options o;
    o.connection = svc.client_options();
    o.bucket = bucket;
    o.path = std::move(path);
    o.clock = &clock;
    o.retry.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    return o;
  }

  /// Every object under `prefix`: key and body.
  std::vector<std::pair<std::string, std::string>> objects(const std::string& prefix = "") {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& key : s3.list_objects(bucket, prefix))
      out.emplace_back(key, s3.get_object(bucket, key));
    return out;
  }
};

json numbered(int i) {
  return {{"i", i}, {"device", i % 2 == 0 ? "even" : "odd"}};
}

std::vector<json> numbered(int from, int to) {
  std::vector<json> out;
  for (int i = from; i < to; ++i)
    out.push_back(numbered(i));
  return out;
}

std::string lines_of(const std::vector<json>& docs) {
  std::string out;
  for (const json& d : docs)
    out += reel::json::to_relaxed_ejson(d) + "\n";
  return out;
}

void write_all(reel::s3::sink& s, const std::vector<json>& docs) {
  reel::write_result r;
  s.write(docs, r);
  REQUIRE(r.rejected.empty());
}

/// Writes one document at a time (as the processor does).
void write_each(reel::s3::sink& s, const std::vector<json>& docs) {
  for (const json& d : docs) {
    reel::write_result r;
    s.write(std::span<const json>(&d, 1), r);
    REQUIRE(r.rejected.empty());
  }
}

void run_script(const std::string& script, const char* action) {
  const std::string command = "'" + script + "' " + action + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
}

}  // namespace

TEST_CASE("count: an object per `count` documents, the rest on flush", "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "count");
  auto o = f.options("counted");
  o.count = 3;
  o.sink_id = "c0a11e01";
  reel::s3::sink s(o);
  write_each(s, numbered(0, 7));
  CHECK(s.written_keys().size() == 2);
  CHECK(s.stats().buffered_documents == 1);
  s.flush();

  const auto objects = f.objects("counted/");
  REQUIRE(objects.size() == 3);
  CHECK(objects[0].first == "counted/c0a11e01-000001.json");
  CHECK(objects[0].second == lines_of(numbered(0, 3)));
  CHECK(objects[1].second == lines_of(numbered(3, 6)));
  CHECK(objects[2].second == lines_of(numbered(6, 7)));
  CHECK(s.written_keys() ==
        std::vector<std::string>{objects[0].first, objects[1].first, objects[2].first});
  CHECK(s.stats().documents == 7);
  CHECK(s.stats().objects == 3);
}

TEST_CASE("bytes: an object once the buffered text reaches `bytes`", "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "bytes");
  auto o = f.options("sized");
  const std::size_t line = lines_of({numbered(10)}).size();  // {"i":10,"device":"even"}\n
  o.bytes = 2 * line + 1;                                    // reached by the third document
  reel::s3::sink s(o);
  write_each(s, numbered(10, 17));
  s.flush();
  const auto objects = f.objects("sized/");
  REQUIRE(objects.size() == 3);
  CHECK(objects[0].second == lines_of(numbered(10, 13)));
  CHECK(objects[1].second == lines_of(numbered(13, 16)));
  CHECK(objects[2].second == lines_of(numbered(16, 17)));
  CHECK(objects[0].second.size() >= *o.bytes);
}

TEST_CASE("a large object (over 1 MiB, where curl adds Expect: 100-continue) is accepted",
          "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "large");
  auto o = f.options("large");
  o.bytes = 3u << 20;
  reel::s3::sink s(o);
  std::vector<json> docs;
  for (int i = 0; i < 40; ++i)
    docs.push_back({{"i", i}, {"payload", std::string(100'000, static_cast<char>('a' + i % 26))}});
  write_each(s, docs);  // 4 MB: one object at 3 MiB, the rest on flush
  s.flush();
  const auto objects = f.objects("large/");
  REQUIRE(objects.size() == 2);
  CHECK(objects[0].second.size() >= (3u << 20));
  CHECK(objects[0].second + objects[1].second == lines_of(docs));
}

TEST_CASE(
    "interval: an object `interval` after its first document, read from the clock on each write",
    "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "interval");
  auto o = f.options("timed");
  o.interval = 10s;
  reel::s3::sink s(o);
  write_each(s, numbered(0, 2));  // first document at t0
  f.clock.advance(5s);
  write_each(s, numbered(2, 3));
  CHECK(s.written_keys().empty());
  f.clock.advance(5s);  // t0 + 10 s: due; the next write uploads it before adding its document
  write_each(s, numbered(3, 4));
  REQUIRE(s.written_keys().size() == 1);
  CHECK(s.stats().buffered_documents == 1);
  f.clock.advance(9s);
  s.flush_due();  // 9 s after the document: not yet
  CHECK(s.written_keys().size() == 1);
  f.clock.advance(1s);
  s.flush_due();  // without a write: for hosts with a timer
  REQUIRE(s.written_keys().size() == 2);

  const auto objects = f.objects("timed/");
  REQUIRE(objects.size() == 2);
  CHECK(objects[0].first.ends_with("-000001.json"));  // uploaded at t0 + 10 s
  CHECK(objects[0].second == lines_of(numbered(0, 3)));
  CHECK(objects[1].first.ends_with("-000002.json"));
  CHECK(objects[1].second == lines_of(numbered(3, 4)));
  CHECK(f.sleeps.empty());
}

TEST_CASE("dynamic paths: one buffer and one object per evaluated path", "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "paths");
  auto o = f.options(json::parse(R"({"$concat": ["devices/", "$device", "/day=2024-06-01"]})"));
  o.count = 2;
  reel::s3::sink s(o);
  std::vector<json> docs = numbered(0, 5);  // even: 0 2 4, odd: 1 3
  docs.push_back({{"i", 99}});              // no device: rejected
  reel::write_result r;
  s.write(docs, r);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].first == 5);
  s.flush();

  const auto even = f.objects("devices/even/day=2024-06-01/");
  const auto odd = f.objects("devices/odd/day=2024-06-01/");
  REQUIRE(even.size() == 2);
  REQUIRE(odd.size() == 1);
  CHECK(even[0].second == lines_of({numbered(0), numbered(2)}));
  CHECK(even[1].second == lines_of({numbered(4)}));
  CHECK(odd[0].second == lines_of({numbered(1), numbered(3)}));
  CHECK(f.objects().size() == 3);
}

TEST_CASE("keys with '=', spaces and non-ASCII characters round-trip through the server",
          "[s3][service][client]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "keys");
  const std::string key = "year=2024/solar panel \xC3\xA9t\xC3\xA9+~(1).json";
  f.s3.put_object(f.bucket, key, "{\"a\":1}\n");
  CHECK(f.s3.get_object(f.bucket, key) == "{\"a\":1}\n");
  CHECK(f.s3.list_objects(f.bucket, "year=2024/") == std::vector<std::string>{key});

  auto o = f.options("caf\xC3\xA9 au lait/a=b");
  reel::s3::sink s(o);
  write_all(s, numbered(0, 2));
  s.flush();
  const auto objects = f.objects("caf\xC3\xA9 au lait/a=b/");
  REQUIRE(objects.size() == 1);
  CHECK(objects[0].second == lines_of(numbered(0, 2)));
  f.s3.delete_object(f.bucket, key);
  CHECK(f.s3.list_objects(f.bucket, "year=2024/").empty());
}

TEST_CASE("gzip objects decompress to the expected lines", "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "gzip");
  for (int level : {1, 6, 9}) {
    auto o = f.options("level" + std::to_string(level));
    o.compression = reel::s3::compression::gzip;
    o.compression_level = level;
    o.count = 100;
    reel::s3::sink s(o);
    write_each(s, numbered(0, 250));
    s.flush();
    const auto objects = f.objects("level" + std::to_string(level) + "/");
    REQUIRE(objects.size() == 3);
    std::string all;
    for (const auto& [key, body] : objects) {
      CHECK(key.size() > 8);
      CHECK(key.substr(key.size() - 8) == ".json.gz");
      CHECK(body.size() > 2);
      CHECK(static_cast<unsigned char>(body[0]) == 0x1f);  // gzip magic
      CHECK(static_cast<unsigned char>(body[1]) == 0x8b);
      all += reel_s3_test::gunzip(body);
    }
    CHECK(all == lines_of(numbered(0, 250)));
    CHECK(split_lines(reel_s3_test::gunzip(objects[0].second)).size() == 100);
  }
}

TEST_CASE("each outputFormat, dateFormat and the delimiter", "[s3][service][sink]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "formats");
  const json doc = json::parse(
      R"({"n": 5, "big": 5000000000, "x": 1.5, "at": {"$date": "2024-06-01T20:00:03.000Z"}, "s": "é"})");
  struct format_case {
    const char* name;
    reel::output_format format;
    bool iso;
    const char* delimiter;
    std::string expected;
  };
  const std::vector<format_case> cases = {
      {"relaxed", reel::output_format::relaxed, false, "\n",
       R"({"n":5,"big":5000000000,"x":1.5,"at":{"$date":"2024-06-01T20:00:03.000Z"},"s":"é"})"
       "\n"},
      {"canonical", reel::output_format::canonical, false, "\n",
       R"({"n":{"$numberInt":"5"},"big":{"$numberLong":"5000000000"},"x":{"$numberDouble":"1.5"},"at":{"$date":{"$numberLong":"1717272003000"}},"s":"é"})"
       "\n"},
      {"basic", reel::output_format::basic, false, "\r\n",
       R"({"n":5,"big":5000000000,"x":1.5,"at":1717272003000,"s":"é"})"
       "\r\n"},
      {"iso", reel::output_format::relaxed, true, ",",
       R"({"n":5,"big":5000000000,"x":1.5,"at":"2024-06-01T20:00:03.000Z","s":"é"})"
       ","},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto o = f.options(c.name);
    o.format = c.format;
    o.iso8601_dates = c.iso;
    o.delimiter = c.delimiter;
    reel::s3::sink s(o);
    write_all(s, {doc, doc});
    s.flush();
    const auto objects = f.objects(std::string(c.name) + "/");
    REQUIRE(objects.size() == 1);
    CHECK(objects[0].second == c.expected + c.expected);
  }
}

TEST_CASE("a wrong secret gives a clear error and keeps the documents", "[s3][service][errors]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "secret");
  auto o = f.options("denied");
  o.connection.credentials.secret_access_key = "not-the-secret-key";
  o.count = 1;
  reel::s3::sink s(o);
  const std::vector<json> docs = {numbered(1)};
  reel::write_result r;
  try {
    s.write(docs, r);
    FAIL("the upload succeeded with a wrong secret");
  } catch (const reel::s3::request_error& e) {
    INFO(e.what());
    CHECK(e.id() == "reel.s3.upload_failed");
    CHECK(e.status() == 403);
    CHECK(e.s3_code() == "SignatureDoesNotMatch");
    CHECK_FALSE(e.retryable());
    const std::string what = e.what();
    CHECK(what.rfind("[reel.s3.upload_failed] at s3://" + f.bucket + "/denied/", 0) == 0);
    const std::string size = std::to_string(lines_of(docs).size());
    CHECK(what.find("cannot upload 1 documents (" + size +
                    " bytes) after 1 attempt: PUT failed: HTTP 403 SignatureDoesNotMatch: ") !=
          std::string::npos);
    CHECK(what.find("(check the secret access key of the connection, and its region)") !=
          std::string::npos);
    CHECK(what.find("not-the-secret-key") == std::string::npos);
  }
  CHECK(f.sleeps.empty());
  CHECK(s.stats().buffered_documents == 1);
  CHECK(f.objects().empty());

  reel::s3::client_options bad = svc->client_options();
  bad.credentials.access_key_id = "NOSUCHKEY";
  reel::s3::client c(bad);
  try {
    (void)c.list_objects(f.bucket);
    FAIL("listing succeeded with an unknown key id");
  } catch (const reel::s3::request_error& e) {
    INFO(e.what());
    // AWS answers 403 InvalidAccessKeyId; versitygw 404 XAdminUserNotFound.
    CHECK((e.status() == 403 || e.status() == 404));
    CHECK((e.s3_code() == "InvalidAccessKeyId" || e.s3_code() == "XAdminUserNotFound"));
    CHECK_FALSE(e.retryable());
    CHECK(e.message().find("(check the access key id of the connection)") != std::string::npos);
  }
}

TEST_CASE("the server stopped mid-run and restarted: nothing buffered is lost",
          "[s3][service][restart]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  if (svc->control_script.empty()) {
    const std::string why =
        "REEL_S3_SERVICE (scripts/services/s3.sh) is not set: cannot restart the server";
    if (reel_s3_test::env("REEL_REQUIRE_SERVICES") == "1") FAIL(why);
    WARN("SKIPPED: " + why);
    return;
  }
  fixture f(*svc, "restart");
  auto o = f.options("run");
  o.count = 2;
  o.retry.attempts = 2;
  o.retry.flush_deadline = 300ms;
  reel::s3::sink s(o);
  write_each(s, numbered(0, 2));
  REQUIRE(s.written_keys().size() == 1);

  run_script(svc->control_script, "down");
  struct restart_guard {  // the server comes back even if a check below throws
    std::string script;
    bool up = false;
    ~restart_guard() {
      if (!up) (void)std::system(("'" + script + "' up >/dev/null 2>&1").c_str());
    }
  } guard{svc->control_script};

  write_each(s, numbered(2, 5));  // the threshold is reached; the uploads fail; kept
  CHECK(s.stats().buffered_documents == 3);
  CHECK(s.stats().failed_attempts == 2);
  CHECK(s.stats().last_error.find("no response from") != std::string::npos);
  try {
    s.flush();
    FAIL("flush succeeded with the server down");
  } catch (const reel::s3::request_error& e) {
    CHECK(e.id() == "reel.s3.upload_failed");
    CHECK(e.status() == 0);
  }
  CHECK(s.stats().buffered_documents == 3);

  run_script(svc->control_script, "up");
  guard.up = true;
  write_each(s, numbered(5, 6));  // still within the cooldown: buffered
  s.flush();
  CHECK(s.stats().buffered_documents == 0);
  const auto objects = f.objects("run/");
  REQUIRE(objects.size() == 2);
  CHECK(objects[0].second == lines_of(numbered(0, 2)));
  CHECK(objects[1].second == lines_of(numbered(2, 6)));
}

TEST_CASE("a JSON pipeline ending in $emit to S3, through the connection registry",
          "[s3][service][pipeline]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  fixture f(*svc, "pipeline");
  reel::connection_registry connections;
  reel::s3::register_connection_type(connections, &f.clock);
  connections.add_connection("lake", json{{"type", "S3"},
                                          {"endpoint", svc->endpoint},
                                          {"accessKeyId", {{"$env", "REEL_S3_ACCESS_KEY"}}},
                                          {"secretAccessKey", {{"$env", "REEL_S3_SECRET_KEY"}}}});
  const json pipeline = json::parse(R"([
    {"$source": {"documents": [
      {"device": "a", "watts": 10, "ts": "2024-06-01T20:00:01Z"},
      {"device": "b", "watts": 20, "ts": "2024-06-01T20:00:02Z"},
      {"device": "a", "watts": 30, "ts": "2024-06-01T20:00:03Z"},
      {"device": 5,   "watts": 40, "ts": "2024-06-01T20:00:04Z"},
      {"device": "a", "watts": 50, "ts": "2024-06-01T20:00:05Z"}],
      "timeField": {"$dateFromString": {"dateString": "$ts"}}}},
    {"$match": {"watts": {"$gte": 20}}},
    {"$project": {"_id": 0, "device": 1, "watts": 1}},
    {"$emit": {"connectionName": "lake", "bucket": "BUCKET", "region": "us-east-1",
               "path": {"$concat": ["solar/", "$device"]},
               "config": {"writeOptions": {"count": 1000}, "outputFormat": "relaxedJson",
                          "compression": "gzip", "compressionLevel": 9}}}])");
  json spec = pipeline;
  spec[3]["$emit"]["bucket"] = f.bucket;
  reel::json::stream_processor_options options;
  options.name = "to_s3";
  options.stream_meta = false;
  options.clock = &f.clock;
  reel::json::stream_processor sp(spec, connections, options);
  std::vector<json> dead;
  sp.on_dead_letter([&](const json& d) { dead.push_back(d); });
  sp.process();  // reads the documents, then flushes: everything is written

  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["operatorName"] == "EmitOperator");
  CHECK(dead[0]["errInfo"]["reason"].get<std::string>().rfind("Failed to evaluate the S3 path: ",
                                                              0) == 0);
  CHECK(dead[0]["doc"] == json{{"device", 5}, {"watts", 40}});
  const auto a = f.objects("solar/a/");
  const auto b = f.objects("solar/b/");
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(reel_s3_test::gunzip(a[0].second) ==
        "{\"device\":\"a\",\"watts\":30}\n{\"device\":\"a\",\"watts\":50}\n");
  CHECK(reel_s3_test::gunzip(b[0].second) == "{\"device\":\"b\",\"watts\":20}\n");
  CHECK(sp.stats()["outputMessageCount"] == 4);
  CHECK(sp.stats()["dlqMessageCount"] == 1);
}

TEST_CASE("examples/pipelines/solar-to-s3.json runs against the server",
          "[s3][service][pipeline][example]") {
  REEL_S3_SERVICE_OR_SKIP(svc);
  const std::string dir = std::string(REEL_SOURCE_DIR) + "/examples/pipelines/";
  std::ifstream in(dir + "solar-to-s3.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const json file = json::parse(text.str());

  reel::connection_registry connections = reel::default_connections();
  reel::s3::register_connection_type(connections);
  connections.load_connections(std::filesystem::path(dir + "connections-s3.json"));
  reel::s3::client s3(svc->client_options());
  const std::string bucket = file["pipeline"].back()["$emit"]["bucket"].get<std::string>();
  s3.create_bucket(bucket);
  for (const std::string& key : s3.list_objects(bucket, "solar/"))
    s3.delete_object(bucket, key);

  reel::json::stream_processor_options options;
  options.name = file["name"].get<std::string>();
  options.stream_meta = false;
  reel::json::stream_processor sp(file["pipeline"], connections, options);
  sp.process();
  CHECK(sp.stats()["dlqMessageCount"] == 0);
  const auto keys = s3.list_objects(bucket, "solar/");
  REQUIRE_FALSE(keys.empty());
  std::size_t lines = 0;
  for (const std::string& key : keys) {
    CHECK(key.substr(key.size() - 8) == ".json.gz");
    for (const std::string& line : split_lines(reel_s3_test::gunzip(s3.get_object(bucket, key)))) {
      const json d = json::parse(line);
      CHECK(d.contains("device_id"));
      CHECK(d.contains("max_watts"));
      ++lines;
    }
  }
  CHECK(lines == sp.stats()["outputMessageCount"].get<std::size_t>());
}
