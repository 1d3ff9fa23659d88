// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/json/stage_options.hpp through the connection registry: each connection
// type declares the options it takes in $source, $emit and $merge; others are refused, as
// "unknown" (a typo, with a suggestion) or "not supported by Reel" (an Atlas option).
#include "reel/json/stage_options.hpp"

#include <fstream>
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "error_of.hpp"

#include "reel/connector/defaults.hpp"
#include "reel/json/pipeline.hpp"
#include "unit/connector/temp_dir.hpp"

using document = nlohmann::ordered_json;
using reel_test::error_of;

namespace {

reel::connection_registry with_file(const std::string& path) {
  reel::connection_registry r = reel::default_connections();
  r.add_connection("archive", {{"type", "file"}, {"path", path}});
  return r;
}

}  // namespace

TEST_CASE("a connection refuses $source options its type does not take",
          "[connector][stage_options]") {
  reel::connection_registry r = with_file("in.ndjson");
  auto source = [&](const char* stage) {
    return error_of([&] {
      (void)r.make_source("archive", document::parse(stage), "/0/$source/connectionName");
    });
  };
  CHECK(source(R"({"connectionName": "archive", "topic": "t"})") ==
        "[reel.pipeline.unsupported_option] at /0/$source/topic: option 'topic' of $source is "
        "not supported by Reel for connection type 'file' (Atlas takes it for Kafka)");
  CHECK(source(R"({"connectionName": "archive", "config": {"foo": 1}})") ==
        "[reel.pipeline.unknown_option] at /0/$source/config/foo: unknown option 'foo' of "
        "$source.config for connection type 'file'");
  CHECK(source(R"({"connectionName": "archive", "pth": "x"})") ==
        "[reel.pipeline.unknown_option] at /0/$source/pth: unknown option 'pth' of $source for "
        "connection type 'file' (did you mean 'path'?)");
  CHECK(error_of([&] {
          (void)r.make_source("sample_stream_solar", document::parse(R"({"config": {"seeed": 3}})"),
                              "/0/$source");
        }) ==
        "[reel.pipeline.unknown_option] at /0/$source/config/seeed: unknown option "
        "'seeed' of $source.config for connection type 'sample_stream_solar' (did you mean "
        "'seed'?)");
  CHECK(error_of([&] {
          (void)r.make_source("stdin",
                              document::parse(R"({"connectionName": "stdin", "initialSync": {}})"),
                              "/0/$source/connectionName");
        }) ==
        "[reel.pipeline.unsupported_option] at /0/$source/initialSync: option "
        "'initialSync' of $source is not supported by Reel for connection type 'stdin' (Atlas "
        "takes it for change streams)");
}

TEST_CASE("verify_source and verify_sink check the stage's options too",
          "[connector][stage_options]") {
  connector_test::temp_dir dir;
  const std::string file = (dir.path() / "in.ndjson").string();
  std::ofstream(file) << "{}\n";  // verify_source checks that a file source's file exists
  reel::connection_registry r = with_file(file);
  const document emit =
      document::parse(R"({"connectionName": "archive", "config": {"outputFormat": "basicJson",
                           "compression": "gzip"}})");
  CHECK(error_of([&] { r.verify_sink("archive", "/3/$emit/connectionName", emit); }) ==
        "[reel.pipeline.unsupported_option] at /3/$emit/config/compression: option "
        "'compression' of $emit.config is not supported by Reel for connection type 'file' (Atlas "
        "takes it for S3)");
  const document merge = document::parse(
      R"({"into": {"connectionName": "archive", "db": "d", "coll": "c"}, "whenMatched": "merge"})");
  CHECK(error_of([&] { r.verify_sink("archive", "/3/$merge/into/connectionName", merge); }) ==
        "[reel.pipeline.unsupported_option] at /3/$merge/whenMatched: option 'whenMatched' of "
        "$merge is not supported by Reel for connection type 'file' (Atlas takes it for Atlas "
        "clusters)");
  const document source = document::parse(R"({"connectionName": "archive", "tsFieldName": "t",
                                              "partitionIdleTimeout": {"size": 1, "unit": "second"}})");
  CHECK_NOTHROW(r.verify_source("archive", "/0/$source/connectionName", source));
  const document fine = document::parse(
      R"({"connectionName": "archive", "path": "x.ndjson", "config": {"outputFormat": "basicJson"}})");
  CHECK_NOTHROW(r.verify_sink("archive", "/3/$emit/connectionName", fine));
  const document typo = document::parse(R"({"connectionName": "archive", "topc": "alerts"})");
  CHECK(error_of([&] { r.verify_sink("archive", "/3/$emit/connectionName", typo); }) ==
        "[reel.pipeline.unknown_option] at /3/$emit/topc: unknown option 'topc' of $emit for "
        "connection type 'file' (did you mean 'topic'?)");
  // The DLQ option {connectionName, db, coll} is not a stage.
  CHECK_NOTHROW(r.verify_sink("archive", "/dlq/connectionName", merge));
}

