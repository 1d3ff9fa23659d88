// SPDX-License-Identifier: Apache-2.0
// The processor's per-event path on BSON values (docs/document-model.md §6, step 5): payloads
// and pushed documents are values until the window or the sink, so BSON types the nlohmann
// documents cannot hold (a long that fits in 32 bits, a decimal) survive `timeField` and the
// per-event stages; DLQ records still carry the document as the failing operator received it.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/json.hpp>

#include "unit/json_processor/processor_harness.hpp"

namespace value_path {

using reel::json::document;

using harness = reel_test::processor_harness;

constexpr const char* typed_pipeline = R"js([
  { $source: { timeField: '$t' } },
  { $match: { n: { $type: 'long' } } },
  { $addFields: { nType: { $type: '$n' }, dType: { $type: '$d' },
                  next: { $add: ['$n', 1] }, nextType: { $type: { $add: ['$n', 1] } } } } ])js";

const char* const typed_event = R"({"n": {"$numberLong": "42"}, "d": {"$numberDecimal": "1.50"},)"
                                R"( "t": {"$date": {"$numberLong": "1704067201000"}}})";

void check_typed_output(const document& out) {
  CHECK(out["nType"] == "long");
  CHECK(out["dType"] == "decimal");
  CHECK(out["nextType"] == "long");
  // Outputs are still nlohmann documents: a long that fits in 32 bits is a plain integer there.
  CHECK(out["n"] == 42);
  CHECK(out["next"] == 43);
  CHECK(out["d"] == document{{"$numberDecimal", "1.50"}});
  CHECK(out["_ts"] == document{{"$date", "2024-01-01T00:00:01.000Z"}});
}

TEST_CASE("a long and a decimal keep their BSON types through timeField and per-event stages",
          "[json][processor][value_path]") {
  harness h(typed_pipeline);
  SECTION("in a payload") {
    h.payload(typed_event);
  }
  SECTION("in a pushed document") {
    h.sp.push(document::parse(typed_event));
  }
  h.sp.flush();
  CHECK(h.dlq.empty());
  REQUIRE(h.outputs.size() == 1);
  check_typed_output(h.outputs.front());
}

TEST_CASE("an int is not a long on the value path", "[json][processor][value_path]") {
  harness h(typed_pipeline);
  h.payload(R"({"n": 42, "t": {"$date": "2024-01-01T00:00:01Z"}})");
  h.sp.flush();
  CHECK(h.outputs.empty());
  CHECK(h.dlq.empty());
}

TEST_CASE("DLQ records of the value path", "[json][processor][value_path]") {
  harness h(R"js([
    { $source: { timeField: '$t' } },
    { $project: { t: 1, r: { $divide: [1, '$x'] } } } ])js");
  SECTION("invalid JSON keeps the bytes and the offset") {
    h.payload(R"({"t": )");
    REQUIRE(h.dlq.size() == 1);
    CHECK(h.dlq[0]["operatorName"] == "SourceOperator");
    CHECK(h.dlq[0]["errInfo"]["reason"].get<std::string>().rfind("invalid JSON at byte 6", 0) == 0);
    CHECK(h.dlq[0]["errInfo"]["payload"] == R"({"t": )");
  }
  SECTION("a message that is not an object") {
    h.payload("[1, 2]");
    REQUIRE(h.dlq.size() == 1);
    CHECK(h.dlq[0]["errInfo"]["reason"] == "Input message is not a JSON object");
    CHECK(h.dlq[0]["errInfo"]["payload"] == "[1, 2]");
  }
  SECTION("timeField names the BSON type it found, a long included") {
    h.payload(R"({"t": {"$numberLong": "5"}})");
    REQUIRE(h.dlq.size() == 1);
    CHECK(h.dlq[0]["errInfo"]["reason"] ==
          "timeField must evaluate to a date, but it evaluated to long");
    CHECK(h.dlq[0]["doc"] == document{{"t", 5}});
  }
  SECTION("a failing stage's record holds the document it received, with _ts") {
    h.payload(R"({"t": {"$date": "2024-01-01T00:00:01Z"}, "x": 0})");
    REQUIRE(h.dlq.size() == 1);
    CHECK(h.dlq[0]["operatorName"] == "ProjectOperator");
    CHECK(h.dlq[0]["doc"] == document::parse(R"({"t": {"$date": "2024-01-01T00:00:01.000Z"},
        "x": 0, "_ts": {"$date": "2024-01-01T00:00:01.000Z"}})"));
  }
  h.payload(R"({"t": {"$date": "2024-01-01T00:00:02Z"}, "x": 4})");
  h.sp.flush();
  REQUIRE(h.outputs.size() == 1);
  CHECK(h.outputs[0]["r"] == 0.25);
}

}  // namespace value_path
