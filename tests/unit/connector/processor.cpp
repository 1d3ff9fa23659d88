// SPDX-License-Identifier: Apache-2.0
// The built-in connectors driven by reel::json::stream_processor: NDJSON bad lines become DLQ
// records with their bytes and position, any sink connection serves as the DLQ, the sample
// sources feed windows deterministically, and secrets stay out of stats and errors.
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/all.hpp"
#include "reel/json.hpp"
#include "unit/connector/temp_dir.hpp"

using reel::json::document;

namespace {

std::vector<document> lines_of(const std::string& text) {
  std::vector<document> out;
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t nl = text.find('\n', from);
    out.push_back(reel::json::parse_ejson_line(text.substr(from, nl - from)));
    from = nl + 1;
  }
  return out;
}

struct collected {
  std::vector<document> outputs;
  std::vector<document> dead_letters;
};

reel::json::stream_processor_options named(std::string name) {
  reel::json::stream_processor_options o;
  o.name = std::move(name);
  return o;
}

void collect(reel::json::stream_processor& sp, collected& c) {
  sp.on_output([&c](const document& d) { c.outputs.push_back(d); });
  sp.on_dead_letter([&c](const document& d) { c.dead_letters.push_back(d); });
}

}  // namespace

TEST_CASE("NDJSON file: a bad line becomes a DLQ record with its bytes and position",
          "[connector][processor]") {
  connector_test::temp_dir dir;
  connector_test::write_file(dir.path() / "in.ndjson",
                             "{\"n\": 1, \"t\": \"2024-01-01T00:00:01Z\"}\n"
                             "{\"n\": 2, \"t\": \n"
                             "[1, 2]\n"
                             "{\"n\": 3, \"t\": \"2024-01-01T00:00:02Z\"}\n");
  reel::connection_registry r = reel::default_connections();
  r.load_connections(document::parse(R"({
      "in":  {"type": "file", "path": "in.ndjson"},
      "out": {"type": "file", "path": "out.ndjson"},
      "dlq": {"type": "file", "directory": "dlq"}})"),
                     "connections.json", dir.path());
  const document pipeline = reel::json::parse_pipeline_text(R"([
      {$source: {connectionName: 'in', timeField: {$dateFromString: {dateString: '$t'}}}},
      {$project: {n: 1}},
      {$emit: {connectionName: 'out'}}])");
  reel::json::stream_processor_options options;
  options.name = "files";
  options.stream_meta = false;
  options.dlq = document{{"connectionName", "dlq"}, {"db", "reel"}, {"coll", "dead"}};
  collected c;
  {
    reel::json::stream_processor sp(pipeline, r, options);
    collect(sp, c);
    sp.process();
    CHECK(sp.stats()["inputMessageCount"] == 4);
    CHECK(sp.stats()["dlqMessageCount"] == 2);
    CHECK(sp.stats()["sourcePositions"] == document{{"line", 5}, {"offset", 98}});
  }
  const auto out = lines_of(connector_test::read_file(dir.path() / "out.ndjson"));
  REQUIRE(out.size() == 2);
  CHECK(out[0]["n"] == 1);
  CHECK(out[1]["n"] == 3);

  const auto dlq = lines_of(connector_test::read_file(dir.path() / "dlq" / "reel.dead.ndjson"));
  REQUIRE(dlq.size() == 2);
  CHECK(dlq == c.dead_letters);
  CHECK(dlq[0]["processorName"] == "files");
  CHECK(dlq[0]["operatorName"] == "SourceOperator");
  CHECK(dlq[0]["errInfo"]["payload"] == "{\"n\": 2, \"t\": ");
  CHECK(dlq[0]["_stream_meta"]["source"] == document{{"path", (dir.path() / "in.ndjson").string()},
                                                     {"type", "file"},
                                                     {"position", {{"line", 2}, {"offset", 38}}}});
  CHECK(dlq[1]["errInfo"]["reason"] == "Input message is not a JSON object");
  CHECK(dlq[1]["errInfo"]["payload"] == "[1, 2]");
  CHECK(dlq[1]["_stream_meta"]["source"]["position"] == document{{"line", 3}, {"offset", 53}});
}

