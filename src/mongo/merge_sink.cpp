// SPDX-License-Identifier: Apache-2.0
#include "reel/mongo/merge_sink.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bson.hh"
#include "client.hh"
#include "reel/detail/suggest.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"
#include "write.hh"

namespace reel::mongo {

namespace {

[[noreturn]] void invalid(const std::string& where, const std::string& message) {
  throw_error("reel.pipeline.invalid_option", where, message);
}

const std::vector<std::string>& matched_names() {
  static const std::vector<std::string> names = {"merge", "replace", "keepExisting", "fail",
                                                 "delete"};
  return names;
}

void check_target(const document& v, const std::string& where, const char* name) {
  if (v.is_string()) {
    if (v.get_ref<const std::string&>().empty()) {
      invalid(where, std::string(name) + " must be a non-empty string or an expression");
    }
    return;
  }
  if (!v.is_object()) {
    invalid(where, std::string(name) + " must be a non-empty string or an expression");
  }
}

/// Database names may not contain these (MongoDB's rules); collection names may not contain `$`.
std::optional<std::string> bad_name(const std::string& name, bool database) {
  if (name.empty()) return "is empty";
  if (name.find('\0') != std::string::npos) return "contains a null character";
  if (database) {
    for (char c : std::string_view("/\\. \"$")) {
      if (name.find(c) != std::string::npos) {
        return std::string("contains '") + c + "'";
      }
    }
    if (name.size() > 63) return "is longer than 63 bytes";
  } else if (name.find('$') != std::string::npos) {
    return "contains '$'";
  }
  return std::nullopt;
}

}  // namespace

merge_options parse_merge_stage(const document& stage, const std::string& where) {
  if (!stage.is_object()) invalid(where, "$merge takes an object");
  static const std::vector<std::string> keys = {
      "into", "on", "let", "whenMatched", "whenNotMatched", "parallelism"};
  for (const auto& [key, value] : stage.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      invalid(where + "/" + key,
              "unknown option '" + key + "' of $merge" + reel::detail::did_you_mean(key, keys));
    }
  }
  merge_options o;
  o.where = where;
  auto into = stage.find("into");
  if (into == stage.end() || !into->is_object()) {
    invalid(where + "/into", "$merge requires into: {connectionName, db, coll}");
  }
  static const std::vector<std::string> into_keys = {"connectionName", "db", "coll"};
  for (const auto& [key, value] : into->items()) {
    if (std::find(into_keys.begin(), into_keys.end(), key) == into_keys.end()) {
      invalid(where + "/into/" + key, "unknown option '" + key + "' of $merge.into" +
                                          reel::detail::did_you_mean(key, into_keys));
    }
  }
  if (!into->contains("db")) invalid(where + "/into", "$merge.into requires db");
  if (!into->contains("coll")) invalid(where + "/into", "$merge.into requires coll");
  check_target((*into)["db"], where + "/into/db", "db");
  check_target((*into)["coll"], where + "/into/coll", "coll");
  o.db = (*into)["db"];
  o.coll = (*into)["coll"];

