// SPDX-License-Identifier: Apache-2.0
// Private: libbson helpers (RAII and Extended JSON conversion). Never installed.
#pragma once

#include <bson/bson.h>

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace reel::mongo::detail {

using document = nlohmann::ordered_json;

/// An owned heap `bson_t` (a move-only handle; `bson_t` is over-aligned, so no unique_ptr).
class bson_ptr {
 public:
  bson_ptr() noexcept = default;
  explicit bson_ptr(bson_t* b) noexcept : b_(b) {}
  ~bson_ptr() { reset(); }
  bson_ptr(bson_ptr&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  bson_ptr& operator=(bson_ptr&& o) noexcept {
    if (this != &o) {
      reset();
      b_ = std::exchange(o.b_, nullptr);
    }
    return *this;
  }
  bson_ptr(const bson_ptr&) = delete;
  bson_ptr& operator=(const bson_ptr&) = delete;
  [[nodiscard]] bson_t* get() const noexcept { return b_; }
  bson_t* operator->() const noexcept { return b_; }
  explicit operator bool() const noexcept { return b_ != nullptr; }
  void reset() noexcept {
    if (b_) bson_destroy(b_);
    b_ = nullptr;
  }

 private:
  bson_t* b_ = nullptr;
};

/// A stack `bson_t` that is always initialised and destroyed (for replies).
class bson_value {
 public:
  bson_value() noexcept { bson_init(&b_); }
  ~bson_value() { bson_destroy(&b_); }
  bson_value(const bson_value&) = delete;
  bson_value& operator=(const bson_value&) = delete;
  bson_t* get() noexcept { return &b_; }
  const bson_t* get() const noexcept { return &b_; }
  /// Destroys and re-initialises (a reply buffer reused for another call).
  void reset() noexcept {
    bson_destroy(&b_);
    bson_init(&b_);
  }

 private:
  bson_t b_;
};

/// Converts a Reel document (relaxed or canonical Extended JSON) to BSON, through its canonical
/// Extended JSON text, so integers keep int32/int64, doubles stay doubles, `{"$date"}` becomes a
/// date and `{"$oid"}` an ObjectId. Returns null and fills `error` when libbson refuses it.
bson_ptr to_bson(const document& doc, bson_error_t* error);
/// Same, for a value that is not an object: `{"v": value}`.
bson_ptr to_bson_value_doc(const document& value, bson_error_t* error);

/// BSON to a Reel document (canonical Extended JSON, then normalised: plain numbers, relaxed
/// dates).
document from_bson(const bson_t* b);

/// A new ObjectId as `{"$oid": "..."}`.
document new_object_id();

}  // namespace reel::mongo::detail