TEST_CASE("NDJSON file: each line's path and position reach $meta, outputs and late records",
          "[connector][processor]") {
  connector_test::temp_dir dir;
  connector_test::write_file(dir.path() / "in.ndjson",
                             "{\"n\": 1, \"t\": \"2024-01-01T00:00:01Z\"}\n"
                             "{\"n\": 2, \"t\": \"2024-01-01T00:00:09Z\"}\n"
                             "\n"
                             "{\"n\": 3, \"t\": \"2024-01-01T00:00:02Z\"}\n");
  reel::connection_registry r = reel::default_connections();
  r.load_connections(document::parse(R"({"in": {"type": "file", "path": "in.ndjson"}})"),
                     "connections.json", dir.path());
  const std::string path = (dir.path() / "in.ndjson").string();

  SECTION("without a window: $meta and every output's _stream_meta") {
    const document pipeline = reel::json::parse_pipeline_text(R"([
        {$source: {connectionName: 'in', timeField: {$dateFromString: {dateString: '$t'}}}},
        {$project: {n: 1, src: {$meta: 'stream.source'}}}])");
    reel::json::stream_processor sp(pipeline, r, named("lines"));
    collected c;
    collect(sp, c);
    sp.process();
    REQUIRE(c.outputs.size() == 3);
    int i = 0;
    for (const auto& [line, offset] : {std::pair{1, 0}, {2, 38}, {4, 77}}) {
      const document& out = c.outputs[i++];
      INFO(out.dump());
      CHECK(out["src"] == document{{"path", path}, {"type", "file"}});
      CHECK(out["_stream_meta"]["source"] ==
            document{{"path", path},
                     {"type", "file"},
                     {"position", {{"line", line}, {"offset", offset}}}});
    }
  }
  SECTION("in a window: the group key reads the path, a late line's record has its position") {
    const document pipeline = reel::json::parse_pipeline_text(R"([
        {$source: {connectionName: 'in', timeField: {$dateFromString: {dateString: '$t'}}}},
        {$tumblingWindow: {interval: {size: 5, unit: 'second'},
            pipeline: [{$group: {_id: {$meta: 'stream.source.path'}, n: {$sum: 1}}}]}}])");
    reel::json::stream_processor sp(pipeline, r, named("lines"));
    collected c;
    collect(sp, c);
    sp.process();
    REQUIRE(c.outputs.size() == 2);
    CHECK(c.outputs[0]["_id"] == path);
    CHECK(c.outputs[0]["n"] == 1);
    REQUIRE(c.dead_letters.size() == 1);
    CHECK(c.dead_letters[0]["_stream_meta"]["source"] ==
          document{{"path", path}, {"type", "file"}, {"position", {{"line", 4}, {"offset", 77}}}});
  }
}

TEST_CASE("sample_stream_solar is available by default and deterministic",
          "[connector][processor]") {
  const document pipeline = reel::json::parse_pipeline_text(R"([
      {$source: {connectionName: 'sample_stream_solar', config: {count: 600},
                 timeField: {$dateFromString: {dateString: '$timestamp'}}}},
      {$hoppingWindow: {interval: {size: 20, unit: 'second'}, hopSize: {size: 10, unit: 'second'},
          pipeline: [{$group: {_id: '$device_id', max_watts: {$max: '$obs.watts'}}}]}}])");
  auto run = [&] {
    reel::connection_registry r = reel::default_connections();
    reel::json::stream_processor sp(pipeline, r, named("solar"));
    collected c;
    collect(sp, c);
    sp.process();
    CHECK(sp.stats()["inputMessageCount"] == 600);
    return c;
  };
  const collected a = run();
  const collected b = run();
  CHECK(a.outputs == b.outputs);
  // 600 readings are one minute of ten devices: windows every 10 s, ten devices each.
  CHECK(a.outputs.size() >= 60);
  CHECK(a.outputs.size() % 10 == 0);
  for (const auto& d : a.outputs) {
    CHECK(d["_id"].get<std::string>().rfind("device_", 0) == 0);
  }
}

