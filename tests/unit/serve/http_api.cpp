// SPDX-License-Identifier: Apache-2.0
// reel serve's HTTP API: the sp.* round trips, statuses (400 located diagnostics, 401, 404,
// 409, 413), the token, /metrics against stats.
#include "serve/http_api.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include "serve/dashboard_assets.hpp"
#include "serve/metrics.hpp"
#include "serve_fixture.hpp"

namespace http_api_test {

using namespace serve_test;
using reel::serve::http_call;
using reel::serve::http_response;
using reel::serve::http_server;
using reel::serve::processor_host;
using reel::serve::server_options;

/// A host and its server on a free port of 127.0.0.1, serving on a thread.
struct running_server {
  processor_host host;
  http_server server;
  std::thread thread;
  std::string url;

  running_server(const fixture& fx, server_options o = {})
      : host(fx.options()), server(host, with_any_port(std::move(o))) {
    url = "http://127.0.0.1:" + std::to_string(server.port());
    thread = std::thread([this] { server.listen(); });
  }
  ~running_server() {
    server.stop();
    thread.join();
  }
  static server_options with_any_port(server_options o) {
    o.port = 0;
    return o;
  }
  http_response call(const std::string& method, const std::string& path,
                     const std::string& body = "", const std::string& token = "") const {
    // listen() may not have begun accepting yet: the socket is bound, so a call waits in the
    // backlog until it does.
    return http_call(url, method, path, body, token);
  }
};

document json_of(const http_response& r) {
  INFO(r.body);
  return document::parse(r.body);
}

TEST_CASE("http api: create, start, stats, sample, stop, list, modify and drop round trips",
          "[serve][http]") {
  fixture fx;
  running_server s(fx);
  http_response r = s.call("PUT", "/api/v1/processors/solar?file=solar.json", endless_pipeline());
  REQUIRE(r.status == 201);
  CHECK(json_of(r)["ok"] == 1);
  CHECK(json_of(r)["streamProcessor"]["state"] == "CREATED");

  r = s.call("GET", "/api/v1/processors");
  REQUIRE(r.status == 200);
  REQUIRE(json_of(r)["streamProcessors"].size() == 1);
  CHECK(json_of(r)["streamProcessors"][0]["name"] == "solar");

  REQUIRE(s.call("POST", "/api/v1/processors/solar/start").status == 200);
  CHECK(s.call("POST", "/api/v1/processors/solar/start").status == 409);
  REQUIRE(eventually([&] {
    return count_of(json_of(s.call("GET", "/api/v1/processors/solar/stats")),
                    "outputMessageCount") >= 20;
  }));
  const document stats = json_of(s.call("GET", "/api/v1/processors/solar/stats"));
  CHECK(stats["ok"] == 1);
  CHECK(stats["name"] == "solar");
  CHECK(stats["status"] == "running");
  for (const char* field :
       {"inputMessageCount", "inputMessageSize", "outputMessageCount", "outputMessageSize",
        "dlqMessageCount", "dlqMessageSize", "stateSize"}) {
    INFO(field);
    CHECK(stats.contains(field));
  }
  const document verbose = json_of(s.call("GET", "/api/v1/processors/solar/stats?verbose=true"));
  CHECK(verbose["dlqMessageCountByReason"].is_object());
  // Atlas's verbose figures: per operator, and the latency percentiles.
  REQUIRE(verbose["operatorStats"].is_array());
  CHECK(verbose["operatorStats"][0]["name"] == "SourceOperator");
  CHECK(verbose["operatorStats"].back()["name"] == "EmitOperator");
  CHECK(verbose["latency"]["unit"] == "microseconds");
  CHECK(verbose["latency"]["count"].get<std::uint64_t>() > 0);
  CHECK_FALSE(stats.contains("operatorStats"));
  CHECK_FALSE(stats.contains("latency"));

  r = s.call("GET", "/api/v1/processors/solar/sample?limit=3");
  REQUIRE(r.status == 200);
  CHECK(json_of(r)["messages"].size() == 3);
  CHECK(s.call("GET", "/api/v1/processors/solar/sample?limit=x").status == 400);

  r = s.call("GET", "/api/v1/processors/solar/explain");
  REQUIRE(r.status == 200);
  CHECK(json_of(r)["source"]["connectionName"] == "sample_stream_solar");

  REQUIRE(s.call("POST", "/api/v1/processors/solar/stop").status == 200);
  CHECK(json_of(s.call("GET", "/api/v1/processors/solar"))["streamProcessor"]["state"] ==
        "STOPPED");

  r = s.call("POST", "/api/v1/processors/solar/modify?resumeFromCheckpoint=false",
             bounded_window_pipeline(100));
  REQUIRE(r.status == 200);
  CHECK(json_of(r)["streamProcessor"]["pipeline"][1].contains("$tumblingWindow"));

  REQUIRE(s.call("DELETE", "/api/v1/processors/solar").status == 200);
  CHECK(json_of(s.call("GET", "/api/v1/processors"))["streamProcessors"].empty());
}

TEST_CASE("http api: a bad pipeline is a 400 with reel check's located diagnostics",
          "[serve][http]") {
  fixture fx;
  running_server s(fx);
  const http_response r = s.call("PUT", "/api/v1/processors/bad?file=bad.json",
                                 R"([{"$source": {"connectionName": "sample_stream_solar"}},
                                     {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
                                       "pipeline": [{"$group": {"_id": 1, "n": {"$summ": 1}}}]}}])");
  REQUIRE(r.status == 400);
  const document body = json_of(r);
  CHECK(body["ok"] == 0);
  CHECK(body["code"] == "reel.pipeline.unknown_operator");
  REQUIRE(body["diagnostics"].size() == 1);
  CHECK(body["diagnostics"][0]["where"] == "bad.json:/1/$tumblingWindow/pipeline/0/$group/n");
  // errmsg is the line `reel check bad.json` prints.
  CHECK(body["errmsg"].get<std::string>().starts_with(
      "[reel.pipeline.unknown_operator] at bad.json:/1/$tumblingWindow/pipeline/0/$group/n: "));
  CHECK_THAT(body["errmsg"].get<std::string>(), Catch::Contains("did you mean '$sum'?"));
  CHECK(json_of(s.call("GET", "/api/v1/processors"))["streamProcessors"].empty());
}

