// SPDX-License-Identifier: Apache-2.0
/// \file
/// `compile_pipeline` and `try_compile_pipeline` (`reel/json/pipeline.hpp`), compiled once in the
/// `reel::json` library around the compiler of `reel/json/compile.hpp`.
#include "reel/json/compile.hpp"

#include <utility>

namespace reel::json {

/// Every problem of `pipeline`, or the compiled pipeline.
compile_result try_compile_pipeline(const document& pipeline, pipeline_options options) {
  return detail::pipeline_compiler(options).run(pipeline);
}

/// The compiled pipeline; throws `reel::error` (with every diagnostic) when it has problems.
compiled_pipeline compile_pipeline(const document& pipeline, pipeline_options options) {
  compile_result r = try_compile_pipeline(pipeline, options);
  if (!r) throw error(std::move(r.diagnostics));
  return std::move(*r.pipeline);
}

}  // namespace reel::json
