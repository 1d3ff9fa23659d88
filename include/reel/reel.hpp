// SPDX-License-Identifier: Apache-2.0
/// \file
/// The umbrella header of Reel's core: time, watermarks, windows, accumulators, typed stages and
/// the processor. It never pulls in connectors.
#pragma once

#include "reel/aggregate/all.hpp"
#include "reel/error.hpp"
#include "reel/pipeline.hpp"
#include "reel/processor.hpp"
#include "reel/stage/emit.hpp"
#include "reel/stage/map.hpp"
#include "reel/stage/match.hpp"
#include "reel/stage/source.hpp"
#include "reel/stage/window.hpp"
#include "reel/time.hpp"
#include "reel/version.hpp"
#include "reel/watermark/tracker.hpp"
#include "reel/window/options.hpp"
#include "reel/window/session_window_operator.hpp"
#include "reel/window/sliced_window_operator.hpp"
#include "reel/window/window_driver.hpp"
#include "reel/window/window_result.hpp"