TEST_CASE("http api: unknown names and routes are 404", "[serve][http]") {
  fixture fx;
  running_server s(fx);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/processors/nope"},
                                                        {"GET", "/api/v1/processors/nope/stats"},
                                                        {"GET", "/api/v1/processors/nope/sample"},
                                                        {"POST", "/api/v1/processors/nope/start"},
                                                        {"POST", "/api/v1/processors/nope/stop"},
                                                        {"DELETE", "/api/v1/processors/nope"},
                                                        {"GET", "/api/v1/nothing"}}) {
    INFO(method << " " << path);
    const http_response r = s.call(method, path);
    CHECK(r.status == 404);
    CHECK(json_of(r)["ok"] == 0);
  }
  CHECK(json_of(s.call("GET", "/api/v1/processors/nope"))["code"] == "reel.serve.not_found");
}

TEST_CASE("http api: with a token every call needs it, else 401", "[serve][http]") {
  fixture fx;
  server_options o;
  o.token = "s3cret-token";
  running_server s(fx, o);
  for (const char* path : {"/api/v1/processors", "/metrics", "/api/v1/processors/x/stats"}) {
    INFO(path);
    const http_response missing = s.call("GET", path);
    CHECK(missing.status == 401);
    CHECK(json_of(missing)["code"] == "reel.serve.unauthorized");
    CHECK(s.call("GET", path, "", "wrong-token").status == 401);
  }
  // The dashboard's files hold no data: the page loads without the token, then asks for it.
  const http_response page = s.call("GET", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("/dashboard/dashboard.js") != std::string::npos);
  CHECK(s.call("GET", "/dashboard/dashboard.js").status == 200);
  CHECK(s.call("GET", "/api/v1/processors/x/dlq").status == 401);
  CHECK(s.call("PUT", "/api/v1/processors/solar", endless_pipeline()).status == 401);
  CHECK(s.call("GET", "/api/v1/processors", "", "s3cret-token").status == 200);
  CHECK(s.call("PUT", "/api/v1/processors/solar", endless_pipeline(), "s3cret-token").status ==
        201);
}

