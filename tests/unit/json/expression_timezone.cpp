// SPDX-License-Identifier: Apache-2.0
// Time zones: POSIX rules, TZif data, Olson names in date operators.
#include "reel/json/detail/datetime.hpp"

#include "helpers.hpp"

using namespace reel::json::detail;
using reel_test::ev;

namespace {
std::int64_t ms(const char* iso) {
  return reel::to_millis(reel::parse_iso8601(iso).value());
}

time_zone posix_zone(const char* rule) {
  tz_rules r;
  REQUIRE(tzdb::parse_posix(rule, r));
  return time_zone::olson(std::make_shared<const tz_rules>(r));
}

void put32(std::string& s, std::int64_t v) {
  for (int i = 3; i >= 0; --i)
    s += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
}
void put64(std::string& s, std::int64_t v) {
  for (int i = 7; i >= 0; --i)
    s += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
}
void header(std::string& s, std::int64_t timecnt, std::int64_t typecnt, std::int64_t charcnt) {
  s += "TZif2";
  s += std::string(15, '\0');
  for (std::int64_t c : {0LL, 0LL, 0LL, static_cast<long long>(timecnt),
                         static_cast<long long>(typecnt), static_cast<long long>(charcnt)}) {
    put32(s, c);
  }
}

/// CET/CEST with two transitions in 2024 and the EU rule after them.
std::string sample_tzif() {
  std::string s;
  header(s, 0, 1, 4);  // version 1 block: UTC only (ignored by v2 readers)
  put32(s, 0);
  s += '\0';
  s += '\0';
  s += std::string("UTC\0", 4);
  header(s, 2, 2, 9);
  put64(s, 1711846800);  // 2024-03-31T01:00:00Z
  put64(s, 1729990800);  // 2024-10-27T01:00:00Z
  s += '\1';
  s += '\0';
  put32(s, 3600);
  s += '\0';
  s += '\0';
  put32(s, 7200);
  s += '\1';
  s += '\4';
  s += std::string("CET\0CEST\0", 9);
  s += "\nCET-1CEST,M3.5.0,M10.5.0/3\n";
  return s;
}
}  // namespace

TEST_CASE("POSIX TZ rules", "[json][timezone]") {
  const time_zone cet = posix_zone("CET-1CEST,M3.5.0,M10.5.0/3");
  CHECK(cet.offset_at(ms("2024-03-31T00:59:59Z")) == 3'600'000);
  CHECK(cet.offset_at(ms("2024-03-31T01:00:00Z")) == 7'200'000);
  CHECK(cet.offset_at(ms("2024-10-27T00:59:59Z")) == 7'200'000);
  CHECK(cet.offset_at(ms("2024-10-27T01:00:00Z")) == 3'600'000);
  CHECK(cet.offset_at(ms("2100-07-01T12:00:00Z")) == 7'200'000);
  CHECK(cet.offset_at(ms("2100-01-01T12:00:00Z")) == 3'600'000);
  const time_zone ny = posix_zone("EST5EDT,M3.2.0,M11.1.0");
  CHECK(ny.offset_at(ms("2024-03-10T06:59:59Z")) == -18'000'000);
  CHECK(ny.offset_at(ms("2024-03-10T07:00:00Z")) == -14'400'000);
  CHECK(ny.offset_at(ms("2024-11-03T05:59:59Z")) == -14'400'000);
  CHECK(ny.offset_at(ms("2024-11-03T06:00:00Z")) == -18'000'000);
  // a local time in the spring gap reads with the offset before it; an ambiguous one is the
  // first occurrence
  CHECK(ny.to_utc(ms("2024-03-10T02:30:00Z")) == ms("2024-03-10T07:30:00Z"));
  CHECK(ny.to_utc(ms("2024-11-03T01:30:00Z")) == ms("2024-11-03T05:30:00Z"));
  CHECK(ny.to_utc(ms("2024-07-01T12:00:00Z")) == ms("2024-07-01T16:00:00Z"));
  const time_zone sydney = posix_zone("AEST-10AEDT,M10.1.0,M4.1.0/3");
  CHECK(sydney.offset_at(ms("2024-01-15T00:00:00Z")) == 39'600'000);
  CHECK(sydney.offset_at(ms("2024-07-15T00:00:00Z")) == 36'000'000);
  CHECK(posix_zone("<+0530>-5:30").offset_at(0) == 19'800'000);
  CHECK(posix_zone("UTC0").offset_at(0) == 0);
  tz_rules r;
  CHECK_FALSE(tzdb::parse_posix("garbage", r));
  CHECK_FALSE(tzdb::parse_posix("CET-1CEST,M13.5.0,M10.5.0", r));
}

