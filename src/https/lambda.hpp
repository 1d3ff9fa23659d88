// SPDX-License-Identifier: Apache-2.0
// The `aws_lambda` connection type of reel::https (reel/https/https.hpp).
#pragma once

#include "reel/connector/registry.hpp"

namespace reel::https::detail {

/// Registers `aws_lambda` (and Atlas's name for it, `AWSLambda`) in `registry`: connections
/// whose functions `$externalFunction` calls through Lambda's Invoke API.
void register_lambda_connection_type(reel::connection_registry& registry);

}  // namespace reel::https::detail