  if (auto it = stage.find("on"); it != stage.end()) {
    o.on.clear();
    auto add = [&](const document& v, const std::string& at) {
      if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
          v.get_ref<const std::string&>()[0] == '$') {
        invalid(at, "on must be a field name or an array of field names");
      }
      const std::string& name = v.get_ref<const std::string&>();
      if (std::find(o.on.begin(), o.on.end(), name) != o.on.end()) {
        invalid(at, "on names '" + name + "' twice");
      }
      o.on.push_back(name);
    };
    if (it->is_array()) {
      if (it->empty()) invalid(where + "/on", "on must name at least one field");
      for (std::size_t i = 0; i < it->size(); ++i)
        add((*it)[i], where + "/on/" + std::to_string(i));
    } else {
      add(*it, where + "/on");
    }
  }

  if (auto it = stage.find("whenMatched"); it != stage.end()) {
    if (it->is_array()) {
      static const std::vector<std::string> allowed = {
          "$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"};
      for (std::size_t i = 0; i < it->size(); ++i) {
        const document& s = (*it)[i];
        const std::string at = where + "/whenMatched/" + std::to_string(i);
        if (!s.is_object() || s.size() != 1) invalid(at, "a pipeline stage must be {$stage: ...}");
        const std::string& name = s.begin().key();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
          invalid(at + "/" + name,
                  "'" + name +
                      "' is not allowed in a whenMatched pipeline (use $addFields, $set, "
                      "$project, $unset, $replaceRoot or $replaceWith)" +
                      reel::detail::did_you_mean(name, allowed));
        }
      }
      o.matched = when_matched::pipeline;
      o.pipeline = *it;
    } else if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      if (s == "merge") {
        o.matched = when_matched::merge;
      } else if (s == "replace") {
        o.matched = when_matched::replace;
      } else if (s == "keepExisting") {
        o.matched = when_matched::keep_existing;
      } else if (s == "fail") {
        o.matched = when_matched::fail;
      } else if (s == "delete") {
        o.matched = when_matched::delete_document;
      } else {
        invalid(where + "/whenMatched",
                "unknown whenMatched '" + s + "'" + reel::detail::did_you_mean(s, matched_names()) +
                    "; use merge, replace, keepExisting, fail, delete or a pipeline");
      }
    } else {
      invalid(where + "/whenMatched",
              "whenMatched must be merge, replace, keepExisting, fail, delete or a pipeline");
    }
  }
  if (auto it = stage.find("whenNotMatched"); it != stage.end()) {
    static const std::vector<std::string> names = {"insert", "discard", "fail"};
    const std::string s = it->is_string() ? it->get<std::string>() : it->dump();
    if (s == "insert") {
      o.not_matched = when_not_matched::insert;
    } else if (s == "discard") {
      o.not_matched = when_not_matched::discard;
    } else if (s == "fail") {
      o.not_matched = when_not_matched::fail;
    } else {
      invalid(where + "/whenNotMatched", "unknown whenNotMatched '" + s + "'" +
                                             reel::detail::did_you_mean(s, names) +
                                             "; use insert, discard or fail");
    }
  }
  if (auto it = stage.find("let"); it != stage.end()) {
    if (!it->is_object()) invalid(where + "/let", "let must be an object of variables");
    if (o.matched != when_matched::pipeline) {
      invalid(where + "/let", "let is allowed only with a whenMatched pipeline");
    }
    o.let = *it;
  }
  if (auto it = stage.find("parallelism"); it != stage.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      invalid(where + "/parallelism", "parallelism must be a positive integer");
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------

struct merge_sink::impl {
  struct op {
    document doc;  // as written (with a generated _id when needed), for the DLQ
    std::string db, coll;
    detail::bson_ptr filter;
    detail::bson_ptr payload;  // replacement, update, pipeline or document to insert
    detail::bson_ptr let;      // pipeline variables
    std::size_t bytes = 0;
    std::uint64_t call = 0;
    std::size_t index = 0;
    bool done = false;
  };

  client db_client;
  merge_options o;
  json::expression db_expr, coll_expr;
  std::vector<std::pair<std::string, json::expression>> let_exprs;
  std::vector<json::field_path> on_paths;
  std::vector<op> pending;
  std::size_t pending_bytes = 0;
  timestamp oldest{};
  rejection_handler handler;
  std::vector<std::pair<document, std::string>> unreported;
  statistics stats;
  std::uint64_t calls = 0;
  std::uint64_t current_call = 0;
  write_result* current_result = nullptr;

  impl(client c, merge_options opts) : db_client(std::move(c)), o(std::move(opts)) {
    if (o.db.is_null()) invalid(o.where + "/into/db", "$merge.into requires db");
    if (o.coll.is_null()) invalid(o.where + "/into/coll", "$merge.into requires coll");
    db_expr = json::compile_expression(o.db, o.where + "/into/db");
    coll_expr = json::compile_expression(o.coll, o.where + "/into/coll");
    if (o.on.empty()) o.on = {"_id"};
    for (const std::string& f : o.on)
      on_paths.emplace_back(f, o.where + "/on");
    if (o.matched == when_matched::pipeline) {
      if (!o.let.is_object()) o.let = document::object();
      if (!o.let.contains("new")) o.let["new"] = "$$ROOT";
      for (const auto& [name, spec] : o.let.items()) {
        let_exprs.emplace_back(name, json::compile_expression(spec, o.where + "/let/" + name));
      }
    }
    if (o.batch.max_documents == 0) o.batch.max_documents = 1;
    if (!o.clock) o.clock = &reel::system_clock::instance();
  }

  [[nodiscard]] bool on_id_only() const { return o.on.size() == 1 && o.on[0] == "_id"; }

  std::string target_string(const json::expression& e, const document& doc,
                            const json::eval_context& ctx, const char* name) const {
    document v;
    try {
      v = e.evaluate(doc, ctx);
    } catch (const reel::error& err) {
      throw_error("reel.mongo.invalid_target", o.where + "/into/" + name,
                  std::string("Failed to evaluate $merge into.") + name + ": " + err.message());
    }
    if (!v.is_string()) {
      throw_error("reel.mongo.invalid_target", o.where + "/into/" + name,
                  std::string("$merge into.") + name + " must evaluate to a string, but it " +
                      "evaluated to " + json::type_name(v));
    }
    std::string s = v.get<std::string>();
    if (auto bad = bad_name(s, std::string_view(name) == "db")) {
      throw_error("reel.mongo.invalid_target", o.where + "/into/" + name,
                  std::string("$merge into.") + name + " '" + s + "' is not a valid " +
                      (std::string_view(name) == "db" ? "database" : "collection") + " name: it " +
                      *bad);
    }
    return s;
  }

  static detail::bson_ptr bson_or_throw(const document& d, const char* what) {
    bson_error_t e;
    detail::bson_ptr b = detail::to_bson(d, &e);
    if (!b) {
      throw_error("reel.mongo.invalid_document", "",
                  std::string("the ") + what + " cannot be converted to BSON: " + e.message);
    }
    return b;
  }

  /// Everything that can be checked without the server; throws `reel::error` for this document.
  op prepare(const document& in) const {
    if (!in.is_object()) {
      throw_error("reel.mongo.invalid_document", "", "$merge writes documents (objects) only");
    }
    op p;
    const document* meta = nullptr;
    if (auto it = in.find("_stream_meta"); it != in.end() && it->is_object()) meta = &*it;
    const json::eval_context ctx{meta, nullptr};
    p.db = target_string(db_expr, in, ctx, "db");
    p.coll = target_string(coll_expr, in, ctx, "coll");

    if (on_id_only() && !in.contains("_id")) {
      p.doc = document::object();
      p.doc["_id"] = detail::new_object_id();
      for (const auto& [k, v] : in.items())
        p.doc[k] = v;
    } else {
      p.doc = in;
    }

    document filter = document::object();
    for (std::size_t i = 0; i < o.on.size(); ++i) {
      const document* v = on_paths[i].lookup(p.doc);
      if (v == nullptr || v->is_null() || v->is_array() || json::is_missing(*v)) {
        throw_error("reel.mongo.invalid_on_field", o.where + "/on",
                    "$merge write error: 'on' field '" + o.on[i] +
                        "' cannot be missing, null, undefined or an array (code 51132)");
      }
      filter[o.on[i]] = *v;
    }
    p.filter = bson_or_throw(filter, "'on' filter");

    // The fields to set: the document without its top-level `on` fields (they are in the
    // filter), unless nothing else is left.
    auto fields = [&] {
      document rest = document::object();
      for (const auto& [k, v] : p.doc.items()) {
        if (std::find(o.on.begin(), o.on.end(), k) == o.on.end()) rest[k] = v;
      }
      return rest.empty() ? p.doc : rest;
    };
    switch (o.matched) {
      case when_matched::replace:
        p.payload = bson_or_throw(p.doc, "document");
        break;
      case when_matched::merge:
        p.payload = bson_or_throw(document{{"$set", fields()}}, "document");
        break;
      case when_matched::keep_existing:
        p.payload = bson_or_throw(document{{"$setOnInsert", fields()}}, "document");
        break;
      case when_matched::fail:
        p.payload = bson_or_throw(p.doc, "document");
        break;
      case when_matched::delete_document:
        break;
      case when_matched::pipeline: {
        document stages = document::object();
        for (std::size_t i = 0; i < o.pipeline.size(); ++i)
          stages[std::to_string(i)] = o.pipeline[i];
        p.payload = bson_or_throw(stages, "pipeline");
        document vars = document::object();
        for (const auto& [name, e] : let_exprs) {
          try {
            document v = e.evaluate(p.doc, ctx);
            vars[name] = json::is_missing(v) ? document(nullptr) : std::move(v);
          } catch (const reel::error& err) {
            throw_error("reel.mongo.invalid_document", o.where + "/let/" + name,
                        "Failed to evaluate $merge let." + name + ": " + err.message());
          }
        }
        // Variables only when the pipeline uses some (`let` on updates needs MongoDB 5.0).
        if (o.pipeline.dump().find("$$") != std::string::npos) {
          p.let = bson_or_throw(vars, "let variables");
        }
        break;
      }
    }
    p.bytes = p.filter->len + (p.payload ? p.payload->len : 0) + 64;
    return p;
  }

  // --- reporting -------------------------------------------------------------------------------

  void reject(op& p, const std::string& reason) {
    p.done = true;
    ++stats.rejected;
    if (p.call == current_call && current_result) {
      current_result->rejected.emplace_back(p.index, reason);
    } else if (handler) {
      handler(p.doc, reason);
    } else {
      unreported.emplace_back(p.doc, reason);
    }
  }
  void written(op& p) {
    p.done = true;
    ++stats.written;
  }

  // --- execution -------------------------------------------------------------------------------

  /// True when a document's outcome depends on whether it matched, so it runs alone.
  [[nodiscard]] bool runs_alone() const {
    switch (o.matched) {
      case when_matched::pipeline:
        return true;
      case when_matched::delete_document:
        return o.not_matched != when_not_matched::discard;
      case when_matched::fail:
        return o.not_matched != when_not_matched::insert;
      case when_matched::keep_existing:
        return o.not_matched == when_not_matched::fail;
      case when_matched::merge:
      case when_matched::replace:
        return o.not_matched == when_not_matched::fail;
    }
    return true;
  }
  /// Bulk runs of `fail`/`insert` are plain inserts: an ordered bulk stops at the first error,
  /// with everything before it written (servers keep ordered semantics for inserts).
  [[nodiscard]] bool insert_only() const {
    return o.matched == when_matched::fail && o.not_matched == when_not_matched::insert;
  }

  /// Appends `p` to `bulk` as the mode's bulk operation; false (and `e`) when libmongoc refuses.
  bool append(mongoc_bulk_operation_t* bulk, const op& p, bson_error_t& e) const {
    const bool upsert = o.not_matched == when_not_matched::insert;
    switch (o.matched) {
      case when_matched::replace:
        return mongoc_bulk_operation_replace_one_with_opts(bulk, p.filter.get(), p.payload.get(),
                                                           detail::upsert_opts(upsert).get(), &e);
      case when_matched::merge:
      case when_matched::keep_existing:
        return mongoc_bulk_operation_update_one_with_opts(bulk, p.filter.get(), p.payload.get(),
                                                          detail::upsert_opts(upsert).get(), &e);
      case when_matched::delete_document:
        return mongoc_bulk_operation_remove_one_with_opts(bulk, p.filter.get(), nullptr, &e);
      case when_matched::fail:
        return mongoc_bulk_operation_insert_with_opts(bulk, p.payload.get(), nullptr, &e);
      case when_matched::pipeline:
        return mongoc_bulk_operation_update_one_with_opts(bulk, p.filter.get(), p.payload.get(),
                                                          detail::upsert_opts(false).get(), &e);
    }
    return false;
  }

  /// Runs a one-operation (or few-operation) bulk on `p`'s target, with retries. Returns the
  /// outcome; `append_error` is set when libmongoc refused the operation itself.
  template <class Build>
  detail::bulk_outcome run(const op& p, const Build& build, const bson_t* let,
                           std::optional<std::string>& append_error) {
    return detail::with_retries(
        db_client.retry(), o.where,
        [&] {
          detail::pooled_client c(*db_client.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(c.get(), p.db.c_str(), p.coll.c_str()));
          detail::bulk_ptr bulk(
              mongoc_collection_create_bulk_operation_with_opts(coll.get(), nullptr));
          if (let) mongoc_bulk_operation_set_let(bulk.get(), let);
          bson_error_t e;
          if (!build(bulk.get(), e)) {
            append_error = detail::reason_of(e);
            return detail::bulk_outcome{};
          }
          return detail::execute_bulk(bulk.get(), o.where,
                                      "writing to '" + p.db + "." + p.coll + "' failed");
        },
        &stats.retries);
  }

  /// A failure that is not one document's: stop and report it.
  [[noreturn]] void fail_sink(const detail::bulk_outcome& r, const op& p) const {
    detail::raise("reel.mongo.write_failed", o.where,
                  "writing to '" + p.db + "." + p.coll + "' failed", r.error);
  }

  /// Documents matching `p`'s filter (0 or 1: the count stops at one).
  std::int64_t count_matches(const op& p) {
    return detail::with_retries(
        db_client.retry(), o.where,
        [&]() -> std::int64_t {
          detail::pooled_client c(*db_client.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(c.get(), p.db.c_str(), p.coll.c_str()));
          detail::bson_value opts;
          BSON_APPEND_INT64(opts.get(), "limit", 1);
          detail::bson_value reply;
          bson_error_t e;
          const std::int64_t k = mongoc_collection_count_documents(
              coll.get(), p.filter.get(), opts.get(), nullptr, reply.get(), &e);
          if (k < 0) {
            detail::raise("reel.mongo.command_failed", o.where,
                          "counting in '" + p.db + "." + p.coll + "' failed", e, reply.get());
          }
          return k;
        },
        &stats.retries);
  }

  /// Writes one document on its own, with the mode's full semantics.
  void run_alone(op& p) {
    std::optional<std::string> append_error;
    auto settle = [&](const detail::bulk_outcome& r) -> bool {  // true: go on
      if (append_error) {
        reject(p, *append_error);
        return false;
      }
      if (r.ok) return true;
      if (r.kind == error_kind::config) fail_sink(r, p);
      reject(p, detail::reason_of(r));
      return false;
    };
    auto insert_doc = [&]() {
      detail::bson_ptr doc = bson_or_throw(p.doc, "document");
      auto r = run(
          p,
          [&](mongoc_bulk_operation_t* b, bson_error_t& e) {
            return mongoc_bulk_operation_insert_with_opts(b, doc.get(), nullptr, &e);
          },
          nullptr, append_error);
      if (settle(r)) written(p);
    };
    auto not_matched = [&]() {
      switch (o.not_matched) {
        case when_not_matched::insert:
          insert_doc();
          break;
        case when_not_matched::discard:
          written(p);
          break;
        case when_not_matched::fail:
          reject(p,
                 "$merge could not find a matching document in the target collection for at "
                 "least one document in the source collection (domain=" +
                     std::to_string(domain::reel) + " code=13113)");
          break;
      }
    };
    auto matched_fail = [&]() {
      reject(p,
             "$merge: a document matching the 'on' fields already exists and whenMatched is "
             "'fail' (domain=" +
                 std::to_string(domain::reel) + " code=11000)");
    };

    switch (o.matched) {
      case when_matched::merge:
      case when_matched::replace:
      case when_matched::pipeline: {
        // Update (no upsert) and look at nMatched.
        const bool pipeline = o.matched == when_matched::pipeline;
        auto r = run(
            p,
            [&](mongoc_bulk_operation_t* b, bson_error_t& e) {
              if (o.matched == when_matched::replace) {
                return mongoc_bulk_operation_replace_one_with_opts(
                    b, p.filter.get(), p.payload.get(), detail::upsert_opts(false).get(), &e);
              }
              return mongoc_bulk_operation_update_one_with_opts(
                  b, p.filter.get(), p.payload.get(), detail::upsert_opts(false).get(), &e);
            },
            pipeline ? p.let.get() : nullptr, append_error);
        if (!settle(r)) return;
        if (r.matched > 0) {
          written(p);
        } else {
          not_matched();
        }
        return;
      }
      case when_matched::keep_existing: {
        if (count_matches(p) > 0) {
          written(p);
        } else {
          not_matched();
        }
        return;
      }
      case when_matched::fail: {
        if (count_matches(p) > 0) {
          matched_fail();
        } else if (o.not_matched == when_not_matched::insert) {
          insert_doc();
        } else {
          not_matched();
        }
        return;
      }
      case when_matched::delete_document: {
        auto r = run(
            p,
            [&](mongoc_bulk_operation_t* b, bson_error_t& e) {
              return mongoc_bulk_operation_remove_one_with_opts(b, p.filter.get(), nullptr, &e);
            },
            nullptr, append_error);
        if (!settle(r)) return;
        if (r.removed > 0) {
          written(p);
        } else {
          not_matched();
        }
        return;
      }
    }
  }

  /// Writes `ops` (same target, in order) as one ordered bulk; on a failure that is some
  /// document's, writes them again one by one to find it.
  void run_bulk(std::vector<op*>& ops) {
    if (ops.empty()) return;
    if (o.matched == when_matched::keep_existing && o.not_matched == when_not_matched::discard) {
      for (op* p : ops)
        written(*p);  // nothing to change either way
      return;
    }
    ++stats.batches;
    std::vector<op*> sent;
    std::vector<std::pair<op*, std::string>> refused;
    const op& first = *ops.front();
    detail::bulk_outcome r = detail::with_retries(
        db_client.retry(), o.where,
        [&] {
          sent.clear();
          refused.clear();
          detail::pooled_client c(*db_client.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(c.get(), first.db.c_str(), first.coll.c_str()));
          detail::bson_value opts;
          BSON_APPEND_BOOL(opts.get(), "ordered", true);
          detail::bulk_ptr bulk(
              mongoc_collection_create_bulk_operation_with_opts(coll.get(), opts.get()));
          for (op* p : ops) {
            bson_error_t e;
            if (append(bulk.get(), *p, e)) {
              sent.push_back(p);
            } else {
              refused.emplace_back(p, detail::reason_of(e));
            }
          }
          if (sent.empty()) return detail::bulk_outcome{};
          return detail::execute_bulk(bulk.get(), o.where,
                                      "writing to '" + first.db + "." + first.coll + "' failed");
        },
        &stats.retries);
    for (auto& [p, reason] : refused)
      reject(*p, reason);
    if (r.ok) {
      for (op* p : sent)
        written(*p);
      return;
    }
    if (r.kind == error_kind::config) fail_sink(r, first);
    // Isolate the rejected documents: write the batch again one document at a time. Every bulk
    // operation here is idempotent, except inserts, which servers apply in order up to the
    // first error.
    ++stats.isolated;
    std::size_t from = 0;
    if (insert_only() && r.has_write_error && r.write_error_index < sent.size()) {
      for (std::size_t i = 0; i < r.write_error_index; ++i)
        written(*sent[i]);
      from = r.write_error_index;
    }
    for (std::size_t i = from; i < sent.size(); ++i) {
      op& p = *sent[i];
      std::optional<std::string> append_error;
      auto one = run(
          p, [&](mongoc_bulk_operation_t* b, bson_error_t& e) { return append(b, p, e); }, nullptr,
          append_error);
      if (append_error) {
        reject(p, *append_error);
      } else if (one.ok) {
        written(p);
      } else if (one.kind == error_kind::config) {
        fail_sink(one, p);
      } else {
        reject(p, detail::reason_of(one));
      }
    }
  }

  void run_target(std::vector<op*>& ops) {
    const bool alone = runs_alone();
    std::size_t max_documents = o.batch.max_documents;
    if (!alone && !insert_only()) {
      if (const std::size_t limit =
              detail::update_statement_limit(db_client, o.where, &stats.retries);
          limit != 0) {
        max_documents = std::min(max_documents, limit);
      }
    }
    std::vector<op*> run_ops;
    std::size_t bytes = 0;
    for (op* p : ops) {
      if (alone) {
        run_alone(*p);
        continue;
      }
      if (!run_ops.empty() &&
          (run_ops.size() >= max_documents || bytes + p->bytes > o.batch.max_bytes)) {
        run_bulk(run_ops);
        run_ops.clear();
        bytes = 0;
      }
      run_ops.push_back(p);
      bytes += p->bytes;
    }
    run_bulk(run_ops);
  }

  void execute_all() {
    if (pending.empty()) return;
    try {
      std::vector<std::pair<std::string, std::vector<op*>>> groups;
      std::map<std::string, std::size_t> index;
      for (op& p : pending) {
        if (p.done) continue;
        const std::string key = p.db + '\0' + p.coll;
        auto [it, inserted] = index.emplace(key, groups.size());
        if (inserted) groups.emplace_back(key, std::vector<op*>{});
        groups[it->second].second.push_back(&p);
      }
      for (auto& [key, ops] : groups)
        run_target(ops);
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
      pending_bytes += p.bytes;
  }

  void write(std::span<const document> docs, write_result& result) {
    const std::uint64_t call = ++calls;
    current_call = call;
    current_result = &result;
    struct reset {
      impl* self;
      ~reset() {
        self->current_call = 0;
        self->current_result = nullptr;
      }
    } guard{this};
    for (std::size_t i = 0; i < docs.size(); ++i) {
      op p;
      try {
        p = prepare(docs[i]);
      } catch (const reel::error& e) {
        ++stats.rejected;
        result.rejected.emplace_back(i, e.message());
        continue;
      }
      p.call = call;
      p.index = i;
      if (pending.empty()) oldest = o.clock->now();
      pending_bytes += p.bytes;
      pending.push_back(std::move(p));
    }
    if (!handler || pending.size() >= o.batch.max_documents || pending_bytes >= o.batch.max_bytes ||
        (!pending.empty() && o.clock->now() - oldest >= o.batch.max_delay)) {
      execute_all();
    }
  }
};

merge_sink::merge_sink(client c, merge_options options)
    : impl_(std::make_unique<impl>(std::move(c), std::move(options))) {}

merge_sink::~merge_sink() {
  try {
    impl_->execute_all();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; flush() can
  }
}

void merge_sink::write(std::span<const nlohmann::ordered_json> docs, write_result& result) {
  impl_->write(docs, result);
}

void merge_sink::flush() {
  impl_->execute_all();
}

void merge_sink::on_time_passed() {
  if (!impl_->pending.empty() &&
      impl_->o.clock->now() - impl_->oldest >= impl_->o.batch.max_delay) {
    impl_->execute_all();
  }
}

void merge_sink::set_rejection_handler(rejection_handler handler) {
  impl_->handler = std::move(handler);
}

std::vector<std::pair<document, std::string>> merge_sink::take_rejections() {
  return std::exchange(impl_->unreported, {});
}

merge_sink::statistics merge_sink::stats() const {
  return impl_->stats;
}

nlohmann::ordered_json merge_sink::metrics() const {
  const statistics& st = impl_->stats;
  return {{"written", st.written},
          {"rejected", st.rejected},
          {"batches", st.batches},
          {"retries", st.retries},
          {"isolated", st.isolated}};
}

std::size_t merge_sink::pending() const {
  return impl_->pending.size();
}

}  // namespace reel::mongo
