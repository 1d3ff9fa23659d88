// SPDX-License-Identifier: Apache-2.0
#include "reel/kafka/source.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handle.hh"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/value.hpp"
#include "reel/limits.hpp"

namespace reel::kafka {

namespace {

using json = nlohmann::ordered_json;

[[noreturn]] void invalid(const std::string& where, const std::string& message) {
  throw_error("reel.pipeline.invalid_option", where, message);
}

std::string string_option(const json& config, const char* key, const std::string& where) {
  const json& v = config.at(key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    invalid(where + "/" + key, std::string(key) + " must be a non-empty string");
  }
  return v.get<std::string>();
}

/// Decodes a key as `format` says; nullopt when the bytes do not fit it.
std::optional<json> decode_key(const std::uint8_t* data, std::size_t size, key_format format) {
  switch (format) {
    case key_format::bin_data:
      break;
    case key_format::string: {
      json s = std::string(reinterpret_cast<const char*>(data), size);
      try {
        (void)s.dump();  // throws on invalid UTF-8
      } catch (const nlohmann::json::type_error&) {
        return std::nullopt;
      }
      return s;
    }
    case key_format::json: {
      try {
        return reel::json::parse_ejson_line(
            std::string_view(reinterpret_cast<const char*>(data), size));
      } catch (const reel::error&) {
        return std::nullopt;
      }
    }
    case key_format::int32:
    case key_format::int64: {
      const std::size_t width = format == key_format::int32 ? 4 : 8;
      if (size != width) return std::nullopt;
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < width; ++i)
        v = (v << 8) | data[i];
      if (width == 4) return json(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
      return json(static_cast<std::int64_t>(v));
    }
  }
  return reel::json::make_binary(data, size);
}

}  // namespace

source_options parse_source_stage(const json& stage, const std::string& where) {
  source_options o;
  o.where = where;
  if (!stage.is_object()) invalid(where, "$source must be an object");
  auto topic = stage.find("topic");
  if (topic == stage.end()) invalid(where, "a Kafka $source needs a topic (a name or an array)");
  if (topic->is_string()) {
    o.topics.push_back(topic->get<std::string>());
  } else if (topic->is_array() && !topic->empty()) {
    for (const auto& t : *topic) {
      if (!t.is_string())
        invalid(where + "/topic", "topic must be a string or an array of strings");
      o.topics.push_back(t.get<std::string>());
    }
  } else {
    invalid(where + "/topic", "topic must be a string or a non-empty array of strings");
  }
  for (const auto& t : o.topics) {
    if (t.empty()) invalid(where + "/topic", "a topic name cannot be empty");
  }
  o.group_id = "reel-" + o.topics.front();
  auto config = stage.find("config");
  if (config == stage.end()) return o;
  const std::string at = where + "/config";
  if (!config->is_object()) invalid(at, "config must be an object");
  json rest = json::object();
  for (const auto& [key, value] : config->items()) {
    if (key == "group_id" || key == "group.id") {
      o.group_id = string_option(*config, key.c_str(), at);
    } else if (key == "auto_offset_reset" || key == "auto.offset.reset") {
      o.auto_offset_reset = string_option(*config, key.c_str(), at);
      static const std::vector<std::string> allowed = {"earliest", "latest",    "error", "smallest",
                                                       "largest",  "beginning", "end"};
      if (std::find(allowed.begin(), allowed.end(), o.auto_offset_reset) == allowed.end()) {
        invalid(at + "/" + key, "auto_offset_reset must be earliest, latest or error, not '" +
                                    o.auto_offset_reset + "'" +
                                    reel::detail::did_you_mean(o.auto_offset_reset, allowed));
      }
    } else if (key == "keyFormat") {
      o.key_format = parse_key_format(string_option(*config, "keyFormat", at), at + "/keyFormat");
    } else if (key == "keyFormatError") {
      const std::string e = string_option(*config, "keyFormatError", at);
      if (e != "dlq" && e != "passThrough") {
        invalid(at + "/keyFormatError",
                "keyFormatError must be dlq or passThrough, not '" + e + "'" +
                    reel::detail::did_you_mean(e, std::vector<std::string>{"dlq", "passThrough"}));
      }
      o.key_error_pass_through = e == "passThrough";
    } else if (key == "group_instance_id") {
      rest["group.instance.id"] = value;
    } else if (key == "enable.auto.commit" || key == "enable_auto_commit") {
      invalid(at + "/" + key,
              "Reel commits offsets itself, after the results are written (at-least-once)");
    } else {
      std::string property = key;
      std::replace(property.begin(), property.end(), '_', '.');
      rest[property] = value;
    }
  }
  o.consumer = config_map(rest, at);
  return o;
}

struct kafka_source::impl {
  struct part {
    std::string topic;
    std::int32_t number = 0;
    std::string name;
    bool assigned = false;
    bool resolved = false;                       ///< committed offset and metadata fetched
    std::int64_t next_offset = -1;               ///< after the last message delivered
    std::optional<std::int64_t> resume_closed;   ///< closedBefore of the committed metadata
    std::int64_t read_to = -1;                   ///< readTo of the committed metadata
    std::optional<std::int64_t> release_offset;  ///< the processor's last release
    std::int64_t release_closed = INT64_MIN;
    std::int64_t committed = -1;  ///< what this process committed last
    std::int64_t committed_closed = INT64_MIN;
  };

