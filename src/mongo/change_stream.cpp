// SPDX-License-Identifier: Apache-2.0
#include "reel/mongo/change_stream.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bson.hh"
#include "client.hh"
#include "reel/detail/suggest.hpp"
#include "reel/json/value.hpp"

namespace reel::mongo {

namespace {

[[noreturn]] void invalid(const std::string& where, const std::string& message) {
  throw_error("reel.pipeline.invalid_option", where, message);
}

const std::string& one_of(const document& v, const std::string& where,
                          const std::vector<std::string>& allowed, const char* name) {
  if (!v.is_string() ||
      std::find(allowed.begin(), allowed.end(), v.get_ref<const std::string&>()) == allowed.end()) {
    const std::string given = v.is_string() ? v.get<std::string>() : v.dump();
    std::string list;
    for (const std::string& a : allowed)
      list += (list.empty() ? "" : ", ") + a;
    invalid(where, std::string("unknown ") + name + " '" + given + "'" +
                       reel::detail::did_you_mean(given, allowed) + "; use " + list);
  }
  return v.get_ref<const std::string&>();
}

std::int64_t positive_int(const document& v, const std::string& where, const char* name) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1) {
    invalid(where, std::string(name) + " must be a positive integer");
  }
  return v.get<std::int64_t>();
}

}  // namespace

change_stream_options parse_change_stream_stage(const document& stage, const std::string& where) {
  if (!stage.is_object()) invalid(where, "$source takes an object");
  change_stream_options o;
  if (auto it = stage.find("db"); it != stage.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      invalid(where + "/db", "db must be a non-empty string");
    }
    o.db = it->get<std::string>();
  }
  if (auto it = stage.find("coll"); it != stage.end()) {
    if (o.db.empty()) invalid(where + "/coll", "coll needs db");
    auto add = [&](const document& v, const std::string& at) {
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
        invalid(at, "coll must be a collection name or an array of names");
      }
      o.colls.push_back(v.get<std::string>());
    };
    if (it->is_array()) {
      if (it->empty()) invalid(where + "/coll", "coll must name at least one collection");
      for (std::size_t i = 0; i < it->size(); ++i)
        add((*it)[i], where + "/coll/" + std::to_string(i));
    } else {
      add(*it, where + "/coll");
    }
  }
  auto config = stage.find("config");
  if (config == stage.end()) return o;
  const std::string at = where + "/config";
  if (!config->is_object()) invalid(at, "config must be an object");
  static const std::vector<std::string> keys = {
      "fullDocument", "fullDocumentOnly",     "fullDocumentBeforeChange", "pipeline",
      "startAfter",   "startAtOperationTime", "maxAwaitTimeMS",           "batchSize"};
  for (const auto& [key, value] : config->items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      invalid(at + "/" + key, "unknown option '" + key + "' of a change stream $source" +
                                  reel::detail::did_you_mean(key, keys));
    }
  }
  if (auto it = config->find("fullDocument"); it != config->end()) {
    o.full_document =
        one_of(*it, at + "/fullDocument", {"default", "updateLookup", "whenAvailable", "required"},
               "fullDocument");
  }
  if (auto it = config->find("fullDocumentBeforeChange"); it != config->end()) {
    o.full_document_before_change =
        one_of(*it, at + "/fullDocumentBeforeChange", {"off", "whenAvailable", "required"},
               "fullDocumentBeforeChange");
  }
  if (auto it = config->find("fullDocumentOnly"); it != config->end()) {
    if (!it->is_boolean()) invalid(at + "/fullDocumentOnly", "fullDocumentOnly must be a boolean");
    o.full_document_only = it->get<bool>();
  }
  if (auto it = config->find("pipeline"); it != config->end()) {
    if (!it->is_array()) invalid(at + "/pipeline", "pipeline must be an array of stages");
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_object() || (*it)[i].size() != 1) {
        invalid(at + "/pipeline/" + std::to_string(i), "a pipeline stage must be {$stage: ...}");
      }
    }
    o.pipeline = *it;
  }
  const bool after = config->contains("startAfter");
  const bool at_time = config->contains("startAtOperationTime");
  if (after && at_time) {
    invalid(at + "/startAtOperationTime",
            "give either startAfter or startAtOperationTime, not both");
  }
  if (after) {
    const document& t = (*config)["startAfter"];
    if (!t.is_object() || t.empty()) {
      invalid(at + "/startAfter",
              "startAfter must be a resume token (an object like {_data: ...})");
    }
    o.start_after = t;
  }
  if (at_time) {
    const document& t = (*config)["startAtOperationTime"];
    if (t.is_object() && t.size() == 1 && t.contains("$timestamp") && t["$timestamp"].is_object() &&
        t["$timestamp"].contains("t") && t["$timestamp"]["t"].is_number_integer()) {
      const auto& ts = t["$timestamp"];
      o.start_at_operation_time = document{
          {"$timestamp",
           {{"t", ts["t"].get<std::int64_t>()},
            {"i",
             ts.contains("i") && ts["i"].is_number_integer() ? ts["i"].get<std::int64_t>() : 0}}}};
    } else if (auto date = json::as_date(json::normalize_ejson(t))) {
      const std::int64_t ms = to_millis(*date);
      const std::int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
      o.start_at_operation_time = document{{"$timestamp", {{"t", seconds}, {"i", 0}}}};
    } else {
      invalid(at + "/startAtOperationTime",
              "startAtOperationTime must be a {$timestamp: {t, i}} or a {$date: ...}");
    }
  }
  if (auto it = config->find("maxAwaitTimeMS"); it != config->end()) {
    o.max_await_time =
        std::chrono::milliseconds(positive_int(*it, at + "/maxAwaitTimeMS", "maxAwaitTimeMS"));
  }
  if (auto it = config->find("batchSize"); it != config->end()) {
    o.batch_size = static_cast<std::int32_t>(
        std::min<std::int64_t>(positive_int(*it, at + "/batchSize", "batchSize"), INT32_MAX));
  }
  return o;
}

