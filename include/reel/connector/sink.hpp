// SPDX-License-Identifier: Apache-2.0
/// \file
/// The sink interface that connectors implement ($merge into a collection, $emit to a topic or a
/// bucket, files, callbacks): write a batch, report documents rejected one by one (they go to
/// the DLQ with the reason), flush.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace reel {

/// Documents of a batch that the sink refused, by index in the batch, with the reason.
struct write_result {
  std::vector<std::pair<std::size_t, std::string>> rejected;
};

class sink {
 public:
  virtual ~sink() = default;
  /// Writes `docs`; a document that cannot be written alone is reported in `result`; a failure
  /// of the whole sink throws `reel::error`.
  virtual void write(std::span<const nlohmann::ordered_json> docs, write_result& result) = 0;
  /// Makes everything written so far durable (or delivered).
  virtual void flush() {}
  /// Processing time moved (the processor's `advance()`): sinks that write on a timer (S3's
  /// `writeOptions.interval`, batched `$merge`) write what is due.
  virtual void on_time_passed() {}
};

}  // namespace reel
