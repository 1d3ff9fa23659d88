// SPDX-License-Identifier: Apache-2.0
#include "reel/kafka/connection_type.hpp"

#include <memory>
#include <string>
#include <utility>

#include "reel/kafka/properties.hpp"
#include "reel/kafka/sink.hpp"
#include "reel/kafka/source.hpp"

namespace reel::kafka {

reel::connection_type make_connection_type(connection_type_options options) {
  reel::connection_type t;
  t.summary =
      "Apache Kafka (librdkafka): $source through a consumer group, $emit and DLQ topics: "
      "{bootstrapServers, security, authentication, config}";
  t.check = [](const connection_args& args) { (void)client_properties(args); };
  // config of $source: Reel's keys and any consumer property (parse_source_stage checks them).
  t.stage_options = {
      .source = {"topic", "config.*"},
      .emit = {"topic", "config.key", "config.keyFormat", "config.headers", "config.acks",
               "config.compression_type", "config.outputFormat", "config.dateFormat",
               "config.tombstoneWhen", "config.deliveryGuarantee", "config.transactionalId"},
      .merge = {}};
  t.make_sink = [](const connection_args& args) -> std::unique_ptr<reel::sink> {
    properties client = client_properties(args);
    return std::make_unique<kafka_sink>(std::move(client),
                                        parse_emit_stage(args.stage, args.stage_where));
  };
  t.make_source = [options](const connection_args& args) -> std::unique_ptr<reel::source> {
    properties client = client_properties(args);
    source_options o = parse_source_stage(args.stage, args.stage_where);
    o.poll_timeout = options.poll_timeout;
    return std::make_unique<kafka_source>(std::move(client), std::move(o));
  };
  return t;
}

void register_connection_type(reel::connection_registry& registry,
                              connection_type_options options) {
  registry.register_type("kafka", make_connection_type(options));
}

}  // namespace reel::kafka