TEST_CASE("movie tickets: $validate and late tickets feed the DLQ", "[connector][processor]") {
  const document pipeline = reel::json::parse_pipeline_text(R"([
      {$source: {connectionName: 'sample_movie_tickets', config: {count: 2000},
                 timeField: {$dateFromString: {dateString: '$ts'}}}},
      {$validate: {validator: {$jsonSchema: {required: ['movie', 'amountPaid', 'ts'],
                     properties: {movie: {bsonType: 'string'}, amountPaid: {bsonType: 'number'},
                                  ts: {bsonType: ['string', 'date']}}}},
                   validationAction: 'dlq'}},
      {$tumblingWindow: {interval: {size: 30, unit: 'second'}, allowedLateness: {size: 1, unit: 'minute'},
          pipeline: [{$group: {_id: '$movie', total: {$sum: '$amountPaid'}}}]}}])");
  reel::connection_registry r = reel::default_connections();
  reel::json::stream_processor sp(pipeline, r, named("movies"));
  collected c;
  collect(sp, c);
  sp.process();
  std::map<std::string, int> by_operator;
  for (const auto& d : c.dead_letters)
    ++by_operator[d["operatorName"].get<std::string>()];
  CHECK(by_operator["ValidateOperator"] > 0);
  CHECK(by_operator["TumblingWindowOperator"] > 0);
  CHECK(sp.stats()["lateMessageCount"] == by_operator["TumblingWindowOperator"]);
  // 2000 tickets at 250 ms are 500 s: 17 windows of 30 s, six movies each at most.
  CHECK(c.outputs.size() > 17 * 4);
  CHECK(c.outputs.size() <= 17 * 6);
}

TEST_CASE("secrets never reach stats or errors", "[connector][processor]") {
  reel::connection_registry r = reel::default_connections();
  r.set_environment([](const std::string& name) -> std::optional<std::string> {
    if (name == "REEL_TEST_TOKEN") return "tok-5ecret-value";
    return std::nullopt;
  });
  reel::connection_type t;
  t.make_source = [](const reel::connection_args& a) -> std::unique_ptr<reel::source> {
    if (a.stage.contains("fail"))
      a.stage_error("/fail", "token " + a.definition["token"].get<std::string>() + " rejected");
    return std::make_unique<reel::memory_source>(
        std::vector<document>{{{"token_len", a.definition["token"].get<std::string>().size()}}});
  };
  t.stage_options = {.source = {"fail"}, .emit = {}, .merge = {}};
  r.register_type("secured", t);
  r.load_connections(
      document::parse(R"({"secured": {"type": "secured", "token": {"$env": "REEL_TEST_TOKEN"}}})"),
      "connections.json");

  reel::json::stream_processor sp(
      reel::json::parse_pipeline_text("[{$source: {connectionName: 'secured'}}]"), r, named("s"));
  collected c;
  collect(sp, c);
  sp.process();
  REQUIRE(c.outputs.size() == 1);
  CHECK(c.outputs[0]["token_len"] == 16);
  CHECK(sp.stats().dump().find("5ecret") == std::string::npos);
  CHECK(r.describe().dump().find("5ecret") == std::string::npos);

  try {
    reel::json::stream_processor failing(
        reel::json::parse_pipeline_text("[{$source: {connectionName: 'secured', fail: true}}]"), r,
        named("f"));
    FAIL("no error");
  } catch (const reel::error& e) {
    CHECK(std::string(e.what()) ==
          "[reel.connection.invalid] at /0/$source/fail: token (value of $env REEL_TEST_TOKEN) "
          "rejected");
  }
}
