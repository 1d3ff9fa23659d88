// SPDX-License-Identifier: Apache-2.0
// The `https` connection type and the `$https` stage (reel/https/https.hpp).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client.hpp"
#include "lambda.hpp"
#include "reel/detail/utf8.hpp"
#include "reel/https/https.hpp"
#include "reel/json/enrichment.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/external_function.hpp"

namespace reel::https {

namespace {

using json = nlohmann::ordered_json;
using reel::json::call_done;
using reel::json::call_outcome;
using reel::json::document;
using reel::json::eval_context;

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

/// Percent-encodes what may not appear as is in a URL part: every byte outside
/// `A-Za-z0-9-_.~`, and outside `keep`.
std::string percent_encode(std::string_view s, std::string_view keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string base64(std::string_view s) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
  }
  if (i + 1 == s.size()) {
    const unsigned v = static_cast<unsigned char>(s[i]) << 16;
    out += {table[v >> 18], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == s.size()) {
    const unsigned v =
        (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

/// A string that holds a JSON object or array, parsed; otherwise nothing.
std::optional<document> parsed_json_string(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (s[first] != '{' && s[first] != '[')) return std::nullopt;
  try {
    return document::parse(s);
  } catch (const document::parse_error&) {
    return std::nullopt;
  }
}

/// `parseJsonStrings`: string values (at any depth) that hold a JSON object or array, parsed.
void parse_json_strings(document& v) {
  if (v.is_string()) {
    if (auto parsed = parsed_json_string(v.get_ref<const std::string&>())) {
      v = std::move(*parsed);
      parse_json_strings(v);
    }
  } else if (v.is_structured()) {
    for (auto& child : v)
      parse_json_strings(child);
  }
}

/// A query parameter or header value: strings as they are, numbers and booleans as JSON writes
/// them; missing (or null) is none; anything else cannot be sent.
std::optional<std::string> text_of(const document& v, const std::string& what) {
  if (v.is_null() || reel::json::is_missing(v)) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  throw_error(
      "reel.https.bad_request", "",
      what + " evaluated to " + reel::json::type_name(v) + ", not a string, a number or a boolean");
}

/// What a stage needs of its connection: where to send, which headers, how to name it.
struct endpoint {
  std::string url;
  std::vector<std::string> headers;  // `Name: value`
  std::string shown_url;             // for messages: never a value from $env
};

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string definition_string(const connection_args& args, const json& obj, const std::string& at,
                              const char* key) {
  const json* v = member(obj, key);
  if (!v) args.definition_error(at, std::string("needs '") + key + "'");
  if (!v->is_string() || v->get_ref<const std::string&>().empty())
    args.definition_error(at + "/" + key, std::string(key) + " must be a non-empty string");
  return v->get<std::string>();
}

void check_header(const connection_args& args, const std::string& at, const std::string& name,
                  const std::string& value) {
  const bool bad_name = name.empty() || std::any_of(name.begin(), name.end(), [](unsigned char c) {
                          return c <= ' ' || c == ':' || c >= 127;
                        });
  if (bad_name) args.definition_error(at, "'" + name + "' is not a header name");
  if (value.find_first_of("\r\n") != std::string::npos)
    args.definition_error(at, "a header value cannot hold a line break");
}

/// Checks an `https` definition and reads it.
endpoint endpoint_of(const connection_args& args) {
  check_definition_keys(args, "https", {"url", "headers", "auth"});
  endpoint e;
  e.url = definition_string(args, args.definition, "", "url");
  if (e.url.rfind("http://", 0) != 0 && e.url.rfind("https://", 0) != 0)
    args.definition_error("/url", "url must start with http:// or https://");
  e.shown_url = args.shown("/url");
  if (e.shown_url.empty()) e.shown_url = e.url.substr(0, e.url.find('?'));
  if (const json* h = member(args.definition, "headers")) {
    if (!h->is_object()) args.definition_error("/headers", "headers must be an object");
    for (const auto& [name, value] : h->items()) {
      const std::string at = "/headers/" + reel::json_pointer_token(name);
      if (!value.is_string()) args.definition_error(at, "a header value must be a string");
      check_header(args, at, name, value.get<std::string>());
      e.headers.push_back(name + ": " + value.get<std::string>());
    }
  }
  if (const json* auth = member(args.definition, "auth")) {
    if (!auth->is_object()) args.definition_error("/auth", "auth must be an object");
    const std::string type = definition_string(args, *auth, "/auth", "type");
    if (type == "bearer") {
      check_definition_keys(
          connection_args{args.name, *auth, nullptr, args.definition_where + "/auth"},
          "bearer auth", {"token"});
      e.headers.push_back("Authorization: Bearer " +
                          definition_string(args, *auth, "/auth", "token"));
    } else if (type == "basic") {
      check_definition_keys(
          connection_args{args.name, *auth, nullptr, args.definition_where + "/auth"}, "basic auth",
          {"username", "password"});
      const std::string user = definition_string(args, *auth, "/auth", "username");
      const json* password = member(*auth, "password");
      if (password && !password->is_string())
        args.definition_error("/auth/password", "password must be a string");
      e.headers.push_back("Authorization: Basic " +
                          base64(user + ":" + (password ? password->get<std::string>() : "")));
    } else if (type == "header") {
      check_definition_keys(
          connection_args{args.name, *auth, nullptr, args.definition_where + "/auth"},
          "header auth", {"name", "value"});
      const std::string name = definition_string(args, *auth, "/auth", "name");
      const std::string value = definition_string(args, *auth, "/auth", "value");
      check_header(args, "/auth", name, value);
      e.headers.push_back(name + ": " + value);
    } else {
      args.definition_error("/auth/type", "auth type must be \"bearer\", \"basic\" or \"header\"");
    }
  }
  for (const std::string& h : e.headers) {
    if (h.find_first_of("\r\n") != std::string::npos)
      args.definition_error("", "a header value cannot hold a line break");
  }
  return e;
}

double seconds_of(const document& config, const char* key, double fallback,
                  const std::string& where) {
  auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > 86'400) {
    throw_error("reel.pipeline.invalid_option", where + "/" + key,
                std::string(key) + " must be a number of seconds above 0 (at most a day)");
  }
  return it->get<double>();
}

std::chrono::milliseconds millis_of_seconds(double s) {
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(s * 1000)));
}

class https_stage final : public reel::json::enrichment_stage {
 public:
  https_stage(const document& spec, const std::string& where,
              const reel::json::stage_context& context)
      : enrichment_stage(where, as_of(spec, where), on_error_of(spec, where),
                         parallelism_of(spec, where)) {
    reel::json::detail::check_options(spec, where, "$https",
                                      {"connectionName", "method", "path", "parameters", "headers",
                                       "payload", "as", "onError", "config", "parallelism"});
    auto name = spec.find("connectionName");
    if (name == spec.end())
      throw_error("reel.pipeline.invalid_option", where, "$https requires 'connectionName'");
    if (!name->is_string() || name->get<std::string>().empty())
      throw_error("reel.pipeline.invalid_option", where + "/connectionName",
                  "connectionName must be a non-empty string");
    connection_ = name->get<std::string>();
    read_method(spec, where);
    if (auto it = spec.find("path"); it != spec.end()) {
      if (!it->is_string() && !it->is_object())
        throw_error("reel.pipeline.invalid_option", where + "/path",
                    "path must be a string or an expression");
      path_ = reel::json::compile_expression(*it, where + "/path");
      has_path_ = true;
    }
    read_named_expressions(spec, where, "parameters", parameters_);
    read_named_expressions(spec, where, "headers", headers_);
    for (const auto& [header, value] : headers_) {
      const bool bad = std::any_of(header.begin(), header.end(), [](unsigned char c) {
        return c <= ' ' || c == ':' || c >= 127;
      });
      if (bad)
        throw_error("reel.pipeline.invalid_option",
                    where + "/headers/" + reel::json_pointer_token(header),
                    "'" + header + "' is not a header name");
    }
    if (auto it = spec.find("payload"); it != spec.end()) {
      payload_ = reel::json::detail::payload_pipeline(*it, where + "/payload");
      send_body_ = true;
    }
    read_config(spec, where);
    if (context.connections) bind(*context.connections, spec, where);
  }

