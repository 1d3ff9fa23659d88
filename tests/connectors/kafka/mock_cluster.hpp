// SPDX-License-Identifier: Apache-2.0
// Test helpers of reel::kafka: librdkafka's in-process mock cluster, and reading back every
// message of a topic with a plain consumer (assign(), no consumer group join).
//
//   kafka_test::mock_cluster c;          // 1 broker
//   c.create_topic("orders", 3);
//   ... produce to c.bootstrap_servers() ...
//   auto records = kafka_test::read_all(c.bootstrap_servers(), "orders");
//
// Destroy every client of the cluster before the cluster.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kafka_test {

/// A broker cluster inside the process (librdkafka's mock: produce, fetch, metadata,
/// consumer groups, idempotence, injected errors). It needs a client to host it: a producer
/// of its own that connects nowhere.
class mock_cluster {
 public:
  explicit mock_cluster(int brokers = 1) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!host_) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("mock cluster host: ") + err);
    }
    cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
    if (!cluster_) {
      rd_kafka_destroy(host_);
      throw std::runtime_error("cannot create a librdkafka mock cluster");
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  /// Creates `topic` with `partitions` partitions (replication factor 1).
  void create_topic(const std::string& topic, int partitions = 1) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
    if (err) throw std::runtime_error("mock topic " + topic + ": " + rd_kafka_err2str(err));
  }
  /// `"127.0.0.1:port,..."`.
  [[nodiscard]] const std::string& bootstrap_servers() const { return bootstrap_; }
  /// For `rd_kafka_mock_*` (injected errors, brokers down, ...).
  [[nodiscard]] rd_kafka_mock_cluster_t* handle() const { return cluster_; }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

/// One message as read back.
struct record {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;    ///< nullopt: no key
  std::optional<std::string> value;  ///< nullopt: a tombstone
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  std::int64_t timestamp = -1;  ///< milliseconds since the epoch, -1 when not available
};

/// Every message of `topic` present when the call starts, ordered by partition then offset.
/// Throws std::runtime_error when the topic cannot be described or not everything could be
/// read within `timeout`.
inline std::vector<record> read_all(const std::string& bootstrap, const std::string& topic,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrap},
                                                    {"group.id", "reel-test-reader"},
                                                    {"enable.auto.commit", "false"},
                                                    {"enable.partition.eof", "false"},
                                                    {"log_level", "3"}};
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("reader config: ") + err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("reader: ") + err);
  }
  struct closer {
    rd_kafka_t* rk;
    ~closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } close_reader{rk};
  const int ms = static_cast<int>(timeout.count());

  // Partitions and their end offsets.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, ms);
  rd_kafka_topic_destroy(rkt);
  if (e) throw std::runtime_error("metadata of " + topic + ": " + rd_kafka_err2str(e));
  int partitions = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic) {
      partitions = md->topics[i].partition_cnt;
      topic_err = md->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err) throw std::runtime_error("topic " + topic + ": " + rd_kafka_err2str(topic_err));

  std::map<std::int32_t, std::int64_t> end;  // partitions still to read → their end offset
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, ms);
    if (e) {
      rd_kafka_topic_partition_list_destroy(assignment);
      throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(e));
    }
    if (high > low) {
      end[p] = high;
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = low;
    }
  }
  e = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (e) throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(e));

  std::vector<record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!end.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("read_all(" + topic + "): timed out with " +
                               std::to_string(out.size()) + " messages read");
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    auto it = end.find(m->partition);
    if (m->err || it == end.end() || m->offset >= it->second) {  // done, or produced later
      rd_kafka_message_destroy(m);
      continue;
    }
    record r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
    rd_kafka_timestamp_type_t type;
    r.timestamp = rd_kafka_message_timestamp(m, &type);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        std::optional<std::string> v;
        if (value) v.emplace(static_cast<const char*>(value), size);
        r.headers.emplace_back(name, std::move(v));
      }
    }
    if (m->offset + 1 >= it->second) end.erase(it);
    rd_kafka_message_destroy(m);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const record& a, const record& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  return out;
}

/// A plain producer for test input: `send` queues (waiting while the local queue is full),
/// `flush` waits for every delivery and throws when one failed.
class producer {
 public:
  explicit producer(const std::string& bootstrap) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrap},
                                                      {"linger.ms", "5"},
                                                      {"enable.idempotence", "true"},
                                                      {"queue.buffering.max.messages", "200000"},
                                                      {"log_level", "3"}};
    for (const auto& [k, v] : props) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error("producer config " + k + ": " + err);
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      auto* self = static_cast<producer*>(opaque);
      if (m->err) {
        ++self->failed_;
        self->last_error_ = rd_kafka_err2str(m->err);
      }
    });
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("producer: ") + err);
    }
  }
  ~producer() { rd_kafka_destroy(rk_); }
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  /// Queues `r` (its `topic`, `partition` (-1: the partitioner's choice), `key`, `value`
  /// (nullopt: a tombstone), `headers`, `timestamp` (-1: now)).
  void send(const record& r) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(r.headers.size());
    for (const auto& [name, value] : r.headers) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                          value ? value->data() : nullptr,
                          value ? static_cast<ssize_t>(value->size()) : 0);
    }
    const std::int32_t partition = r.partition < 0 ? RD_KAFKA_PARTITION_UA : r.partition;
    const void* key = r.key ? r.key->data() : nullptr;
    const std::size_t key_size = r.key ? r.key->size() : 0;
    void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const std::size_t value_size = r.value ? r.value->size() : 0;
    const std::int64_t timestamp = r.timestamp < 0 ? 0 : r.timestamp;
    while (true) {
      const rd_kafka_resp_err_t e = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(r.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(key, key_size), RD_KAFKA_V_VALUE(value, value_size),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 10);
        continue;
      }
      if (e) {
        rd_kafka_headers_destroy(headers);  // owned by the message only when produced
        throw std::runtime_error("produce to " + r.topic + ": " + rd_kafka_err2str(e));
      }
      break;
    }
    rd_kafka_poll(rk_, 0);
  }
  /// Queues one message for `partition` (RD_KAFKA_PARTITION_UA: the partitioner's choice).
  void send(const std::string& topic, std::int32_t partition, const std::string& value,
            const std::optional<std::string>& key = std::nullopt) {
    record r;
    r.topic = topic;
    r.partition = partition;
    r.value = value;
    r.key = key;
    send(r);
  }

  void flush() {
    if (rd_kafka_flush(rk_, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("producer: messages still undelivered after 30 s");
    }
    if (failed_) {
      throw std::runtime_error("producer: " + std::to_string(failed_) +
                               " messages failed, last: " + last_error_);
    }
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::uint64_t failed_ = 0;
  std::string last_error_;
};

/// Produces `records` and waits until every one is delivered.
inline void produce_all(const std::string& bootstrap, const std::vector<record>& records) {
  producer p(bootstrap);
  for (const record& r : records)
    p.send(r);
  p.flush();
}

}  // namespace kafka_test
