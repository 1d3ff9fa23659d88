// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$lookup`: a left outer join of each document with a collection of a connection
/// (`LookupOperator`), as Atlas Stream Processing has it: the matching documents of
/// `from: {connectionName, db, coll}` become an array under `as`. The collection is read through
/// the connection type's `collection_reader` (`reel/connector/collection_reader.hpp`; the
/// `mongodb` type of `reel::mongo` gives one). `$cachedLookup` (`cached_lookup.hpp`) is the same
/// stage with a cache.
///
/// Forms (MongoDB's):
/// - `localField` + `foreignField`: the documents whose `foreignField` equals the document's
///   `localField`. A local array matches any of its elements; a missing or null local field
///   matches a missing or null foreign field; a foreign array matches when any element (or the
///   array itself) is equal. Numbers compare by value (`2` equals `2.0`).
/// - `let` + `pipeline`: `let` expressions are evaluated on the document and the `pipeline` runs
///   on the collection with them: every `"$$name"` (and `"$$name.path"`) in the pipeline is
///   replaced by the value before the pipeline is sent (inside expressions as `{$literal: v}`
///   when the value could be read as an expression), so the server needs no `let` support.
///   Unlike MongoDB, `"$$name"` is replaced in query predicates (`{$match: {slug: "$$movie"}}`)
///   too, where MongoDB would compare with the string `"$$movie"`.
/// - both: the pipeline runs on the documents that match `localField`/`foreignField`.
///
/// **Batched.** The stage is asynchronous (`reel/json/enrichment.hpp`: ordered, at most
/// `parallelism` documents in flight, backpressure). Its queries run on a thread of its own, one
/// at a time: the documents that arrive while a query runs wait and become **one** query, a
/// `find` with `{foreignField: {$in: [every local value]}}` whose results are shared out to the
/// documents, each getting its matches in the order the server returned them. The pipeline
/// form sends one `aggregate` per distinct set of `let` values (and local values) in a batch.
/// `stats().enrichment` shows `queries` (sent), `batches`, `documentsRead`.
///
/// Options (Atlas's): `from` (required by Reel: `{connectionName, db, coll}`), `localField`,
/// `foreignField`, `let`, `pipeline`, `as` (required), `parallelism` (1–1024; here the most
/// documents in flight, so the largest batch; default 128). `partitionBy` is refused (order is
/// kept without it).
///
/// **Errors.** A query that fails (the server unreachable after the connection's retries, a
/// pipeline the server refuses) sends each of its documents to the DLQ with the reason
/// (`$lookup on 'cinema.movies' failed: ...`); bad options are definition errors; a connection
/// that is unknown or cannot be joined against too (when the pipeline is compiled with its
/// connections).
///
/// **Example**
/// ```json
/// {"$lookup": {"from": {"connectionName": "atlas", "db": "cinema", "coll": "movies"},
///              "localField": "movie", "foreignField": "slug", "as": "movieInfo"}}
/// ```
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "reel/connector/registry.hpp"
#include "reel/json/enrichment.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"
#include "reel/time.hpp"

namespace reel::json {

namespace detail {

/// Orders documents as MongoDB compares them (numbers by value across types).
struct bson_less {
  bool operator()(const document& a, const document& b) const { return compare_values(a, b) < 0; }
};

/// `"a.b.c"` → `{"a", "b", "c"}`.
inline std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (true) {
    const std::size_t dot = path.find('.', from);
    out.push_back(path.substr(from, dot == std::string::npos ? dot : dot - from));
    if (dot == std::string::npos) return out;
    from = dot + 1;
  }
}

/// The values `v` holds at `path` from segment `i`, MongoDB style: arrays met on the way are
/// traversed element by element; a final array gives its elements, and itself too when
/// `whole_arrays` (how a foreign field matches).
inline void values_at(const document& v, const std::vector<std::string>& path, std::size_t i,
                      bool whole_arrays, std::vector<document>& out) {
  if (i == path.size()) {
    if (!v.is_array()) {
      out.push_back(v);
      return;
    }
    if (whole_arrays) out.push_back(v);
    for (const document& e : v)
      out.push_back(e);
    return;
  }
  if (v.is_object()) {
    if (auto it = v.find(path[i]); it != v.end()) values_at(*it, path, i + 1, whole_arrays, out);
  } else if (v.is_array()) {
    for (const document& e : v) {
      if (e.is_object()) values_at(e, path, i, whole_arrays, out);
    }
  }
}

/// The distinct join keys of `doc` at `path`; a missing or null field gives `null` (which
/// matches missing and null).
inline std::vector<document> join_keys(const document& doc, const std::vector<std::string>& path,
                                       bool whole_arrays) {
  std::vector<document> found;
  values_at(doc, path, 0, whole_arrays, found);
  std::set<document, bson_less> distinct;
  std::vector<document> out;
  for (document& k : found) {
    if (distinct.insert(k).second) out.push_back(std::move(k));
  }
  if (out.empty()) out.push_back(nullptr);
  return out;
}

/// The value of `$$name.rest` in `vars`, or null.
inline document variable_value(const document& vars, const std::string& reference) {
  const std::vector<std::string> parts = split_path(reference);
  auto it = vars.find(parts.front());
  if (it == vars.end()) return nullptr;
  const document* at = &*it;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!at->is_object()) return nullptr;
    auto next = at->find(parts[i]);
    if (next == at->end()) return nullptr;
    at = &*next;
  }
  return *at;
}

