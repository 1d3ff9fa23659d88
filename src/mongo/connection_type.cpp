// SPDX-License-Identifier: Apache-2.0
#include "reel/mongo/connection_type.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "reel/mongo/checkpoint_store.hpp"
#include "reel/mongo/insert_sink.hpp"
#include "reel/mongo/merge_sink.hpp"

namespace reel::mongo {

namespace {

/// Client pools shared by the sources and sinks of one connection type instance.
struct shared_state {
  connection_type_options options;
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<client::impl>> pools;
};

std::int64_t positive(const document& obj, const char* key, std::int64_t fallback,
                      const connection_args& args, const std::string& at) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
    args.definition_error(at + "/" + key, std::string(key) + " must be a positive integer");
  }
  return it->get<std::int64_t>();
}

void check_keys(const document& obj, const connection_args& args, const std::string& at,
                const std::vector<std::string>& allowed, const char* what) {
  if (!obj.is_object()) args.definition_error(at, std::string(what) + " must be an object");
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      args.definition_error(at + "/" + key, "unknown field '" + key + "' of " + what +
                                                reel::detail::did_you_mean(key, allowed));
    }
  }
}

retry_policy retry_of(const connection_args& args, const retry_policy& defaults) {
  retry_policy r = defaults;
  auto it = args.definition.find("retry");
  if (it == args.definition.end()) return r;
  check_keys(*it, args, "/retry", {"maxAttempts", "initialBackoffMs", "maxBackoffMs"}, "retry");
  r.max_attempts = static_cast<int>(positive(*it, "maxAttempts", r.max_attempts, args, "/retry"));
  r.initial_backoff = std::chrono::milliseconds(
      positive(*it, "initialBackoffMs", r.initial_backoff.count(), args, "/retry"));
  r.max_backoff = std::chrono::milliseconds(
      positive(*it, "maxBackoffMs", r.max_backoff.count(), args, "/retry"));
  return r;
}

batch_options batch_of(const connection_args& args) {
  batch_options b;
  auto it = args.definition.find("batch");
  if (it == args.definition.end()) return b;
  check_keys(*it, args, "/batch", {"maxDocuments", "maxBytes", "maxDelayMs"}, "batch");
  b.max_documents = static_cast<std::size_t>(
      positive(*it, "maxDocuments", static_cast<std::int64_t>(b.max_documents), args, "/batch"));
  b.max_bytes = static_cast<std::size_t>(
      positive(*it, "maxBytes", static_cast<std::int64_t>(b.max_bytes), args, "/batch"));
  b.max_delay =
      std::chrono::milliseconds(positive(*it, "maxDelayMs", b.max_delay.count(), args, "/batch"));
  return b;
}

void check_definition(const connection_args& args) {
  check_definition_keys(args, "mongodb", {"uri", "retry", "batch"});
  auto uri = args.definition.find("uri");
  if (uri == args.definition.end()) {
    args.definition_error("", "a mongodb connection needs a uri: \"mongodb://host:port/\"");
  }
  if (!uri->is_string() || uri->get_ref<const std::string&>().empty()) {
    args.definition_error("/uri", "uri must be a non-empty string");
  }
  retry_of(args, {});
  batch_of(args);
}

client client_of(shared_state& s, const connection_args& args) {
  const std::string uri = args.definition.at("uri").get<std::string>();
  const retry_policy retry = retry_of(args, s.options.retry);
  const std::string key = uri + '\n' + std::to_string(retry.max_attempts) + '\n' +
                          std::to_string(retry.initial_backoff.count()) + '\n' +
                          std::to_string(retry.max_backoff.count());
  std::lock_guard lock(s.mutex);
  if (auto it = s.pools.find(key); it != s.pools.end()) {
    if (auto impl = it->second.lock()) return client(std::move(impl));
  }
  try {
    client c(client_options{.uri = uri, .retry = retry});
    s.pools[key] = c.implementation();
    return c;
  } catch (const error& e) {
    args.definition_error("/uri", e.message());
  }
}

/// What `$lookup` and `$cachedLookup` read a collection of a `mongodb` connection with.
class client_reader final : public reel::collection_reader {
 public:
  client_reader(client c, std::string name) : client_(std::move(c)), name_(std::move(name)) {}
  std::vector<document> find(const std::string& db, const std::string& coll,
                             const document& filter) const override {
    return client_.find(db, coll, filter);
  }
  std::vector<document> aggregate(const std::string& db, const std::string& coll,
                                  const document& pipeline) const override {
    return client_.aggregate(db, coll, pipeline);
  }
  std::string describe() const override { return "mongodb connection '" + name_ + "'"; }

 private:
  client client_;
  std::string name_;
};

}  // namespace

