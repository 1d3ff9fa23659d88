// SPDX-License-Identifier: Apache-2.0
// Private: the libmongoc pool behind reel::mongo::client, error translation and retries.
#pragma once

#include <mongoc/mongoc.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "bson.hh"
#include "reel/mongo/client.hpp"
#include "reel/mongo/error.hpp"

namespace reel::mongo {

struct client::impl {
  mongoc_uri_t* uri = nullptr;
  mongoc_client_pool_t* pool = nullptr;
  retry_policy retry;
  std::string redacted;
  // detail::update_statement_limit(), asked of the server once.
  std::once_flag server_checked;
  std::size_t update_statement_limit = 0;
  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl();
};

namespace detail {

/// A client popped from the pool for one operation, pushed back on destruction.
class pooled_client {
 public:
  explicit pooled_client(client::impl& i) : impl_(i), c_(mongoc_client_pool_pop(i.pool)) {}
  ~pooled_client() { mongoc_client_pool_push(impl_.pool, c_); }
  pooled_client(const pooled_client&) = delete;
  pooled_client& operator=(const pooled_client&) = delete;
  mongoc_client_t* get() const noexcept { return c_; }

 private:
  client::impl& impl_;
  mongoc_client_t* c_;
};

/// Owned libmongoc handles.
struct collection_deleter {
  void operator()(mongoc_collection_t* c) const noexcept { mongoc_collection_destroy(c); }
};
using collection_ptr = std::unique_ptr<mongoc_collection_t, collection_deleter>;
struct bulk_deleter {
  void operator()(mongoc_bulk_operation_t* b) const noexcept { mongoc_bulk_operation_destroy(b); }
};
using bulk_ptr = std::unique_ptr<mongoc_bulk_operation_t, bulk_deleter>;

/// How a libmongoc failure is handled (`reply` may be null): network, server selection,
/// retryable labels and not-primary/shutdown codes are transient.
error_kind classify(const bson_error_t& e, const bson_t* reply = nullptr);

/// `message` of `e` with the libmongoc text.
[[noreturn]] void raise(const std::string& id, const std::string& where, const std::string& what,
                        const bson_error_t& e, const bson_t* reply = nullptr);
/// A `reel::mongo::error` for `e` (not thrown).
error make_error(const std::string& id, const std::string& where, const std::string& what,
                 const bson_error_t& e, const bson_t* reply = nullptr);

/// Strips the ` (domain=D code=C)` suffix that `reel::mongo::error` adds (for re-wrapping).
std::string without_codes(const std::string& message);

/// Runs `f()` until it returns without throwing a transient `reel::mongo::error`, at most
/// `policy.max_attempts` times, waiting `policy.backoff` between attempts. When the attempts
/// are exhausted throws `reel.mongo.unavailable` with the last failure's domain and code.
/// `retries` counts the repeated attempts.
template <class F>
auto with_retries(const retry_policy& policy, const std::string& where, F&& f,
                  std::uint64_t* retries = nullptr) -> decltype(f()) {
  const int attempts = policy.max_attempts < 1 ? 1 : policy.max_attempts;
  for (int attempt = 1;; ++attempt) {
    try {
      return f();
    } catch (const reel::mongo::error& e) {
      if (!e.transient()) throw;
      if (attempt >= attempts) {
        throw reel::mongo::error("reel.mongo.unavailable", where,
                                 "gave up after " + std::to_string(attempts) +
                                     (attempts == 1 ? " attempt: " : " attempts: ") +
                                     without_codes(e.message()),
                                 e.domain(), e.code(), error_kind::transient);
      }
      if (retries) ++*retries;
      policy.wait(attempt);
    }
  }
}

/// The most update, replace or delete statements one bulk command may carry on `c`'s server, 0
/// for no limit. FerretDB 1.x (its `buildInfo` has `ferretdbVersion`) keeps the query of every
/// statement that matched a document open until the command ends, each holding one of the 100
/// connections of its SQLite pool: the 101st such statement waits for a connection forever, and
/// the database stays stuck until the server restarts. So commands to it carry at most 50.
/// Asks the server once per client pool (`buildInfo`, with retries counted in `retries`); throws
/// `reel.mongo.unavailable` (at `where`) as the writes do.
std::size_t update_statement_limit(const client& c, const std::string& where,
                                   std::uint64_t* retries);

/// The first `writeErrors` entry of a bulk reply: index, code, message; false when none.
bool first_write_error(const bson_t* reply, std::uint32_t& index, std::uint32_t& code,
                       std::string& message);
/// An integer field of a reply (nMatched, nRemoved, ...), 0 when absent.
std::int64_t reply_count(const bson_t* reply, const char* field);

}  // namespace detail
}  // namespace reel::mongo
