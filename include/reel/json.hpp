// SPDX-License-Identifier: Apache-2.0
/// \file
/// The umbrella header of the JSON front end: Atlas Stream Processing pipelines compiled onto
/// Reel's engine, with the MQL query language, aggregation expressions and the stream processor.
#pragma once

#include "reel/connector/memory.hpp"
#include "reel/connector/registry.hpp"
#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/json/accumulator.hpp"
#include "reel/json/compile.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/group.hpp"
#include "reel/json/mongosh_syntax.hpp"
#include "reel/json/query.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stream_processor.hpp"
#include "reel/json/value.hpp"
#include "reel/json/window_stage.hpp"
