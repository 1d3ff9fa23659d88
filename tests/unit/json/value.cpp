// SPDX-License-Identifier: Apache-2.0
#include "reel/json/value.hpp"

#include <cmath>

#include "helpers.hpp"

using namespace reel::json;
using reel_test::J;
using reel_test::show;

TEST_CASE("missing values", "[json][value]") {
  CHECK(is_missing(missing()));
  CHECK_FALSE(is_missing(document(nullptr)));
  CHECK(type_name(missing()) == "missing");
  CHECK(type_of(missing()) == bson_type::missing);
}

TEST_CASE("type names follow MongoDB $type", "[json][value]") {
  CHECK(type_name(J("1")) == "int");
  CHECK(type_name(J("-2147483648")) == "int");
  CHECK(type_name(J("2147483648")) == "long");
  CHECK(type_name(J("-2147483649")) == "long");
  CHECK(type_name(J("1.0")) == "double");
  CHECK(type_name(J("18446744073709551615")) == "double");
  CHECK(type_name(J(R"("a")")) == "string");
  CHECK(type_name(J("{}")) == "object");
  CHECK(type_name(J("[]")) == "array");
  CHECK(type_name(J("true")) == "bool");
  CHECK(type_name(J("null")) == "null");
  CHECK(type_name(J(R"({"$date": "2024-01-01T00:00:00Z"})")) == "date");
  CHECK(type_name(J(R"({"$date": 1704067200000})")) == "date");
  CHECK(type_name(J(R"({"$date": {"$numberLong": "1704067200000"}})")) == "date");
  CHECK(type_name(J(R"({"$oid": "65a1b2c3d4e5f60718293a4b"})")) == "objectId");
  CHECK(type_name(J(R"({"$numberLong": "5"})")) == "long");
  CHECK(type_name(J(R"({"$numberInt": "5"})")) == "int");
  CHECK(type_name(J(R"({"$numberDouble": "1.5"})")) == "double");
  CHECK(type_name(J(R"({"$numberDecimal": "1.5"})")) == "decimal");
  CHECK(type_name(J(R"({"$binary": {"base64": "AQID", "subType": "00"}})")) == "binData");
  CHECK(type_name(J(R"({"$timestamp": {"t": 1, "i": 2}})")) == "timestamp");
  CHECK(type_name(J(R"({"$regularExpression": {"pattern": "a", "options": ""}})")) == "regex");
  CHECK(type_name(J(R"({"$minKey": 1})")) == "minKey");
  CHECK(type_name(J(R"({"$maxKey": 1})")) == "maxKey");
  // An object with a $-key that is no EJSON wrapper stays an object.
  CHECK(type_name(J(R"({"$date": true})")) == "object");
  CHECK(type_name(J(R"({"$foo": 1})")) == "object");
  CHECK(type_code(type_of(J("1.5"))) == 1);
  CHECK(type_code(type_of(J(R"({"$date": 0})"))) == 9);
  CHECK(type_code(type_of(J("5000000000"))) == 18);
}

TEST_CASE("dates in extended JSON", "[json][value][date]") {
  const auto t = reel::parse_iso8601("2024-01-01T00:00:00Z").value();
  CHECK(is_date(J(R"({"$date": "2024-01-01T00:00:00.000Z"})")));
  CHECK(as_date(J(R"({"$date": "2024-01-01T00:00:00.000Z"})")) == t);
  CHECK(as_date(J(R"({"$date": "2024-01-01T01:00:00+01:00"})")) == t);
  CHECK(as_date(J(R"({"$date": 1704067200000})")) == t);
  CHECK(as_date(J(R"({"$date": {"$numberLong": "1704067200000"}})")) == t);
  CHECK_FALSE(as_date(J(R"({"$date": "garbage"})")).has_value());
  CHECK_FALSE(as_date(J(R"("2024-01-01")")).has_value());
  CHECK_FALSE(is_date(J(R"({"$date": 1, "x": 2})")));
  CHECK(show(make_date(t)) == R"({"$date":"2024-01-01T00:00:00.000Z"})");
  CHECK(show(make_date(reel::from_millis(-1))) == R"({"$date":"1969-12-31T23:59:59.999Z"})");
  CHECK(show(make_date(reel::from_millis(253402300800000LL))) ==
        R"({"$date":{"$numberLong":"253402300800000"}})");
}

