// SPDX-License-Identifier: Apache-2.0
// Recorded change events for the change-stream tests.
#pragma once

#include <string>
#include <utility>

#include "reel/mongo/change_stream.hpp"
#include "reel/time.hpp"
#include "support.hpp"

namespace mongo_test {

/// Change events as a server records them with post-images: `t` seconds into 2024-06-01T20:00Z.
inline document event(int n, const char* op, int id, int t, const char* coll = "orders",
                      document full = nullptr) {
  document e = {
      {"_id", {{"_data", "82" + std::to_string(1000 + n)}}},
      {"operationType", op},
      {"clusterTime", {{"$timestamp", {{"t", 1717272000 + t}, {"i", 1}}}}},
      {"wallTime",
       {{"$date", reel::format_iso8601(reel::from_millis((1717272000LL + t) * 1000 + 250))}}},
      {"ns", {{"db", "shop"}, {"coll", coll}}},
      {"documentKey", {{"_id", id}}}};
  if (std::string(op) != "delete") {
    e["fullDocument"] = full.is_null() ? document{{"_id", id}, {"qty", n}} : full;
  }
  if (std::string(op) == "update") {
    e["updateDescription"] = {{"updatedFields", {{"qty", n}}},
                              {"removedFields", document::array()}};
  }
  return e;
}

inline reel::mongo::change_stream_options orders(std::string full_document = "default",
                                                 bool only = false) {
  reel::mongo::change_stream_options o;
  o.db = "shop";
  o.colls = {"orders"};
  o.full_document = std::move(full_document);
  o.full_document_only = only;
  return o;
}

}  // namespace mongo_test
