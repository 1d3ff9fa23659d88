// SPDX-License-Identifier: Apache-2.0
/// \file
/// The pipeline compiler of the JSON front end: an Atlas Stream Processing pipeline (an array of
/// stages) is checked and compiled once into a `compiled_pipeline`: the `$source` settings,
/// stateless stages, at most one window with its inner pipeline, stages after it and the sink.
///
/// An implementation header: `compile_pipeline` and `try_compile_pipeline`, declared with the
/// `compiled_pipeline` types in `reel/json/pipeline.hpp`, are compiled once in the `reel::json`
/// library (`src/json/compile.cpp`). Applications include `reel/json/pipeline.hpp`.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/group.hpp"
#include "reel/json/mongodb_names.hpp"
#include "reel/json/pipeline.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stage_options.hpp"
#include "reel/json/value.hpp"
#include "reel/json/window_stage.hpp"
#include "reel/time.hpp"

namespace reel::json {

namespace detail {

/// A stage that an optional compiled library of Reel registers when a program links it: the
/// stage, the library, the CMake option that builds it and the call that registers it. A
/// pipeline naming such a stage in a program without it gets `reel.pipeline.not_built` with
/// these, instead of "not supported by Reel".
struct optional_library_stage {
  std::string_view stage, library, cmake_option, registration;
};

inline constexpr optional_library_stage optional_library_stages[] = {
    {"$https", "reel::https", "REEL_WITH_HTTPS", "reel::https::register_connection_type"},
};

inline const std::vector<std::string>& window_stage_names() {
  static const std::vector<std::string> names = {"$tumblingWindow", "$hoppingWindow",
                                                 "$sessionWindow"};
  return names;
}
inline bool is_window_stage(const std::string& n) {
  return n == "$tumblingWindow" || n == "$hoppingWindow" || n == "$sessionWindow";
}
inline bool is_sink_stage(const std::string& n) {
  return n == "$emit" || n == "$merge";
}

class pipeline_compiler {
 public:
  explicit pipeline_compiler(pipeline_options options) : options_(options) {}

  compile_result run(const document& pipeline) {
    compile_result result;
    compiled_pipeline out;
    if (!pipeline.is_array()) {
      report("reel.pipeline.not_an_array", "", "a pipeline must be an array of stages");
      result.diagnostics = std::move(diagnostics_);
      return result;
    }
    if (pipeline.empty()) report("reel.pipeline.empty", "", "the pipeline has no stages");
    bool seen_window = false;
    for (std::size_t i = 0; i < pipeline.size(); ++i) {
      const std::string where = "/" + std::to_string(i);
      const document& stage = pipeline[i];
      std::string name;
      if (!stage_name(stage, where, name)) continue;
      const std::string at = json_pointer_append(where, name);
      const document& spec = stage.begin().value();
      guard([&] {
        if (name == "$source") {
          if (i != 0)
            fail("reel.pipeline.misplaced_stage", where, "$source must be the first stage");
          out.source = compile_source(spec, at);
        } else if (is_sink_stage(name)) {
          if (i + 1 != pipeline.size())
            fail("reel.pipeline.misplaced_stage", where, name + " must be the last stage");
          out.sink = compile_sink(name, spec, at);
        } else if (is_window_stage(name)) {
          if (seen_window)
            fail("reel.pipeline.misplaced_stage", where,
                 "a pipeline may have only one window stage");
          seen_window = true;
          out.window = compile_window(name, spec, at);
        } else {
          auto s = compile_stateless(name, spec, at, false);
          (seen_window ? out.after_window : out.before_window).push_back(std::move(s));
        }
      });
    }
    if (options_.require_source &&
        (pipeline.empty() || !pipeline[0].is_object() || !pipeline[0].contains("$source"))) {
      report("reel.pipeline.missing_source", "/0", "the pipeline must start with a $source stage");
    }
    if (out.window && out.source.time_field &&
        out.window->policy.time_boundary == boundary::processing_time) {
      report(
          "reel.pipeline.invalid_option", "/0/$source/timeField",
          "timeField cannot be used with a processing-time window (boundary: \"processingTime\")");
    }
    out.removes_stream_meta = removes_stream_meta_;
    if (diagnostics_.empty()) result.pipeline = std::move(out);
    result.diagnostics = std::move(diagnostics_);
    return result;
  }

