// SPDX-License-Identifier: Apache-2.0
// `$https` against a real HTTP server started by the test (cpp-httplib on 127.0.0.1, a port the
// system chooses): answers, the request the server receives (method, path, query, headers,
// body, auth), errors to the DLQ with the status and a bounded body excerpt, timeouts, retries,
// non-JSON bodies, onError, and 64 calls in flight giving the results of a synchronous run.
// Timeouts are a few hundred milliseconds; the server's delays are its own, the pipeline never
// sleeps.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/connector/all.hpp>
#include <reel/https/https.hpp>
#include <reel/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "in_flight_order.hpp"
#include "local_server.hpp"

namespace {

using reel::json::document;

/// The pricing service of the tests, on its own threads (enough for 64 requests at once).
class pricing_server {
 public:
  pricing_server() {
    httplib::Server& server = local_.routes();
    // GET /price/<movie>?seats=N: {"movie", "amount": N × 3}; needs the bearer token.
    server.Get(R"(/price/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (req.get_header_value("Authorization") != "Bearer s3cret") {
        res.status = 401;
        res.set_content(R"({"error": "no token"})", "application/json");
        return;
      }
      const int seats = std::stoi(req.get_param_value("seats"));
      if (req.has_param("delayMs"))
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::stoi(req.get_param_value("delayMs"))));
      document answer{{"movie", std::string(req.matches[1])}, {"amount", seats * 3}};
      res.set_content(answer.dump(), "application/json");
    });
    // POST /echo: the body and what came with it.
    server.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      document answer{{"method", req.method},
                      {"body", document::parse(req.body)},
                      {"contentType", req.get_header_value("Content-Type")},
                      {"team", req.get_header_value("X-Team")},
                      {"trace", req.get_header_value("X-Trace")},
                      {"auth", req.get_header_value("Authorization")}};
      res.set_content(answer.dump(), "application/json; charset=utf-8");
    });
    // /status/<code>: that status and a long body.
    server.Get(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = std::stoi(req.matches[1]);
      res.set_content("nope " + std::string(1000, 'x'), "text/plain");
    });
    // /slow/N: answers after N ms.
    server.Get(R"(/slow/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(req.matches[1])));
      res.set_content(R"({"ok": true})", "application/json");
    });
    // /flaky?id=K: 503 for the first two requests of each K, then 200.
    server.Get("/flaky", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      int seen = 0;
      {
        std::lock_guard lock(mutex_);
        seen = ++flaky_[req.get_param_value("id")];
      }
      if (seen <= 2) {
        res.status = 503;
        res.set_content("busy", "text/plain");
        return;
      }
      res.set_content(R"({"attempt": )" + std::to_string(seen) + "}", "application/json");
    });
    server.Get("/text", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("hello", "text/plain");
    });
    server.Get("/jsontext", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(R"({"inner": "{\"a\": [1, 2]}", "n": 1})", "text/plain");
    });
    server.Get("/html", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("<html></html>", "text/html");
    });
    server.Get("/notjson", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("{\"truncated\": ", "application/json");
    });
    server.Get("/empty", [this](const httplib::Request& req, httplib::Response&) { record(req); });
    local_.start();
  }

  [[nodiscard]] std::string url() const { return local_.url(); }
  /// How many requests reached `path` (exactly).
  [[nodiscard]] int requests(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count(paths_.begin(), paths_.end(), path));
  }
  /// Every request's path and query as received, in arrival order.
  [[nodiscard]] std::vector<std::string> targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  void record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    paths_.push_back(req.path);
    targets_.push_back(req.target);
  }

  mutable std::mutex mutex_;
  std::vector<std::string> paths_;
  std::vector<std::string> targets_;
  std::map<std::string, int> flaky_;
  reel::test::local_http_server local_;  // last: its handlers stop before the rest goes
};

