// SPDX-License-Identifier: Apache-2.0
/// \file
/// What a compiled expression or query can see besides the document: the stream metadata that
/// `{$meta: "stream..."}` reads, and the values of external variables (`$$name`) declared when
/// the expression was compiled (`compile_options::variables`, e.g. the `let` of `$lookup`).
///
/// **Example**
/// ```cpp
/// reel::json::document meta = {{"window", {{"start", reel::json::make_date(t0)}}}};
/// reel::json::eval_context ctx;
/// ctx.meta = &meta;
/// compile_expression({{"$meta", "stream.window.start"}}).evaluate(doc, ctx);  // the start date
/// ```
#pragma once

#include "reel/json/value.hpp"
#include "reel/time.hpp"

namespace reel::json {

namespace detail {
struct binding;
}

/// Read-only inputs of an evaluation besides the document. Pointers must outlive the call.
struct eval_context {
  /// The stream metadata object, `{"source": {...}, "window": {"start", "end", "partition"}}`.
  const document* meta = nullptr;
  /// An object with the values of external variables, looked up by name for `$$name`.
  const document* variables = nullptr;
  /// Processing time, for `{$currentDate: {}}` (the processor's clock); null: the wall clock.
  const reel::clock* clock = nullptr;
};

}  // namespace reel::json
