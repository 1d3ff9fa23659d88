// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: checkpoint bytes (issue #16). The first input byte chooses a processor (JSON
// stream processors with a tumbling, hopping or session window or none, and typed processors
// with a tumbling or session window); the rest is handed to its `restore()`. Bytes that are not
// a checkpoint must end in `reel::error`. After a restore that succeeded, the processor takes
// events, flushes and checkpoints again, and everything that comes out serializes (`dump()`):
// only `reel::error` may be thrown. A crash, a hang, another exception or a sanitizer report is
// a finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <reel/reel.hpp>

#include "fuzz_support.hpp"

namespace {

const char* const json_pipelines[] = {
    R"js([{ $source: { timeField: '$t' } },
          { $tumblingWindow: { interval: { size: 10, unit: 'second' }, allowedLateness: 0,
              pipeline: [ { $group: { _id: '$k', n: { $sum: 1 }, s: { $sum: '$v' },
                                      f: { $first: '$s' }, all: { $addToSet: '$a' } } } ] } } ])js",
    R"js([{ $source: { timeField: '$t' } },
          { $hoppingWindow: { interval: { size: 20, unit: 'second' },
              hopSize: { size: 10, unit: 'second' },
              pipeline: [ { $sort: { v: -1 } }, { $limit: 2 } ] } } ])js",
    R"js([{ $source: { timeField: '$t' } },
          { $sessionWindow: { partitionBy: '$k', gap: { size: 5, unit: 'second' },
              pipeline: [ { $group: { _id: null, n: { $sum: 1 }, m: { $max: '$v' },
                                      top: { $topN: { n: 2, sortBy: { v: 1 }, output: '$s' } } } } ] } } ])js",
    R"js([{ $source: {} }, { $match: { v: { $exists: true } } }])js",
};
constexpr std::size_t json_count = std::size(json_pipelines);

struct tick {
  std::int64_t key;
  std::int64_t value;
  reel::timestamp ts;
};

template <class Processor>
void exercise_typed(Processor& p, std::string_view bytes) {
  try {
    p.restore(bytes);
  } catch (const reel::error&) {
    return;  // not a checkpoint of this processor
  }
  try {
    for (std::int64_t i = 0; i < 6; ++i)
      p.push(tick{i % 3, i * 7 - 10, reel::from_millis(reel_fuzz::start_millis + i * 4000)});
    p.advance(reel::from_millis(reel_fuzz::start_millis + 60'000));
    (void)p.checkpoint();
    p.flush();
    (void)p.checkpoint();
    (void)p.stats();
  } catch (const reel::error&) {
  }
}

void typed_tumbling(std::string_view bytes) {
  using namespace std::chrono_literals;
  std::vector<reel::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>>> out;
  auto p = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::tumbling_window({.interval = 10s, .allowed_lateness = 2s},
                            reel::group(&tick::key, reel::sum(&tick::value), reel::count())) |
      reel::emit_to(out));
  p.on_dead_letter([](const reel::dead_letter<tick>&) {});
  exercise_typed(p, bytes);
}

void typed_sessions(std::string_view bytes) {
  using namespace std::chrono_literals;
  std::vector<
      reel::window_result<std::int64_t, std::tuple<std::int64_t, std::int64_t>, std::int64_t>>
      out;
  auto p = reel::make_processor(
      reel::from<tick>(reel::event_time(&tick::ts)) |
      reel::session_window({.gap = 5s}, &tick::key,
                           reel::group(&tick::key, reel::count(), reel::max(&tick::value))) |
      reel::emit_to(out));
  exercise_typed(p, bytes);
}

void json_processor(const char* pipeline, std::string_view bytes) {
  reel_fuzz::recording_processor p(reel::json::parse_pipeline_text(pipeline, "fixed"));
  try {
    p.sp.restore(bytes);
  } catch (const reel::error&) {
    return;  // not a checkpoint of this processor
  }
  try {
    (void)p.sp.stats().dump();
    (void)p.sp.checkpoint();
    reel_fuzz::run_samples(p);
    (void)p.sp.checkpoint();
  } catch (const reel::error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view bytes = reel_fuzz::as_text(data + 1, size - 1);
  const std::size_t target = data[0] % (json_count + 2);
  if (target < json_count) {
    json_processor(json_pipelines[target], bytes);
  } else if (target == json_count) {
    typed_tumbling(bytes);
  } else {
    typed_sessions(bytes);
  }
  return 0;
}
