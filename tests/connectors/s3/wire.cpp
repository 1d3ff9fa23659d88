// SPDX-License-Identifier: Apache-2.0
// reel::s3 without a server: what libcurl sends (signature, encoded keys, headers), read at a
// local listener, and the sink's retries, errors and DLQ decisions against scripted responses.
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/aws/sigv4.hpp"
#include "reel/s3/client.hpp"
#include "reel/s3/sink.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using reel_s3_test::http_response;
using reel_s3_test::listener;
using reel_s3_test::s3_error_body;
using reel_s3_test::seen_request;

namespace {

constexpr const char* aws_key_id = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* aws_example_signature =
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

std::string after(const std::string& text, const std::string& marker, char end = ',') {
  const std::size_t at = text.find(marker);
  if (at == std::string::npos) return {};
  const std::size_t start = at + marker.size();
  const std::size_t stop = text.find(end, start);
  return text.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
}

/// The SigV4 request AWS would rebuild from what arrived, for the reference signer.
reel::aws::sigv4_request as_received(const seen_request& r, const std::string& id,
                                     const std::string& secret, const std::string& region) {
  reel::aws::sigv4_request s;
  const std::size_t sp1 = r.line.find(' ');
  const std::size_t sp2 = r.line.rfind(' ');
  s.method = r.line.substr(0, sp1);
  const std::string target = r.line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t q = target.find('?');
  s.canonical_uri = target.substr(0, q);
  s.canonical_query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::string names = after(r.header("authorization"), "SignedHeaders=");
  std::size_t start = 0;
  while (start <= names.size()) {
    std::size_t end = names.find(';', start);
    if (end == std::string::npos) end = names.size();
    const std::string name = names.substr(start, end - start);
    s.headers.emplace_back(name, r.header(name));
    start = end + 1;
  }
  s.payload_hash = r.header("x-amz-content-sha256");
  s.amz_date = r.header("x-amz-date");
  s.region = region;
  s.service = "s3";
  s.access_key_id = id;
  s.secret_access_key = secret;
  return s;
}

reel::s3::client_options local_options(const listener& l) {
  reel::s3::client_options o;
  o.region = "us-east-1";
  o.endpoint = l.endpoint();
  o.credentials.access_key_id = "AKIDREEL";
  o.credentials.secret_access_key = "reel-secret-key";
  o.connect_timeout = 2s;
  o.request_timeout = 10s;
  return o;
}

/// Sink options for a listener, with a sleep that records instead of sleeping.
reel::s3::sink_options local_sink(const listener& l,
                                  std::vector<std::chrono::milliseconds>& sleeps) {
  reel::s3::sink_options o;
  o.connection = local_options(l);
  o.bucket = "b";
  o.path = "out";
  o.sink_id = "cafe0001";
  o.retry.sleep = [&sleeps](std::chrono::milliseconds d) { sleeps.push_back(d); };
  return o;
}

nlohmann::ordered_json doc(int i) {
  return {{"i", i}, {"device", "d" + std::to_string(i % 2)}};
}

}  // namespace

TEST_CASE("uri_encode keeps unreserved bytes and encodes the rest as AWS does", "[s3][sigv4]") {
  CHECK(reel::aws::uri_encode("AZaz09-_.~", true) == "AZaz09-_.~");
  CHECK(reel::aws::uri_encode("a/b c=d", false) == "a/b%20c%3Dd");
  CHECK(reel::aws::uri_encode("a/b", true) == "a%2Fb");
  CHECK(reel::aws::uri_encode("é+*", true) == "%C3%A9%2B%2A");
  CHECK(reel::aws::canonical_query({{"prefix", "a b/"}, {"list-type", "2"}, {"acl", ""}}) ==
        "acl=&list-type=2&prefix=a%20b%2F");
}

