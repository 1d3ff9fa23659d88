// SPDX-License-Identifier: Apache-2.0
// `$externalFunction` on `aws_lambda` connections against a local endpoint that answers like
// Lambda's Invoke API and checks each request's SigV4 signature as AWS does
// (sigv4_verifier.hpp, itself checked against AWS's published test vectors): answers under
// `as`, Event invocations, function errors, throttling retried, 4xx to the DLQ with Lambda's
// error type and a bounded excerpt, a wrong secret refused with 403, and 64 calls in flight
// giving the results of a synchronous run. The pipeline never sleeps; the server's delays are
// its own.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <reel/connector/all.hpp>
#include <reel/https/https.hpp>
#include <reel/json.hpp>

#include "in_flight_order.hpp"
#include "local_server.hpp"
#include "sigv4_verifier.hpp"

namespace {

using reel::json::document;
using std::chrono::system_clock;

// AWS's SigV4 test suite: credentials, date and scope of every vector.
constexpr const char* suite_key_id = "AKIDEXAMPLE";
constexpr const char* suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* suite_date = "20150830T123600Z";

reel::test::aws_identity suite_identity() {
  return {suite_key_id, suite_secret, "", "us-east-1", "service"};
}

system_clock::time_point suite_time() {
  return *reel::test::detail::parse_amz_date(suite_date);
}

/// A request of the test suite as a server receives it.
httplib::Request suite_request(const std::string& method, const std::string& target,
                               const std::string& signature) {
  httplib::Request req;
  req.method = method;
  req.target = target;
  req.headers.emplace("Host", "example.amazonaws.com");
  req.headers.emplace("X-Amz-Date", suite_date);
  req.headers.emplace("Authorization",
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                      "aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
                          signature);
  return req;
}

constexpr const char* get_vanilla =
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
constexpr const char* post_vanilla =
    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
constexpr const char* get_vanilla_query_order_key_case =
    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";

constexpr const char* key_id = "AKIDREELLAMBDA";
constexpr const char* secret = "reel/lambda+secret";
constexpr const char* token = "session/token+value=";

/// Lambda's Invoke API on 127.0.0.1, checking signatures for `key_id`/`secret`/`token` in
/// us-east-1. Functions: `price` (any qualifier: `price:prod`) answers {movie, amount: seats × 3}
/// after the payload's `delayMs`; `crash` fails (X-Amz-Function-Error); `busy` is throttled
/// (429) on the first call of each payload `id`; `always-busy` always; `nothing` answers null;
/// `text` answers a body that is not JSON; `bad` is a 400; anything else does not exist (404).
class fake_lambda {
 public:
  fake_lambda() {
    local_.routes().Post(
        R"(/2015-03-31/functions/([^/]+)/invocations)",
        [this](const httplib::Request& req, httplib::Response& res) { invoke(req, res); });
    local_.start();
  }

  [[nodiscard]] std::string url() const { return local_.url(); }

  struct call {
    std::string function, invocation_type, target;
    document payload;
  };
  [[nodiscard]] std::vector<call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  [[nodiscard]] int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  static void error(httplib::Response& res, int status, const std::string& type,
                    const std::string& message) {
    res.status = status;
    res.set_header("x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazonaws/");
    res.set_content(document{{"Type", "User"}, {"message", message}}.dump(), "application/json");
  }

  void invoke(const httplib::Request& req, httplib::Response& res) {
    const reel::test::aws_identity identity{key_id, secret, token, "us-east-1", "lambda"};
    if (auto refusal = reel::test::verify_sigv4(req, identity, system_clock::now())) {
      {
        std::lock_guard lock(mutex_);
        ++refused_;
      }
      error(res, 403, refusal->type, refusal->message);
      return;
    }
    const std::string function = req.matches[1];
    const std::string type = req.get_header_value("X-Amz-Invocation-Type");
    const document payload = document::parse(req.body);
    int seen = 0;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({function, type, req.target, payload});
      if (payload.contains("id")) seen = ++seen_[function + "/" + payload["id"].dump()];
    }
    const std::string name = function.substr(0, function.find(':'));
    if (name == "busy" && seen == 1) {
      error(res, 429, "TooManyRequestsException", "Rate Exceeded.");
      return;
    }
    if (name == "always-busy") {
      error(res, 429, "TooManyRequestsException", "Rate Exceeded.");
      return;
    }
    if (name == "bad") {
      error(res, 400, "InvalidRequestContentException", "Could not parse request body into json");
      return;
    }
    const bool known =
        name == "price" || name == "crash" || name == "busy" || name == "nothing" || name == "text";
    if (!known) {
      error(res, 404, "ResourceNotFoundException",
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:" + function);
      return;
    }
    if (type == "Event") {
      res.status = 202;
      return;
    }
    if (type != "RequestResponse") {
      error(res, 400, "InvalidParameterValueException", "bad invocation type " + type);
      return;
    }
    res.set_header("X-Amz-Executed-Version", "$LATEST");
    if (name == "crash") {
      res.set_header("X-Amz-Function-Error", "Unhandled");
      res.set_content(
          document{{"errorType", "Error"}, {"errorMessage", "boom " + std::string(400, 'x')}}
              .dump(),
          "application/json");
    } else if (name == "nothing") {
      res.set_content("null", "application/json");
    } else if (name == "text") {
      res.set_content("not json", "application/json");
    } else {
      if (payload.contains("delayMs"))
        std::this_thread::sleep_for(std::chrono::milliseconds(payload["delayMs"].get<int>()));
      const int seats = payload.value("seats", 1);
      res.set_content(document{{"movie", payload.value("movie", "")}, {"amount", seats * 3}}.dump(),
                      "application/json");
    }
  }

