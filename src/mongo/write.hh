// SPDX-License-Identifier: Apache-2.0
// Private: one-document and bulk writes shared by the $merge and insert sinks.
#pragma once

#include <cstdint>
#include <string>

#include "bson.hh"
#include "client.hh"

namespace reel::mongo::detail {

/// What one bulk execution gave.
struct bulk_outcome {
  bool ok = true;
  bson_error_t error{};
  std::int64_t matched = 0, removed = 0, upserted = 0, inserted = 0;
  bool has_write_error = false;
  std::uint32_t write_error_index = 0;
  std::uint32_t write_error_code = 0;
  std::string write_error_message;
  error_kind kind = error_kind::server;
};

/// Executes `bulk`; throws a transient `reel::mongo::error` (for `with_retries`), else returns the
/// outcome (failed or not).
bulk_outcome execute_bulk(mongoc_bulk_operation_t* bulk, const std::string& where,
                          const std::string& what);

/// `errmsg (domain=D code=C)`, the reason of a rejected document.
std::string reason_of(const bulk_outcome& o);
std::string reason_of(const bson_error_t& e);

/// `{"upsert": value}`.
bson_ptr upsert_opts(bool value);

/// True for duplicate-key errors (11000, 11001).
inline bool is_duplicate_key(std::uint32_t code) {
  return code == 11000 || code == 11001;
}

}  // namespace reel::mongo::detail
