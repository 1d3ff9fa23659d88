// SPDX-License-Identifier: Apache-2.0
#include "serve/metrics.hpp"

#include <cmath>
#include <functional>
#include <optional>

#include <fmt/format.h>

namespace reel::serve {

namespace {

using document = nlohmann::ordered_json;

/// A label value with `\`, `"` and line feeds escaped, as the format requires.
std::string escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

struct sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
  const char* suffix = "";  ///< `_sum`, `_count` of a summary
};

class exposition {
 public:
  /// One family: `# HELP`, `# TYPE` and its samples (nothing when it has none).
  void family(const std::string& name, const char* type, const char* help,
              const std::vector<sample>& samples) {
    if (samples.empty()) return;
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const sample& s : samples) {
      out_ += name;
      out_ += s.suffix;
      if (!s.labels.empty()) {
        out_ += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out_ += ',';
          out_ += fmt::format("{}=\"{}\"", s.labels[i].first, escape_label(s.labels[i].second));
        }
        out_ += '}';
      }
      out_ += ' ';
      out_ += number(s.value);
      out_ += '\n';
    }
  }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::optional<double> number_of(const document& stats, const char* key) {
  auto it = stats.find(key);
  if (it == stats.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<double> seconds_of(const document& date) {
  if (auto ms = json::detail::relaxed_date_millis(date)) return static_cast<double>(*ms) / 1000;
  if (auto t = json::as_date(date)) return static_cast<double>(to_millis(*t)) / 1000;
  return std::nullopt;
}

}  // namespace

std::string prometheus_text(const std::vector<document>& snapshot, timestamp now) {
  const double now_seconds = static_cast<double>(to_millis(now)) / 1000;
  exposition out;
  auto per_processor = [&](const std::function<std::optional<double>(const document&)>& f) {
    std::vector<sample> samples;
    for (const document& p : snapshot) {
      if (auto v = f(p)) samples.push_back({{{"processor", p["name"].get<std::string>()}}, *v});
    }
    return samples;
  };
  auto field = [&](const char* key) {
    return per_processor([key](const document& p) { return number_of(p["stats"], key); });
  };

  out.family("reel_processor_running", "gauge",
             "1 when the processor runs, 0 when it is created, stopped or failed.",
             per_processor([](const document& p) -> std::optional<double> {
               return p["stats"].value("status", "") == "running" ? 1 : 0;
             }));
  out.family("reel_processor_failed", "gauge", "1 when the processor stopped on an error.",
             per_processor([](const document& p) -> std::optional<double> {
               return p["state"] == "FAILED" ? 1 : 0;
             }));
  struct counter {
    const char* name;
    const char* key;
    const char* help;
  };
  static const counter counters[] = {
      {"reel_processor_input_messages_total", "inputMessageCount",
       "Documents read from the processor's $source (stats().inputMessageCount)."},
      {"reel_processor_input_bytes_total", "inputMessageSize",
       "Bytes read from the processor's $source (stats().inputMessageSize)."},
      {"reel_processor_output_messages_total", "outputMessageCount",
       "Documents written to the processor's sink (stats().outputMessageCount)."},
      {"reel_processor_output_bytes_total", "outputMessageSize",
       "Bytes written to the processor's sink (stats().outputMessageSize)."},
      {"reel_processor_dlq_messages_total", "dlqMessageCount",
       "Documents sent to the dead letter queue (stats().dlqMessageCount)."},
      {"reel_processor_dlq_bytes_total", "dlqMessageSize",
       "Bytes of the documents sent to the dead letter queue (stats().dlqMessageSize)."},
      {"reel_processor_late_messages_total", "lateMessageCount",
       "Documents that arrived after their window closed (stats().lateMessageCount)."},
      {"reel_processor_filtered_messages_total", "filteredMessageCount",
       "Documents dropped by $match or $validate (stats().filteredMessageCount)."},
      {"reel_processor_checkpoints_total", "checkpointCount",
       "Checkpoints taken by the processor (stats().checkpointCount)."},
  };
  for (const counter& c : counters)
    out.family(c.name, "counter", c.help, field(c.key));

  {
    std::vector<sample> samples;
    for (const document& p : snapshot) {
      auto reasons = p["stats"].find("dlqMessageCountByReason");
      if (reasons == p["stats"].end()) continue;
      for (const auto& [reason, n] : reasons->items()) {
        samples.push_back(
            {{{"processor", p["name"].get<std::string>()}, {"reason", reason}}, n.get<double>()});
      }
    }
    out.family("reel_processor_dlq_messages_by_reason_total", "counter",
               "Documents sent to the dead letter queue since the server started, by reason (the "
               "error's id, or Atlas's reason text).",
               samples);
  }
  out.family("reel_processor_open_windows", "gauge",
             "Windows open in the processor (stats().openWindowCount).", field("openWindowCount"));
  out.family("reel_processor_state_bytes", "gauge",
             "Estimated bytes of the processor's window state (stats().stateSize).",
             field("stateSize"));
  out.family("reel_processor_watermark_seconds", "gauge",
             "The processor's watermark, in seconds since the Unix epoch.",
             per_processor([](const document& p) -> std::optional<double> {
               auto w = p["stats"].find("watermark");
               return w == p["stats"].end() ? std::nullopt : seconds_of(*w);
             }));
  out.family("reel_processor_watermark_lag_seconds", "gauge",
             "Processing time minus the processor's watermark.",
             per_processor([&](const document& p) -> std::optional<double> {
               auto w = p["stats"].find("watermark");
               if (w == p["stats"].end()) return std::nullopt;
               auto s = seconds_of(*w);
               return s ? std::optional<double>(now_seconds - *s) : std::nullopt;
             }));
  {
    std::vector<sample> lag;
    std::vector<sample> idle;
    for (const document& p : snapshot) {
      auto parts = p["stats"].find("partitions");
      if (parts == p["stats"].end() || !parts->is_array()) continue;
      for (const document& part : *parts) {
        const std::string partition = part.value("partition", "");
        const std::vector<std::pair<std::string, std::string>> labels = {
            {"processor", p["name"].get<std::string>()}, {"partition", partition}};
        if (auto w = part.find("watermark"); w != part.end()) {
          if (auto s = seconds_of(*w)) lag.push_back({labels, now_seconds - *s});
        }
        if (auto i = part.find("isIdle"); i != part.end() && i->is_boolean())
          idle.push_back({labels, i->get<bool>() ? 1.0 : 0.0});
      }
    }
    out.family("reel_processor_partition_watermark_lag_seconds", "gauge",
               "Processing time minus the watermark of one source partition.", lag);
    out.family("reel_processor_partition_idle", "gauge",
               "1 when the source partition is idle (it does not hold the watermark back).", idle);
  }
  {
    // Atlas's verbose `latency`, as a summary (its quantiles are over the processor's life).
    std::vector<sample> samples;
    for (const document& p : snapshot) {
      auto latency = p["stats"].find("latency");
      if (latency == p["stats"].end() || !latency->is_object()) continue;
      const std::string name = p["name"].get<std::string>();
      const auto seconds = [&](const char* key) {
        return latency->value(key, 0.0) / 1e6;  // microseconds
      };
      for (const auto& [quantile, key] : {std::pair{"0.5", "p50"}, std::pair{"0.9", "p90"},
                                          std::pair{"0.99", "p99"}, std::pair{"1", "max"}}) {
        samples.push_back({{{"processor", name}, {"quantile", quantile}}, seconds(key)});
      }
      samples.push_back({{{"processor", name}}, seconds("sum"), "_sum"});
      samples.push_back({{{"processor", name}}, latency->value("count", 0.0), "_count"});
    }
    out.family("reel_processor_latency_seconds", "summary",
               "Time from the read of a batch from the $source to the sink writes of its outputs, "
               "per output (stats({verbose: true}).latency).",
               samples);
  }
  {
    // Atlas's verbose `operatorStats`: `stage` is the operator's index there (the name alone can
    // repeat).
    struct operator_family {
      const char* name;
      const char* key;
      const char* help;
      double scale;
      std::vector<sample> samples;
    };
    operator_family families[] = {
        {"reel_operator_input_messages_total",
         "inputMessageCount",
         "Documents that reached the operator (operatorStats[].inputMessageCount).",
         1,
         {}},
        {"reel_operator_output_messages_total",
         "outputMessageCount",
         "Documents the operator passed on (operatorStats[].outputMessageCount).",
         1,
         {}},
        {"reel_operator_dlq_messages_total",
         "dlqMessageCount",
         "Documents the operator sent to the DLQ (operatorStats[].dlqMessageCount).",
         1,
         {}},
        {"reel_operator_execution_seconds_total",
         "executionTimeMillis",
         "Time spent in the operator, estimated from one event in 32 "
         "(operatorStats[].executionTimeMillis).",
         1e-3,
         {}},
    };
    for (const document& p : snapshot) {
      auto ops = p["stats"].find("operatorStats");
      if (ops == p["stats"].end() || !ops->is_array()) continue;
      const std::string name = p["name"].get<std::string>();
      const auto add = [&](const document& op, const std::string& stage) {
        for (operator_family& f : families) {
          if (auto v = number_of(op, f.key)) {
            f.samples.push_back(
                {{{"processor", name}, {"stage", stage}, {"operator", op.value("name", "")}},
                 *v * f.scale});
          }
        }
      };
      for (std::size_t i = 0; i < ops->size(); ++i)
        add((*ops)[i], std::to_string(i));
    }
    for (const operator_family& f : families)
      out.family(f.name, "counter", f.help, f.samples);
  }
  out.family("reel_processor_last_checkpoint_age_seconds", "gauge",
             "Processing time since the processor's last checkpoint (taken by this server).",
             per_processor([&](const document& p) -> std::optional<double> {
               auto t = p["stats"].find("lastCheckpointTime");
               if (t == p["stats"].end()) return std::nullopt;
               auto s = seconds_of(*t);
               return s ? std::optional<double>(now_seconds - *s) : std::nullopt;
             }));
  return out.take();
}

}  // namespace reel::serve
