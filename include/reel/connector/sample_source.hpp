// SPDX-License-Identifier: Apache-2.0
/// \file
/// Sample sources over the deterministic generators of `reel/connector/samples.hpp`, like the
/// sample connections of Atlas Stream Processing: `solar_source` (`sample_stream_solar`, which
/// `default_connections()` preconfigures as Atlas does) and `movie_ticket_source`
/// (`sample_movie_tickets`).
///
/// Output depends only on the seed and the options. A source is unbounded unless given a
/// `count`, and runs at full speed unless given a `rate` (documents per second of processing
/// time, read from a `reel::clock`; while ahead of the rate the source waits through its
/// `sleep` function, at most `max_wait` per poll, then reports `idle`). Each document carries its
/// own time (`timestamp` or `ts`) as the record time, so a pipeline without `timeField` is
/// deterministic too; its position is its index, and `seek` regenerates from the seed.
///
/// Connection options (in the definition, or in the `$source` stage's `config`, which wins):
/// `seed` (integer), `count` (integer), `rate` (number), `start` (ISO-8601 date of the first
/// event, or `"now"`), and for movie tickets `lateFraction` and `malformedFraction` (0–1).
///
/// ```js
/// { $source: { connectionName: 'sample_movie_tickets', config: { count: 2400, seed: 7 },
///              timeField: { $dateFromString: { dateString: '$ts' } } } }
/// ```
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/registry.hpp"
#include "reel/connector/samples.hpp"
#include "reel/connector/source.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/time.hpp"

namespace reel {

struct sample_source_options {
  /// Documents to produce; unbounded when empty.
  std::optional<std::uint64_t> count;
  /// Documents per second of processing time; 0 or less: as fast as polled.
  double rate = 0;
  /// Processing time, for the rate.
  const reel::clock* clock = &system_clock::instance();
  /// How the source waits when it is ahead of the rate (default: sleeps the thread). A test
  /// passes a function that advances a `manual_clock`.
  std::function<void(duration)> sleep;
  /// The longest single wait in one `poll()`.
  duration max_wait = std::chrono::milliseconds(100);
};

namespace detail {

/// Paces `rate` events per second from the first call of `allowed`: event k (0-based) is due
/// at `start + ceil(k * 1000 / rate)` ms.
class pacer {
 public:
  explicit pacer(double rate = 0) : rate_(rate) {}
  [[nodiscard]] bool unlimited() const noexcept { return !(rate_ > 0); }
  void restart() noexcept { started_ = false; }

  /// How many events may have been released by `now` (counting from the start).
  std::uint64_t allowed(timestamp now) {
    if (!started_) {
      started_ = true;
      start_ = now;
    }
    const double elapsed_ms = static_cast<double>((now - start_).count());
    return static_cast<std::uint64_t>(std::floor(elapsed_ms * rate_ / 1000.0)) + 1;
  }
  /// When event `k` is due (after the first call of `allowed`).
  [[nodiscard]] timestamp due(std::uint64_t k) const {
    const double ms = std::ceil(static_cast<double>(k) * 1000.0 / rate_);
    return start_ + duration{static_cast<std::int64_t>(ms)};
  }

 private:
  double rate_;
  bool started_ = false;
  timestamp start_{};
};

}  // namespace detail

/// A source over a sample generator (`samples::solar_generator`,
/// `samples::movie_ticket_generator`). `TimeField` names the document's time string.
template <class Generator>
class sample_source final : public source {
 public:
  sample_source(Generator generator, sample_source_options options = {})
      : initial_(generator),
        generator_(std::move(generator)),
        options_(std::move(options)),
        pacer_(options_.rate) {
    if (!options_.clock) options_.clock = &system_clock::instance();
  }

  std::string type() const override { return "generated"; }

  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    if (options_.count && produced_ >= *options_.count) return poll_status::end_of_input;
    std::uint64_t n = max;
    if (options_.count) n = std::min<std::uint64_t>(n, *options_.count - produced_);
    if (!pacer_.unlimited()) {
      std::uint64_t allowed = pacer_.allowed(options_.clock->now());
      if (allowed <= paced_) {
        const duration wait =
            std::min(options_.max_wait, pacer_.due(paced_) - options_.clock->now());
        if (wait.count() > 0) {
          if (options_.sleep) {
            options_.sleep(wait);
          } else {
            std::this_thread::sleep_for(wait);
          }
        }
        allowed = pacer_.allowed(options_.clock->now());
        if (allowed <= paced_) return poll_status::idle;
      }
      n = std::min(n, allowed - paced_);
    }
    for (std::uint64_t i = 0; i < n; ++i) {
      source_message m;
      m.document = generator_.next();
      m.position = produced_;
      if (auto t = event_time(*m.document)) m.record_time = *t;
      out.push_back(std::move(m));
      ++produced_;
      ++paced_;
    }
    return poll_status::ready;
  }

  /// How many documents have been produced (the position to resume from).
  nlohmann::ordered_json positions() const override { return produced_; }
  /// Regenerates from the seed up to `positions` (a count of documents).
  void seek(const nlohmann::ordered_json& p) override {
    if (!p.is_number_integer() || p.get<std::int64_t>() < 0) return;
    const auto target = p.get<std::uint64_t>();
    generator_ = initial_;
    for (std::uint64_t i = 0; i < target; ++i)
      (void)generator_.next();
    produced_ = target;
    paced_ = 0;
    pacer_.restart();
  }