TEST_CASE("the reference signer reproduces AWS's GET Object example", "[s3][sigv4]") {
  reel::aws::sigv4_request r;
  r.method = "GET";
  r.canonical_uri = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", reel::aws::sha256_hex("")},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = reel::aws::sha256_hex("");
  r.amz_date = "20130524T000000Z";
  r.region = "us-east-1";
  r.service = "s3";
  r.access_key_id = aws_key_id;
  r.secret_access_key = aws_secret;
  CHECK(reel::aws::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(reel::aws::authorization(r) ==
        std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                    "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                    "Signature=") +
            aws_example_signature);
}

TEST_CASE("libcurl's signature of AWS's GET Object example is AWS's, read at a local listener",
          "[s3][sigv4][curl]") {
  listener l({http_response(200, "OK", "0123456789")});
  reel::s3::client_options o;
  o.region = "us-east-1";
  o.endpoint = "http://s3.amazonaws.com";  // virtual-hosted: examplebucket.s3.amazonaws.com
  o.path_style = false;
  o.credentials.access_key_id = aws_key_id;
  o.credentials.secret_access_key = aws_secret;
  // Every connection to that host goes to the listener on 127.0.0.1 instead.
  o.connect_to = {"examplebucket.s3.amazonaws.com:80:127.0.0.1:" + std::to_string(l.port())};
  reel::s3::client c(o);

  reel::s3::request r;
  r.method = "GET";
  r.bucket = "examplebucket";
  r.key = "test.txt";
  r.headers = {{"Range", "bytes=0-9"}, {"x-amz-date", "20130524T000000Z"}};
  const reel::s3::response res = c.send(r);
  CHECK(res.status == 200);
  CHECK(res.body == "0123456789");

  const auto seen = l.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].line == "GET /test.txt HTTP/1.1");
  CHECK(seen[0].header("host") == "examplebucket.s3.amazonaws.com");
  CHECK(seen[0].header("x-amz-content-sha256") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string authz = seen[0].header("authorization");
  INFO(authz);
  CHECK(after(authz, "Credential=") == "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
  CHECK(after(authz, "SignedHeaders=") == "host;range;x-amz-content-sha256;x-amz-date");
  CHECK(after(authz, "Signature=") == aws_example_signature);
}

TEST_CASE(
    "keys with '=', spaces and non-ASCII characters are sent percent-encoded and signed as AWS "
    "does",
    "[s3][sigv4][curl]") {
  listener l({http_response(200, "OK")});
  reel::s3::client c(local_options(l));
  const std::string key = "year=2024/month=06/solar panel é+ü~.json";
  const std::string body = "{\"a\":1}\n";
  c.put_object("bucket", key, body, "application/x-ndjson");

  const auto seen = l.requests();
  REQUIRE(seen.size() == 1);
  const seen_request& r = seen[0];
  CHECK(r.line ==
        "PUT /bucket/year%3D2024/month%3D06/solar%20panel%20%C3%A9%2B%C3%BC~.json HTTP/1.1");
  CHECK(r.body == body);
  CHECK(r.header("x-amz-content-sha256") == reel::aws::sha256_hex(body));
  CHECK(r.header("content-type") == "application/x-ndjson");
  const std::string authz = r.header("authorization");
  INFO(authz);
  const std::string signed_headers = after(authz, "SignedHeaders=");
  CHECK(signed_headers.find("x-amz-content-sha256") != std::string::npos);
  CHECK(signed_headers.find("expect") == std::string::npos);
  // The signature AWS computes from the request as it arrived (canonical URI = the encoded path).
  const auto expected =
      reel::aws::authorization(as_received(r, "AKIDREEL", "reel-secret-key", "us-east-1"));
  CHECK(after(authz, "Signature=") == after(expected, "Signature="));
}

TEST_CASE("query parameters are sorted and encoded before curl signs them", "[s3][sigv4][curl]") {
  const std::string list_body =
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a b/x&amp;y.json</Key>"
      "</Contents><Contents><Key>a b/\xC3\xA9.json</Key></Contents></ListBucketResult>";
  listener l({http_response(200, "OK", list_body)});
  reel::s3::client c(local_options(l));
  const auto keys = c.list_objects("bucket", "a b/");
  CHECK(keys == std::vector<std::string>{"a b/x&y.json", "a b/\xC3\xA9.json"});
  const auto seen = l.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].line == "GET /bucket?list-type=2&prefix=a%20b%2F HTTP/1.1");
  const auto expected =
      reel::aws::authorization(as_received(seen[0], "AKIDREEL", "reel-secret-key", "us-east-1"));
  CHECK(after(seen[0].header("authorization"), "Signature=") == after(expected, "Signature="));
}

TEST_CASE("a session token is sent as a signed x-amz-security-token", "[s3][sigv4][curl]") {
  listener l({http_response(200, "OK")});
  auto o = local_options(l);
  o.credentials.session_token = "token/with+chars";
  reel::s3::client c(o);
  c.put_object("bucket", "k", "x");
  const auto seen = l.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("x-amz-security-token") == "token/with+chars");
  CHECK(after(seen[0].header("authorization"), "SignedHeaders=").find("x-amz-security-token") !=
        std::string::npos);
}

