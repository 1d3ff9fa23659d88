// SPDX-License-Identifier: Apache-2.0
// Private: librdkafka handles for reel::kafka (never included by public headers).
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "reel/error.hpp"
#include "reel/kafka/properties.hpp"

namespace reel::kafka::detail {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
struct handle_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
struct message_deleter {
  void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct headers_deleter {
  void operator()(rd_kafka_headers_t* h) const noexcept { rd_kafka_headers_destroy(h); }
};

using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;
using headers_ptr = std::unique_ptr<rd_kafka_headers_t, headers_deleter>;

/// A configuration with `props` set; throws `reel.connection.invalid` at `where` naming the
/// property librdkafka refused.
inline conf_ptr make_conf(const properties& props, const std::string& where) {
  conf_ptr conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      throw_error("reel.connection.invalid", where,
                  "librdkafka refused " + key + ": " + std::string(err));
    }
  }
  return conf;
}

/// Creates a producer or consumer from `conf` (taken over).
inline handle_ptr make_handle(rd_kafka_type_t type, conf_ptr conf, const std::string& where) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) {
    throw_error("reel.kafka.client_failed", where,
                "cannot create a Kafka client: " + std::string(err));
  }
  (void)conf.release();  // owned by rk now
  return handle_ptr(rk);
}

/// `"Broker: Unknown topic or partition (UNKNOWN_TOPIC_OR_PART)"`.
inline std::string describe(rd_kafka_resp_err_t err) {
  return std::string(rd_kafka_err2str(err)) + " (" + rd_kafka_err2name(err) + ")";
}

}  // namespace reel::kafka::detail
