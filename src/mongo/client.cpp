// SPDX-License-Identifier: Apache-2.0
#include "client.hh"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace reel::mongo {

static_assert(domain::client == MONGOC_ERROR_CLIENT);
static_assert(domain::stream == MONGOC_ERROR_STREAM);
static_assert(domain::command == MONGOC_ERROR_COMMAND);
static_assert(domain::bson == MONGOC_ERROR_BSON);
static_assert(domain::server_selection == MONGOC_ERROR_SERVER_SELECTION);
static_assert(domain::write_concern == MONGOC_ERROR_WRITE_CONCERN);
static_assert(domain::server == MONGOC_ERROR_SERVER);

namespace detail {

namespace {

/// libmongoc logs to stderr by default; library code never prints, so its messages are dropped
/// unless REEL_MONGO_DRIVER_LOG is set (an application may install its own handler after).
void log_handler(mongoc_log_level_t level, const char* domain, const char* message, void* data) {
  static const bool enabled = std::getenv("REEL_MONGO_DRIVER_LOG") != nullptr;
  if (enabled) mongoc_log_default_handler(level, domain, message, data);
}

void init_driver() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_log_set_handler(log_handler, nullptr);
    // No mongoc_cleanup(): clients may outlive any exit hook (static objects), and the process
    // releases the driver's global state anyway.
    mongoc_init();
  });
}

bool has_label(const bson_t* reply, const char* label) {
  return reply != nullptr && mongoc_error_has_label(reply, label);
}

bool transient_server_code(std::uint32_t code) {
  switch (code) {
    case 6:      // HostUnreachable
    case 7:      // HostNotFound
    case 43:     // CursorNotFound (a change stream resumes)
    case 63:     // StaleShardVersion
    case 89:     // NetworkTimeout
    case 91:     // ShutdownInProgress
    case 133:    // FailedToSatisfyReadPreference
    case 134:    // ReadConcernMajorityNotAvailableYet
    case 150:    // StaleEpoch
    case 189:    // PrimarySteppedDown
    case 234:    // RetryChangeStream
    case 262:    // ExceededTimeLimit
    case 9001:   // SocketException
    case 10107:  // NotWritablePrimary
    case 11600:  // InterruptedAtShutdown
    case 11602:  // InterruptedDueToReplStateChange
    case 13388:  // StaleConfig
    case 13435:  // NotPrimaryNoSecondaryOk
    case 13436:  // NotPrimaryOrSecondary
      return true;
    default:
      return false;
  }
}

}  // namespace

error_kind classify(const bson_error_t& e, const bson_t* reply) {
  if (has_label(reply, "RetryableWriteError") || has_label(reply, "ResumableChangeStreamError") ||
      has_label(reply, "TransientTransactionError") || has_label(reply, "NetworkError")) {
    return error_kind::transient;
  }
  switch (e.domain) {
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_SERVER_SELECTION:
      return error_kind::transient;
    case MONGOC_ERROR_CLIENT:
      return e.code == MONGOC_ERROR_CLIENT_AUTHENTICATE ? error_kind::config : error_kind::server;
    case MONGOC_ERROR_BSON:
      return error_kind::data;
    default:
      break;
  }
  if (transient_server_code(e.code)) return error_kind::transient;
  if (e.code == 13 || e.code == 18) return error_kind::config;  // Unauthorized, AuthFailed
  return error_kind::server;
}

error make_error(const std::string& id, const std::string& where, const std::string& what,
                 const bson_error_t& e, const bson_t* reply) {
  std::string message = what;
  if (e.message[0] != '\0') message += (what.empty() ? "" : ": ") + std::string(e.message);
  return error(id, where, message, e.domain, e.code, classify(e, reply));
}

void raise(const std::string& id, const std::string& where, const std::string& what,
           const bson_error_t& e, const bson_t* reply) {
  throw make_error(id, where, what, e, reply);
}

std::string without_codes(const std::string& message) {
  const auto at = message.rfind(" (domain=");
  if (at != std::string::npos && !message.empty() && message.back() == ')') {
    return message.substr(0, at);
  }
  return message;
}