TEST_CASE("http api: the dashboard's embedded files are served with their types",
          "[serve][http][dashboard]") {
  for (const auto& asset : reel::serve::dashboard_assets()) {
    INFO(asset.name);
    CHECK_FALSE(asset.bytes.empty());
  }
  const auto* script = reel::serve::find_dashboard_asset("dashboard.js");
  REQUIRE(script != nullptr);
  CHECK(script->content_type.starts_with("text/javascript"));
  CHECK(reel::serve::find_dashboard_asset("nope.js") == nullptr);

  fixture fx;
  running_server s(fx);
  const http_response page = s.call("GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.headers.at("Content-Type").starts_with("text/html"));
  CHECK(page.headers.at("Content-Security-Policy") == "default-src 'self'");
  CHECK(page.body == std::string(reel::serve::find_dashboard_asset("index.html")->bytes));
  const http_response css = s.call("GET", "/dashboard/dashboard.css");
  REQUIRE(css.status == 200);
  CHECK(css.headers.at("Content-Type").starts_with("text/css"));
  CHECK(css.body == std::string(reel::serve::find_dashboard_asset("dashboard.css")->bytes));
  CHECK(s.call("GET", "/dashboard/missing.js").status == 404);
  CHECK(s.call("GET", "/dashboard/../metrics").status == 404);

  // The DLQ records the page shows.
  REQUIRE(s.call("PUT", "/api/v1/processors/bad",
                 R"([{"$source": {"documents": [{"a": 1}, {"a": 2}]}},
                     {"$validate": {"validator": {"a": 0}, "validationAction": "dlq"}}])")
              .status == 201);
  REQUIRE(s.call("POST", "/api/v1/processors/bad/start").status == 200);
  REQUIRE(eventually([&] {
    return count_of(json_of(s.call("GET", "/api/v1/processors/bad/stats")), "dlqMessageCount") == 2;
  }));
  const document records = json_of(s.call("GET", "/api/v1/processors/bad/dlq?limit=1"));
  REQUIRE(records["records"].size() == 1);
  CHECK(records["records"][0]["doc"]["a"] == 2);
  CHECK(s.call("GET", "/api/v1/processors/bad/dlq?limit=x").status == 400);
  CHECK(s.call("GET", "/api/v1/processors/nope/dlq").status == 404);
}

TEST_CASE("http api: listening beyond the loopback needs a token", "[serve][http]") {
  CHECK(reel::serve::is_loopback("127.0.0.1"));
  CHECK(reel::serve::is_loopback("127.1.2.3"));
  CHECK(reel::serve::is_loopback("::1"));
  CHECK(reel::serve::is_loopback("localhost"));
  CHECK_FALSE(reel::serve::is_loopback("0.0.0.0"));
  CHECK_FALSE(reel::serve::is_loopback("192.168.1.10"));
  fixture fx;
  processor_host host(fx.options());
  server_options o;
  o.host = "0.0.0.0";
  o.port = 0;
  try {
    http_server server(host, o);
    FAIL("no error");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.serve.token_required");
  }
}

TEST_CASE("http api: a stop that comes before the server listens is not lost", "[serve][http]") {
  fixture fx;
  processor_host host(fx.options());
  for (int i = 0; i < 20; ++i) {
    http_server server(host, running_server::with_any_port({}));
    std::thread thread([&] { server.listen(); });
    server.stop();  // before, while or after listen() begins: listen() returns
    thread.join();
    http_server stopped_first(host, running_server::with_any_port({}));
    stopped_first.stop();
    stopped_first.listen();  // returns at once
  }
  SUCCEED("every listen() returned");
}

