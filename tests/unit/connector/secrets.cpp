// SPDX-License-Identifier: Apache-2.0
// Values read from {"$env": NAME} are secrets: errors name the connection and
// the setting
// (`connection 'archive' path (from $env ARCHIVE_PATH)`), outputs and DLQ
// records carry no
// `_stream_meta.source.path` read from one, and stats and describe() never show
// them (#16 item 4).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "error_of.hpp"
#include "reel/connector/all.hpp"
#include "reel/json.hpp"
#include "unit/connector/temp_dir.hpp"

using reel::json::document;
using reel_test::error_of;

namespace secrets_test {

/// A registry whose `$env` lookups read `variables`.
reel::connection_registry registry_with(std::map<std::string, std::string> variables) {
  reel::connection_registry r = reel::default_connections();
  r.set_environment(
      [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
        auto it = variables.find(name);
        if (it == variables.end()) return std::nullopt;
        return it->second;
      });
  return r;
}

struct collected_records {
  std::vector<document> outputs;
  std::vector<document> dead_letters;
  [[nodiscard]] std::string text() const {
    std::string all;
    for (const document& d : outputs)
      all += d.dump() + "\n";
    for (const document& d : dead_letters)
      all += d.dump() + "\n";
    return all;
  }
};

reel::json::stream_processor_options named() {
  reel::json::stream_processor_options o;
  o.name = "secrets";
  return o;
}

}  // namespace secrets_test

using namespace secrets_test;

TEST_CASE(
    "A sink path from $env is named by its setting in runtime errors, "
    "never shown",
    "[connector][secrets]") {
  reel::connection_registry r = registry_with({{"ARCHIVE_PATH", "/dev/full"}});
  r.load_connections(
      document::parse(R"({"archive": {"type": "file", "path": {"$env": "ARCHIVE_PATH"}}})"),
      "connections.json");
  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text(
          "[{$source: {documents: [{n: 1}, {n: 2}]}}, {$emit: {connectionName: "
          "'archive'}}]"),
      r, named());
  const std::string message = error_of([&] { sp.process(); });
  CHECK(message ==
        "[reel.io.write_failed] at connection 'archive' path (from "
        "$env ARCHIVE_PATH): cannot "
        "write the output");
  CHECK(sp.stats().dump().find("/dev/full") == std::string::npos);
}

TEST_CASE("A sink directory from $env is named by its setting and the file inside it",
          "[connector][secrets]") {
  connector_test::temp_dir dir;
  const std::string secret = (dir.path() / "s3cr3t-path").string();
  std::filesystem::create_directories(secret);
  connector_test::write_file(secret + "/out.ndjson", "{\"earlier\": 1}\n");
  reel::connection_registry r = registry_with({{"OUT_DIR", secret}});
  r.load_connections(
      document::parse(R"({"out": {"type": "file", "directory": {"$env": "OUT_DIR"}}})"),
      "connections.json");
  const std::string message = error_of([&] {
    reel::json::stream_processor sp(
        reel::json::parse_pipeline_text(
            "[{$source: {documents: [{n: 1}]}}, {$emit: {connectionName: 'out', topic: 'out'}}]"),
        r, named());
    sp.process();
  });
  CHECK(message.rfind("[reel.io.file_exists] at connection 'out' directory (from $env "
                      "OUT_DIR), "
                      "file out.ndjson: the output file exists and holds 15 bytes",
                      0) == 0);
  CHECK(message.find("s3cr3t") == std::string::npos);
}

