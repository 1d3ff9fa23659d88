// SPDX-License-Identifier: Apache-2.0
// Baseline of issue #12's JSON input measurement (measure.sh): simdjson's DOM parser alone over
// the ticket file, each line parsed and its `movie` read, nothing else. The ceiling of any
// JSON-lines job on this machine.
//   bench_json_ingest_simdjson_parse TICKETS.ndjson
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <string_view>

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
  std::uint64_t documents = 0, bytes = 0;
  for (auto doc : docs) {
    std::string_view movie;
    if (!doc["movie"].get(movie)) bytes += movie.size();
    ++documents;
  }
  std::printf("simdjson parse: %llu documents, %llu bytes of movie names\n",
              static_cast<unsigned long long>(documents), static_cast<unsigned long long>(bytes));
  return 0;
}