TEST_CASE("dates as make_date writes them are read at fixed positions", "[json][value][date]") {
  std::uint64_t rng = 1;
  for (int i = 0; i < 2000; ++i) {  // years 0000-9999, every field's range
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::int64_t ms = -62167219200000LL + static_cast<std::int64_t>(rng % 315537897600000ULL);
    const document d = make_date(reel::from_millis(ms));
    INFO(show(d));
    CHECK(detail::relaxed_date_millis(d) == ms);
  }
  for (std::int64_t ms : {-62167219200000LL, 253402300799999LL, 0LL, 951782400000LL}) {
    CHECK(detail::relaxed_date_millis(make_date(reel::from_millis(ms))) == ms);
  }
  // Anything else is left to as_date: other spellings, impossible dates, other shapes.
  for (const char* other :
       {R"({"$date": "2024-01-01T00:00:00Z"})", R"({"$date": "2024-01-01T01:00:00.000+01:00"})",
        R"({"$date": "2023-02-29T00:00:00.000Z"})", R"({"$date": "2024-01-01T00:00:60.000Z"})",
        R"({"$date": "2024-13-01T00:00:00.000Z"})", R"({"$date": "2024-01-01T24:00:00.000Z"})",
        R"({"$date": "2024-01-01t00:00:00.000Z"})", R"({"$date": "+2024-01-01T00:00:00.000Z"})",
        R"({"$date": 1704067200000})", R"({"$date": {"$numberLong": "1"}})",
        R"({"$date": "2024-01-01T00:00:00.000Z", "x": 1})",
        R"({"$dato": "2024-01-01T00:00:00.000Z"})", R"("2024-01-01T00:00:00.000Z")"}) {
    INFO(other);
    CHECK_FALSE(detail::relaxed_date_millis(J(other)).has_value());
  }
}

TEST_CASE("normalize_ejson and to_canonical_document", "[json][value]") {
  const document in = J(R"({
    "i": {"$numberInt": "7"}, "l": {"$numberLong": "9000000000"}, "d": {"$numberDouble": "1.5"},
    "nan": {"$numberDouble": "NaN"}, "inf": {"$numberDouble": "-Infinity"},
    "dec": {"$numberDecimal": "2.25"}, "ts": {"$date": {"$numberLong": "1704067200000"}},
    "ms": {"$date": 0}, "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"},
    "nested": [{"x": {"$numberLong": "1"}}], "plain": {"$foo": {"$numberInt": "1"}}})");
  const document n = normalize_ejson(in);
  CHECK(show(n["i"]) == "7");
  CHECK(type_name(n["i"]) == "int");
  CHECK(show(n["l"]) == "9000000000");
  CHECK(show(n["d"]) == "1.5");
  CHECK(std::isnan(n["nan"].get<double>()));
  CHECK(n["inf"].get<double>() == -INFINITY);
  CHECK(show(n["dec"]) == "2.25");
  CHECK(show(n["ts"]) == R"({"$date":"2024-01-01T00:00:00.000Z"})");
  CHECK(show(n["ms"]) == R"({"$date":"1970-01-01T00:00:00.000Z"})");
  CHECK(show(n["oid"]) == R"({"$oid":"65a1b2c3d4e5f60718293a4b"})");
  CHECK(show(n["nested"]) == R"([{"x":1}])");
  CHECK(show(n["plain"]) == R"({"$foo":1})");

  const document c = to_canonical_document(J(
      R"({"a": 1, "b": 5000000000, "c": 1.0, "d": 0.5, "e": 1e20, "f": {"$date": "2024-01-01T00:00:00Z"},
            "g": [true, null, "s"], "h": -0.0})"));
  CHECK(
      show(c) ==
      R"({"a":{"$numberInt":"1"},"b":{"$numberLong":"5000000000"},"c":{"$numberDouble":"1.0"},)"
      R"("d":{"$numberDouble":"0.5"},"e":{"$numberDouble":"1.0E+20"},)"
      R"("f":{"$date":{"$numberLong":"1704067200000"}},"g":[true,null,"s"],"h":{"$numberDouble":"-0.0"}})");
  CHECK(
      show(normalize_ejson(c)) ==
      R"({"a":1,"b":5000000000,"c":1.0,"d":0.5,"e":1e+20,"f":{"$date":"2024-01-01T00:00:00.000Z"},)"
      R"("g":[true,null,"s"],"h":-0.0})");
}