TEST_CASE("S3 errors carry the HTTP status, the S3 code and message", "[s3][errors]") {
  listener l({http_response(
      403, "Forbidden",
      s3_error_body("SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method."))});
  reel::s3::client c(local_options(l));
  try {
    (void)c.get_object("bucket", "a.json");
    FAIL("no error");
  } catch (const reel::s3::request_error& e) {
    CHECK(e.id() == "reel.s3.request_failed");
    CHECK(e.status() == 403);
    CHECK(e.s3_code() == "SignatureDoesNotMatch");
    CHECK_FALSE(e.retryable());
    CHECK(std::string(e.what()) ==
          "[reel.s3.request_failed] at s3://bucket/a.json: GET failed: HTTP 403 "
          "SignatureDoesNotMatch: The request signature we calculated does not match the "
          "signature you provided. Check your key and signing method. (check the secret access "
          "key of the connection, and its region)");
  }
}

TEST_CASE("no server at all is a retryable error without a status", "[s3][errors]") {
  int port = 0;
  {
    listener closed({http_response(200, "OK")});
    port = closed.port();
  }  // nothing listens there any more
  reel::s3::client_options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.credentials.access_key_id = "a";
  o.credentials.secret_access_key = "b";
  reel::s3::client c(o);
  try {
    c.put_object("bucket", "k", "x");
    FAIL("no error");
  } catch (const reel::s3::request_error& e) {
    CHECK(e.status() == 0);
    CHECK(e.retryable());
    CHECK(e.message().rfind("PUT failed: no response from http://127.0.0.1:", 0) == 0);
  }
}

TEST_CASE("a failed upload is retried with exponential backoff", "[s3][sink][retry]") {
  const std::string slow =
      http_response(503, "Slow Down", s3_error_body("SlowDown", "Reduce your request rate."));
  listener l({slow, slow, http_response(200, "OK")});
  std::vector<std::chrono::milliseconds> sleeps;
  auto o = local_sink(l, sleeps);
  o.count = 2;
  reel::s3::sink s(o);
  reel::write_result r;
  const std::vector<nlohmann::ordered_json> docs = {doc(1), doc(2)};
  s.write(docs, r);
  CHECK(r.rejected.empty());
  CHECK(sleeps == std::vector<std::chrono::milliseconds>{100ms, 200ms});
  const auto seen = l.requests();
  REQUIRE(seen.size() == 3);
  for (const auto& req : seen) {
    CHECK(req.line == seen[0].line);  // the same key each time: a retry cannot duplicate
    CHECK(req.body == "{\"i\":1,\"device\":\"d1\"}\n{\"i\":2,\"device\":\"d0\"}\n");
  }
  CHECK(seen[0].line.rfind("PUT /b/out/", 0) == 0);
  CHECK(seen[0].line == "PUT /b/out/cafe0001-000001.json HTTP/1.1");
  CHECK(s.stats().objects == 1);
  CHECK(s.stats().failed_attempts == 2);
  CHECK(s.stats().buffered_documents == 0);
}

TEST_CASE(
    "uploads that keep failing during write() keep the documents, flush() retries to a deadline, "
    "throws, and a later flush() succeeds",
    "[s3][sink][retry]") {
  const std::string down =
      http_response(500, "Internal Server Error",
                    s3_error_body("InternalError", "We encountered an internal error."));
  // write: 3 tries; flush #1: 2 tries (100 + 200 > 250 ms budget); flush #2: a 500, then 200.
  listener l({down, down, down, down, down, down, http_response(200, "OK")});
  std::vector<std::chrono::milliseconds> sleeps;
  auto o = local_sink(l, sleeps);
  o.count = 1;
  o.retry.flush_deadline = 250ms;
  reel::manual_clock clock{reel::from_millis(1'717'272'000'000)};
  o.clock = &clock;
  reel::s3::sink s(o);

  reel::write_result r;
  const std::vector<nlohmann::ordered_json> first = {doc(1)};
  s.write(first, r);  // 3 tries fail: kept, no throw
  CHECK(l.requests().size() == 3);
  const std::vector<nlohmann::ordered_json> second = {doc(2)};
  s.write(second, r);  // within the cooldown: buffered, no request
  CHECK(l.requests().size() == 3);
  CHECK(s.stats().buffered_documents == 2);
  CHECK(s.stats().last_error.find("HTTP 500 InternalError") != std::string::npos);

  try {
    s.flush();
    FAIL("flush succeeded");
  } catch (const reel::s3::request_error& e) {
    CHECK(e.id() == "reel.s3.upload_failed");
    CHECK(e.status() == 500);
    CHECK(e.retryable());
    CHECK(e.message().find("cannot upload 2 documents") != std::string::npos);
    CHECK(e.message().find("the documents stay buffered") != std::string::npos);
  }
  CHECK(l.requests().size() == 5);
  CHECK(s.stats().buffered_documents == 2);

  s.flush();
  const auto seen = l.requests();
  REQUIRE(seen.size() == 7);
  CHECK(seen.back().body == "{\"i\":1,\"device\":\"d1\"}\n{\"i\":2,\"device\":\"d0\"}\n");
  CHECK(seen.back().line == seen.front().line);
  CHECK(s.stats().buffered_documents == 0);
  CHECK(s.stats().objects == 1);
  CHECK(sleeps == std::vector<std::chrono::milliseconds>{100ms, 200ms, 100ms, 100ms});
}

