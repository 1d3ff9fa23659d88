// SPDX-License-Identifier: Apache-2.0
#include "reel/bson/bson_bytes.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include "reel/bson/builder.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/error.hpp"

namespace reel::bson {
namespace {

class bson_parser {
 public:
  bson_parser(std::span<const std::uint8_t> bytes, arena& memory)
      : in_(bytes), memory_(memory), builder_(memory) {}

  value parse() {
    document(0, false, 0);
    if (pos_ != in_.size()) fail(pos_, "trailing bytes after the document");
    return builder_.result();
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& why) const {
    throw_error("reel.input.invalid_bson", "",
                "invalid BSON at byte " + std::to_string(at) + ": " + why);
  }
  void need(std::size_t n) const {
    if (in_.size() - pos_ < n) fail(pos_, "truncated input");
  }
  template <class T>
  T read() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view cstring() {
    const auto* start = in_.data() + pos_;
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(start, 0, in_.size() - pos_));
    if (!nul) fail(pos_, "unterminated name or regex");
    const std::string_view s(reinterpret_cast<const char*>(start),
                             static_cast<std::size_t>(nul - start));
    pos_ += s.size() + 1;
    return s;
  }
  std::string_view string() {
    const std::size_t at = pos_;
    const auto len = read<std::int32_t>();
    if (len < 1 || static_cast<std::size_t>(len) > in_.size() - pos_) {
      fail(at, "string length " + std::to_string(len) + " does not fit the input");
    }
    if (in_[pos_ + static_cast<std::size_t>(len) - 1] != 0)
      fail(at, "string without its terminating NUL");
    const std::string_view s(reinterpret_cast<const char*>(in_.data() + pos_),
                             static_cast<std::size_t>(len) - 1);
    pos_ += static_cast<std::size_t>(len);
    return s;
  }

  void document(std::size_t depth, bool is_array, std::size_t) {
    if (depth >= max_nesting_depth) fail(pos_, "nesting deeper than 200 levels");
    const std::size_t start = pos_;
    const auto len = read<std::int32_t>();
    if (len < 5 || static_cast<std::size_t>(len) > in_.size() - start) {
      fail(start, "document length " + std::to_string(len));
    }
    const std::size_t end = start + static_cast<std::size_t>(len);
    if (is_array) {
      builder_.begin_array();
    } else {
      builder_.begin_document();
    }
    while (true) {
      if (pos_ >= end) fail(pos_, "document runs past its length");
      const std::size_t at = pos_;
      const auto t = read<std::uint8_t>();
      if (t == 0) break;
      const std::string_view name = cstring();
      if (!is_array) builder_.key(name);
      element(t, at, depth);
    }
    if (pos_ != end)
      fail(start, "document length " + std::to_string(len) + " does not match its content");
    builder_.end();
  }

  void element(std::uint8_t t, std::size_t at, std::size_t depth) {
    switch (static_cast<type>(t)) {
      case type::double_:
        return builder_.append(value::double_(read<double>()));
      case type::string:
      case type::code:
      case type::symbol:
        return builder_.append(memory_.string(string(), static_cast<type>(t)));
      case type::document:
        return document(depth + 1, false, at);
      case type::array:
        return document(depth + 1, true, at);
      case type::binary: {
        const auto len = read<std::int32_t>();
        const auto subtype = read<std::uint8_t>();
        if (len < 0) fail(at, "binary length " + std::to_string(len));
        need(static_cast<std::size_t>(len));
        builder_.append(
            memory_.binary({in_.data() + pos_, static_cast<std::size_t>(len)}, subtype));
        pos_ += static_cast<std::size_t>(len);
        return;
      }
      case type::undefined:
        return builder_.append(value::undefined());
      case type::object_id: {
        need(12);
        object_id id;
        std::memcpy(id.bytes.data(), in_.data() + pos_, 12);
        pos_ += 12;
        return builder_.append(memory_.oid(id));
      }
      case type::boolean: {
        const auto b = read<std::uint8_t>();
        if (b > 1) fail(at, "boolean byte " + std::to_string(b));
        return builder_.append(value::boolean(b == 1));
      }
      case type::date:
        return builder_.append(value::date(read<std::int64_t>()));
      case type::null:
        return builder_.append(value::null());
      case type::regex: {
        const std::string_view pattern = cstring();
        const std::string_view options = cstring();
        return builder_.append(memory_.regex(pattern, options));
      }
      case type::int32:
        return builder_.append(value::int32(read<std::int32_t>()));
      case type::timestamp: {
        const auto raw = read<std::uint64_t>();
        return builder_.append(value::timestamp(
            {static_cast<std::uint32_t>(raw >> 32), static_cast<std::uint32_t>(raw)}));
      }
      case type::int64:
        return builder_.append(value::int64(read<std::int64_t>()));
      case type::decimal128: {
        need(16);
        decimal128 d;
        std::memcpy(d.bytes.data(), in_.data() + pos_, 16);
        pos_ += 16;
        return builder_.append(memory_.decimal(d));
      }
      case type::min_key:
        return builder_.append(value::min_key());
      case type::max_key:
        return builder_.append(value::max_key());
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", t);
        fail(at, std::string("unsupported element type ") + hex);
      }
    }
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  arena& memory_;
  builder builder_;
};

template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
  const auto at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}
