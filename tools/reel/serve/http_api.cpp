// SPDX-License-Identifier: Apache-2.0
#include "serve/http_api.hpp"

#include <httplib.h>

#include <arpa/inet.h>

#include <atomic>
#include <charconv>
#include <exception>
#include <functional>
#include <thread>

#include "serve/dashboard_assets.hpp"
#include "serve/metrics.hpp"

namespace reel::serve {

namespace {

constexpr const char* json_type = "application/json";
const std::string name_pattern = "/api/v1/processors/([^/]+)";

int status_of(const std::string& id) {
  if (id == "reel.serve.not_found") return 404;
  if (id == "reel.serve.exists" || id == "reel.serve.conflict" ||
      id == "reel.serve.incompatible_checkpoint") {
    return 409;
  }
  if (id.starts_with("reel.io.") || id.starts_with("reel.checkpoint.") ||
      id == "reel.serve.state_dir") {
    return 500;
  }
  return 400;
}

void reply(httplib::Response& res, int status, document body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", json_type);
}

void reply_ok(httplib::Response& res, document body = document::object(), int status = 200) {
  document out = {{"ok", 1}};
  for (auto& [key, value] : body.items())
    out[key] = std::move(value);
  reply(res, status, std::move(out));
}

void reply_error(httplib::Response& res, const reel::error& e) {
  document diagnostics = document::array();
  std::string errmsg;
  for (const diagnostic& d : e.diagnostics()) {
    diagnostics.push_back({{"id", d.id}, {"where", d.where}, {"message", d.message}});
    if (!errmsg.empty()) errmsg += '\n';
    errmsg += d.to_string();
  }
  const std::string id = e.diagnostics().empty() ? "reel.error" : e.diagnostics().front().id;
  reply(res, status_of(id),
        {{"ok", 0}, {"code", id}, {"errmsg", errmsg}, {"diagnostics", std::move(diagnostics)}});
}

void reply_problem(httplib::Response& res, int status, const std::string& id,
                   const std::string& message) {
  reply(res, status,
        {{"ok", 0},
         {"code", id},
         {"errmsg", "[" + id + "] " + message},
         {"diagnostics", document::array({{{"id", id}, {"where", ""}, {"message", message}}})}});
}

/// Runs `f`, turning what it throws into the error reply.
void guarded(httplib::Response& res, const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::error& e) {
    reply_error(res, e);
  } catch (const std::exception& e) {
    reply_problem(res, 500, "reel.serve.internal", e.what());
  }
}

/// Compares in time independent of where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

/// The `limit` parameter (a number of documents), else `otherwise`.
std::size_t limit_param(const httplib::Request& req, std::size_t otherwise) {
  if (!req.has_param("limit")) return otherwise;
  const std::string v = req.get_param_value("limit");
  std::size_t limit = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
  if (ec != std::errc() || end != v.data() + v.size()) {
    throw_error("reel.serve.bad_request", "limit", "limit must be a number of documents");
  }
  return limit;
}

/// The dashboard's files: `/` and `/dashboard/NAME`.
bool is_dashboard_path(const httplib::Request& req) {
  return req.method == "GET" && (req.path == "/" || req.path.starts_with("/dashboard/"));
}

bool flag(const httplib::Request& req, const char* name, bool otherwise) {
  if (!req.has_param(name)) return otherwise;
  const std::string v = req.get_param_value(name);
  return v.empty() || v == "true" || v == "1";
}

}  // namespace

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

struct http_server::impl {
  processor_host& host;
  server_options options;
  httplib::Server server;
  int port = 0;
  std::atomic<bool> listening{false};
  std::atomic<bool> stop_requested{false};

  impl(processor_host& h, server_options o) : host(h), options(std::move(o)) {}

