// SPDX-License-Identifier: Apache-2.0
#include "client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reel/error.hpp"

#include "reel/detail/utf8.hpp"

namespace reel::https::detail {

namespace {

using clock_type = std::chrono::steady_clock;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

/// Keeps the header lines of the last response (a redirect or `100 Continue` clears them).
std::size_t append_header(char* data, std::size_t size, std::size_t n, void* out) {
  auto& headers = *static_cast<std::vector<std::pair<std::string, std::string>>*>(out);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear();
    return size * n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  const std::size_t first = value.find_first_not_of(" \t");
  const std::size_t last = value.find_last_not_of(" \t\r\n");
  value =
      first == std::string_view::npos ? std::string_view() : value.substr(first, last - first + 1);
  headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

bool worth_retrying(const response& r) {
  if (r.result != response::outcome::answered) return true;
  return r.status == 429 || r.status >= 500;
}

}  // namespace

/// The I/O thread runs libcurl's multi handle on its socket interface: libcurl says which sockets
/// to watch (`on_socket`) and when to call it back (`on_timer`), the thread waits on them with one
/// epoll set and hands libcurl only the sockets that are ready. (`curl_multi_poll` polled every
/// connection on every wakeup: at 64 calls in flight that was most of the thread's time.)
struct client::impl {
  /// One request and its current attempt.
  struct transfer {
    request req;
    completion done;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;  // the answer being read
    std::vector<std::pair<std::string, std::string>> response_headers;
    int attempts = 0;
    clock_type::time_point due;  // when a retry is sent

    ~transfer() {
      if (easy) curl_easy_cleanup(easy);
      if (headers) curl_slist_free_all(headers);
    }
  };

  CURLM* multi = nullptr;
  int epoll = -1;
  int wakeup = -1;  // an eventfd in the epoll set: a request arrived or the client stops
  std::mutex mutex;
  std::deque<std::unique_ptr<transfer>> incoming;  // guarded by mutex
  bool stopping = false;                           // guarded by mutex
  std::unordered_map<CURL*, std::unique_ptr<transfer>> running;
  std::vector<std::unique_ptr<transfer>> waiting;  // retries not yet due
  std::vector<CURL*> spare;                        // easy handles of finished transfers
  std::optional<clock_type::time_point> timer;     // when libcurl wants to be called
  std::atomic<std::uint64_t> retries{0};
  std::thread thread;

