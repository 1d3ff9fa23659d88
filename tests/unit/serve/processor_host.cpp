// SPDX-License-Identifier: Apache-2.0
// reel::serve::processor_host: the sp.* lifecycle, persistence across hosts, modify.
#include "serve/processor_host.hpp"

#include <catch2/catch.hpp>

#include "serve_fixture.hpp"

namespace processor_host_test {

using namespace serve_test;
using reel::serve::processor_host;

std::string error_id(const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::error& e) {
    return e.id();
  }
  return "";
}

TEST_CASE("processor host: create, start, stats, sample, stop, list and drop", "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  const document created = host.create("solar", endless_pipeline(), "solar.json");
  CHECK(created["name"] == "solar");
  CHECK(created["state"] == "CREATED");
  CHECK(created["pipeline"][1]["$emit"]["connectionName"] == "out");
  CHECK(std::filesystem::exists(fx.state / "solar" / "definition.json"));
  CHECK(host.stats("solar")["status"] == "created");

  host.start("solar");
  CHECK(host.list()[0]["state"] == "STARTED");
  REQUIRE(eventually([&] { return count_of(host.stats("solar"), "outputMessageCount") >= 20; }));
  const document stats = host.stats("solar");
  CHECK(stats["name"] == "solar");
  CHECK(stats["status"] == "running");
  CHECK(count_of(stats, "inputMessageCount") >= 20);
  CHECK_FALSE(stats.contains("sourcePositions"));  // verbose only
  const document verbose = host.stats("solar", true);
  CHECK(verbose.contains("sourcePositions"));
  CHECK(verbose.contains("dlqMessageCountByReason"));

  const document sample = host.sample("solar", 5);
  REQUIRE(sample.size() == 5);
  // The last outputs, oldest first.
  const auto first = sample[0]["_stream_meta"]["source"]["position"].get<std::int64_t>();
  CHECK(sample[4]["_stream_meta"]["source"]["position"].get<std::int64_t>() == first + 4);

  host.stop("solar");
  CHECK(host.list()[0]["state"] == "STOPPED");
  CHECK(host.stats("solar")["status"] == "stopped");
  CHECK(error_id([&] { host.stop("solar"); }) == "reel.serve.conflict");
  // A final checkpoint was taken at the stop.
  CHECK_FALSE(std::filesystem::is_empty(fx.state / "solar" / "checkpoints"));
  // Everything the sink wrote is what the processor counted.
  CHECK(static_cast<std::int64_t>(fx.positions().size()) ==
        count_of(host.stats("solar"), "outputMessageCount"));

  host.drop("solar");
  CHECK(host.list().empty());
  CHECK_FALSE(std::filesystem::exists(fx.state / "solar"));
  CHECK(error_id([&] { (void)host.stats("solar"); }) == "reel.serve.not_found");
}

TEST_CASE("processor host: a processor whose source ends stops by itself, its windows closed",
          "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  host.create("windows", bounded_window_pipeline(500));
  host.start("windows");
  REQUIRE(eventually([&] { return host.describe("windows")["state"] == "STOPPED"; }));
  const document stats = host.stats("windows");
  CHECK(count_of(stats, "inputMessageCount") == 500);
  const document sample = host.sample("windows", 1000);
  CHECK(static_cast<std::int64_t>(sample.size()) == count_of(stats, "outputMessageCount"));
  std::int64_t grouped = 0;
  for (const auto& d : sample)
    grouped += d["n"].get<std::int64_t>();
  CHECK(grouped == 500);
}

TEST_CASE("processor host: a bad definition is refused with reel check's located diagnostics",
          "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  try {
    host.create("bad",
                R"([{"$source": {"connectionName": "sample_stream_solar"}},
                    {"$match": {"x": {"$bad": 1}}},
                    {"$emit": {"connectionName": "nowhere"}}])",
                "bad.json");
    FAIL("no error");
  } catch (const reel::error& e) {
    REQUIRE(e.diagnostics().size() == 2);
    CHECK(e.diagnostics()[0].id == "reel.query.unknown_operator");
    CHECK(e.diagnostics()[0].where == "bad.json:/1/$match/x/$bad");
    CHECK(e.diagnostics()[1].where == "bad.json:/2/$emit/connectionName");
  }
  CHECK(host.list().empty());
  CHECK_FALSE(std::filesystem::exists(fx.state / "bad"));
  CHECK(error_id([&] { host.create("x", "[{oops"); }) == "reel.syntax.error");
  CHECK(error_id([&] { host.create("../up", endless_pipeline()); }) == "reel.serve.invalid_name");
  host.create("solar", endless_pipeline());
  CHECK(error_id([&] { host.create("solar", endless_pipeline()); }) == "reel.serve.exists");
}