/// `spec` (a pipeline or a part of one) with every `"$$name"` of `vars` replaced by its value:
/// as it is in a query predicate (`in_query`), else as `{$literal: v}` when `v` could be read as
/// an expression (a string starting with `$`, an object, an array).
inline document substitute_variables(const document& spec, const document& vars, bool in_query,
                                     bool stage_level = false) {
  if (spec.is_string()) {
    const std::string& s = spec.get_ref<const std::string&>();
    if (s.size() < 3 || s[0] != '$' || s[1] != '$') return spec;
    const std::string reference = s.substr(2);
    if (!vars.contains(reference.substr(0, reference.find('.')))) return spec;
    document v = variable_value(vars, reference);
    const bool expression_like = v.is_object() || v.is_array() ||
                                 (v.is_string() && !v.get_ref<const std::string&>().empty() &&
                                  v.get_ref<const std::string&>()[0] == '$');
    if (in_query || !expression_like) return v;
    return document{{"$literal", std::move(v)}};
  }
  if (spec.is_array()) {
    document out = document::array();
    for (const document& e : spec)
      out.push_back(substitute_variables(e, vars, in_query, stage_level));
    return out;
  }
  if (!spec.is_object()) return spec;
  document out = document::object();
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& key = it.key();
    bool query = in_query;
    if (stage_level) query = key == "$match";  // the value of a $match stage is a query
    if (key == "$expr" || key == "$literal") query = false;
    if (key == "$literal") {
      out[key] = it.value();
      continue;
    }
    // The stages of a nested pipeline ($lookup, $facet, $unionWith) are stages again.
    const bool nested_pipeline = key == "pipeline" && it.value().is_array();
    out[key] = substitute_variables(it.value(), vars, query, nested_pipeline);
  }
  return out;
}

}  // namespace detail

namespace stages {

/// The cache of `$cachedLookup`: join keys → matches, each entry kept for `ttl` of the
/// processor's clock, the whole held under `max_bytes` (an estimate: the JSON size of keys and
/// matches plus a fixed overhead). When over, expired entries go first, then the least recently
/// used (Atlas evicts at random; Reel's choice is deterministic).
class lookup_cache {
 public:
  lookup_cache(duration ttl, std::size_t max_bytes) : ttl_(ttl), max_bytes_(max_bytes) {}

  /// The matches cached for `key` at time `now`, or none (a miss).
  [[nodiscard]] std::optional<document> get(const std::string& key, timestamp now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now >= it->second.expires) {
      ++expired_;
      erase(it);
      it = entries_.end();
    }
    if (it == entries_.end()) {
      ++misses_;
      return std::nullopt;
    }
    ++hits_;
    order_.splice(order_.begin(), order_, it->second.position);
    return it->second.value;
  }