void put_bytes(std::vector<std::uint8_t>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}
void put_cstring(std::vector<std::uint8_t>& out, std::string_view s) {
  put_bytes(out, s.data(), s.size());
  out.push_back(0);
}

void put_value(std::vector<std::uint8_t>& out, const value& v);

void put_element(std::vector<std::uint8_t>& out, std::string_view name, const value& v) {
  if (v.is_missing()) return;
  out.push_back(static_cast<std::uint8_t>(v.type()));
  put_cstring(out, name);
  put_value(out, v);
}

void put_container(std::vector<std::uint8_t>& out, const value& v) {
  const std::size_t start = out.size();
  put<std::int32_t>(out, 0);
  if (v.is_document()) {
    for (const field& f : v.fields())
      put_element(out, f.name(), f.val);
  } else {
    char index[24];
    std::size_t i = 0;
    for (const value& e : v.elements()) {
      const int n = std::snprintf(index, sizeof index, "%zu", i++);
      put_element(out, std::string_view(index, static_cast<std::size_t>(n)),
                  e.is_missing() ? value::null() : e);
    }
  }
  out.push_back(0);
  const auto len = static_cast<std::int32_t>(out.size() - start);
  std::memcpy(out.data() + start, &len, 4);
}

void put_value(std::vector<std::uint8_t>& out, const value& v) {
  switch (v.type()) {
    case type::double_:
      return put(out, v.as_double());
    case type::string:
    case type::code:
    case type::symbol: {
      const auto s = v.as_string();
      put(out, static_cast<std::int32_t>(s.size() + 1));
      put_cstring(out, s);
      return;
    }
    case type::document:
    case type::array:
      return put_container(out, v);
    case type::binary: {
      const auto d = v.binary_data();
      put(out, static_cast<std::int32_t>(d.size()));
      out.push_back(v.binary_subtype());
      put_bytes(out, d.data(), d.size());
      return;
    }
    case type::object_id:
      return put_bytes(out, v.payload_pointer(), 12);
    case type::boolean:
      out.push_back(v.as_bool() ? 1 : 0);
      return;
    case type::date:
    case type::int64:
      return put(out, v.as_int64());
    case type::regex:
      put_cstring(out, v.regex_pattern());
      put_cstring(out, v.regex_options());
      return;
    case type::int32:
      return put(out, v.as_int32());
    case type::timestamp: {
      const auto t = v.as_timestamp();
      return put(out, (std::uint64_t{t.t} << 32) | t.i);
    }
    case type::decimal128:
      return put_bytes(out, v.payload_pointer(), 16);
    default:  // null, undefined, MinKey, MaxKey: no payload
      return;
  }
}

}  // namespace

value from_bson(std::span<const std::uint8_t> bytes, arena& memory) {
  return bson_parser(bytes, memory).parse();
}

void append_bson(std::vector<std::uint8_t>& out, const value& doc) {
  if (!doc.is_document()) {
    throw_error("reel.bson.not_a_document", "",
                std::string("BSON holds a document at its root, not a ") +
                    std::string(type_name(doc.type())));
  }
  put_container(out, doc);
}

}  // namespace reel::bson
