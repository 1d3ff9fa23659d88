// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/connector/{ndjson,file,stdio}.hpp: lines and positions, blank lines,
// CRLF, seeking, output formats, files through the "file" connection type, stdin from a pipe.
#include "reel/connector/ndjson.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "error_of.hpp"

#include "reel/connector/defaults.hpp"
#include "reel/connector/file.hpp"
#include "reel/connector/stdio.hpp"
#include "unit/connector/temp_dir.hpp"

using document = nlohmann::ordered_json;

namespace {

/// Every message of `s` until the end of input.
std::vector<reel::source_message> drain(reel::source& s, std::size_t batch = 100) {
  std::vector<reel::source_message> all;
  for (int guard = 0; guard < 100000; ++guard) {
    std::vector<reel::source_message> out;
    const auto status = s.poll(out, batch);
    for (auto& m : out)
      all.push_back(std::move(m));
    if (status == reel::poll_status::end_of_input) return all;
  }
  FAIL("the source never ended");
  return all;
}

using reel_test::error_of;

}  // namespace

TEST_CASE("ndjson_source: one message per line with line and offset", "[connector][ndjson]") {
  std::istringstream in("{\"a\": 1}\n\n  \nnot json\r\n{\"b\": 2}");
  reel::ndjson_source source(in, {.type = "file", .path = "t.ndjson", .chunk_size = 4});
  const auto msgs = drain(source, 2);
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0].payload == "{\"a\": 1}");
  CHECK(msgs[0].position_document() == document{{"line", 1}, {"offset", 0}});
  CHECK(msgs[0].metadata_document() == document{{"path", "t.ndjson"}});
  CHECK_FALSE(msgs[0].document.has_value());
  CHECK(msgs[1].payload == "not json");
  CHECK(msgs[1].position_document() == document{{"line", 4}, {"offset", 13}});
  CHECK(msgs[2].payload == "{\"b\": 2}");  // the last line has no newline
  CHECK(msgs[2].position_document() == document{{"line", 5}, {"offset", 23}});
  CHECK(source.positions() == document{{"line", 6}, {"offset", 31}});
  std::vector<reel::source_message> more;
  CHECK(source.poll(more, 10) == reel::poll_status::end_of_input);
}

TEST_CASE("ndjson_source: seek resumes at a stored position", "[connector][ndjson]") {
  const std::string text = "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n";
  std::istringstream in(text);
  reel::ndjson_source source(in);
  std::vector<reel::source_message> out;
  source.poll(out, 1);
  REQUIRE(out.size() == 1);
  const document stored = source.positions();
  CHECK(stored == document{{"line", 2}, {"offset", 9}});

  std::istringstream again(text);
  reel::ndjson_source resumed(again);
  resumed.seek(stored);
  const auto rest = drain(resumed);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].payload == "{\"n\": 2}");
  CHECK(rest[0].position_document() == document{{"line", 2}, {"offset", 9}});
  CHECK(rest[1].position_document() == document{{"line", 3}, {"offset", 18}});
}

TEST_CASE("ndjson_sink writes relaxed, canonical or basic Extended JSON", "[connector][ndjson]") {
  const std::vector<document> docs = {
      {{"n", 7}, {"at", {{"$date", "2024-01-01T00:00:00.000Z"}}}},
      {{"x", 1.5}},
  };
  reel::write_result r;
  std::ostringstream relaxed, canonical, basic;
  reel::ndjson_sink(relaxed).write(docs, r);
  reel::ndjson_sink_options canonical_options, basic_options;
  canonical_options.format = reel::output_format::canonical;
  basic_options.format = reel::output_format::basic;
  reel::ndjson_sink(canonical, canonical_options).write(docs, r);
  reel::ndjson_sink(basic, basic_options).write(docs, r);
  CHECK(relaxed.str() ==
        "{\"n\":7,\"at\":{\"$date\":\"2024-01-01T00:00:00.000Z\"}}\n{\"x\":1.5}\n");
  CHECK(canonical.str() ==
        "{\"n\":{\"$numberInt\":\"7\"},\"at\":{\"$date\":{\"$numberLong\":\"1704067200000\"}}}\n"
        "{\"x\":{\"$numberDouble\":\"1.5\"}}\n");
  CHECK(basic.str() == "{\"n\":7,\"at\":1704067200000}\n{\"x\":1.5}\n");
  CHECK(r.rejected.empty());
  CHECK(reel::parse_output_format("relaxedJson") == reel::output_format::relaxed);
  CHECK_FALSE(reel::parse_output_format("json").has_value());
}

