// SPDX-License-Identifier: Apache-2.0
#include "client.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <curl/curl.h>

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
  std::mutex mutex;
  std::deque<std::unique_ptr<transfer>> incoming;  // guarded by mutex
  bool stopping = false;                           // guarded by mutex
  std::map<CURL*, std::unique_ptr<transfer>> running;
  std::vector<std::unique_ptr<transfer>> waiting;  // retries not yet due
  std::atomic<std::uint64_t> retries{0};
  std::thread thread;

  impl() {
    global_init();
    multi = curl_multi_init();
    // Keep the connections of every call that may be in flight: libcurl's default cache follows
    // the number of handles added, which falls as calls complete, and closed connections would
    // be opened again for the next calls.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 1100L);
    thread = std::thread([this] { loop(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    curl_multi_wakeup(multi);
    thread.join();
    curl_multi_cleanup(multi);
  }

  /// Prepares the easy handle of `t` for its next attempt and adds it to the multi handle.
  void start(std::unique_ptr<transfer> t) {
    if (!t->easy) {
      t->easy = curl_easy_init();
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
    t->done(std::move(r));
  }

  void loop() {
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
      const auto now = clock_type::now();
      for (auto it = waiting.begin(); it != waiting.end();) {
        if ((*it)->due <= now) {
          retries.fetch_add(1, std::memory_order_relaxed);
          start(std::move(*it));
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
      int still_running = 0;
      curl_multi_perform(multi, &still_running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg == CURLMSG_DONE) ended(m->easy_handle, m->data.result);
      }
      // Wait for a socket, a wakeup (a new request) or the next retry, at most a second.
      long wait_ms = 1000;
      for (const auto& t : waiting) {
        const auto until =
            std::chrono::duration_cast<std::chrono::milliseconds>(t->due - clock_type::now());
        wait_ms = std::clamp<long>(static_cast<long>(until.count()) + 1, 0, wait_ms);
      }
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
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
  {
    std::lock_guard lock(impl_->mutex);
    impl_->incoming.push_back(std::move(t));
  }
  curl_multi_wakeup(impl_->multi);
}

std::uint64_t client::retries() const noexcept {
  return impl_->retries.load(std::memory_order_relaxed);
}

}  // namespace reel::https::detail