document change_stream_request::server_pipeline() const {
  document stages = document::array();
  if (options.colls.size() > 1) {
    stages.push_back({{"$match", {{"ns.coll", {{"$in", options.colls}}}}}});
  }
  for (const document& s : options.pipeline)
    stages.push_back(s);
  return stages;
}

// ---------------------------------------------------------------------------------------------
// libmongoc cursors

namespace {

class libmongoc_cursor final : public change_stream_cursor {
 public:
  libmongoc_cursor(client c, const change_stream_request& r)
      : client_(std::move(c)), pooled_(*client_.implementation()) {
    const change_stream_options& o = r.options;
    bson_error_t e;
    detail::bson_ptr pipeline = detail::to_bson(document{{"pipeline", r.server_pipeline()}}, &e);
    if (!pipeline) {
      detail::raise("reel.mongo.change_stream_failed", "",
                    "the change stream pipeline is not valid BSON", e);
    }
    document opts = document::object();
    if (o.full_document != "default") opts["fullDocument"] = o.full_document;
    if (o.full_document_before_change != "off") {
      opts["fullDocumentBeforeChange"] = o.full_document_before_change;
    }
    if (r.resume_token) {
      opts["startAfter"] = *r.resume_token;
    } else if (o.start_after) {
      opts["startAfter"] = *o.start_after;
    } else if (o.start_at_operation_time) {
      opts["startAtOperationTime"] = *o.start_at_operation_time;
    }
    opts["maxAwaitTimeMS"] = static_cast<std::int64_t>(o.max_await_time.count());
    if (o.batch_size > 0) opts["batchSize"] = o.batch_size;
    detail::bson_ptr opts_bson = detail::to_bson(opts, &e);
    if (!opts_bson) {
      detail::raise("reel.mongo.change_stream_failed", "",
                    "the change stream options are not valid BSON", e);
    }
    std::string ns;
    if (o.db.empty()) {
      stream_ = mongoc_client_watch(pooled_.get(), pipeline.get(), opts_bson.get());
      ns = "the deployment";
    } else if (o.colls.size() == 1) {
      detail::collection_ptr coll(
          mongoc_client_get_collection(pooled_.get(), o.db.c_str(), o.colls[0].c_str()));
      stream_ = mongoc_collection_watch(coll.get(), pipeline.get(), opts_bson.get());
      ns = "'" + o.db + "." + o.colls[0] + "'";
    } else {
      mongoc_database_t* db = mongoc_client_get_database(pooled_.get(), o.db.c_str());
      stream_ = mongoc_database_watch(db, pipeline.get(), opts_bson.get());
      mongoc_database_destroy(db);
      ns = "database '" + o.db + "'";
    }
    what_ = "change stream on " + ns;
    try {
      check("cannot open the " + what_);
    } catch (...) {
      mongoc_change_stream_destroy(stream_);  // the destructor does not run
      stream_ = nullptr;
      throw;
    }
  }
  ~libmongoc_cursor() override {
    if (stream_) mongoc_change_stream_destroy(stream_);
  }