reel::connection_registry connections_for(const pricing_server& server,
                                          const std::vector<document>& input) {
  reel::connection_registry c = reel::default_connections();
  reel::https::register_connection_type(c);
  c.set_environment([](const std::string& name) -> std::optional<std::string> {
    if (name == "PRICING_TOKEN") return "s3cret";
    return std::nullopt;
  });
  c.add_connection("pricing",
                   {{"type", "https"},
                    {"url", server.url()},
                    {"headers", {{"X-Team", "box-office"}}},
                    {"auth", {{"type", "bearer"}, {"token", {{"$env", "PRICING_TOKEN"}}}}}},
                   "connections.json:/pricing");
  c.add_source("in", [input](const auto&) { return std::make_unique<reel::memory_source>(input); });
  return c;
}

using reel::test::run_result;

/// Runs `stages` after `$source` over `input` to its end.
run_result run(const pricing_server& server, const std::vector<document>& input,
               const document& stages, const document& source_options = document::object()) {
  return reel::test::run_pipeline(connections_for(server, input), stages, source_options);
}

std::string reason_of(const document& dlq_record) {
  return dlq_record["errInfo"]["reason"].get<std::string>();
}

}  // namespace

TEST_CASE("$https sends the path, parameters, headers and token, and adds the answer under as",
          "[https]") {
  pricing_server server;
  const run_result r =
      run(server, {{{"movie", "Dune"}, {"seats", 2}}, {{"movie", "Up 2"}, {"seats", 4}}},
          document::parse(R"([{"$https": {
      "connectionName": "pricing", "path": {"$concat": ["/price/", "$movie"]},
      "parameters": {"seats": "$seats", "unused": "$nothing"}, "as": "price"}}])"));
  REQUIRE(r.dead_letters.empty());
  REQUIRE(r.outputs.size() == 2);
  CHECK(r.outputs[0]["price"] == document{{"movie", "Dune"}, {"amount", 6}});
  CHECK(r.outputs[1]["price"] == document{{"movie", "Up 2"}, {"amount", 12}});
  // Encoded; parameters that are missing are left out.
  const std::vector<std::string> targets = server.targets();
  CHECK(std::count(targets.begin(), targets.end(), "/price/Up%202?seats=4") == 1);
  CHECK(r.stats["enrichment"][0]["operatorName"] == "HttpsOperator");
  CHECK(r.stats["enrichment"][0]["calls"] == 2);
  CHECK(r.stats["enrichment"][0]["retries"] == 0);
}

TEST_CASE("$https POSTs the payload pipeline's document as JSON with the connection's headers",
          "[https]") {
  pricing_server server;
  const run_result r = run(server, {{{"movie", "Dune"}, {"seats", 2}, {"secret", "x"}}},
                           document::parse(R"([{"$https": {
      "connectionName": "pricing", "method": "post", "path": "echo",
      "headers": {"X-Trace": {"$concat": ["t-", "$movie"]}},
      "payload": [{"$project": {"_id": 0, "movie": 1, "seats": 1}}], "as": "echo"}}])"));
  REQUIRE(r.outputs.size() == 1);
  const document& echo = r.outputs[0]["echo"];
  CHECK(echo["method"] == "POST");
  CHECK(echo["body"] == document{{"movie", "Dune"}, {"seats", 2}});
  CHECK(echo["contentType"] == "application/json");
  CHECK(echo["team"] == "box-office");
  CHECK(echo["trace"] == "t-Dune");
  CHECK(echo["auth"] == "Bearer s3cret");
}

TEST_CASE("$https bodies: text, JSON strings parsed on request, empty answers set nothing",
          "[https]") {
  pricing_server server;
  const run_result r = run(server, {{{"i", 1}}}, document::parse(R"([
      {"$https": {"connectionName": "pricing", "path": "/text", "as": "text"}},
      {"$https": {"connectionName": "pricing", "path": "/jsontext", "as": "raw"}},
      {"$https": {"connectionName": "pricing", "path": "/jsontext", "as": "parsed",
                  "config": {"parseJsonStrings": true}}},
      {"$https": {"connectionName": "pricing", "path": "/empty", "as": "nothing"}}])"));
  REQUIRE(r.dead_letters.empty());
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs[0]["text"] == "hello");
  CHECK(r.outputs[0]["raw"] == R"({"inner": "{\"a\": [1, 2]}", "n": 1})");
  CHECK(r.outputs[0]["parsed"] == document::parse(R"({"inner": {"a": [1, 2]}, "n": 1})"));
  CHECK_FALSE(r.outputs[0].contains("nothing"));
}

