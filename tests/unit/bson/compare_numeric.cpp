// SPDX-License-Identifier: Apache-2.0
// MongoDB's order, group-key equality and hash, numeric promotion, Decimal128, $round/$trunc,
// $sum/$avg and the numeric conversions, with the manual's examples.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "reel/bson.hpp"

namespace bson_compare_numeric_test {

using reel::bson::arena;
using reel::bson::number;
using reel::bson::rounding;
using reel::bson::type;
using reel::bson::value;

value v(arena& a, std::string_view ejson) {
  return reel::bson::parse_ejson(ejson, a);
}
std::string canonical(const value& x) {
  return reel::bson::to_ejson(x, {reel::bson::ejson_format::canonical});
}
number dec(std::string_view s) {
  return number::decimal(*reel::bson::decimal_from_string(s));
}
std::string text(const number& n) {
  arena a;
  return canonical(n.to_value(a));
}

TEST_CASE("The comparison order across types is MongoDB's", "[bson][compare]") {
  arena a;
  // One value of each type, in the server's order (undefined and missing rank together).
  const std::vector<value> ordered = {
      v(a, R"({"$minKey":1})"),
      value::missing(),
      v(a, "null"),
      v(a, R"({"$numberDouble":"-Infinity"})"),
      v(a, "1"),
      v(a, R"("a")"),
      v(a, R"({"a":1})"),
      v(a, "[1]"),
      v(a, R"({"$binary":{"base64":"AQ==","subType":"00"}})"),
      v(a, R"({"$oid":"000000000000000000000001"})"),
      v(a, "false"),
      v(a, R"({"$date":{"$numberLong":"-1"}})"),
      v(a, R"({"$timestamp":{"t":0,"i":0}})"),
      v(a, R"({"$regularExpression":{"pattern":"a","options":""}})"),
      v(a, R"({"$code":"x"})"),
      v(a, R"({"$maxKey":1})"),
  };
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    INFO(i);
    CHECK(reel::bson::compare(ordered[i], ordered[i + 1]) < 0);
    CHECK(reel::bson::compare(ordered[i + 1], ordered[i]) > 0);
  }
  CHECK(reel::bson::compare(value::undefined(), value::missing()) == 0);
  CHECK(reel::bson::compare(v(a, R"({"$symbol":"b"})"), v(a, R"("a")")) > 0);
}

TEST_CASE("Documents, arrays, binData and numbers compare as the server does", "[bson][compare]") {
  arena a;
  const auto cmp = [&](std::string_view x, std::string_view y) {
    return reel::bson::compare(v(a, x), v(a, y));
  };
  CHECK(cmp(R"({"a":1})", R"({"a":"x"})") < 0);      // value type first
  CHECK(cmp(R"({"a":"x"})", R"({"b":1})") > 0);      // then... type rank before the name
  CHECK(cmp(R"({"a":1})", R"({"b":1})") < 0);        // then the field name
  CHECK(cmp(R"({"a":1})", R"({"a":1,"b":0})") < 0);  // then the length
  CHECK(cmp(R"({"a":2})", R"({"a":1.5})") > 0);
  CHECK(cmp("[1,2]", "[1,3]") < 0);
  CHECK(cmp("[1]", "[1,0]") < 0);
  CHECK(cmp("[]", "[null]") < 0);
  CHECK(cmp(R"({"$binary":{"base64":"/w==","subType":"00"}})",
            R"({"$binary":{"base64":"AAA=","subType":"00"}})") < 0);  // length first
  CHECK(cmp(R"({"$binary":{"base64":"AA==","subType":"05"}})",
            R"({"$binary":{"base64":"/w==","subType":"00"}})") > 0);  // then subtype
  CHECK(cmp(R"({"$numberDouble":"NaN"})", R"({"$numberDouble":"-Infinity"})") < 0);
  CHECK(cmp(R"({"$numberDouble":"NaN"})", R"({"$numberDecimal":"NaN"})") == 0);
  CHECK(cmp("9007199254740993", "9007199254740992.0") > 0);  // exact int64 vs double
  CHECK(cmp(R"({"$numberLong":"9223372036854775807"})", "9223372036854775808.0") < 0);
  CHECK(cmp(R"({"$numberDecimal":"0.1"})", "0.1") < 0);  // 0.1 as a double is above 0.1
  CHECK(cmp(R"({"$numberDecimal":"2.50"})", "2.5") == 0);
  CHECK(cmp(R"({"$timestamp":{"t":1,"i":0}})", R"({"$timestamp":{"t":0,"i":4000000000}})") > 0);
  CHECK(cmp(R"({"$date":{"$numberLong":"-5"}})", R"({"$date":{"$numberLong":"3"}})") < 0);
  CHECK(cmp(R"("abc")", R"("abd")") < 0);
  CHECK(cmp(R"("ab")", R"("abc")") < 0);
}

