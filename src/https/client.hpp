// SPDX-License-Identifier: Apache-2.0
// An HTTP client for enrichment calls: one I/O thread drives libcurl's multi interface, so any
// number of requests are in flight at once without a thread each; connections are reused.
// Requests that fail in a way worth repeating (a timeout, a connection error, HTTP 429 or 5xx)
// are sent again after an exponential backoff, up to `max_retries` times. The completion of a
// request runs on the I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel::https::detail {

struct request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  ///< `Name: value`
  std::optional<std::string> body;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds request_timeout{60'000};
  int max_retries = 0;
  std::chrono::milliseconds backoff{100};  ///< before the first retry; doubled for each next one
};

struct response {
  /// How the last attempt ended.
  enum class outcome {
    answered,           ///< an HTTP answer (`status`, `body`, `content_type`, `headers`)
    connect_timed_out,  ///< no connection within `connect_timeout`
    timed_out,          ///< no whole answer within `request_timeout`
    connection,         ///< no connection, or it broke (`error`)
  };
  outcome result = outcome::answered;
  long status = 0;
  std::string body;
  std::string content_type;  ///< as the server sent it, empty when it sent none
  /// The answer's headers, names in lower case, values trimmed, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  ///< libcurl's message when not answered
  int attempts = 0;

  /// The value of the header `name` (lower case), or empty.
  [[nodiscard]] std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
};

/// The first 256 bytes of `body` as valid UTF-8 (invalid bytes become U+FFFD), with `…` when
/// it was cut: what failure reasons quote of an answer.
[[nodiscard]] std::string body_excerpt(std::string_view body);

class client {
 public:
  using completion = std::function<void(response)>;

  client();
  ~client();  // completes the requests still under way with a connection error
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Starts `r`; `done` runs once on the I/O thread with the answer of its last attempt.
  void send(request r, completion done);

  /// Attempts sent again after a failure, since the client was made.
  [[nodiscard]] std::uint64_t retries() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::https::detail
