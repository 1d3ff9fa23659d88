// SPDX-License-Identifier: Apache-2.0
// The Kafka $emit sink: topic/key/headers/tombstone per document, asynchronous idempotent
// production, delivery reports turned into rejections.
#include "reel/kafka/sink.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "handle.hh"
#include "reel/connector/registry.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"
#include "reel/kafka/source.hpp"

namespace reel::kafka {

namespace {

using json = nlohmann::ordered_json;

[[noreturn]] void invalid(const std::string& where, const std::string& message) {
  throw_error("reel.pipeline.invalid_option", where, message);
}

/// Why `t` is not a valid Kafka topic name (Kafka's rules), or empty.
std::optional<std::string> bad_topic(std::string_view t) {
  if (t.empty()) return "it is empty";
  if (t.size() > 249) return "it is longer than 249 characters";
  if (t == "." || t == "..") return "it is '.' or '..'";
  for (char c : t) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        return std::string("it contains a character other than a-z, A-Z, 0-9, '.', '_' and '-'");
      }
      return std::string("it contains '") + c +
             "' (only a-z, A-Z, 0-9, '.', '_' and '-' are allowed)";
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& compression_names() {
  static const std::vector<std::string> names = {"none", "gzip", "snappy", "lz4", "zstd"};
  return names;
}

/// `v` as a big-endian two's complement integer of `bytes` bytes.
std::string big_endian(std::int64_t v, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  auto u = static_cast<std::uint64_t>(v);
  for (int i = bytes - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xFF);
    u >>= 8;
  }
  return out;
}

/// The integer in `v` (an integer, or a double or decimal with an integral value) when it lies
/// in [lo, hi].
std::optional<std::int64_t> integer_in(const json& v, std::int64_t lo, std::int64_t hi) {
  auto n = reel::json::as_numeric(v);
  if (!n) return std::nullopt;
  if (n->integral()) {
    if (n->i < lo || n->i > hi) return std::nullopt;
    return n->i;
  }
  const double d = n->d;
  // 2^63 is exactly representable; every double below it and at least -2^63 converts.
  if (!std::isfinite(d) || std::trunc(d) != d || d < -9223372036854775808.0 ||
      d >= 9223372036854775808.0) {
    return std::nullopt;
  }
  const auto i = static_cast<std::int64_t>(d);
  if (i < lo || i > hi) return std::nullopt;
  return i;
}

bool absent(const json& v) {
  return v.is_null() || reel::json::is_missing(v);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

emit_options parse_emit_stage(const json& stage, const std::string& where) {
  if (!stage.is_object()) invalid(where, "$emit to Kafka takes {connectionName, topic, config}");
  static const std::vector<std::string> keys = {"connectionName", "topic", "config",
                                                "schemaRegistry"};
  for (const auto& [key, value] : stage.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      invalid(json_pointer_append(where, key), "unknown option '" + key + "' of $emit to Kafka" +
                                                   reel::detail::did_you_mean(key, keys));
    }
  }
  if (stage.contains("schemaRegistry")) {
    invalid(where + "/schemaRegistry",
            "schemaRegistry (Avro serialization) is not supported: messages are written as JSON");
  }
  emit_options o;
  o.where = where;

  auto topic = stage.find("topic");
  if (topic == stage.end()) {
    invalid(where, "$emit to Kafka requires a topic (a string or an expression)");
  }
  if (topic->is_string()) {
    const std::string& t = topic->get_ref<const std::string&>();
    if (t.empty() || t[0] != '$') {
      if (auto bad = bad_topic(t)) {
        invalid(where + "/topic", "'" + t + "' is not a valid Kafka topic name: " + *bad);
      }
    }
  } else if (!topic->is_object()) {
    invalid(where + "/topic", "topic must be a string or an expression");
  }
  o.topic = *topic;
  (void)reel::json::compile_expression(o.topic, where + "/topic");

  auto config = stage.find("config");
  if (config == stage.end()) return o;
  const std::string at = where + "/config";
  if (!config->is_object()) invalid(at, "config must be an object");
  static const std::vector<std::string> config_keys = {"key",
                                                       "keyFormat",
                                                       "headers",
                                                       "acks",
                                                       "compression_type",
                                                       "outputFormat",
                                                       "dateFormat",
                                                       "tombstoneWhen",
                                                       "deliveryGuarantee",
                                                       "transactionalId"};
  for (const auto& [key, value] : config->items()) {
    if (std::find(config_keys.begin(), config_keys.end(), key) == config_keys.end()) {
      invalid(json_pointer_append(at, key), "unknown option '" + key + "' of $emit.config" +
                                                reel::detail::did_you_mean(key, config_keys));
    }
  }

  if (auto it = config->find("key"); it != config->end()) {
    if (it->is_null()) invalid(at + "/key", "key must be an expression (a field path, ...)");
    o.key = *it;
    (void)reel::json::compile_expression(o.key, at + "/key");
  }
  if (auto it = config->find("keyFormat"); it != config->end()) {
    if (o.key.is_null())
      invalid(at + "/keyFormat", "keyFormat needs a key expression (config.key)");
    const std::string s = it->is_string() ? it->get<std::string>() : it->dump();
    o.key_format = parse_key_format(s, at + "/keyFormat");
  }
  if (auto it = config->find("headers"); it != config->end()) {
    if (!it->is_string() && !it->is_object() && !it->is_array()) {
      invalid(at + "/headers",
              "headers must be an expression giving an object or an array of {k, v}");
    }
    o.headers = *it;
    (void)reel::json::compile_expression(o.headers, at + "/headers");
  }
  if (auto it = config->find("tombstoneWhen"); it != config->end()) {
    if (it->is_null()) invalid(at + "/tombstoneWhen", "tombstoneWhen must be an expression");
    o.tombstone_when = *it;
    (void)reel::json::compile_expression(o.tombstone_when, at + "/tombstoneWhen");
  }
  if (auto it = config->find("acks"); it != config->end()) {
    std::string s;
    if (it->is_number_integer()) {
      s = std::to_string(it->get<std::int64_t>());
    } else if (it->is_string()) {
      s = it->get<std::string>();
    }
    if (s != "all" && s != "-1" && s != "0" && s != "1") {
      invalid(at + "/acks", "acks must be -1, 0, 1 or \"all\", not " + it->dump());
    }
    o.acks = s;
  }
  if (auto it = config->find("compression_type"); it != config->end()) {
    const std::string s = it->is_string() ? it->get<std::string>() : it->dump();
    const auto& names = compression_names();
    if (std::find(names.begin(), names.end(), s) == names.end()) {
      invalid(at + "/compression_type", "unknown compression_type '" + s + "'" +
                                            reel::detail::did_you_mean(s, names) +
                                            "; use none, gzip, snappy, lz4 or zstd");
    }
    o.compression_type = s;
  }
  if (auto it = config->find("outputFormat"); it != config->end()) {
    auto f = it->is_string() ? parse_output_format(it->get<std::string>()) : std::nullopt;
    if (!f) {
      const std::string s = it->is_string() ? it->get<std::string>() : it->dump();
      static const std::vector<std::string> names = {"relaxedJson", "canonicalJson", "basicJson"};
      invalid(at + "/outputFormat", "unknown outputFormat '" + s + "'" +
                                        reel::detail::did_you_mean(s, names) +
                                        "; use relaxedJson, canonicalJson or basicJson");
    }
    o.format = *f;
  }
  if (auto it = config->find("dateFormat"); it != config->end()) {
    if (!it->is_string() || (*it != "default" && *it != "ISO8601")) {
      invalid(at + "/dateFormat",
              "dateFormat must be \"default\" or \"ISO8601\", not " + it->dump());
    }
    o.iso8601_dates = *it == "ISO8601";
  }
  if (auto it = config->find("deliveryGuarantee"); it != config->end()) {
    static const std::vector<std::string> names = {"atLeastOnce", "exactlyOnce"};
    const std::string s = it->is_string() ? it->get<std::string>() : it->dump();
    if (s != "atLeastOnce" && s != "exactlyOnce") {
      invalid(at + "/deliveryGuarantee",
              "deliveryGuarantee must be \"atLeastOnce\" or "
              "\"exactlyOnce\", not '" +
                  s + "'" + reel::detail::did_you_mean(s, names));
    }
    o.delivery =
        s == "exactlyOnce" ? delivery_guarantee::exactly_once : delivery_guarantee::at_least_once;
  }
  if (auto it = config->find("transactionalId"); it != config->end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      invalid(at + "/transactionalId", "transactionalId must be a non-empty string");
    }
    if (o.delivery != delivery_guarantee::exactly_once) {
      invalid(at + "/transactionalId",
              "transactionalId goes with \"deliveryGuarantee\": \"exactlyOnce\"");
    }
    o.transactional_id = it->get<std::string>();
  }
  if (o.delivery == delivery_guarantee::exactly_once && o.acks && *o.acks != "all" &&
      *o.acks != "-1") {
    invalid(at + "/acks",
            "exactly-once delivery needs acks \"all\" (transactions need the "
            "idempotent producer), not " +
                *o.acks);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------

struct kafka_sink::impl {
  /// A document handed to librdkafka and not yet reported.
  struct pending {
    json doc;
    std::uint64_t call = 0;
    std::size_t index = 0;
  };
  struct report {
    std::uint64_t id = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  };
  /// What one document becomes.
  struct message {
    std::string topic;
    std::optional<std::string> key;
    std::optional<std::string> value;  // empty: a tombstone
    detail::headers_ptr headers;
  };

  emit_options o;
  reel::json::expression topic_expr, key_expr, headers_expr, tombstone_expr;
  std::unordered_map<std::uint64_t, pending> outstanding;
  std::deque<report> reports;  // filled by the delivery report callback, served in C++
  std::uint64_t next_id = 1;
  rejection_handler handler;
  std::vector<std::pair<json, std::string>> unreported;
  statistics stats;
  std::uint64_t calls = 0;
  std::uint64_t current_call = 0;
  write_result* current_result = nullptr;
  std::string last_error;  // the latest error event (connection refused, ...)
  bool closing = false;
  // Exactly-once.
  properties client_props;    // the connection's, to read the group's committed offsets
  properties producer_props;  // the producer's, before transactional.id is known
  std::string transactional_id;
  std::string group;  // the source's consumer group
  std::string run;    // identifies the checkpoints of one state, in offset metadata
  bool in_transaction = false;
  std::uint64_t transaction_messages = 0;  // produced in the open transaction
  std::uint64_t checkpoint_version = 0;    // of prepare_checkpoint()
  json checkpoint_positions;
  // Declared last so it is destroyed first, while everything its callbacks touch still exists.
  detail::handle_ptr rk;

  [[nodiscard]] bool exactly_once() const { return o.delivery == delivery_guarantee::exactly_once; }

  impl(properties client, emit_options options) : o(std::move(options)) {
    if (o.topic.is_null()) invalid(o.where + "/topic", "$emit to Kafka requires a topic");
    topic_expr = reel::json::compile_expression(o.topic, o.where + "/topic");
    if (!o.key.is_null()) key_expr = reel::json::compile_expression(o.key, o.where + "/config/key");
    if (!o.headers.is_null()) {
      headers_expr = reel::json::compile_expression(o.headers, o.where + "/config/headers");
    }
    if (!o.tombstone_when.is_null()) {
      tombstone_expr =
          reel::json::compile_expression(o.tombstone_when, o.where + "/config/tombstoneWhen");
    }
    if (!o.clock) o.clock = &reel::system_clock::instance();

    client_props = client;
    properties p = std::move(client);
    p.try_emplace("client.id", "reel");
    if (o.acks) p["acks"] = *o.acks;
    if (o.compression_type) p["compression.type"] = *o.compression_type;
    // Idempotence keeps each partition's order across retries; it needs acks=all, so acks 0
    // and 1 turn it off unless the connection asks for it (and librdkafka then refuses).
    const bool weak_acks = p.count("acks") != 0 && (p["acks"] == "0" || p["acks"] == "1");
    p.try_emplace("enable.idempotence", weak_acks ? "false" : "true");
    for (const auto& [k, v] : o.producer)
      p[k] = v;
    if (exactly_once()) {
      // The transactional producer is made by attach(), once the processor's name is known.
      (void)detail::make_conf(p, o.where);  // bad properties are refused now
      producer_props = std::move(p);
      return;
    }
    make_producer(p);
  }

  void make_producer(const properties& p) {
    detail::conf_ptr conf = detail::make_conf(p, o.where);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &impl::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &impl::on_error);
    rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(conf), o.where);
  }

