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
// Hostile-input cases (tests/data/hostile/*.json, issue #16) use the same format, plus:
//   "limits": {"max_message_bytes", "max_windows_per_event"}   (pipeline_options::limits)
//   "lines": [line, ...]   the $source connection "lines" reads these as NDJSON (a line is a
//                          string or a list of pieces; add "process": true to read them)
//   "max_seconds": n       a hang guard: the whole case takes less (default 120; not a
//                          performance assertion)
//   "accounting": true     inputMessageCount = outputMessageCount + dlqMessageCount +
//                          filteredMessageCount (pipelines without a window or $unwind)
// A piece is a string, {"$repeat": "<text>", "times": n} or {"$hex": "<bytes in hex>"} (bytes
// that are not UTF-8): `$payload` also takes a list of
// pieces, so that a case can send 200 MB without committing it (lines are generated as read).
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
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/connector/ndjson.hpp>
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

std::vector<fs::path> case_files(const char* folder = "pipelines") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(REEL_TEST_DATA_DIR) / folder)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// A run of text: `times` copies of `text`.
struct piece {
  std::string text;
  std::uint64_t times = 1;
};

/// The pieces of a line or payload: a string, or a list of strings and
/// `{"$repeat": text, "times": n}`.
std::vector<piece> pieces_of(const document& spec) {
  if (spec.is_string()) return {piece{spec.get<std::string>()}};
  REQUIRE(spec.is_array());
  std::vector<piece> out;
  for (const auto& p : spec) {
    if (p.is_string()) {
      out.push_back({p.get<std::string>()});
    } else if (p.is_object() && p.contains("$hex")) {
      const std::string hex = p.at("$hex").get<std::string>();
      std::string bytes;
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
      out.push_back({bytes});
    } else {
      REQUIRE((p.is_object() && p.contains("$repeat") && p.contains("times")));
      out.push_back({p.at("$repeat").get<std::string>(), p.at("times").get<std::uint64_t>()});
    }
  }
  return out;
}

std::string expand(const std::vector<piece>& pieces) {
  std::string out;
  for (const auto& p : pieces) {
    for (std::uint64_t i = 0; i < p.times; ++i)
      out += p.text;
  }
  return out;
}

/// A stream of pieces produced as they are read, so that a case can hold a 200 MB line without
/// 200 MB of memory.
class generated_buffer final : public std::streambuf {
 public:
  explicit generated_buffer(std::vector<piece> pieces) : pieces_(std::move(pieces)) {}

 protected:
  int_type underflow() override {
    chunk_.clear();
    while (chunk_.size() < 65536 && index_ < pieces_.size()) {
      const piece& p = pieces_[index_];
      if (done_ == p.times || p.text.empty()) {
        ++index_;
        done_ = 0;
        continue;
      }
      chunk_ += p.text;
      ++done_;
    }
    if (chunk_.empty()) return traits_type::eof();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  std::vector<piece> pieces_;
  std::size_t index_ = 0;
  std::uint64_t done_ = 0;
  std::string chunk_;
};

/// The "lines" of a case as an NDJSON source (the processor sets its line limit).
class generated_lines_source final : public reel::source {
 public:
  explicit generated_lines_source(std::vector<piece> pieces)
      : buffer_(std::move(pieces)), in_(&buffer_), reader_(in_) {}
  std::string type() const override { return reader_.type(); }
  reel::poll_status poll(std::vector<reel::source_message>& out, std::size_t max) override {
    return reader_.poll(out, max);
  }
  nlohmann::ordered_json positions() const override { return reader_.positions(); }
  void limit_message_bytes(std::size_t max_bytes) override {
    reader_.limit_message_bytes(max_bytes);
  }

 private:
  generated_buffer buffer_;
  std::istream in_;
  reel::ndjson_source reader_;
};

std::vector<piece> lines_of(const document& lines) {
  std::vector<piece> all;
  for (const auto& line : lines) {
    for (auto& p : pieces_of(line))
      all.push_back(std::move(p));
    all.push_back({"\n"});
  }
  return all;
}

reel::limits limits_of(const document& c) {
  reel::limits l;
  const document spec = c.value("limits", document::object());
  l.max_message_bytes = spec.value("max_message_bytes", l.max_message_bytes);
  l.max_windows_per_event = spec.value("max_windows_per_event", l.max_windows_per_event);
  return l;
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

void run_case(const document& c, const std::string& label);

/// Runs one case with its hang guard and its accounting check.
void run_guarded_case(const document& c, const std::string& label) {
  const auto started = std::chrono::steady_clock::now();
  run_case(c, label);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(label << ": took " << seconds << " s");
  CHECK(seconds < c.value("max_seconds", 120.0));
}

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

  reel::json::pipeline_options compile_options;
  compile_options.limits = limits_of(c);
  if (c.contains("diagnostics")) {
    const reel::json::compile_result r =
        reel::json::try_compile_pipeline(pipeline, compile_options);
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
  if (c.contains("lines")) {
    connections.add_source("lines", [lines = lines_of(c.at("lines"))](const document&) {
      return std::make_unique<generated_lines_source>(lines);
    });
  }
  reel::json::stream_processor_options o;
  o.compile = compile_options;
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
      m.payload = expand(pieces_of(step.at("$payload")));
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
  if (c.value("accounting", false)) {
    const document stats = sp->stats();
    INFO("stats: " << stats.dump());
    CHECK(stats.at("inputMessageCount").get<std::uint64_t>() ==
          stats.at("outputMessageCount").get<std::uint64_t>() +
              stats.at("dlqMessageCount").get<std::uint64_t>() +
              stats.at("filteredMessageCount").get<std::uint64_t>());
  }
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

TEST_CASE("hostile input cases end in a DLQ record, a definition error or a documented value",
          "[json][processor][hostile]") {
  const std::vector<fs::path> files = case_files("hostile");
  REQUIRE_FALSE(files.empty());
  for (const auto& file : files) {
    const document all = load_file(file);
    REQUIRE(all.is_array());
    std::set<std::string> names;
    for (const auto& c : all) {
      const std::string label = file.filename().string() + ": " + c.at("name").get<std::string>();
      {
        INFO(label);
        CHECK(names.insert(c.at("name").get<std::string>()).second);
      }
      run_guarded_case(c, label);
    }
  }
}
