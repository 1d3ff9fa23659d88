// SPDX-License-Identifier: Apache-2.0
/// \file
/// The `kafka` connection type, for connection registries.
///
/// ```json
/// {"kafka": {"type": "kafka", "bootstrapServers": {"$env": "REEL_KAFKA_BROKERS"},
///            "config": {"socket.keepalive.enable": true}}}
/// ```
/// (client settings: `reel/kafka/properties.hpp`). Used by `$source` (a `kafka_source`, see
/// `reel/kafka/source.hpp`), by `$emit` and by `options.dlq: {connectionName, topic}` (a
/// `kafka_sink`, see `reel/kafka/sink.hpp`). The definition is checked when it is added; the
/// brokers are contacted only when something is read or written.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections = reel::default_connections();
/// reel::kafka::register_connection_type(connections);
/// connections.load_connections(std::filesystem::path("connections-kafka.json"));
/// reel::json::stream_processor sp(pipeline, connections, {.name = "movies"});
/// sp.start();
/// ```
#pragma once

#include <chrono>

#include "reel/connector/registry.hpp"

namespace reel::kafka {

struct connection_type_options {
  /// How long a source's `poll()` waits for a first message before answering idle.
  std::chrono::milliseconds poll_timeout{100};
};

/// The `kafka` connection type.
reel::connection_type make_connection_type(connection_type_options options = {});

/// Registers the `kafka` type in `registry`.
void register_connection_type(reel::connection_registry& registry,
                              connection_type_options options = {});

}  // namespace reel::kafka
