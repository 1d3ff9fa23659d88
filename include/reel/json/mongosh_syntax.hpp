// SPDX-License-Identifier: Apache-2.0
/// \file
/// Reads pipeline definitions written either as strict JSON or in the mongosh (JavaScript
/// literal) syntax of the Atlas Stream Processing documentation, so examples paste as they are.
///
/// Accepted on top of JSON:
/// - unquoted keys: identifiers, `$`-prefixed (`$match`) and dotted (`obs.watts`) ones, and
///   digit-only keys;
/// - single- and double-quoted strings with JavaScript escapes (`\n \t \r \b \f \v \0 \xHH
///   \uHHHH \u{H…}`, line continuations; any other escaped character stands for itself);
/// - `//` and `/* */` comments, trailing commas, a final `;`, and U+00A0/U+FEFF as white space;
/// - numbers with `+`, leading or trailing `.`, exponents (no hexadecimal, octal or binary);
/// - `undefined` (read as `null`);
/// - `ISODate("…")`, `new Date("…")`, `new Date(<ms>)` → `{"$date": "…Z"}` (normalised through
///   `reel::parse_iso8601`/`reel::format_iso8601`);
/// - `NumberInt(5)`, `NumberLong(5)`, `NumberLong("5")` → integers; `NumberDecimal("1.5")` →
///   `{"$numberDecimal": "1.5"}`; `ObjectId("…")` → `{"$oid": "…"}`; `Timestamp(t, i)` →
///   `{"$timestamp": {"t": t, "i": i}}` (each also after `new`);
/// - regular expression literals `/^a/i` → `{"$regularExpression": {"pattern", "options"}}`;
/// - a bare list of stages `{ $source: … }, { $emit: … }` (no brackets) is read as an array.
///
/// Integers that fit in 64 bits are signed integers, other numbers doubles. A key repeated in one
/// object is an error (mongosh would silently keep the last one). The `sp.process(…)` or
/// `sp.createStreamProcessor(…)` call around a pipeline is not part of the syntax: give the array.
///
/// Errors throw `reel::error` with id `reel.syntax.error`, `where` = `<origin>:<line>:<column>`
/// (1-based; columns count characters; `<line>:<column>` when `origin` is empty) and a message
/// such as `expected ',' or '}' after object member, found 'b'` or `unterminated string`.
///
/// **Example**
/// ```cpp
/// auto pipeline = reel::json::parse_pipeline_text(R"js([
///   { $source: { connectionName: 'sample_stream_solar',
///                timeField: { $dateFromString: { dateString: '$timestamp' } } } },
///   { $tumblingWindow: { interval: { size: NumberInt(10), unit: 'second' },  // 10 s windows
///       pipeline: [ { $group: { _id: '$group_id', max_watts: { $max: '$obs.watts' } } } ] } },
/// ])js", "solar.js");
/// pipeline[1]["$tumblingWindow"]["interval"]["size"];  // 10
/// ```
///
/// The reader is compiled once in the `reel::json` library (`src/json/mongosh_syntax.cpp`).
#pragma once

#include <string_view>

#include "reel/json/value.hpp"

namespace reel::json {

/// Parses a pipeline (or any value) written as strict JSON or in mongosh syntax; see the file
/// comment for the accepted syntax. `origin` names the text in error locations (a file name).
///
/// Throws `reel::error` with id `reel.syntax.error` and `where` = `<origin>:<line>:<column>`.
document parse_pipeline_text(std::string_view text, std::string_view origin = "");

}  // namespace reel::json
