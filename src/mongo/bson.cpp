// SPDX-License-Identifier: Apache-2.0
#include "bson.hh"

#include <string>

#include "reel/json/ejson.hpp"
#include "reel/json/value.hpp"

namespace reel::mongo::detail {

bson_ptr to_bson(const document& doc, bson_error_t* error) {
  const std::string text = json::to_canonical_ejson(doc);
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                 static_cast<ssize_t>(text.size()), error);
  return bson_ptr(b);
}

bson_ptr to_bson_value_doc(const document& value, bson_error_t* error) {
  document wrapper = document::object();
  wrapper["v"] = value;
  return to_bson(wrapper, error);
}

document from_bson(const bson_t* b) {
  size_t length = 0;
  char* text = bson_as_canonical_extended_json(b, &length);
  if (!text) return document::object();
  document d;
  try {
    d = json::parse_ejson_line(std::string_view(text, length));
  } catch (...) {
    bson_free(text);
    throw;
  }
  bson_free(text);
  return d;
}

document new_object_id() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return document{{"$oid", std::string(hex, 24)}};
}

}  // namespace reel::mongo::detail