TEST_CASE("$https failures go to the DLQ with a stable id, the status and a bounded body excerpt",
          "[https]") {
  pricing_server server;
  auto failure = [&](const std::string& path, const std::string& config) {
    const run_result r =
        run(server, {{{"i", 1}}},
            document::parse(R"([{"$https": {
        "connectionName": "pricing", "path": ")" +
                            path + R"(", "as": "a", "config": )" + config + "}}]"));
    REQUIRE(r.outputs.empty());
    REQUIRE(r.dead_letters.size() == 1);
    CHECK(r.dead_letters[0]["doc"]["i"] == 1);
    CHECK(r.dead_letters[0]["operatorName"] == "HttpsOperator");
    return reason_of(r.dead_letters[0]);
  };
  const std::string at = "GET " + server.url();
  SECTION("a 404 is not retried") {
    const std::string reason = failure("/status/404", R"({"retryBackoffMs": 1})");
    CHECK(reason.rfind("[reel.https.status] " + at + " answered HTTP 404: nope xxx", 0) == 0);
    CHECK(reason.size() < 256 + 100);  // the 1005-byte body is cut
    CHECK(reason.substr(reason.size() - 3) == "\xE2\x80\xA6");
    CHECK(server.requests("/status/404") == 1);
  }
  SECTION("a 500 is retried, then fails") {
    const std::string reason = failure("/status/500", R"({"maxRetries": 2, "retryBackoffMs": 1})");
    CHECK(reason.rfind("[reel.https.status] " + at + " answered HTTP 500 (3 attempts): nope", 0) ==
          0);
    CHECK(server.requests("/status/500") == 3);
  }
  SECTION("a body that is not JSON") {
    CHECK(failure("/notjson", "{}") == "[reel.https.invalid_body] " + at +
                                           " answered a body that is not JSON: {\"truncated\": ");
  }
  SECTION("a content type that is neither JSON nor text") {
    CHECK(failure("/html", "{}") == "[reel.https.content_type] " + at +
                                        " answered content type 'text/html', not "
                                        "application/json or text/plain");
  }
  SECTION("no answer within requestTimeoutSec") {
    const auto started = std::chrono::steady_clock::now();
    CHECK(failure("/slow/400", R"({"requestTimeoutSec": 0.1, "maxRetries": 1,
                                       "retryBackoffMs": 1})") ==
          "[reel.https.timeout] " + at +
              " got no answer within 100 ms (requestTimeoutSec) (2 attempts)");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(390));
  }
}

namespace {

/// A port on 127.0.0.1 where connections are never made: its listener has a backlog of 0 and
/// one connection waiting, so Linux drops the SYN of every further connection.
class unanswered_port {
 public:
  unanswered_port() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof a;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), size) == 0);
    REQUIRE(::listen(listener_, 0) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &size) == 0);
    port_ = ntohs(a.sin_port);
    waiting_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(waiting_, reinterpret_cast<sockaddr*>(&a), size) == 0);
  }
  ~unanswered_port() {
    ::close(waiting_);
    ::close(listener_);
  }
  unanswered_port(const unanswered_port&) = delete;
  unanswered_port& operator=(const unanswered_port&) = delete;
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int listener_ = -1, waiting_ = -1, port_ = 0;
};

}  // namespace