TEST_CASE("processor host: unknown names are reel.serve.not_found", "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  CHECK(error_id([&] { host.start("nope"); }) == "reel.serve.not_found");
  CHECK(error_id([&] { host.stop("nope"); }) == "reel.serve.not_found");
  CHECK(error_id([&] { host.drop("nope"); }) == "reel.serve.not_found");
  CHECK(error_id([&] { (void)host.sample("nope"); }) == "reel.serve.not_found");
  CHECK(error_id([&] { host.modify("nope", endless_pipeline()); }) == "reel.serve.not_found");
}

TEST_CASE("processor host: a new host resumes the running processors from their checkpoints",
          "[serve][host]") {
  fixture fx;
  std::int64_t before = 0;
  {
    processor_host host(fx.options());
    host.create("solar", endless_pipeline());
    host.create("idle", bounded_window_pipeline());  // created, never started
    host.start("solar");
    REQUIRE(eventually([&] { return count_of(host.stats("solar"), "outputMessageCount") >= 30; }));
  }  // the host stops its processors with a final checkpoint; their kept state stays STARTED
  before = static_cast<std::int64_t>(fx.positions().size());
  REQUIRE(before >= 30);

  processor_host host(fx.options());
  const document listed = host.list();
  REQUIRE(listed.size() == 2);
  CHECK(host.describe("solar")["state"] == "STARTED");
  CHECK(host.describe("idle")["state"] == "CREATED");
  host.resume();
  // The counters come back with the checkpoint and go on from there.
  REQUIRE(eventually(
      [&] { return count_of(host.stats("solar"), "outputMessageCount") >= before + 30; }));
  CHECK(host.describe("idle")["state"] == "CREATED");
  host.stop("solar");
  const std::vector<std::int64_t> positions = fx.positions();
  CHECK(static_cast<std::int64_t>(positions.size()) >= before + 30);
  // Outputs continue where the first host stopped: no document twice, none missing.
  CHECK(contiguous(positions));
}

TEST_CASE("processor host: modify keeps the checkpoints when only options change",
          "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  host.create("solar", endless_pipeline());
  host.start("solar");
  REQUIRE(eventually([&] { return count_of(host.stats("solar"), "outputMessageCount") >= 20; }));
  const std::string same_stages_new_options =
      R"({"pipeline": [{"$source": {"connectionName": "sample_stream_solar", "config": {"rate": 400}}},
                       {"$emit": {"connectionName": "out"}}],
          "options": {"checkpoint": {"keepLast": 2}}})";
  const document modified = host.modify("solar", same_stages_new_options, "solar2.json");
  CHECK(modified["state"] == "STARTED");
  const std::int64_t at_modify = static_cast<std::int64_t>(fx.positions().size());
  REQUIRE(eventually(
      [&] { return count_of(host.stats("solar"), "outputMessageCount") >= at_modify + 20; }));
  host.stop("solar");
  CHECK(contiguous(fx.positions()));
}