  void routes() {
    server.set_payload_max_length(options.max_body_bytes);
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!options.token || is_dashboard_path(req))
        return httplib::Server::HandlerResponse::Unhandled;
      const std::string given = req.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      if (given.starts_with(prefix) && same_secret(given.substr(prefix.size()), *options.token))
        return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer realm=\"reel\"");
      reply_problem(res, 401, "reel.serve.unauthorized",
                    "this server requires 'Authorization: Bearer TOKEN' (reel sp --token-file)");
      return httplib::Server::HandlerResponse::Handled;
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 413) {
        reply_problem(res, 413, "reel.serve.body_too_large",
                      "the request body is larger than the server's limit (--max-body-bytes)");
      } else if (res.status == 404) {
        reply_problem(res, 404, "reel.serve.no_route",
                      "no such route (see GET /api/v1/processors)");
      } else {
        reply_problem(res, res.status, "reel.serve.http",
                      "HTTP error " + std::to_string(res.status));
      }
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            reply_problem(res, 500, "reel.serve.internal", e.what());
          } catch (...) {
            reply_problem(res, 500, "reel.serve.internal", "unknown exception");
          }
        });

    using req_t = const httplib::Request&;
    using res_t = httplib::Response&;
    server.Get("/api/v1/processors", [this](req_t, res_t res) {
      guarded(res, [&] { reply_ok(res, {{"streamProcessors", host.list()}}); });
    });
    server.Get("/api/v1/connections", [this](req_t, res_t res) {
      guarded(res, [&] { reply_ok(res, {{"connections", host.connections()}}); });
    });
    server.Put(name_pattern, [this](req_t req, res_t res) {
      guarded(res, [&] {
        const std::string label = req.has_param("file") ? req.get_param_value("file") : "";
        reply_ok(res, {{"streamProcessor", host.create(req.matches[1], req.body, label)}}, 201);
      });
    });
    server.Get(name_pattern, [this](req_t req, res_t res) {
      guarded(res, [&] { reply_ok(res, {{"streamProcessor", host.describe(req.matches[1])}}); });
    });
    server.Delete(name_pattern, [this](req_t req, res_t res) {
      guarded(res, [&] {
        host.drop(req.matches[1]);
        reply_ok(res);
      });
    });
    server.Post(name_pattern + "/start", [this](req_t req, res_t res) {
      guarded(res, [&] {
        host.start(req.matches[1]);
        reply_ok(res);
      });
    });
    server.Post(name_pattern + "/stop", [this](req_t req, res_t res) {
      guarded(res, [&] {
        host.stop(req.matches[1]);
        reply_ok(res);
      });
    });
    server.Post(name_pattern + "/modify", [this](req_t req, res_t res) {
      guarded(res, [&] {
        const std::string label = req.has_param("file") ? req.get_param_value("file") : "";
        reply_ok(res, {{"streamProcessor", host.modify(req.matches[1], req.body, label,
                                                       flag(req, "resumeFromCheckpoint", true))}});
      });
    });
    server.Get(name_pattern + "/stats", [this](req_t req, res_t res) {
      guarded(res, [&] { reply_ok(res, host.stats(req.matches[1], flag(req, "verbose", false))); });
    });
    server.Get(name_pattern + "/sample", [this](req_t req, res_t res) {
      guarded(res, [&] {
        reply_ok(res, {{"messages", host.sample(req.matches[1], limit_param(req, 10))}});
      });
    });
    server.Get(name_pattern + "/dlq", [this](req_t req, res_t res) {
      guarded(res, [&] {
        reply_ok(res, {{"records", host.dead_letters(req.matches[1], limit_param(req, 10))}});
      });
    });
    server.Get(name_pattern + "/explain", [this](req_t req, res_t res) {
      guarded(res, [&] {
        std::optional<timestamp> t;
        if (req.has_param("time")) {
          t = parse_iso8601(req.get_param_value("time"));
          if (!t) {
            throw_error("reel.serve.bad_request", "time",
                        "time must be an ISO-8601 date, like 2024-06-01T20:00:00Z");
          }
        }
        reply_ok(res, host.explain(req.matches[1], t));
      });
    });
    server.Get("/metrics", [this](req_t, res_t res) {
      guarded(res, [&] {
        res.set_content(prometheus_text(host.metrics_snapshot(), host.clock().now()),
                        prometheus_content_type);
      });
    });
    // The dashboard (tools/reel/serve/dashboard/, embedded): the page and its files.
    const auto serve_asset = [](std::string_view name, res_t res) {
      const dashboard_asset* asset = find_dashboard_asset(name);
      if (asset == nullptr) {
        reply_problem(res, 404, "reel.serve.no_route", "no such file of the dashboard");
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      // The page runs only its own files and talks only to this server.
      res.set_header("Content-Security-Policy", "default-src 'self'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(std::string(asset->bytes), std::string(asset->content_type));
    };
    server.Get("/", [serve_asset](req_t, res_t res) { serve_asset("index.html", res); });
    server.Get("/dashboard/([A-Za-z0-9_.-]+)",
               [serve_asset](req_t req, res_t res) { serve_asset(req.matches[1].str(), res); });
  }
};

http_server::http_server(processor_host& host, server_options options)
    : impl_(std::make_unique<impl>(host, std::move(options))) {
  if (!is_loopback(impl_->options.host) && !impl_->options.token) {
    throw_error("reel.serve.token_required", "--listen",
                "listening on '" + impl_->options.host +
                    "', which is not the loopback, needs a bearer token: --token-file FILE or "
                    "the REEL_SERVE_TOKEN environment variable");
  }
  impl_->routes();
  if (impl_->options.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(impl_->options.host);
  } else if (impl_->server.bind_to_port(impl_->options.host, impl_->options.port)) {
    impl_->port = impl_->options.port;
  } else {
    impl_->port = -1;
  }
  if (impl_->port <= 0) {
    throw_error("reel.serve.listen_failed",
                impl_->options.host + ":" + std::to_string(impl_->options.port),
                "cannot listen on this address (in use, or not an address of this machine)");
  }
}

http_server::~http_server() {
  stop();
}

int http_server::port() const noexcept {
  return impl_->port;
}

void http_server::listen() {
  impl_->listening = true;
  if (!impl_->stop_requested) impl_->server.listen_after_bind();
  impl_->listening = false;
}

void http_server::stop() {
  // httplib forgets a stop that comes before its loop runs: wait for the loop of a listen()
  // that has begun (one that has not yet begun sees stop_requested and returns).
  impl_->stop_requested = true;
  while (impl_->listening && !impl_->server.is_running())
    std::this_thread::yield();
  impl_->server.stop();
}

http_response http_call(const std::string& base_url, const std::string& method,
                        const std::string& path, const std::string& body,
                        const std::string& token) {
  httplib::Client client(base_url);
  client.set_connection_timeout(5);
  client.set_read_timeout(120);  // a stop waits for the processor's current batch and checkpoint
  if (!token.empty()) client.set_bearer_token_auth(token);
  if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE")
    return {0, "", "unknown method " + method, {}};
  httplib::Result r = method == "GET"    ? client.Get(path)
                      : method == "PUT"  ? client.Put(path, body, json_type)
                      : method == "POST" ? client.Post(path, body, json_type)
                                         : client.Delete(path);
  if (!r) return {0, "", httplib::to_string(r.error()), {}};
  http_response out{r->status, r->body, "", {}};
  for (const auto& [name, value] : r->headers)
    out.headers.emplace(name, value);
  return out;
}

}  // namespace reel::serve