TEST_CASE("TZif data", "[json][timezone]") {
  const auto rules = tzdb::parse_tzif(sample_tzif());
  REQUIRE(rules != nullptr);
  const time_zone z = time_zone::olson(rules);
  CHECK(z.offset_at(ms("2020-01-01T00:00:00Z")) == 3'600'000);  // before the first transition
  CHECK(z.offset_at(ms("2024-06-01T00:00:00Z")) == 7'200'000);
  CHECK(z.offset_at(ms("2024-12-01T00:00:00Z")) == 3'600'000);
  CHECK(z.offset_at(ms("2025-07-01T00:00:00Z")) == 7'200'000);  // the footer rule
  CHECK_FALSE(z.is_utc());
  CHECK(tzdb::parse_tzif("TZif") == nullptr);
  CHECK(tzdb::parse_tzif(sample_tzif().substr(0, 80)) == nullptr);
  CHECK(tzdb::parse_tzif(std::string(100, 'x')) == nullptr);
}

TEST_CASE("Olson names from the system time zone database", "[json][timezone]") {
  if (!parse_time_zone("Europe/Berlin") || !parse_time_zone("America/New_York")) {
    WARN("no system time zone database: Olson zone tests skipped");
    return;
  }
  CHECK(
      ev(R"({"$hour": {"date": {"$date": "2024-07-01T12:00:00Z"}, "timezone": "Europe/Berlin"}})") ==
      "14");
  CHECK(
      ev(R"({"$hour": {"date": {"$date": "2024-01-01T12:00:00Z"}, "timezone": "Europe/Berlin"}})") ==
      "13");
  CHECK(
      ev(R"({"$hour": {"date": {"$date": "2100-07-01T12:00:00Z"}, "timezone": "Europe/Berlin"}})") ==
      "14");
  CHECK(
      ev(R"({"$minute": {"date": {"$date": "2024-07-01T12:00:00Z"}, "timezone": "Asia/Kolkata"}})") ==
      "30");
  CHECK(
      ev(R"({"$dateToString": {"date": {"$date": "2024-03-10T07:30:00Z"}, "timezone": "America/New_York"}})") ==
      R"("2024-03-10T03:30:00.000")");
  CHECK(
      ev(R"({"$dateToString": {"date": {"$date": "2024-03-10T06:30:00Z"}, "timezone": "America/New_York",
                                 "format": "%H:%M %z"}})") == R"("01:30 -0500")");
  CHECK(
      ev(R"({"$dateAdd": {"startDate": {"$date": "2024-03-09T17:00:00Z"}, "unit": "day", "amount": 1,
                            "timezone": "America/New_York"}})") ==
      R"({"$date":"2024-03-10T16:00:00.000Z"})");
  CHECK(
      ev(R"({"$dateAdd": {"startDate": {"$date": "2024-03-09T17:00:00Z"}, "unit": "hour", "amount": 24,
                            "timezone": "America/New_York"}})") ==
      R"({"$date":"2024-03-10T17:00:00.000Z"})");
  CHECK(ev(R"({"$dateTrunc": {"date": {"$date": "2024-07-01T21:30:00Z"}, "unit": "day",
                              "timezone": "Europe/Berlin"}})") ==
        R"({"$date":"2024-06-30T22:00:00.000Z"})");
  CHECK(
      ev(R"({"$dateDiff": {"startDate": {"$date": "2024-03-09T17:00:00Z"}, "endDate": {"$date": "2024-03-10T16:00:00Z"},
                             "unit": "day", "timezone": "America/New_York"}})") == "1");
  CHECK(
      ev(R"({"$dateFromString": {"dateString": "2024-07-01T12:00:00", "timezone": "Europe/Berlin"}})") ==
      R"({"$date":"2024-07-01T10:00:00.000Z"})");
  CHECK(ev(R"({"$hour": {"date": {"$date": "2024-07-01T12:00:00Z"}, "timezone": "$tz"}})",
           R"({"tz": "Europe/Berlin"})") == "14");
}