  // --- exactly-once ----------------------------------------------------------------------------

  [[noreturn]] void refuse(const char* id, const std::string& message) const {
    throw_error(id, o.where + "/config/deliveryGuarantee", message);
  }

  void attach(const sink_context& context) {
    if (!exactly_once() || rk) return;
    if (!context.checkpoints) {
      refuse("reel.kafka.exactly_once_needs_checkpoints",
             "exactly-once delivery commits the output with each checkpoint: run the processor "
             "with a checkpoint store (reel run --state DIR, or "
             "stream_processor_options::checkpoint)");
    }
    auto* source = dynamic_cast<kafka_source*>(reel::detail::unwrapped(context.source));
    if (source == nullptr) {
      refuse("reel.kafka.exactly_once_needs_kafka_source",
             "exactly-once delivery commits the output together with the offsets of a Kafka "
             "$source; this pipeline reads from " +
                 (context.source ? "a " + context.source->type() + " source"
                                 : std::string("no source")));
    }
    group = source->group_id();
    transactional_id =
        o.transactional_id.empty() ? "reel-" + context.processor_name : o.transactional_id;
    properties p = producer_props;
    p["transactional.id"] = transactional_id;
    make_producer(p);
    // Fences a previous producer with this id and aborts (or completes) its open transaction.
    transaction_call(rd_kafka_init_transactions(rk.get(), timeout_ms()), "init_transactions");
    source->commit_in_transactions();
  }