TEST_CASE("http api: a body over the limit is a 413", "[serve][http]") {
  fixture fx;
  server_options o;
  o.max_body_bytes = 1024;
  running_server s(fx, o);
  const std::string big = "[" + std::string(4096, ' ') + "]";
  const http_response r = s.call("PUT", "/api/v1/processors/big", big);
  CHECK(r.status == 413);
  CHECK(json_of(s.call("GET", "/api/v1/processors"))["streamProcessors"].empty());
  CHECK(s.call("PUT", "/api/v1/processors/small", endless_pipeline()).status == 201);
}

/// `name{labels} value` lines of the text format; every other line is a comment.
struct metric_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

std::vector<metric_sample> parse_exposition(const std::string& text) {
  static const std::regex line_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex label_re(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  static const std::regex type_re(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary)$)");
  std::vector<metric_sample> out;
  std::istringstream lines(text);
  std::string line;
  std::set<std::string> typed;
  while (std::getline(lines, line)) {
    INFO(line);
    if (line.starts_with("# HELP ")) continue;
    std::smatch m;
    if (line.starts_with("#")) {
      REQUIRE(std::regex_match(line, m, type_re));
      typed.insert(m[1]);
      continue;
    }
    REQUIRE(std::regex_match(line, m, line_re));
    metric_sample s{m[1], {}, std::stod(m[4])};
    // TYPE comes before the samples (a summary's `_sum` and `_count` are of its family).
    const std::string family = std::regex_replace(s.name, std::regex("_(sum|count)$"), "");
    CHECK((typed.count(s.name) == 1 || typed.count(family) == 1));
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label_re);
         it != std::sregex_iterator(); ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    out.push_back(std::move(s));
  }
  return out;
}