TEST_CASE("Group keys: 1, 1.0, NumberLong(1) and NumberDecimal(1.0) are one key",
          "[bson][compare][hash]") {
  arena a;
  const std::vector<value> ones = {v(a, "1"), v(a, "1.0"), v(a, R"({"$numberLong":"1"})"),
                                   v(a, R"({"$numberDecimal":"1.0"})"),
                                   v(a, R"({"$numberDecimal":"1"})")};
  for (const value& x : ones) {
    for (const value& y : ones) {
      CHECK(reel::bson::equal(x, y));
      CHECK(reel::bson::hash(x) == reel::bson::hash(y));
    }
  }
  // Documents and arrays holding equal numbers are equal keys too.
  const value d1 = v(a, R"({"k":[1,{"x":2}]})");
  const value d2 = v(a, R"({"k":[{"$numberLong":"1"},{"x":2.0}]})");
  CHECK(reel::bson::equal(d1, d2));
  CHECK(reel::bson::hash(d1) == reel::bson::hash(d2));
  CHECK(reel::bson::hash(v(a, "0.5")) == reel::bson::hash(v(a, R"({"$numberDecimal":"0.50"})")));
  CHECK(reel::bson::hash(v(a, "-0.0")) == reel::bson::hash(v(a, "0")));
  std::unordered_set<value, reel::bson::value_hash, reel::bson::value_equal> keys(ones.begin(),
                                                                                  ones.end());
  keys.insert(v(a, R"("1")"));
  keys.insert(v(a, R"({"$numberDouble":"NaN"})"));
  keys.insert(v(a, R"({"$numberDecimal":"NaN"})"));
  CHECK(keys.size() == 3);
  CHECK_FALSE(reel::bson::equal(v(a, R"("1")"), v(a, "1")));
}

TEST_CASE("Arithmetic promotes int32 to int64 to double, and decimal wins", "[bson][numeric]") {
  using reel::bson::add;
  using reel::bson::multiply;
  using reel::bson::subtract;
  constexpr auto int32_max = std::numeric_limits<std::int32_t>::max();
  constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
  CHECK(text(add(number::int32(1), number::int32(2))) == R"({"$numberInt":"3"})");
  CHECK(text(add(number::int32(int32_max), number::int32(1))) == R"({"$numberLong":"2147483648"})");
  CHECK(text(add(number::int64(int64_max), number::int32(1))) ==
        R"({"$numberDouble":"9.223372036854776E+18"})");
  CHECK(text(add(number::int64(1), number::int32(1))) == R"({"$numberLong":"2"})");
  CHECK(text(subtract(number::int32(std::numeric_limits<std::int32_t>::min()), number::int32(1))) ==
        R"({"$numberLong":"-2147483649"})");
  CHECK(text(multiply(number::int32(65536), number::int32(65536))) ==
        R"({"$numberLong":"4294967296"})");
  CHECK(text(multiply(number::int64(int64_max), number::int32(2))) ==
        R"({"$numberDouble":"1.8446744073709552E+19"})");
  CHECK(text(add(number::int32(1), number::double_(0.5))) == R"({"$numberDouble":"1.5"})");
  CHECK(text(add(number::int32(1), dec("0.5"))) == R"({"$numberDecimal":"1.5"})");
  // A double meets a decimal through 15 significant digits, as the server converts it.
  CHECK(text(add(number::double_(0.1), dec("0.2"))) == R"({"$numberDecimal":"0.300000000000000"})");
  CHECK(text(multiply(dec("1.50"), number::int32(2))) == R"({"$numberDecimal":"3.00"})");
  CHECK(text(*reel::bson::divide(number::int32(1), number::int32(4))) ==
        R"({"$numberDouble":"0.25"})");
  CHECK(text(*reel::bson::divide(dec("1"), number::int32(3))) ==
        R"({"$numberDecimal":"0.3333333333333333333333333333333333"})");
  CHECK_FALSE(reel::bson::divide(number::int32(1), number::double_(0)).has_value());
  CHECK_FALSE(reel::bson::divide(dec("1"), dec("0.00")).has_value());
  CHECK(text(*reel::bson::mod(number::int32(-7), number::int32(3))) == R"({"$numberInt":"-1"})");
  CHECK(text(*reel::bson::mod(number::int64(7), number::int32(-3))) == R"({"$numberLong":"1"})");
  CHECK(text(*reel::bson::mod(number::double_(7.5), number::int32(2))) ==
        R"({"$numberDouble":"1.5"})");
  CHECK(text(*reel::bson::mod(dec("7.5"), number::int32(2))) == R"({"$numberDecimal":"1.5"})");
  CHECK(text(*reel::bson::mod(number::int64(std::numeric_limits<std::int64_t>::min()),
                              number::int32(-1))) == R"({"$numberLong":"0"})");
  CHECK_FALSE(reel::bson::mod(number::int32(1), number::int32(0)).has_value());
}