  mutable std::mutex mutex_;
  std::vector<call> calls_;
  std::map<std::string, int> seen_;
  int refused_ = 0;
  reel::test::local_http_server local_;  // last: its handlers stop before the rest goes
};

reel::connection_registry connections_for(const fake_lambda& server,
                                          const std::vector<document>& input,
                                          const std::string& secret_value = secret) {
  reel::connection_registry c = reel::default_connections();
  reel::https::register_connection_type(c);
  c.set_environment([secret_value](const std::string& name) -> std::optional<std::string> {
    if (name == "LAMBDA_KEY_ID") return std::string(key_id);
    if (name == "LAMBDA_SECRET") return secret_value;
    if (name == "LAMBDA_TOKEN") return std::string(token);
    return std::nullopt;
  });
  c.add_connection("fn",
                   {{"type", "aws_lambda"},
                    {"region", "us-east-1"},
                    {"endpoint", server.url()},
                    {"accessKeyId", {{"$env", "LAMBDA_KEY_ID"}}},
                    {"secretAccessKey", {{"$env", "LAMBDA_SECRET"}}},
                    {"sessionToken", {{"$env", "LAMBDA_TOKEN"}}},
                    {"maxRetries", 2},
                    {"retryBackoffMs", 1}},
                   "connections.json:/fn");
  c.add_source("in", [input](const auto&) { return std::make_unique<reel::memory_source>(input); });
  return c;
}

using reel::test::run_result;

run_result run(const reel::connection_registry& connections, const document& stages,
               const document& source_options = document::object()) {
  return reel::test::run_pipeline(connections, stages, source_options);
}

run_result run(const fake_lambda& server, const std::vector<document>& input,
               const std::string& stages) {
  return run(connections_for(server, input), document::parse(stages));
}

/// `d` without the event time the processor wrote into it (processing time: no `timeField`).
document without_ts(document d) {
  d.erase("_ts");
  return d;
}

std::vector<document> without_ts(std::vector<document> docs) {
  for (document& d : docs)
    d.erase("_ts");
  return docs;
}

std::string reason_of(const document& dlq_record) {
  return dlq_record["errInfo"]["reason"].get<std::string>();
}

}  // namespace