TEST_CASE(
    "A source path from $env is not copied into _stream_meta of outputs "
    "and DLQ records",
    "[connector][secrets]") {
  connector_test::temp_dir dir;
  const std::string secret = (dir.path() / "s3cr3t-path.ndjson").string();
  connector_test::write_file(secret, "{\"n\": 1}\nnot json\n{\"n\": 3}\n");
  reel::connection_registry r = registry_with({{"INPUT_PATH", secret}});
  r.load_connections(document::parse(R"({"in": {"type": "file", "path": {"$env": "INPUT_PATH"}}})"),
                     "connections.json");
  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text("[{$source: {connectionName: 'in'}},"
                                      " {$addFields: {from: {$meta: 'stream.source'}}}]"),
      r, named());
  collected_records c;
  sp.on_output([&c](const document& d) { c.outputs.push_back(d); });
  sp.on_dead_letter([&c](const document& d) { c.dead_letters.push_back(d); });
  sp.process();

  REQUIRE(c.outputs.size() == 2);
  REQUIRE(c.dead_letters.size() == 1);
  CHECK(c.outputs[0]["_stream_meta"]["source"] ==
        document::parse(R"({"type": "file", "position": {"line": 1, "offset": 0}})"));
  CHECK(c.outputs[0]["from"] == document{{"type", "file"}});
  CHECK(c.dead_letters[0]["_stream_meta"]["source"] ==
        document::parse(R"({"type": "file", "position": {"line": 2, "offset": 9}})"));
  CHECK(c.text().find("s3cr3t") == std::string::npos);
  CHECK(sp.stats().dump().find("s3cr3t") == std::string::npos);

  SECTION("a path written in the connection is still reported") {
    reel::connection_registry plain = reel::default_connections();
    plain.load_connections(
        document::parse(R"({"in": {"type": "file", "path": "s3cr3t-path.ndjson"}})"),
        "connections.json", dir.path());
    reel::json::stream_processor shown(
        reel::json::parse_pipeline_text("[{$source: {connectionName: 'in'}}]"), plain, named());
    collected_records d;
    shown.on_output([&d](const document& doc) { d.outputs.push_back(doc); });
    shown.process();
    REQUIRE(d.outputs.size() == 2);
    CHECK(d.outputs[0]["_stream_meta"]["source"]["path"] == secret);
  }
}

TEST_CASE("A missing source file from $env is named by its setting", "[connector][secrets]") {
  reel::connection_registry r = registry_with({{"INPUT_PATH", "/nowhere/s3cr3t-path.ndjson"}});
  r.load_connections(document::parse(R"({"in": {"type": "file", "path": {"$env": "INPUT_PATH"}}})"),
                     "connections.json");
  const std::string expected =
      "[reel.connection.invalid] at connections.json:/in/path: connection 'in' "
      "path (from $env "
      "INPUT_PATH) does not exist";
  CHECK(error_of([&] { r.verify_source("in", "/0/$source/connectionName", document::object()); }) ==
        expected);
  CHECK(error_of([&] { (void)r.make_source("in", document::object()); }) ==
        "[reel.io.open_failed] at connection 'in' path (from $env INPUT_PATH): "
        "cannot open the "
        "file for reading: No such file or directory");
}

TEST_CASE("registry redact replaces the values a connection reads from $env",
          "[connector][secrets]") {
  reel::connection_registry r = registry_with({{"OUT_PATH", "/data/s3cr3t-path.ndjson"}});
  r.load_connections(document::parse(R"({
      "out": {"type": "file", "path": {"$env": "OUT_PATH"}},
      "unset": {"type": "file", "path": {"$env": "NOT_SET"}}})"),
                     "connections.json");
  CHECK(r.redact("out", "would write '/data/s3cr3t-path.ndjson'") ==
        "would write '(value of $env OUT_PATH)'");
  CHECK(r.redact("unset", "text") == "text");
  CHECK(r.redact("stdout", "/data/s3cr3t-path.ndjson") == "/data/s3cr3t-path.ndjson");
}