TEST_CASE("connections built in code and undeclared types are checked by the compiler only",
          "[connector][stage_options]") {
  reel::connection_registry r;
  r.add_source("code", [](const document&) {
    return std::make_unique<reel::memory_source>(std::vector<document>{});
  });
  r.register_type("plain", {.make_source = [](const reel::connection_args&) {
                    return std::make_unique<reel::memory_source>(std::vector<document>{});
                  }});
  r.add_connection("undeclared", {{"type", "plain"}});
  const document stage = document::parse(R"({"connectionName": "x", "topic": "t"})");
  CHECK_NOTHROW(r.make_source("code", stage, "/0/$source/connectionName"));
  CHECK_NOTHROW(r.make_source("undeclared", stage, "/0/$source/connectionName"));
  // A type that declares nothing takes what Atlas and Reel have, nothing else.
  const document bogus = document::parse(R"({"connectionName": "x", "bogus": true})");
  CHECK_NOTHROW(r.make_source("code", bogus, "/0/$source/connectionName"));
  CHECK(error_of([&] { (void)r.make_source("undeclared", bogus, "/0/$source/connectionName"); }) ==
        "[reel.pipeline.unknown_option] at /0/$source/bogus: unknown option 'bogus' of "
        "$source for connection type 'plain'");
}

TEST_CASE("the compiler's check without a connection", "[connector][stage_options]") {
  using reel::json::check_stage_options;
  CHECK(error_of([] {
          check_stage_options("$source", document::parse(R"({"timefield": "$t"})"), "/0/$source");
        }) ==
        "[reel.pipeline.unknown_option] at /0/$source/timefield: unknown option "
        "'timefield' of $source (did you mean 'timeField'?)");
  // config belongs to the connection (Kafka passes its client's properties on).
  CHECK_NOTHROW(check_stage_options(
      "$source", document::parse(R"({"topic": "t", "config": {"fetch.min.bytes": 1}})"), "/0"));
  // With a connection, the compiler leaves the connection's own options to it.
  using reel::json::check_stage_option_typos;
  CHECK_NOTHROW(check_stage_option_typos(
      "$source", document::parse(R"({"connectionName": "c", "fail": true})"), "/0/$source"));
  CHECK(error_of([] {
          check_stage_option_typos("$source",
                                   document::parse(R"({"connectionName": "c", "timefield": "$t"})"),
                                   "/0/$source");
        }) ==
        "[reel.pipeline.unknown_option] at /0/$source/timefield: unknown option "
        "'timefield' of $source (did you mean 'timeField'?)");
  CHECK(error_of([] {
          check_stage_option_typos(
              "$merge", document::parse(R"({"into": {"connectionName": "c", "colection": "x"}})"),
              "/3/$merge");
        }) ==
        "[reel.pipeline.unknown_option] at /3/$merge/into/colection: unknown option "
        "'colection' of $merge.into");
  CHECK(error_of([] {
          check_stage_options("$emit", document::parse(R"({"parallelism": 4})"), "/3/$emit");
        }) ==
        "[reel.pipeline.unsupported_option] at /3/$emit/parallelism: option 'parallelism' "
        "of $emit is not supported by Reel (Atlas takes it for every connection)");
}

