// SPDX-License-Identifier: Apache-2.0
// The $merge sink against a wire-protocol server: every whenMatched/whenNotMatched mode, `on`,
// dynamic targets, rejected documents, batching by size and time.
#include <string>
#include <utility>
#include <vector>

#include "reel/time.hpp"
#include "support.hpp"

using mongo_test::document;
using mongo_test::scratch;
using reel::mongo::merge_options;
using reel::mongo::merge_sink;

namespace {

std::vector<document> docs(const char* text) {
  return document::parse(text).get<std::vector<document>>();
}

merge_options stage(const std::string& text) {
  return reel::mongo::parse_merge_stage(document::parse(text), "/1/$merge");
}

struct mode_case {
  const char* matched;
  const char* not_matched;
  const char* expected;               // the collection afterwards
  std::vector<std::size_t> rejected;  // indexes of rejected documents
};

}  // namespace

TEST_CASE("every whenMatched and whenNotMatched mode", "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "modes");
  // Existing {_id: 1, a: 1, b: 1}; written: {_id: 1, a: 2, c: 3} (matches) and {_id: 2, a: 5}.
  const std::vector<mode_case> cases = {
      {"merge", "insert", R"([{"_id":1,"a":2,"b":1,"c":3},{"_id":2,"a":5}])", {}},
      {"merge", "discard", R"([{"_id":1,"a":2,"b":1,"c":3}])", {}},
      {"merge", "fail", R"([{"_id":1,"a":2,"b":1,"c":3}])", {1}},
      {"replace", "insert", R"([{"_id":1,"a":2,"c":3},{"_id":2,"a":5}])", {}},
      {"replace", "discard", R"([{"_id":1,"a":2,"c":3}])", {}},
      {"replace", "fail", R"([{"_id":1,"a":2,"c":3}])", {1}},
      {"keepExisting", "insert", R"([{"_id":1,"a":1,"b":1},{"_id":2,"a":5}])", {}},
      {"keepExisting", "discard", R"([{"_id":1,"a":1,"b":1}])", {}},
      {"keepExisting", "fail", R"([{"_id":1,"a":1,"b":1}])", {1}},
      {"fail", "insert", R"([{"_id":1,"a":1,"b":1},{"_id":2,"a":5}])", {0}},
      {"fail", "discard", R"([{"_id":1,"a":1,"b":1}])", {0}},
      {"fail", "fail", R"([{"_id":1,"a":1,"b":1}])", {0, 1}},
      {"delete", "insert", R"([{"_id":2,"a":5}])", {}},
      {"delete", "discard", R"([])", {}},
      {"delete", "fail", R"([])", {1}},
  };
  int n = 0;
  for (const mode_case& c : cases) {
    const std::string coll = "m" + std::to_string(n++);
    INFO("whenMatched " << c.matched << ", whenNotMatched " << c.not_matched);
    s.client().insert_many(s.db(), coll, {document{{"_id", 1}, {"a", 1}, {"b", 1}}});
    merge_options o = stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                            R"(", "coll": ")" + coll + R"("}, "whenMatched": ")" + c.matched +
                            R"(", "whenNotMatched": ")" + c.not_matched + R"("})");
    merge_sink sink(s.client(), o);
    reel::write_result r;
    const auto input = docs(R"([{"_id":1,"a":2,"c":3},{"_id":2,"a":5}])");
    sink.write(input, r);
    sink.flush();
    std::vector<std::size_t> rejected;
    for (const auto& [index, reason] : r.rejected) {
      rejected.push_back(index);
      CHECK(reason.find("(domain=") != std::string::npos);
    }
    CHECK(rejected == c.rejected);
    CHECK(document(s.all(coll)) == document::parse(c.expected));
    CHECK(sink.pending() == 0);
  }
}

