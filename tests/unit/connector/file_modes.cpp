// SPDX-License-Identifier: Apache-2.0
// The file sink's modes for a file that already has content (refuse by default, append,
// truncate, the older `append` flag), and its commit point and restart from one.
#include <catch2/catch.hpp>

#include <reel/connector/all.hpp>

#include "temp_dir.hpp"

namespace file_modes_test {

using connector_test::read_file;
using connector_test::temp_dir;
using connector_test::write_file;
using document = nlohmann::ordered_json;

void write_one(reel::sink& s, int n) {
  reel::write_result r;
  const std::vector<document> docs = {{{"n", n}}};
  s.write(docs, r);
  s.flush();
}

std::unique_ptr<reel::sink> make(const temp_dir& dir, const document& definition) {
  reel::connection_registry r;
  reel::register_builtin_types(r);
  r.load_connections(document{{"out", definition}}, "connections.json", dir.path());
  return r.make_sink("out", {{"connectionName", "out"}});
}

}  // namespace file_modes_test

using namespace file_modes_test;

TEST_CASE("a file sink refuses an existing file by default", "[connector][file]") {
  temp_dir dir;
  write_file(dir.path() / "out.ndjson", "{\"earlier\":1}\n");
  auto s = make(dir, {{"type", "file"}, {"path", "out.ndjson"}});
  REQUIRE_THROWS_WITH(s->start(nullptr),
                      "[reel.io.file_exists] at " + (dir.path() / "out.ndjson").string() +
                          ": the output file exists and holds 14 bytes; set the connection's "
                          "mode to \"append\" or \"truncate\", or move the file away");
  CHECK(read_file(dir.path() / "out.ndjson") == "{\"earlier\":1}\n");
  // A sink used without a processor starts on its first write, with the same check.
  auto direct = make(dir, {{"type", "file"}, {"path", "out.ndjson"}, {"mode", "refuse"}});
  REQUIRE_THROWS_AS(write_one(*direct, 1), reel::error);
  CHECK(read_file(dir.path() / "out.ndjson") == "{\"earlier\":1}\n");
}

TEST_CASE("a file sink writes a new or empty file in every mode", "[connector][file]") {
  temp_dir dir;
  const std::string mode = GENERATE("refuse", "append", "truncate");
  write_file(dir.path() / "empty.ndjson", "");
  for (const char* name : {"empty.ndjson", "new.ndjson"}) {
    auto s = make(dir, {{"type", "file"}, {"path", name}, {"mode", mode}});
    s->start(nullptr);
    write_one(*s, 1);
    CHECK(read_file(dir.path() / name) == "{\"n\":1}\n");
  }
}

TEST_CASE("a file sink appends or truncates as its mode says", "[connector][file]") {
  temp_dir dir;
  write_file(dir.path() / "a.ndjson", "{\"earlier\":1}\n");
  write_file(dir.path() / "t.ndjson", "{\"earlier\":1}\n");
  write_file(dir.path() / "legacy.ndjson", "{\"earlier\":1}\n");
  write_one(*make(dir, {{"type", "file"}, {"path", "a.ndjson"}, {"mode", "append"}}), 2);
  write_one(*make(dir, {{"type", "file"}, {"path", "t.ndjson"}, {"mode", "truncate"}}), 2);
  write_one(*make(dir, {{"type", "file"}, {"path", "legacy.ndjson"}, {"append", true}}), 2);
  CHECK(read_file(dir.path() / "a.ndjson") == "{\"earlier\":1}\n{\"n\":2}\n");
  CHECK(read_file(dir.path() / "t.ndjson") == "{\"n\":2}\n");
  CHECK(read_file(dir.path() / "legacy.ndjson") == "{\"earlier\":1}\n{\"n\":2}\n");
}

TEST_CASE("a file sink's mode is checked", "[connector][file]") {
  temp_dir dir;
  REQUIRE_THROWS_WITH(
      make(dir, {{"type", "file"}, {"path", "x"}, {"mode", "overwrite"}}),
      "[reel.connection.invalid] at connections.json:/out/mode: mode must be \"refuse\", "
      "\"append\" or \"truncate\"");
  REQUIRE_THROWS_WITH(
      make(dir, {{"type", "file"}, {"path", "x"}, {"mode", "append"}, {"append", true}}),
      "[reel.connection.invalid] at connections.json:/out/append: give mode or append, not both "
      "(append is the older name)");
}

TEST_CASE("a file sink resumes from a commit point by cutting what followed it",
          "[connector][file]") {
  temp_dir dir;
  const document def = {{"type", "file"}, {"path", "out.ndjson"}, {"mode", "append"}};
  document point;
  {
    auto s = make(dir, def);
    s->start(nullptr);
    write_one(*s, 1);
    point = s->commit_point();
    CHECK(point == document{{"length", 8}});
    write_one(*s, 2);  // written after the checkpoint: a crash would leave it
  }
  auto s = make(dir, def);
  s->start(point);
  CHECK(read_file(dir.path() / "out.ndjson") == "{\"n\":1}\n");
  write_one(*s, 3);
  CHECK(read_file(dir.path() / "out.ndjson") == "{\"n\":1}\n{\"n\":3}\n");
  CHECK(s->commit_point() == document{{"length", 16}});

  // A file shorter than its commit point lost output: that is an error, not a silent restart.
  write_file(dir.path() / "out.ndjson", "{");
  auto again = make(dir, def);
  REQUIRE_THROWS_WITH(again->start(point),
                      "[reel.io.output_lost] at " + (dir.path() / "out.ndjson").string() +
                          ": the checkpoint says 8 bytes were written, the file holds 1: output "
                          "written before the checkpoint is gone");
}