  source_options o;
  /// `limits::max_message_bytes`, set by the processor (`limit_message_bytes`).
  std::size_t max_message_bytes = max_document_bytes;
  detail::handle_ptr rk;
  std::vector<part> parts;
  std::map<std::pair<std::string, std::int32_t>, partition_id> ids;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> seek_to;
  std::vector<partition_id> unresolved;
  partition_changes changes;
  mutable std::mutex stats_mutex;
  statistics stats;
  bool transactional_commits = false;

  impl(properties client, source_options options) : o(std::move(options)) {
    properties p = std::move(client);
    p["group.id"] = o.group_id;
    p["enable.auto.commit"] = "false";
    p["enable.auto.offset.store"] = "false";
    p["auto.offset.reset"] = o.auto_offset_reset;
    p["partition.assignment.strategy"] = "cooperative-sticky";
    if (!p.count("client.id")) p["client.id"] = "reel";
    for (const auto& [k, v] : o.consumer)
      p[k] = v;
    detail::conf_ptr conf = detail::make_conf(p, o.where + "/config");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &impl::on_rebalance);
    rk = detail::make_handle(RD_KAFKA_CONSUMER, std::move(conf), o.where);
    rd_kafka_poll_set_consumer(rk.get());
    detail::partition_list_ptr topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(o.topics.size())));
    for (const auto& t : o.topics)
      rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk.get(), topics.get())) {
      throw_error("reel.kafka.subscribe_failed", o.where + "/topic",
                  "cannot subscribe: " + detail::describe(err));
    }
  }

  ~impl() {
    // Leaves the group: the final revocation commits the last released offsets.
    rd_kafka_consumer_close(rk.get());
  }

  partition_id id_of(const std::string& topic, std::int32_t number) {
    auto key = std::make_pair(topic, number);
    if (auto it = ids.find(key); it != ids.end()) return it->second;
    const auto id = static_cast<partition_id>(parts.size());
    part p;
    p.topic = topic;
    p.number = number;
    p.name = topic + "[" + std::to_string(number) + "]";
    parts.push_back(std::move(p));
    ids.emplace(std::move(key), id);
    return id;
  }

  void note_error(const std::string& message, bool commit_error = false) {
    std::lock_guard lock(stats_mutex);
    stats.last_error = message;
    if (commit_error) ++stats.commit_errors;
  }

  static void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* list, void* opaque) {
    static_cast<impl*>(opaque)->rebalance(err, list);
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
    {
      std::lock_guard lock(stats_mutex);
      ++stats.rebalances;
    }
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk.get()), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < list->cnt; ++i) {
        rd_kafka_topic_partition_t& tp = list->elems[i];
        const partition_id id = id_of(tp.topic, tp.partition);
        part& p = parts[id];
        p.assigned = true;
        p.resolved = false;
        p.next_offset = -1;
        p.resume_closed.reset();
        p.read_to = -1;
        p.release_offset.reset();
        p.committed = -1;
        if (auto it = seek_to.find({p.topic, p.number}); it != seek_to.end()) {
          tp.offset = it->second;
          p.next_offset = it->second;  // a position before any message: the next checkpoint's
          p.resolved = true;           // a checkpoint's position: its windows come with it
        } else {
          unresolved.push_back(id);
        }
        std::erase(changes.revoked, id);
        changes.assigned.emplace_back(id, p.name);
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk.get(), list)) {
          note_error(std::string("incremental assign failed: ") + rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk.get(), list)) {
        note_error("assign failed: " + detail::describe(e));
      }
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      std::vector<partition_id> revoked;
      for (int i = 0; i < list->cnt; ++i)
        revoked.push_back(id_of(list->elems[i].topic, list->elems[i].partition));
      commit_parts(revoked);
      for (partition_id id : revoked) {
        parts[id].assigned = false;
        std::erase_if(changes.assigned, [id](const auto& a) { return a.first == id; });
        std::erase(unresolved, id);
        changes.revoked.push_back(id);
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk.get(), list)) {
          note_error(std::string("incremental unassign failed: ") + rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk.get(), nullptr);
      }
      return;
    }
    note_error("rebalance failed: " + detail::describe(err));
    rd_kafka_assign(rk.get(), nullptr);
  }

  /// Fetches the committed offsets of newly assigned partitions, with the metadata a previous
  /// reader stored: how far its windows had closed, how far it had read.
  void resolve() {
    if (unresolved.empty()) return;
    detail::partition_list_ptr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(unresolved.size())));
    for (partition_id id : unresolved)
      rd_kafka_topic_partition_list_add(list.get(), parts[id].topic.c_str(), parts[id].number);
    unresolved.clear();
    if (rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), 10000)) {
      note_error("cannot read committed offsets: " + detail::describe(err));
      return;
    }
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      part& p = parts[id_of(tp.topic, tp.partition)];
      p.resolved = true;
      if (tp.offset < 0) continue;
      p.committed = tp.offset;
      if (tp.metadata == nullptr || tp.metadata_size == 0) continue;
      const json meta =
          json::parse(static_cast<const char*>(tp.metadata),
                      static_cast<const char*>(tp.metadata) + tp.metadata_size, nullptr, false);
      if (!meta.is_object()) continue;  // committed by another program
      if (auto c = meta.find("closedBefore"); c != meta.end() && c->is_number_integer()) {
        p.resume_closed = c->get<std::int64_t>();
        p.committed_closed = *p.resume_closed;
      }
      if (auto r = meta.find("readTo"); r != meta.end() && r->is_number_integer()) {
        p.read_to = r->get<std::int64_t>();
      }
    }
  }

  void convert(const rd_kafka_message_t& m, std::vector<source_message>& out) {
    const partition_id id = id_of(rd_kafka_topic_name(m.rkt), m.partition);
    part& p = parts[id];
    source_message s;
    s.partition = id;
    s.position = m.offset;
    if (m.payload != nullptr) {
      // An oversized value is not copied: its DLQ record keeps the first bytes.
      const bool too_large = max_message_bytes > 0 && m.len > max_message_bytes;
      if (too_large) s.error = message_too_large_reason(m.len, max_message_bytes);
      s.payload.assign(static_cast<const char*>(m.payload),
                       too_large ? oversized_payload_prefix_bytes : m.len);
    }
    rd_kafka_timestamp_type_t ts_type;
    const std::int64_t ts = rd_kafka_message_timestamp(&m, &ts_type);
    if (ts >= 0) s.record_time = from_millis(ts);
    json meta = {
        {"type", "kafka"}, {"topic", p.topic}, {"partition", p.number}, {"offset", m.offset}};
    if (m.key != nullptr) {
      const auto* bytes = static_cast<const std::uint8_t*>(m.key);
      std::optional<json> key = decode_key(bytes, m.key_len, o.key_format);
      if (!key) {
        if (!o.key_error_pass_through) {
          s.error =
              std::string("the key does not decode as keyFormat ") + key_format_name(o.key_format);
        }
        key = decode_key(bytes, m.key_len, key_format::bin_data);
      }
      meta["key"] = std::move(*key);
    } else {
      meta["key"] = nullptr;
    }
    json headers = json::array();
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      std::size_t size;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        headers.push_back({{"k", name},
                           {"v", reel::json::make_binary(static_cast<const std::uint8_t*>(value),
                                                         value ? size : 0)}});
      }
    }
    meta["headers"] = std::move(headers);
    meta["ts"] = ts >= 0 ? reel::json::make_date(from_millis(ts)) : json(nullptr);
    s.metadata = std::move(meta);
    if (m.payload == nullptr && s.error.empty()) s.error = "the message has no value (a tombstone)";
    if (p.resume_closed) {
      s.closed_before = from_millis(*p.resume_closed);
      s.redelivered = m.offset < p.read_to;
      if (s.redelivered) {
        std::lock_guard lock(stats_mutex);
        ++stats.redelivered;
      }
    }
    p.next_offset = m.offset + 1;
    out.push_back(std::move(s));
  }

  reel::poll_status poll(std::vector<source_message>& out, std::size_t max) {
    std::size_t delivered = 0;
    int timeout = static_cast<int>(o.poll_timeout.count());
    while (delivered < max) {
      detail::message_ptr m(rd_kafka_consumer_poll(rk.get(), timeout));
      resolve();  // partitions assigned during this poll
      if (!m) break;
      timeout = 0;
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
          char reason[512];
          const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk.get(), reason, sizeof reason);
          throw_error("reel.kafka.fatal", o.where,
                      "fatal consumer error: " + detail::describe(fatal) + ": " + reason);
        }
        note_error(detail::describe(m->err) + ": " + rd_kafka_message_errstr(m.get()));
        continue;
      }
      convert(*m, out);
      ++delivered;
    }
    {
      std::lock_guard lock(stats_mutex);
      stats.messages += delivered;
    }
    return delivered ? reel::poll_status::ready : reel::poll_status::idle;
  }

  /// Commits the last released offsets of `ids` (synchronously), with the metadata a resuming
  /// reader needs.
  void commit_parts(const std::vector<partition_id>& which) {
    detail::partition_list_ptr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(which.size())));
    std::vector<partition_id> sent;
    for (partition_id id : which) {
      part& p = parts[id];
      if (!p.assigned || !p.release_offset) continue;
      const std::int64_t offset = *p.release_offset;
      if (offset < 0 || (offset == p.committed && p.release_closed == p.committed_closed)) continue;
      json meta = {
          {"closedBefore", p.release_closed == INT64_MIN ? json(nullptr) : json(p.release_closed)},
          {"readTo", std::max(p.next_offset, p.read_to)}};
      rd_kafka_topic_partition_t* tp =
          rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.number);
      tp->offset = offset;
      const std::string text = meta.dump();
      tp->metadata = std::malloc(text.size());
      if (tp->metadata != nullptr) {
        std::memcpy(tp->metadata, text.data(), text.size());
        tp->metadata_size = text.size();
      }
      sent.push_back(id);
    }
    if (sent.empty()) return;
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk.get(), list.get(), 0);
    {
      std::lock_guard lock(stats_mutex);
      ++stats.commits;
    }
    if (err) {
      note_error("offset commit failed: " + detail::describe(err), true);
      return;
    }
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      part& p = parts[id_of(tp.topic, tp.partition)];
      if (tp.err) {
        note_error("offset commit of " + p.name + " failed: " + detail::describe(tp.err), true);
        continue;
      }
      p.committed = tp.offset;
      p.committed_closed = p.release_closed;
    }
  }

  void commit(const std::vector<partition_release>& released) {
    if (transactional_commits) return;  // the sink's transactions commit the offsets
    std::vector<partition_id> which;
    for (const auto& r : released) {
      if (r.partition >= parts.size()) continue;
      part& p = parts[r.partition];
      if (!p.assigned) continue;
      if (r.first_needed.is_number_integer()) {
        p.release_offset = r.first_needed.get<std::int64_t>();
      } else if (p.next_offset >= 0) {
        p.release_offset = p.next_offset;
      } else {
        continue;  // nothing delivered yet
      }
      // A resumed partition keeps the previous reader's bound until its own windows pass it.
      const std::int64_t closed =
          r.closed_before == min_timestamp ? INT64_MIN : to_millis(r.closed_before);
      p.release_closed = std::max(closed, p.resume_closed.value_or(INT64_MIN));
      which.push_back(r.partition);
    }
    commit_parts(which);
  }
};