  void next_batch(std::vector<document>& events, std::size_t max) override {
    for (std::size_t i = 0; i < max; ++i) {
      const bson_t* doc = nullptr;
      if (!mongoc_change_stream_next(stream_, &doc)) break;
      events.push_back(detail::from_bson(doc));
    }
    check("reading the " + what_ + " failed");
  }

  [[nodiscard]] document resume_token() const override {
    const bson_t* t = mongoc_change_stream_get_resume_token(stream_);
    return t ? detail::from_bson(t) : document(nullptr);
  }

 private:
  void check(const std::string& what) const {
    bson_error_t e;
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream_, &e, &reply)) {
      detail::raise("reel.mongo.change_stream_failed", "", what, e, reply);
    }
  }

  client client_;
  detail::pooled_client pooled_;
  mongoc_change_stream_t* stream_ = nullptr;
  std::string what_;
};

}  // namespace

cursor_factory libmongoc_cursors(client c) {
  return
      [c = std::move(c)](const change_stream_request& r) -> std::unique_ptr<change_stream_cursor> {
        return std::make_unique<libmongoc_cursor>(c, r);
      };
}

// ---------------------------------------------------------------------------------------------
// the source

change_stream_source::change_stream_source(cursor_factory cursors, change_stream_options options,
                                           retry_policy retry)
    : cursors_(std::move(cursors)), options_(std::move(options)), retry_(std::move(retry)) {}

change_stream_source::~change_stream_source() = default;

std::vector<std::string> change_stream_source::partitions() const {
  if (options_.db.empty()) return {"*"};
  if (options_.colls.size() == 1) return {options_.db + "." + options_.colls[0]};
  return {options_.db};
}

nlohmann::ordered_json change_stream_source::positions() const {
  if (!token_) return nullptr;
  return {{"resumeToken", *token_}};
}

void change_stream_source::seek(const nlohmann::ordered_json& positions) {
  if (!positions.is_object()) return;
  auto it = positions.find("resumeToken");
  if (it == positions.end() || it->is_null()) return;
  token_ = *it;
  cursor_.reset();
  ended_ = false;
}

void change_stream_source::open() {
  change_stream_request r;
  r.options = options_;
  r.resume_token = token_;
  cursor_ = cursors_(r);
  ++opened_;
}

poll_status change_stream_source::poll(std::vector<source_message>& out, std::size_t max) {
  if (ended_) return poll_status::end_of_input;
  std::vector<document> events;
  detail::with_retries(retry_, "", [&] {
    events.clear();
    try {
      if (!cursor_) open();
      cursor_->next_batch(events, max == 0 ? 1 : max);
    } catch (const error& e) {
      if (e.transient()) cursor_.reset();  // reopened from the last token
      throw;
    }
    return 0;
  });
  std::size_t delivered = 0;
  for (document& ev : events) {
    document token = ev.contains("_id") ? ev["_id"] : document(nullptr);
    if (!token.is_null()) token_ = token;
    const std::string op = ev.value("operationType", std::string());
    if (op == "invalidate") {
      ended_ = true;
      break;
    }
    source_message m;
    auto full = ev.find("fullDocument");
    if (options_.full_document_only) {
      if (full == ev.end() || !full->is_object()) {
        ++skipped_;
        continue;
      }
      m.document = *full;
    } else {
      m.document = ev;
    }
    if (auto w = ev.find("wallTime"); w != ev.end()) {
      if (auto t = json::as_date(*w)) m.record_time = *t;
    }
    if (!m.record_time) {
      if (auto c = ev.find("clusterTime"); c != ev.end() && c->is_object() &&
                                           c->contains("$timestamp") &&
                                           (*c)["$timestamp"].is_object()) {
        const auto& ts = (*c)["$timestamp"];
        if (ts.contains("t") && ts["t"].is_number()) {
          m.record_time = from_millis(ts["t"].get<std::int64_t>() * 1000);
        }
      }
    }
    m.metadata = document::object();
    m.metadata["operationType"] = op;
    if (auto ns = ev.find("ns"); ns != ev.end()) m.metadata["ns"] = *ns;
    if (auto key = ev.find("documentKey"); key != ev.end()) m.metadata["documentKey"] = *key;
    if (auto c = ev.find("clusterTime"); c != ev.end()) m.metadata["clusterTime"] = *c;
    m.position = std::move(token);
    out.push_back(std::move(m));
    ++delivered;
  }
  if (!ended_ && cursor_) {
    // The server's post-batch resume token moves past events filtered out by the pipeline.
    document t = cursor_->resume_token();
    if (!t.is_null()) token_ = std::move(t);
  }
  if (delivered > 0) return poll_status::ready;
  return ended_ ? poll_status::end_of_input : poll_status::idle;
}

}  // namespace reel::mongo
