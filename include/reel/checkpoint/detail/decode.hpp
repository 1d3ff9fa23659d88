// SPDX-License-Identifier: Apache-2.0
/// \file
/// Reading checkpoint bytes (MessagePack) for `restore()`. nlohmann's MessagePack reader does not
/// check that strings are UTF-8, so a corrupted byte would pass `restore()` and make a later
/// `dump()` throw (in a user callback, far from the cause): every string and key is checked here.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "reel/detail/utf8.hpp"
#include "reel/error.hpp"

namespace reel::detail {

/// Whether every string and object key in `j` is valid UTF-8.
template <class Json>
bool strings_are_utf8(const Json& j) {
  if (j.is_string()) return is_valid_utf8(j.template get_ref<const std::string&>());
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!is_valid_utf8(it.key()) || !strings_are_utf8(it.value())) return false;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (!strings_are_utf8(v)) return false;
  }
  return true;
}

/// The checkpoint in `bytes`: discarded when they are not MessagePack; throws
/// `reel.checkpoint.invalid` when a string in it is not valid UTF-8.
inline nlohmann::json decode_checkpoint(std::string_view bytes) {
  nlohmann::json j = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (!j.is_discarded() && !strings_are_utf8(j)) {
    throw_error("reel.checkpoint.invalid", "",
                "malformed checkpoint: a string in it is not valid UTF-8");
  }
  return j;
}

}  // namespace reel::detail
