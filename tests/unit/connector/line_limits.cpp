// SPDX-License-Identifier: Apache-2.0
// Tests for the line limit of include/reel/connector/ndjson.hpp (`line_splitter`,
// `ndjson_source_options::max_line_bytes`, `source::limit_message_bytes`): an oversized line is
// never buffered past the limit, becomes one `reel.input.too_large` message with its first
// bytes, position and length, and the lines after it are read as usual.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reel/connector/ndjson.hpp"
#include "reel/connector/stdio.hpp"

namespace {

using reel::detail::line_splitter;

/// Feeds `text` in pieces of `chunk` bytes and collects every line (the last one at the end).
std::vector<line_splitter::line> split(line_splitter& s, const std::string& text,
                                       std::size_t chunk) {
  std::vector<line_splitter::line> lines;
  for (std::size_t at = 0; at < text.size(); at += chunk) {
    s.feed(std::string_view(text).substr(at, chunk));
    while (auto l = s.next(false))
      lines.push_back(std::move(*l));
  }
  while (auto l = s.next(true))
    lines.push_back(std::move(*l));
  return lines;
}

}  // namespace

TEST_CASE("a line over the limit is skipped to its newline and reported once with its length",
          "[connector][ndjson][limits]") {
  const std::string big(25, 'x');
  const std::string text = "abc\n" + big + "\r\nnext\n";  // the oversized line ends in CRLF
  for (std::size_t chunk : {1u, 3u, 4u, 7u, 64u}) {
    INFO("chunk " << chunk);
    line_splitter s(10);
    const auto lines = split(s, text, chunk);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].text == "abc");
    CHECK_FALSE(lines[0].oversized);
    CHECK(lines[1].oversized);
    CHECK(lines[1].number == 2);
    CHECK(lines[1].offset == 4);
    CHECK(lines[1].length == 25);
    CHECK(big.rfind(lines[1].text, 0) == 0);  // its first bytes
    CHECK(lines[1].text.size() >= 10);
    CHECK(lines[2].text == "next");
    CHECK(lines[2].number == 3);
    CHECK(lines[2].offset == 4 + 25 + 2);
    CHECK(s.next_offset() == text.size());
    CHECK(s.next_number() == 4);
  }
}

TEST_CASE("an oversized last line without a newline is reported at the end of input",
          "[connector][ndjson][limits]") {
  line_splitter s(8);
  const auto lines = split(s, "ok\n" + std::string(100, 'y'), 5);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].oversized);
  CHECK(lines[1].length == 100);
  CHECK(lines[1].offset == 3);
  CHECK(s.empty());
}

TEST_CASE("a line exactly at the limit is kept, and while one is skipped the position stays at it",
          "[connector][ndjson][limits]") {
  line_splitter s(5);
  s.feed("12345\n123456");
  auto first = s.next(false);
  REQUIRE(first);
  CHECK(first->text == "12345");
  CHECK_FALSE(first->oversized);
  CHECK_FALSE(s.next(false));   // 6 bytes without a newline: being skipped
  CHECK(s.next_offset() == 6);  // a checkpoint now resumes at the oversized line
  CHECK(s.next_number() == 2);
  s.feed("789\n");
  auto second = s.next(false);
  REQUIRE(second);
  CHECK(second->oversized);
  CHECK(second->length == 9);
  CHECK(s.next_offset() == 16);
}

TEST_CASE("ndjson_source delivers an oversized line as a reel.input.too_large message",
          "[connector][ndjson][limits]") {
  std::istringstream in("{\"a\": 1}\n{\"s\": \"" + std::string(5000, 'z') + "\"}\n{\"a\": 2}\n");
  reel::ndjson_source source(in, {.chunk_size = 256, .max_line_bytes = 1000});
  std::vector<reel::source_message> out;
  while (source.poll(out, 10) != reel::poll_status::end_of_input) {
  }
  REQUIRE(out.size() == 3);
  CHECK(out[0].error.empty());
  CHECK(out[1].error ==
        "[reel.input.too_large] message of 5009 bytes exceeds the limit of 1000 bytes "
        "(maxMessageBytes); errInfo.payload holds its first 256 bytes");
  CHECK(out[1].payload == "{\"s\": \"" + std::string(249, 'z'));
  CHECK(out[1].position_document().dump() == R"({"line":2,"offset":9})");
  CHECK(out[2].error.empty());
  CHECK(out[2].payload == "{\"a\": 2}");

  // The processor's limit replaces the option's.
  std::istringstream again("{\"s\": \"" + std::string(5000, 'z') + "\"}\n");
  reel::ndjson_source unlimited(again, {.chunk_size = 256, .max_line_bytes = 1000});
  unlimited.limit_message_bytes(0);
  std::vector<reel::source_message> whole;
  while (unlimited.poll(whole, 10) != reel::poll_status::end_of_input) {
  }
  REQUIRE(whole.size() == 1);
  CHECK(whole[0].error.empty());
  CHECK(whole[0].payload.size() == 5009);
}
