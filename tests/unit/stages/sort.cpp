// SPDX-License-Identifier: Apache-2.0
// Tests for include/reel/json/stages/sort.hpp beyond the data-driven cases: a larger batch against
// a reference order, and stability.
#include "reel/json/stages/sort.hpp"  // first: a single stage header is self-contained

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using reel::json::document;

TEST_CASE("$sort on a large shuffled batch is a stable sort by key", "[json][stages][sort]") {
  const reel::json::stages::sort by_key(document::parse(R"({"k": 1, "neg": -1})"), "/0/$sort");
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> key(0, 20);
  std::vector<document> batch;
  for (int i = 0; i < 500; ++i) {
    const int k = key(rng);
    document d = {{"seq", i}, {"k", k}, {"neg", k % 3}};
    if (i % 7 == 0) d.erase("k");  // missing sorts with null, first
    batch.push_back(std::move(d));
  }
  std::vector<document> expected = batch;
  std::stable_sort(expected.begin(), expected.end(), [](const document& a, const document& b) {
    const int ka = a.contains("k") ? a["k"].get<int>() : -1;
    const int kb = b.contains("k") ? b["k"].get<int>() : -1;
    if (ka != kb) return ka < kb;
    return a["neg"].get<int>() > b["neg"].get<int>();
  });
  by_key.apply_batch(batch, {});
  REQUIRE(batch.size() == expected.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    INFO(i);
    CHECK(batch[i]["seq"] == expected[i]["seq"]);
  }
}

TEST_CASE("$sort treats int, long and double keys by value", "[json][stages][sort]") {
  const reel::json::stages::sort s(document{{"v", -1}}, "/0/$sort");
  std::vector<document> batch = {document{{"v", 1}}, document{{"v", 2.5}},
                                 document{{"v", std::int64_t{1} << 40}}, document{{"v", -0.5}}};
  s.apply_batch(batch, {});
  CHECK(batch[0]["v"] == std::int64_t{1} << 40);
  CHECK(batch[1]["v"] == 2.5);
  CHECK(batch[2]["v"] == 1);
  CHECK(batch[3]["v"] == -0.5);
}