 private:
  [[noreturn]] static void fail(std::string id, std::string where, std::string message) {
    throw_error(std::move(id), std::move(where), std::move(message));
  }
  void report(std::string id, std::string where, std::string message) {
    diagnostics_.push_back({std::move(id), std::move(where), std::move(message)});
  }
  /// Runs `f`, turning a thrown definition error into a diagnostic.
  template <class F>
  void guard(F&& f) {
    try {
      f();
    } catch (const reel::error& e) {
      for (const auto& d : e.diagnostics())
        diagnostics_.push_back(d);
    }
  }

  bool stage_name(const document& stage, const std::string& where, std::string& name) {
    if (!stage.is_object() || stage.size() != 1) {
      report("reel.pipeline.bad_stage", where,
             "a stage must be an object with exactly one field, like {\"$match\": {...}}");
      return false;
    }
    name = stage.begin().key();
    if (name == "$source" || is_sink_stage(name) || is_window_stage(name) ||
        stage_registry::global().find(name) || name == "$group") {
      return true;
    }
    std::vector<std::string> known = stage_registry::global().names();
    for (const char* n : {"$source", "$emit", "$merge", "$group", "$tumblingWindow",
                          "$hoppingWindow", "$sessionWindow"}) {
      known.emplace_back(n);
    }
    for (const detail::optional_library_stage& s : detail::optional_library_stages) {
      if (s.stage != name) continue;
      report("reel.pipeline.not_built", json_pointer_append(where, name),
             "stage '" + name + "' comes with " + std::string(s.library) +
                 ", which this program does not have: configure Reel with -D" +
                 std::string(s.cmake_option) + "=ON, link " + std::string(s.library) +
                 " and call " + std::string(s.registration) +
                 " (see the README's \"Compiled connectors\")");
      return false;
    }
    if (is_listed(mongodb_stages(), name)) {
      report("reel.pipeline.unsupported_stage", json_pointer_append(where, name),
             "stage '" + name + "' is not supported by Reel");
      return false;
    }
    report("reel.pipeline.unknown_stage", json_pointer_append(where, name),
           "unknown stage '" + name + "'" + reel::detail::did_you_mean(name, known));
    return false;
  }

  /// Options objects: every key must be known.
  static void check_keys(const document& spec, const std::string& where, const char* stage,
                         std::initializer_list<const char*> allowed) {
    if (!spec.is_object())
      fail("reel.pipeline.bad_stage", where, std::string(stage) + " takes an object");
    std::vector<std::string> names(allowed.begin(), allowed.end());
    std::vector<diagnostic> unknown;  // every unknown key, not only the first
    for (const auto& [key, value] : spec.items()) {
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        unknown.push_back(
            {"reel.pipeline.unknown_option", json_pointer_append(where, key),
             "unknown option '" + key + "' of " + stage + reel::detail::did_you_mean(key, names)});
      }
    }
    if (!unknown.empty()) throw reel::error(std::move(unknown));
  }

 public:
  /// `{size, unit}`; with `allow_zero`, the integer `0` too.
  static duration parse_duration(const document& v, const std::string& where, bool allow_zero) {
    if (allow_zero && v.is_number_integer() && v.get<std::int64_t>() == 0) return duration{0};
    if (!v.is_object())
      fail("reel.pipeline.invalid_option", where,
           "expected a duration like {\"size\": 30, \"unit\": \"second\"}");
    check_keys(v, where, "a duration", {"size", "unit"});
    auto size = v.find("size");
    auto unit = v.find("unit");
    if (size == v.end()) fail("reel.pipeline.invalid_option", where, "a duration requires 'size'");
    if (unit == v.end()) fail("reel.pipeline.invalid_option", where, "a duration requires 'unit'");
    auto n = as_numeric(*size);
    if (!n || !n->integral() || n->i < 0 || (n->i == 0 && !allow_zero)) {
      fail("reel.pipeline.invalid_option", where + "/size",
           allow_zero ? "size must be a non-negative integer" : "size must be a positive integer");
    }
    if (!unit->is_string() || !parse_time_unit(unit->get<std::string>())) {
      static const std::vector<std::string> units = {"ms", "second", "minute", "hour", "day"};
      const std::string given = unit->is_string() ? unit->get<std::string>() : unit->dump();
      fail("reel.pipeline.invalid_option", where + "/unit",
           "unknown time unit '" + given + "'" + reel::detail::did_you_mean(given, units) +
               "; use ms, second, minute, hour or day");
    }
    return within_window_limit(n->i, *parse_time_unit(unit->get<std::string>()), where + "/size");
  }

