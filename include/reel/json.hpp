// SPDX-License-Identifier: Apache-2.0
/// \file
/// The umbrella header of the JSON front end: Atlas Stream Processing pipelines compiled onto
/// Reel's engine, with aggregation expressions and the stream processor. It declares the API of
/// the `reel::json` library (link `reel::json`), which compiles the runtime once: including it
/// costs about what nlohmann/json costs.
///
/// Extending the front end (a custom stage, accumulator or query) uses the implementation headers
/// that this one leaves out: `reel/json/stage.hpp`, `reel/json/accumulator.hpp`,
/// `reel/json/query.hpp`, `reel/json/group.hpp`, `reel/json/window_stage.hpp`,
/// `reel/json/compile.hpp`.
#pragma once

#include "reel/connector/memory.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/mongosh_syntax.hpp"
#include "reel/json/pipeline.hpp"
#include "reel/json/stream_processor.hpp"
#include "reel/json/value.hpp"
