// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: regular expressions from the input (issue #16). One input is an options
// byte (bits 0-4 select i, m, s, x, u; bits 5-6 repeat the subject to 1 KB, 30 KB or 64 KB, so
// that short seeds reach the subject sizes that once crashed std::regex), then the pattern, a NUL
// byte and the subject, each up to 64 KB. The pattern runs as a pipeline constant (compiled with
// the expression) and as a value from the event (`regex: "$p"`) under $regexMatch, $regexFind and
// $regexFindAll. Any outcome but a value or a reel::error (a crash, a hang, another exception, a
// sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <reel/error.hpp>
#include <reel/json/expression.hpp>

namespace {

using reel::json::document;

constexpr std::size_t max_part = 64 * 1024;

void evaluate(const document& spec, const document& doc) {
  try {
    (void)reel::json::compile_expression(spec, "/fuzz").evaluate(doc);
  } catch (const reel::error&) {
    // A located definition error or an evaluation error (a DLQ record in a pipeline).
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = rest.find('\0');
  const std::string_view pattern = rest.substr(0, cut);
  const std::string_view subject =
      cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  if (pattern.size() > max_part || subject.size() > max_part) return 0;
  static constexpr std::size_t repeated_sizes[] = {0, 1024, 30 * 1024, max_part};
  const std::size_t repeated_size = repeated_sizes[(data[0] >> 5) & 3];
  std::string long_subject;
  if (repeated_size > 0 && !subject.empty()) {
    do {  // whole copies: a UTF-8 subject stays valid UTF-8
      long_subject += subject;
    } while (long_subject.size() + subject.size() <= repeated_size);
  }
  std::string options;
  static constexpr char letters[] = {'i', 'm', 's', 'x', 'u'};
  for (int bit = 0; bit < 5; ++bit) {
    if ((data[0] >> bit) & 1) options += letters[bit];
  }
  document doc = document::object();
  doc["s"] = long_subject.empty() ? std::string(subject) : long_subject;
  doc["p"] = std::string(pattern);
  doc["o"] = options;
  for (const char* op : {"$regexMatch", "$regexFind", "$regexFindAll"}) {
    document from_event = document::object();
    from_event[op] = {{"input", "$s"}, {"regex", "$p"}, {"options", "$o"}};
    evaluate(from_event, doc);
    document constant = document::object();
    constant[op] = {{"input", "$s"}, {"regex", std::string(pattern)}, {"options", options}};
    evaluate(constant, doc);
  }
  return 0;
}
