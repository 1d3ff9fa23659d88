// SPDX-License-Identifier: Apache-2.0
// The change-stream test double: replays recorded events with a server's rules.
#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reel/json/query.hpp"
#include "reel/json/value.hpp"
#include "reel/mongo/change_stream.hpp"

namespace reel::mongo {

struct replay_change_stream::state {
  mutable std::mutex mutex;
  std::vector<document> events;
  int failures = 0;
  std::size_t batch = 100;
  std::optional<document> post_batch_token;
  std::vector<change_stream_request> requests;
};

namespace {

std::pair<std::int64_t, std::int64_t> cluster_time(const document& ev) {
  auto c = ev.find("clusterTime");
  if (c == ev.end() || !c->is_object() || !c->contains("$timestamp")) return {0, 0};
  const document& ts = (*c)["$timestamp"];
  return {ts.value("t", std::int64_t{0}), ts.value("i", std::int64_t{0})};
}

class replay_cursor final : public change_stream_cursor {
 public:
  replay_cursor(std::shared_ptr<replay_change_stream::state> s, const change_stream_request& r)
      : state_(std::move(s)), options_(r.options) {
    std::lock_guard lock(state_->mutex);
    state_->requests.push_back(r);
    for (const document& stage : r.server_pipeline()) {
      if (stage.contains("$match")) matchers_.push_back(json::compile_query(stage["$match"]));
    }
    const std::optional<document>& token = r.resume_token ? r.resume_token : options_.start_after;
    if (token) {
      auto it = std::find_if(state_->events.begin(), state_->events.end(), [&](const document& e) {
        return e.contains("_id") && json::values_equal(e["_id"], *token);
      });
      if (it == state_->events.end()) {
        throw error("reel.mongo.change_stream_failed", "",
                    "cannot resume the change stream: the resume token was not found",
                    domain::server, 280, error_kind::server);
      }
      next_ = static_cast<std::size_t>(it - state_->events.begin()) + 1;
    } else if (options_.start_at_operation_time) {
      const document& ts = (*options_.start_at_operation_time)["$timestamp"];
      const std::pair<std::int64_t, std::int64_t> start{ts.value("t", std::int64_t{0}),
                                                        ts.value("i", std::int64_t{0})};
      next_ = state_->events.size();
      for (std::size_t i = 0; i < state_->events.size(); ++i) {
        if (cluster_time(state_->events[i]) >= start) {
          next_ = i;
          break;
        }
      }
    } else {
      next_ = state_->events.size();  // a new stream sees what happens from now on
    }
  }

  void next_batch(std::vector<document>& events, std::size_t max) override {
    std::lock_guard lock(state_->mutex);
    if (state_->failures > 0) {
      --state_->failures;
      throw error("reel.mongo.change_stream_failed", "",
                  "reading the change stream failed: connection reset (replayed failure)",
                  domain::stream, 4, error_kind::transient);  // MONGOC_ERROR_STREAM_SOCKET
    }
    const std::size_t limit = std::min(max, state_->batch == 0 ? max : state_->batch);
    std::size_t n = 0;
    while (next_ < state_->events.size() && n < limit) {
      document ev = state_->events[next_++];
      token_ = ev.contains("_id") ? ev["_id"] : document(nullptr);
      if (!visible(ev)) continue;
      if (ev.value("operationType", std::string()) == "update") {
        if (options_.full_document == "default") {
          ev.erase("fullDocument");
        } else if (options_.full_document == "required" &&
                   (!ev.contains("fullDocument") || ev["fullDocument"].is_null())) {
          throw error("reel.mongo.change_stream_failed", "",
                      "fullDocument is 'required' but the post-image of an update is not "
                      "available",
                      domain::server, 286, error_kind::server);
        }
      }
      if (options_.full_document_before_change == "off") ev.erase("fullDocumentBeforeChange");
      events.push_back(std::move(ev));
      ++n;
    }
    if (next_ == state_->events.size() && state_->post_batch_token) {
      token_ = *state_->post_batch_token;
    }
  }

  [[nodiscard]] document resume_token() const override { return token_; }

 private:
  bool visible(const document& ev) const {
    const document ns = ev.value("ns", document::object());
    if (!options_.db.empty() && ns.value("db", std::string()) != options_.db &&
        ev.value("operationType", std::string()) != "invalidate") {
      return false;
    }
    if (!options_.colls.empty() && ns.contains("coll") &&
        std::find(options_.colls.begin(), options_.colls.end(), ns.value("coll", std::string())) ==
            options_.colls.end()) {
      return false;
    }
    return std::all_of(matchers_.begin(), matchers_.end(),
                       [&](const json::query& q) { return q.matches(ev); });
  }

  std::shared_ptr<replay_change_stream::state> state_;
  change_stream_options options_;
  std::vector<json::query> matchers_;
  std::size_t next_ = 0;
  document token_ = nullptr;
};

}  // namespace

replay_change_stream::replay_change_stream(std::vector<document> events)
    : state_(std::make_shared<state>()) {
  for (document& e : events)
    state_->events.push_back(json::normalize_ejson(std::move(e)));
}

void replay_change_stream::record(document event) {
  std::lock_guard lock(state_->mutex);
  state_->events.push_back(json::normalize_ejson(std::move(event)));
}

void replay_change_stream::fail_next(int count) {
  std::lock_guard lock(state_->mutex);
  state_->failures += count;
}

void replay_change_stream::set_batch(std::size_t n) {
  std::lock_guard lock(state_->mutex);
  state_->batch = n;
}

void replay_change_stream::set_post_batch_token(document token) {
  std::lock_guard lock(state_->mutex);
  state_->post_batch_token = std::move(token);
}

cursor_factory replay_change_stream::cursors() {
  return [s = state_](const change_stream_request& r) -> std::unique_ptr<change_stream_cursor> {
    return std::make_unique<replay_cursor>(s, r);
  };
}

std::vector<change_stream_request> replay_change_stream::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

}  // namespace reel::mongo
