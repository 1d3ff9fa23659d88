// SPDX-License-Identifier: Apache-2.0
// Table-driven conformance cases for JSON pipelines in Atlas syntax (windows, accumulators,
// placement rules, DLQ, metadata, processing time), read from tests/data/pipelines/*.json.
// Each file is an array of cases:
//
//   {"name", "pipeline": [...] | "pipeline_text": "<mongosh syntax>",
//    "options": {"name", "stream_meta" (default false), "dlq": {connectionName, db, coll}},
//    "clock": "<ISO>" (the manual processing clock at the start; default 2024-01-01T00:00:00Z),
//    "input": [step, ...], "flush": true (default: flush() after the input),
//    "process": false (true: process() the $source's documents after the input),
//    "output": [docs, in order], "dlq": [records without dlqTime], "stats": {subset}}
//   {"name", "pipeline" | "pipeline_text", "error": "<what() of the definition error>"}
//   {"name", "pipeline" | "pipeline_text", "diagnostics": ["<every diagnostic, in order>"]}
//
// Input steps:
//   <document>                       push(document) on partition 0
//   {"$payload": "<bytes>"}          push(source_message) with raw payload bytes
//   {"$message": {"doc"|"payload", "partition", "recordTime", "metadata", "position"}}
//   {"$advance": "<ISO>"}            set the manual clock, then advance()
//   {"$clock": "<ISO>"}              set the manual clock only (arrival times)
//   {"$flush": true}                 flush() in the middle of the input
//   {"$check": {"outputs": n, "dlq": n, "stats": {subset}}}   counts so far
//   {"$explain": {"at": "<ISO>", "partition": <key>, "expect": {subset}}}
//
// Documents are read as Extended JSON and compared exactly as text (field order and number
// types included: `15` is not `15.0`). A missing "dlq" means no DLQ record is expected. Pipelines
// that name the connections "out" (sink) and "dlq" (DLQ) get in-memory sinks, whose contents
// must equal what the callbacks saw.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

namespace {

namespace fs = std::filesystem;
using reel::json::document;

document load_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return document::parse(text.str());
}

document as_input(const document& d) {
  return reel::json::parse_ejson_line(d.dump());
}

std::string dump_all(const std::vector<document>& docs) {
  std::string out = "[";
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += ",\n ";
    out += docs[i].dump();
  }
  return out + "]";
}

std::vector<document> expected_docs(const document& array) {
  std::vector<document> out;
  for (const auto& d : array)
    out.push_back(as_input(d));
  return out;
}

reel::timestamp iso(const document& d) {
  auto t = reel::parse_iso8601(d.get<std::string>());
  REQUIRE(t.has_value());
  return *t;
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(REEL_TEST_DATA_DIR) / "pipelines")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Checks that every field of `expected` has the same text in `actual`.
void check_subset(const document& actual, const document& expected, const std::string& what) {
  for (const auto& [key, value] : expected.items()) {
    INFO(what << "." << key);
    REQUIRE(actual.contains(key));
    CHECK(actual[key].dump() == as_input(value).dump());
  }
}

std::vector<document> without_dlq_time(std::vector<document> records) {
  for (auto& r : records) {
    CHECK(r.contains("dlqTime"));
    r.erase("dlqTime");
  }
  return records;
}

/// A memory sink whose documents the test can read after the processor made it.
struct sink_slot {
  const reel::memory_sink* sink = nullptr;
};

