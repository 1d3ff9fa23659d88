// SPDX-License-Identifier: Apache-2.0
/// \file
/// The `mongodb` connection type, for connection registries.
///
/// ```json
/// {"atlas": {"type": "mongodb",
///            "uri": {"$env": "REEL_MONGO_URI"},
///            "retry": {"maxAttempts": 5, "initialBackoffMs": 200, "maxBackoffMs": 5000},
///            "batch": {"maxDocuments": 1000, "maxBytes": 8388608, "maxDelayMs": 1000}}}
/// ```
///
/// Used by `$merge` (a `merge_sink`), by `options.dlq: {connectionName, db, coll}` and by
/// `$emit: {connectionName, db, coll}` (an `insert_sink`), by `$source` (a
/// `change_stream_source`), and by `$lookup`/`$cachedLookup` (a `collection_reader`,
/// `reel/connector/collection_reader.hpp`). Every source and sink built from the connections of one
/// registry with the same URI shares one libmongoc client pool. `retry` and `batch` are Reel's
/// (optional); the URI is checked when the definition is added, the server is contacted only when
/// something is written or read.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections = reel::default_connections();
/// reel::mongo::register_connection_type(connections);
/// connections.load_connections(std::filesystem::path("connections-mongodb.json"));
/// reel::json::stream_processor sp(pipeline, connections, {.name = "movies", .dlq = dlq});
/// ```
#pragma once

#include <functional>
#include <memory>

#include "reel/connector/registry.hpp"
#include "reel/mongo/change_stream.hpp"
#include "reel/mongo/client.hpp"
#include "reel/time.hpp"

namespace reel::mongo {

struct connection_type_options {
  /// Defaults for every connection; a definition's `retry` overrides the numbers (the `sleep`
  /// function stays).
  retry_policy retry;
  /// The clock of the sinks' `batch.maxDelayMs`.
  const reel::clock* clock = &reel::system_clock::instance();
  /// Builds change-stream cursors; empty: libmongoc. Tests pass
  /// `replay_change_stream::cursors()` here.
  std::function<cursor_factory(const client&)> cursors;
};

/// The `mongodb` connection type.
reel::connection_type make_connection_type(connection_type_options options = {});

/// Registers the `mongodb` type in `registry`.
void register_connection_type(reel::connection_registry& registry,
                              connection_type_options options = {});

}  // namespace reel::mongo
