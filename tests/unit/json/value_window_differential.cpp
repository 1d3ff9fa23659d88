// SPDX-License-Identifier: Apache-2.0
// The window runtime on values (`make_value_window_runtime`) against the nlohmann one
// (`make_window_runtime`) on every window of the pipeline conformance cases (tests/data/pipelines
// and tests/data/stages): the same events with the same event times go to both, which must close
// the same windows with the same documents (typed, or by value where a case holds a long or a
// decimal, which the nlohmann path does not keep), report the same per-document errors, and
// place every event the same way (late, in a gap, missed windows). Checkpoints are exchanged
// halfway in both directions and the run goes on to the same windows. Also: adding to an
// existing group allocates nothing on the value path.
#if defined(REEL_JSON_VALUE_EVAL)

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/bson/owned.hpp"
#include "reel/error.hpp"
#include "reel/json/compile.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/window_stage.hpp"
#include "support/allocation_counter.hpp"
#include "unit/json/value_helpers.hpp"

namespace value_window_differential {

namespace fs = std::filesystem;
using reel::timestamp;
using reel::json::document;
using value_test::show;

/// One window of a conformance case: the compiled pipeline and the events reaching its window.
struct window_case {
  std::string label;
  reel::json::compiled_pipeline pipeline;
  std::vector<document> events;    ///< after the per-event stages (nlohmann)
  std::vector<std::string> texts;  ///< the same events as Extended JSON, when no stage ran
  std::vector<timestamp> times;
  bool by_value = false;
};

/// What a run gives: closed windows (as owned values) and the per-event placements and errors.
struct window_out {
  reel::window_bounds bounds;
  reel::bson::owned_value partition;
  std::vector<reel::bson::owned_value> docs;
};
struct run_log {
  std::vector<window_out> windows;
  std::vector<std::string> events;  ///< placement, missed starts, open windows/groups/documents
  std::vector<std::string> errors;  ///< DLQ records of the inner pipeline and refused events
};

std::string describe(reel::placement p, const reel::missed_windows& missed,
                     const reel::json::window_runtime_base& w) {
  std::string s = std::to_string(static_cast<int>(p)) + " missed";
  for (const timestamp t : missed.starts)
    s += " " + std::to_string(reel::to_millis(t));
  s += " open " + std::to_string(w.open_windows()) + " groups " + std::to_string(w.open_groups()) +
       " buffered " + std::to_string(w.buffered_documents()) + " retained " +
       std::to_string(reel::to_millis(w.retained_from())) + " state " +
       (w.state_bytes() == 0 ? "0" : ">0");
  return s;
}

/// The metadata the processor gives a window's expressions: bounds as placeholders.
document window_meta(const reel::json::window_definition& def) {
  document meta = {{"source", {{"type", "generated"}}},
                   {"window",
                    {{"start", reel::json::detail::window_start_marker()},
                     {"end", reel::json::detail::window_end_marker()}}}};
  if (def.kind == reel::json::window_kind::session)
    meta["window"]["partition"] = reel::json::detail::window_partition_marker();
  return meta;
}

/// One runtime of either model, fed and logged the same way.
class runner {
 public:
  runner(const window_case& c, bool values, run_log& log, const document& meta)
      : case_(c), values_(values), log_(log), meta_(&meta) {
    const auto& def = c.pipeline.window;
    if (values) {
      value_ = reel::json::make_value_window_runtime(
          def, &meta, std::nullopt,
          [this](const reel::window_bounds& b, const reel::bson::value& partition,
                 std::span<const reel::bson::value> docs) {
            window_out out{b, reel::bson::owned_value(partition), {}};
            for (const reel::bson::value& d : docs)
              out.docs.emplace_back(d);
            log_.windows.push_back(std::move(out));
          },
          [this](std::string_view op, const std::string& reason, const reel::bson::value& d) {
            log_.errors.push_back(std::string(op) + ": " + reason + " " +
                                  reel::bson::to_nlohmann(d).dump());
          },
          budget_);
    } else {
      nlohmann_ = reel::json::make_window_runtime(
          def, &meta, std::nullopt,
          [this](const reel::window_bounds& b, const document& partition,
                 std::vector<document>&& docs) {
            reel::bson::arena memory;
            window_out out{
                b, reel::bson::owned_value(reel::bson::from_nlohmann(partition, memory)), {}};
            for (const document& d : docs)
              out.docs.emplace_back(reel::bson::from_nlohmann(d, memory));
            log_.windows.push_back(std::move(out));
          },
          [this](std::string_view op, const std::string& reason, const document& d) {
            log_.errors.push_back(std::string(op) + ": " + reason + " " + d.dump());
          },
          budget_);
    }
  }

