// SPDX-License-Identifier: Apache-2.0
// Date expression operators.
#include "helpers.hpp"

using reel_test::compile_error;
using reel_test::ev;
using reel_test::eval_error;

namespace {
// 2024-03-15T13:45:30.123Z is a Friday, day 75 of a leap year, ISO week 11.
const std::string D = R"({"$date": "2024-03-15T13:45:30.123Z"})";
std::string date(const std::string& iso) {
  return R"({"$date":")" + iso + R"("})";
}
std::string on(const std::string& op, const std::string& arg) {
  return R"({")" + op + R"(": )" + arg + "}";
}
}  // namespace

TEST_CASE("date part operators", "[json][expression][date]") {
  CHECK(ev(on("$year", D)) == "2024");
  CHECK(ev(on("$month", D)) == "3");
  CHECK(ev(on("$dayOfMonth", D)) == "15");
  CHECK(ev(on("$hour", D)) == "13");
  CHECK(ev(on("$minute", D)) == "45");
  CHECK(ev(on("$second", D)) == "30");
  CHECK(ev(on("$millisecond", D)) == "123");
  CHECK(ev(on("$dayOfWeek", D)) == "6");
  CHECK(ev(on("$dayOfYear", D)) == "75");
  CHECK(ev(on("$week", D)) == "10");
  CHECK(ev(on("$isoWeek", D)) == "11");
  CHECK(ev(on("$isoWeekYear", D)) == "2024");
  CHECK(ev(on("$isoDayOfWeek", D)) == "5");
  CHECK(ev(on("$year", "[" + D + "]")) == "2024");
  CHECK(ev(on("$hour", R"({"date": )" + D + R"(, "timezone": "-05:00"})")) == "8");
  CHECK(ev(on("$minute", R"({"date": )" + D + R"(, "timezone": "+0530"})")) == "15");
  CHECK(ev(on("$dayOfMonth", R"({"date": )" + D + R"(, "timezone": "-14"})")) == "14");
  CHECK(ev(on("$hour", R"({"date": "$d", "timezone": "$tz"})"),
           R"({"d": )" + D + R"(, "tz": "+01:00"})") == "14");
  CHECK(ev(on("$hour", R"({"date": "$d", "timezone": "$tz"})"), R"({"d": )" + D + "}") == "null");
  CHECK(ev(on("$hour", R"({"date": "$d", "timezone": "UTC"})"), R"({"d": )" + D + "}") == "13");
  const std::string jan1 = date("2021-01-01T00:00:00Z");  // a Friday in ISO week 53 of 2020
  CHECK(ev(on("$isoWeek", jan1)) == "53");
  CHECK(ev(on("$isoWeekYear", jan1)) == "2020");
  CHECK(ev(on("$week", jan1)) == "0");
  CHECK(ev(on("$dayOfWeek", jan1)) == "6");
  const std::string dec30 = date("2024-12-30T12:00:00Z");  // Monday of ISO week 1 of 2025
  CHECK(ev(on("$isoWeek", dec30)) == "1");
  CHECK(ev(on("$isoWeekYear", dec30)) == "2025");
  CHECK(ev(on("$isoDayOfWeek", dec30)) == "1");
  CHECK(ev(on("$dayOfYear", dec30)) == "365");
  CHECK(ev(on("$year", R"({"$oid": "65f450fa0000000000000000"})")) == "2024");
  CHECK(ev(on("$month", "null")) == "null");
  CHECK(ev(on("$month", R"("$missing")")) == "null");
  CHECK(eval_error(on("$year", R"("2024-01-01")")) ==
        "[reel.expression.evaluation_failed] at /x: $year: can't convert from BSON type string to "
        "Date");
  CHECK(compile_error(on("$hour", R"({"date": "$d", "timezone": "Mars/Base"})")) ==
        "[reel.expression.bad_arguments] at /x: $hour: unrecognized time zone identifier: "
        "\"Mars/Base\" (use an Olson name of the system time zone database, \"UTC\" or an offset "
        "such as \"+02:00\")");
  CHECK(compile_error(on("$hour", R"({"dates": "$d"})")) ==
        "[reel.expression.bad_arguments] at /x: $hour does not take an argument named 'dates' (did "
        "you mean 'date'?)");
}

