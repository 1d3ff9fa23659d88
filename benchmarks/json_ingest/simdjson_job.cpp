// SPDX-License-Identifier: Apache-2.0
// Baseline of issue #12's JSON input measurement (measure.sh): the tickets job written by hand
// on simdjson's DOM parser, as a user who needs nothing else would write it. Event time from
// `ts.$date`, 1 s tumbling windows, the sum of `amountPaid` per movie; a window closes when the
// latest event time passes its end plus 3 s (Reel's default allowedLateness), the rest at the end
// of the file. One JSON line per (window, movie) on stdout, like Reel's results without
// `_stream_meta`; the number of lines must equal `reel process`'s.
//   bench_json_ingest_simdjson_job TICKETS.ndjson > results.ndjson
#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

constexpr std::int64_t window_ms = 1000;
constexpr std::int64_t lateness_ms = 3000;

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS.mmmZ`; -1 for anything else.
std::int64_t iso_millis(std::string_view s) {
  if (s.size() != 24 || s[4] != '-' || s[10] != 'T' || s[23] != 'Z') return -1;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i)
      v = v * 10 + (s[i] - '0');
    return v;
  };
  // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
  const int m = num(5, 2), d = num(8, 2), y = num(0, 4) - (m <= 2 ? 1 : 0);
  const int era = y / 400, yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t days = era * 146097LL + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  return ((days * 24 + num(11, 2)) * 60 + num(14, 2)) * 60'000 + num(17, 2) * 1000 + num(20, 3);
}

using window_sums = std::unordered_map<std::string, double>;

void emit(std::int64_t start, const window_sums& sums, std::string& out) {
  char number[32];
  for (const auto& [movie, total] : sums) {
    out += "{\"_id\":\"";
    out += movie;
    out += "\",\"total\":";
    out.append(number, std::to_chars(number, number + sizeof number, total).ptr);
    out += ",\"start\":";
    out.append(number, std::to_chars(number, number + sizeof number, start).ptr);
    out += "}\n";
  }
  if (out.size() > (1 << 16)) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s TICKETS.ndjson\n", argv[0]);
    return 2;
  }
  simdjson::padded_string text;
  if (simdjson::padded_string::load(argv[1]).get(text)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  simdjson::dom::parser parser;
  simdjson::dom::document_stream docs;
  if (parser.parse_many(text).get(docs)) return 1;
  std::map<std::int64_t, window_sums> open;  // by window start
  std::int64_t watermark = INT64_MIN;
  std::uint64_t events = 0, bad = 0, late = 0;
  std::string out;
  for (auto doc : docs) {
    std::string_view movie, date;
    double paid = 0;
    if (doc["movie"].get(movie) || doc["amountPaid"].get(paid) || doc["ts"]["$date"].get(date)) {
      ++bad;
      continue;
    }
    const std::int64_t t = iso_millis(date);
    if (t < 0) {
      ++bad;
      continue;
    }
    ++events;
    const std::int64_t start = t - t % window_ms;
    if (start + window_ms + lateness_ms <= watermark) {
      ++late;
      continue;
    }
    open[start][std::string(movie)] += paid;
    if (t > watermark) {
      watermark = t;
      while (!open.empty() && open.begin()->first + window_ms + lateness_ms <= watermark) {
        emit(open.begin()->first, open.begin()->second, out);
        open.erase(open.begin());
      }
    }
  }
  for (const auto& [start, sums] : open)
    emit(start, sums, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fprintf(stderr, "simdjson job: %llu events, %llu bad, %llu late\n",
               static_cast<unsigned long long>(events), static_cast<unsigned long long>(bad),
               static_cast<unsigned long long>(late));
  return 0;
}
