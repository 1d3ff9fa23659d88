// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: input lines (issue #16). The input is NDJSON bytes, cut into lines by the
// NDJSON sources' line splitter, and pushed through several fixed pipelines (a windowed $group,
// $match + $project, $validate with $jsonSchema, $unwind, a $sessionWindow) on a manual clock.
// After every line and after the flush the counters must add up: every line reaches an output
// (or a window, whose `n: {$sum: 1}` counts it), the DLQ, or is counted as filtered. A violated
// invariant aborts; so do a crash, a hang, an exception and a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <reel/connector/ndjson.hpp>

#include "fuzz_support.hpp"

namespace {

using reel_fuzz::document;
using reel_fuzz::expect;

enum class shape {
  one_to_one,   ///< every line gives exactly one output, DLQ record or filtered count
  one_to_many,  ///< every line gives outputs, or one DLQ record or filtered count ($unwind)
  windowed,     ///< lines reach a window whose $group counts them in `n`
};

struct fixed_pipeline {
  shape kind;
  const char* text;
};

const fixed_pipeline pipelines[] = {
    {shape::windowed, R"js([
      { $source: { timeField: '$t' } },
      { $tumblingWindow: { interval: { size: 10, unit: 'second' },
          allowedLateness: { size: 2, unit: 'second' },
          pipeline: [ { $group: { _id: '$k', n: { $sum: 1 }, s: { $sum: '$v' },
                                  hi: { $max: '$v' }, all: { $push: '$a' } } } ] } } ])js"},
    {shape::one_to_one, R"js([
      { $source: {} },
      { $match: { $or: [ { v: { $gte: 2 } }, { s: { $regex: '^h', $options: 'i' } } ] } },
      { $project: { k: 1, w: { $multiply: ['$v', 2] }, n: { $size: { $ifNull: ['$a', []] } },
                    u: { $toUpper: '$s' } } } ])js"},
    {shape::one_to_one, R"js([
      { $source: {} },
      { $validate: { validator: { $jsonSchema: {
          required: ['k', 'v'],
          properties: { k: { bsonType: 'string', pattern: '^[a-z]+$', maxLength: 8 },
                        v: { bsonType: ['int', 'long', 'double'], minimum: 0 },
                        a: { bsonType: 'array', items: { bsonType: 'int' }, uniqueItems: true } },
          additionalProperties: true } },
        validationAction: 'dlq' } } ])js"},
    {shape::one_to_many, R"js([
      { $source: {} },
      { $unwind: { path: '$a', includeArrayIndex: 'i' } },
      { $addFields: { twice: { $concatArrays: [['$a'], ['$a']] } } } ])js"},
    {shape::windowed, R"js([
      { $source: { timeField: '$t' } },
      { $sessionWindow: { partitionBy: '$k', gap: { size: 5, unit: 'second' },
          allowedLateness: { size: 1, unit: 'second' },
          pipeline: [ { $group: { _id: null, n: { $sum: 1 }, first: { $first: '$v' } } } ] } } ])js"},
};

struct counts {
  std::int64_t input, outputs, dead_letters, filtered;
};

counts counts_of(const reel_fuzz::recording_processor& p) {
  const document s = p.sp.stats();  // once: stats() builds a whole document
  return {s["inputMessageCount"].get<std::int64_t>(), p.outputs, p.dead_letters,
          s["filteredMessageCount"].get<std::int64_t>()};
}

/// The fixed pipelines, parsed once (the processors are built per input: they hold state).
const document& parsed(const fixed_pipeline& fp) {
  static const std::vector<document> all = [] {
    std::vector<document> out;
    for (const fixed_pipeline& f : pipelines)
      out.push_back(reel::json::parse_pipeline_text(f.text, "fixed"));
    return out;
  }();
  return all[static_cast<std::size_t>(&fp - pipelines)];
}

void run(const fixed_pipeline& fp, const std::vector<std::string>& lines) {
  reel_fuzz::recording_processor p(parsed(fp));
  counts before = counts_of(p);
  for (const std::string& line : lines) {
    p.clock.advance(reel::duration(1000));
    reel::detail::line_splitter::line l{line, 1, 0};
    p.sp.push(reel::detail::line_message(std::move(l), nullptr, reel::max_document_bytes));
    const counts after = counts_of(p);
    expect(after.input == before.input + 1, "each line is one input message");
    const std::int64_t settled =
        (after.dead_letters - before.dead_letters) + (after.filtered - before.filtered);
    const std::int64_t emitted = after.outputs - before.outputs;
    switch (fp.kind) {
      case shape::one_to_one:
        expect(settled + emitted == 1, "a line gives one output, DLQ record or filtered count");
        break;
      case shape::one_to_many:
        expect(settled == 1 ? emitted == 0 : settled == 0 && emitted >= 1,
               "a line gives outputs, or one DLQ record or filtered count");
        break;
      case shape::windowed:
        expect(settled <= 1, "a line gives at most one DLQ record or filtered count");
        break;
    }
    before = after;
  }
  p.sp.flush();
  p.check_counts();
  if (fp.kind == shape::windowed) {
    // Nothing is left in a window after the flush: what was not dead-lettered or filtered was
    // counted by the $group of exactly one window.
    const counts end = counts_of(p);
    expect(p.counted == end.input - end.dead_letters - end.filtered,
           "every line reaches a window, the DLQ or the filtered count");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reel::detail::line_splitter splitter;
  splitter.feed(reel_fuzz::as_text(data, size));
  std::vector<std::string> lines;
  while (auto l = splitter.next(true)) {
    if (!reel::detail::blank(l->text)) lines.push_back(std::move(l->text));
  }
  for (const fixed_pipeline& fp : pipelines)
    run(fp, lines);
  return 0;
}
