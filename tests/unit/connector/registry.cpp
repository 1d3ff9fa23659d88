// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/connector/registry.hpp and defaults.hpp: code-built connections,
// connection types, definitions from JSON, $env secrets and the exact error messages.
#include "reel/connector/registry.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "error_of.hpp"

#include "reel/connector/defaults.hpp"
#include "reel/connector/memory.hpp"
#include "unit/connector/temp_dir.hpp"

using document = nlohmann::ordered_json;

namespace {

/// A source that remembers the definition it was built from.
class recording_source final : public reel::source {
 public:
  explicit recording_source(document definition, document stage)
      : definition(std::move(definition)), stage(std::move(stage)) {}
  std::string type() const override { return "recording"; }
  reel::poll_status poll(std::vector<reel::source_message>&, std::size_t) override {
    return reel::poll_status::end_of_input;
  }
  document definition;
  document stage;
};

class null_sink final : public reel::sink {
 public:
  void write(std::span<const document>, reel::write_result&) override {}
};

/// A type "recording" (source and sink) and "sourceonly".
reel::connection_registry registry_with_test_types() {
  reel::connection_registry r;
  reel::connection_type t;
  t.make_source = [](const reel::connection_args& a) -> std::unique_ptr<reel::source> {
    return std::make_unique<recording_source>(a.definition, a.stage);
  };
  t.make_sink = [](const reel::connection_args&) -> std::unique_ptr<reel::sink> {
    return std::make_unique<null_sink>();
  };
  t.check = [](const reel::connection_args& a) {
    reel::check_definition_keys(a, "recording", {"password", "user", "limit", "nested"});
    if (a.definition.contains("limit") && !a.definition["limit"].is_number_integer()) {
      a.definition_error("/limit", "limit must be an integer");
    }
  };
  t.stage_options = {.source = {"x"}, .emit = {}, .merge = {}};
  r.register_type("recording", t);
  reel::connection_type only;
  only.make_source = t.make_source;
  r.register_type("sourceonly", only);
  return r;
}

using reel_test::error_of;

std::map<std::string, std::string> fake_env = {{"REEL_TEST_PASSWORD", "hunter2-s3cret"},
                                               {"REEL_TEST_USER", "alice"}};

void use_fake_env(reel::connection_registry& r) {
  r.set_environment([](const std::string& name) -> std::optional<std::string> {
    auto it = fake_env.find(name);
    if (it == fake_env.end()) return std::nullopt;
    return it->second;
  });
}

/// The connector a registry built: it wraps each in a `redacting_source`.
template <class T>
T* built_source(reel::source& s) {
  return dynamic_cast<T*>(reel::detail::unwrapped(&s));
}

}  // namespace

TEST_CASE("code-built connections keep working", "[connector][registry]") {
  reel::connection_registry r;
  r.add_source("in", [](const document&) {
    return std::make_unique<reel::memory_source>(std::vector<document>{{{"a", 1}}});
  });
  r.add_sink("out", [](const document&) { return std::make_unique<reel::memory_sink>(); });
  CHECK(r.has_source("in"));
  CHECK_FALSE(r.has_sink("in"));
  CHECK(r.has_sink("out"));
  CHECK(r.make_source("in", document::object())->type() == "memory");
  CHECK(r.make_sink("out", document::object()) != nullptr);
  CHECK(error_of(
            [&] { (void)r.make_source("inn", document::object(), "/0/$source/connectionName"); }) ==
        "[reel.connection.unknown] at /0/$source/connectionName: no source connection named 'inn' "
        "(did "
        "you mean 'in'?)");
  CHECK(error_of([&] { (void)r.make_sink("in", document::object(), "/dlq/connectionName"); }) ==
        "[reel.connection.unsupported] at /dlq/connectionName: connection 'in' cannot be used as a "
        "sink");
  CHECK(error_of([&] { (void)r.make_sink("zzz", document::object()); }) ==
        "[reel.connection.unknown] no sink connection named 'zzz'");
}