TEST_CASE("$sum and $avg keep MongoDB's result types", "[bson][numeric]") {
  arena a;
  SECTION("decimals sum exactly (the manual: 0.1 + 0.2 + 0.3 is NumberDecimal(\"0.6\"))") {
    reel::bson::sum_accumulator s;
    for (const char* x : {R"({"$numberDecimal":"0.1"})", R"({"$numberDecimal":"0.2"})",
                          R"({"$numberDecimal":"0.3"})"}) {
      s.add(v(a, x));
    }
    CHECK(text(s.sum()) == R"({"$numberDecimal":"0.6"})");
    CHECK(text(*s.average()) == R"({"$numberDecimal":"0.2"})");
  }
  SECTION("an int sum stays int while it fits, then long, then double") {
    reel::bson::sum_accumulator s;
    s.add(value::int32(2147483647));
    CHECK(text(s.sum()) == R"({"$numberInt":"2147483647"})");
    s.add(value::int32(1));
    CHECK(text(s.sum()) == R"({"$numberLong":"2147483648"})");
    reel::bson::sum_accumulator l;
    l.add(value::int64(std::numeric_limits<std::int64_t>::max()));
    l.add(value::int64(1));
    CHECK(text(l.sum()) == R"({"$numberDouble":"9.223372036854776E+18"})");
    l.add(value::int64(-2));  // back inside int64: the exact sum comes back as a long
    CHECK(text(l.sum()) == R"({"$numberLong":"9223372036854775806"})");
  }
  SECTION("doubles are summed with compensation; non-numbers are ignored") {
    reel::bson::sum_accumulator s;
    s.add(value::double_(1e100));
    s.add(value::double_(1.0));
    s.add(value::double_(-1e100));
    s.add(v(a, R"("ignored")"));
    s.add(value::null());
    CHECK(text(s.sum()) == R"({"$numberDouble":"1.0"})");
    CHECK(s.count() == 3);
    reel::bson::sum_accumulator infinite;
    infinite.add(value::double_(1));
    infinite.add(value::double_(HUGE_VAL));
    CHECK(text(infinite.sum()) == R"({"$numberDouble":"Infinity"})");
    infinite.add(value::double_(-HUGE_VAL));
    CHECK(text(infinite.sum()) == R"({"$numberDouble":"NaN"})");
    reel::bson::sum_accumulator tenths;
    for (int i = 0; i < 10; ++i)
      tenths.add(value::double_(0.1));
    CHECK(tenths.sum().d == 1.0);
  }
  SECTION("mixed types: the widest wins") {
    reel::bson::sum_accumulator s;
    s.add(value::int32(1));
    s.add(value::int64(2));
    s.add(value::double_(0.5));
    CHECK(text(s.sum()) == R"({"$numberDouble":"3.5"})");
    CHECK(text(*s.average()) == R"({"$numberDouble":"1.1666666666666667"})");
    s.add(v(a, R"({"$numberDecimal":"1.25"})"));
    CHECK(text(s.sum()) == R"({"$numberDecimal":"4.75"})");
  }
  SECTION("empty") {
    reel::bson::sum_accumulator s;
    CHECK(text(s.sum()) == R"({"$numberInt":"0"})");
    CHECK_FALSE(s.average().has_value());
  }
  SECTION("partial sums merge into what one sum gives (windows combine partial states)") {
    reel::bson::sum_accumulator ints_a, ints_b;
    ints_a.add(value::int32(2147483647));
    ints_b.add(value::int32(1));
    ints_a.merge(ints_b);
    CHECK(text(ints_a.sum()) == R"({"$numberLong":"2147483648"})");
    CHECK(ints_a.count() == 2);
    reel::bson::sum_accumulator empty, small;
    small.add(value::int32(3));
    small.merge(empty);  // an empty part changes nothing, not even the type
    CHECK(text(small.sum()) == R"({"$numberInt":"3"})");
    reel::bson::sum_accumulator big, one, minus;
    big.add(value::double_(1e100));
    one.add(value::double_(1.0));
    minus.add(value::double_(-1e100));
    big.merge(one);
    big.merge(minus);
    CHECK(text(big.sum()) == R"({"$numberDouble":"1.0"})");  // compensation kept across parts
    reel::bson::sum_accumulator d1, d2;
    d1.add(v(a, R"({"$numberDecimal":"0.1"})"));
    d2.add(v(a, R"({"$numberDecimal":"0.2"})"));
    d2.add(value::int32(1));
    d1.merge(d2);
    CHECK(text(d1.sum()) == R"({"$numberDecimal":"1.3"})");
    CHECK(text(*d1.average()) == R"({"$numberDecimal":"0.4333333333333333333333333333333333"})");
    // A checkpoint's partial sum of 4 values.
    reel::bson::sum_accumulator restored;
    restored.add(number::double_(10), 4);
    CHECK(text(*restored.average()) == R"({"$numberDouble":"2.5"})");
  }
}