bool first_write_error(const bson_t* reply, std::uint32_t& index, std::uint32_t& code,
                       std::string& message) {
  bson_iter_t it, errors;
  if (!reply || !bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &errors)) {
    return false;
  }
  while (bson_iter_next(&errors)) {
    bson_iter_t entry;
    if (!BSON_ITER_HOLDS_DOCUMENT(&errors) || !bson_iter_recurse(&errors, &entry)) continue;
    index = 0;
    code = 0;
    message.clear();
    while (bson_iter_next(&entry)) {
      const char* key = bson_iter_key(&entry);
      if (std::strcmp(key, "index") == 0 && BSON_ITER_HOLDS_NUMBER(&entry)) {
        index = static_cast<std::uint32_t>(bson_iter_as_int64(&entry));
      } else if (std::strcmp(key, "code") == 0 && BSON_ITER_HOLDS_NUMBER(&entry)) {
        code = static_cast<std::uint32_t>(bson_iter_as_int64(&entry));
      } else if (std::strcmp(key, "errmsg") == 0 && BSON_ITER_HOLDS_UTF8(&entry)) {
        message = bson_iter_utf8(&entry, nullptr);
      }
    }
    return true;
  }
  return false;
}

std::size_t update_statement_limit(const client& c, const std::string& where,
                                   std::uint64_t* retries) {
  client::impl& i = *c.implementation();
  std::call_once(i.server_checked, [&] {  // an exception leaves it to the next call
    const bool ferretdb = with_retries(
        i.retry, where,
        [&] {
          pooled_client pc(i);
          bson_value cmd, reply;
          BSON_APPEND_INT32(cmd.get(), "buildInfo", 1);
          bson_error_t e;
          if (!mongoc_client_command_simple(pc.get(), "admin", cmd.get(), nullptr, reply.get(),
                                            &e)) {
            raise("reel.mongo.command_failed", where, "buildInfo failed", e, reply.get());
          }
          bson_iter_t it;
          return bson_iter_init_find(&it, reply.get(), "ferretdbVersion");
        },
        retries);
    i.update_statement_limit = ferretdb ? 50 : 0;
  });
  return i.update_statement_limit;
}

std::int64_t reply_count(const bson_t* reply, const char* field) {
  bson_iter_t it;
  if (reply && bson_iter_init_find(&it, reply, field) && BSON_ITER_HOLDS_NUMBER(&it)) {
    return bson_iter_as_int64(&it);
  }
  return 0;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// retry_policy

std::chrono::milliseconds retry_policy::backoff(int attempt) const {
  double ms = static_cast<double>(initial_backoff.count());
  for (int i = 1; i < attempt; ++i) {
    ms *= multiplier < 1.0 ? 1.0 : multiplier;
    if (ms >= static_cast<double>(max_backoff.count())) break;
  }
  ms = std::min(ms, static_cast<double>(max_backoff.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, ms)));
}

void retry_policy::wait(int attempt) const {
  const auto d = backoff(attempt);
  if (sleep) {
    sleep(d);
  } else if (d.count() > 0) {
    std::this_thread::sleep_for(d);
  }
}

// ---------------------------------------------------------------------------------------------
// client

client::impl::~impl() {
  if (pool) mongoc_client_pool_destroy(pool);
  if (uri) mongoc_uri_destroy(uri);
}