TEST_CASE("User information of URIs and credentials written in definitions are masked",
          "[connector][secrets]") {
  CHECK(reel::detail::redact_userinfo("cannot reach mongodb://reel:s3cr3t@db1:27017,db2/app?x=1") ==
        "cannot reach mongodb://********@db1:27017,db2/app?x=1");
  CHECK(reel::detail::redact_userinfo("'sasl_ssl://u:p@broker:9092' and http://host/a@b") ==
        "'sasl_ssl://********@broker:9092' and http://host/a@b");
  CHECK(reel::detail::redact_userinfo("no uri, mail@example.com") == "no uri, mail@example.com");

  reel::connection_registry r = registry_with({});
  r.register_type("recording", reel::connection_type{
                                   .make_source = nullptr, .make_sink = nullptr, .check = nullptr});
  r.load_connections(document::parse(R"({
      "db": {"type": "recording", "uri": "mongodb://reel:s3cr3t@db:27017/"},
      "kafka": {"type": "recording", "authentication": {"username": "reel", "password": "s3cr3t"}},
      "s3": {"type": "recording", "accessKeyId": "AKIA", "secretAccessKey": "s3cr3t",
             "sessionToken": {"$env": "TOKEN"}}})"),
                     "connections.json");
  const std::string text = r.describe().dump();
  CHECK(text.find("s3cr3t") == std::string::npos);
  CHECK(text.find(R"("uri":"mongodb://********@db:27017/")") != std::string::npos);
  CHECK(text.find(R"("username":"reel","password":"********")") != std::string::npos);
  CHECK(text.find(R"("sessionToken":{"$env":"TOKEN"})") != std::string::npos);
}

namespace secrets_test {

/// A connector that repeats its `token` setting everywhere it can while it runs, as a broker's
/// or a server's error text might: in a message error, a rejection reason, its metrics and the
/// error thrown by `flush()`.
struct chatty_source final : reel::source {
  explicit chatty_source(std::string token) : token(std::move(token)) {}
  [[nodiscard]] std::string type() const override { return "chatty"; }
  reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t) override {
    if (polled++ > 0) return reel::poll_status::end_of_input;
    reel::source_message good;
    good.payload = R"({"n": 1})";
    out.push_back(std::move(good));
    reel::source_message bad;
    bad.error = "broker said: bad record for key " + token;
    out.push_back(std::move(bad));
    return reel::poll_status::ready;
  }
  [[nodiscard]] document metrics() const override { return {{"client", "user " + token}}; }
  std::string token;
  int polled = 0;
};

struct chatty_sink final : reel::sink {
  explicit chatty_sink(std::string token) : token(std::move(token)) {}
  void write(std::span<const document> docs, reel::write_result& result) override {
    for (std::size_t i = 0; i < docs.size(); ++i)
      result.rejected.emplace_back(i, "server refused write by " + token);
  }
  void flush() override {
    reel::throw_error("reel.io.write_failed", "https://admin:pw@host/x",
                      "connection lost (session " + token + ")");
  }
  [[nodiscard]] document metrics() const override { return {{"session", token}}; }
  std::string token;
};

reel::connection_registry chatty_registry(const std::string& secret) {
  reel::connection_registry r = registry_with({{"CHATTY_TOKEN", secret}});
  r.register_type(
      "chatty",
      {.make_source =
           [](const reel::connection_args& a) {
             return std::make_unique<chatty_source>(a.definition["token"].get<std::string>());
           },
       .make_sink =
           [](const reel::connection_args& a) {
             return std::make_unique<chatty_sink>(a.definition["token"].get<std::string>());
           }});
  r.load_connections(
      document::parse(R"({"c": {"type": "chatty", "token": {"$env": "CHATTY_TOKEN"}}})"),
      "connections.json");
  return r;
}

}  // namespace secrets_test

TEST_CASE("What a connector says while it runs shows no value read from $env",
          "[connector][secrets]") {
  const std::string secret = "s3cr3t-t0ken-42";
  reel::connection_registry r = chatty_registry(secret);
  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text(
          "[{$source: {connectionName: 'c'}}, {$emit: {connectionName: 'c'}}]"),
      r, named());
  collected_records seen;
  sp.on_dead_letter([&](const document& d) { seen.dead_letters.push_back(d); });
  const std::string message = error_of([&] { sp.process(); });
  // Two DLQ records: the source's message error and the sink's rejection.
  REQUIRE(seen.dead_letters.size() == 2);
  const std::string records = seen.text();
  CHECK(records.find("bad record for key (value of $env CHATTY_TOKEN)") != std::string::npos);
  CHECK(records.find("server refused write by (value of $env CHATTY_TOKEN)") != std::string::npos);
  CHECK(message ==
        "[reel.io.write_failed] at https://********@host/x: connection lost (session "
        "(value of $env CHATTY_TOKEN))");
  const std::string stats = sp.stats().dump();
  CHECK(stats.find("(value of $env CHATTY_TOKEN)") != std::string::npos);
  CHECK(records.find(secret) == std::string::npos);
  CHECK(message.find(secret) == std::string::npos);
  CHECK(stats.find(secret) == std::string::npos);
}