TEST_CASE("an error that retrying cannot fix throws at once and keeps the documents",
          "[s3][sink][errors]") {
  listener l({http_response(404, "Not Found",
                            s3_error_body("NoSuchBucket", "The specified bucket does not exist"))});
  std::vector<std::chrono::milliseconds> sleeps;
  auto o = local_sink(l, sleeps);
  o.count = 1;
  reel::s3::sink s(o);
  reel::write_result r;
  const std::vector<nlohmann::ordered_json> docs = {doc(1)};
  try {
    s.write(docs, r);
    FAIL("no error");
  } catch (const reel::s3::request_error& e) {
    CHECK(e.id() == "reel.s3.upload_failed");
    CHECK(e.status() == 404);
    CHECK(e.s3_code() == "NoSuchBucket");
    CHECK(e.message().find("HTTP 404 NoSuchBucket: The specified bucket does not exist (create the "
                           "bucket, or check its name)") != std::string::npos);
  }
  CHECK(sleeps.empty());
  CHECK(l.requests().size() == 1);
  CHECK(s.stats().buffered_documents == 1);
}

TEST_CASE("documents whose path fails or that are not objects are rejected for the DLQ",
          "[s3][sink][dlq]") {
  listener l({http_response(200, "OK")});
  std::vector<std::chrono::milliseconds> sleeps;
  auto o = local_sink(l, sleeps);
  o.path = nlohmann::ordered_json::parse(R"({"$concat": ["devices/", "$device"]})");
  reel::s3::sink s(o);
  const std::vector<nlohmann::ordered_json> docs = {
      doc(1), {{"i", 2}}, {{"i", 3}, {"device", 7}}, "not a document", doc(4)};
  reel::write_result r;
  s.write(docs, r);
  REQUIRE(r.rejected.size() == 3);
  CHECK(r.rejected[0] == std::pair<std::size_t, std::string>{
                             1, "The S3 path must evaluate to a string, but it evaluated to null"});
  CHECK(r.rejected[1].first == 2);
  CHECK(r.rejected[1].second.rfind("Failed to evaluate the S3 path: ", 0) == 0);
  CHECK(r.rejected[2] == std::pair<std::size_t, std::string>{3, "The document is not an object"});
  CHECK(s.stats().buffered_documents == 2);
  CHECK(s.stats().rejected == 3);
  CHECK(l.requests().empty());
}

TEST_CASE("bad sink options are reported", "[s3][sink][options]") {
  reel::s3::sink_options o;
  o.connection.endpoint = "http://127.0.0.1:1";
  o.connection.credentials = {"a", "b", ""};
  o.path = "p";
  CHECK_THROWS_WITH(reel::s3::sink(o), "[reel.s3.invalid_option] at /bucket: a bucket is required");
  o.bucket = "b";
  o.compression = reel::s3::compression::gzip;
  o.compression_level = 11;
  o.where = "/2/$emit";
  CHECK_THROWS_WITH(reel::s3::sink(o),
                    "[reel.s3.invalid_option] at /2/$emit/config/compressionLevel: "
                    "compressionLevel must be between 1 and 9");
  o.compression_level = 6;
  o.connection.credentials = {};
  CHECK_THROWS_WITH(reel::s3::sink(o),
                    Catch::Contains("no S3 credentials: give accessKeyId and secretAccessKey"));
}