TEST_CASE("the SigV4 verifier accepts AWS's signed test-suite requests and refuses changed ones",
          "[lambda][sigv4]") {
  using reel::test::verify_sigv4;
  CHECK_FALSE(verify_sigv4(suite_request("GET", "/", get_vanilla), suite_identity(), suite_time()));
  CHECK_FALSE(
      verify_sigv4(suite_request("POST", "/", post_vanilla), suite_identity(), suite_time()));
  CHECK_FALSE(verify_sigv4(
      suite_request("GET", "/?Param2=value2&Param1=value1", get_vanilla_query_order_key_case),
      suite_identity(), suite_time()));
  // The pieces it uses, one by one, on get-vanilla (the suite's .creq, .sts and signature).
  reel::aws::sigv4_request r;
  r.method = "GET";
  r.canonical_uri = reel::aws::canonical_uri("/");
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", suite_date}};
  r.payload_hash = reel::aws::sha256_hex("");
  r.amz_date = suite_date;
  r.region = "us-east-1";
  r.service = "service";
  r.access_key_id = suite_key_id;
  r.secret_access_key = suite_secret;
  CHECK(reel::aws::canonical_request(r) ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(reel::aws::string_to_sign(r) ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(reel::aws::signature(r) == get_vanilla);
  CHECK(reel::aws::amz_date(suite_time()) == suite_date);
  // Segments of a path are encoded once more for services other than S3.
  CHECK(reel::aws::canonical_uri("/2015-03-31/functions/f%3Aprod/invocations") ==
        "/2015-03-31/functions/f%253Aprod/invocations");

  // Anything changed after signing is refused, as AWS refuses it.
  auto changed = suite_request("POST", "/", post_vanilla);
  changed.body = "{}";
  auto refusal = verify_sigv4(changed, suite_identity(), suite_time());
  REQUIRE(refusal);
  CHECK(refusal->type == "InvalidSignatureException");
  changed = suite_request("GET", "/?Param2=value2&Param1=value3", get_vanilla_query_order_key_case);
  CHECK(verify_sigv4(changed, suite_identity(), suite_time()));
  auto other_secret = suite_identity();
  other_secret.secret_access_key = "not the secret";
  CHECK(verify_sigv4(suite_request("GET", "/", get_vanilla), other_secret, suite_time())->type ==
        "InvalidSignatureException");
  auto other_key = suite_identity();
  other_key.access_key_id = "AKIDOTHER";
  CHECK(verify_sigv4(suite_request("GET", "/", get_vanilla), other_key, suite_time())->type ==
        "UnrecognizedClientException");
  CHECK(verify_sigv4(suite_request("GET", "/", get_vanilla), suite_identity(),
                     suite_time() + std::chrono::minutes(6))
            ->message == "Signature expired: 20150830T123600Z");
}

TEST_CASE("$externalFunction invokes a Lambda function with a signed request and adds its answer",
          "[lambda]") {
  fake_lambda server;
  const run_result r = run(
      server, {{{"movie", "Dune"}, {"seats", 2}, {"secret", "x"}}, {{"movie", "Up"}, {"seats", 4}}},
      R"([{"$externalFunction": {
      "connectionName": "fn", "functionName": "price:prod", "as": "price",
      "payload": [{"$project": {"_id": 0, "movie": 1, "seats": 1}}]}}])");
  REQUIRE(r.dead_letters.empty());
  REQUIRE(r.outputs.size() == 2);
  CHECK(r.outputs[0]["price"] == document{{"movie", "Dune"}, {"amount", 6}});
  CHECK(r.outputs[1]["price"] == document{{"movie", "Up"}, {"amount", 12}});
  CHECK(server.refused() == 0);
  auto calls = server.calls();
  REQUIRE(calls.size() == 2);
  // The calls run at once: they may arrive in either order.
  std::sort(calls.begin(), calls.end(),
            [](const auto& a, const auto& b) { return a.payload["seats"] < b.payload["seats"]; });
  // The qualifier's ':' is sent encoded (and signed encoded twice); the payload is the body.
  CHECK(calls[0].target == "/2015-03-31/functions/price%3Aprod/invocations");
  CHECK(calls[0].function == "price:prod");
  CHECK(calls[0].invocation_type == "RequestResponse");
  CHECK(calls[0].payload == document{{"movie", "Dune"}, {"seats", 2}});
  CHECK(calls[1].payload == document{{"movie", "Up"}, {"seats", 4}});
  CHECK(r.stats["enrichment"][0]["operatorName"] == "ExternalFunctionOperator");
  CHECK(r.stats["enrichment"][0]["calls"] == 2);
}

TEST_CASE("$externalFunction with execution async sends Event invocations and passes documents on",
          "[lambda]") {
  fake_lambda server;
  const run_result r = run(server, {{{"i", 1}}, {{"i", 2}}}, R"([{"$externalFunction": {
      "connectionName": "fn", "functionName": "crash", "execution": "async"}}])");
  REQUIRE(r.dead_letters.empty());
  CHECK(without_ts(r.outputs) == std::vector<document>{{{"i", 1}}, {{"i", 2}}});
  const auto calls = server.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].invocation_type == "Event");
  CHECK(calls[1].invocation_type == "Event");
  // onError applies to the API's refusals in async mode too (Atlas): a missing function.
  const run_result missing = run(server, {{{"i", 1}}}, R"([{"$externalFunction": {
      "connectionName": "fn", "functionName": "gone", "execution": "async"}}])");
  REQUIRE(missing.dead_letters.size() == 1);
  CHECK(reason_of(missing.dead_letters[0])
            .rfind("[reel.lambda.status] Invoke of Lambda function 'gone' answered HTTP 404 "
                   "ResourceNotFoundException: {\"Type\":\"User\",\"message\":\"Function not "
                   "found: ",
                   0) == 0);
}