  /// Caches `value` for `key`, read at `read_at`.
  void put(const std::string& key, const document& value, timestamp read_at) {
    const std::size_t bytes = entry_overhead + key.size() + value.dump().size();
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) erase(it);
    if (bytes > max_bytes_) {
      ++evictions_;  // too large to keep at all
      return;
    }
    order_.push_front(key);
    entries_.emplace(key, entry{value, bytes, read_at + ttl_, order_.begin()});
    bytes_ += bytes;
    if (bytes_ <= max_bytes_) return;
    for (auto it = entries_.begin(); it != entries_.end() && bytes_ > max_bytes_;) {
      if (read_at >= it->second.expires) {
        ++expired_;
        it = erase(it);
      } else {
        ++it;
      }
    }
    while (bytes_ > max_bytes_ && !order_.empty()) {
      ++evictions_;
      erase(entries_.find(order_.back()));
    }
  }

  void add_stats(document& entry) const {
    std::lock_guard lock(mutex_);
    entry["cacheHits"] = hits_;
    entry["cacheMisses"] = misses_;
    entry["cacheEvictions"] = evictions_;
    entry["cacheExpired"] = expired_;
    entry["cacheEntries"] = entries_.size();
    entry["cacheBytes"] = bytes_;
    entry["cacheMaxBytes"] = max_bytes_;
  }

  /// The estimated bytes of an entry besides its key and value.
  static constexpr std::size_t entry_overhead = 96;

 private:
  struct entry {
    document value;
    std::size_t bytes;
    timestamp expires;
    std::list<std::string>::iterator position;
  };
  using map = std::map<std::string, entry>;
  map::iterator erase(map::iterator it) {
    bytes_ -= it->second.bytes;
    order_.erase(it->second.position);
    return entries_.erase(it);
  }

  mutable std::mutex mutex_;
  duration ttl_;
  std::size_t max_bytes_;
  map entries_;
  std::list<std::string> order_;  // most recently used first
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0, expired_ = 0;
};

/// `$lookup` and `$cachedLookup`.
class lookup final : public enrichment_stage {
 public:
  /// The default `parallelism` of `$lookup`: the largest batch.
  static constexpr std::size_t default_lookup_parallelism = 128;

  /// `stage` is `"$lookup"` or `"$cachedLookup"` (which adds `ttl` and `maxMemUsageBytes` and
  /// refuses `let` and `pipeline`).
  lookup(const document& spec, const std::string& where, const stage_context& context,
         std::string_view stage)
      : enrichment_stage(where, as_of(spec, where, stage), on_error_action::dlq,
                         parallelism_of(spec, where)),
        stage_(stage) {
    const bool cached = stage == "$cachedLookup";
    if (cached) {
      detail::check_options(spec, where, stage,
                            {"from", "localField", "foreignField", "as", "ttl", "maxMemUsageBytes",
                             "parallelism", "partitionBy", "let", "pipeline"});
    } else {
      detail::check_options(spec, where, stage,
                            {"from", "localField", "foreignField", "let", "pipeline", "as",
                             "parallelism", "partitionBy"});
    }
    if (spec.contains("partitionBy")) {
      throw_error("reel.pipeline.unsupported_option", where + "/partitionBy",
                  "partitionBy of " + stage_ +
                      " is not supported by Reel: its queries keep input order without it");
    }
    parse_from(spec, where);
    const bool local = spec.contains("localField"), foreign = spec.contains("foreignField");
    if (local != foreign) {
      throw_error("reel.pipeline.invalid_option", where,
                  stage_ + " needs both localField and foreignField, or neither");
    }
    if (local) {
      local_path_ = detail::split_path(field_name(spec, where, "localField"));
      foreign_field_ = field_name(spec, where, "foreignField");
      foreign_path_ = detail::split_path(foreign_field_);
    }
    if (cached) {
      for (const char* refused : {"let", "pipeline"}) {
        if (spec.contains(refused)) {
          throw_error("reel.pipeline.invalid_option", where + "/" + refused,
                      std::string("$cachedLookup does not take ") + refused +
                          " (Atlas's neither): use $lookup");
        }
      }
      if (!local) {
        throw_error("reel.pipeline.invalid_option", where,
                    "$cachedLookup needs localField and foreignField");
      }
      cache_ = std::make_shared<lookup_cache>(ttl_of(spec, where), max_bytes_of(spec, where));
    } else {
      parse_pipeline(spec, where);
      if (!local && !pipeline_) {
        throw_error("reel.pipeline.invalid_option", where,
                    "$lookup needs localField and foreignField, or a pipeline");
      }
    }
    if (context.connections) {
      reader_ = context.connections->make_collection_reader(connection_, spec,
                                                            where + "/from/connectionName");
    }
  }

  ~lookup() override {
    {
      std::lock_guard lock(state_->mutex);
      state_->stop = true;
    }
    state_->wake.notify_all();
    if (state_->worker.joinable()) state_->worker.join();
  }
  lookup(const lookup&) = delete;
  lookup& operator=(const lookup&) = delete;