TEST_CASE("processor host: modify with other stages needs resumeFromCheckpoint false",
          "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  host.create("solar", endless_pipeline());
  host.start("solar");
  REQUIRE(eventually([&] { return count_of(host.stats("solar"), "outputMessageCount") >= 10; }));
  host.stop("solar");
  const std::string other_stages =
      R"([{"$source": {"connectionName": "sample_stream_solar", "config": {"count": 50}}},
          {"$match": {"obs.watts": {"$gte": 0}}}])";
  CHECK(error_id([&] { host.modify("solar", other_stages); }) ==
        "reel.serve.incompatible_checkpoint");
  // Nothing changed.
  CHECK(host.describe("solar")["pipeline"].size() == 2);
  CHECK(host.describe("solar")["pipeline"][1].contains("$emit"));
  CHECK(host.describe("solar")["state"] == "STOPPED");

  const document modified = host.modify("solar", other_stages, "", false);
  CHECK(modified["pipeline"][1].contains("$match"));
  CHECK(modified["state"] == "STOPPED");  // it was stopped: it stays stopped
  host.start("solar");
  REQUIRE(eventually([&] { return host.describe("solar")["state"] == "STOPPED"; }));
  // Started over: the 50 documents of the new source from the beginning.
  CHECK(count_of(host.stats("solar"), "inputMessageCount") == 50);
}

TEST_CASE("processor host: DLQ records are sampled and counted by reason", "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  host.create("invalid",
              R"([{"$source": {"connectionName": "sample_stream_solar", "config": {"count": 40}}},
                  {"$validate": {"validator": {"obs.watts": {"$lt": 0}}, "validationAction": "dlq"}}])");
  host.start("invalid");
  REQUIRE(eventually([&] { return host.describe("invalid")["state"] == "STOPPED"; }));
  const document stats = host.stats("invalid", true);
  CHECK(count_of(stats, "dlqMessageCount") == 40);
  CHECK(stats["dlqMessageCountByReason"] ==
        document{{"Input document found to be invalid in $validate stage", 40}});
  const document sample = host.sample("invalid", 2);
  REQUIRE(sample.size() == 2);
  CHECK(sample[1]["_dlqMessage"]["operatorName"] == "ValidateOperator");
  const document dead = host.dead_letters("invalid", 3);
  REQUIRE(dead.size() == 3);
  CHECK(dead[2]["operatorName"] == "ValidateOperator");
  CHECK(dead[2] == sample[1]["_dlqMessage"]);
}

TEST_CASE("processor host: the last DLQ records are kept apart from outputs, credentials masked",
          "[serve][host]") {
  fixture fx;
  reel::serve::host_options options = fx.options();
  options.sample_capacity = 4;
  processor_host host(std::move(options));
  // Ten outputs come after the DLQ record: the sample ring of 4 loses it, the DLQ ring keeps it.
  host.create("secrets", R"([{"$source": {"documents": [
                  {"user": "ann", "password": "hunter2", "link": "mongodb://ann:pw@db.example/x"},
                  {"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}, {"n": 5},
                  {"n": 6}, {"n": 7}, {"n": 8}, {"n": 9}, {"n": 10}]}},
                {"$validate": {"validator": {"user": {"$exists": false}}, "validationAction": "dlq"}}])");
  host.start("secrets");
  REQUIRE(eventually([&] { return host.describe("secrets")["state"] == "STOPPED"; }));
  const document dead = host.dead_letters("secrets");
  REQUIRE(dead.size() == 1);
  const document& doc = dead[0]["doc"];
  CHECK(doc["user"] == "ann");
  CHECK(doc["password"] == "********");
  CHECK(doc["link"].get<std::string>().find("pw") == std::string::npos);
  CHECK(doc["link"].get<std::string>().find("db.example/x") != std::string::npos);
  CHECK(host.sample("secrets", 1000).size() == 4);  // outputs pushed it out
  CHECK(host.dead_letters("secrets", 0).empty());
}

TEST_CASE("processor host: connections are listed with their secrets masked", "[serve][host]") {
  fixture fx;
  processor_host host(fx.options());
  const document connections = host.connections();
  bool found = false;
  for (const auto& c : connections) {
    if (c["name"] == "secret") {
      found = true;
      CHECK(c["definition"]["path"] == document{{"$env", "REEL_SERVE_TEST_SECRET"}});
    }
  }
  CHECK(found);
}

TEST_CASE("processor host: a connections file with a problem stops the host from starting",
          "[serve][host]") {
  fixture fx;
  write_file(fx.connections, R"({"out": {"type": "fiel", "path": "x"}})");
  CHECK(error_id([&] { processor_host host(fx.options()); }) != "");
}

}  // namespace processor_host_test