namespace {

/// Every diagnostic of the `reel::error` `f` throws, one per line.
std::string all_problems_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::error& e) {
    std::string out;
    for (const reel::diagnostic& d : e.diagnostics())
      out += d.to_string() + "\n";
    return out;
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("option checks report every problem, not only the first", "[connector][stage_options]") {
  const document source = document::parse(
      R"({"connectionName": "c", "timefield": "$t", "partitionIdleTimout": 1, "stream": "s",
          "fine": 1})");
  const std::vector<reel::diagnostic> typos =
      reel::json::stage_option_typo_problems("$source", source, "/0/$source");
  REQUIRE(typos.size() == 3);
  CHECK(typos[0].where == "/0/$source/timefield");
  CHECK(typos[1].where == "/0/$source/partitionIdleTimout");
  CHECK(typos[2].to_string() ==
        "[reel.pipeline.unsupported_option] at /0/$source/stream: option 'stream' of $source is "
        "not supported by Reel (Atlas takes it for Kinesis)");
  CHECK(all_problems_of([] {
          reel::json::check_stage_options(
              "$emit", document::parse(R"({"bogus": 1, "parallelism": 2, "config": {"x": 1}})"),
              "/3/$emit");
        }) ==
        "[reel.pipeline.unknown_option] at /3/$emit/bogus: unknown option 'bogus' of $emit\n"
        "[reel.pipeline.unsupported_option] at /3/$emit/parallelism: option 'parallelism' of "
        "$emit is not supported by Reel (Atlas takes it for every connection)\n");
}

TEST_CASE("verify_source reports the stage's options and the connection's problems together",
          "[connector][stage_options]") {
  reel::connection_registry r = with_file("no-such-file.ndjson");
  const document stage =
      document::parse(R"({"connectionName": "archive", "pth": "x", "topic": "t"})");
  CHECK(all_problems_of([&] { r.verify_source("archive", "/0/$source/connectionName", stage); }) ==
        "[reel.pipeline.unknown_option] at /0/$source/pth: unknown option 'pth' of $source for "
        "connection type 'file' (did you mean 'path'?)\n"
        "[reel.pipeline.unsupported_option] at /0/$source/topic: option 'topic' of $source is not "
        "supported by Reel for connection type 'file' (Atlas takes it for Kafka)\n"
        "[reel.connection.invalid] at /path: file connection 'archive' reads "
        "'no-such-file.ndjson', which does not exist\n");
  // make_source, which run uses, refuses the same stage with the same problems of its options.
  CHECK(error_of([&] { (void)r.make_source("archive", stage, "/0/$source/connectionName"); }) ==
        "[reel.pipeline.unknown_option] at /0/$source/pth: unknown option 'pth' of $source for "
        "connection type 'file' (did you mean 'path'?)");
}

TEST_CASE("connection types Atlas has and Reel lacks are not supported, not unknown",
          "[connector][stage_options]") {
  reel::connection_registry r = reel::default_connections();
  CHECK(error_of([&] {
          r.add_connection("stream", {{"type", "Kinesis"}}, "connections.json:/stream");
        }) ==
        "[reel.connection.unsupported_type] at connections.json:/stream/type: connection type "
        "'Kinesis' (Atlas's, for AWS Kinesis data streams) is not supported by Reel");
}

TEST_CASE("an aws_lambda connection without the HTTPS part built names its CMake option",
          "[connector][stage_options]") {
  reel::connection_registry r = reel::default_connections();
  for (const char* type : {"aws_lambda", "AWSLambda"}) {
    CHECK(
        error_of([&] {
          r.add_connection("fn", {{"type", type}, {"region", "us-east-1"}}, "connections.json:/fn");
        }) == "[reel.connection.not_built] at connections.json:/fn/type: connection type '" +
                  std::string(type) +
                  "' needs the HTTPS (AWS Lambda) connector, which this build of Reel does not "
                  "have: configure it with -DREEL_WITH_HTTPS=ON (see the README's \"Compiled "
                  "connectors\")");
  }
}

TEST_CASE("$https in a program without reel::https names the CMake option that builds it",
          "[connector][stage_options]") {
  CHECK(error_of([] {
          (void)reel::json::compile_pipeline(document::parse(R"([
              {"$source": {"connectionName": "in"}},
              {"$https": {"connectionName": "pricing", "as": "price"}}])"));
        }) ==
        "[reel.pipeline.not_built] at /1/$https: stage '$https' comes with reel::https, which "
        "this program does not have: configure Reel with -DREEL_WITH_HTTPS=ON, link reel::https "
        "and call reel::https::register_connection_type (see the README's \"Compiled "
        "connectors\")");
}

TEST_CASE("an https connection without the HTTPS part built names its CMake option",
          "[connector][stage_options]") {
  reel::connection_registry r = reel::default_connections();
  CHECK(error_of([&] {
          r.add_connection("hook", {{"type", "Https"}}, "connections.json:/hook");
        }) ==
        "[reel.connection.not_built] at connections.json:/hook/type: connection type 'Https' "
        "needs the HTTPS connector, which this build of Reel does not have: configure it with "
        "-DREEL_WITH_HTTPS=ON (see the README's \"Compiled connectors\")");
}
