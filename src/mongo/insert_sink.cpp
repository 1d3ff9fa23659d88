// SPDX-License-Identifier: Apache-2.0
#include "reel/mongo/insert_sink.hpp"

#include <string>
#include <utility>
#include <vector>

#include "bson.hh"
#include "client.hh"
#include "reel/json/ejson.hpp"
#include "write.hh"

namespace reel::mongo {

struct insert_sink::impl {
  struct op {
    document doc;  // with its _id
    detail::bson_ptr bson;
    std::string error;  // why it could not become BSON
    bool generated_id = false;
    bool done = false;
  };

  client db_client;
  insert_options o;
  std::vector<op> pending;
  std::size_t pending_bytes = 0;
  timestamp oldest{};
  statistics stats;
  std::string where;

  impl(client c, insert_options opts) : db_client(std::move(c)), o(std::move(opts)) {
    if (o.batch.max_documents == 0) o.batch.max_documents = 1;
    if (!o.clock) o.clock = &reel::system_clock::instance();
    where = o.db + "." + o.coll;
  }

  op prepare(const document& in) const {
    op p;
    if (in.is_object() && in.contains("_id")) {
      p.doc = in;
    } else {
      p.doc = document::object();
      p.doc["_id"] = detail::new_object_id();
      p.generated_id = true;
      if (in.is_object()) {
        for (const auto& [k, v] : in.items())
          p.doc[k] = v;
      } else {
        p.doc["value"] = in;
      }
    }
    bson_error_t e;
    p.bson = detail::to_bson(p.doc, &e);
    if (!p.bson) p.error = detail::reason_of(e);
    return p;
  }

  /// The document stored when the server refuses `p`: `doc` as text.
  op as_text(const op& p, const std::string& reason) const {
    op t;
    t.generated_id = p.generated_id;
    t.doc = document::object();
    for (const auto& [k, v] : p.doc.items()) {
      if (k == "doc") {
        t.doc["docText"] = json::to_relaxed_ejson(v);
      } else {
        t.doc[k] = v;
      }
    }
    if (!p.doc.contains("doc")) {
      // Not a DLQ record: keep the _id, store the whole document as text.
      t.doc = document{{"_id", p.doc["_id"]}, {"docText", json::to_relaxed_ejson(p.doc)}};
    }
    if (!t.doc.contains("errInfo") || !t.doc["errInfo"].is_object()) {
      t.doc["errInfo"] = document::object();
    }
    t.doc["errInfo"]["storeError"] = reason;
    bson_error_t e;
    t.bson = detail::to_bson(t.doc, &e);
    if (!t.bson) t.error = detail::reason_of(e);
    return t;
  }

  /// Inserts `ops` in one unordered bulk. Returns the outcome (transient failures retried).
  detail::bulk_outcome insert(const std::vector<op*>& ops, std::vector<std::string>& refused) {
    return detail::with_retries(
        db_client.retry(), where,
        [&] {
          refused.assign(ops.size(), std::string());
          detail::pooled_client c(*db_client.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(c.get(), o.db.c_str(), o.coll.c_str()));
          detail::bson_value opts;
          BSON_APPEND_BOOL(opts.get(), "ordered", false);
          detail::bulk_ptr bulk(
              mongoc_collection_create_bulk_operation_with_opts(coll.get(), opts.get()));
          // Field names are the server's to judge (MongoDB stores `$` and `.` in nested names).
          detail::bson_value insert_opts;
          BSON_APPEND_BOOL(insert_opts.get(), "validate", false);
          bool any = false;
          for (std::size_t i = 0; i < ops.size(); ++i) {
            bson_error_t e;
            if (mongoc_bulk_operation_insert_with_opts(bulk.get(), ops[i]->bson.get(),
                                                       insert_opts.get(), &e)) {
              any = true;
            } else {
              refused[i] = detail::reason_of(e);
            }
          }
          if (!any) return detail::bulk_outcome{};
          return detail::execute_bulk(bulk.get(), where, "inserting into '" + where + "' failed");
        },
        &stats.retries);
  }