  [[nodiscard]] std::uint64_t produced() const noexcept { return produced_; }

 private:
  static std::optional<timestamp> event_time(const nlohmann::ordered_json& doc) {
    for (const char* key : {"timestamp", "ts"}) {
      auto it = doc.find(key);
      if (it != doc.end() && it->is_string())
        return parse_iso8601(it->get_ref<const std::string&>());
    }
    return std::nullopt;
  }

  Generator initial_;
  Generator generator_;
  sample_source_options options_;
  detail::pacer pacer_;
  std::uint64_t produced_ = 0;
  std::uint64_t paced_ = 0;  // produced since the pacer started
};

using solar_source = sample_source<samples::solar_generator>;
using movie_ticket_source = sample_source<samples::movie_ticket_generator>;

namespace detail {

/// The sample options of a definition, overridden by the stage's `config`.
struct sample_settings {
  std::uint64_t seed = 42;
  std::optional<timestamp> start;
  sample_source_options source;
  samples::movie_ticket_options tickets;
};

inline void read_sample_options(const nlohmann::ordered_json& obj, const connection_args& args,
                                bool in_stage, const std::string& prefix, bool tickets,
                                sample_settings& s) {
  if (!obj.is_object()) {
    if (in_stage) args.stage_error(prefix, "config must be an object");
    args.definition_error(prefix, "the definition must be an object");
  }
  auto fail = [&](const std::string& key, const std::string& message) {
    if (in_stage) args.stage_error(prefix + "/" + key, message);
    args.definition_error(prefix + "/" + key, message);
  };
  const std::string type = tickets ? "sample_movie_tickets" : "sample_stream_solar";
  std::vector<std::string> known = {"seed", "count", "rate", "start"};
  if (tickets) {
    known.emplace_back("lateFraction");
    known.emplace_back("malformedFraction");
  }
  if (!in_stage) {
    known.emplace_back("type");
    known.emplace_back("name");
  }
  for (const auto& [key, v] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(json_pointer_token(key),
           "unknown option '" + key + "' of " + type + reel::detail::did_you_mean(key, known));
    }
    if (key == "seed" || key == "count") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
        fail(key, key + " must be a non-negative integer");
      }
      if (key == "seed") {
        s.seed = v.get<std::uint64_t>();
      } else {
        s.source.count = v.get<std::uint64_t>();
      }
    } else if (key == "rate") {
      if (!v.is_number() || v.get<double>() < 0) fail(key, "rate must be a non-negative number");
      s.source.rate = v.get<double>();
    } else if (key == "start") {
      std::optional<timestamp> t;
      if (v.is_string() && v.get_ref<const std::string&>() == "now") {
        t = system_clock::instance().now();
      } else if (v.is_string()) {
        t = parse_iso8601(v.get_ref<const std::string&>());
      } else if (v.is_object() && v.contains("$date") && v["$date"].is_string()) {
        t = parse_iso8601(v["$date"].get_ref<const std::string&>());
      }
      if (!t) fail(key, "start must be an ISO-8601 date or \"now\"");
      s.start = t;
    } else if (key == "lateFraction" || key == "malformedFraction") {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
        fail(key, key + " must be a number between 0 and 1");
      }
      (key == "lateFraction" ? s.tickets.late_fraction : s.tickets.malformed_fraction) =
          v.get<double>();
    }
  }
}

inline sample_settings sample_settings_of(const connection_args& args, bool tickets) {
  sample_settings s;
  read_sample_options(args.definition, args, false, "", tickets, s);
  if (args.stage.is_object() && args.stage.contains("config")) {
    read_sample_options(args.stage["config"], args, true, "/config", tickets, s);
  }
  return s;
}

}  // namespace detail

/// The `"sample_stream_solar"` connection type (a source).
inline connection_type solar_connection_type() {
  connection_type t;
  t.summary = "solar panel readings like Atlas's sample: {seed, count, rate, start}";
  t.stage_options = {.source = {"config.seed", "config.count", "config.rate", "config.start"},
                     .emit = {},
                     .merge = {}};
  t.check = [](const connection_args& args) { (void)detail::sample_settings_of(args, false); };
  t.make_source = [](const connection_args& args) -> std::unique_ptr<source> {
    detail::sample_settings s = detail::sample_settings_of(args, false);
    return std::make_unique<solar_source>(
        samples::solar_generator(s.seed, s.start.value_or(samples::solar_generator::default_start)),
        s.source);
  };
  return t;
}

/// The `"sample_movie_tickets"` connection type (a source).
inline connection_type movie_tickets_connection_type() {
  connection_type t;
  t.summary = "movie ticket sales: {seed, count, rate, start, lateFraction, malformedFraction}";
  t.stage_options = {.source = {"config.seed", "config.count", "config.rate", "config.start",
                                "config.lateFraction", "config.malformedFraction"},
                     .emit = {},
                     .merge = {}};
  t.check = [](const connection_args& args) { (void)detail::sample_settings_of(args, true); };
  t.make_source = [](const connection_args& args) -> std::unique_ptr<source> {
    detail::sample_settings s = detail::sample_settings_of(args, true);
    return std::make_unique<movie_ticket_source>(
        samples::movie_ticket_generator(
            s.seed, s.start.value_or(samples::movie_ticket_generator::default_start), s.tickets),
        s.source);
  };
  return t;
}

}  // namespace reel