TEST_CASE("file connections read and write NDJSON files", "[connector][file]") {
  connector_test::temp_dir dir;
  connector_test::write_file(dir.path() / "in.ndjson", "{\"a\": 1}\n{bad\n");
  reel::connection_registry r;
  reel::register_builtin_types(r);
  r.load_connections(document::parse(R"({
      "in":   {"type": "file", "path": "in.ndjson"},
      "out":  {"type": "file", "path": "out/result.ndjson", "outputFormat": "canonicalJson"},
      "dir":  {"type": "file", "directory": "sinks", "append": true}})"),
                     "connections.json", dir.path());

  SECTION("source: paths relative to the connections file, positions kept") {
    auto s = r.make_source("in", document::object());
    CHECK(s->type() == "file");
    const auto msgs = drain(*s);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[1].payload == "{bad");
    CHECK(msgs[1].position_document() == document{{"line", 2}, {"offset", 9}});
    CHECK(msgs[1].metadata_document()["path"] == (dir.path() / "in.ndjson").string());
  }
  SECTION("source: the stage's path") {
    connector_test::write_file(dir.path() / "sinks-in.ndjson", "{\"z\": 0}\n");
    r.add_connection("files", {{"type", "file"}, {"directory", "."}}, "", dir.path());
    auto s = r.make_source("files", {{"connectionName", "files"}, {"path", "sinks-in.ndjson"}});
    CHECK(drain(*s).size() == 1);
  }
  SECTION("sink: the definition's path and format; the directory is created") {
    auto s = r.make_sink("out", {{"connectionName", "out"}});
    reel::write_result wr;
    const std::vector<document> docs = {{{"n", 1}}};
    s->write(docs, wr);
    s->flush();
    CHECK(connector_test::read_file(dir.path() / "out" / "result.ndjson") ==
          "{\"n\":{\"$numberInt\":\"1\"}}\n");
  }
  SECTION("sink: $emit config.outputFormat overrides the connection's") {
    auto s = r.make_sink("out",
                         {{"connectionName", "out"}, {"config", {{"outputFormat", "basicJson"}}}});
    reel::write_result wr;
    const std::vector<document> docs = {{{"n", 1}}};
    s->write(docs, wr);
    s.reset();
    CHECK(connector_test::read_file(dir.path() / "out" / "result.ndjson") == "{\"n\":1}\n");
  }
  SECTION("sink: dateFormat ISO8601 writes dates as strings; the stage's config overrides") {
    r.add_connection("iso", {{"type", "file"}, {"path", "iso.ndjson"}, {"dateFormat", "ISO8601"}},
                     "", dir.path());
    const std::vector<document> docs = {
        {{"at", {{"$date", "2024-06-01T20:00:00.250Z"}}},
         {"in", document::array({{{"$date", "1970-01-01T00:00:00Z"}}})}}};
    reel::write_result wr;
    auto iso = r.make_sink("iso", {{"connectionName", "iso"}});
    iso->write(docs, wr);
    // The commit point counts the bytes written, the ISO strings included.
    CHECK(iso->commit_point() == document{{"length", 68}});
    CHECK(connector_test::read_file(dir.path() / "iso.ndjson") ==
          "{\"at\":\"2024-06-01T20:00:00.250Z\",\"in\":[\"1970-01-01T00:00:00.000Z\"]}\n");
    iso.reset();
    auto by_default =
        r.make_sink("out", {{"connectionName", "out"}, {"config", {{"dateFormat", "default"}}}});
    by_default->write(docs, wr);
    by_default.reset();
    CHECK(connector_test::read_file(dir.path() / "out" / "result.ndjson").find("{\"$date\"") !=
          std::string::npos);
    std::filesystem::remove(dir.path() / "out" / "result.ndjson");
    auto in_stage =
        r.make_sink("out", {{"connectionName", "out"}, {"config", {{"dateFormat", "ISO8601"}}}});
    in_stage->write(docs, wr);
    in_stage.reset();
    CHECK(connector_test::read_file(dir.path() / "out" / "result.ndjson") ==
          "{\"at\":\"2024-06-01T20:00:00.250Z\",\"in\":[\"1970-01-01T00:00:00.000Z\"]}\n");
    CHECK(error_of([&] {
            (void)r.make_sink("out",
                              {{"connectionName", "out"}, {"config", {{"dateFormat", "iso"}}}},
                              "/3/$emit/connectionName");
          }) ==
          "[reel.connection.invalid] at /3/$emit/config/dateFormat: dateFormat must be "
          "\"default\" or \"ISO8601\", not \"iso\"");
  }
  SECTION("sink: a directory connection names files after db.coll or topic, and appends") {
    const std::vector<document> docs = {{{"n", 1}}};
    reel::write_result wr;
    for (int i = 0; i < 2; ++i) {
      r.make_sink("dir", {{"connectionName", "dir"}, {"db", "reel"}, {"coll", "dlq"}})
          ->write(docs, wr);
    }
    r.make_sink("dir", {{"into", {{"connectionName", "dir"}, {"db", "shop"}, {"coll", "sales"}}}})
        ->write(docs, wr);
    r.make_sink("dir", {{"connectionName", "dir"}, {"topic", "alerts"}})->write(docs, wr);
    CHECK(connector_test::read_file(dir.path() / "sinks" / "reel.dlq.ndjson") ==
          "{\"n\":1}\n{\"n\":1}\n");
    CHECK(connector_test::read_file(dir.path() / "sinks" / "shop.sales.ndjson") == "{\"n\":1}\n");
    CHECK(connector_test::read_file(dir.path() / "sinks" / "alerts.ndjson") == "{\"n\":1}\n");
  }
  SECTION("errors") {
    r.add_connection("nopath", {{"type", "file"}});
    CHECK(error_of([&] {
            (void)r.make_source("nopath", {{"connectionName", "nopath"}},
                                "/0/$source/connectionName");
          }) ==
          "[reel.connection.invalid] at /0/$source: file connection 'nopath' has no path: give "
          "'path' in "
          "the connection or in the stage");
    CHECK(error_of([&] {
            (void)r.make_sink("out",
                              {{"connectionName", "out"}, {"config", {{"outputFormat", "xml"}}}},
                              "/3/$emit/connectionName");
          }) ==
          "[reel.connection.invalid] at /3/$emit/config/outputFormat: outputFormat must be "
          "relaxedJson, "
          "canonicalJson or basicJson");
    r.add_connection("gone", {{"type", "file"}, {"path", "missing.ndjson"}}, "", dir.path());
    const std::string missing = (dir.path() / "missing.ndjson").string();
    CHECK(error_of([&] { (void)r.make_source("gone", document::object()); }) ==
          "[reel.io.open_failed] at " + missing +
              ": cannot open the file for reading: No such file or directory");
  }
}