  /// Inserts one document; true when it is in the collection (a duplicate key on an `_id` we
  /// generated means an earlier attempt stored it).
  bool insert_one(op& p, std::string& reason) {
    if (!p.error.empty()) {
      reason = p.error;
      return false;
    }
    std::vector<op*> one{&p};
    std::vector<std::string> refused;
    detail::bulk_outcome r = insert(one, refused);
    if (!refused[0].empty()) {
      reason = refused[0];
      return false;
    }
    if (r.ok) return true;
    if (r.kind == error_kind::config) {
      detail::raise("reel.mongo.write_failed", where, "inserting into '" + where + "' failed",
                    r.error);
    }
    if (r.has_write_error && detail::is_duplicate_key(r.write_error_code) && p.generated_id &&
        db_client.count(o.db, o.coll, document{{"_id", p.doc["_id"]}}) == 1) {
      return true;  // stored by an earlier attempt (servers do not always name the key)
    }
    reason = detail::reason_of(r);
    return false;
  }

  void settle_one(op& p) {
    std::string reason;
    if (insert_one(p, reason)) {
      ++stats.written;
    } else if (o.fallback_to_text) {
      op t = as_text(p, reason);
      std::string again;
      if (insert_one(t, again)) {
        ++stats.as_text;
      } else {
        ++stats.lost;
      }
    } else {
      ++stats.lost;
    }
    p.done = true;
  }

  void run_batch(std::vector<op*>& ops) {
    if (ops.empty()) return;
    ++stats.batches;
    std::vector<op*> ready;
    for (op* p : ops) {
      if (p->error.empty()) {
        ready.push_back(p);
      } else {
        settle_one(*p);
      }
    }
    if (ready.empty()) return;
    std::vector<std::string> refused;
    detail::bulk_outcome r = insert(ready, refused);
    if (r.ok) {
      for (std::size_t i = 0; i < ready.size(); ++i) {
        if (refused[i].empty()) {
          ++stats.written;
          ready[i]->done = true;
        } else {
          settle_one(*ready[i]);
        }
      }
      return;
    }
    if (r.kind == error_kind::config) {
      detail::raise("reel.mongo.write_failed", where, "inserting into '" + where + "' failed",
                    r.error);
    }
    // Some documents were refused: insert each again on its own (already stored ones hit a
    // duplicate key on their generated _id and count as stored).
    for (op* p : ready)
      settle_one(*p);
  }

  void execute_all() {
    if (pending.empty()) return;
    try {
      std::vector<op*> batch;
      std::size_t bytes = 0;
      for (op& p : pending) {
        if (p.done) continue;
        const std::size_t size = p.bson ? p.bson->len : 0;
        if (!batch.empty() &&
            (batch.size() >= o.batch.max_documents || bytes + size > o.batch.max_bytes)) {
          run_batch(batch);
          batch.clear();
          bytes = 0;
        }
        batch.push_back(&p);
        bytes += size;
      }
      run_batch(batch);
    } catch (...) {
      compact();
      throw;
    }
    compact();
  }

  void compact() {
    std::erase_if(pending, [](const op& p) { return p.done; });
    pending_bytes = 0;
    for (const op& p : pending)
      pending_bytes += p.bson ? p.bson->len : 0;
  }

  void write(std::span<const document> docs) {
    for (const document& d : docs) {
      op p = prepare(d);
      if (pending.empty()) oldest = o.clock->now();
      pending_bytes += p.bson ? p.bson->len : 0;
      pending.push_back(std::move(p));
    }
    if (pending.size() >= o.batch.max_documents || pending_bytes >= o.batch.max_bytes ||
        (!pending.empty() && o.clock->now() - oldest >= o.batch.max_delay)) {
      execute_all();
    }
  }
};

insert_sink::insert_sink(client c, insert_options options)
    : impl_(std::make_unique<impl>(std::move(c), std::move(options))) {}

insert_sink::~insert_sink() {
  try {
    impl_->execute_all();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; flush() can
  }
}

void insert_sink::write(std::span<const nlohmann::ordered_json> docs, write_result&) {
  impl_->write(docs);
}

void insert_sink::flush() {
  impl_->execute_all();
}

insert_sink::statistics insert_sink::stats() const {
  return impl_->stats;
}

std::size_t insert_sink::pending() const {
  return impl_->pending.size();
}

}  // namespace reel::mongo
