// SPDX-License-Identifier: Apache-2.0
/// \file
/// How a processor keeps checkpoints in a `reel::checkpoint_store`: the store, the processing
/// time between two checkpoints, the fingerprint of the pipeline (a checkpoint taken by a
/// different pipeline is refused) and whether to start over. See docs/semantics.md,
/// "Checkpoints", for what a checkpoint holds and what restoring one guarantees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/checkpoint/store.hpp"
#include "reel/time.hpp"

namespace reel {

struct checkpoint_options {
  /// Where checkpoints go; none: the processor keeps no checkpoints.
  checkpoint_store* store = nullptr;
  /// Processing time (the processor's clock) between two checkpoints.
  duration interval{10000};
  /// Identifies the pipeline: a checkpoint with another fingerprint is refused
  /// (`reel.checkpoint.other_pipeline`). The JSON processor derives it from the pipeline
  /// definition when it is built from one.
  std::string fingerprint;
  /// Start over: the checkpoints in the store are not read (the next one supersedes them).
  bool fresh = false;
};

/// The checkpoint a processor resumed from.
struct resume_info {
  std::uint64_t version = 0;
  /// Where the source resumes (`{"line": 120001, "offset": 8123456}` for a file).
  nlohmann::ordered_json source_positions;
  /// Newer checkpoints passed over because they were damaged.
  std::vector<std::string> skipped;
};

}  // namespace reel
