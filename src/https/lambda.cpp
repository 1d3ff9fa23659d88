// SPDX-License-Identifier: Apache-2.0
// The `aws_lambda` connection type: `$externalFunction` calls AWS Lambda functions through the
// Invoke API (`POST /2015-03-31/functions/NAME/invocations`), on the client of `$https` (one
// libcurl multi I/O thread per stage), each request signed with SigV4 (reel/aws/sigv4.hpp).
#include "lambda.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client.hpp"
#include "reel/aws/sigv4.hpp"
#include "reel/connector/function.hpp"

namespace reel::https::detail {

namespace {

using json = nlohmann::ordered_json;

/// What calls of a connection's functions need of its definition.
struct lambda_connection {
  std::string endpoint;   // scheme://authority
  std::string authority;  // host[:port]: the signed Host header
  std::string shown_endpoint;
  std::string region, access_key_id, secret_access_key, session_token;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds request_timeout{900'000};  // Lambda's longest function timeout
  int max_retries = 3;
  std::chrono::milliseconds backoff{100};
};

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string optional_string(const connection_args& args, const char* key) {
  const json* v = member(args.definition, key);
  if (!v) return {};
  if (!v->is_string() || v->get_ref<const std::string&>().empty())
    args.definition_error(std::string("/") + key, std::string(key) + " must be a non-empty string");
  return v->get<std::string>();
}

std::chrono::milliseconds seconds_setting(const connection_args& args, const char* key,
                                          std::chrono::milliseconds fallback) {
  const json* v = member(args.definition, key);
  if (!v) return fallback;
  if (!v->is_number() || !(v->get<double>() > 0) || v->get<double>() > 86'400)
    args.definition_error(
        std::string("/") + key,
        std::string(key) + " must be a number of seconds above 0 (at most a day)");
  return std::chrono::milliseconds(
      std::max<std::int64_t>(1, std::llround(v->get<double>() * 1000)));
}

std::int64_t integer_setting(const connection_args& args, const char* key, std::int64_t fallback,
                             std::int64_t low, std::int64_t high) {
  const json* v = member(args.definition, key);
  if (!v) return fallback;
  if (!v->is_number_integer() || v->get<std::int64_t>() < low || v->get<std::int64_t>() > high)
    args.definition_error(std::string("/") + key, std::string(key) + " must be an integer from " +
                                                      std::to_string(low) + " to " +
                                                      std::to_string(high));
  return v->get<std::int64_t>();
}

/// Checks an `aws_lambda` definition and reads it; credentials missing from it come from
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` when `with_credentials`.
lambda_connection lambda_connection_of(const connection_args& args, bool with_credentials) {
  check_definition_keys(
      args, "aws_lambda",
      {"region", "accessKeyId", "secretAccessKey", "sessionToken", "endpoint", "aws",
       "connectionTimeoutSec", "requestTimeoutSec", "maxRetries", "retryBackoffMs"});
  if (member(args.definition, "aws")) {
    args.definition_error("/aws",
                          "IAM roles (aws.roleArn) are not supported by Reel: give accessKeyId and "
                          "secretAccessKey (e.g. {\"$env\": \"NAME\"}), or set AWS_ACCESS_KEY_ID "
                          "and AWS_SECRET_ACCESS_KEY");
  }
  lambda_connection c;
  c.region = optional_string(args, "region");
  if (c.region.empty())
    args.definition_error("", "an aws_lambda connection needs 'region' (like \"us-east-1\")");
  c.endpoint = optional_string(args, "endpoint");
  if (c.endpoint.empty()) {
    c.endpoint = "https://lambda." + c.region + ".amazonaws.com";
  } else {
    const std::size_t scheme = c.endpoint.find("://");
    const std::string kind = c.endpoint.substr(0, scheme);
    if (scheme == std::string::npos || (kind != "http" && kind != "https"))
      args.definition_error("/endpoint", "endpoint must start with http:// or https://");
    while (c.endpoint.back() == '/')
      c.endpoint.pop_back();
    if (c.endpoint.find_first_of("/?#", scheme + 3) != std::string::npos)
      args.definition_error("/endpoint",
                            "endpoint must be a scheme and a host (and port), like "
                            "http://127.0.0.1:9001, without a path");
  }
  c.authority = c.endpoint.substr(c.endpoint.find("://") + 3);
  if (c.authority.empty()) args.definition_error("/endpoint", "endpoint has no host");
  c.shown_endpoint = args.shown("/endpoint");
  if (c.shown_endpoint.empty()) c.shown_endpoint = c.endpoint;
  c.access_key_id = optional_string(args, "accessKeyId");
  c.secret_access_key = optional_string(args, "secretAccessKey");
  c.session_token = optional_string(args, "sessionToken");
  if (c.access_key_id.empty() != c.secret_access_key.empty()) {
    args.definition_error(c.access_key_id.empty() ? "/accessKeyId" : "/secretAccessKey",
                          "accessKeyId and secretAccessKey go together");
  }
  c.connect_timeout = seconds_setting(args, "connectionTimeoutSec", c.connect_timeout);
  c.request_timeout = seconds_setting(args, "requestTimeoutSec", c.request_timeout);
  c.max_retries = static_cast<int>(integer_setting(args, "maxRetries", c.max_retries, 0, 20));
  c.backoff = std::chrono::milliseconds(
      integer_setting(args, "retryBackoffMs", c.backoff.count(), 1, 60'000));
  if (with_credentials && c.access_key_id.empty()) {
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (!id || !*id || !secret || !*secret) {
      args.definition_error("", "no credentials for aws_lambda connection '" + args.name +
                                    "': give accessKeyId and secretAccessKey (e.g. {\"$env\": "
                                    "\"NAME\"}), or set AWS_ACCESS_KEY_ID and "
                                    "AWS_SECRET_ACCESS_KEY");
    }
    c.access_key_id = id;
    c.secret_access_key = secret;
    if (const char* token = std::getenv("AWS_SESSION_TOKEN")) c.session_token = token;
  }
  return c;
}

/// `x-amzn-ErrorType: ResourceNotFoundException:http://internal...` → `ResourceNotFoundException`.
std::string error_type(const response& a) {
  std::string type = a.header("x-amzn-errortype");
  return type.substr(0, type.find(':'));
}

/// The call of one function of a connection: its request, and what its answer means.
class lambda_call {
 public:
  lambda_call(lambda_connection c, std::string function, bool event)
      : connection_(std::move(c)),
        function_(std::move(function)),
        event_(event),
        path_("/2015-03-31/functions/" + aws::uri_encode(function_, true) + "/invocations"),
        what_("Invoke of Lambda function '" + function_ + "'") {}

  void operator()(const json& argument, const function_completion& done) const {
    request r;
    r.method = "POST";
    r.url = connection_.endpoint + path_;
    r.body = argument.dump(-1, ' ', false, json::error_handler_t::replace);
    const std::string date = aws::amz_date(std::chrono::system_clock::now());
    const std::string invocation = event_ ? "Event" : "RequestResponse";
    aws::sigv4_request s;
    s.method = r.method;
    s.canonical_uri = aws::canonical_uri(path_);
    s.headers = {{"content-type", "application/json"},
                 {"host", connection_.authority},
                 {"x-amz-date", date},
                 {"x-amz-invocation-type", invocation}};
    if (!connection_.session_token.empty())
      s.headers.emplace_back("x-amz-security-token", connection_.session_token);
    s.payload_hash = aws::sha256_hex(*r.body);
    s.amz_date = date;
    s.region = connection_.region;
    s.service = "lambda";
    s.access_key_id = connection_.access_key_id;
    s.secret_access_key = connection_.secret_access_key;
    // The Host header is sent as signed (curl would add its own otherwise).
    r.headers = {"Content-Type: application/json", "Host: " + connection_.authority,
                 "X-Amz-Date: " + date, "X-Amz-Invocation-Type: " + invocation,
                 "Accept: application/json"};
    if (!connection_.session_token.empty())
      r.headers.push_back("X-Amz-Security-Token: " + connection_.session_token);
    // Retries send the same signed request: its date stays within AWS's 5 minutes of skew for
    // any backoff the connection allows before that.
    r.headers.push_back("Authorization: " + aws::authorization(s));
    r.connect_timeout = connection_.connect_timeout;
    r.request_timeout = connection_.request_timeout;
    r.max_retries = connection_.max_retries;
    r.backoff = connection_.backoff;
    client_->send(std::move(r), [this, done](response a) { answer(a, done); });
  }

  void share(std::shared_ptr<client> c) { client_ = std::move(c); }

 private:
  void answer(const response& a, const function_completion& done) const {
    const std::string tries =
        a.attempts > 1 ? " (" + std::to_string(a.attempts) + " attempts)" : std::string();
    const std::string at = what_ + " at " + connection_.shown_endpoint;
    switch (a.result) {
      case response::outcome::connect_timed_out:
        done.fail("[reel.lambda.timeout] " + at + " got no connection within " +
                  std::to_string(connection_.connect_timeout.count()) +
                  " ms (connectionTimeoutSec)" + tries);
        return;
      case response::outcome::timed_out:
        done.fail("[reel.lambda.timeout] " + at + " got no answer within " +
                  std::to_string(connection_.request_timeout.count()) + " ms (requestTimeoutSec)" +
                  tries);
        return;
      case response::outcome::connection:
        done.fail("[reel.lambda.connection] " + at + " failed: " + a.error + tries);
        return;
      case response::outcome::answered:
        break;
    }
    if (a.status < 200 || a.status > 299) {
      const std::string type = error_type(a);
      std::string reason =
          (a.status == 429 ? "[reel.lambda.throttled] " : "[reel.lambda.status] ") + what_ +
          " answered HTTP " + std::to_string(a.status) + (type.empty() ? "" : " " + type) + tries;
      if (type == "InvalidSignatureException" || type == "UnrecognizedClientException")
        reason += " (check the connection's credentials and region)";
      if (!a.body.empty()) reason += ": " + body_excerpt(a.body);
      done.fail(std::move(reason));
      return;
    }
    if (const std::string failure = a.header("x-amz-function-error"); !failure.empty()) {
      done.fail("[reel.lambda.function_error] Lambda function '" + function_ + "' failed (" +
                failure + ")" + (a.body.empty() ? "" : ": " + body_excerpt(a.body)));
      return;
    }
    if (event_) {  // 202: queued by Lambda; its answer is not awaited
      done.done();
      return;
    }
    const std::size_t first = a.body.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
      done.done();
      return;
    }
    json value;
    try {
      value = json::parse(a.body);
    } catch (const json::parse_error&) {
      done.fail("[reel.lambda.invalid_body] Lambda function '" + function_ +
                "' answered a body that is not JSON: " + body_excerpt(a.body));
      return;
    }
    if (value.is_null()) {
      done.done();  // a function that returns nothing answers `null`: `as` is not set
    } else {
      done(std::move(value));
    }
  }

  lambda_connection connection_;
  std::string function_;
  bool event_;
  std::string path_, what_;
  std::shared_ptr<client> client_;
};

async_function make_lambda_function(const connection_args& args) {
  lambda_connection c = lambda_connection_of(args, true);
  const json* name = member(args.stage, "functionName");
  if (!name || !name->is_string() || name->get_ref<const std::string&>().empty())
    args.stage_error("/functionName", "functionName must be a non-empty string");
  const json* execution = member(args.stage, "execution");
  const bool event = execution && *execution == "async";
  auto call = std::make_shared<lambda_call>(std::move(c), name->get<std::string>(), event);
  call->share(std::make_shared<client>());
  return [call](const json& argument, function_completion done) { (*call)(argument, done); };
}

}  // namespace

void register_lambda_connection_type(reel::connection_registry& registry) {
  reel::connection_type t;
  t.summary =
      "AWS Lambda functions ($externalFunction): {region, accessKeyId, secretAccessKey, "
      "sessionToken, endpoint}";
  t.check = [](const connection_args& args) { (void)lambda_connection_of(args, false); };
  t.make_function = make_lambda_function;
  registry.register_type("aws_lambda", t);
  registry.register_type("AWSLambda", std::move(t));  // Atlas's name of the type
}

}  // namespace reel::https::detail