TEST_CASE("whenMatched pipeline", "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "pipeline");
  s.client().insert_many(s.db(), "p", {document{{"_id", 1}, {"n", 1}}});
  merge_sink sink(s.client(), stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                                    R"(", "coll": "p"}, "whenMatched": [{"$set": {"n": {"$add": )"
                                    R"(["$n", "$$new.n"]}}}], "whenNotMatched": "insert"})"));
  reel::write_result r;
  sink.write(docs(R"([{"_id":1,"n":10},{"_id":2,"n":5}])"), r);
  const auto content = s.all("p");
  if (!r.rejected.empty()) {
    // FerretDB runs no update pipelines (and no `let`): both documents come back with the
    // server's refusal (code 14 TypeMismatch or 238 NotImplemented), nothing is written.
    REQUIRE(r.rejected.size() == 2);
    for (const auto& [index, reason] : r.rejected) {
      INFO(reason);
      CHECK(reason.find("domain=17") != std::string::npos);
      CHECK((reason.find("code=14)") != std::string::npos ||
             reason.find("code=238)") != std::string::npos));
    }
    CHECK(document(content) == document::parse(R"([{"_id":1,"n":1}])"));
  } else {
    // A server with update pipelines (MongoDB 5.0+): n added up, the new one inserted.
    CHECK(document(content) == document::parse(R"([{"_id":1,"n":11},{"_id":2,"n":5}])"));
  }
}

TEST_CASE("$merge options are checked at definition time", "[mongo][merge]") {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      reel::mongo::parse_merge_stage(document::parse(text), "/2/$merge");
    } catch (const reel::error& e) {
      return e.what();
    }
    return "";
  };
  CHECK(
      error_of(
          R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "whenMatched": "replce"})") ==
      "[reel.pipeline.invalid_option] at /2/$merge/whenMatched: unknown whenMatched 'replce' (did "
      "you mean 'replace'?); use merge, replace, keepExisting, fail, delete or a pipeline");
  CHECK(
      error_of(
          R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "whenNotMatched": "ignore"})") ==
      "[reel.pipeline.invalid_option] at /2/$merge/whenNotMatched: unknown whenNotMatched "
      "'ignore'; use insert, discard or fail");
  CHECK(error_of(R"({"into": {"connectionName": "m", "db": "d"}})") ==
        "[reel.pipeline.invalid_option] at /2/$merge/into: $merge.into requires coll");
  CHECK(error_of(R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "on": []})") ==
        "[reel.pipeline.invalid_option] at /2/$merge/on: on must name at least one field");
  CHECK(
      error_of(
          R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "whenMatched": [{"$group": {}}]})") ==
      "[reel.pipeline.invalid_option] at /2/$merge/whenMatched/0/$group: '$group' is not allowed "
      "in a whenMatched pipeline (use $addFields, $set, $project, $unset, $replaceRoot or "
      "$replaceWith)");
  CHECK(error_of(R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "let": {"x": 1}})") ==
        "[reel.pipeline.invalid_option] at /2/$merge/let: let is allowed only with a whenMatched "
        "pipeline");
  CHECK(error_of(R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}, "onn": "_id"})") ==
        "[reel.pipeline.invalid_option] at /2/$merge/onn: unknown option 'onn' of $merge (did you "
        "mean 'on'?)");
  const merge_options o = reel::mongo::parse_merge_stage(
      document::parse(R"({"into": {"connectionName": "m", "db": "d", "coll": "c"}})"));
  CHECK(o.matched == reel::mongo::when_matched::merge);  // the server's defaults
  CHECK(o.not_matched == reel::mongo::when_not_matched::insert);
  CHECK(o.on == std::vector<std::string>{"_id"});
}

