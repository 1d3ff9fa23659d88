// SPDX-License-Identifier: Apache-2.0
// The value type, arenas, builders, owned copies, compiled field paths, BSON bytes and the
// nlohmann edge; and the allocation count of a reader in steady state.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "reel/bson.hpp"
#include "reel/bson/nlohmann.hpp"

#include "support/allocation_counter.hpp"

namespace bson_value_test {

using reel::bson::arena;
using reel::bson::builder;
using reel::bson::field_path;
using reel::bson::type;
using reel::bson::value;
using reel_test::allocations;

std::string relaxed(const value& v) {
  return reel::bson::to_ejson(v);
}
std::string canonical(const value& v) {
  return reel::bson::to_ejson(v, {reel::bson::ejson_format::canonical});
}

TEST_CASE("A value is 16 bytes and a field 32", "[bson][value]") {
  STATIC_REQUIRE(sizeof(value) == 16);
  STATIC_REQUIRE(sizeof(reel::bson::field) == 32);
  CHECK(value().is_missing());
  CHECK(value::int64(5).as_int64() == 5);
  CHECK(value::timestamp({7, 9}).as_timestamp() == reel::bson::timestamp_value{7, 9});
  CHECK(reel::bson::type_name(type::int64) == "long");
  CHECK(reel::bson::type_name(type::decimal128) == "decimal");
  CHECK(reel::bson::type_name(type::binary) == "binData");
  CHECK(reel::bson::type_name(type::object_id) == "objectId");
  CHECK(reel::bson::type_name(type::missing) == "missing");
}

TEST_CASE("The builder nests documents and arrays in one arena", "[bson][value]") {
  arena a;
  builder b(a);
  b.begin_document();
  b.append("movie", a.string("m654"));
  b.key("seats");
  b.begin_array();
  b.append(value::int32(3));
  b.begin_document();
  b.append("row", a.string("B"));
  b.end();
  b.end();
  b.append("paid", value::double_(6.5));
  const value doc = b.end();
  CHECK(relaxed(doc) == R"({"movie":"m654","seats":[3,{"row":"B"}],"paid":6.5})");
  CHECK(doc["seats"].at(1)["row"].as_string() == "B");
  CHECK(doc["nothing"].is_missing());
  CHECK(doc["seats"].at(9).is_missing());
}

TEST_CASE("An owned value outlives its arena in one block", "[bson][value]") {
  reel::bson::owned_value kept;
  {
    arena a;
    const value doc = reel::bson::parse_ejson(
        R"({"k":"a longer string than any inline one","n":[1,{"$numberDecimal":"2.50"}],)"
        R"("o":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},"r":{"$regex":"x","$options":"s"}})",
        a);
    kept = reel::bson::owned_value(doc);
    CHECK(reel::bson::equal(kept.get(), doc));
  }
  CHECK(
      canonical(kept.get()) ==
      R"({"k":"a longer string than any inline one","n":[{"$numberInt":"1"},{"$numberDecimal":"2.50"}],)"
      R"("o":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},"r":{"$regularExpression":{"pattern":"x","options":"s"}}})");
  const reel::bson::owned_value copy = kept;
  CHECK(copy.get().payload_pointer() != kept.get().payload_pointer());
  CHECK(relaxed(copy.get()) == relaxed(kept.get()));
  CHECK(reel::bson::owned_value(value::int32(4)).footprint() == 0);
  CHECK(reel::bson::owned_value::footprint_of(kept.get()) == kept.footprint());
  CHECK(reel::bson::owned_value::footprint_of(value::int32(4)) == 0);
  arena b;
  CHECK(relaxed(b.deep_copy(kept.get())) == relaxed(kept.get()));
  // Moving keeps the values valid and empties the source.
  const std::string text = relaxed(kept.get());
  reel::bson::owned_value moved = std::move(kept);
  CHECK(relaxed(moved.get()) == text);
  CHECK(kept.get().is_missing());  // NOLINT(bugprone-use-after-move): documented state
  arena c;
  const value in_c = c.string("kept across a move of its arena");
  arena d = std::move(c);
  CHECK(in_c.as_string() == "kept across a move of its arena");
  CHECK(c.capacity() == 0);  // NOLINT(bugprone-use-after-move): documented state
  CHECK(d.string("x").as_string() == "x");
}

TEST_CASE("Compiled field paths: lookup through documents, resolve through arrays",
          "[bson][value][path]") {
  arena a;
  const value doc = reel::bson::parse_ejson(
      R"({"a":{"b":{"c":1}},"items":[{"p":1},{"q":2},{"p":[3,4]},5,[{"p":6},{"x":0}]],"s":"x"})",
      a);
  CHECK(relaxed(field_path("a.b.c").lookup(doc)) == "1");
  CHECK(field_path("a.b.z").lookup(doc).is_missing());
  CHECK(field_path("s.length").lookup(doc).is_missing());
  CHECK(field_path("items.p").lookup(doc).is_missing());
  // MongoDB: {$project: {x: "$items.p"}} gives [1, [3, 4], [6]].
  CHECK(relaxed(field_path("items.p").resolve(doc, a)) == "[1,[3,4],[6]]");
  CHECK(relaxed(field_path("a.b").resolve(doc, a)) == R"({"c":1})");
  CHECK(field_path("nope.x").resolve(doc, a).is_missing());
  CHECK(field_path("items.p").components().size() == 2);
  CHECK(reel_test::error_of([] { field_path("a..b"); }) ==
        "[reel.path.invalid] field path 'a..b' has an empty component");
}

// Every BSON type, in canonical Extended JSON.
const std::string every_type =
    R"({"double":{"$numberDouble":"-2.5"},"string":"s","doc":{"x":{"$numberInt":"1"}},)"
    R"("array":[{"$numberLong":"5"},"y"],"bin":{"$binary":{"base64":"AQID","subType":"00"}},)"
    R"("undef":{"$undefined":true},"oid":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},"bool":false,)"
    R"("date":{"$date":{"$numberLong":"1717272000000"}},"null":null,)"
    R"x("regex":{"$regularExpression":{"pattern":"a","options":"i"}},"code":{"$code":"f()"},)x"
    R"("sym":{"$symbol":"y"},"int32":{"$numberInt":"7"},"ts":{"$timestamp":{"t":4,"i":5}},)"
    R"("int64":{"$numberLong":"-8"},"dec":{"$numberDecimal":"-1.2E+3"},"min":{"$minKey":1},)"
    R"("max":{"$maxKey":1}})";

TEST_CASE("Every BSON type round-trips through BSON bytes", "[bson][bytes]") {
  arena a;
  const std::string& text = every_type;
  const value doc = reel::bson::parse_ejson(text, a);
  std::vector<std::uint8_t> bytes;
  reel::bson::append_bson(bytes, doc);
  arena b;
  CHECK(canonical(reel::bson::from_bson(bytes, b)) == text);
}

TEST_CASE("BSON bytes follow the specification", "[bson][bytes]") {
  arena a;
  // bsonspec.org's first example: {"hello": "world"}.
  const std::vector<std::uint8_t> hello = {0x16, 0, 0, 0, 0x02, 'h', 'e', 'l', 'l', 'o', 0,
                                           0x06, 0, 0, 0, 'w',  'o', 'r', 'l', 'd', 0,   0};
  CHECK(relaxed(reel::bson::from_bson(hello, a)) == R"({"hello":"world"})");
  std::vector<std::uint8_t> out;
  reel::bson::append_bson(out, reel::bson::parse_ejson(R"({"hello":"world"})", a));
  CHECK(out == hello);
  using reel_test::error_of;
  std::vector<std::uint8_t> truncated(hello.begin(), hello.end() - 3);
  CHECK(error_of([&] { (void)reel::bson::from_bson(truncated, a); }) ==
        "[reel.input.invalid_bson] invalid BSON at byte 0: document length 22");
  std::vector<std::uint8_t> bad_type = hello;
  bad_type[4] = 0x0C;  // DBPointer: deprecated, refused
  CHECK(error_of([&] { (void)reel::bson::from_bson(bad_type, a); }) ==
        "[reel.input.invalid_bson] invalid BSON at byte 4: unsupported element type 0x0c");
  std::vector<std::uint8_t> bad_string = hello;
  bad_string[11] = 0x7F;  // string length past the end
  CHECK(error_of([&] { (void)reel::bson::from_bson(bad_string, a); }) ==
        "[reel.input.invalid_bson] invalid BSON at byte 11: string length 127 does not fit the "
        "input");
}

TEST_CASE("The nlohmann edge speaks today's Extended JSON wrapper representation",
          "[bson][nlohmann]") {
  arena a;
  const std::string text =
      R"({"i":1,"l":{"$numberLong":"5000000000"},"d":2.5,"s":"x","t":true,"n":null,)"
      R"("date":{"$date":"2024-06-01T20:00:00Z"},"far":{"$date":{"$numberLong":"-62167219200001"}},)"
      R"("dec":{"$numberDecimal":"0.10"},"oid":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},)"
      R"("bin":{"$binary":{"base64":"AQID","subType":"00"}},"ts":{"$timestamp":{"t":4,"i":5}},)"
      R"("re":{"$regularExpression":{"pattern":"a","options":""}},"min":{"$minKey":1},)"
      R"("arr":[1,[2]],"nan":{"$numberDouble":"NaN"}})";
  const value doc = reel::bson::parse_ejson(text, a);
  const nlohmann::ordered_json j = reel::bson::to_nlohmann(doc);
  CHECK(
      j.dump() ==
      R"({"i":1,"l":5000000000,"d":2.5,"s":"x","t":true,"n":null,)"
      R"("date":{"$date":"2024-06-01T20:00:00.000Z"},"far":{"$date":{"$numberLong":"-62167219200001"}},)"
      R"("dec":{"$numberDecimal":"0.10"},"oid":{"$oid":"5f1a2b3c4d5e6f7a8b9c0d1e"},)"
      R"("bin":{"$binary":{"base64":"AQID","subType":"00"}},"ts":{"$timestamp":{"t":4,"i":5}},)"
      R"("re":{"$regularExpression":{"pattern":"a","options":""}},"min":{"$minKey":1},)"
      R"("arr":[1,[2]],"nan":null})");
  arena b;
  const value back = reel::bson::from_nlohmann(j, b);
  CHECK(canonical(back) == canonical(doc));
  CHECK(back["l"].type() == type::int64);
  // Every type comes back, int64 values that fit in 32 bits as int32.
  arena c;
  std::string expected = every_type;
  for (const std::string n : {"5", "-8"}) {
    const std::string as_long = R"({"$numberLong":")" + n + R"("})";
    expected.replace(expected.find(as_long), as_long.size(), R"({"$numberInt":")" + n + R"("})");
  }
  CHECK(canonical(reel::bson::from_nlohmann(
            reel::bson::to_nlohmann(reel::bson::parse_ejson(every_type, c)), c)) == expected);
}

TEST_CASE("A reader and its arena allocate nothing per document in steady state",
          "[bson][value][allocation]") {
  const std::string line =
      R"({"movie":"m654","amountPaid":6.5,"ts":{"$date":"2024-06-01T20:00:00.000Z"},)"
      R"("seats":[1,2,{"row":"a somewhat longer string value"}],"n":{"$numberLong":"7"}})";
  arena a;
  reel::bson::ejson_reader reader;
  const field_path movie("movie"), paid("amountPaid"), ts("ts");
  std::string out;
  out.reserve(1024);
  std::int64_t checksum = 0;
  auto one = [&] {
    a.reset();
    const value doc = reader.parse(line, a);
    checksum += static_cast<std::int64_t>(movie.lookup(doc).as_string().size()) +
                static_cast<std::int64_t>(paid.lookup(doc).as_double()) + ts.lookup(doc).as_date();
    out.clear();
    reel::bson::write_ejson(out, doc);
  };
  for (int i = 0; i < 10; ++i)
    one();  // warm-up: the arena's chunk, the parser's buffers, the builder's stacks
  const long before = allocations.load();
  for (int i = 0; i < 1000; ++i)
    one();
  CHECK(allocations.load() - before == 0);
  CHECK(checksum == 1010 * (4 + 6 + 1717272000000));
  CHECK(out == R"({"movie":"m654","amountPaid":6.5,"ts":{"$date":"2024-06-01T20:00:00.000Z"},)"
               R"("seats":[1,2,{"row":"a somewhat longer string value"}],"n":7})");
}

}  // namespace bson_value_test
