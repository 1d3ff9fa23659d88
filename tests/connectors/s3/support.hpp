// SPDX-License-Identifier: Apache-2.0
// Test support for reel::s3: the service under test (from the environment), a tiny local HTTP
// listener that records requests and answers scripted responses, gunzip.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <zlib.h>
#include <catch2/catch.hpp>

#include "reel/s3/client.hpp"

namespace reel_s3_test {

/// The S3-compatible server started by scripts/services/s3.sh.
struct service {
  std::string endpoint;
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string control_script;  // scripts/services/s3.sh, for the restart test

  [[nodiscard]] reel::s3::client_options client_options() const {
    reel::s3::client_options o;
    o.region = region;
    o.endpoint = endpoint;
    o.path_style = true;
    o.credentials.access_key_id = access_key;
    o.credentials.secret_access_key = secret_key;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.request_timeout = std::chrono::milliseconds(20000);
    return o;
  }
};

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// The service, or empty after a clear message when it is not configured; with
/// REEL_REQUIRE_SERVICES=1 a missing service fails the test instead.
inline std::optional<service> find_service() {
  service s{env("REEL_S3_ENDPOINT"), env("REEL_S3_ACCESS_KEY"), env("REEL_S3_SECRET_KEY"),
            env("REEL_S3_REGION"), env("REEL_S3_SERVICE")};
  if (s.region.empty()) s.region = "us-east-1";
  if (s.endpoint.empty() || s.access_key.empty() || s.secret_key.empty()) {
    const std::string why =
        "no S3 service: set REEL_S3_ENDPOINT, REEL_S3_ACCESS_KEY and REEL_S3_SECRET_KEY "
        "(eval \"$(scripts/services/s3.sh env)\" after scripts/services/s3.sh up)";
    if (env("REEL_REQUIRE_SERVICES") == "1")
      FAIL(why + "; REEL_REQUIRE_SERVICES=1 forbids skipping");
    WARN("SKIPPED: " + why);
    return std::nullopt;
  }
  return s;
}

#define REEL_S3_SERVICE_OR_SKIP(var)                                             \
  const std::optional<reel_s3_test::service> var = reel_s3_test::find_service(); \
  if (!var) return

/// A fresh bucket name: reel-test-<what>-<random>.
inline std::string bucket_name(const std::string& what) {
  static std::mt19937_64 gen{std::random_device{}()};
  std::ostringstream out;
  out << "reel-test-" << what << "-" << std::hex << (gen() & 0xFFFFFFFFull);
  return out.str();
}

inline std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// One request seen by the listener.
struct seen_request {
  std::string line;                                          // "PUT /b/k HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case, in order
  std::string body;

  [[nodiscard]] std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
};

/// An HTTP/1.1 response with an optional XML body.
inline std::string http_response(int status, const std::string& reason,
                                 const std::string& body = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         (body.empty() ? "" : "\r\nContent-Type: application/xml") +
         "\r\nConnection: close\r\n\r\n" + body;
}

inline std::string s3_error_body(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>1</RequestId></Error>";
}

/// Listens on 127.0.0.1 (an ephemeral port), records each request and answers the scripted
/// responses in turn (the last one again when they run out); one request per connection.
class listener {
 public:
  explicit listener(std::vector<std::string> responses) : responses_(std::move(responses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~listener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<seen_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }

  /// Reads until `pred(buffer)` or the peer closes / 5 s pass.
  template <class Pred>
  static bool read_until(int c, std::string& buffer, Pred pred) {
    char chunk[8192];
    for (int waited = 0; !pred(buffer) && waited < 5000;) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        waited += 50;
        continue;
      }
      const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
      if (n <= 0) return pred(buffer);
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return pred(buffer);
  }

  void serve(int c) {
    std::string data;
    if (!read_until(c, data,
                    [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; })) {
      return;
    }
    const std::size_t head_end = data.find("\r\n\r\n");
    seen_request r;
    std::istringstream head(data.substr(0, head_end));
    std::string line;
    std::getline(head, r.line);
    if (!r.line.empty() && r.line.back() == '\r') r.line.pop_back();
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& ch : name)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      r.headers.emplace_back(std::move(name), std::move(value));
    }
    const std::string length = r.header("content-length");
    const std::size_t size = length.empty() ? 0 : std::stoul(length);
    std::string body = data.substr(head_end + 4);
    if (body.size() < size && r.header("expect") == "100-continue") {
      const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      ::send(c, cont.data(), cont.size(), MSG_NOSIGNAL);
    }
    read_until(c, body, [size](const std::string& b) { return b.size() >= size; });
    r.body = std::move(body);
    std::string response;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(r));
      const std::size_t i = std::min(next_++, responses_.size() - 1);
      response = responses_[i];
    }
    ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
  }

  std::vector<std::string> responses_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<seen_request> requests_;
  std::size_t next_ = 0;
};

}  // namespace reel_s3_test