TEST_CASE("$round and $trunc: the manual's examples", "[bson][numeric][round]") {
  const auto round = [](double x, int place) {
    return reel::bson::round(number::double_(x), place, rounding::half_even)->d;
  };
  const auto trunc = [](double x, int place) {
    return reel::bson::round(number::double_(x), place, rounding::toward_zero)->d;
  };
  // $round page: {value: 19.25, 28.73, 34.32, -45.39} with places 1, -1, 0.
  CHECK(round(19.25, 1) == 19.2);
  CHECK(round(28.73, 1) == 28.7);
  CHECK(round(34.32, 1) == 34.3);
  CHECK(round(-45.39, 1) == -45.4);
  CHECK(round(19.25, -1) == 20);
  CHECK(round(28.73, -1) == 30);
  CHECK(round(34.32, -1) == 30);
  CHECK(round(-45.39, -1) == -50);
  CHECK(round(19.25, 0) == 19);
  CHECK(round(28.73, 0) == 29);
  CHECK(round(-45.39, 0) == -45);
  // Rounding to even, and the server's 34-digit decimal view of a double.
  CHECK(round(10.5, 0) == 10);
  CHECK(round(11.5, 0) == 12);
  CHECK(round(12.5, 0) == 12);
  CHECK(round(-12.5, 0) == -12);
  CHECK(round(2.45, 1) == 2.5);  // 2.45 is 2.4500000000000001776… as a double
  CHECK(round(1234.5678, 2) == 1234.57);
  CHECK(round(1234.5678, -2) == 1200);
  // $trunc page: the same values.
  CHECK(trunc(19.25, 1) == 19.2);
  CHECK(trunc(28.73, 1) == 28.7);
  CHECK(trunc(34.32, 1) == 34.3);
  CHECK(trunc(-45.39, 1) == -45.3);
  CHECK(trunc(19.25, -1) == 10);
  CHECK(trunc(28.73, -1) == 20);
  CHECK(trunc(-45.39, -1) == -40);
  CHECK(trunc(28.73, 0) == 28);
  CHECK(trunc(-45.39, 0) == -45);
  CHECK(std::isnan(round(std::nan(""), 1)));
  // Types are kept: decimals with the exponent the place asks for, integers as integers.
  CHECK(text(*reel::bson::round(dec("2.45"), 1, rounding::half_even)) ==
        R"({"$numberDecimal":"2.4"})");
  CHECK(text(*reel::bson::round(dec("2.55"), 1, rounding::half_even)) ==
        R"({"$numberDecimal":"2.6"})");
  CHECK(text(*reel::bson::round(dec("-2.59"), 1, rounding::toward_zero)) ==
        R"({"$numberDecimal":"-2.5"})");
  CHECK(text(*reel::bson::round(dec("2"), 2, rounding::half_even)) ==
        R"({"$numberDecimal":"2.00"})");
  CHECK(text(*reel::bson::round(dec("0.0004"), 2, rounding::half_even)) ==
        R"({"$numberDecimal":"0.00"})");
  CHECK(text(*reel::bson::round(dec("1234.5678"), -2, rounding::half_even)) ==
        R"({"$numberDecimal":"1.2E+3"})");
  CHECK(text(*reel::bson::round(number::int32(1250), -2, rounding::half_even)) ==
        R"({"$numberInt":"1200"})");
  CHECK(text(*reel::bson::round(number::int64(1299), -2, rounding::toward_zero)) ==
        R"({"$numberLong":"1200"})");
  CHECK(text(*reel::bson::round(number::int32(7), 3, rounding::half_even)) ==
        R"({"$numberInt":"7"})");
  CHECK_FALSE(reel::bson::round(number::int32(2147483647), -1, rounding::half_even).has_value());
}

