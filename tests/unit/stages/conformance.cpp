// SPDX-License-Identifier: Apache-2.0
// Table-driven conformance cases for the built-in document stages (include/reel/json/stages/),
// read from tests/data/stages/*.json. Each file is an array of cases:
//   {"name", "stage": {"$project": ...}, "input": [docs], "output": [docs]}
//   {"name", "stage", "error": "<what() of the definition error>"}
//   {"name", "stage", "input": [doc], "doc_error": "<what() of the per-document error>"}
// Documents are read as Extended JSON (dates as {"$date": "...Z"}) and compared exactly, field
// order and number types included. Batch-only stages get the whole input as one batch; the other
// stages are also run through `apply_batch`, which must give the same result.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/stage.hpp"

namespace {

namespace fs = std::filesystem;
using reel::json::document;

document load_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return document::parse(text.str());
}

/// A document as the processor reads it: Extended JSON text through Reel's reader.
document as_input(const document& d) {
  return reel::json::parse_ejson_line(d.dump());
}

std::vector<document> as_inputs(const document& array) {
  std::vector<document> out;
  for (const auto& d : array)
    out.push_back(as_input(d));
  return out;
}

std::string dump_all(const std::vector<document>& docs) {
  std::string out = "[";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += ",\n ";
    out += docs[i].dump();
  }
  return out + "]";
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(REEL_TEST_DATA_DIR) / "stages")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("stage conformance cases", "[json][stages][conformance]") {
  const auto& registry = reel::json::stage_registry::global();
  const std::vector<fs::path> files = case_files();
  REQUIRE_FALSE(files.empty());
  std::set<std::string> stages_covered;
  std::size_t cases = 0;
  for (const auto& file : files) {
    const document all = load_file(file);
    REQUIRE(all.is_array());
    std::set<std::string> names;
    for (const auto& c : all) {
      ++cases;
      const std::string name = c.at("name").get<std::string>();
      INFO(file.filename().string() << ": " << name);
      CHECK(names.insert(name).second);  // case names are unique within a file
      const document& stage_spec = c.at("stage");
      REQUIRE(stage_spec.is_object());
      REQUIRE(stage_spec.size() == 1);
      const std::string stage_name = stage_spec.begin().key();
      stages_covered.insert(stage_name);
      const document spec = as_input(stage_spec.begin().value());
      const auto* entry = registry.find(stage_name);
      REQUIRE(entry != nullptr);
      const std::string where = "/0/" + stage_name;
      const int kinds = static_cast<int>(c.contains("output")) +
                        static_cast<int>(c.contains("error")) +
                        static_cast<int>(c.contains("doc_error"));
      REQUIRE(kinds == 1);

      if (c.contains("error")) {
        std::string what = "no error";
        try {
          (void)entry->make(spec, where);
        } catch (const reel::error& e) {
          what = e.what();
        }
        CHECK(what == c.at("error").get<std::string>());
        continue;
      }

      std::shared_ptr<const reel::json::document_stage> stage;
      try {
        stage = entry->make(spec, where);
      } catch (const reel::error& e) {
        FAIL("unexpected definition error: " << e.what());
      }
      REQUIRE(stage != nullptr);
      CHECK(stage->is_batch_only() ==
            (entry->placement == reel::json::stage_placement::window_only));
      const reel::json::eval_context ctx;
      std::vector<document> input = as_inputs(c.at("input"));

      if (c.contains("doc_error")) {
        REQUIRE(input.size() == 1);
        std::string what = "no error";
        try {
          std::vector<document> out;
          if (stage->is_batch_only()) {
            stage->apply_batch(input, ctx);
          } else {
            stage->apply(std::move(input[0]), ctx, out);
          }
        } catch (const reel::error& e) {
          what = e.what();
        }
        CHECK(what == c.at("doc_error").get<std::string>());
        continue;
      }

      const std::vector<document> expected = as_inputs(c.at("output"));
      std::vector<document> actual;
      if (stage->is_batch_only()) {
        actual = input;
        stage->apply_batch(actual, ctx);
      } else {
        std::vector<document> batch = input;
        for (auto& d : input)
          stage->apply(std::move(d), ctx, actual);
        stage->apply_batch(batch, ctx);
        CHECK(dump_all(batch) == dump_all(actual));
      }
      CHECK(dump_all(actual) == dump_all(expected));
    }
  }
  // Every built-in stage has cases.
  for (const std::string& name : registry.names()) {
    INFO("stage without conformance cases: " << name);
    CHECK(stages_covered.count(name) == 1);
  }
  CHECK(cases > 0);
}
