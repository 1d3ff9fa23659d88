// SPDX-License-Identifier: Apache-2.0
// Tests for reel::json::explain_pipeline (reel/json/pipeline.hpp): the plan `reel explain` prints.
#include <catch2/catch.hpp>

#include "reel/json/pipeline.hpp"

using reel::json::document;

namespace {

document plan_of(const char* pipeline) {
  return reel::json::explain_pipeline(reel::json::compile_pipeline(document::parse(pipeline)));
}

}  // namespace

TEST_CASE("explain_pipeline: source, operators in order, sink", "[json][explain]") {
  const document plan = plan_of(R"([
    {"$source": {"connectionName": "tickets", "timeField": {"$toDate": "$ts"},
                 "tsFieldName": "at", "partitionIdleTimeout": {"size": 2, "unit": "second"}}},
    {"$match": {"qty": {"$gt": 0}}},
    {"$project": {"_stream_meta": 0}},
    {"$merge": {"into": {"connectionName": "db", "db": "d", "coll": "c"}}}])");
  CHECK(plan.dump() ==
        R"({"source":{"connectionName":"tickets","timeField":{"$toDate":"$ts"},"tsFieldName":"at",)"
        R"("partitionIdleTimeoutMs":2000},"stages":[{"operatorName":"MatchOperator"},)"
        R"({"operatorName":"ProjectOperator"}],"sink":{"stage":"$merge","connectionName":"db"},)"
        R"("streamMeta":false})");
}

TEST_CASE("explain_pipeline: windows, incremental or buffered", "[json][explain]") {
  const document hopping = plan_of(R"([
    {"$source": {"documents": [{"a": 1}, {"a": 2}]}},
    {"$hoppingWindow": {"interval": {"size": 1, "unit": "minute"},
                        "hopSize": {"size": 20, "unit": "second"}, "allowedLateness": 0,
                        "pipeline": [{"$group": {"_id": "$a", "n": {"$count": {}}}},
                                     {"$sort": {"n": -1}}]}},
    {"$set": {"x": 1}}])");
  CHECK(hopping["source"].dump() ==
        R"({"documents":2,"timeField":null,"tsFieldName":"_ts","partitionIdleTimeoutMs":null})");
  CHECK(hopping["stages"].dump() ==
        R"([{"operatorName":"HoppingWindowOperator","intervalMs":60000,"hopSizeMs":20000,)"
        R"("offsetMs":0,"boundary":"eventTime","allowedLatenessMs":0,"idleTimeoutMs":null,)"
        R"("aggregation":"incremental","pipeline":[{"operatorName":"GroupOperator"},)"
        R"({"operatorName":"SortOperator"}]},{"operatorName":"SetOperator"}])");
  CHECK(hopping["sink"].is_null());

  const document buffered = plan_of(R"([
    {"$source": {}},
    {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "boundary": "processingTime",
                         "pipeline": [{"$sort": {"a": 1}}]}}])");
  CHECK(buffered["stages"].dump() ==
        R"([{"operatorName":"TumblingWindowOperator","intervalMs":10000,"offsetMs":0,)"
        R"("boundary":"processingTime","allowedLatenessMs":0,"idleTimeoutMs":null,)"
        R"("aggregation":"buffered","pipeline":[{"operatorName":"SortOperator"}]}])");
  CHECK(buffered["source"]["connectionName"].is_null());
}