TEST_CASE("Lambda failures go to the DLQ with a stable id, Lambda's error type and an excerpt",
          "[lambda]") {
  fake_lambda server;
  auto failure = [&](const std::string& function, std::size_t expected_calls = 1) {
    const std::size_t before = server.calls().size();
    const run_result r =
        run(server, {{{"id", 7}}},
            R"([{"$externalFunction": {"connectionName": "fn", "functionName": ")" + function +
                R"(", "as": "a"}}])");
    REQUIRE(r.outputs.empty());
    REQUIRE(r.dead_letters.size() == 1);
    CHECK(without_ts(r.dead_letters[0]["doc"]) == document{{"id", 7}});
    CHECK(r.dead_letters[0]["operatorName"] == "ExternalFunctionOperator");
    CHECK(server.calls().size() - before == expected_calls);
    return reason_of(r.dead_letters[0]);
  };
  SECTION("a function error (X-Amz-Function-Error with a 200), cut to 256 bytes") {
    const std::string reason = failure("crash");
    CHECK(reason.rfind("[reel.lambda.function_error] Lambda function 'crash' failed (Unhandled): "
                       "{\"errorType\":\"Error\",\"errorMessage\":\"boom xxx",
                       0) == 0);
    CHECK(reason.size() < 256 + 100);
    CHECK(reason.substr(reason.size() - 3) == "\xE2\x80\xA6");
  }
  SECTION("a 404 and a 400 are not retried") {
    CHECK(failure("missing").rfind("[reel.lambda.status] Invoke of Lambda function 'missing' "
                                   "answered HTTP 404 ResourceNotFoundException: ",
                                   0) == 0);
    CHECK(failure("bad") ==
          "[reel.lambda.status] Invoke of Lambda function 'bad' answered HTTP 400 "
          "InvalidRequestContentException: {\"Type\":\"User\",\"message\":\"Could not parse "
          "request body into json\"}");
  }
  SECTION("throttling that lasts, after the retries") {
    CHECK(failure("always-busy", 3) ==
          "[reel.lambda.throttled] Invoke of Lambda function 'always-busy' answered HTTP 429 "
          "TooManyRequestsException (3 attempts): {\"Type\":\"User\",\"message\":\"Rate "
          "Exceeded.\"}");
  }
  SECTION("an answer that is not JSON") {
    CHECK(failure("text") ==
          "[reel.lambda.invalid_body] Lambda function 'text' answered a body that is not JSON: "
          "not json");
  }
}

TEST_CASE("throttled Lambda calls are retried with backoff, and a null answer sets nothing",
          "[lambda]") {
  fake_lambda server;
  std::vector<document> input;
  for (int i = 0; i < 8; ++i)
    input.push_back({{"id", i}, {"seats", i}});
  const run_result r = run(server, input, R"([
      {"$externalFunction": {"connectionName": "fn", "functionName": "busy", "as": "a"}},
      {"$externalFunction": {"connectionName": "fn", "functionName": "nothing", "as": "n"}}])");
  REQUIRE(r.dead_letters.empty());
  REQUIRE(r.outputs.size() == 8);
  for (int i = 0; i < 8; ++i) {
    CHECK(r.outputs[i]["id"] == i);
    CHECK(r.outputs[i]["a"]["amount"] == 3 * i);
    CHECK_FALSE(r.outputs[i].contains("n"));
  }
  const auto calls = server.calls();
  CHECK(std::count_if(calls.begin(), calls.end(),
                      [](const auto& c) { return c.function == "busy"; }) == 16);
}

TEST_CASE("a wrong secret is refused by the endpoint with 403, as AWS refuses it", "[lambda]") {
  fake_lambda server;
  const auto connections = connections_for(server, {{{"i", 1}}}, "not the secret");
  const run_result r = run(connections, document::parse(R"([{"$externalFunction": {
      "connectionName": "fn", "functionName": "price", "as": "a", "onError": "dlq"}}])"));
  REQUIRE(r.dead_letters.size() == 1);
  CHECK(reason_of(r.dead_letters[0])
            .rfind("[reel.lambda.status] Invoke of Lambda function 'price' answered HTTP 403 "
                   "InvalidSignatureException (check the connection's credentials and region): "
                   "{\"Type\":\"User\",\"message\":\"The request signature we calculated does not "
                   "match",
                   0) == 0);
  CHECK(server.refused() == 1);
  // The secret never shows.
  CHECK(reason_of(r.dead_letters[0]).find("not the secret") == std::string::npos);
}