  reel::json::window_runtime_base& runtime() {
    return values_ ? static_cast<reel::json::window_runtime_base&>(*value_) : *nlohmann_;
  }

  void feed(std::size_t i) {
    const timestamp t = case_.times[i];
    try {
      reel::placement p;
      if (values_) {
        reel::bson::arena memory;  // the event is valid during the call only
        const reel::bson::value v = case_.texts[i].empty()
                                        ? reel::bson::from_nlohmann(case_.events[i], memory)
                                        : reader_.parse(case_.texts[i], memory);
        p = value_->on_event(v, t, 0, t, i);
      } else {
        p = nlohmann_->on_event(case_.events[i], t, 0, t, i);
      }
      log_.events.push_back(describe(p, runtime().missed(), runtime()) + explained(i, t));
    } catch (const reel::error& e) {
      log_.errors.push_back(std::string("refused: ") + e.what());
    }
  }

 private:
  /// For a session window: what `explain` says of the session of event `i`'s partition at `t`.
  std::string explained(std::size_t i, timestamp t) const {
    const auto& def = *case_.pipeline.window;
    if (def.kind != reel::json::window_kind::session) return {};
    const document& meta = *meta_;
    document partition = def.partition_by->evaluate(case_.events[i], {&meta, nullptr});
    if (reel::json::is_missing(partition)) partition = nullptr;
    std::optional<reel::window_explanation> e;
    if (values_) {
      reel::bson::arena memory;
      e = value_->explain(reel::bson::from_nlohmann(partition, memory), t);
    } else {
      e = nlohmann_->explain(partition, t);
    }
    if (!e) return " no session";
    return " session " + std::to_string(reel::to_millis(e->bounds.start)) + ".." +
           std::to_string(reel::to_millis(e->bounds.end)) + " groups " + std::to_string(e->groups) +
           " events " + std::to_string(e->events);
  }

