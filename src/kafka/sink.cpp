// SPDX-License-Identifier: Apache-2.0
// The Kafka $emit sink: topic/key/headers/tombstone per document, asynchronous idempotent
// production, delivery reports turned into rejections.
#include "reel/kafka/sink.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "handle.hh"
#include "reel/connector/registry.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"

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
      invalid(
          where + "/" + reel::detail::pointer_token(key),
          "unknown option '" + key + "' of $emit to Kafka" + reel::detail::did_you_mean(key, keys));
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
  static const std::vector<std::string> config_keys = {
      "key",          "keyFormat",  "headers",      "acks", "compression_type",
      "outputFormat", "dateFormat", "tombstoneWhen"};
  for (const auto& [key, value] : config->items()) {
    if (std::find(config_keys.begin(), config_keys.end(), key) == config_keys.end()) {
      invalid(at + "/" + reel::detail::pointer_token(key),
              "unknown option '" + key + "' of $emit.config" +
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
  // Declared last so it is destroyed first, while everything its callbacks touch still exists.
  detail::handle_ptr rk;

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

    detail::conf_ptr conf = detail::make_conf(p, o.where);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &impl::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &impl::on_error);
    rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(conf), o.where);
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
      if (!m.value) ++stats.tombstones;
    }
    poll(0);
  }

  void flush() {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + o.flush_timeout;
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
    try {
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
  return {{"produced", st.produced},     {"delivered", st.delivered},
          {"rejected", st.rejected},     {"queueFullRetries", st.queue_full_retries},
          {"tombstones", st.tombstones}, {"lost", st.lost}};
}

}  // namespace reel::kafka