TEST_CASE("connection types build sources from definitions and stages", "[connector][registry]") {
  reel::connection_registry r = registry_with_test_types();
  r.add_connection("rec", {{"type", "Recording"}, {"limit", 3}});
  CHECK(r.has_type("RECORDING"));
  CHECK(r.has_source("rec"));
  CHECK(r.has_sink("rec"));
  auto s = r.make_source("rec", {{"connectionName", "rec"}, {"x", 1}}, "/0/$source/connectionName");
  auto* rec = built_source<recording_source>(*s);
  REQUIRE(rec != nullptr);
  CHECK(rec->definition == document{{"type", "Recording"}, {"limit", 3}});
  CHECK(rec->stage == document{{"connectionName", "rec"}, {"x", 1}});

  SECTION("a connection definition replaces a code-built one, and the reverse for one role") {
    r.add_source("rec", [](const document&) {
      return std::make_unique<reel::memory_source>(std::vector<document>{});
    });
    CHECK(r.make_source("rec", document::object())->type() == "memory");
    CHECK(r.has_sink("rec"));
    r.add_connection("rec", {{"type", "recording"}});
    CHECK(r.make_source("rec", document::object())->type() == "recording");
  }
  SECTION("roles") {
    r.add_connection("src", {{"type", "sourceonly"}});
    CHECK(r.has_source("src"));
    CHECK_FALSE(r.has_sink("src"));
    CHECK(error_of(
              [&] { (void)r.make_sink("src", document::object(), "/2/$emit/connectionName"); }) ==
          "[reel.connection.unsupported] at /2/$emit/connectionName: connection 'src' of type "
          "'sourceonly' cannot be used as a sink");
    CHECK(error_of([&] { r.verify_sink("src", "/dlq/connectionName"); }) ==
          "[reel.connection.unsupported] at /dlq/connectionName: connection 'src' of type "
          "'sourceonly' "
          "cannot be used as a sink");
    CHECK_NOTHROW(r.verify_source("src"));
  }
  SECTION("names and describe") {
    r.add_sink("code", [](const document&) { return std::make_unique<reel::memory_sink>(); });
    CHECK(r.names() == std::vector<std::string>{"code", "rec"});
    CHECK(r.describe() == document::parse(R"([{"name": "code", "type": "code", "roles": ["sink"]},
                              {"name": "rec", "type": "Recording", "definition": {"type": "Recording", "limit": 3}}])"));
  }
}

TEST_CASE("load_connections reads objects, arrays and files", "[connector][registry]") {
  reel::connection_registry r = registry_with_test_types();
  r.load_connections(
      document::parse(R"({"a": {"type": "recording"}, "b": {"type": "sourceonly"}})"));
  r.load_connections(document::parse(R"([{"name": "c", "type": "recording", "user": "x"}])"));
  CHECK(r.names() == std::vector<std::string>{"a", "b", "c"});

  connector_test::temp_dir dir;
  const auto file = dir.path() / "connections.json";
  std::ofstream(file) << "{\n  // mongosh syntax is fine\n  d: { type: 'recording' },\n}\n";
  r.load_connections(file);
  CHECK(r.has_source("d"));

  std::ofstream(dir.path() / "bad.json")
      << "{\n  \"d\": {\"type\": \"recording\",}\n  \"e\" 1\n}\n";
  const std::string bad = (dir.path() / "bad.json").string();
  CHECK(error_of([&] { r.load_connections(std::filesystem::path(bad)); }) ==
        "[reel.syntax.error] at " + bad +
            ":3:3: expected ',' or '}' after object member, found '\"'");
  const std::string missing = (dir.path() / "missing.json").string();
  CHECK(error_of([&] { r.load_connections(std::filesystem::path(missing)); }) ==
        "[reel.connection.io] at " + missing + ": cannot read the connections file");
}