  [[nodiscard]] std::string_view operator_name() const override { return "HttpsOperator"; }

  void add_stats(document& entry) const override {
    entry["retries"] = client_ ? client_->retries() : 0;
  }

  void start_call(const document& doc, const eval_context& ctx, call_done done) const override {
    if (!client_) {
      done({call_outcome::kind::fatal, std::nullopt,
            "[reel.enrichment.unbound] $https was compiled without connections: compile the "
            "pipeline with pipeline_options::connections (or build the stream_processor from the "
            "pipeline document)"});
      return;
    }
    detail::request r;
    try {
      r = request_for(doc, ctx);
    } catch (const reel::error& e) {
      done({call_outcome::kind::rejected, std::nullopt,
            "[reel.https.bad_request] the request could not be made: " + e.message()});
      return;
    }
    std::string what = r.method + " " + endpoint_.shown_url;
    client_->send(std::move(r), [this, done = std::move(done), what = std::move(what)](
                                    detail::response a) { done(outcome_of(a, what)); });
  }

 private:
  void read_method(const document& spec, const std::string& where) {
    auto it = spec.find("method");
    if (it == spec.end()) return;
    static const std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    const std::string m = it->is_string() ? upper(it->get<std::string>()) : std::string();
    if (std::find(methods.begin(), methods.end(), m) == methods.end())
      throw_error("reel.pipeline.invalid_option", where + "/method",
                  "method must be GET, POST, PUT, PATCH or DELETE");
    method_ = m;
    send_body_ = m == "POST" || m == "PUT" || m == "PATCH";
  }

