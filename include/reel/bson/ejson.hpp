// SPDX-License-Identifier: Apache-2.0
/// \file
/// MongoDB Extended JSON v2 straight into and out of `reel::bson::value`.
///
/// **Input** (`ejson_reader`): one JSON text (an NDJSON line, a Kafka payload) parsed by simdjson
/// when Reel is built with it (`REEL_HAVE_SIMDJSON`), by nlohmann's SAX parser otherwise — same
/// values either way. The whole text is validated. Wrappers, relaxed and canonical, become their
/// BSON types in the same pass: `$numberInt`, `$numberLong`, `$numberDouble` (also `Infinity`,
/// `-Infinity`, `NaN`), `$numberDecimal`, `$date` (ISO-8601 string, `{"$numberLong": …}` or a
/// number), `$oid`, `$binary` (`{"base64", "subType"}` and legacy `{"$binary", "$type"}`),
/// `$uuid`, `$timestamp`, `$regularExpression`, legacy `{"$regex", "$options"}`, `$minKey`,
/// `$maxKey`, `$undefined`, `$symbol`, `$code`. A plain JSON integer is an int32 when it fits,
/// else an int64, else a double (MongoDB's EJSON parser). Errors throw `reel::error`:
/// `reel.input.invalid_json` with the byte offset in the message, `reel.input.invalid_ejson`
/// with the JSON pointer of a malformed wrapper as `where`.
///
/// **Output** (`write_ejson`): compact, one line, appended to a caller's buffer that can be
/// reused (nothing is allocated per value once the buffer has grown):
/// - relaxed: int32/int64/finite doubles as JSON numbers, `{"$date":"…Z"}` for 1970–9999;
/// - canonical: every number typed (`{"$numberInt":"5"}`, `{"$numberLong":"5"}`,
///   `{"$numberDouble":"1.5"}`), dates `{"$date":{"$numberLong":"…"}}`;
/// - basic: plain JSON for consumers that know no EJSON: dates as epoch milliseconds, ObjectIds
///   as hex strings, decimals as numbers, non-finite doubles as null;
/// and `dates_as_iso8601` (`dateFormat: "ISO8601"`) writing every date as its ISO-8601 string.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "reel/bson/arena.hpp"
#include "reel/bson/value.hpp"

namespace reel::bson {

/// Deepest nesting of documents and arrays accepted from text.
inline constexpr std::size_t max_nesting_depth = 200;

/// Parses JSON texts into values, reusing its parser and scratch space from one text to the next.
class ejson_reader {
 public:
  ejson_reader();
  ~ejson_reader();
  ejson_reader(ejson_reader&&) noexcept;
  ejson_reader& operator=(ejson_reader&&) noexcept;

  /// The value of `text` (any JSON value; a document for stream input), built in `memory`.
  [[nodiscard]] value parse(std::string_view text, arena& memory);
  /// The same with nlohmann's SAX parser, whatever the build (the fallback; for tests).
  [[nodiscard]] value parse_with_fallback(std::string_view text, arena& memory);

  /// Whether `parse` uses simdjson.
  [[nodiscard]] static bool uses_simdjson() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One-off parse (a reader per call: for tests and cold paths).
[[nodiscard]] value parse_ejson(std::string_view text, arena& memory);

enum class ejson_format { relaxed, canonical, basic };

struct ejson_options {
  ejson_format format = ejson_format::relaxed;
  bool dates_as_iso8601 = false;  ///< `dateFormat: "ISO8601"`: dates as plain ISO strings
};

/// Appends `v` as Extended JSON. A missing value writes nothing; missing fields are left out.
void write_ejson(std::string& out, const value& v, const ejson_options& options = {});
[[nodiscard]] std::string to_ejson(const value& v, const ejson_options& options = {});

/// A double as relaxed JSON writes it (shortest round trip: `2.5`, `1.0`, `1e+20`; `NaN`,
/// `Infinity`, `-Infinity` for the others): also `$toString` of a double.
void append_double_text(std::string& out, double d);

}  // namespace reel::bson
