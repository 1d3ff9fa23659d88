// SPDX-License-Identifier: Apache-2.0
/// \file
/// The base of window-only stages (`$sort`, `$limit`, `$count`): they work on the whole batch of
/// a closing window in `apply_batch`; `apply` is never called for them by the processor.
///
/// A template over its base so that this header does not need `stage.hpp` (which includes every
/// built-in stage at its end): any stage header can then be included first.
#pragma once

#include <string>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

class document_stage;

namespace detail {

template <class Base = document_stage>
class batch_stage : public Base {
 public:
  [[nodiscard]] bool is_batch_only() const override { return true; }
  /// A batch-only stage cannot run on single documents: throws `reel.pipeline.batch_stage`.
  void apply(document&&, const eval_context&, std::vector<document>&) const override {
    throw_error("reel.pipeline.batch_stage", "",
                std::string(this->operator_name()) +
                    " runs only on the batch of a window (apply_batch), not on single documents");
  }
};

}  // namespace detail
}  // namespace reel::json
