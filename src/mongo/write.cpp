// SPDX-License-Identifier: Apache-2.0
#include "write.hh"

namespace reel::mongo::detail {

bulk_outcome execute_bulk(mongoc_bulk_operation_t* bulk, const std::string& where,
                          const std::string& what) {
  bulk_outcome o;
  bson_value reply;
  if (mongoc_bulk_operation_execute(bulk, reply.get(), &o.error) != 0) {
    o.matched = reply_count(reply.get(), "nMatched");
    o.removed = reply_count(reply.get(), "nRemoved");
    o.upserted = reply_count(reply.get(), "nUpserted");
    o.inserted = reply_count(reply.get(), "nInserted");
    return o;
  }
  o.ok = false;
  o.has_write_error = first_write_error(reply.get(), o.write_error_index, o.write_error_code,
                                        o.write_error_message);
  o.kind = o.has_write_error ? error_kind::data : classify(o.error, reply.get());
  // A write error of a retryable kind (not primary, shutting down) is transient too.
  if (o.has_write_error && classify(o.error, reply.get()) == error_kind::transient) {
    o.kind = error_kind::transient;
  }
  o.matched = reply_count(reply.get(), "nMatched");
  o.removed = reply_count(reply.get(), "nRemoved");
  o.upserted = reply_count(reply.get(), "nUpserted");
  o.inserted = reply_count(reply.get(), "nInserted");
  if (o.kind == error_kind::transient)
    raise("reel.mongo.write_failed", where, what, o.error, reply.get());
  return o;
}

std::string reason_of(const bson_error_t& e) {
  return std::string(e.message) + " (domain=" + std::to_string(e.domain) +
         " code=" + std::to_string(e.code) + ")";
}

std::string reason_of(const bulk_outcome& o) {
  if (o.has_write_error && !o.write_error_message.empty()) {
    return o.write_error_message + " (domain=" + std::to_string(o.error.domain) +
           " code=" + std::to_string(o.write_error_code) + ")";
  }
  return reason_of(o.error);
}

bson_ptr upsert_opts(bool value) {
  bson_t* b = bson_new();
  BSON_APPEND_BOOL(b, "upsert", value);
  return bson_ptr(b);
}

}  // namespace reel::mongo::detail