client::client(client_options options) : impl_(std::make_shared<impl>()) {
  detail::init_driver();
  bson_error_t e;
  impl_->uri = mongoc_uri_new_with_error(options.uri.c_str(), &e);
  if (!impl_->uri) {
    throw error("reel.mongo.invalid_uri", "", std::string("invalid MongoDB URI: ") + e.message,
                e.domain, e.code, error_kind::config);
  }
  if (!options.app_name.empty() && !mongoc_uri_get_appname(impl_->uri)) {
    mongoc_uri_set_appname(impl_->uri, options.app_name.c_str());
  }
  if (!mongoc_uri_has_option(impl_->uri, MONGOC_URI_SOCKETTIMEOUTMS) &&
      options.socket_timeout.count() > 0) {
    mongoc_uri_set_option_as_int32(impl_->uri, MONGOC_URI_SOCKETTIMEOUTMS,
                                   static_cast<std::int32_t>(options.socket_timeout.count()));
  }
  impl_->redacted = options.uri;
  if (const char* password = mongoc_uri_get_password(impl_->uri); password && *password) {
    for (auto at = impl_->redacted.find(password); at != std::string::npos;
         at = impl_->redacted.find(password, at + 8)) {
      impl_->redacted.replace(at, std::strlen(password), "********");
    }
  }
  impl_->pool = mongoc_client_pool_new_with_error(impl_->uri, &e);
  if (!impl_->pool) {
    throw error("reel.mongo.invalid_uri", "",
                std::string("cannot create a client pool: ") + e.message, e.domain, e.code,
                error_kind::config);
  }
  mongoc_client_pool_set_error_api(impl_->pool, MONGOC_ERROR_API_VERSION_2);
  impl_->retry = std::move(options.retry);
}

const retry_policy& client::retry() const noexcept {
  return impl_->retry;
}

std::string client::redacted_uri() const {
  return impl_->redacted;
}

document client::command(const std::string& db, const document& cmd) const {
  return detail::with_retries(impl_->retry, "", [&] {
    bson_error_t e;
    detail::bson_ptr b = detail::to_bson(cmd, &e);
    if (!b) detail::raise("reel.mongo.invalid_document", "", "the command is not valid BSON", e);
    detail::pooled_client c(*impl_);
    detail::bson_value reply;
    if (!mongoc_client_command_simple(c.get(), db.c_str(), b.get(), nullptr, reply.get(), &e)) {
      detail::raise("reel.mongo.command_failed", "", "command failed on '" + db + "'", e,
                    reply.get());
    }
    return detail::from_bson(reply.get());
  });
}

void client::ping() const {
  command("admin", document{{"ping", 1}});
}

namespace {

/// Every document of `cursor` (destroyed here); throws `reel.mongo.command_failed` naming
/// `what` when it ends in an error.
std::vector<document> drain_cursor(mongoc_cursor_t* cursor, const std::string& what) {
  std::vector<document> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc))
    out.push_back(detail::from_bson(doc));
  bson_error_t e;
  const bson_t* reply = nullptr;
  if (mongoc_cursor_error_document(cursor, &e, &reply)) {
    error err = detail::make_error("reel.mongo.command_failed", "", what + " failed", e, reply);
    mongoc_cursor_destroy(cursor);
    throw err;
  }
  mongoc_cursor_destroy(cursor);
  return out;
}

}  // namespace

std::vector<document> client::find(const std::string& db, const std::string& coll,
                                   const document& filter, const document& sort) const {
  return detail::with_retries(impl_->retry, "", [&] {
    bson_error_t e;
    detail::bson_ptr f = detail::to_bson(filter.is_null() ? document::object() : filter, &e);
    if (!f) detail::raise("reel.mongo.invalid_document", "", "the filter is not valid BSON", e);
    document opts = document::object();
    if (sort.is_object() && !sort.empty()) opts["sort"] = sort;
    detail::bson_ptr o = detail::to_bson(opts, &e);
    if (!o) detail::raise("reel.mongo.invalid_document", "", "the sort is not valid BSON", e);
    detail::pooled_client c(*impl_);
    detail::collection_ptr collection(
        mongoc_client_get_collection(c.get(), db.c_str(), coll.c_str()));
    return drain_cursor(
        mongoc_collection_find_with_opts(collection.get(), f.get(), o.get(), nullptr),
        "find on '" + db + "." + coll + "'");
  });
}

std::vector<document> client::aggregate(const std::string& db, const std::string& coll,
                                        const document& pipeline) const {
  return detail::with_retries(impl_->retry, "", [&] {
    bson_error_t e;
    detail::bson_ptr p = detail::to_bson(document{{"pipeline", pipeline}}, &e);
    if (!p) detail::raise("reel.mongo.invalid_document", "", "the pipeline is not valid BSON", e);
    detail::pooled_client c(*impl_);
    detail::collection_ptr collection(
        mongoc_client_get_collection(c.get(), db.c_str(), coll.c_str()));
    return drain_cursor(
        mongoc_collection_aggregate(collection.get(), MONGOC_QUERY_NONE, p.get(), nullptr, nullptr),
        "aggregate on '" + db + "." + coll + "'");
  });
}