  [[nodiscard]] std::string_view operator_name() const override {
    return cache_ ? "CachedLookupOperator" : "LookupOperator";
  }

  void start_call(const document& doc, const eval_context& ctx, call_done done) const override {
    if (!reader_) {
      done({call_outcome::kind::fatal, std::nullopt,
            "[reel.enrichment.unbound] " + stage_ +
                " was compiled without connections: compile the pipeline with "
                "pipeline_options::connections (or build the stream_processor from the pipeline "
                "document)"});
      return;
    }
    request r;
    if (!local_path_.empty()) r.keys = detail::join_keys(doc, local_path_, false);
    if (!let_.empty()) {
      r.vars = document::object();
      for (const auto& [name, e] : let_) {
        try {
          document v = e.evaluate(doc, ctx);
          r.vars[name] = is_missing(v) ? document(nullptr) : std::move(v);
        } catch (const reel::error& err) {
          done({call_outcome::kind::rejected, std::nullopt,
                "let variable '" + name + "' failed: " + err.message()});
          return;
        }
      }
    }
    r.group = r.vars.dump() + document(r.keys).dump();
    if (cache_) {
      r.now = ctx.clock ? ctx.clock->now() : reel::system_clock::instance().now();
      if (std::optional<document> hit = cache_->get(r.group, r.now)) {
        done({call_outcome::kind::ok, std::move(*hit), {}});
        return;
      }
    }
    r.done = std::move(done);
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->worker.joinable()) state_->worker = std::thread([this] { run(); });
      state_->pending.push_back(std::move(r));
    }
    state_->wake.notify_one();
  }

  void add_stats(document& entry) const override {
    entry["queries"] = state_->queries.load();
    entry["batches"] = state_->batches.load();
    entry["documentsRead"] = state_->documents_read.load();
    if (cache_) cache_->add_stats(entry);
  }

 private:
  struct request {
    std::vector<document> keys;  ///< the local join keys (none without localField)
    document vars;               ///< the `let` values (null without `let`)
    std::string group;           ///< requests with the same keys and values share a query
    timestamp now{};             ///< when it was asked (the cache's clock)
    call_done done;
  };
  struct worker_state {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<request> pending;
    bool stop = false;
    std::thread worker;
    std::atomic<std::uint64_t> queries{0}, batches{0}, documents_read{0};
  };

  /// The stage's thread: takes every request waiting, answers them with as few queries as it
  /// can, again until the stage is destroyed.
  void run() const {
    std::unique_lock lock(state_->mutex);
    while (true) {
      state_->wake.wait(lock, [&] { return state_->stop || !state_->pending.empty(); });
      if (state_->pending.empty()) return;  // stopping
      std::vector<request> batch(std::make_move_iterator(state_->pending.begin()),
                                 std::make_move_iterator(state_->pending.end()));
      state_->pending.clear();
      lock.unlock();
      ++state_->batches;
      if (pipeline_) {
        answer_with_pipelines(batch);
      } else {
        answer_with_find(batch);
      }
      lock.lock();
    }
  }

  /// One `find` with `$in` for the whole batch; each request gets the documents one of its
  /// keys matches, in the server's order.
  void answer_with_find(std::vector<request>& batch) const {
    std::set<document, detail::bson_less> distinct;
    document in = document::array();
    for (const request& r : batch) {
      for (const document& k : r.keys) {
        if (distinct.insert(k).second) in.push_back(k);
      }
    }
    std::vector<document> found;
    if (!query(batch, [&] {
          found = reader_->find(db_, coll_, document{{foreign_field_, {{"$in", std::move(in)}}}});
        })) {
      return;
    }
    std::map<document, std::vector<std::size_t>, detail::bson_less> index;
    for (std::size_t i = 0; i < found.size(); ++i) {
      for (document& k : detail::join_keys(found[i], foreign_path_, true))
        index[std::move(k)].push_back(i);
    }
    for (request& r : batch) {
      std::vector<std::size_t> hits;
      for (const document& k : r.keys) {
        if (auto it = index.find(k); it != index.end())
          hits.insert(hits.end(), it->second.begin(), it->second.end());
      }
      std::sort(hits.begin(), hits.end());
      hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
      document matches = document::array();
      for (std::size_t i : hits)
        matches.push_back(found[i]);
      answer(r, std::move(matches));
    }
  }

  /// One `aggregate` per distinct group (keys and `let` values) of the batch.
  void answer_with_pipelines(std::vector<request>& batch) const {
    std::map<std::string, std::vector<request*>> groups;
    std::vector<std::string> order;
    for (request& r : batch) {
      auto [it, added] = groups.try_emplace(r.group);
      if (added) order.push_back(r.group);
      it->second.push_back(&r);
    }
    for (const std::string& g : order) {
      std::vector<request*>& members = groups[g];
      const request& first = *members.front();
      document stages = document::array();
      if (!foreign_field_.empty()) {
        stages.push_back({{"$match", {{foreign_field_, {{"$in", document(first.keys)}}}}}});
      }
      const document substituted =
          first.vars.is_object() ? detail::substitute_variables(*pipeline_, first.vars, false, true)
                                 : *pipeline_;
      for (const document& s : substituted)
        stages.push_back(s);
      std::vector<document> found;
      const bool ok =
          query_members(members, [&] { found = reader_->aggregate(db_, coll_, stages); });
      if (!ok) continue;
      document matches(found);
      for (request* r : members)
        answer(*r, matches);
    }
  }

  /// Runs `f` (a query) counting it; on failure every request of `batch` fails with the reason.
  template <class F>
  bool query(std::vector<request>& batch, F&& f) const {
    std::vector<request*> all;
    for (request& r : batch)
      all.push_back(&r);
    return query_members(all, std::forward<F>(f));
  }
  template <class F>
  bool query_members(std::vector<request*>& members, F&& f) const {
    ++state_->queries;
    std::string reason;
    try {
      f();
      return true;
    } catch (const reel::error& e) {
      reason = e.message();
    } catch (const std::exception& e) {
      reason = e.what();
    }
    for (request* r : members) {
      r->done({call_outcome::kind::failed, std::nullopt,
               stage_ + " on '" + db_ + "." + coll_ + "' failed: " + reason});
    }
    return false;
  }

  void answer(request& r, document matches) const {
    state_->documents_read += matches.size();
    if (cache_) cache_->put(r.group, matches, r.now);
    r.done({call_outcome::kind::ok, std::move(matches), {}});
  }

  void parse_from(const document& spec, const std::string& where) {
    auto from = spec.find("from");
    if (from == spec.end()) {
      throw_error("reel.pipeline.invalid_option", where,
                  stage_ +
                      " needs from: {connectionName, db, coll} (Reel joins only against a "
                      "collection of a connection)");
    }
    const std::string at = where + "/from";
    if (!from->is_object()) {
      throw_error("reel.pipeline.invalid_option", at,
                  "from must be {connectionName, db, coll}: a collection of a connection");
    }
    detail::check_options(*from, at, "from", {"connectionName", "db", "coll"});
    for (const auto& [key, target] : {std::pair{"connectionName", &connection_},
                                      std::pair{"db", &db_}, std::pair{"coll", &coll_}}) {
      auto it = from->find(key);
      if (it == from->end()) {
        throw_error("reel.pipeline.invalid_option", at, std::string("from needs ") + key);
      }
      if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
        throw_error("reel.pipeline.invalid_option", at + "/" + key,
                    std::string(key) + " must be a non-empty string");
      }
      *target = it->get<std::string>();
    }
  }

  void parse_pipeline(const document& spec, const std::string& where) {
    if (auto it = spec.find("let"); it != spec.end()) {
      if (!it->is_object()) {
        throw_error("reel.pipeline.invalid_option", where + "/let",
                    "let must be an object {name: expression}");
      }
      if (!spec.contains("pipeline")) {
        throw_error("reel.pipeline.invalid_option", where + "/let",
                    "let is used by the pipeline: give a pipeline too");
      }
      for (auto v = it->begin(); v != it->end(); ++v) {
        const std::string& name = v.key();
        if (name.empty() || !(std::islower(static_cast<unsigned char>(name[0])) ||
                              static_cast<unsigned char>(name[0]) >= 0x80)) {
          throw_error("reel.pipeline.invalid_option", where + "/let/" + name,
                      "a let variable's name must start with a lowercase letter: '" + name + "'");
        }
        let_.emplace_back(name, compile_expression(v.value(), where + "/let/" + name));
      }
    }
    auto it = spec.find("pipeline");
    if (it == spec.end()) return;
    const std::string at = where + "/pipeline";
    if (!it->is_array())
      throw_error("reel.pipeline.invalid_option", at, "pipeline must be an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const document& s = (*it)[i];
      if (!s.is_object() || s.size() != 1 || s.begin().key().empty() || s.begin().key()[0] != '$') {
        throw_error("reel.pipeline.invalid_option", at + "/" + std::to_string(i),
                    "a pipeline stage must be an object with one field, the stage's name");
      }
    }
    pipeline_ = *it;
  }

  static std::string field_name(const document& spec, const std::string& where, const char* key) {
    const document& v = spec.at(key);
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>()[0] == '$') {
      throw_error("reel.pipeline.invalid_option", where + "/" + key,
                  std::string(key) + " must be a field name (a dotted path, no '$')");
    }
    return v.get<std::string>();
  }

  static std::string as_of(const document& spec, const std::string& where, std::string_view stage) {
    if (!spec.is_object()) {
      detail::bad_stage(where, std::string(stage) + " takes an object, found " + type_name(spec));
    }
    auto it = spec.find("as");
    if (it == spec.end()) {
      throw_error("reel.pipeline.invalid_option", where,
                  std::string(stage) + " requires 'as' (the array field the matches go to)");
    }
    return detail::parse_as(*it, where + "/as");
  }

  static std::size_t parallelism_of(const document& spec, const std::string& where) {
    auto it = spec.find("parallelism");
    return it == spec.end() ? default_lookup_parallelism
                            : detail::parse_parallelism(*it, where + "/parallelism");
  }

  static duration ttl_of(const document& spec, const std::string& where) {
    const std::string at = where + "/ttl";
    auto it = spec.find("ttl");
    if (it == spec.end()) {
      throw_error("reel.pipeline.invalid_option", where,
                  "$cachedLookup requires ttl, like {\"size\": 5, \"unit\": \"minute\"}");
    }
    if (!it->is_object()) {
      throw_error("reel.pipeline.invalid_option", at,
                  "ttl must be a duration like {\"size\": 5, \"unit\": \"minute\"}");
    }
    detail::check_options(*it, at, "ttl", {"size", "unit"});
    auto size = it->find("size");
    auto unit = it->find("unit");
    if (size == it->end() || !size->is_number_integer() || size->get<std::int64_t>() < 1) {
      throw_error("reel.pipeline.invalid_option", at + "/size",
                  "ttl needs size, a positive integer");
    }
    const std::optional<time_unit> u = unit != it->end() && unit->is_string()
                                           ? parse_time_unit(unit->get<std::string>())
                                           : std::nullopt;
    if (!u) {
      throw_error("reel.pipeline.invalid_option", at + "/unit",
                  "ttl needs unit: ms, second, minute, hour or day");
    }
    return make_duration(size->get<std::int64_t>(), *u);
  }

  /// `maxMemUsageBytes`: a positive integer; Atlas's default is 10 % of the machine's memory,
  /// Reel's a fixed 64 MiB (a library does not own the machine).
  static std::size_t max_bytes_of(const document& spec, const std::string& where) {
    auto it = spec.find("maxMemUsageBytes");
    if (it == spec.end()) return std::size_t{64} << 20;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      throw_error("reel.pipeline.invalid_option", where + "/maxMemUsageBytes",
                  "maxMemUsageBytes must be a positive integer");
    }
    return static_cast<std::size_t>(it->get<std::int64_t>());
  }

  std::string stage_;
  std::string connection_, db_, coll_;
  std::vector<std::string> local_path_, foreign_path_;
  std::string foreign_field_;
  std::vector<std::pair<std::string, expression>> let_;
  std::optional<document> pipeline_;
  std::shared_ptr<lookup_cache> cache_;
  std::shared_ptr<const collection_reader> reader_;
  std::shared_ptr<worker_state> state_ = std::make_shared<worker_state>();
};

/// The factory of `$lookup` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_lookup(const document& spec,
                                                         const std::string& where,
                                                         const stage_context& context) {
  return std::make_shared<lookup>(spec, where, context, "$lookup");
}

/// The factory of `$cachedLookup` (`cached_lookup.hpp`) in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_cached_lookup(const document& spec,
                                                                const std::string& where,
                                                                const stage_context& context) {
  return std::make_shared<lookup>(spec, where, context, "$cachedLookup");
}

}  // namespace stages

}  // namespace reel::json