TEST_CASE("$dateToString", "[json][expression][date]") {
  CHECK(ev(R"({"$dateToString": {"date": )" + D + "}}") == R"("2024-03-15T13:45:30.123Z")");
  CHECK(ev(R"({"$dateToString": {"date": )" + D + R"(, "timezone": "+05:30"}})") ==
        R"("2024-03-15T19:15:30.123")");
  CHECK(
      ev(R"({"$dateToString": {"date": )" + D +
         R"(, "timezone": "+05:30", "format": "%Y-%m-%d %H:%M:%S.%L %j %w %u %U %V %G %z %Z %%"}})") ==
      R"("2024-03-15 19:15:30.123 075 6 5 10 11 2024 +0530 330 %")");
  CHECK(ev(R"({"$dateToString": {"date": )" + D + R"(, "timezone": "-03", "format": "%z %Z"}})") ==
        R"("-0300 -180")");
  CHECK(ev(R"({"$dateToString": {"date": )" + date("0099-01-02T03:04:05.006Z") +
           R"(, "format": "%Y/%m/%d"}})") == R"("0099/01/02")");
  CHECK(ev(R"({"$dateToString": {"date": "$d", "format": "%H"}})") == "null");
  CHECK(ev(R"({"$dateToString": {"date": "$d", "onNull": "n/a"}})") == R"("n/a")");
  CHECK(ev(R"({"$dateToString": {"date": )" + D + R"(, "format": "$f"}})", R"({"f": "%m"})") ==
        R"("03")");
  CHECK(eval_error(R"({"$dateToString": {"date": )" + D + R"(, "format": "$f"}})",
                   R"({"f": "%Q"})") ==
        "[reel.expression.evaluation_failed] at /x: $dateToString: invalid format character '%Q' "
        "in format string");
  CHECK(
      eval_error(R"({"$dateToString": {"date": {"$date": {"$numberLong": "253402300800000"}}}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateToString is only defined on years 0 through "
      "9999");
  CHECK(eval_error(R"({"$dateToString": {"date": 5}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateToString: can't convert from BSON type "
        "int to Date");
  CHECK(compile_error(R"({"$dateToString": {"date": "$d", "format": "%Y-%Q"}})") ==
        "[reel.expression.bad_arguments] at /x: $dateToString: invalid format character '%Q' in "
        "format string");
  CHECK(compile_error(R"({"$dateToString": {"format": "%Y"}})") ==
        "[reel.expression.bad_arguments] at /x: $dateToString requires an argument named 'date'");
}

TEST_CASE("$dateFromString", "[json][expression][date]") {
  auto from = [](const std::string& args, const std::string& doc = "{}") {
    return ev(R"({"$dateFromString": )" + args + "}", doc);
  };
  CHECK(from(R"({"dateString": "2024-03-15T13:45:30.123Z"})") == date("2024-03-15T13:45:30.123Z"));
  CHECK(from(R"({"dateString": "2024-03-15T13:45:30.123+01:00"})") ==
        date("2024-03-15T12:45:30.123Z"));
  CHECK(from(R"({"dateString": "2024-03-15T13:45:30", "timezone": "+02:00"})") ==
        date("2024-03-15T11:45:30.000Z"));
  CHECK(from(R"({"dateString": "2024-03-15"})") == date("2024-03-15T00:00:00.000Z"));
  CHECK(from(R"({"dateString": "2024-03-15 13:45"})") == date("2024-03-15T13:45:00.000Z"));
  CHECK(from(R"({"dateString": "15/03/2024 13:45", "format": "%d/%m/%Y %H:%M"})") ==
        date("2024-03-15T13:45:00.000Z"));
  CHECK(from(R"({"dateString": "2024-03-15T13:45:30+0100", "format": "%Y-%m-%dT%H:%M:%S%z"})") ==
        date("2024-03-15T12:45:30.000Z"));
  CHECK(
      from(R"({"dateString": "2024-03-15 13:45:30.5 -60", "format": "%Y-%m-%d %H:%M:%S.%L %Z"})") ==
      date("2024-03-15T14:45:30.500Z"));
  CHECK(from(R"({"dateString": "2024-W11-5", "format": "%G-W%V-%u"})") ==
        date("2024-03-15T00:00:00.000Z"));
  CHECK(from(R"({"dateString": "2024075", "format": "%Y%j"})") == date("2024-03-15T00:00:00.000Z"));
  CHECK(from(R"({"dateString": "03/15/2024", "format": "%m/%d/%Y", "timezone": "-05:00"})") ==
        date("2024-03-15T05:00:00.000Z"));
  CHECK(from(R"({"dateString": "$s"})", R"({"s": "2024-01-01T00:00:00Z"})") ==
        date("2024-01-01T00:00:00.000Z"));
  CHECK(from(R"({"dateString": "$s"})") == "null");
  CHECK(from(R"({"dateString": null, "onNull": "none"})") == R"("none")");
  CHECK(from(R"({"dateString": "garbage", "onError": "bad"})") == R"("bad")");
  CHECK(from(R"({"dateString": 5, "onError": "bad"})") == R"("bad")");
  CHECK(from(R"({"dateString": "2024-02-30", "onError": null})") == "null");
  CHECK(from(R"({"dateString": "31/02/2024", "format": "%d/%m/%Y", "onError": "bad"})") ==
        R"("bad")");
  CHECK(from(R"({"dateString": "2024-03-15Z", "timezone": "+01:00", "onError": "both"})") ==
        R"("both")");
  CHECK(eval_error(R"({"$dateFromString": {"dateString": "garbage"}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateFromString: error parsing date string "
        "'garbage'");
  CHECK(
      eval_error(R"({"$dateFromString": {"dateString": "2024-03-15 x", "format": "%Y-%m-%d"}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateFromString: error parsing date string "
      "'2024-03-15 x': trailing data");
  CHECK(eval_error(R"({"$dateFromString": {"dateString": 5}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateFromString: 'dateString' must be a "
        "string, found int");
  CHECK(compile_error(R"({"$dateFromString": {"dateString": "x", "format": "%Y %w"}})") ==
        "[reel.expression.bad_arguments] at /x: $dateFromString: invalid format character '%w' in "
        "format string");
  CHECK(
      compile_error(R"({"$dateFromString": {"dateString": "x", "timezone": "../etc/passwd"}})") ==
      "[reel.expression.bad_arguments] at /x: $dateFromString: unrecognized time zone identifier: "
      "\"../etc/passwd\" (use an Olson name of the system time zone database, \"UTC\" or an "
      "offset such as \"+02:00\")");
}

TEST_CASE("$dateTrunc", "[json][expression][date]") {
  auto trunc = [](const std::string& extra) {
    return ev(R"({"$dateTrunc": {"date": )" + D + ", " + extra + "}}");
  };
  CHECK(trunc(R"("unit": "hour")") == date("2024-03-15T13:00:00.000Z"));
  CHECK(trunc(R"("unit": "minute", "binSize": 15)") == date("2024-03-15T13:45:00.000Z"));
  CHECK(trunc(R"("unit": "minute", "binSize": 7)") == date("2024-03-15T13:44:00.000Z"));
  CHECK(trunc(R"("unit": "second", "binSize": 10)") == date("2024-03-15T13:45:30.000Z"));
  CHECK(trunc(R"("unit": "millisecond", "binSize": 100)") == date("2024-03-15T13:45:30.100Z"));
  CHECK(trunc(R"("unit": "day")") == date("2024-03-15T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "day", "timezone": "+05:30")") == date("2024-03-14T18:30:00.000Z"));
  CHECK(trunc(R"("unit": "day", "binSize": 7)") == date("2024-03-09T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "week")") == date("2024-03-10T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "week", "startOfWeek": "monday")") == date("2024-03-11T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "week", "startOfWeek": "FRI")") == date("2024-03-15T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "week", "binSize": 2)") == date("2024-03-10T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "month")") == date("2024-03-01T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "month", "binSize": 7)") == date("2023-12-01T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "quarter")") == date("2024-01-01T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "year")") == date("2024-01-01T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "year", "binSize": 10)") == date("2020-01-01T00:00:00.000Z"));
  CHECK(trunc(R"("unit": "month", "timezone": "-14:00")") == date("2024-03-01T14:00:00.000Z"));
  CHECK(trunc(R"("unit": "$u")") == "null");
  CHECK(ev(R"({"$dateTrunc": {"date": "$d", "unit": "day"}})") == "null");
  CHECK(ev(R"({"$dateTrunc": {"date": )" + date("1969-12-31T23:59:59.999Z") +
           R"(, "unit": "second"}})") == date("1969-12-31T23:59:59.000Z"));
  CHECK(eval_error(R"({"$dateTrunc": {"date": )" + D + R"(, "unit": "hour", "binSize": 0}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateTrunc requires 'binSize' to be a positive "
        "integer, found 0");
  CHECK(
      eval_error(R"({"$dateTrunc": {"date": )" + D +
                 R"(, "unit": "week", "startOfWeek": "someday"}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateTrunc: unknown day of week value: someday");
  CHECK(eval_error(R"({"$dateTrunc": {"date": )" + D +
                   R"(, "unit": "hour", "binSize": 9000000000000000}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateTrunc: unsupported binSize value "
        "9000000000000000");
  CHECK(
      eval_error(
          R"({"$dateTrunc": {"date": {"$date": {"$numberLong": "-9000000000000000000"}}, "unit": "year",
                                      "binSize": 100000000000}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateTrunc overflowed");
  CHECK(compile_error(R"({"$dateTrunc": {"date": "$d", "unit": "hours"}})") ==
        "[reel.expression.bad_arguments] at /x: $dateTrunc: unknown time unit value: hours (did "
        "you mean 'hour'?)");
}

TEST_CASE("$dateAdd, $dateSubtract", "[json][expression][date]") {
  auto add = [](const std::string& start, const std::string& unit, const std::string& amount,
                const std::string& op = "$dateAdd") {
    return ev(R"({")" + op + R"(": {"startDate": )" + date(start) + R"(, "unit": ")" + unit +
              R"(", "amount": )" + amount + "}}");
  };
  CHECK(add("2024-01-31T10:00:00Z", "month", "1") == date("2024-02-29T10:00:00.000Z"));
  CHECK(add("2023-01-31T10:00:00Z", "month", "1") == date("2023-02-28T10:00:00.000Z"));
  CHECK(add("2024-11-30T00:00:00Z", "quarter", "1") == date("2025-02-28T00:00:00.000Z"));
  CHECK(add("2024-02-29T00:00:00Z", "year", "1") == date("2025-02-28T00:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "month", "-3") == date("2023-12-15T00:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "week", "2") == date("2024-03-29T00:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "day", "-15") == date("2024-02-29T00:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "hour", "-2") == date("2024-03-14T22:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "minute", "90") == date("2024-03-15T01:30:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "second", "1.0") == date("2024-03-15T00:00:01.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "millisecond", "5") == date("2024-03-15T00:00:00.005Z"));
  CHECK(add("2024-03-31T12:00:00Z", "month", "1", "$dateSubtract") ==
        date("2024-02-29T12:00:00.000Z"));
  CHECK(add("2024-03-15T00:00:00Z", "day", "1", "$dateSubtract") ==
        date("2024-03-14T00:00:00.000Z"));
  // months are added in the requested zone: Jan 31 23:00 at -02:00 is Feb 1 01:00 UTC
  CHECK(ev(R"({"$dateAdd": {"startDate": )" + date("2024-02-01T01:00:00Z") +
           R"(, "unit": "month", "amount": 1, "timezone": "-02:00"}})") ==
        date("2024-03-01T01:00:00.000Z"));
  CHECK(ev(R"({"$dateAdd": {"startDate": "$d", "unit": "day", "amount": 1}})") == "null");
  CHECK(ev(R"({"$dateAdd": {"startDate": )" + D + R"(, "unit": "day", "amount": null}})") ==
        "null");
  CHECK(
      eval_error(R"({"$dateAdd": {"startDate": )" + D + R"(, "unit": "day", "amount": 1.5}})") ==
      "[reel.expression.evaluation_failed] at /x: $dateAdd expects an integer 'amount', found 1.5");
  CHECK(eval_error(R"({"$dateAdd": {"startDate": )" + D +
                   R"(, "unit": "year", "amount": 9000000000000}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateAdd overflowed");
  CHECK(compile_error(R"({"$dateAdd": {"startDate": "$d", "unit": "days", "amount": 1}})") ==
        "[reel.expression.bad_arguments] at /x: $dateAdd: unknown time unit value: days (did you "
        "mean 'day'?)");
  CHECK(compile_error(R"({"$dateSubtract": {"startDate": "$d", "unit": "day"}})") ==
        "[reel.expression.bad_arguments] at /x: $dateSubtract requires an argument named 'amount'");
}

TEST_CASE("$dateDiff", "[json][expression][date]") {
  auto diff = [](const std::string& a, const std::string& b, const std::string& unit,
                 const std::string& extra = "") {
    return ev(R"({"$dateDiff": {"startDate": )" + date(a) + R"(, "endDate": )" + date(b) +
              R"(, "unit": ")" + unit + R"(")" + extra + "}}");
  };
  const std::string a = "2023-12-31T23:59:59Z", b = "2024-01-01T00:00:01Z";
  CHECK(diff(a, b, "year") == "1");
  CHECK(diff(a, b, "quarter") == "1");
  CHECK(diff(a, b, "month") == "1");
  CHECK(diff(a, b, "week") == "0");  // Sunday to Monday, weeks start on Sunday
  CHECK(diff(a, b, "week", R"(, "startOfWeek": "mon")") == "1");
  CHECK(diff(a, b, "day") == "1");
  CHECK(diff(a, b, "hour") == "1");
  CHECK(diff(a, b, "minute") == "1");
  CHECK(diff(a, b, "second") == "2");
  CHECK(diff(a, b, "millisecond") == "2000");
  CHECK(diff(b, a, "day") == "-1");
  CHECK(diff(a, b, "day", R"(, "timezone": "+01:00")") == "0");
  CHECK(diff("2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z", "year") == "0");
  CHECK(diff("2024-01-15T00:00:00Z", "2024-03-01T00:00:00Z", "month") == "2");
  CHECK(diff("2024-01-15T00:00:00Z", "2024-03-01T00:00:00Z", "day") == "46");
  CHECK(ev(R"({"$dateDiff": {"startDate": "$a", "endDate": )" + D + R"(, "unit": "day"}})") ==
        "null");
  CHECK(eval_error(R"({"$dateDiff": {"startDate": 1, "endDate": )" + D + R"(, "unit": "day"}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff: can't convert from BSON type int to "
        "Date");
  CHECK(eval_error(
            R"({"$dateDiff": {"startDate": )" + D + R"(, "endDate": )" + D + R"(, "unit": "$u"}})",
            R"({"u": "fortnight"})") ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff: unknown time unit value: fortnight");
}

TEST_CASE("$dateFromParts, $dateToParts", "[json][expression][date]") {
  CHECK(ev(R"({"$dateFromParts": {"year": 2024, "month": 3, "day": 15, "hour": 13, "minute": 45,
                                   "second": 30, "millisecond": 123}})") ==
        date("2024-03-15T13:45:30.123Z"));
  CHECK(ev(R"({"$dateFromParts": {"year": 2024, "month": 14, "day": 1}})") ==
        date("2025-02-01T00:00:00.000Z"));
  CHECK(ev(R"({"$dateFromParts": {"year": 2024, "month": 3, "day": 0}})") ==
        date("2024-02-29T00:00:00.000Z"));
  CHECK(ev(R"({"$dateFromParts": {"year": 2024, "hour": 13, "timezone": "+01:00"}})") ==
        date("2024-01-01T12:00:00.000Z"));
  CHECK(ev(R"({"$dateFromParts": {"isoWeekYear": 2024, "isoWeek": 11, "isoDayOfWeek": 5}})") ==
        date("2024-03-15T00:00:00.000Z"));
  CHECK(ev(R"({"$dateFromParts": {"year": "$y"}})") == "null");
  CHECK(eval_error(R"({"$dateFromParts": {"year": 2024, "month": 40000}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateFromParts: 'month' must evaluate to an "
        "integer in the range -32768 to 32767, found 40000");
  CHECK(eval_error(R"({"$dateFromParts": {"year": 0}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateFromParts: 'year' must evaluate to an "
        "integer in the range 1 to 9999, found 0");
  CHECK(compile_error(R"({"$dateFromParts": {"year": 2024, "isoWeek": 3}})") ==
        "[reel.expression.bad_arguments] at /x: $dateFromParts does not allow mixing natural dates "
        "with ISO dates");
  CHECK(eval_error(R"({"$dateFromParts": {"year": 2024.5}})") ==
        "[reel.expression.evaluation_failed] at /x: $dateFromParts: 'year' must evaluate to an "
        "integer, found double with value 2024.5");
  CHECK(ev(R"({"$dateToParts": {"date": )" + D + "}}") ==
        R"({"year":2024,"month":3,"day":15,"hour":13,"minute":45,"second":30,"millisecond":123})");
  CHECK(
      ev(R"({"$dateToParts": {"date": )" + D + R"(, "timezone": "+02:00", "iso8601": true}})") ==
      R"({"isoWeekYear":2024,"isoWeek":11,"isoDayOfWeek":5,"hour":15,"minute":45,"second":30,"millisecond":123})");
  CHECK(ev(R"({"$dateToParts": {"date": null}})") == "null");
}

TEST_CASE("$dateDiff and $dateTrunc near the int64 limits fail instead of wrapping or clamping",
          "[json][expression][date][limits]") {
  const std::string lowest = R"({"$date": {"$numberLong": "-9223372036854775808"}})";
  const std::string highest = R"({"$date": {"$numberLong": "9223372036854775807"}})";
  auto diff = [](const std::string& a, const std::string& b, const std::string& unit,
                 const std::string& zone = "") {
    return R"({"$dateDiff": {"startDate": )" + a + R"(, "endDate": )" + b + R"(, "unit": ")" +
           unit + "\"" + (zone.empty() ? "" : R"(, "timezone": ")" + zone + "\"") + "}}";
  };
  // MongoDB: uassert 5166308 "dateDiff overflowed" (it was clamped to INT64_MAX silently).
  CHECK(eval_error(diff(lowest, highest, "millisecond")) ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff overflowed");
  CHECK(eval_error(diff(highest, lowest, "millisecond")) ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff overflowed");
  CHECK(eval_error(diff(D, highest, "day", "+01:00")) ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff overflowed");
  CHECK(eval_error(diff(lowest, D, "hour", "-05:00")) ==
        "[reel.expression.evaluation_failed] at /x: $dateDiff overflowed");
  // Inside the range the answers are exact.
  CHECK(ev(diff(date("0000-01-01T00:00:00Z"), date("9999-12-31T23:59:59.999Z"), "millisecond")) ==
        "315569519999999");
  CHECK(ev(diff(date("0000-01-01T00:00:00Z"), date("9999-12-31T23:59:59.999Z"), "year")) == "9999");
  CHECK(ev(diff(date("0000-01-01T00:00:00Z"), date("9999-12-31T23:59:59.999Z"), "year",
                "+01:00")) == "10000");                       // 10000-01-01T00:59:59.999 local
  CHECK(ev(diff(lowest, highest, "day")) == "213503982335");  // UTC: no local-time shift

  auto trunc = [](const std::string& d, const std::string& unit, const std::string& extra = "") {
    return R"({"$dateTrunc": {"date": )" + d + R"(, "unit": ")" + unit + "\"" + extra + "}}";
  };
  CHECK(eval_error(trunc(highest, "day", R"(, "timezone": "+01:00")")) ==
        "[reel.expression.evaluation_failed] at /x: $dateTrunc overflowed");
  CHECK(eval_error(trunc(R"({"$date": {"$numberLong": "-9223370000000000000"}})", "hour",
                         R"(, "binSize": 100000000000)")) ==
        "[reel.expression.evaluation_failed] at /x: $dateTrunc overflowed");
  CHECK(ev(trunc(date("9999-12-31T23:59:59.999Z"), "day", R"(, "timezone": "+01:00")")) ==
        date("9999-12-31T23:00:00.000Z"));
  CHECK(ev(trunc(date("0000-01-01T00:30:00Z"), "hour")) == date("0000-01-01T00:00:00.000Z"));
}