  const window_case& case_;
  bool values_;
  run_log& log_;
  const document* meta_;
  std::shared_ptr<reel::json::state_budget> budget_ = std::make_shared<reel::json::state_budget>();
  std::unique_ptr<reel::json::window_runtime> nlohmann_;
  std::unique_ptr<reel::json::value_window_runtime> value_;
  reel::bson::ejson_reader reader_;
};

/// Runs `c` on one model, or (with `switch_at`) on `first_values` up to that event, then on
/// `then_values` (by default the other model) from a checkpoint of the first.
run_log run(const window_case& c, bool first_values, std::optional<std::size_t> switch_at = {},
            std::optional<bool> then_values = {}) {
  run_log log;
  const document meta = window_meta(*c.pipeline.window);
  auto current = std::make_unique<runner>(c, first_values, log, meta);
  for (std::size_t i = 0; i < c.events.size(); ++i) {
    if (switch_at && i == *switch_at) {
      const nlohmann::json saved = current->runtime().save();
      current = std::make_unique<runner>(c, then_values.value_or(!first_values), log, meta);
      current->runtime().load(saved);
    }
    current->feed(i);
  }
  current->runtime().flush();
  return log;
}

/// Same windows, documents, placements and errors.
void require_same(const run_log& expected, const run_log& actual, bool by_value) {
  CHECK(actual.events == expected.events);
  CHECK(actual.errors == expected.errors);
  REQUIRE(actual.windows.size() == expected.windows.size());
  for (std::size_t w = 0; w < actual.windows.size(); ++w) {
    const window_out& a = actual.windows[w];
    const window_out& e = expected.windows[w];
    INFO("window " << w);
    CHECK(a.bounds.start == e.bounds.start);
    CHECK(a.bounds.end == e.bounds.end);
    CHECK(reel::bson::compare(a.partition.get(), e.partition.get()) == 0);
    REQUIRE(a.docs.size() == e.docs.size());
    for (std::size_t i = 0; i < a.docs.size(); ++i) {
      INFO("document " << i << ": value path " << show(a.docs[i].get()) << ", nlohmann path "
                       << show(e.docs[i].get()));
      if (by_value) {
        CHECK(reel::bson::compare(a.docs[i].get(), e.docs[i].get()) == 0);
      } else {
        CHECK(value_test::same_typed(a.docs[i].get(), e.docs[i].get()));
      }
    }
  }
}

/// The window cases: every case with a window whose pipeline compiles without connections.
std::vector<window_case> window_cases() {
  std::vector<window_case> out;
  auto collect = [&](const document& pipeline, const document& inputs, const std::string& label) {
    window_case c;
    c.label = label;
    try {
      c.pipeline = reel::json::compile_pipeline(reel::json::parse_ejson_line(pipeline.dump()));
    } catch (const reel::error&) {
      return;
    }
    if (!c.pipeline.window) return;
    c.by_value = value_test::mentions_long_or_decimal(pipeline.dump()) ||
                 value_test::mentions_long_or_decimal(inputs.dump());
    std::vector<std::shared_ptr<const reel::json::document_stage>> stages =
        c.pipeline.before_window;
    stages.insert(stages.end(), c.pipeline.window->per_event.begin(),
                  c.pipeline.window->per_event.end());
    const document meta = {{"source", {{"type", "generated"}}}};
    const reel::json::eval_context ctx{&meta, nullptr};
    const timestamp base = *reel::parse_iso8601("2024-01-01T00:00:00Z");
    std::int64_t n = 0;
    for (const document& in : inputs) {
      if (!in.is_object() || in.empty() || in.begin().key()[0] == '$') continue;
      const document doc = reel::json::parse_ejson_line(in.dump());
      timestamp t = base + reel::duration(1000 * ++n);
      std::vector<document> docs{doc};
      try {
        if (c.pipeline.source.time_field) {
          const auto at = reel::json::as_date(c.pipeline.source.time_field->evaluate(doc, ctx));
          if (!at) continue;  // the processor sends it to the DLQ
          t = *at;
        }
        for (const auto& s : stages) {
          std::vector<document> next;
          for (document& d : docs)
            s->apply(std::move(d), ctx, next);
          docs = std::move(next);
        }
      } catch (const reel::error&) {
        continue;  // the processor sends it to the DLQ before the window (or its time failed)
      }
      for (document& d : docs) {
        c.texts.push_back(stages.empty() ? in.dump() : std::string());
        c.events.push_back(std::move(d));
        c.times.push_back(t);
      }
    }
    if (!c.events.empty()) out.push_back(std::move(c));
  };
  for (const fs::path& file : value_test::case_files()) {
    for (const document& c : value_test::load(file)) {
      if (!c.contains("input")) continue;
      const std::string label = file.filename().string() + " | " + c.value("name", "");
      if (c.contains("pipeline") && c["pipeline"].is_array()) {
        collect(c["pipeline"], c["input"], label);
      } else if (c.contains("stage")) {
        collect(document::array({c["stage"]}), c["input"], label);
      }
    }
  }
  return out;
}

/// `maxStateBytes` on one model: with the limit just above one group, a new group in the open
/// window is refused with the state-limit error, the existing group still takes events, and a
/// new group in a later window is placed once the full window closed and released its state.
template <class Runtime, class Event>
void check_state_limit(Runtime& runtime, reel::json::state_budget& budget, const Event& a,
                       const Event& b) {
  const timestamp t0 = *reel::parse_iso8601("2024-01-01T00:00:01Z");
  CHECK(runtime.on_event(a, t0, 0, t0, 0) == reel::placement::accepted);
  const std::size_t one_group = budget.used;
  REQUIRE(one_group > 0);
  budget.limit = one_group + one_group / 2;
  const timestamp t1 = t0 + reel::duration(1000);
  CHECK(reel_test::error_of([&] {
          runtime.on_event(b, t1, 0, t1, 1);
        }).rfind("[reel.window.state_limit]", 0) == 0);
  CHECK(runtime.on_event(a, t1, 0, t1, 2) == reel::placement::accepted);
  CHECK(budget.used == one_group);
  const timestamp later = t0 + reel::duration(20'000);
  CHECK(runtime.on_event(b, later, 0, later, 3) == reel::placement::accepted);
  CHECK(runtime.open_groups() == 1);
}

}  // namespace value_window_differential

TEST_CASE("the window runtime on values closes the same windows as the nlohmann one",
          "[json][window][value]") {
  using namespace value_window_differential;
  std::size_t cases = 0, windows = 0, events = 0, sessions = 0, grouped = 0;
  for (const window_case& c : window_cases()) {
    INFO(c.label);
    ++cases;
    if (c.pipeline.window->kind == reel::json::window_kind::session) ++sessions;
    if (c.pipeline.window->group) ++grouped;
    const run_log expected = run(c, false);
    const run_log actual = run(c, true);
    require_same(expected, actual, c.by_value);
    windows += expected.windows.size();
    events += c.events.size();
    // A checkpoint of one, loaded by the other halfway: the same windows (by value: a checkpoint
    // keeps the nlohmann path's types).
    const std::size_t half = c.events.size() / 2;
    {
      INFO("nlohmann checkpoint loaded by the value runtime at event " << half);
      require_same(expected, run(c, false, half), true);
    }
    {
      INFO("value checkpoint loaded by the nlohmann runtime at event " << half);
      require_same(expected, run(c, true, half), true);
    }
    {
      INFO("value checkpoint loaded by the value runtime at event " << half);
      require_same(expected, run(c, true, half, true), c.by_value);
    }
  }
  // Every kind of window, with and without $group, is covered.
  CHECK(cases >= 40);
  CHECK(sessions >= 5);
  CHECK(grouped >= 20);
  CHECK(cases - grouped >= 3);
  CHECK(windows >= 80);
  WARN(cases << " window cases, " << events << " events, " << windows << " windows");
}

TEST_CASE("the value window runtime adds to an existing group without copying its key",
          "[json][window][value]") {
  using namespace value_window_differential;
  const document pipeline = document::parse(R"([
    {"$source": {"timeField": {"$toDate": "$t"}}},
    {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "allowedLateness": 0,
      "pipeline": [{"$group": {"_id": {"customer": "$customer", "region": "$region"},
                               "total": {"$sum": "$v"}, "n": {"$count": {}},
                               "top": {"$max": "$v"}}}]}}])");
  const reel::json::compiled_pipeline compiled = reel::json::compile_pipeline(pipeline);
  const document meta = window_meta(*compiled.window);
  std::size_t closed = 0;
  auto runtime = reel::json::make_value_window_runtime(
      compiled.window, &meta, std::nullopt,
      [&](const reel::window_bounds&, const reel::bson::value&,
          std::span<const reel::bson::value> docs) { closed += docs.size(); });
  reel::bson::arena memory;
  reel::bson::ejson_reader reader;
  const reel::bson::value event = reader.parse(
      R"({"customer": "a customer name longer than any inline string", "region": "emea",
          "v": 5})",
      memory);
  const timestamp t0 = *reel::parse_iso8601("2024-01-01T00:00:01Z");
  runtime->on_event(event, t0, 0, t0, 0);  // makes the group: copies the key
  const std::size_t held = runtime->state_bytes();
  const long before = reel_test::allocations.load();
  for (std::uint64_t i = 1; i <= 100; ++i) {
    const timestamp t = t0 + reel::duration(static_cast<std::int64_t>(i));
    runtime->on_event(event, t, 0, t, i);
  }
  CHECK(reel_test::allocations.load() - before == 0);
  CHECK(runtime->state_bytes() == held);
  CHECK(runtime->open_groups() == 1);
  runtime->flush();
  CHECK(closed == 1);
}