TEST_CASE("BSON comparison order across types", "[json][value][compare]") {
  // MinKey < missing < null < numbers < string < object < array < binData < objectId < bool
  //   < date < timestamp < regex < MaxKey
  const std::vector<document> ordered = {
      J(R"({"$minKey": 1})"),
      missing(),
      J("null"),
      J("-1e300"),
      J("1"),
      J(R"("")"),
      J(R"("a")"),
      J("{}"),
      J("[]"),
      J(R"({"$binary": {"base64": "AQ==", "subType": "00"}})"),
      J(R"({"$oid": "000000000000000000000001"})"),
      J("false"),
      J("true"),
      J(R"({"$date": "1970-01-01T00:00:00Z"})"),
      J(R"({"$timestamp": {"t": 1, "i": 0}})"),
      J(R"({"$regularExpression": {"pattern": "a", "options": ""}})"),
      J(R"({"$maxKey": 1})"),
  };
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      INFO(show(ordered[i]) << " vs " << show(ordered[j]));
      const int c = compare_values(ordered[i], ordered[j]);
      if (i < j) CHECK(c < 0);
      if (i == j) CHECK(c == 0);
      if (i > j) CHECK(c > 0);
    }
  }
}

TEST_CASE("numbers compare by value across int, long and double", "[json][value][compare]") {
  CHECK(compare_values(J("1"), J("1.0")) == 0);
  CHECK(compare_values(J("2"), J("1.5")) > 0);
  CHECK(compare_values(J("-2"), J("-1.5")) < 0);
  CHECK(compare_values(J(R"({"$numberLong": "3"})"), J("3.0")) == 0);
  CHECK(compare_values(J(R"({"$numberDecimal": "3.5"})"), J("3")) > 0);
  // exact comparison of large longs with doubles
  CHECK(compare_values(J("9007199254740993"), J("9007199254740992.0")) > 0);
  CHECK(compare_values(J("9223372036854775807"), J("9223372036854775808.0")) < 0);
  // NaN is the smallest number and equal to itself
  const document nan = std::nan("");
  CHECK(compare_values(nan, J("-1e308")) < 0);
  CHECK(compare_values(nan, J("-9223372036854775808")) < 0);
  CHECK(compare_values(nan, nan) == 0);
  CHECK(compare_values(nan, J("null")) > 0);
}