  [[nodiscard]] int timeout_ms() const { return static_cast<int>(o.transaction_timeout.count()); }

  /// Throws for a failed transaction call: `reel.kafka.fatal` (fenced by a newer producer with
  /// the same id, ...), `reel.kafka.transaction_aborted` (the transaction is aborted here), or
  /// `reel.kafka.transaction_failed`.
  void transaction_call(rd_kafka_error_t* error, const char* call) {
    if (error == nullptr) return;
    const std::string text =
        std::string(rd_kafka_error_string(error)) + " (" + rd_kafka_error_name(error) + ")";
    const bool fatal = rd_kafka_error_is_fatal(error) != 0;
    const bool abort = rd_kafka_error_txn_requires_abort(error) != 0;
    rd_kafka_error_destroy(error);
    if (fatal) {
      in_transaction = false;
      throw_error("reel.kafka.fatal", o.where,
                  "the transactional Kafka producer '" + transactional_id +
                      "' failed and cannot continue (" + call + "): " + text);
    }
    if (abort) {
      abort_transaction();
      throw_error("reel.kafka.transaction_aborted", o.where,
                  std::string("the Kafka transaction failed (") + call +
                      ") and was aborted: " + text +
                      "; the processor stops, and a restart resumes from the last checkpoint");
    }
    throw_error("reel.kafka.transaction_failed", o.where,
                std::string("Kafka transaction call ") + call + " failed: " + text);
  }