TEST_CASE("s3 connection definitions and $emit stages are checked, with locations",
          "[s3][connection]") {
  using json = nlohmann::ordered_json;
  reel::connection_registry connections;
  reel::s3::register_connection_type(connections);
  connections.set_environment([](const std::string& name) -> std::optional<std::string> {
    if (name == "KEY") return std::string("AKIDREEL");
    if (name == "SECRET") return std::string("super-secret-value");
    return std::nullopt;
  });
  const json good = {{"type", "s3"},
                     {"endpoint", "http://127.0.0.1:9"},
                     {"accessKeyId", {{"$env", "KEY"}}},
                     {"secretAccessKey", {{"$env", "SECRET"}}}};
  connections.add_connection("lake", good, "connections.json:/lake");
  CHECK(connections.has_sink("lake"));
  CHECK_FALSE(connections.has_source("lake"));

  auto definition_error = [&](json def) -> std::string {
    try {
      connections.add_connection("bad", std::move(def), "connections.json:/bad");
    } catch (const reel::error& e) {
      return e.what();
    }
    return "no error";
  };
  json d = good;
  d["pathstyle"] = true;
  CHECK(definition_error(d) ==
        "[reel.connection.invalid] at connections.json:/bad/pathstyle: unknown field 'pathstyle' "
        "of a s3 connection (did you mean 'pathStyle'?)");
  d = good;
  d["aws"] = {{"roleArn", "arn:aws:iam::1:role/x"}};
  CHECK(
      definition_error(d).rfind("[reel.connection.invalid] at connections.json:/bad/aws: IAM roles "
                                "(aws.roleArn) are not supported by reel::s3",
                                0) == 0);
  d = good;
  d.erase("secretAccessKey");
  CHECK(definition_error(d) ==
        "[reel.connection.invalid] at connections.json:/bad/secretAccessKey: "
        "accessKeyId and secretAccessKey go together");
  d = good;
  d["endpoint"] = "127.0.0.1:7070";
  CHECK(definition_error(d) ==
        "[reel.connection.invalid] at connections.json:/bad/endpoint: "
        "endpoint must start with http:// or https://");

  auto stage_error = [&](const json& stage) -> std::string {
    try {
      (void)connections.make_sink("lake", stage, "/3/$emit/connectionName");
    } catch (const reel::error& e) {
      return e.what();
    }
    return "no error";
  };
  const json stage = json::parse(R"({"connectionName": "lake", "bucket": "b", "path": "p",
      "config": {"writeOptions": {"count": 10, "bytes": 1000, "interval": {"size": 30, "unit": "second"}},
                 "delimiter": "\n", "outputFormat": "canonicalJson", "dateFormat": "ISO8601",
                 "compression": "gzip", "compressionLevel": 9}})");
  CHECK(stage_error(stage) == "no error");
  json s = stage;
  s.erase("bucket");
  CHECK(stage_error(s) == "[reel.connection.invalid] at /3/$emit: $emit to S3 requires a bucket");
  s = stage;
  s["config"]["compresion"] = "gzip";
  CHECK(stage_error(s) ==
        "[reel.pipeline.unknown_option] at /3/$emit/config/compresion: unknown option "
        "'compresion' of $emit.config for connection type 's3' (did you mean 'compression'?)");
  s = stage;
  s["config"]["compression"] = "snappy";
  CHECK(stage_error(s) ==
        "[reel.connection.invalid] at /3/$emit/config/compression: snappy "
        "compression is not supported; use gzip");
  s = stage;
  s["config"]["writeOptions"]["interval"] = {{"size", 8}, {"unit", "day"}};
  CHECK(stage_error(s) ==
        "[reel.connection.invalid] at /3/$emit/config/writeOptions/interval: "
        "interval must be at most 7 days");
  s = stage;
  s["config"]["writeOptions"]["count"] = 0;
  CHECK(stage_error(s) ==
        "[reel.connection.invalid] at /3/$emit/config/writeOptions/count: count "
        "must be a positive integer");
  s = stage;
  s["config"]["outputFormat"] = "xml";
  CHECK(stage_error(s) ==
        "[reel.connection.invalid] at /3/$emit/config/outputFormat: outputFormat "
        "must be relaxedJson, canonicalJson or basicJson");
  s = stage;
  s["path"] = json::parse(R"({"$concat": ["a/", {"$nope": 1}]})");
  CHECK(stage_error(s).find("/3/$emit/path") != std::string::npos);
  s = stage;
  s["path"] = 5;
  CHECK(stage_error(s) ==
        "[reel.connection.invalid] at /3/$emit/path: path must be a string or an expression");

  // No credentials anywhere: a clear error that names both ways (and never a secret).
  if (!reel::s3::credentials::from_environment()) {
    connections.add_connection("anonymous", {{"type", "s3"}}, "connections.json:/anonymous");
    try {
      (void)connections.make_sink("anonymous", stage, "/3/$emit/connectionName");
      FAIL("no error");
    } catch (const reel::error& e) {
      CHECK(std::string(e.what()) ==
            "[reel.connection.invalid] at connections.json:/anonymous: no credentials for S3 "
            "connection 'anonymous': give accessKeyId and secretAccessKey (e.g. {\"$env\": "
            "\"NAME\"}), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
  }
}