TEST_CASE("definition errors have exact messages and locations", "[connector][registry]") {
  reel::connection_registry r = registry_with_test_types();
  reel::register_builtin_types(r);
  auto load = [&](const char* text) {
    return error_of([&] { r.load_connections(document::parse(text), "connections.json"); });
  };
  CHECK(load(R"({"tickets": {"type": "recordin"}})") ==
        "[reel.connection.unknown_type] at connections.json:/tickets/type: unknown connection type "
        "'recordin' (did you mean 'recording'?)");
  CHECK(load(R"({"tickets": {"type": "kafka"}})") ==
        "[reel.connection.not_built] at connections.json:/tickets/type: connection type 'kafka' "
        "needs the Kafka connector, which this build of Reel does not have: configure it with "
        "-DREEL_WITH_KAFKA=ON (see the README's \"Compiled connectors\")");
  CHECK(load(R"({"db": {"type": "MongoDB"}})") ==
        "[reel.connection.not_built] at connections.json:/db/type: connection type 'MongoDB' "
        "needs the MongoDB connector, which this build of Reel does not have: configure it with "
        "-DREEL_WITH_MONGO=ON (see the README's \"Compiled connectors\")");
  CHECK(load(R"({"bucket": {"type": "s3"}})") ==
        "[reel.connection.not_built] at connections.json:/bucket/type: connection type 's3' "
        "needs the S3 connector, which this build of Reel does not have: configure it with "
        "-DREEL_WITH_S3=ON (see the README's \"Compiled connectors\")");
  CHECK(load(R"({"tickets": {"path": "x"}})") ==
        "[reel.connection.invalid] at connections.json:/tickets: a connection definition needs a "
        "'type' (known types: file, memory, recording, sample_movie_tickets, sample_stream_solar, "
        "sourceonly, stderr, stdin, stdout)");
  CHECK(load(R"({"tickets": {"type": 7}})") ==
        "[reel.connection.invalid] at connections.json:/tickets/type: type must be a string");
  CHECK(
      load(R"({"tickets": "file"})") ==
      "[reel.connection.invalid] at connections.json:/tickets: a connection definition must be an "
      "object like {\"type\": \"file\", ...}");
  CHECK(load(R"({"tickets": {"type": "recording", "pasword": "x"}})") ==
        "[reel.connection.invalid] at connections.json:/tickets/pasword: unknown field 'pasword' "
        "of a "
        "recording connection (did you mean 'password'?)");
  CHECK(load(R"({"tickets": {"type": "recording", "limit": "ten"}})") ==
        "[reel.connection.invalid] at connections.json:/tickets/limit: limit must be an integer");
  CHECK(load(R"({"out": {"type": "file", "pth": "x"}})") ==
        "[reel.connection.invalid] at connections.json:/out/pth: unknown field 'pth' of a file "
        "connection (did you mean 'path'?)");
  CHECK(load(R"({"out": {"type": "file", "outputFormat": "xml"}})") ==
        "[reel.connection.invalid] at connections.json:/out/outputFormat: outputFormat must be "
        "relaxedJson, canonicalJson or basicJson");
  CHECK(load(R"({"s": {"type": "sample_stream_solar", "cuont": 5}})") ==
        "[reel.connection.invalid] at connections.json:/s/cuont: unknown option 'cuont' of "
        "sample_stream_solar (did you mean 'count'?)");
  CHECK(load(R"({"m": {"type": "memory", "documents": [1]}})") ==
        "[reel.connection.invalid] at connections.json:/m/documents/0: documents must be objects");
  CHECK(load(R"([{"type": "file"}])") ==
        "[reel.connection.invalid] at connections.json:/0: a connection in a list needs a string "
        "'name'");
  CHECK(
      load(R"(5)") ==
      "[reel.connection.invalid] at connections.json: connections must be an object {name: {type, "
      "...}} or an array of {name, type, ...}");
  CHECK(load(R"({"a/b": {"type": "nope"}})") ==
        "[reel.connection.unknown_type] at connections.json:/a~1b/type: unknown connection type "
        "'nope' "
        "(known types: file, memory, recording, sample_movie_tickets, sample_stream_solar, "
        "sourceonly, stderr, stdin, stdout)");
}

