// SPDX-License-Identifier: Apache-2.0
/// \file
/// The built-in connection types and the connections every registry starts with.
///
/// `register_builtin_types(registry)` registers the types
///
/// | type                   | role   | definition                                            |
/// |------------------------|--------|-------------------------------------------------------|
/// | `file`                 | both   | `{path \| directory, append, outputFormat}` (NDJSON)  |
/// | `stdin`                | source | `{}`: NDJSON from standard input                      |
/// | `stdout`, `stderr`     | sink   | `{outputFormat}`: NDJSON, flushed after each write    |
/// | `memory`               | source | `{documents: [...]}`                                  |
/// | `sample_stream_solar`  | source | `{seed, count, rate, start}`                          |
/// | `sample_movie_tickets` | source | `{seed, count, rate, start, lateFraction,
/// malformedFraction}` |
///
/// and `default_connections()` returns a registry with those types and the connections
/// `sample_stream_solar` (preconfigured in every Atlas workspace), `sample_movie_tickets`,
/// `stdin`, `stdout` and `stderr`, each of the type of the same name with no options.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections = reel::default_connections();
/// connections.load_connections(std::filesystem::path("connections.json"));
/// reel::json::stream_processor sp(pipeline, connections, {.name = "solar"});
/// ```
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/file.hpp"
#include "reel/connector/memory.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/sample_source.hpp"
#include "reel/connector/stdio.hpp"

namespace reel {

/// The `"memory"` connection type: a source of the definition's `documents`.
inline connection_type memory_connection_type() {
  connection_type t;
  t.summary = "documents listed in the definition: {documents: [...]}";
  t.stage_options.emplace();  // $source takes only the common options
  t.check = [](const connection_args& args) {
    check_definition_keys(args, "memory", {"documents"});
    auto it = args.definition.find("documents");
    if (it == args.definition.end() || !it->is_array()) {
      args.definition_error(it == args.definition.end() ? "" : "/documents",
                            "a memory connection needs documents: [...]");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_object()) {
        args.definition_error("/documents/" + std::to_string(i), "documents must be objects");
      }
    }
  };
  t.make_source = [](const connection_args& args) -> std::unique_ptr<source> {
    return std::make_unique<memory_source>(
        args.definition.at("documents").get<std::vector<nlohmann::ordered_json>>());
  };
  return t;
}

/// Registers every built-in connection type in `registry`.
inline void register_builtin_types(connection_registry& registry) {
  registry.register_type("file", file_connection_type());
  registry.register_type("stdin", stdin_connection_type());
  registry.register_type("stdout", stdout_connection_type());
  registry.register_type("stderr", stderr_connection_type());
  registry.register_type("memory", memory_connection_type());
  registry.register_type("sample_stream_solar", solar_connection_type());
  registry.register_type("sample_movie_tickets", movie_tickets_connection_type());
}

/// A registry with the built-in types and the default connections `sample_stream_solar`,
/// `sample_movie_tickets`, `stdin`, `stdout` and `stderr`.
inline connection_registry default_connections() {
  connection_registry registry;
  register_builtin_types(registry);
  for (const char* name :
       {"sample_stream_solar", "sample_movie_tickets", "stdin", "stdout", "stderr"}) {
    registry.add_connection(name, {{"type", name}});
  }
  return registry;
}

}  // namespace reel
