// SPDX-License-Identifier: Apache-2.0
// A processor's definition as the `reel` program and `reel serve` check it: the pipeline file,
// the name, the DLQ, the connections file loaded into a registry, and every problem found
// before anything is built, located in the file (`tickets.json:/pipeline/1/$match`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <reel/connector/registry.hpp>
#include <reel/error.hpp>
#include <reel/json/pipeline.hpp>

#include "pipeline_file.hpp"

namespace reel::cli {

struct definition {
  pipeline_file file;
  std::string name;
  std::optional<document> dlq;
  bool dlq_from_command_line = false;  ///< --dlq: its problems are located at "--dlq"
};

/// The registry, with the problems of the connections file (every valid definition is loaded;
/// `unloaded` names the connections whose definitions were not, so that their uses are not
/// reported again as unknown).
struct loaded_connections {
  connection_registry registry;
  std::vector<diagnostic> problems;
  std::vector<std::string> unloaded;
  bool file_unreadable = false;  ///< no definition of the file was read: skip unknown names
};

/// `registry` with the definitions of the connections file `file`, if any.
[[nodiscard]] loaded_connections load_connections(connection_registry registry,
                                                  const std::optional<std::filesystem::path>& file);

/// Where `d` is, in the pipeline file of `def` (`path:/pipeline/1/$match`, `--dlq`).
[[nodiscard]] std::string locate(const definition& def, const diagnostic& d);
/// `d` as `[id] at where: message`, located in the file.
[[nodiscard]] std::string located(const definition& def, diagnostic d);

/// Problems with the connections the pipeline uses (unknown names, wrong roles, unset `$env`
/// variables, missing input files, two sinks writing one file), found without building any
/// source or sink.
[[nodiscard]] std::vector<diagnostic> verify_connections(const definition& def,
                                                         const loaded_connections& loaded);

/// Every problem of the definition (the connections file's, the pipeline's, the connections'),
/// not yet located; when there is none, `compiled` holds the compiled pipeline.
[[nodiscard]] std::vector<diagnostic> definition_problems(
    const definition& def, const loaded_connections& loaded,
    std::optional<json::compiled_pipeline>& compiled);

}  // namespace reel::cli