TEST_CASE("$env values are resolved when used and never shown", "[connector][registry]") {
  reel::connection_registry r = registry_with_test_types();
  use_fake_env(r);
  r.load_connections(document::parse(R"({
      "kafka": {"type": "recording", "user": {"$env": "REEL_TEST_USER"},
                "nested": {"list": [{"$env": "REEL_TEST_PASSWORD"}]}}})"),
                     "connections.json");

  auto s = r.make_source("kafka", document::object());
  auto* rec = built_source<recording_source>(*s);
  REQUIRE(rec != nullptr);
  CHECK(rec->definition["user"] == "alice");
  CHECK(rec->definition["nested"]["list"][0] == "hunter2-s3cret");

  SECTION("describe shows the references, not the values") {
    const std::string text = r.describe().dump();
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text.find("{\"$env\":\"REEL_TEST_PASSWORD\"}") != std::string::npos);
  }
  SECTION("a missing variable is an error when its connection is used, naming both") {
    // A connections file may define connections that this pipeline does not use.
    r.load_connections(
        document::parse(
            R"({"k": {"type": "recording", "password": {"$env": "REEL_TEST_NOPE"}, "limit": "x"}})"),
        "connections.json");
    const std::string expected =
        "[reel.connection.missing_env] at connections.json:/k/password: environment variable "
        "'REEL_TEST_NOPE' is not set (connection 'k' needs it)";
    CHECK(error_of([&] { (void)r.make_source("k", document::object()); }) == expected);
    CHECK(error_of([&] { (void)r.make_sink("k", document::object()); }) == expected);
    CHECK(error_of([&] { r.verify_source("k", "/0/$source/connectionName"); }) == expected);
    CHECK(error_of([&] { r.verify_sink("k", "/dlq/connectionName"); }) == expected);
    // Once set, the type's check, which could not run before, runs at the first use.
    fake_env["REEL_TEST_NOPE"] = "now-set";
    CHECK(error_of([&] { (void)r.make_source("k", document::object()); }) ==
          "[reel.connection.invalid] at connections.json:/k/limit: limit must be an integer");
    fake_env.erase("REEL_TEST_NOPE");
  }
  SECTION("a malformed reference") {
    CHECK(error_of([&] {
            r.load_connections(
                document::parse(R"({"k": {"type": "recording", "password": {"$env": 5}}})"),
                "connections.json");
          }) ==
          "[reel.connection.invalid] at connections.json:/k/password: $env takes the name of an "
          "environment variable: {\"$env\": \"NAME\"}");
  }
  SECTION("errors of a type never show a secret") {
    reel::connection_type leaky;
    leaky.make_source = [](const reel::connection_args& a) -> std::unique_ptr<reel::source> {
      a.definition_error("/password",
                         "wrong password '" + a.definition["password"].get<std::string>() + "'");
    };
    leaky.make_sink = [](const reel::connection_args& a) -> std::unique_ptr<reel::sink> {
      throw std::runtime_error("connect failed for " + a.definition["password"].get<std::string>());
    };
    leaky.check = [](const reel::connection_args& a) {
      if (a.definition.value("fail", false)) {
        a.definition_error("", "bad secret " + a.definition["password"].get<std::string>());
      }
    };
    r.register_type("leaky", leaky);
    r.load_connections(
        document::parse(R"({"l": {"type": "leaky", "password": {"$env": "REEL_TEST_PASSWORD"}}})"),
        "c.json");
    CHECK(error_of(
              [&] { (void)r.make_source("l", document::object(), "/0/$source/connectionName"); }) ==
          "[reel.connection.invalid] at c.json:/l/password: wrong password '(value of $env "
          "REEL_TEST_PASSWORD)'");
    CHECK(
        error_of([&] { (void)r.make_sink("l", document::object(), "/3/$emit/connectionName"); }) ==
        "[reel.connection.failed] at /3/$emit/connectionName: connect failed for (value of $env "
        "REEL_TEST_PASSWORD)");
    CHECK(
        error_of([&] {
          r.load_connections(
              document::parse(
                  R"({"m": {"type": "leaky", "fail": true, "password": {"$env": "REEL_TEST_PASSWORD"}}})"),
              "c.json");
        }) ==
        "[reel.connection.invalid] at c.json:/m: bad secret (value of $env REEL_TEST_PASSWORD)");
  }
}

TEST_CASE("$env reads the process environment by default", "[connector][registry]") {
  ::setenv("REEL_TEST_ENV_VALUE", "from-the-environment", 1);
  reel::connection_registry r = registry_with_test_types();
  r.add_connection("e", {{"type", "recording"}, {"user", {{"$env", "REEL_TEST_ENV_VALUE"}}}});
  auto s = r.make_source("e", document::object());
  REQUIRE(built_source<recording_source>(*s) != nullptr);
  CHECK(built_source<recording_source>(*s)->definition["user"] == "from-the-environment");
  ::unsetenv("REEL_TEST_ENV_VALUE");
  CHECK(error_of([&] { (void)r.make_source("e", document::object()); }) ==
        "[reel.connection.missing_env] at /user: environment variable 'REEL_TEST_ENV_VALUE' is not "
        "set (connection 'e' needs it)");
}

