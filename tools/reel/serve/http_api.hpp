// SPDX-License-Identifier: Apache-2.0
// The HTTP JSON API of `reel serve` (routes in the README, "Running as a service"), served
// with cpp-httplib, and the small client `reel sp` and the tests use.
//
//   GET    /api/v1/processors                      sp.listStreamProcessors()
//   PUT    /api/v1/processors/NAME[?file=LABEL]    sp.createStreamProcessor(NAME, ...): the body
//                                                  is a pipeline file (201)
//   GET    /api/v1/processors/NAME                 the processor's description
//   POST   /api/v1/processors/NAME/start           sp.NAME.start()
//   POST   /api/v1/processors/NAME/stop            sp.NAME.stop()
//   POST   /api/v1/processors/NAME/modify[?resumeFromCheckpoint=false]
//                                                  sp.NAME.modify(...): the body is the new file
//   DELETE /api/v1/processors/NAME                 sp.NAME.drop()
//   GET    /api/v1/processors/NAME/stats[?verbose=true]   sp.NAME.stats()
//   GET    /api/v1/processors/NAME/sample[?limit=N]       sp.NAME.sample()
//   GET    /api/v1/processors/NAME/dlq[?limit=N]          the last DLQ records, secrets masked
//   GET    /api/v1/processors/NAME/explain[?time=ISO]     the plan (and the window at a time)
//   GET    /api/v1/connections                     sp.listConnections() (secrets masked)
//   GET    /metrics                                Prometheus text exposition
//   GET    /, /dashboard/FILE                      the dashboard (embedded files; no token
//                                                  needed: they hold no data, the page asks
//                                                  the API with the token)
//
// Replies are JSON with `ok: 1`, or `ok: 0` with `errmsg` and the located `diagnostics`:
// 400 bad definition or request, 401 missing or wrong token, 404 unknown processor, 409
// conflict (exists, not running, incompatible checkpoint), 413 body too large, 500 state or I/O
// failure.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "serve/processor_host.hpp"

namespace reel::serve {

struct server_options {
  std::string host = "127.0.0.1";
  int port = 8080;  ///< 0: any free port (see `http_server::port()`)
  /// Required as `Authorization: Bearer TOKEN` on every call when set. A server listening on
  /// an address other than the loopback refuses to start without one.
  std::optional<std::string> token;
  std::size_t max_body_bytes = 1 << 20;
};

/// True for the loopback addresses (127.0.0.0/8, ::1, localhost).
[[nodiscard]] bool is_loopback(const std::string& host);

class http_server {
 public:
  /// Binds the address; throws `reel.serve.listen_failed`, or `reel.serve.token_required` for
  /// an address other than the loopback without a token.
  http_server(processor_host& host, server_options options);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  [[nodiscard]] int port() const noexcept;
  /// Serves until `stop()` (from another thread or a signal handler's waiter).
  void listen();
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct http_response {
  int status = 0;  ///< 0: no answer (see `error`)
  std::string body;
  std::string error;                           ///< why no answer came (connection refused, timeout)
  std::map<std::string, std::string> headers;  ///< as the server spelled their names
};

/// One call to `base_url` (`http://127.0.0.1:8080`): `method` GET, PUT, POST or DELETE.
[[nodiscard]] http_response http_call(const std::string& base_url, const std::string& method,
                                      const std::string& path, const std::string& body = "",
                                      const std::string& token = "");

}  // namespace reel::serve