TEST_CASE("on several fields, and documents without _id", "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "on");
  s.client().create_index(s.db(), "totals", document{{"movie", 1}, {"day", 1}}, true);
  merge_sink sink(
      s.client(),
      stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
            R"(", "coll": "totals"}, "on": ["movie", "day"], "whenMatched": "merge"})"));
  reel::write_result r;
  sink.write(docs(R"([{"movie":"Dune","day":1,"total":10},{"movie":"Dune","day":2,"total":4},
                      {"movie":"Dune","day":1,"total":12,"late":true},{"day":3,"total":1},
                      {"movie":["a"],"day":3,"total":1}])"),
             r);
  REQUIRE(r.rejected.size() == 2);
  CHECK(r.rejected[0].first == 3);
  CHECK(r.rejected[0].second ==
        "$merge write error: 'on' field 'movie' cannot be missing, null, undefined or an array "
        "(code 51132)");
  CHECK(r.rejected[1].first == 4);
  auto content = s.client().find(s.db(), "totals", document::object(), document{{"day", 1}});
  REQUIRE(content.size() == 2);
  for (auto& d : content)
    d.erase("_id");  // generated by the server on upsert
  CHECK(document(content) == document::parse(R"([{"movie":"Dune","day":1,"total":12,"late":true},
                            {"movie":"Dune","day":2,"total":4}])"));

  // With on: _id, a document without _id gets an ObjectId: it is inserted, never matched.
  merge_sink by_id(s.client(), stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                                     R"(", "coll": "ids"}})"));
  by_id.write(docs(R"([{"x":1},{"x":1}])"), r);
  const auto ids = s.all("ids");
  REQUIRE(ids.size() == 2);
  CHECK(ids[0]["_id"].contains("$oid"));
  CHECK(ids[0]["_id"] != ids[1]["_id"]);
}

TEST_CASE("dynamic db and coll", "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "dyn");
  scratch other(uri, "dyn_eu");
  merge_sink sink(s.client(), stage(R"({"into": {"connectionName": "m",
                         "db": {"$cond": [{"$eq": ["$region", "eu"]}, ")" +
                                    other.db() + R"(", ")" + s.db() + R"("]},
                         "coll": {"$concat": ["sales_", "$kind"]}},
                "whenMatched": "replace"})"));
  reel::write_result r;
  sink.write(docs(R"([{"_id":1,"region":"us","kind":"books"},
                      {"_id":2,"region":"eu","kind":"books"},
                      {"_id":3,"region":"us","kind":"games"},
                      {"_id":4,"region":"us","kind":7},
                      {"_id":5,"region":"us","kind":"a$b"},
                      {"_id":6,"region":"us","kind":"books","_stream_meta":{"source":{"type":"x"}}}])"),
             r);
  REQUIRE(r.rejected.size() == 2);
  CHECK(r.rejected[0].first == 3);
  CHECK(r.rejected[0].second ==
        "Failed to evaluate $merge into.coll: $concat only supports strings, not int");
  CHECK(r.rejected[1].first == 4);
  CHECK(r.rejected[1].second ==
        "$merge into.coll 'sales_a$b' is not a valid collection name: it contains '$'");
  CHECK(s.all("sales_books").size() == 2);
  CHECK(s.all("sales_games").size() == 1);
  CHECK(other.all("sales_books") ==
        std::vector<document>{document::parse(R"({"_id":2,"region":"eu","kind":"books"})")});

  // `$meta` in a target reads the document's _stream_meta.
  merge_sink by_meta(s.client(), stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                                       R"(", "coll": {"$meta": "stream.source.topic"}}})"));
  reel::write_result r2;
  by_meta.write(docs(R"([{"_id":1,"_stream_meta":{"source":{"topic":"clicks"}}},{"_id":2}])"), r2);
  REQUIRE(r2.rejected.size() == 1);
  CHECK(r2.rejected[0].second ==
        "$merge into.coll must evaluate to a string, but it evaluated to missing");
  CHECK(s.all("clicks").size() == 1);
}