TEST_CASE("Lambda onError: ignore passes the document on, fail stops with a location", "[lambda]") {
  fake_lambda server;
  const run_result ignored = run(server, {{{"i", 1}}}, R"([{"$externalFunction": {
      "connectionName": "fn", "functionName": "crash", "as": "a", "onError": "ignore"}}])");
  CHECK(ignored.dead_letters.empty());
  CHECK(without_ts(ignored.outputs) == std::vector<document>{{{"i", 1}}});
  try {
    (void)run(server, {{{"i", 1}}}, R"([{"$externalFunction": {
        "connectionName": "fn", "functionName": "crash", "as": "a", "onError": "fail"}}])");
    FAIL("onError: fail did not stop the processor");
  } catch (const reel::error& e) {
    CHECK(e.id() == "reel.enrichment.failed");
    CHECK(std::string(e.what()).rfind(
              "[reel.enrichment.failed] at /1/$externalFunction: [reel.lambda.function_error] "
              "Lambda function 'crash' failed (Unhandled)",
              0) == 0);
  }
}

TEST_CASE("Lambda with 64 calls in flight keeps input order and the windows of a synchronous run",
          "[lambda]") {
  fake_lambda server;
  const reel::test::in_flight_case c = reel::test::in_flight_tickets(5);
  const std::vector<document>& input = c.input;
  const document lambda = document::parse(R"({"$externalFunction": {
      "connectionName": "fn", "functionName": "price", "as": "price", "parallelism": 64,
      "payload": [{"$project": {"_id": 0, "movie": 1, "seats": 1, "delayMs": 1}}]}})");
  const auto connections = connections_for(server, input);
  const run_result reference = run(connections, document::array({c.computed, c.window}), c.source);
  const run_result called = run(connections, document::array({lambda, c.window}), c.source);
  reel::test::check_same_windows(called, reference);
  CHECK(called.stats["enrichment"][0]["maxInFlight"].get<int>() > 1);

  const run_result ordered = run(connections, document::array({lambda}));
  reel::test::check_input_order(ordered, input);
  CHECK(server.refused() == 0);
}

TEST_CASE("aws_lambda connections and their use are checked with located errors", "[lambda]") {
  fake_lambda server;
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
  CHECK(error_of(R"({"$externalFunction": {"connectionName": "fm", "functionName": "f",
                                           "as": "a"}})") ==
        "[reel.connection.unknown] at /0/$externalFunction/connectionName: no function connection "
        "named 'fm' (did you mean 'fn'?)");
  CHECK(error_of(R"({"$externalFunction": {"connectionName": "files", "functionName": "f",
                                           "as": "a"}})") ==
        "[reel.connection.unsupported] at /0/$externalFunction/connectionName: connection 'files' "
        "of type 'file' cannot be used by $externalFunction: it needs a connection of type "
        "'aws_lambda', or in-process functions registered with "
        "connection_registry::register_function");
  CHECK(error_of(R"({"$externalFunction": {"connectionName": "fn", "functionName": "f",
                                           "execution": "later"}})") ==
        "[reel.pipeline.invalid_option] at /0/$externalFunction/execution: execution must be "
        "\"sync\" or \"async\"");
  auto definition_error = [&](const document& definition) {
    try {
      c.add_connection("bad", definition, "connections.json:/bad");
    } catch (const reel::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(definition_error({{"type", "aws_lambda"}}) ==
        "[reel.connection.invalid] at connections.json:/bad: an aws_lambda connection needs "
        "'region' (like \"us-east-1\")");
  CHECK(
      definition_error({{"type", "AWSLambda"}, {"aws", {{"roleArn", "arn:aws:iam::1:role/r"}}}}) ==
      "[reel.connection.invalid] at connections.json:/bad/aws: IAM roles (aws.roleArn) are not "
      "supported by Reel: give accessKeyId and secretAccessKey (e.g. {\"$env\": \"NAME\"}), or "
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  CHECK(definition_error({{"type", "aws_lambda"},
                          {"region", "us-east-1"},
                          {"endpoint", "http://127.0.0.1:9/x"}}) ==
        "[reel.connection.invalid] at connections.json:/bad/endpoint: endpoint must be a scheme "
        "and a host (and port), like http://127.0.0.1:9001, without a path");
  CHECK(definition_error({{"type", "aws_lambda"}, {"region", "us-east-1"}, {"accessKeyId", "A"}}) ==
        "[reel.connection.invalid] at connections.json:/bad/secretAccessKey: accessKeyId and "
        "secretAccessKey go together");
  CHECK(definition_error({{"type", "aws_lambda"}, {"region", "us-east-1"}, {"regoin", "x"}}) ==
        "[reel.connection.invalid] at connections.json:/bad/regoin: unknown field 'regoin' of a "
        "aws_lambda connection (did you mean 'region'?)");
}
