// SPDX-License-Identifier: Apache-2.0
// The commands of the `reel` program. Each returns the exit status: 0 success, 1 runtime
// failure, 2 bad usage or definition error.
#pragma once

#include <reel/connector/registry.hpp>

#include "command_line.hpp"

namespace reel::cli {

int run_command(const command_line& cl);
int process_command(const command_line& cl);
int check_command(const command_line& cl);
int explain_command(const command_line& cl);
/// `reel serve`: the processor host and its HTTP API (serve_commands.cpp).
int serve_command(const command_line& cl);
/// `reel sp ...`: the client of `reel serve` (serve_commands.cpp).
int sp_command(const command_line& cl);

/// The built-in connections and the connection types of the connectors this program was built
/// with.
[[nodiscard]] connection_registry builtin_connections();

}  // namespace reel::cli