 private:
  source_definition compile_source(const document& spec, const std::string& at) {
    if (!spec.is_object()) fail("reel.pipeline.bad_stage", at, "$source takes an object");
    // Every option problem is reported, and the stage is compiled on (its other problems too).
    for (diagnostic& d : spec.contains("connectionName")
                             ? stage_option_typo_problems("$source", spec, at)  // the connection
                             : stage_option_problems("$source", spec, at)) {    // checks the rest
      diagnostics_.push_back(std::move(d));
    }
    source_definition s;
    s.spec = spec;
    if (auto it = spec.find("connectionName"); it != spec.end()) {
      if (!it->is_string())
        fail("reel.pipeline.invalid_option", at + "/connectionName",
             "connectionName must be a string");
      s.connection_name = it->get<std::string>();
    }
    if (auto it = spec.find("documents"); it != spec.end()) {
      if (s.connection_name) {
        fail("reel.pipeline.invalid_option", at + "/documents",
             "$source takes either connectionName or documents, not both");
      }
      if (!it->is_array())
        fail("reel.pipeline.invalid_option", at + "/documents", "documents must be an array");
      for (std::size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_object()) {
          fail("reel.pipeline.invalid_option", at + "/documents/" + std::to_string(i),
               "documents must be objects");
        }
      }
      s.documents = normalize_ejson(*it);
    }
    if (auto it = spec.find("timeField"); it != spec.end())
      s.time_field = compile_expression(*it, at + "/timeField");
    if (auto it = spec.find("tsFieldName"); it != spec.end()) {
      if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>()[0] == '$') {
        fail("reel.pipeline.invalid_option", at + "/tsFieldName",
             "tsFieldName must be a field name");
      }
      s.ts_field_name = it->get<std::string>();
    }
    if (auto it = spec.find("partitionIdleTimeout"); it != spec.end()) {
      s.partition_idle_timeout = parse_duration(*it, at + "/partitionIdleTimeout", false);
    }
    return s;
  }

  sink_definition compile_sink(const std::string& name, const document& spec,
                               const std::string& at) {
    if (!spec.is_object()) fail("reel.pipeline.bad_stage", at, name + " takes an object");
    for (diagnostic& d : stage_option_typo_problems(name, spec, at))  // the connection checks
      diagnostics_.push_back(std::move(d));                           // the rest
    sink_definition s{name, "", spec, at};
    const document* conn = nullptr;
    if (name == "$merge") {
      auto into = spec.find("into");
      if (into == spec.end() || !into->is_object()) {
        fail("reel.pipeline.invalid_option", at + "/into",
             "$merge requires into: {connectionName, db, coll}");
      }
      if (auto it = into->find("connectionName"); it != into->end()) conn = &*it;
      if (!conn)
        fail("reel.pipeline.invalid_option", at + "/into", "$merge.into requires connectionName");
      if (!conn->is_string())
        fail("reel.pipeline.invalid_option", at + "/into/connectionName",
             "connectionName must be a string");
    } else {
      if (auto it = spec.find("connectionName"); it != spec.end()) conn = &*it;
      if (!conn) fail("reel.pipeline.invalid_option", at, "$emit requires connectionName");
      if (!conn->is_string())
        fail("reel.pipeline.invalid_option", at + "/connectionName",
             "connectionName must be a string");
    }
    s.connection_name = conn->get<std::string>();
    return s;
  }

  std::shared_ptr<const document_stage> compile_stateless(const std::string& name,
                                                          const document& spec,
                                                          const std::string& at, bool in_window) {
    if (name == "$group") {
      if (!in_window)
        fail("reel.pipeline.misplaced_stage", at,
             "$group is allowed only inside a window's pipeline");
      return std::make_shared<group_stage>(
          std::make_shared<const group_definition>(compile_group(spec, at)));
    }
    if (name == "$source" || is_sink_stage(name) || is_window_stage(name)) {
      fail("reel.pipeline.misplaced_stage", at,
           name + " is not allowed inside a window's pipeline");
    }
    if (removes_stream_meta(name, spec)) removes_stream_meta_ = true;
    const stage_registry::entry* e = stage_registry::global().find(name);
    if (e->placement == stage_placement::main_only && in_window) {
      fail("reel.pipeline.misplaced_stage", at,
           name + " is not allowed inside a window's pipeline");
    }
    if (e->placement == stage_placement::window_only && !in_window) {
      fail("reel.pipeline.misplaced_stage", at,
           name + " is allowed only inside a window's pipeline");
    }
    return e->make(spec, at, stage_context{options_.connections, in_window});
  }

  std::shared_ptr<const window_definition> compile_window(const std::string& name,
                                                          const document& spec,
                                                          const std::string& at) {
    auto def = std::make_shared<window_definition>();
    if (name == "$tumblingWindow") {
      check_keys(spec, at, "$tumblingWindow",
                 {"interval", "offset", "allowedLateness", "idleTimeout", "boundary", "pipeline"});
      def->kind = window_kind::tumbling;
      def->operator_name = "TumblingWindowOperator";
    } else if (name == "$hoppingWindow") {
      check_keys(spec, at, "$hoppingWindow",
                 {"interval", "hopSize", "offset", "allowedLateness", "idleTimeout", "boundary",
                  "pipeline"});
      def->kind = window_kind::hopping;
      def->operator_name = "HoppingWindowOperator";
    } else {
      check_keys(spec, at, "$sessionWindow",
                 {"partitionBy", "gap", "allowedLateness", "idleTimeout", "boundary", "pipeline"});
      def->kind = window_kind::session;
      def->operator_name = "SessionWindowOperator";
    }
    auto required = [&](const char* key) -> const document& {
      auto it = spec.find(key);
      if (it == spec.end())
        fail("reel.pipeline.invalid_option", at, name + " requires '" + key + "'");
      return *it;
    };
    if (auto it = spec.find("boundary"); it != spec.end()) {
      if (*it == "processingTime") {
        def->policy.time_boundary = boundary::processing_time;
        for (const char* forbidden : {"allowedLateness", "idleTimeout"}) {
          if (spec.contains(forbidden)) {
            fail("reel.pipeline.invalid_option", at + "/" + forbidden,
                 std::string(forbidden) + " cannot be used with boundary: \"processingTime\"");
          }
        }
      } else if (*it != "eventTime") {
        fail("reel.pipeline.invalid_option", at + "/boundary",
             "boundary must be \"eventTime\" or \"processingTime\"");
      }
    }
    if (def->kind == window_kind::session) {
      def->gap = parse_duration(required("gap"), at + "/gap", false);
      def->partition_by = compile_expression(required("partitionBy"), at + "/partitionBy");
    } else {
      def->sliced.interval = parse_duration(required("interval"), at + "/interval", false);
      def->sliced.hop = def->kind == window_kind::hopping
                            ? parse_duration(required("hopSize"), at + "/hopSize", false)
                            : def->sliced.interval;
      if (auto it = spec.find("offset"); it != spec.end())
        def->sliced.offset = parse_offset(*it, at + "/offset");
      if (def->kind == window_kind::hopping) check_windows_per_event(def->sliced, at + "/hopSize");
    }
    if (auto it = spec.find("allowedLateness"); it != spec.end()) {
      def->policy.allowed_lateness = parse_duration(*it, at + "/allowedLateness", true);
    }
    if (auto it = spec.find("idleTimeout"); it != spec.end()) {
      const duration d = parse_duration(*it, at + "/idleTimeout", true);
      if (d.count() > 0) def->policy.idle_timeout = d;
    }
    const document& inner = required("pipeline");
    if (!inner.is_array())
      fail("reel.pipeline.invalid_option", at + "/pipeline",
           "a window's pipeline must be an array");
    bool grouped = false;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      const std::string where = at + "/pipeline/" + std::to_string(i);
      std::string stage;
      if (!stage_name(inner[i], where, stage)) continue;
      const std::string stage_at = json_pointer_append(where, stage);
      const document& stage_spec = inner[i].begin().value();
      guard([&] {
        if (stage == "$group" && !grouped && def->at_close.empty() &&
            group_runs_per_event(stage_spec)) {
          grouped = true;
          def->group =
              std::make_shared<const group_definition>(compile_group(stage_spec, stage_at));
          return;
        }
        auto s = compile_stateless(stage, stage_spec, stage_at, true);
        if (!grouped && def->at_close.empty() && !s->is_batch_only() &&
            !reads_window_meta(stage_spec)) {
          def->per_event.push_back(std::move(s));
        } else {
          grouped = grouped || stage == "$group";
          def->at_close.push_back(std::move(s));
        }
      });
    }
    return def;
  }

  /// An event belongs to `ceil(interval / hopSize)` hopping windows: each costs work per event and
  /// a result per window, so a small hop under a long interval turns one event into millions of
  /// results. More than `limits::max_windows_per_event` is a definition error.
  void check_windows_per_event(const sliced_spec& w, const std::string& where) const {
    const std::uint64_t windows = w.windows_per_event();
    const std::uint64_t limit = options_.limits.max_windows_per_event;
    if (limit > 0 && windows > limit) {
      fail("reel.pipeline.invalid_option", where,
           "interval / hopSize puts each event in " + std::to_string(windows) +
               " windows, more than the limit of " + std::to_string(limit) +
               " (maxWindowsPerEvent): use a larger hopSize");
    }
  }

  static duration parse_offset(const document& v, const std::string& where) {
    if (!v.is_object())
      fail("reel.pipeline.invalid_option", where,
           "offset must be {\"offsetFromUtc\": <n>, \"unit\": <unit>}");
    check_keys(v, where, "offset", {"offsetFromUtc", "unit"});
    auto n = v.find("offsetFromUtc");
    auto unit = v.find("unit");
    if (n == v.end() || !n->is_number_integer())
      fail("reel.pipeline.invalid_option", where, "offset requires an integer offsetFromUtc");
    if (unit == v.end() || !unit->is_string() || !parse_time_unit(unit->get<std::string>())) {
      fail("reel.pipeline.invalid_option", where + "/unit",
           "offset requires a unit: ms, second, minute or hour");
    }
    return within_window_limit(n->get<std::int64_t>(), *parse_time_unit(unit->get<std::string>()),
                               where + "/offsetFromUtc");
  }

  /// `size` units, at most `max_window_duration` either way (so that no window computation on a
  /// valid event time overflows).
  static duration within_window_limit(std::int64_t size, time_unit unit, const std::string& where) {
    std::int64_t ms = 0;
    if (__builtin_mul_overflow(size, unit_millis(unit), &ms) ||
        !is_valid_window_duration(duration{ms}))
      fail("reel.pipeline.invalid_option", where,
           "a duration must be at most 3652425 days (10000 years)");
    return duration{ms};
  }

  /// `{$project: {_stream_meta: 0 | false}}`, `{$unset: "_stream_meta"}` or
  /// `{$unset: [..., "_stream_meta"]}`.
  static bool removes_stream_meta(const std::string& name, const document& spec) {
    if (name == "$project" && spec.is_object()) {
      auto it = spec.find("_stream_meta");
      return it != spec.end() && ((it->is_boolean() && !it->get<bool>()) ||
                                  (it->is_number() && it->get<double>() == 0));
    }
    if (name == "$unset") {
      if (spec == "_stream_meta") return true;
      return spec.is_array() &&
             std::find(spec.begin(), spec.end(), document("_stream_meta")) != spec.end();
    }
    return false;
  }

  pipeline_options options_;
  std::vector<diagnostic> diagnostics_;
  bool removes_stream_meta_ = false;
};

}  // namespace detail

}  // namespace reel::json