TEST_CASE("default_connections preconfigures the samples and standard streams",
          "[connector][registry]") {
  reel::connection_registry r = reel::default_connections();
  CHECK(r.names() == std::vector<std::string>{"sample_movie_tickets", "sample_stream_solar",
                                              "stderr", "stdin", "stdout"});
  CHECK(r.has_source("sample_stream_solar"));
  CHECK(r.has_source("sample_movie_tickets"));
  CHECK(r.has_source("stdin"));
  CHECK(r.has_sink("stdout"));
  CHECK(r.has_sink("stderr"));
  CHECK_FALSE(r.has_sink("sample_stream_solar"));
  CHECK(r.type_names() == std::vector<std::string>{"file", "memory", "sample_movie_tickets",
                                                   "sample_stream_solar", "stderr", "stdin",
                                                   "stdout"});
  CHECK(error_of([&] {
          (void)r.make_source("sample_stream_sloar", document::object(),
                              "/0/$source/connectionName");
        }) ==
        "[reel.connection.unknown] at /0/$source/connectionName: no source connection named "
        "'sample_stream_sloar' (did you mean 'sample_stream_solar'?)");
  auto solar = r.make_source("sample_stream_solar", document::object());
  CHECK(solar->type() == "generated");
}

TEST_CASE("load_connections reports every bad definition and keeps the good ones",
          "[connector][registry]") {
  reel::connection_registry r = registry_with_test_types();
  reel::register_builtin_types(r);
  std::vector<std::string> problems;
  try {
    r.load_connections(document::parse(R"({
        "a": {"type": "recordin"},
        "good": {"type": "recording"},
        "b": {"type": "file", "pth": "x"},
        "c": {"type": "kafka"}})"),
                       "connections.json");
  } catch (const reel::error& e) {
    for (const reel::diagnostic& d : e.diagnostics())
      problems.push_back(d.to_string());
  }
  CHECK(problems ==
        std::vector<std::string>{
            "[reel.connection.unknown_type] at connections.json:/a/type: unknown connection type "
            "'recordin' (did you mean 'recording'?)",
            "[reel.connection.invalid] at connections.json:/b/pth: unknown field 'pth' of a file "
            "connection (did you mean 'path'?)",
            "[reel.connection.not_built] at connections.json:/c/type: connection type 'kafka' "
            "needs the Kafka connector, which this build of Reel does not have: configure it with "
            "-DREEL_WITH_KAFKA=ON (see the README's \"Compiled connectors\")"});
  CHECK(r.names() == std::vector<std::string>{"good"});
}

TEST_CASE("verify_source finds a missing input file, sink_target names the file written",
          "[connector][registry]") {
  connector_test::temp_dir dir;
  std::ofstream(dir.path() / "here.ndjson") << "{}\n";
  reel::connection_registry r = reel::default_connections();
  const std::string origin = (dir.path() / "connections.json").string();
  r.load_connections(document::parse(R"({
      "here": {"type": "file", "path": "here.ndjson"},
      "gone": {"type": "file", "path": "gone.ndjson"},
      "out": {"type": "file", "path": "out.ndjson"},
      "dir": {"type": "file", "directory": "results"}})"),
                     origin, dir.path());
  CHECK_NOTHROW(r.verify_source("here", "/0/$source/connectionName", document::object()));
  CHECK(
      error_of([&] { r.verify_source("gone", "/0/$source/connectionName", document::object()); }) ==
      "[reel.connection.invalid] at " + origin + ":/gone/path: file connection 'gone' reads '" +
          (dir.path() / "gone.ndjson").string() + "', which does not exist");
  CHECK(error_of([&] {
          r.verify_source("here", "/0/$source/connectionName",
                          document{{"connectionName", "here"}, {"path", "nope.ndjson"}});
        }) ==
        "[reel.connection.invalid] at /0/$source/path: file connection 'here' reads "
        "'nope.ndjson', which does not exist");
  // Nothing was created by the checks.
  CHECK_FALSE(std::filesystem::exists(dir.path() / "out.ndjson"));

  const std::string out = std::filesystem::weakly_canonical(dir.path() / "out.ndjson").string();
  CHECK(r.sink_target("out", document::object()) == out);
  CHECK(r.sink_target("out", document{{"connectionName", "out"}, {"db", "x"}, {"coll", "y"}}) ==
        out);
  CHECK(r.sink_target("dir", document{{"connectionName", "dir"}, {"db", "x"}, {"coll", "y"}}) ==
        std::filesystem::weakly_canonical(dir.path() / "results" / "x.y.ndjson").string());
  CHECK(r.sink_target("stdout", document::object()).empty());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "out.ndjson"));
}