void kafka_source::limit_message_bytes(std::size_t max_bytes) {
  impl_->max_message_bytes = max_bytes;
}

const std::string& kafka_source::group_id() const noexcept {
  return impl_->o.group_id;
}

void kafka_source::commit_in_transactions() noexcept {
  impl_->transactional_commits = true;
}

kafka_source::kafka_source(properties client, source_options options)
    : impl_(std::make_unique<impl>(std::move(client), std::move(options))) {}

kafka_source::~kafka_source() = default;

reel::poll_status kafka_source::poll(std::vector<source_message>& out, std::size_t max) {
  return impl_->poll(out, max);
}

std::vector<std::string> kafka_source::partitions() const {
  std::vector<std::string> names;
  for (const auto& p : impl_->parts)
    names.push_back(p.name);
  return names;
}

nlohmann::ordered_json kafka_source::positions() const {
  json out = json::object();
  for (const auto& p : impl_->parts) {
    if (p.assigned && p.next_offset >= 0) out[p.topic][std::to_string(p.number)] = p.next_offset;
  }
  return out;
}

void kafka_source::seek(const nlohmann::ordered_json& positions) {
  if (!positions.is_object()) return;
  detail::partition_list_ptr now(rd_kafka_topic_partition_list_new(0));
  for (const auto& [topic, partitions] : positions.items()) {
    if (!partitions.is_object()) continue;
    for (const auto& [number, offset] : partitions.items()) {
      if (!offset.is_number_integer()) continue;
      const auto n = static_cast<std::int32_t>(std::strtol(number.c_str(), nullptr, 10));
      impl_->seek_to[{topic, n}] = offset.get<std::int64_t>();
      auto it = impl_->ids.find({topic, n});
      if (it != impl_->ids.end() && impl_->parts[it->second].assigned) {
        rd_kafka_topic_partition_list_add(now.get(), topic.c_str(), n)->offset =
            offset.get<std::int64_t>();
        impl_->parts[it->second].next_offset = offset.get<std::int64_t>();
      }
    }
  }
  if (now->cnt > 0) {
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(impl_->rk.get(), now.get(), 10000)) {
      impl_->note_error(std::string("seek failed: ") + rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  }
}

partition_changes kafka_source::take_partition_changes() {
  return std::exchange(impl_->changes, {});
}

void kafka_source::commit(const std::vector<partition_release>& released) {
  impl_->commit(released);
}

kafka_source::statistics kafka_source::stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  return impl_->stats;
}

nlohmann::ordered_json kafka_source::metrics() const {
  const statistics st = stats();
  json m = {{"messages", st.messages},
            {"redelivered", st.redelivered},
            {"commits", st.commits},
            {"commitErrors", st.commit_errors},
            {"rebalances", st.rebalances}};
  if (!st.last_error.empty()) m["lastError"] = st.last_error;
  return m;
}

}  // namespace reel::kafka