reel::connection_type make_connection_type(connection_type_options options) {
  auto s = std::make_shared<shared_state>();
  s->options = std::move(options);
  if (!s->options.clock) s->options.clock = &reel::system_clock::instance();
  reel::connection_type t;
  t.summary =
      "MongoDB (libmongoc): $merge, DLQ and $emit into collections, change-stream $source, "
      "$lookup and $cachedLookup: {uri, retry, batch}";
  t.stage_options = {
      .source = {"db", "coll", "config.fullDocument", "config.fullDocumentOnly",
                 "config.fullDocumentBeforeChange", "config.pipeline", "config.startAfter",
                 "config.startAtOperationTime", "config.maxAwaitTimeMS", "config.batchSize"},
      .emit = {"db", "coll"},
      .merge = {"into.db", "into.coll", "on", "let", "whenMatched", "whenNotMatched",
                "parallelism"}};
  t.check = [s](const connection_args& args) {
    check_definition(args);
    client_of(*s, args);  // parses the URI; connects only when used
  };
  t.make_sink = [s](const connection_args& args) -> std::unique_ptr<reel::sink> {
    check_definition(args);
    client c = client_of(*s, args);
    const batch_options batch = batch_of(args);
    if (args.stage.is_object() && args.stage.contains("into")) {
      merge_options o = parse_merge_stage(args.stage, args.stage_where);
      o.batch = batch;
      o.clock = s->options.clock;
      return std::make_unique<merge_sink>(std::move(c), std::move(o));
    }
    // The DLQ ({connectionName, db, coll}) or $emit into a collection.
    const document& st = args.stage;
    if (!st.is_object()) args.stage_error("", "a mongodb sink needs {db, coll}");
    if (st.contains("timeseries")) {
      args.stage_error("/timeseries", "$emit to a time series collection is not supported");
    }
    for (const char* key : {"db", "coll"}) {
      if (!st.contains(key) || !st[key].is_string() || st[key].get<std::string>().empty()) {
        args.stage_error(std::string("/") + key,
                         std::string("a mongodb sink needs ") + key + " (a non-empty string)");
      }
    }
    insert_options o;
    o.db = st["db"].get<std::string>();
    o.coll = st["coll"].get<std::string>();
    o.batch = batch;
    o.clock = s->options.clock;
    return std::make_unique<insert_sink>(std::move(c), std::move(o));
  };
  t.make_checkpoint_store =
      [s](const connection_args& args) -> std::unique_ptr<reel::checkpoint_store> {
    check_definition(args);
    const document& spec = args.stage;
    if (!spec.is_object()) {
      args.stage_error("", "a MongoDB checkpoint store takes {connectionName, db, coll}");
    }
    for (const auto& [key, value] : spec.items()) {
      static const std::vector<std::string> allowed = {"connectionName", "db", "coll", "processor",
                                                       "keepLast"};
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        args.stage_error("/" + key, "unknown field '" + key + "' of a MongoDB checkpoint store" +
                                        reel::detail::did_you_mean(key, allowed));
      }
    }
    checkpoint_store_options o;
    for (const auto& [key, target] : {std::pair{"db", &o.db}, std::pair{"coll", &o.coll},
                                      std::pair{"processor", &o.processor}}) {
      if (!spec.contains(key) || !spec[key].is_string() || spec[key].get<std::string>().empty()) {
        args.stage_error(std::string("/") + key, std::string("a MongoDB checkpoint store needs ") +
                                                     key + " (a non-empty string)");
      }
      *target = spec[key].get<std::string>();
    }
    if (auto keep = spec.find("keepLast"); keep != spec.end()) {
      if (!keep->is_number_integer() || keep->get<std::int64_t>() < 1) {
        args.stage_error("/keepLast", "keepLast must be a positive integer");
      }
      o.keep_last = keep->get<std::size_t>();
    }
    o.connection_name = args.name;
    return std::make_unique<checkpoint_store>(client_of(*s, args), std::move(o));
  };
  t.make_collection_reader =
      [s](const connection_args& args) -> std::shared_ptr<reel::collection_reader> {
    check_definition(args);
    return std::make_shared<client_reader>(client_of(*s, args), args.name);
  };
  t.make_source = [s](const connection_args& args) -> std::unique_ptr<reel::source> {
    check_definition(args);
    client c = client_of(*s, args);
    change_stream_options o = parse_change_stream_stage(args.stage, args.stage_where);
    cursor_factory cursors = s->options.cursors ? s->options.cursors(c) : libmongoc_cursors(c);
    return std::make_unique<change_stream_source>(std::move(cursors), std::move(o), c.retry());
  };
  return t;
}

void register_connection_type(reel::connection_registry& registry,
                              connection_type_options options) {
  registry.register_type("mongodb", make_connection_type(std::move(options)));
}

}  // namespace reel::mongo
