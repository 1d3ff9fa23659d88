// SPDX-License-Identifier: Apache-2.0
/// \file
/// The stream processor's projected input (DESIGN.md §7): when the compiled pipeline reads a
/// known set of top-level fields of its input documents and keeps no input document whole, a
/// message's bytes are parsed into a document holding only those fields. Parsing is checked as
/// fully as `parse_ejson_line` checks it, and a text that it does not accept is parsed again by
/// `parse_ejson_line`, which decides (and explains the error). The processor rebuilds the whole
/// document from the bytes for the rare event that needs it (a DLQ record).
///
/// With simdjson (`REEL_HAVE_SIMDJSON`, set by Reel's CMake package when it finds simdjson) the
/// bytes are read by simdjson's DOM parser; without, by nlohmann's parser with a builder that
/// skips the other fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/json/compile.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/value.hpp"

#if REEL_HAVE_SIMDJSON
#include "reel/json/detail/simdjson_reader.hpp"
#endif

namespace reel::json::detail {

/// The top-level fields of an input document that `p` reads, when that is all it needs of one:
/// events go into a window whose pipeline starts with a `$group` aggregated as they arrive (the
/// window keeps the group values, not the documents), the stages before it are filters, and
/// every part that reads the documents (`timeField`, the filters, `partitionBy`, the `$group`
/// key and accumulators) says which fields it reads. Empty otherwise.
inline std::optional<std::vector<std::string>> projected_input_fields(const compiled_pipeline& p) {
  if (!p.window || !p.window->group) return std::nullopt;
  field_usage fields;
  if (p.source.time_field) fields.add(p.source.time_field->fields_read());
  for (const auto* stages : {&p.before_window, &p.window->per_event}) {
    for (const auto& stage : *stages) {
      const std::optional<field_usage> read = stage->filter_fields();
      if (!read) return std::nullopt;
      fields.add(*read);
    }
  }
  if (p.window->partition_by) fields.add(p.window->partition_by->fields_read());
  fields.add(p.window->group->id.fields_read());
  for (const auto& acc : p.window->group->accumulators) {
    const std::optional<field_usage> read = acc->fields_read();
    if (!read) return std::nullopt;
    fields.add(*read);
  }
  if (fields.whole()) return std::nullopt;
  return fields.names();
}

/// Parses message bytes keeping only the given top-level fields.
class projected_reader {
 public:
  explicit projected_reader(std::vector<std::string> fields) : fields_(std::move(fields)) {}

  /// The document `parse_ejson_line(text)` would give, with only the fields; false when `text`
  /// should be parsed by `parse_ejson_line` instead (it may not be JSON, or not an object).
  bool read(std::string_view text, document& out) {
#if REEL_HAVE_SIMDJSON
    return simdjson_.read(text, fields_, out) && out.is_object();
#else
    return parse_ejson_fields(text, fields_, out) && out.is_object();
#endif
  }

 private:
  std::vector<std::string> fields_;
#if REEL_HAVE_SIMDJSON
  simdjson_reader simdjson_;
#endif
};

}  // namespace reel::json::detail