TEST_CASE("$https says which timeout fired: no connection within connectionTimeoutSec", "[https]") {
  unanswered_port port;
  pricing_server server;
  reel::connection_registry c = connections_for(server, {{{"i", 1}}});
  c.add_connection("stuck", {{"type", "https"}, {"url", port.url()}});
  reel::json::stream_processor sp(document::parse(R"([{"$source": {"connectionName": "in"}},
      {"$https": {"connectionName": "stuck", "as": "a",
                  "config": {"connectionTimeoutSec": 0.2, "requestTimeoutSec": 5,
                             "maxRetries": 0}}}])"),
                                  c, {.name = "t", .stream_meta = false});
  std::vector<document> dlq;
  sp.on_dead_letter([&](const document& d) { dlq.push_back(d); });
  const auto started = std::chrono::steady_clock::now();
  (void)sp.process();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  REQUIRE(dlq.size() == 1);
  CHECK(reason_of(dlq[0]) == "[reel.https.timeout] GET " + port.url() +
                                 " got no connection within 200 ms (connectionTimeoutSec)");
}

TEST_CASE("$https connection errors are retried and then go to the DLQ", "[https]") {
  std::string closed_url;
  {
    pricing_server gone;  // a port that was just free
    closed_url = gone.url();
  }
  pricing_server server;
  reel::connection_registry c = connections_for(server, {{{"i", 1}}});
  c.add_connection("down", {{"type", "https"}, {"url", closed_url}});
  reel::json::stream_processor sp(document::parse(R"([{"$source": {"connectionName": "in"}},
      {"$https": {"connectionName": "down", "as": "a",
                  "config": {"maxRetries": 2, "retryBackoffMs": 1}}}])"),
                                  c, {.name = "t", .stream_meta = false});
  std::vector<document> dlq;
  sp.on_dead_letter([&](const document& d) { dlq.push_back(d); });
  (void)sp.process();
  REQUIRE(dlq.size() == 1);
  CHECK(reason_of(dlq[0]).rfind("[reel.https.connection] GET " + closed_url + " failed: ", 0) == 0);
  CHECK(reason_of(dlq[0]).find("(3 attempts)") != std::string::npos);
  CHECK(sp.stats()["enrichment"][0]["retries"] == 2);
}

TEST_CASE("$https retries 5xx answers with backoff and counts the retries", "[https]") {
  pricing_server server;
  std::vector<document> input;
  for (int i = 0; i < 10; ++i)
    input.push_back({{"id", i}});
  const run_result r = run(server, input, document::parse(R"([{"$https": {
      "connectionName": "pricing", "path": "/flaky", "parameters": {"id": "$id"}, "as": "a",
      "config": {"maxRetries": 3, "retryBackoffMs": 2}}}])"));
  REQUIRE(r.dead_letters.empty());
  REQUIRE(r.outputs.size() == 10);
  for (const document& d : r.outputs)
    CHECK(d["a"]["attempt"] == 3);
  CHECK(r.stats["enrichment"][0]["retries"] == 20);
  CHECK(server.requests("/flaky") == 30);
}

TEST_CASE("$https onError: ignore passes the document on, fail stops with a location", "[https]") {
  pricing_server server;
  const std::vector<document> input = {{{"i", 1}}};
  const run_result ignored = run(server, input, document::parse(R"([{"$https": {
      "connectionName": "pricing", "path": "/status/410", "as": "a", "onError": "ignore"}}])"));
  CHECK(ignored.dead_letters.empty());
  REQUIRE(ignored.outputs.size() == 1);
  CHECK(ignored.outputs[0]["i"] == 1);
  CHECK_FALSE(ignored.outputs[0].contains("a"));
  try {
    (void)run(server, input, document::parse(R"([{"$https": {
        "connectionName": "pricing", "path": "/status/400", "as": "a", "onError": "fail"}}])"));
    FAIL("onError: fail did not stop the processor");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.enrichment.failed");
    CHECK(std::string(e.what()).find("at /1/$https") != std::string::npos);
    CHECK(std::string(e.what()).find("answered HTTP 400") != std::string::npos);
  }
  // A request that cannot be made goes to the DLQ whatever onError says.
  const run_result rejected = run(server, input, document::parse(R"([{"$https": {
      "connectionName": "pricing", "path": "/text", "parameters": {"p": {"a": 1}}, "as": "a",
      "onError": "ignore"}}])"));
  REQUIRE(rejected.dead_letters.size() == 1);
  CHECK(reason_of(rejected.dead_letters[0]) ==
        "[reel.https.bad_request] the request could not be made: parameter 'p' evaluated to "
        "object, not a string, a number or a boolean");
}