TEST_CASE("Decimal128 text and conversions as $convert does them", "[bson][numeric][decimal]") {
  arena a;
  using reel::bson::decimal_to_string;
  CHECK(decimal_to_string(*reel::bson::to_decimal(v(a, R"("1.50")"))) == "1.50");  // $toDecimal
  CHECK(decimal_to_string(*reel::bson::to_decimal(v(a, "9.99"))) == "9.99000000000000");
  CHECK(decimal_to_string(*reel::bson::to_decimal(v(a, "5"))) == "5");
  CHECK(decimal_to_string(*reel::bson::to_decimal(v(a, "true"))) == "1");
  CHECK_FALSE(reel::bson::to_decimal(v(a, R"("abc")")).has_value());
  CHECK(decimal_to_string(*reel::bson::decimal_from_string("-1.2E+3")) == "-1.2E+3");
  CHECK(decimal_to_string(*reel::bson::decimal_from_string("1E-40")) == "1E-40");
  CHECK(decimal_to_string(*reel::bson::decimal_from_string("-Infinity")) == "-Infinity");
  CHECK(decimal_to_string(*reel::bson::decimal_from_string("NaN")) == "NaN");
  CHECK(decimal_to_string(
            reel::bson::decimal_from_double(2.45, reel::bson::double_digits::thirty_four)) ==
        "2.450000000000000177635683940025046");
  CHECK(reel::bson::to_double(v(a, R"({"$numberDecimal":"2.5"})")) == 2.5);
  CHECK(reel::bson::to_double(v(a, R"("-5.5e1")")) == -55.0);
  CHECK(reel::bson::to_long(v(a, R"({"$numberDecimal":"-5.9"})")) == -5);
  CHECK(reel::bson::to_long(v(a, "5.9")) == 5);
  CHECK(reel::bson::to_long(v(a, R"({"$date":{"$numberLong":"12"}})")) == 12);
  CHECK_FALSE(reel::bson::to_long(v(a, "1e19")).has_value());
  CHECK_FALSE(reel::bson::to_long(v(a, R"({"$numberDecimal":"1E+19"})")).has_value());
  CHECK(reel::bson::to_int(v(a, R"("42")")) == 42);
  CHECK_FALSE(reel::bson::to_int(v(a, R"("4.2")")).has_value());
  CHECK_FALSE(reel::bson::to_int(v(a, "2147483648")).has_value());
  CHECK_FALSE(reel::bson::to_int(v(a, R"({"$date":{"$numberLong":"1"}})")).has_value());
  CHECK(reel::bson::number_to_string(number::double_(2.5)) == "2.5");
  CHECK(reel::bson::number_to_string(number::double_(1.0)) == "1");
  CHECK(reel::bson::number_to_string(dec("1.50")) == "1.50");
  CHECK(reel::bson::number_to_string(number::int64(-3)) == "-3");
}

}  // namespace bson_compare_numeric_test