TEST_CASE("strings, objects, arrays and dates compare as MongoDB", "[json][value][compare]") {
  CHECK(compare_values(J(R"("abc")"), J(R"("abd")")) < 0);
  CHECK(compare_values(J(R"("B")"), J(R"("a")")) < 0);
  CHECK(compare_values(J(R"("ab")"), J(R"("abc")")) < 0);
  CHECK(compare_values(J(R"("é")"), J(R"("z")")) > 0);  // bytewise UTF-8
  CHECK(compare_values(J(R"({"a": 1})"), J(R"({"a": 1})")) == 0);
  CHECK(compare_values(J(R"({"a": 1})"), J(R"({"a": 2})")) < 0);
  CHECK(compare_values(J(R"({"a": 1})"), J(R"({"b": 0})")) < 0);
  CHECK(compare_values(J(R"({"a": 1})"), J(R"({"a": 1, "b": 0})")) < 0);
  CHECK(compare_values(J(R"({"a": 1, "b": 2})"), J(R"({"b": 2, "a": 1})")) < 0);  // field order
  CHECK(compare_values(J(R"({"b": 1})"), J(R"({"a": "x"})")) < 0);  // value type before name
  CHECK(compare_values(J("[1, 2]"), J("[1, 3]")) < 0);
  CHECK(compare_values(J("[1, 2]"), J("[1, 2, 0]")) < 0);
  CHECK(compare_values(J("[2]"), J("[1, 5]")) > 0);
  CHECK(compare_values(J(R"({"$date": "2024-01-01T00:00:00Z"})"),
                       J(R"({"$date": 1704067200000})")) == 0);
  CHECK(compare_values(J(R"({"$date": "2024-01-01T00:00:00Z"})"),
                       J(R"({"$date": "2024-01-01T00:00:00.001Z"})")) < 0);
  CHECK(compare_values(J(R"({"$oid": "65A1B2C3D4E5F60718293A4B"})"),
                       J(R"({"$oid": "65a1b2c3d4e5f60718293a4b"})")) == 0);
  CHECK(compare_values(J(R"({"$binary": {"base64": "AQID", "subType": "00"}})"),
                       J(R"({"$binary": {"base64": "AQI=", "subType": "00"}})")) >
        0);  // length first
  CHECK(compare_values(J(R"({"$timestamp": {"t": 1, "i": 5}})"),
                       J(R"({"$timestamp": {"t": 2, "i": 0}})")) < 0);
  CHECK(values_equal(J("[1, {\"a\": 2.0}]"), J("[1.0, {\"a\": 2}]")));
}

TEST_CASE("truthiness", "[json][value]") {
  CHECK_FALSE(truthy(J("false")));
  CHECK_FALSE(truthy(J("null")));
  CHECK_FALSE(truthy(missing()));
  CHECK_FALSE(truthy(J("0")));
  CHECK_FALSE(truthy(J("0.0")));
  CHECK_FALSE(truthy(J(R"({"$numberLong": "0"})")));
  CHECK(truthy(J("true")));
  CHECK(truthy(J("-1")));
  CHECK(truthy(J(R"("")")));
  CHECK(truthy(J("[]")));
  CHECK(truthy(J("{}")));
  CHECK(truthy(J(R"({"$date": 0})")));
}

TEST_CASE("numeric promotion", "[json][value][numeric]") {
  auto n = [](const char* s) { return *as_numeric(J(s)); };
  CHECK(show(add(n("1"), n("2")).to_document()) == "3");
  CHECK(add(n("2147483647"), n("1")).k == numeric::kind::int64);
  CHECK(show(add(n("2147483647"), n("1")).to_document()) == "2147483648");
  CHECK(add(n("9223372036854775807"), n("1")).k == numeric::kind::dbl);
  CHECK(show(add(n("9223372036854775807"), n("1")).to_document()) == "9.223372036854776e+18");
  CHECK(show(add(n("1"), n("0.5")).to_document()) == "1.5");
  CHECK(show(multiply(n("4294967296"), n("4294967296")).to_document()) == "1.8446744073709552e+19");
  CHECK(show(subtract(n("-9223372036854775808"), n("1")).to_document()) ==
        "-9.223372036854776e+18");
  CHECK(add(n("1"), n(R"({"$numberDecimal": "1"})")).k == numeric::kind::decimal);
  CHECK_FALSE(as_numeric(J(R"("1")")).has_value());
  CHECK_FALSE(as_numeric(J(R"({"$numberLong": "x"})")).has_value());
}

