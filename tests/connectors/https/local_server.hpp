// SPDX-License-Identifier: Apache-2.0
// An HTTP server for tests and benchmarks of reel::https: cpp-httplib on 127.0.0.1 at a port the
// system chooses, answering on its own threads (enough for 64 requests at once). Add routes to
// `routes()`, then `start()`.
#pragma once

#include <string>
#include <thread>

#include <httplib.h>
#include <sys/socket.h>

namespace reel::test {

class local_http_server {
 public:
  local_http_server() {
    server_.new_task_queue = [] { return new httplib::ThreadPool(96); };
    server_.set_tcp_nodelay(true);  // no Nagle wait between the headers and the body
    server_.set_keep_alive_max_count(1'000'000);
    // httplib listens with a backlog of 5: 64 connections opened at once would overflow it and
    // wait a second for their SYN to be sent again. The socket is kept to listen on it again.
    server_.set_socket_options([this](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listener_ = sock;
    });
  }
  ~local_http_server() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  local_http_server(const local_http_server&) = delete;
  local_http_server& operator=(const local_http_server&) = delete;

  httplib::Server& routes() { return server_; }

  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ::listen(listener_, 512);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing before the loop runs (httplib 0.11 has no wait_until_ready).
    while (!server_.is_running())
      std::this_thread::yield();
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace reel::test
