// SPDX-License-Identifier: Apache-2.0
/// \file
/// Hard limits on what one event or one definition can make Reel do (docs/semantics.md §17):
/// the size of one input message, the size and nesting depth of values that expressions and
/// stages build, and the number of windows one event belongs to. An event that reaches a limit
/// goes to the DLQ with a stable id in its reason; a definition that reaches one is a located
/// definition error. The defaults follow MongoDB where the server has a rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace reel {

/// 16 MiB, MongoDB's largest user document (`BSONObjMaxUserSize`, src/mongo/bson/bsonobj.h):
/// the default largest input message, and the largest string, array or document an expression
/// or a stage builds.
inline constexpr std::size_t max_document_bytes = 16 * 1024 * 1024;

/// 200 levels, MongoDB's default nesting depth of documents and arrays
/// (`BSONDepth::kDefaultMaxAllowableDepth`, src/mongo/bson/bson_depth.h): the deepest value an
/// expression or a stage builds.
inline constexpr std::size_t max_document_depth = 200;

/// How many bytes of an oversized message its DLQ record keeps (`errInfo.payload`).
inline constexpr std::size_t oversized_payload_prefix_bytes = 256;

/// The configurable limits, with their defaults. Set them in `json::pipeline_options::limits`
/// (`stream_processor_options::compile.limits` for a processor; `reel run --max-message-bytes`).
/// The window state bound (`max_state_bytes`) is kept by `stream_processor_options` beside it.
struct limits {
  /// The largest message a source delivers (a line of a file or standard input, a Kafka record,
  /// a payload given to `push`): a larger one is not buffered past this size but skipped, and
  /// goes to the DLQ as `reel.input.too_large` with its first bytes. 0: no limit.
  std::size_t max_message_bytes = max_document_bytes;
  /// The most windows one event belongs to (hopping: `interval / hopSize`, rounded up): a
  /// definition over it is `reel.pipeline.invalid_option`. Each event costs work in each of its
  /// windows, and 10,000 windows already turn one event into 10,000 results.
  std::uint64_t max_windows_per_event = 10'000;
};

/// Whether `id` is the error of a value that reached a limit (`reel.expression.too_large`,
/// `reel.expression.too_deep`): a processor's DLQ reason then starts with the id.
inline bool is_limit_error(std::string_view id) noexcept {
  return id == "reel.expression.too_large" || id == "reel.expression.too_deep";
}

/// The DLQ reason of a message of `length` bytes, larger than `limit`.
inline std::string message_too_large_reason(std::uint64_t length, std::size_t limit) {
  return "[reel.input.too_large] message of " + std::to_string(length) +
         " bytes exceeds the limit of " + std::to_string(limit) +
         " bytes (maxMessageBytes); errInfo.payload holds its first " +
         std::to_string(oversized_payload_prefix_bytes) + " bytes";
}

}  // namespace reel