void run_case(const document& c, const std::string& label) {
  INFO(label);
  const int kinds = static_cast<int>(c.contains("output")) + static_cast<int>(c.contains("error")) +
                    static_cast<int>(c.contains("diagnostics"));
  REQUIRE(kinds == 1);
  REQUIRE(static_cast<int>(c.contains("pipeline")) +
              static_cast<int>(c.contains("pipeline_text")) ==
          1);

  document pipeline;
  try {
    pipeline = c.contains("pipeline")
                   ? c.at("pipeline")
                   : reel::json::parse_pipeline_text(c.at("pipeline_text").get<std::string>());
  } catch (const reel::error& e) {
    REQUIRE(c.contains("error"));
    CHECK(std::string(e.what()) == c.at("error").get<std::string>());
    return;
  }

  if (c.contains("diagnostics")) {
    const reel::json::compile_result r = reel::json::try_compile_pipeline(pipeline);
    std::vector<std::string> actual;
    for (const auto& d : r.diagnostics)
      actual.push_back(d.to_string());
    std::vector<std::string> expected;
    for (const auto& d : c.at("diagnostics"))
      expected.push_back(d.get<std::string>());
    CHECK(actual == expected);
    CHECK(static_cast<bool>(r) == expected.empty());
    return;
  }

  const document options = c.value("options", document::object());
  reel::manual_clock clock(c.contains("clock")
                               ? iso(c.at("clock"))
                               : reel::parse_iso8601("2024-01-01T00:00:00Z").value());
  reel::connection_registry connections;
  auto out_slot = std::make_shared<sink_slot>();
  auto dlq_slot = std::make_shared<sink_slot>();
  connections.add_sink("out", [out_slot](const nlohmann::ordered_json&) {
    auto s = std::make_unique<reel::memory_sink>();
    out_slot->sink = s.get();
    return s;
  });
  connections.add_sink("dlq", [dlq_slot](const nlohmann::ordered_json&) {
    auto s = std::make_unique<reel::memory_sink>();
    dlq_slot->sink = s.get();
    return s;
  });
  reel::json::stream_processor_options o;
  o.name = options.value("name", std::string("test"));
  o.stream_meta = options.value("stream_meta", false);
  o.clock = &clock;
  if (options.contains("dlq")) o.dlq = options.at("dlq");

  if (c.contains("error")) {
    std::string what = "no error";
    try {
      reel::json::stream_processor sp(pipeline, connections, o);
    } catch (const reel::error& e) {
      what = e.what();
    }
    CHECK(what == c.at("error").get<std::string>());
    return;
  }

  std::unique_ptr<reel::json::stream_processor> sp;
  try {
    sp = std::make_unique<reel::json::stream_processor>(pipeline, connections, o);
  } catch (const reel::error& e) {
    FAIL("unexpected definition error: " << e.what());
  }
  std::vector<document> outputs, dlq;
  sp->on_output([&](const document& d) { outputs.push_back(d); });
  sp->on_dead_letter([&](const document& d) { dlq.push_back(d); });

  std::size_t step_index = 0;
  for (const auto& step : c.value("input", document::array())) {
    INFO("input step " << step_index++ << ": " << step.dump());
    if (step.is_object() && step.size() == 1 && step.contains("$payload")) {
      reel::source_message m;
      m.payload = step.at("$payload").get<std::string>();
      sp->push(std::move(m));
    } else if (step.is_object() && step.size() == 1 && step.contains("$message")) {
      const document& spec = step.at("$message");
      reel::source_message m;
      if (spec.contains("doc")) m.document = as_input(spec.at("doc"));
      if (spec.contains("payload")) m.payload = spec.at("payload").get<std::string>();
      m.partition = spec.value("partition", 0u);
      if (spec.contains("recordTime")) m.record_time = iso(spec.at("recordTime"));
      if (spec.contains("metadata")) m.metadata = as_input(spec.at("metadata"));
      if (spec.contains("position")) m.position = spec.at("position");
      sp->push(std::move(m));
    } else if (step.is_object() && step.size() == 1 && step.contains("$advance")) {
      clock.set(iso(step.at("$advance")));
      sp->advance();
    } else if (step.is_object() && step.size() == 1 && step.contains("$clock")) {
      clock.set(iso(step.at("$clock")));
    } else if (step.is_object() && step.size() == 1 && step.contains("$flush")) {
      sp->flush();
    } else if (step.is_object() && step.size() == 1 && step.contains("$check")) {
      const document& check = step.at("$check");
      if (check.contains("outputs")) {
        INFO("outputs so far: " << dump_all(outputs));
        CHECK(outputs.size() == check.at("outputs").get<std::size_t>());
      }
      if (check.contains("dlq")) {
        INFO("DLQ records so far: " << dump_all(dlq));
        CHECK(dlq.size() == check.at("dlq").get<std::size_t>());
      }
      if (check.contains("stats")) check_subset(sp->stats(), check.at("stats"), "stats");
    } else if (step.is_object() && step.size() == 1 && step.contains("$explain")) {
      const document& spec = step.at("$explain");
      const document partition =
          spec.contains("partition") ? as_input(spec.at("partition")) : document(nullptr);
      check_subset(sp->explain(iso(spec.at("at")), partition), spec.at("expect"), "explain");
    } else {
      REQUIRE(step.is_object());
      sp->push(as_input(step));
    }
  }
  if (c.value("process", false)) {
    sp->process();  // reads $source.documents to the end, then flushes
  } else if (c.value("flush", true)) {
    sp->flush();
  }

  {
    INFO("DLQ records: " << dump_all(dlq));
    CHECK(dump_all(outputs) == dump_all(expected_docs(c.at("output"))));
  }
  {
    INFO("outputs: " << dump_all(outputs));
    CHECK(dump_all(without_dlq_time(dlq)) ==
          dump_all(expected_docs(c.value("dlq", document::array()))));
  }
  if (c.contains("stats")) check_subset(sp->stats(), c.at("stats"), "stats");
  if (out_slot->sink != nullptr) {
    CHECK(dump_all(out_slot->sink->documents()) == dump_all(outputs));
  }
  if (dlq_slot->sink != nullptr) {
    CHECK(dump_all(without_dlq_time(dlq_slot->sink->documents())) ==
          dump_all(without_dlq_time(dlq)));
  }
}

}  // namespace

TEST_CASE("pipeline conformance cases", "[json][processor][conformance]") {
  const std::vector<fs::path> files = case_files();
  REQUIRE_FALSE(files.empty());
  std::size_t cases = 0;
  for (const auto& file : files) {
    const document all = load_file(file);
    REQUIRE(all.is_array());
    REQUIRE_FALSE(all.empty());
    std::set<std::string> names;
    for (const auto& c : all) {
      ++cases;
      const std::string name = c.at("name").get<std::string>();
      const std::string label = file.filename().string() + ": " + name;
      {
        INFO(label);
        CHECK(names.insert(name).second);  // case names are unique within a file
      }
      run_case(c, label);
    }
  }
  CHECK(cases >= 250);
}
