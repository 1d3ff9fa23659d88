// SPDX-License-Identifier: Apache-2.0
/// \file
/// The size and depth limits of values built by expressions (docs/semantics.md §17): a string,
/// array or document an operator builds may weigh at most `max_document_bytes` (16 MiB) and
/// nest at most `max_document_depth` (200) levels, as MongoDB bounds a document
/// (`BSONObjMaxUserSize`, `BSONDepth::kDefaultMaxAllowableDepth`). The operators that grow a
/// value (`$concat`, `$concatArrays`, `$range`, `$map`, `$reduce`) check their result as they
/// build it; an evaluation over a limit fails with `reel.expression.too_large` or
/// `reel.expression.too_deep`, which sends the event to the DLQ.
///
/// A value's weight approximates its BSON size without building it: a string counts its bytes
/// plus 5, a number, date or other scalar 8 (16 for Decimal128's wrapper), a field its name plus
/// 2, an array or document 5 plus one byte per element.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/detail/expr_core.hpp"
#include "reel/limits.hpp"

namespace reel::json::detail {

/// `$concat`, or "an expression" for a literal.
inline std::string builder_name(const node& n) {
  return n.op.empty() ? std::string("an expression") : std::string(n.op);
}

[[noreturn]] inline void value_too_large(const node& n, std::string_view what) {
  throw_error("reel.expression.too_large", n.where,
              builder_name(n) + " would build " + std::string(what) + " of more than " +
                  std::to_string(max_document_bytes) +
                  " bytes (16 MiB, MongoDB's largest document)");
}

[[noreturn]] inline void value_too_deep(const node& n) {
  throw_error("reel.expression.too_deep", n.where,
              builder_name(n) + " would build a value nested more than " +
                  std::to_string(max_document_depth) + " levels deep (MongoDB's limit)");
}

/// Weight of a scalar (see the file comment).
inline std::size_t scalar_bytes(const document& v) noexcept {
  return v.is_string() ? v.get_ref<const std::string&>().size() + 5 : 8;
}

/// The weight of `v` added to `bytes`, checking the limits on the way: throws `too_large` as
/// soon as the total passes `max_document_bytes`, `too_deep` when `v` nests deeper than
/// `max_document_depth - level` (`level`: the levels above `v` in what is being built). Walks
/// only as far as the limits allow, without recursion.
inline std::size_t add_value_bytes(const node& n, const document& v, std::size_t bytes,
                                   std::size_t level = 0) {
  if (!v.is_structured()) {
    bytes += scalar_bytes(v);
    if (bytes > max_document_bytes) value_too_large(n, "a value");
    return bytes;
  }
  thread_local std::vector<std::pair<const document*, std::size_t>> stack;
  stack.clear();
  stack.emplace_back(&v, level + 1);
  while (!stack.empty()) {
    const auto [d, depth] = stack.back();
    stack.pop_back();
    if (depth > max_document_depth) value_too_deep(n);
    bytes += 5;
    if (d->is_object()) {
      for (const auto& [key, e] : d->items()) {
        bytes += key.size() + 2;
        if (e.is_structured()) {
          stack.emplace_back(&e, depth + 1);
        } else {
          bytes += scalar_bytes(e);
        }
      }
    } else {
      for (const auto& e : *d) {
        bytes += 1;
        if (e.is_structured()) {
          stack.emplace_back(&e, depth + 1);
        } else {
          bytes += scalar_bytes(e);
        }
      }
    }
    if (bytes > max_document_bytes) value_too_large(n, "a value");
  }
  return bytes;
}

/// Checks a whole value an operator built (`$reduce`'s accumulated value).
inline void check_built_value(const node& n, const document& v) {
  (void)add_value_bytes(n, v, 0);
}

}  // namespace reel::json::detail