const metric_sample* find_metric(const std::vector<metric_sample>& all, const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
  for (const auto& s : all) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

TEST_CASE("http api: /metrics is the text exposition format, with the figures of stats",
          "[serve][http][metrics]") {
  fixture fx;
  reel::manual_clock clock(reel::parse_iso8601("2024-08-12T23:00:00Z").value());
  // The clock is manual: the processor's processing time stands still, so it checkpoints at
  // the end of its input only, and the lags are exact.
  struct manual_server : running_server {
    using running_server::running_server;
  };
  reel::serve::host_options options = fx.options();
  options.clock = &clock;
  processor_host host(std::move(options));
  http_server server(host, running_server::with_any_port({}));
  std::thread thread([&] { server.listen(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());

  host.create("windows", bounded_window_pipeline(300));
  host.create("idle", endless_pipeline());
  host.start("windows");
  REQUIRE(eventually([&] { return host.describe("windows")["state"] == "STOPPED"; }));
  const document stats = host.stats("windows", true);

  const http_response r = http_call(url, "GET", "/metrics");
  server.stop();
  thread.join();
  REQUIRE(r.status == 200);
  const std::vector<metric_sample> all = parse_exposition(r.body);
  const std::map<std::string, std::string> windows = {{"processor", "windows"}};
  const std::map<std::string, std::string> idle = {{"processor", "idle"}};
  auto value = [&](const std::string& name, const std::map<std::string, std::string>& labels) {
    const metric_sample* s = find_metric(all, name, labels);
    INFO(name);
    REQUIRE(s != nullptr);
    return s->value;
  };
  CHECK(value("reel_processor_input_messages_total", windows) == 300);
  CHECK(value("reel_processor_input_messages_total", windows) ==
        stats["inputMessageCount"].get<double>());
  CHECK(value("reel_processor_input_bytes_total", windows) ==
        stats["inputMessageSize"].get<double>());
  CHECK(value("reel_processor_output_messages_total", windows) ==
        stats["outputMessageCount"].get<double>());
  CHECK(value("reel_processor_dlq_messages_total", windows) ==
        stats["dlqMessageCount"].get<double>());
  CHECK(value("reel_processor_open_windows", windows) == stats["openWindowCount"].get<double>());
  CHECK(value("reel_processor_state_bytes", windows) == stats["stateSize"].get<double>());
  CHECK(value("reel_processor_checkpoints_total", windows) ==
        stats["checkpointCount"].get<double>());
  CHECK(value("reel_processor_running", windows) == 0);
  CHECK(value("reel_processor_running", idle) == 0);
  // A processor that never ran has no figures yet, only its state.
  CHECK(find_metric(all, "reel_processor_input_messages_total", idle) == nullptr);

  const auto now_ms = reel::to_millis(clock.now());
  const auto watermark_ms = reel::json::detail::relaxed_date_millis(stats["watermark"]).value();
  CHECK(value("reel_processor_watermark_seconds", windows) ==
        Approx(static_cast<double>(watermark_ms) / 1000));
  CHECK(value("reel_processor_watermark_lag_seconds", windows) ==
        Approx(static_cast<double>(now_ms - watermark_ms) / 1000));
  REQUIRE(stats["partitions"].size() == 1);
  const std::string partition = stats["partitions"][0]["partition"].get<std::string>();
  const auto partition_ms =
      reel::json::detail::relaxed_date_millis(stats["partitions"][0]["watermark"]).value();
  CHECK(value("reel_processor_partition_watermark_lag_seconds",
              {{"processor", "windows"}, {"partition", partition}}) ==
        Approx(static_cast<double>(now_ms - partition_ms) / 1000));
  // The last checkpoint was taken at the end of the input, at the clock's time.
  CHECK(value("reel_processor_last_checkpoint_age_seconds", windows) == 0);

  // Verbose stats: the latency summary and the per-operator counters.
  CHECK(value("reel_processor_latency_seconds_count", windows) ==
        stats["latency"]["count"].get<double>());
  CHECK(value("reel_processor_latency_seconds", {{"processor", "windows"}, {"quantile", "0.99"}}) ==
        Approx(stats["latency"]["p99"].get<double>() / 1e6));
  const document& ops = stats["operatorStats"];
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::map<std::string, std::string> labels = {
        {"processor", "windows"},
        {"stage", std::to_string(i)},
        {"operator", ops[i]["name"].get<std::string>()}};
    CHECK(value("reel_operator_input_messages_total", labels) ==
          ops[i]["inputMessageCount"].get<double>());
    CHECK(value("reel_operator_dlq_messages_total", labels) ==
          ops[i]["dlqMessageCount"].get<double>());
  }
  CHECK(value("reel_operator_input_messages_total",
              {{"processor", "windows"}, {"stage", "0"}, {"operator", "SourceOperator"}}) == 300);
}

TEST_CASE("metrics: label values are escaped, DLQ records are counted by reason",
          "[serve][metrics]") {
  std::vector<document> snapshot = {
      {{"name", "we\"ird\\name\n"},
       {"state", "FAILED"},
       {"stats",
        {{"status", "failed"},
         {"inputMessageCount", 7},
         {"dlqMessageCountByReason",
          {{"Input document arrived late.", 2}, {"reel.expression.type", 1}}}}}}};
  const std::string text =
      reel::serve::prometheus_text(snapshot, reel::parse_iso8601("2024-01-01T00:00:00Z").value());
  CHECK_THAT(text,
             Catch::Contains(
                 "reel_processor_input_messages_total{processor=\"we\\\"ird\\\\name\\n\"} 7\n"));
  CHECK_THAT(text,
             Catch::Contains("reel_processor_failed{processor=\"we\\\"ird\\\\name\\n\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("reel_processor_dlq_messages_by_reason_total{processor="
                                   "\"we\\\"ird\\\\name\\n\",reason=\"Input document arrived "
                                   "late.\"} 2\n"));
  const std::vector<metric_sample> all = parse_exposition(text);
  CHECK(all.size() == 5);  // running, failed, input, and two reasons
}

}  // namespace http_api_test