  void abort_transaction() noexcept {
    if (!rk || !in_transaction) return;
    in_transaction = false;
    ++stats.aborted;
    if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk.get(), timeout_ms())) {
      rd_kafka_error_destroy(e);  // the next init_transactions aborts it
    }
    rd_kafka_poll(rk.get(), 0);
    serve_reports();
  }

  void begin_transaction() {
    transaction_call(rd_kafka_begin_transaction(rk.get()), "begin_transaction");
    in_transaction = true;
    transaction_messages = 0;
  }

  void require_transaction() const {
    if (!rk) {
      refuse("reel.kafka.exactly_once_needs_checkpoints",
             "an exactly-once Kafka sink writes only inside a processor with a checkpoint store");
    }
  }

  void start(const json& resume_point) {
    if (!exactly_once()) return;
    require_transaction();
    if (resume_point.is_object()) run = resume_point.value("run", "");
    if (run.empty()) {
      std::random_device random;
      run = fmt::format("{:08x}{:08x}", random(), random());
    }
    if (!in_transaction) begin_transaction();
  }

  json commit_point() {
    if (!exactly_once()) return nullptr;
    require_transaction();
    flush();
    json offsets = json::object();
    detail::partition_list_ptr list(rd_kafka_topic_partition_list_new(0));
    const std::string metadata =
        json{{"reelRun", run}, {"reelCheckpoint", checkpoint_version}}.dump();
    if (checkpoint_positions.is_object()) {
      for (const auto& [topic, partitions] : checkpoint_positions.items()) {
        if (!partitions.is_object()) continue;
        for (const auto& [number, offset] : partitions.items()) {
          if (!offset.is_number_integer()) continue;
          rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(
              list.get(), topic.c_str(), static_cast<std::int32_t>(std::stol(number)));
          tp->offset = offset.get<std::int64_t>();
          tp->metadata = std::malloc(metadata.size());
          if (tp->metadata != nullptr) {
            std::memcpy(tp->metadata, metadata.data(), metadata.size());
            tp->metadata_size = metadata.size();
          }
          offsets[topic][number] = offset;
        }
      }
    }
    if (list->cnt > 0) {
      rd_kafka_consumer_group_metadata_t* group_metadata =
          rd_kafka_consumer_group_metadata_new(group.c_str());
      rd_kafka_error_t* e =
          rd_kafka_send_offsets_to_transaction(rk.get(), list.get(), group_metadata, timeout_ms());
      rd_kafka_consumer_group_metadata_destroy(group_metadata);
      transaction_call(e, "send_offsets_to_transaction");
    }
    return {
        {"transactionalId", transactional_id}, {"run", run},     {"checkpoint", checkpoint_version},
        {"messages", transaction_messages},    {"group", group}, {"offsets", std::move(offsets)}};
  }

  void checkpoint_stored() {
    if (!exactly_once()) return;
    require_transaction();
    for (int attempt = 0;; ++attempt) {
      rd_kafka_error_t* e = rd_kafka_commit_transaction(rk.get(), timeout_ms());
      if (e != nullptr && rd_kafka_error_is_retriable(e) && attempt < 3) {
        rd_kafka_error_destroy(e);
        continue;
      }
      transaction_call(e, "commit_transaction");
      break;
    }
    in_transaction = false;
    ++stats.transactions;
    serve_reports();
    begin_transaction();
  }

  /// The newest checkpoint whose transaction committed offsets of `commit_point`'s partitions
  /// for this run, as the consumer group's committed offsets say (0: none).
  std::uint64_t committed_checkpoint(const json& commit_point) {
    properties p = client_props;
    p["group.id"] = commit_point.value("group", group);
    p["enable.auto.commit"] = "false";
    p["isolation.level"] = "read_committed";  // waits for offsets of pending transactions
    detail::conf_ptr conf = detail::make_conf(p, o.where);
    detail::handle_ptr consumer = detail::make_handle(RD_KAFKA_CONSUMER, std::move(conf), o.where);
    detail::partition_list_ptr list(rd_kafka_topic_partition_list_new(0));
    for (const auto& [topic, partitions] : commit_point["offsets"].items()) {
      for (const auto& [number, offset] : partitions.items()) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(),
                                          static_cast<std::int32_t>(std::stol(number)));
      }
    }
    if (rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), list.get(), timeout_ms())) {
      throw_error(
          "reel.kafka.offsets_unavailable", o.where,
          "cannot read the committed offsets of consumer group '" + p["group.id"] +
              "' to find which checkpoint's transaction committed: " + detail::describe(err));
    }
    const std::string this_run = commit_point.value("run", "");
    std::uint64_t newest = 0;
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      if (tp.offset < 0 || tp.metadata == nullptr || tp.metadata_size == 0) continue;
      const json meta =
          json::parse(static_cast<const char*>(tp.metadata),
                      static_cast<const char*>(tp.metadata) + tp.metadata_size, nullptr, false);
      if (!meta.is_object() || meta.value("reelRun", "") != this_run) continue;
      if (auto c = meta.find("reelCheckpoint"); c != meta.end() && c->is_number_unsigned()) {
        newest = std::max(newest, c->get<std::uint64_t>());
      }
    }
    consumer.reset();  // closes without joining: it never subscribed
    return newest;
  }

  bool output_committed(const json& commit_point) {
    if (!exactly_once() || !commit_point.is_object()) return true;
    const std::uint64_t version = commit_point.value("checkpoint", std::uint64_t{0});
    const bool empty = commit_point.value("messages", std::uint64_t{0}) == 0;
    const auto offsets = commit_point.find("offsets");
    if (offsets == commit_point.end() || !offsets->is_object() || offsets->empty()) return empty;
    const std::uint64_t committed = committed_checkpoint(commit_point);
    if (committed > version) {
      // The newer checkpoint whose transaction committed is damaged or gone from the store.
      throw_error("reel.kafka.checkpoint_behind_output", o.where,
                  fmt::format("consumer group '{}' holds offsets committed with checkpoint {}, "
                              "newer than checkpoint {} being restored (the newer one is damaged "
                              "or gone): resuming from it would write that output again",
                              commit_point.value("group", group), committed, version));
    }
    // A transaction without messages: restoring its checkpoint duplicates and loses nothing.
    return empty || committed == version;
  }

  // --- librdkafka callbacks (they only record: C++ work happens after the poll returns) --------

  static void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) noexcept {
    auto* self = static_cast<impl*>(opaque);
    self->reports.push_back({reinterpret_cast<std::uintptr_t>(m->_private), m->err});
  }
  static void on_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) noexcept {
    auto* self = static_cast<impl*>(opaque);
    try {
      self->last_error = std::string(reason ? reason : "") + " (" +
                         rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ")";
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory, keep the previous one
    }
  }

  // --- reporting -------------------------------------------------------------------------------

  void reject(std::uint64_t call, std::size_t index, const json& doc, std::string reason) {
    ++stats.rejected;
    if (call == current_call && current_result) {
      current_result->rejected.emplace_back(index, std::move(reason));
    } else if (closing) {
      // The destructor: the handler's owner may be half destroyed.
    } else if (handler) {
      handler(doc, reason);
    } else {
      unreported.emplace_back(doc, std::move(reason));
    }
  }

  /// Turns the delivery reports received so far into counts and rejections.
  void serve_reports() {
    while (!reports.empty()) {
      const report r = reports.front();
      reports.pop_front();
      auto it = outstanding.find(r.id);
      if (it == outstanding.end()) continue;
      pending p = std::move(it->second);
      outstanding.erase(it);
      if (r.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++stats.delivered;
      } else if (r.err == RD_KAFKA_RESP_ERR__FATAL || r.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
                 r.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        ++stats.lost;  // not the document's fault: the caller sees the fatal error
      } else {
        reject(p.call, p.index, p.doc, detail::describe(r.err));
      }
    }
  }

  void check_fatal() {
    char text[512] = {0};
    const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk.get(), text, sizeof text);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw_error("reel.kafka.fatal", o.where,
                  std::string("the Kafka producer failed and cannot continue: ") + text + " (" +
                      rd_kafka_err2name(err) + ")");
    }
  }

  void poll(int timeout_ms) {
    if (!rk) return;  // exactly-once, not attached yet
    rd_kafka_poll(rk.get(), timeout_ms);
    serve_reports();
    check_fatal();
  }

  // --- building messages -----------------------------------------------------------------------

  std::string text_of(const json& v) const {
    if (o.iso8601_dates) {
      json copy = v;
      reel::json::detail::dates_to_iso8601(copy);
      return format_document(copy, o.format);
    }
    return format_document(v, o.format);
  }

  /// Evaluates `e`; on failure sets `reason` ("Failed to evaluate the Kafka <what>: ...").
  static std::optional<json> evaluate(const reel::json::expression& e, const json& doc,
                                      const reel::json::eval_context& ctx, const char* what,
                                      std::string& reason) {
    try {
      return e.evaluate(doc, ctx);
    } catch (const reel::error& err) {
      reason = std::string("Failed to evaluate the Kafka ") + what + ": " + err.message();
    } catch (const std::exception& err) {
      reason = std::string("Failed to evaluate the Kafka ") + what + ": " + err.what();
    }
    return std::nullopt;
  }

  bool key_of(const json& v, std::string& out, std::string& reason) const {
    const auto fail = [&](const std::string& expected) {
      reason = std::string("The Kafka key must be ") + expected + " for keyFormat '" +
               key_format_name(o.key_format) + "', but it evaluated to " + reel::json::type_name(v);
      if (reel::json::is_number(v)) reason += " " + v.dump();
      return false;
    };
    switch (o.key_format) {
      case key_format::bin_data:
        if (reel::json::type_of(v) != reel::json::bson_type::bin_data) return fail("binData");
        {
          const auto b = reel::json::detail::binary_of(v);
          out.assign(b.bytes.begin(), b.bytes.end());
        }
        return true;
      case key_format::string:
        if (!v.is_string()) return fail("a string");
        out = v.get<std::string>();
        return true;
      case key_format::json:
        out = text_of(v);
        return true;
      case key_format::int32: {
        auto i = integer_in(v, INT32_MIN, INT32_MAX);
        if (!i) return fail("an integer that fits in 32 bits");
        out = big_endian(*i, 4);
        return true;
      }
      case key_format::int64: {
        auto i = integer_in(v, INT64_MIN, INT64_MAX);
        if (!i) return fail("an integer that fits in 64 bits");
        out = big_endian(*i, 8);
        return true;
      }
    }
    return false;
  }

  std::string header_value(const json& v) const {
    if (v.is_string()) return v.get<std::string>();
    if (absent(v)) return {};
    if (reel::json::type_of(v) == reel::json::bson_type::bin_data) {
      const auto b = reel::json::detail::binary_of(v);
      return {b.bytes.begin(), b.bytes.end()};
    }
    return text_of(v);
  }

  bool headers_of(const json& v, detail::headers_ptr& out, std::string& reason) const {
    if (absent(v)) return true;
    if (v.is_object() && reel::json::type_of(v) == reel::json::bson_type::object) {
      out.reset(rd_kafka_headers_new(v.size()));
      for (const auto& [name, value] : v.items()) {
        const std::string bytes = header_value(value);
        rd_kafka_header_add(out.get(), name.data(), static_cast<ssize_t>(name.size()), bytes.data(),
                            static_cast<ssize_t>(bytes.size()));
      }
      return true;
    }
    if (v.is_array()) {
      out.reset(rd_kafka_headers_new(v.size()));
      for (std::size_t i = 0; i < v.size(); ++i) {
        const json& h = v[i];
        auto k = h.is_object() ? h.find("k") : h.end();
        if (!h.is_object() || k == h.end() || !k->is_string()) {
          reason = "Kafka header " + std::to_string(i) +
                   " must be an object {k: <name>, v: <value>} with a string k, but it is " +
                   h.dump();
          return false;
        }
        const std::string& name = k->get_ref<const std::string&>();
        auto value = h.find("v");
        const std::string bytes = value == h.end() ? std::string() : header_value(*value);
        rd_kafka_header_add(out.get(), name.data(), static_cast<ssize_t>(name.size()), bytes.data(),
                            static_cast<ssize_t>(bytes.size()));
      }
      return true;
    }
    reason =
        "The Kafka headers must evaluate to an object or an array of {k, v}, but they "
        "evaluated to " +
        reel::json::type_name(v);
    return false;
  }

  /// Everything but producing; false (and `reason`) when the document is rejected.
  bool prepare(const json& doc, message& m, std::string& reason) const {
    if (!doc.is_object()) {
      reason = "$emit to Kafka writes documents (objects) only";
      return false;
    }
    reel::json::eval_context ctx;
    if (auto meta = doc.find("_stream_meta"); meta != doc.end() && meta->is_object()) {
      ctx.meta = &*meta;
    }
    auto topic = evaluate(topic_expr, doc, ctx, "topic", reason);
    if (!topic) return false;
    if (!topic->is_string()) {
      reason = "The Kafka topic must evaluate to a string, but it evaluated to " +
               reel::json::type_name(*topic);
      return false;
    }
    m.topic = topic->get<std::string>();
    if (auto bad = bad_topic(m.topic)) {
      reason = "The Kafka topic '" + m.topic + "' is not a valid topic name: " + *bad;
      return false;
    }
    if (!o.key.is_null()) {
      auto key = evaluate(key_expr, doc, ctx, "key", reason);
      if (!key) return false;
      if (!absent(*key)) {
        std::string bytes;
        if (!key_of(*key, bytes, reason)) return false;
        m.key = std::move(bytes);
      }
    }
    if (!o.headers.is_null()) {
      auto headers = evaluate(headers_expr, doc, ctx, "headers", reason);
      if (!headers) return false;
      if (!headers_of(*headers, m.headers, reason)) return false;
    }
    bool tombstone = false;
    if (!o.tombstone_when.is_null()) {
      auto t = evaluate(tombstone_expr, doc, ctx, "tombstoneWhen", reason);
      if (!t) return false;
      tombstone = reel::json::truthy(*t);
    }
    if (!tombstone) {
      try {
        m.value = text_of(doc);
      } catch (const std::exception& e) {
        reason = std::string("Failed to serialize the document: ") + e.what();
        return false;
      }
    }
    return true;
  }

  /// Hands `m` to librdkafka, waiting while its queue is full. Returns the error of a message
  /// librdkafka refuses (too large, ...).
  rd_kafka_resp_err_t produce(message& m, std::uint64_t id) {
    for (;;) {
      // (The RD_KAFKA_V_* macros cast their arguments unparenthesized: pass plain names.)
      rd_kafka_headers_t* headers = m.headers.get();
      void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
      const std::size_t value_size = m.value ? m.value->size() : 0;
      const void* key = m.key ? m.key->data() : nullptr;
      const std::size_t key_size = m.key ? m.key->size() : 0;
      void* opaque = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk.get(), RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_KEY(key, key_size),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)m.headers.release();  // owned by the message now
        return err;
      }
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return err;
      // Larger than the whole queue (queue.buffering.max.kbytes): waiting cannot help.
      if (rd_kafka_outq_len(rk.get()) == 0) return err;
      ++stats.queue_full_retries;
      poll(100);  // back-pressure: wait for deliveries to make room
    }
  }

  // --- the sink --------------------------------------------------------------------------------

  void write(std::span<const json> docs, write_result& result) {
    current_call = ++calls;
    current_result = &result;
    struct reset {
      impl* self;
      ~reset() {
        self->current_result = nullptr;
        self->current_call = 0;
      }
    } guard{this};
    if (exactly_once()) require_transaction();
    check_fatal();
    for (std::size_t i = 0; i < docs.size(); ++i) {
      message m;
      std::string reason;
      if (!prepare(docs[i], m, reason)) {
        reject(current_call, i, docs[i], std::move(reason));
        continue;
      }
      const std::uint64_t id = next_id++;
      outstanding.emplace(id, pending{docs[i], current_call, i});
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
      try {
        err = produce(m, id);
      } catch (...) {
        outstanding.erase(id);  // never produced: the caller sees the exception
        throw;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outstanding.erase(id);
        if (err == RD_KAFKA_RESP_ERR__FATAL) check_fatal();
        reject(current_call, i, docs[i], detail::describe(err));
        continue;
      }
      ++stats.produced;
      ++transaction_messages;
      if (!m.value) ++stats.tombstones;
    }
    poll(0);
  }

  void flush() {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + o.flush_timeout;
    if (!rk) return;
    poll(0);
    while (rd_kafka_outq_len(rk.get()) > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) break;
      // Short slices: reports are served (and the handler called) as they come.
      rd_kafka_flush(rk.get(), static_cast<int>(std::min<std::int64_t>(left, 100)));
      serve_reports();
      check_fatal();
    }
    poll(0);
    if (rd_kafka_outq_len(rk.get()) > 0) {
      std::string message = std::to_string(outstanding.size()) +
                            " Kafka message(s) still wait for delivery after " +
                            std::to_string(o.flush_timeout.count()) +
                            " ms; they stay queued and are retried (flush again to wait)";
      if (!last_error.empty()) message += "; last error: " + last_error;
      throw_error("reel.kafka.flush_timeout", o.where, message);
    }
  }

  void close() noexcept {
    closing = true;
    if (!rk) return;
    try {
      // Exactly-once: the open transaction's output belongs to no checkpoint: it is dropped.
      if (in_transaction) abort_transaction();
      rd_kafka_flush(rk.get(), static_cast<int>(o.close_timeout.count()));
      serve_reports();
      if (rd_kafka_outq_len(rk.get()) > 0) {
        rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk.get(), 0);
        serve_reports();
      }
      stats.lost += outstanding.size();
      outstanding.clear();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; flush() can
    }
  }
};

