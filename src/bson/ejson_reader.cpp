// SPDX-License-Identifier: Apache-2.0
// JSON text → value: simdjson's DOM parser (validates the whole text, then a walk over its tape
// feeds the decoder) or nlohmann's SAX parser (the fallback, and the error path: it knows the
// byte offset of a mistake, which simdjson's DOM does not report).
#include <nlohmann/json.hpp>

#include <string>

#include "ejson_decoder.hh"
#include "reel/bson/ejson.hpp"
#include "reel/error.hpp"

#if defined(REEL_HAVE_SIMDJSON)
#include <simdjson.h>
#endif

namespace reel::bson {
namespace {

/// The 0-based byte offset where nesting first exceeds `max_nesting_depth`.
std::size_t depth_overflow_offset(std::string_view text) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_nesting_depth) return i;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    }
  }
  return text.size();
}

[[noreturn]] void too_deep(std::string_view text) {
  throw_error("reel.input.invalid_json", "",
              "invalid JSON at byte " + std::to_string(depth_overflow_offset(text)) +
                  ": nesting deeper than " + std::to_string(max_nesting_depth) + " levels");
}

/// nlohmann's message without its `[json.exception…] parse error at line L, column C: ` prefix.
std::string strip_nlohmann_prefix(const std::string& what) {
  const auto col = what.find("column ");
  if (col != std::string::npos) {
    const auto colon = what.find(": ", col);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

/// nlohmann's SAX events into the decoder.
struct sax_handler {
  detail::ejson_decoder* decoder;
  bool deep = false;
  std::size_t error_position = 0;
  std::string error_message;

  bool null() {
    decoder->null();
    return true;
  }
  bool boolean(bool b) {
    decoder->boolean(b);
    return true;
  }
  bool number_integer(std::int64_t n) {
    decoder->integer(n);
    return true;
  }
  bool number_unsigned(std::uint64_t n) {
    decoder->unsigned_integer(n);
    return true;
  }
  bool number_float(double d, const std::string&) {
    decoder->floating(d);
    return true;
  }
  bool string(std::string& s) {
    decoder->string(s);
    return true;
  }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool start_object(std::size_t) { return decoder->start_object() || (deep = true, false); }
  bool key(std::string& k) {
    decoder->key(k);
    return true;
  }
  bool end_object() {
    decoder->end_object();
    return true;
  }
  bool start_array(std::size_t) { return decoder->start_array() || (deep = true, false); }
  bool end_array() {
    decoder->end_array();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error_position = position;
    error_message = e.what();
    return false;
  }
};

}  // namespace

struct ejson_reader::impl {
  arena placeholder{64};
  detail::ejson_decoder decoder{placeholder};
#if defined(REEL_HAVE_SIMDJSON)
  simdjson::dom::parser parser;
  std::string padded;  // the text followed by simdjson's padding, reused

  bool walk(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
      case element_type::OBJECT:
        if (!decoder.start_object()) return false;
        for (auto member : simdjson::dom::object(e)) {
          decoder.key(member.key);
          if (!walk(member.value)) return false;
        }
        decoder.end_object();
        return true;
      case element_type::ARRAY:
        if (!decoder.start_array()) return false;
        for (auto item : simdjson::dom::array(e)) {
          if (!walk(item)) return false;
        }
        decoder.end_array();
        return true;
      case element_type::STRING:
        decoder.string(std::string_view(e));
        return true;
      case element_type::INT64:
        decoder.integer(std::int64_t(e));
        return true;
      case element_type::UINT64:
        decoder.unsigned_integer(std::uint64_t(e));
        return true;
      case element_type::DOUBLE:
        decoder.floating(double(e));
        return true;
      case element_type::BOOL:
        decoder.boolean(bool(e));
        return true;
      case element_type::NULL_VALUE:
        decoder.null();
        return true;
    }
    return true;
  }
#endif

  value parse_fallback(std::string_view text, arena& memory) {
    decoder.reset(memory);
    sax_handler handler{&decoder};
    const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &handler);
    if (ok) return decoder.result();
    if (handler.deep) too_deep(text);
    const std::size_t byte = handler.error_position > 0 ? handler.error_position - 1 : 0;
    throw_error("reel.input.invalid_json", "",
                "invalid JSON at byte " + std::to_string(byte) + ": " +
                    strip_nlohmann_prefix(handler.error_message));
  }
};

ejson_reader::ejson_reader() : impl_(std::make_unique<impl>()) {}
ejson_reader::~ejson_reader() = default;
ejson_reader::ejson_reader(ejson_reader&&) noexcept = default;
ejson_reader& ejson_reader::operator=(ejson_reader&&) noexcept = default;

bool ejson_reader::uses_simdjson() noexcept {
#if defined(REEL_HAVE_SIMDJSON)
  return true;
#else
  return false;
#endif
}

value ejson_reader::parse(std::string_view text, arena& memory) {
#if defined(REEL_HAVE_SIMDJSON)
  impl& m = *impl_;
  m.padded.assign(text);
  m.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  if (m.parser.parse(m.padded.data(), text.size(), false).get(root) == simdjson::SUCCESS) {
    m.decoder.reset(memory);
    if (!m.walk(root)) too_deep(text);
    return m.decoder.result();
  }
  // simdjson refused the text: nlohmann says where and why (or, for the few texts only it takes,
  // such as integers beyond 64 bits, reads them as doubles).
#endif
  return impl_->parse_fallback(text, memory);
}

value ejson_reader::parse_with_fallback(std::string_view text, arena& memory) {
  return impl_->parse_fallback(text, memory);
}

value parse_ejson(std::string_view text, arena& memory) {
  ejson_reader reader;
  return reader.parse(text, memory);
}

}  // namespace reel::bson
