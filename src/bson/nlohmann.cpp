// SPDX-License-Identifier: Apache-2.0
#include "reel/bson/nlohmann.hpp"

#include "ejson_decoder.hh"
#include "reel/bson/decimal.hpp"
#include "reel/error.hpp"
#include "reel/time.hpp"
#include "text_codecs.hh"

namespace reel::bson {
namespace {

using json = nlohmann::ordered_json;

json wrapper(const char* key, json inner) {
  json j = json::object();
  j[key] = std::move(inner);
  return j;
}

void feed(const json& j, detail::ejson_decoder& d) {
  switch (j.type()) {
    case json::value_t::object:
      if (!d.start_object())
        throw_error("reel.input.invalid_json", "", "nesting deeper than 200 levels");
      for (auto it = j.begin(); it != j.end(); ++it) {
        d.key(it.key());
        feed(*it, d);
      }
      d.end_object();
      return;
    case json::value_t::array:
      if (!d.start_array())
        throw_error("reel.input.invalid_json", "", "nesting deeper than 200 levels");
      for (const json& e : j)
        feed(e, d);
      d.end_array();
      return;
    case json::value_t::string:
      return d.string(j.get_ref<const std::string&>());
    case json::value_t::boolean:
      return d.boolean(j.get<bool>());
    case json::value_t::number_integer:
      return d.integer(j.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return d.unsigned_integer(j.get<std::uint64_t>());
    case json::value_t::number_float:
      return d.floating(j.get<double>());
    default:  // null, discarded, binary
      return d.null();
  }
}

}  // namespace

json to_nlohmann(const value& v) {
  switch (v.type()) {
    case type::missing:
      return json(json::value_t::discarded);
    case type::null:
      return nullptr;
    case type::boolean:
      return v.as_bool();
    case type::int32:
    case type::int64:
      return v.as_int64();
    case type::double_:
      return v.as_double();
    case type::string:
      return std::string(v.as_string());
    case type::document: {
      json j = json::object();
      for (const field& f : v.fields()) {
        if (!f.val.is_missing()) j[std::string(f.name())] = to_nlohmann(f.val);
      }
      return j;
    }
    case type::array: {
      json j = json::array();
      for (const value& e : v.elements())
        j.push_back(e.is_missing() ? json(nullptr) : to_nlohmann(e));
      return j;
    }
    case type::date: {
      char iso[24];
      if (reel::detail::write_iso8601(iso, from_millis(v.as_date()))) {
        return wrapper("$date", std::string(iso, 24));
      }
      return wrapper("$date", wrapper("$numberLong", std::to_string(v.as_date())));
    }
    case type::decimal128:
      return wrapper("$numberDecimal", decimal_to_string(v.as_decimal()));
    case type::object_id: {
      std::string hex;
      const object_id id = v.as_oid();
      detail::append_hex(hex, id.bytes.data(), id.bytes.size());
      return wrapper("$oid", std::move(hex));
    }
    case type::binary: {
      std::string b64, sub;
      detail::append_base64(b64, v.binary_data());
      const std::uint8_t s = v.binary_subtype();
      detail::append_hex(sub, &s, 1);
      json inner = json::object();
      inner["base64"] = std::move(b64);
      inner["subType"] = std::move(sub);
      return wrapper("$binary", std::move(inner));
    }
    case type::regex: {
      json inner = json::object();
      inner["pattern"] = std::string(v.regex_pattern());
      inner["options"] = std::string(v.regex_options());
      return wrapper("$regularExpression", std::move(inner));
    }
    case type::timestamp: {
      json inner = json::object();
      inner["t"] = v.as_timestamp().t;
      inner["i"] = v.as_timestamp().i;
      return wrapper("$timestamp", std::move(inner));
    }
    case type::min_key:
      return wrapper("$minKey", 1);
    case type::max_key:
      return wrapper("$maxKey", 1);
    case type::undefined:
      return wrapper("$undefined", true);
    case type::symbol:
      return wrapper("$symbol", std::string(v.as_string()));
    case type::code:
      return wrapper("$code", std::string(v.as_string()));
  }
  return nullptr;
}

value from_nlohmann(const json& j, arena& memory) {
  detail::ejson_decoder decoder(memory);
  feed(j, decoder);
  return decoder.result();
}

}  // namespace reel::bson