TEST_CASE("field_path lookup", "[json][value][path]") {
  const document d = J(R"({"a": {"b": {"c": 1}}, "arr": [{"x": 1}, {"x": 2}], "n": [[5, 6]]})");
  CHECK(show(*field_path("a.b.c").lookup(d)) == "1");
  CHECK(show(*field_path("a.b").lookup(d)) == R"({"c":1})");
  CHECK(show(*field_path("arr.1.x").lookup(d)) == "2");
  CHECK(show(*field_path("n.0.1").lookup(d)) == "6");
  CHECK(field_path("arr.x").lookup(d) == nullptr);
  CHECK(field_path("arr.5").lookup(d) == nullptr);
  CHECK(field_path("a.z").lookup(d) == nullptr);
  CHECK(field_path("a.b.c.d").lookup(d) == nullptr);
  const document* p = field_path("a.b").lookup(d);
  CHECK(p == &d["a"]["b"]);  // no copy
  field_path fp("a.b.0");
  CHECK(fp.size() == 3);
  CHECK(fp[1] == "b");
  CHECK(fp.index(2) == 0);
  CHECK(fp.index(1) == -1);
  CHECK(fp.str() == "a.b.0");
}

TEST_CASE("field_path rejects malformed paths", "[json][value][path]") {
  CHECK(reel_test::error_of([] { field_path(""); }) ==
        "[reel.json.bad_field_path] field path must not be empty");
  CHECK(reel_test::error_of([] { field_path("a..b", "/0/$match"); }) ==
        "[reel.json.bad_field_path] at /0/$match: field path 'a..b' has an empty component");
  CHECK(reel_test::error_of([] { field_path("a.$b"); }) ==
        "[reel.json.bad_field_path] field path component '$b' must not start with '$'");
}

TEST_CASE("field_path aggregation semantics", "[json][value][path]") {
  const document d = J(R"({"a": [{"b": 1}, {"c": 2}, {"b": [3, 4]}, 7, [{"b": 5}]],
                           "o": {"p": [{"q": {"r": 1}}, {"q": {"r": 2}}]}, "s": {"t": 1}})");
  CHECK(show(field_path("a.b").evaluate(d)) == "[1,[3,4],[5]]");
  CHECK(show(field_path("o.p.q.r").evaluate(d)) == "[1,2]");
  CHECK(show(field_path("a.0").evaluate(d)) == "[[]]");  // no array indexing in expressions
  CHECK(show(field_path("s.t").evaluate(d)) == "1");
  CHECK(show(field_path("s.t.u").evaluate(d)) == "missing");
  CHECK(show(field_path("zz").evaluate(d)) == "missing");
  document scratch;
  const document& r = field_path("s").resolve(d, scratch);
  CHECK(&r == &d["s"]);
}

namespace {
std::string query_values(const char* path, const char* doc, bool expand = true) {
  const document d = J(doc);
  std::string out;
  field_path(path).any_query_value(d, expand, [&](const document* v) {
    out += (out.empty() ? "" : " ") + (v ? v->dump() : std::string("missing"));
    return false;
  });
  return out;
}
}  // namespace

TEST_CASE("field_path query semantics", "[json][value][path]") {
  CHECK(query_values("a", R"({"a": 1})") == "1");
  CHECK(query_values("a", R"({})") == "missing");
  CHECK(query_values("a", R"({"a": [1, [2]]})") == "1 [2] [1,[2]]");
  CHECK(query_values("a", R"({"a": [1, [2]]})", false) == "[1,[2]]");
  CHECK(query_values("a.b", R"({"a": [{"b": 1}, {"c": 2}, 3, {"b": [4]}]})") == "1 missing 4 [4]");
  CHECK(query_values("a.b", R"({"a": [1, 2]})").empty());
  CHECK(query_values("a.b", R"({"a": []})").empty());
  CHECK(query_values("a.b", R"({"a": 5})") == "missing");
  CHECK(query_values("a.1", R"({"a": [10, 20]})") == "20");
  CHECK(query_values("a.0.b", R"({"a": [{"b": 1}, {"b": 2}]})") == "missing 1 missing");
  CHECK(query_values("a.0", R"({"a": [[1, 2]]})") == "[1,2]");
  CHECK(query_values("a.0.0", R"({"a": [[1, 2]]})") == "1");
  CHECK(query_values("a.b.c", R"({"a": [{"b": [{"c": 1}, {"c": 2}]}]})") == "1 2");
  bool stopped_early = field_path("a").any_query_value(
      J(R"({"a": [1, 2, 3]})"), true, [](const document* v) { return v && *v == 2; });
  CHECK(stopped_early);
}