TEST_CASE("the value window runtime keeps maxStateBytes as the nlohmann one does",
          "[json][window][value]") {
  using namespace value_window_differential;
  const reel::json::compiled_pipeline compiled = reel::json::compile_pipeline(document::parse(R"([
    {"$source": {"timeField": {"$toDate": "$t"}}},
    {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "allowedLateness": 0,
      "pipeline": [{"$group": {"_id": "$k", "n": {"$count": {}}}}]}}])"));
  const document meta = window_meta(*compiled.window);
  const document a = {{"k", "a"}}, b = {{"k", "b"}};
  std::size_t nlohmann_closed = 0, value_closed = 0;
  {
    auto budget = std::make_shared<reel::json::state_budget>();
    auto runtime = reel::json::make_window_runtime(
        compiled.window, &meta, std::nullopt,
        [&](const reel::window_bounds&, const document&, std::vector<document>&&) {
          ++nlohmann_closed;
        },
        {}, budget);
    check_state_limit(*runtime, *budget, a, b);
  }
  {
    reel::bson::arena memory;
    auto budget = std::make_shared<reel::json::state_budget>();
    auto runtime = reel::json::make_value_window_runtime(
        compiled.window, &meta, std::nullopt,
        [&](const reel::window_bounds&, const reel::bson::value&,
            std::span<const reel::bson::value>) { ++value_closed; },
        {}, budget);
    check_state_limit(*runtime, *budget, reel::bson::from_nlohmann(a, memory),
                      reel::bson::from_nlohmann(b, memory));
  }
  CHECK(nlohmann_closed == 1);
  CHECK(value_closed == nlohmann_closed);
}

#endif  // REEL_JSON_VALUE_EVAL