  impl() {
    global_init();
    epoll = ::epoll_create1(EPOLL_CLOEXEC);
    wakeup = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll < 0 || wakeup < 0) {
      if (epoll >= 0) ::close(epoll);
      if (wakeup >= 0) ::close(wakeup);
      throw reel::error("reel.https.client", "", "cannot create the HTTP client's epoll set");
    }
    watch(wakeup, EPOLLIN);
    multi = curl_multi_init();
    // Keep the connections of every call that may be in flight: libcurl's default cache follows
    // the number of handles added, which falls as calls complete, and closed connections would
    // be opened again for the next calls.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 1100L);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    thread = std::thread([this] { loop(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake();
    thread.join();
    curl_multi_cleanup(multi);
    for (CURL* e : spare)
      curl_easy_cleanup(e);
    ::close(wakeup);
    ::close(epoll);
  }

  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wakeup, &one, sizeof one);
  }

  void watch(int fd, std::uint32_t events) const {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
      ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
  }

  static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    const auto* client = static_cast<const impl*>(self);
    if (what == CURL_POLL_REMOVE) {
      ::epoll_ctl(client->epoll, EPOLL_CTL_DEL, fd, nullptr);
      return 0;
    }
    std::uint32_t events = 0;
    if (what & CURL_POLL_IN) events |= EPOLLIN;
    if (what & CURL_POLL_OUT) events |= EPOLLOUT;
    client->watch(fd, events);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto* client = static_cast<impl*>(self);
    if (timeout_ms < 0) {
      client->timer.reset();
    } else {
      client->timer = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  /// Prepares the easy handle of `t` for its next attempt and adds it to the multi handle.
  void start(std::unique_ptr<transfer> t) {
    if (!t->easy) {
      if (spare.empty()) {
        t->easy = curl_easy_init();
      } else {
        t->easy = spare.back();
        spare.pop_back();
        curl_easy_reset(t->easy);  // its connection stays in the multi handle's cache
      }
      for (const std::string& h : t->req.headers)
        t->headers = curl_slist_append(t->headers, h.c_str());
      // No "Expect: 100-continue" wait before a body.
      t->headers = curl_slist_append(t->headers, "Expect:");
    }
    CURL* e = t->easy;
    t->body.clear();
    t->response_headers.clear();
    ++t->attempts;
    curl_easy_setopt(e, CURLOPT_URL, t->req.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->req.method.c_str());
    if (t->req.method == "HEAD") curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    if (t->req.body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->req.body->data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t->req.body->size()));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &append_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t->response_headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(t->req.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->req.request_timeout.count()));
    curl_multi_add_handle(multi, e);
    running.emplace(e, std::move(t));
  }

  /// The attempt of `e` ended with `code`: retries it or completes its request.
  void ended(CURL* e, CURLcode code) {
    curl_multi_remove_handle(multi, e);
    auto it = running.find(e);
    std::unique_ptr<transfer> t = std::move(it->second);
    running.erase(it);
    response r;
    r.attempts = t->attempts;
    if (code == CURLE_OK) {
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
      const char* type = nullptr;
      curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &type);
      if (type) r.content_type = type;
      r.body = std::move(t->body);
      r.headers = std::move(t->response_headers);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      // libcurl reports both timeouts with one code. The connect timeout fires after about
      // `connect_timeout`, the request timeout after about `request_timeout`: when the first is
      // the shorter, an attempt that ended nearer to it was still connecting.
      curl_off_t elapsed_us = 0;
      curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &elapsed_us);
      const auto connect_ms = t->req.connect_timeout.count();
      const auto request_ms = t->req.request_timeout.count();
      const bool connecting =
          connect_ms < request_ms && elapsed_us / 1000 < (connect_ms + request_ms) / 2;
      r.result = connecting ? response::outcome::connect_timed_out : response::outcome::timed_out;
      r.error = curl_easy_strerror(code);
    } else {
      r.result = response::outcome::connection;
      r.error = curl_easy_strerror(code);
    }
    if (worth_retrying(r) && t->attempts <= t->req.max_retries) {
      const auto factor = std::int64_t{1} << std::min(t->attempts - 1, 20);
      t->due = clock_type::now() + t->req.backoff * factor;
      waiting.push_back(std::move(t));
      return;
    }
    spare.push_back(std::exchange(t->easy, nullptr));
    t->done(std::move(r));
  }

  /// Milliseconds until libcurl's timer or the next retry, at most a second.
  [[nodiscard]] int wait_ms(clock_type::time_point now) const {
    auto until = [&](clock_type::time_point at) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(at - now).count();
      return static_cast<long>(std::max<std::int64_t>(ms, 0));
    };
    long wait = 1000;
    if (timer) wait = std::min(wait, until(*timer));
    for (const auto& t : waiting)
      wait = std::min(wait, until(t->due));
    return static_cast<int>(wait);
  }

  void loop() {
    std::array<epoll_event, 128> ready{};
    while (true) {
      std::deque<std::unique_ptr<transfer>> added;
      bool stop = false;
      {
        std::lock_guard lock(mutex);
        added.swap(incoming);
        stop = stopping;
      }
      if (stop) break;
      for (auto& t : added)
        start(std::move(t));
      auto now = clock_type::now();
      for (auto it = waiting.begin(); it != waiting.end();) {
        if ((*it)->due <= now) {
          retries.fetch_add(1, std::memory_order_relaxed);
          start(std::move(*it));
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
      const int n = ::epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()), wait_ms(now));
      int still_running = 0;
      for (int i = 0; i < n; ++i) {
        const int fd = ready[static_cast<std::size_t>(i)].data.fd;
        const std::uint32_t events = ready[static_cast<std::size_t>(i)].events;
        if (fd == wakeup) {
          std::uint64_t count = 0;
          [[maybe_unused]] const ssize_t r = ::read(wakeup, &count, sizeof count);
          continue;
        }
        int flags = 0;
        if (events & EPOLLIN) flags |= CURL_CSELECT_IN;
        if (events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
        if (events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi, fd, flags, &still_running);
      }
      if (timer && *timer <= clock_type::now()) {
        timer.reset();  // libcurl sets it again if it needs to
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &still_running);
      }
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg == CURLMSG_DONE) ended(m->easy_handle, m->data.result);
      }
    }
    // Stopping: what is still under way ends as a connection error.
    auto abandon = [](transfer& t) {
      response r;
      r.result = response::outcome::connection;
      r.error = "the HTTP client was stopped";
      r.attempts = t.attempts;
      t.done(std::move(r));
    };
    for (auto& [easy, t] : running) {
      curl_multi_remove_handle(multi, easy);
      abandon(*t);
    }
    running.clear();
    for (auto& t : waiting)
      abandon(*t);
    waiting.clear();
    std::lock_guard lock(mutex);
    for (auto& t : incoming)
      abandon(*t);
    incoming.clear();
  }
};

std::string body_excerpt(std::string_view body) {
  constexpr std::size_t body_excerpt_bytes = 256;
  std::string out;
  std::size_t i = 0;
  while (i < body.size() && out.size() < body_excerpt_bytes) {
    const std::size_t n = reel::detail::utf8_sequence_length(body, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(body.substr(i, n));
      i += n;
    }
  }
  if (i < body.size()) out += "\xE2\x80\xA6";
  return out;
}

client::client() : impl_(std::make_unique<impl>()) {}
client::~client() = default;

void client::send(request r, completion done) {
  auto t = std::make_unique<impl::transfer>();
  t->req = std::move(r);
  t->done = std::move(done);
  bool first = false;
  {
    std::lock_guard lock(impl_->mutex);
    first = impl_->incoming.empty();
    impl_->incoming.push_back(std::move(t));
  }
  // A request already waiting has woken the I/O thread, which takes every waiting request at once.
  if (first) impl_->wake();
}

std::uint64_t client::retries() const noexcept {
  return impl_->retries.load(std::memory_order_relaxed);
}

}  // namespace reel::https::detail