TEST_CASE("stdin_source reads a file descriptor without blocking forever", "[connector][stdio]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  reel::stdin_source source(std::chrono::milliseconds(0), fds[0]);
  CHECK(source.type() == "stdin");
  std::vector<reel::source_message> out;
  CHECK(source.poll(out, 10) == reel::poll_status::idle);  // nothing written yet

  const std::string first = "{\"a\": 1}\n{\"a\"";
  REQUIRE(::write(fds[1], first.data(), first.size()) == static_cast<ssize_t>(first.size()));
  CHECK(source.poll(out, 10) == reel::poll_status::ready);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == "{\"a\": 1}");
  CHECK(source.poll(out, 10) == reel::poll_status::idle);  // half a line waits for the rest

  const std::string rest = ": 2}\n";
  REQUIRE(::write(fds[1], rest.data(), rest.size()) == static_cast<ssize_t>(rest.size()));
  ::close(fds[1]);
  CHECK(source.poll(out, 10) == reel::poll_status::ready);
  REQUIRE(out.size() == 2);
  CHECK(out[1].payload == "{\"a\": 2}");
  CHECK(out[1].position_document() == document{{"line", 2}, {"offset", 9}});
  reel::poll_status last = reel::poll_status::ready;
  for (int i = 0; i < 3 && last != reel::poll_status::end_of_input; ++i)
    last = source.poll(out, 10);
  CHECK(last == reel::poll_status::end_of_input);
  CHECK(source.positions() == document{{"line", 3}, {"offset", 18}});
  ::close(fds[0]);
}