kafka_sink::kafka_sink(properties client, emit_options options)
    : impl_(std::make_unique<impl>(std::move(client), std::move(options))) {}

kafka_sink::~kafka_sink() {
  impl_->close();
}

void kafka_sink::write(std::span<const nlohmann::ordered_json> docs, write_result& result) {
  impl_->write(docs, result);
}

void kafka_sink::flush() {
  impl_->flush();
}

void kafka_sink::on_time_passed() {
  impl_->poll(0);
}

void kafka_sink::set_rejection_handler(rejection_handler handler) {
  impl_->handler = std::move(handler);
}

void kafka_sink::attach(const sink_context& context) {
  impl_->attach(context);
}

void kafka_sink::start(const nlohmann::ordered_json& resume_point) {
  impl_->start(resume_point);
}

void kafka_sink::prepare_checkpoint(std::uint64_t version,
                                    const nlohmann::ordered_json& source_positions) {
  impl_->checkpoint_version = version;
  impl_->checkpoint_positions = source_positions;
}

nlohmann::ordered_json kafka_sink::commit_point() {
  return impl_->commit_point();
}

void kafka_sink::checkpoint_stored() {
  impl_->checkpoint_stored();
}

bool kafka_sink::output_committed(const nlohmann::ordered_json& commit_point) {
  return impl_->output_committed(commit_point);
}

std::vector<std::pair<nlohmann::ordered_json, std::string>> kafka_sink::take_rejections() {
  return std::exchange(impl_->unreported, {});
}

kafka_sink::statistics kafka_sink::stats() const {
  return impl_->stats;
}

std::size_t kafka_sink::in_flight() const {
  return impl_->outstanding.size();
}

nlohmann::ordered_json kafka_sink::metrics() const {
  const statistics st = stats();
  nlohmann::ordered_json m = {
      {"produced", st.produced},     {"delivered", st.delivered},
      {"rejected", st.rejected},     {"queueFullRetries", st.queue_full_retries},
      {"tombstones", st.tombstones}, {"lost", st.lost}};
  if (impl_->exactly_once()) {
    m["transactions"] = st.transactions;
    m["abortedTransactions"] = st.aborted;
  }
  return m;
}

}  // namespace reel::kafka