std::int64_t client::count(const std::string& db, const std::string& coll,
                           const document& filter) const {
  return detail::with_retries(impl_->retry, "", [&] {
    bson_error_t e;
    detail::bson_ptr f = detail::to_bson(filter.is_null() ? document::object() : filter, &e);
    if (!f) detail::raise("reel.mongo.invalid_document", "", "the filter is not valid BSON", e);
    detail::pooled_client c(*impl_);
    detail::collection_ptr collection(
        mongoc_client_get_collection(c.get(), db.c_str(), coll.c_str()));
    detail::bson_value reply;
    const std::int64_t n = mongoc_collection_count_documents(collection.get(), f.get(), nullptr,
                                                             nullptr, reply.get(), &e);
    if (n < 0) {
      detail::raise("reel.mongo.command_failed", "", "count on '" + db + "." + coll + "' failed", e,
                    reply.get());
    }
    return n;
  });
}

void client::insert_many(const std::string& db, const std::string& coll,
                         std::span<const document> docs) const {
  if (docs.empty()) return;
  std::vector<detail::bson_ptr> bsons;
  for (const document& d : docs) {
    bson_error_t e;
    bsons.push_back(detail::to_bson(d, &e));
    if (!bsons.back()) detail::raise("reel.mongo.invalid_document", "", "not valid BSON", e);
  }
  detail::with_retries(impl_->retry, "", [&] {
    detail::pooled_client c(*impl_);
    detail::collection_ptr collection(
        mongoc_client_get_collection(c.get(), db.c_str(), coll.c_str()));
    detail::bulk_ptr bulk(
        mongoc_collection_create_bulk_operation_with_opts(collection.get(), nullptr));
    bson_error_t e;
    for (const auto& b : bsons) {
      if (!mongoc_bulk_operation_insert_with_opts(bulk.get(), b.get(), nullptr, &e)) {
        detail::raise("reel.mongo.invalid_document", "", "cannot insert", e);
      }
    }
    detail::bson_value reply;
    if (!mongoc_bulk_operation_execute(bulk.get(), reply.get(), &e)) {
      detail::raise("reel.mongo.write_failed", "", "insert into '" + db + "." + coll + "' failed",
                    e, reply.get());
    }
    return 0;
  });
}

void client::drop_collection(const std::string& db, const std::string& coll) const {
  detail::with_retries(impl_->retry, "", [&] {
    detail::pooled_client c(*impl_);
    detail::collection_ptr collection(
        mongoc_client_get_collection(c.get(), db.c_str(), coll.c_str()));
    bson_error_t e;
    if (!mongoc_collection_drop_with_opts(collection.get(), nullptr, &e) && e.code != 26 &&
        std::strstr(e.message, "ns not found") == nullptr) {
      detail::raise("reel.mongo.command_failed", "", "drop of '" + db + "." + coll + "' failed", e);
    }
    return 0;
  });
}

void client::drop_database(const std::string& db) const {
  detail::with_retries(impl_->retry, "", [&] {
    detail::pooled_client c(*impl_);
    mongoc_database_t* d = mongoc_client_get_database(c.get(), db.c_str());
    bson_error_t e;
    const bool ok = mongoc_database_drop_with_opts(d, nullptr, &e);
    mongoc_database_destroy(d);
    if (!ok && e.code != 26) {
      detail::raise("reel.mongo.command_failed", "", "drop of database '" + db + "' failed", e);
    }
    return 0;
  });
}

void client::create_index(const std::string& db, const std::string& coll, const document& keys,
                          bool unique) const {
  std::string name;
  for (const auto& [k, v] : keys.items())
    name += (name.empty() ? "" : "_") + k + "_" + v.dump();
  document index = {{"key", keys}, {"name", name}};
  if (unique) index["unique"] = true;
  command(db, document{{"createIndexes", coll}, {"indexes", document::array({index})}});
}

}  // namespace reel::mongo