TEST_CASE("a document the server rejects is reported, the rest of its batch is written",
          "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "reject");
  s.client().create_index(s.db(), "c", document{{"slug", 1}}, true);
  s.client().insert_many(s.db(), "c", {document{{"_id", 100}, {"slug", "taken"}}});
  merge_options o = stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                          R"(", "coll": "c"}, "whenMatched": "merge"})");
  o.batch.max_documents = 100;
  merge_sink sink(s.client(), o);
  std::vector<std::pair<document, std::string>> later;
  sink.set_rejection_handler(
      [&](const document& d, const std::string& reason) { later.emplace_back(d, reason); });
  reel::write_result r;
  // One batch: two updates that violate the unique index and one with a field name the server
  // refuses, among good ones.
  sink.write(docs(R"([{"_id":1,"slug":"a"},{"_id":2,"slug":"taken"},{"_id":3,"slug":"c"},
                      {"_id":4,"$bad":1},{"_id":5,"slug":"e"},{"_id":6,"slug":"a"}])"),
             r);
  CHECK(sink.pending() == 6);  // buffered: a handler is set and no threshold was reached
  sink.flush();
  CHECK(r.rejected.empty());  // the write() call had returned: rejections went to the handler
  REQUIRE(later.size() == 3);
  CHECK(later[0].first["_id"] == 2);
  CHECK(later[0].second.find("E11000") != std::string::npos);
  CHECK(later[0].second.find("(domain=17 code=11000)") != std::string::npos);
  CHECK(later[1].first["_id"] == 4);
  CHECK(later[1].second.find("domain=17") != std::string::npos);
  CHECK(later[2].first["_id"] == 6);
  CHECK(document(s.all("c")) ==
        document::parse(R"([{"_id":1,"slug":"a"},{"_id":3,"slug":"c"},{"_id":5,"slug":"e"},
                            {"_id":100,"slug":"taken"}])"));
  CHECK(sink.stats().isolated == 1);
  CHECK(sink.stats().rejected == 3);
  CHECK(sink.stats().written == 3);

  // Without a handler each write() is written before it returns: rejections by index.
  merge_sink direct(s.client(), o);
  reel::write_result r2;
  direct.write(docs(R"([{"_id":7,"slug":"g"},{"_id":8,"slug":"taken"}])"), r2);
  REQUIRE(r2.rejected.size() == 1);
  CHECK(r2.rejected[0].first == 1);
  CHECK(s.all("c").size() == 5);
}

TEST_CASE("batches are written by size and by age on the sink's clock", "[mongo][merge]") {
  MONGO_URI_OR_SKIP(uri);
  scratch s(uri, "batch");
  reel::manual_clock clock(reel::timestamp{} + std::chrono::hours(1));
  merge_options o = stage(R"({"into": {"connectionName": "m", "db": ")" + s.db() +
                          R"(", "coll": "b"}, "whenMatched": "replace"})");
  o.batch.max_documents = 3;
  o.batch.max_delay = std::chrono::milliseconds(1000);
  o.clock = &clock;
  merge_sink sink(s.client(), o);
  std::vector<std::string> reasons;
  sink.set_rejection_handler([&](const document&, const std::string& r) { reasons.push_back(r); });
  reel::write_result r;
  auto one = [&](int id) {
    const document d = {{"_id", id}};
    sink.write(std::span<const document>(&d, 1), r);
  };
  one(1);
  one(2);
  CHECK(sink.pending() == 2);
  CHECK(s.client().count(s.db(), "b") == 0);
  one(3);  // size
  CHECK(sink.pending() == 0);
  CHECK(s.client().count(s.db(), "b") == 3);
  one(4);
  clock.advance(std::chrono::milliseconds(999));
  one(5);
  CHECK(sink.pending() == 2);
  clock.advance(std::chrono::milliseconds(1));
  one(6);  // age: the oldest (4) is 1000 ms old
  CHECK(sink.pending() == 0);
  CHECK(s.client().count(s.db(), "b") == 6);
  one(7);
  CHECK(sink.pending() == 1);
  sink.flush();
  CHECK(sink.pending() == 0);
  CHECK(s.client().count(s.db(), "b") == 7);
  CHECK(sink.stats().batches == 3);
  CHECK(reasons.empty());
}
