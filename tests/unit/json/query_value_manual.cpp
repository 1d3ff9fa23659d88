// SPDX-License-Identifier: Apache-2.0
// `$match` filters and `$jsonSchema` on the value model (`query::matches` on a `bson::value`)
// over the MongoDB manual's worked examples (tests/data/query/, one case per example with the
// page it comes from), with mongosh's numeric types. The nlohmann path, reading the documents as
// the runtime does today (`parse_ejson_line`), must agree except where a case says it cannot
// (`"nlohmann": "differs"`: a type it loses).
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/query.hpp"
#include "unit/json/value_helpers.hpp"

namespace query_value_manual {

using reel::json::document;

using value_test::as_mongosh;

document load(const std::string& name) {
  return value_test::load(std::filesystem::path(REEL_TEST_DATA_DIR) / "query" / name);
}

struct totals {
  std::size_t cases = 0, decisions = 0, nlohmann_differs = 0;
};

/// Runs every case of `file`: the documents the filter keeps, identified by the case's key, must
/// be the manual's result.
void run_file(const std::string& file, totals& t) {
  const document data = load(file);
  reel::bson::ejson_reader reader;
  for (const document& c : data["cases"]) {
    ++t.cases;
    const std::string name = c.value("name", "");
    INFO(file << " | " << c.value("source", "") << " | " << name);
    document filter;
    if (c.contains("schema")) {
      document schema = data["schemas"][c["schema"].get<std::string>()];
      filter = document{{"$jsonSchema", std::move(schema)}};
      if (c.value("negate", false)) filter = document{{"$nor", document::array({filter})}};
    } else {
      filter = c["filter"];
    }
    filter = as_mongosh(filter);
    const reel::json::query q = reel::json::compile_query(filter, "/" + name);
    const document& docs = c.contains("documents")
                               ? c["documents"]
                               : data["collections"][c["collection"].get<std::string>()];
    const std::string key = c.value("key", "_id");
    reel::bson::arena memory;
    std::vector<reel::bson::value> matched;
    bool differs = false;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const std::string text = as_mongosh(docs[i]).dump();
      const reel::bson::value doc = reader.parse(text, memory);
      const bool decision = q.matches(doc, {}, memory);
      ++t.decisions;
      if (decision) {
        matched.push_back(key == "_index" ? reel::bson::value::double_(static_cast<double>(i))
                                          : doc[key]);
      }
      if (q.matches(reel::json::parse_ejson_line(text)) != decision) {
        differs = true;
        UNSCOPED_INFO("the nlohmann path decides otherwise on " << text);
      }
    }
    const document expected = as_mongosh(c["result"]);
    const reel::bson::value want = reel::bson::from_nlohmann(expected, memory);
    std::string got_text;
    for (const auto& m : matched) {
      reel::bson::write_ejson(got_text, m, {reel::bson::ejson_format::relaxed});
      got_text += " ";
    }
    INFO("matched: " << got_text << " expected: " << expected.dump());
    REQUIRE(want.size() == matched.size());
    for (std::size_t i = 0; i < matched.size(); ++i)
      CHECK(reel::bson::equal(want.elements()[i], matched[i]));
    if (c.value("nlohmann", "") == "differs") {
      CHECK(differs);
      ++t.nlohmann_differs;
    } else {
      CHECK_FALSE(differs);
    }
  }
}

}  // namespace query_value_manual

TEST_CASE("value-path $match and $jsonSchema on the manual's worked examples",
          "[json][query][schema][value]") {
  using namespace query_value_manual;
  totals t;
  run_file("manual_query.json", t);
  run_file("manual_json_schema.json", t);
  CHECK(t.cases >= 80);
  WARN("value-path query manual: " << t.cases << " cases, " << t.decisions << " decisions, "
                                   << t.nlohmann_differs
                                   << " cases where today's nlohmann path decides otherwise");
}

#endif  // REEL_JSON_VALUE_EVAL