TEST_CASE("$https with 64 calls in flight keeps input order and the windows of a synchronous run",
          "[https]") {
  pricing_server server;
  const reel::test::in_flight_case c = reel::test::in_flight_tickets(3);
  const std::vector<document>& input = c.input;
  const document https = document::parse(R"({"$https": {
      "connectionName": "pricing", "path": {"$concat": ["/price/", "$movie"]},
      "parameters": {"seats": "$seats", "delayMs": "$delayMs"}, "as": "price",
      "parallelism": 64}})");
  const run_result reference =
      run(server, input, document::array({c.computed, c.window}), c.source);
  const run_result called = run(server, input, document::array({https, c.window}), c.source);
  reel::test::check_same_windows(called, reference);

  // Without a window the documents come out in input order.
  const run_result ordered = run(server, input, document::array({https}));
  reel::test::check_input_order(ordered, input);
}

TEST_CASE("$https options and https connections are checked with located errors", "[https]") {
  pricing_server server;
  reel::connection_registry c = connections_for(server, {});
  c.add_connection("files", {{"type", "file"}, {"path", "x.ndjson"}});
  auto error_of = [&](const std::string& stage) {
    try {
      reel::json::pipeline_options o;
      o.connections = &c;
      (void)reel::json::compile_pipeline(document::parse("[" + stage + "]"), o);
    } catch (const reel::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(R"({"$https": {"connectionName": "pricing", "as": "a", "methd": "GET"}})") ==
        "[reel.pipeline.unknown_option] at /0/$https/methd: unknown option 'methd' of $https "
        "(did you mean 'method'?)");
  CHECK(error_of(R"({"$https": {"connectionName": "pricing", "as": "a", "method": "HEAD"}})") ==
        "[reel.pipeline.invalid_option] at /0/$https/method: method must be GET, POST, PUT, "
        "PATCH or DELETE");
  CHECK(error_of(R"({"$https": {"connectionName": "pricing"}})") ==
        "[reel.pipeline.invalid_option] at /0/$https: $https requires 'as' (the field the answer "
        "goes to)");
  CHECK(error_of(R"({"$https": {"connectionName": "pricing", "as": "a",
                                "config": {"requestTimeoutSec": 0}}})") ==
        "[reel.pipeline.invalid_option] at /0/$https/config/requestTimeoutSec: requestTimeoutSec "
        "must be a number of seconds above 0 (at most a day)");
  CHECK(error_of(R"({"$https": {"connectionName": "pricng", "as": "a"}})") ==
        "[reel.connection.unknown] at /0/$https/connectionName: no connection named 'pricng' "
        "(did you mean 'pricing'?)");
  CHECK(error_of(R"({"$https": {"connectionName": "files", "as": "a"}})") ==
        "[reel.connection.unsupported] at /0/$https/connectionName: connection 'files' of type "
        "'file' cannot be used by $https: it needs a connection of type 'https'");
  auto definition_error = [&](const document& definition) {
    try {
      c.add_connection("bad", definition, "connections.json:/bad");
    } catch (const reel::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(definition_error({{"type", "https"}, {"url", "ftp://x"}}) ==
        "[reel.connection.invalid] at connections.json:/bad/url: url must start with http:// or "
        "https://");
  CHECK(definition_error({{"type", "https"}}) ==
        "[reel.connection.invalid] at connections.json:/bad: needs 'url'");
  CHECK(
      definition_error({{"type", "https"}, {"url", "http://x"}, {"auth", {{"type", "digest"}}}}) ==
      "[reel.connection.invalid] at connections.json:/bad/auth/type: auth type must be "
      "\"bearer\", \"basic\" or \"header\"");
  CHECK(
      definition_error({{"type", "https"}, {"url", "http://x"}, {"hedaers", document::object()}}) ==
      "[reel.connection.invalid] at connections.json:/bad/hedaers: unknown field 'hedaers' of a "
      "https connection (did you mean 'headers'?)");
}