  static void read_named_expressions(
      const document& spec, const std::string& where, const char* key,
      std::vector<std::pair<std::string, reel::json::expression>>& out) {
    auto it = spec.find(key);
    if (it == spec.end()) return;
    const std::string at = where + "/" + key;
    if (!it->is_object())
      throw_error("reel.pipeline.invalid_option", at,
                  std::string(key) + " must be an object of names and expressions");
    for (auto e = it->begin(); e != it->end(); ++e) {
      out.emplace_back(e.key(), reel::json::compile_expression(
                                    e.value(), reel::json_pointer_append(at, e.key())));
    }
  }

  void read_config(const document& spec, const std::string& where) {
    auto it = spec.find("config");
    if (it == spec.end()) return;
    const std::string at = where + "/config";
    if (!it->is_object())
      throw_error("reel.pipeline.invalid_option", at, "config must be an object");
    reel::json::detail::check_options(*it, at, "$https.config",
                                      {"connectionTimeoutSec", "requestTimeoutSec",
                                       "parseJsonStrings", "maxRetries", "retryBackoffMs"});
    connect_timeout_ = millis_of_seconds(seconds_of(*it, "connectionTimeoutSec", 30, at));
    request_timeout_ = millis_of_seconds(seconds_of(*it, "requestTimeoutSec", 60, at));
    if (auto p = it->find("parseJsonStrings"); p != it->end()) {
      if (!p->is_boolean())
        throw_error("reel.pipeline.invalid_option", at + "/parseJsonStrings",
                    "parseJsonStrings must be true or false");
      parse_json_strings_ = p->get<bool>();
    }
    if (auto r = it->find("maxRetries"); r != it->end()) {
      if (!r->is_number_integer() || r->get<std::int64_t>() < 0 || r->get<std::int64_t>() > 20)
        throw_error("reel.pipeline.invalid_option", at + "/maxRetries",
                    "maxRetries must be an integer from 0 to 20");
      max_retries_ = r->get<int>();
    }
    if (auto b = it->find("retryBackoffMs"); b != it->end()) {
      if (!b->is_number_integer() || b->get<std::int64_t>() < 1 || b->get<std::int64_t>() > 60'000)
        throw_error("reel.pipeline.invalid_option", at + "/retryBackoffMs",
                    "retryBackoffMs must be an integer from 1 to 60000");
      backoff_ = std::chrono::milliseconds(b->get<std::int64_t>());
    }
  }

  void bind(const reel::connection_registry& connections, const document& spec,
            const std::string& where) {
    const std::string at = where + "/connectionName";
    endpoint_ = connections.use_connection(
        connection_, spec, at, [&](const connection_args& args, const connection_type&) {
          const std::string type = connections.type_of_connection(connection_);
          if (reel::detail::lower(type) != "https") {
            throw_error("reel.connection.unsupported", at,
                        "connection '" + connection_ + "' of type '" + type +
                            "' cannot be used by $https: it needs a connection of type 'https'");
          }
          return endpoint_of(args);
        });
    client_ = std::make_shared<detail::client>();
  }

  /// The request for `doc`; throws `reel::error` when it cannot be made.
  detail::request request_for(const document& doc, const eval_context& ctx) const {
    detail::request r;
    r.method = method_;
    r.url = endpoint_.url;
    if (has_path_) {
      const document p = path_.evaluate(doc, ctx);
      if (!reel::json::is_missing(p) && !p.is_null()) {
        if (!p.is_string())
          throw_error("reel.https.bad_request", "",
                      "path evaluated to " + reel::json::type_name(p) + ", not a string");
        std::string path = percent_encode(p.get_ref<const std::string&>(), "/%:@!$&'()*+,;=");
        if (!path.empty()) {
          const bool slash_end = r.url.back() == '/';
          const bool slash_start = path.front() == '/';
          if (slash_end && slash_start) {
            path.erase(0, 1);
          } else if (!slash_end && !slash_start) {
            r.url += '/';
          }
          r.url += path;
        }
      }
    }
    std::string query;
    for (const auto& [name, value] : parameters_) {
      const std::optional<std::string> v =
          text_of(value.evaluate(doc, ctx), "parameter '" + name + "'");
      if (!v) continue;
      query += (query.empty() ? "" : "&") + percent_encode(name, "") + "=" + percent_encode(*v, "");
    }
    if (!query.empty()) r.url += (r.url.find('?') == std::string::npos ? "?" : "&") + query;
    r.headers = endpoint_.headers;
    for (const auto& [name, value] : headers_) {
      const std::optional<std::string> v =
          text_of(value.evaluate(doc, ctx), "header '" + name + "'");
      if (!v) continue;
      if (v->find_first_of("\r\n") != std::string::npos)
        throw_error("reel.https.bad_request", "", "header '" + name + "' holds a line break");
      r.headers.push_back(name + ": " + *v);
    }
    r.headers.emplace_back("Accept: application/json, text/plain");
    if (send_body_) {
      const document body = payload_.empty() ? doc : payload_.run(doc, ctx);
      r.body = body.dump(-1, ' ', false, document::error_handler_t::replace);
      r.headers.emplace_back("Content-Type: application/json");
    }
    r.connect_timeout = connect_timeout_;
    r.request_timeout = request_timeout_;
    r.max_retries = max_retries_;
    r.backoff = backoff_;
    return r;
  }

  call_outcome outcome_of(const detail::response& a, const std::string& what) const {
    const auto failed = [](std::string reason) {
      return call_outcome{call_outcome::kind::failed, std::nullopt, std::move(reason)};
    };
    const std::string tries =
        a.attempts > 1 ? " (" + std::to_string(a.attempts) + " attempts)" : std::string();
    switch (a.result) {
      case detail::response::outcome::connect_timed_out:
        return failed("[reel.https.timeout] " + what + " got no connection within " +
                      std::to_string(connect_timeout_.count()) + " ms (connectionTimeoutSec)" +
                      tries);
      case detail::response::outcome::timed_out:
        return failed("[reel.https.timeout] " + what + " got no answer within " +
                      std::to_string(request_timeout_.count()) + " ms (requestTimeoutSec)" + tries);
      case detail::response::outcome::connection:
        return failed("[reel.https.connection] " + what + " failed: " + a.error + tries);
      case detail::response::outcome::answered:
        break;
    }
    if (a.status < 200 || a.status > 299) {
      return failed("[reel.https.status] " + what + " answered HTTP " + std::to_string(a.status) +
                    tries + (a.body.empty() ? "" : ": " + detail::body_excerpt(a.body)));
    }
    if (a.body.empty()) return {call_outcome::kind::ok, std::nullopt, {}};
    std::string type = a.content_type.substr(0, a.content_type.find(';'));
    type.erase(type.find_last_not_of(" \t") + 1);
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool is_json = type.empty() || type == "application/json" ||
                         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
    document value;
    if (is_json) {
      try {
        value = document::parse(a.body);
      } catch (const document::parse_error&) {
        return failed("[reel.https.invalid_body] " + what +
                      " answered a body that is not JSON: " + detail::body_excerpt(a.body));
      }
    } else if (type == "text/plain") {
      if (!reel::detail::is_valid_utf8(a.body))
        return failed("[reel.https.invalid_body] " + what +
                      " answered text that is not UTF-8: " + detail::body_excerpt(a.body));
      value = a.body;
    } else {
      return failed("[reel.https.content_type] " + what + " answered content type '" +
                    a.content_type + "', not application/json or text/plain");
    }
    if (parse_json_strings_) parse_json_strings(value);
    return {call_outcome::kind::ok, std::move(value), {}};
  }

  static std::string as_of(const document& spec, const std::string& where) {
    if (!spec.is_object())
      reel::json::detail::bad_stage(where,
                                    "$https takes an object, found " + reel::json::type_name(spec));
    auto it = spec.find("as");
    if (it == spec.end())
      throw_error("reel.pipeline.invalid_option", where,
                  "$https requires 'as' (the field the answer goes to)");
    return reel::json::detail::parse_as(*it, where + "/as");
  }
  static reel::json::on_error_action on_error_of(const document& spec, const std::string& where) {
    auto it = spec.find("onError");
    return it == spec.end() ? reel::json::on_error_action::dlq
                            : reel::json::detail::parse_on_error(*it, where + "/onError");
  }
  static std::size_t parallelism_of(const document& spec, const std::string& where) {
    auto it = spec.find("parallelism");
    return it == spec.end() ? reel::json::default_parallelism
                            : reel::json::detail::parse_parallelism(*it, where + "/parallelism");
  }

  std::string connection_;
  std::string method_ = "GET";
  reel::json::expression path_;
  bool has_path_ = false;
  std::vector<std::pair<std::string, reel::json::expression>> parameters_, headers_;
  reel::json::detail::payload_pipeline payload_;
  bool send_body_ = false;
  bool parse_json_strings_ = false;
  std::chrono::milliseconds connect_timeout_{30'000}, request_timeout_{60'000};
  int max_retries_ = 3;
  std::chrono::milliseconds backoff_{100};
  endpoint endpoint_;
  std::shared_ptr<detail::client> client_;  // none without connections
};

}  // namespace

void register_stage() {
  static std::once_flag once;
  std::call_once(once, [] {
    reel::json::stage_registry::global().add(
        "$https", reel::json::stage_placement::anywhere,
        reel::json::stage_registry::contextual_factory(
            [](const document& spec, const std::string& where,
               const reel::json::stage_context& context)
                -> std::shared_ptr<const reel::json::document_stage> {
              return std::make_shared<https_stage>(spec, where, context);
            }));
  });
}

void register_connection_type(reel::connection_registry& registry) {
  register_stage();
  reel::connection_type t;
  t.summary = "HTTPS endpoint ($https): {url, headers, auth: {type: bearer|basic|header, ...}}";
  t.check = [](const connection_args& args) { (void)endpoint_of(args); };
  registry.register_type("https", std::move(t));
  detail::register_lambda_connection_type(registry);
}

}  // namespace reel::https
