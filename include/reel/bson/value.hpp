// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::bson::value`: one BSON value in 16 bytes, trivially copyable, never owning.
///
/// A value is a type tag plus 12 bytes of payload. Scalars (numbers, bool, date, timestamp) live
/// in the value itself; strings, documents, arrays, binData, ObjectIds, Decimal128 and regexes
/// point into memory that someone else owns: an `arena` (one per message or batch, see
/// arena.hpp), an `owned_value` (a compact copy that window state keeps, see owned.hpp) or the
/// input buffer. A document is a contiguous run of `field`s in input order (MongoDB keeps field
/// order); an array a contiguous run of values. Reading never allocates.
///
/// `missing` is not a BSON type: it is what a field lookup returns when the field is absent, and
/// what aggregation expressions see for `$undefinedField` (MongoDB's "missing").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace reel::bson {

/// BSON element types with their wire codes (bsonspec.org), plus `missing` (0x00, never written).
enum class type : std::uint8_t {
  missing = 0x00,
  double_ = 0x01,
  string = 0x02,
  document = 0x03,
  array = 0x04,
  binary = 0x05,
  undefined = 0x06,
  object_id = 0x07,
  boolean = 0x08,
  date = 0x09,
  null = 0x0A,
  regex = 0x0B,
  code = 0x0D,
  symbol = 0x0E,
  int32 = 0x10,
  timestamp = 0x11,
  int64 = 0x12,
  decimal128 = 0x13,
  min_key = 0xFF,
  max_key = 0x7F,
};

/// MongoDB's `$type` name of a type (`"double"`, `"long"`, `"objectId"`, …; `"missing"`).
[[nodiscard]] std::string_view type_name(type t) noexcept;

/// A Decimal128 in BSON's byte layout (IEEE 754-2008 BID, little-endian). Arithmetic and text
/// conversions are in decimal.hpp.
struct decimal128 {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const decimal128&, const decimal128&) = default;
};

/// A 12-byte ObjectId.
struct object_id {
  std::array<std::uint8_t, 12> bytes{};
  friend bool operator==(const object_id&, const object_id&) = default;
};

/// A BSON Timestamp: seconds and increment, compared as one unsigned 64-bit number.
struct timestamp_value {
  std::uint32_t t = 0;
  std::uint32_t i = 0;
  friend bool operator==(const timestamp_value&, const timestamp_value&) = default;
};

struct field;

/// One BSON value (see the file comment). Build values with the static factories when the
/// payload is already stored somewhere that outlives the value, or with `arena`/`builder`.
class value {
 public:
  constexpr value() noexcept = default;

  // ---- factories (payload memory is not copied) ----
  static constexpr value missing() noexcept { return value{}; }
  static constexpr value null() noexcept { return value(type::null); }
  static constexpr value undefined() noexcept { return value(type::undefined); }
  static constexpr value min_key() noexcept { return value(type::min_key); }
  static constexpr value max_key() noexcept { return value(type::max_key); }
  static constexpr value boolean(bool b) noexcept {
    value v(type::boolean);
    v.u_.i64 = b ? 1 : 0;
    return v;
  }
  static constexpr value int32(std::int32_t n) noexcept {
    value v(type::int32);
    v.u_.i64 = n;
    return v;
  }
  static constexpr value int64(std::int64_t n) noexcept {
    value v(type::int64);
    v.u_.i64 = n;
    return v;
  }
  static constexpr value double_(double d) noexcept {
    value v(type::double_);
    v.u_.f64 = d;
    return v;
  }
  /// Epoch milliseconds (UTC).
  static constexpr value date(std::int64_t millis) noexcept {
    value v(type::date);
    v.u_.i64 = millis;
    return v;
  }
  static constexpr value timestamp(timestamp_value ts) noexcept {
    value v(type::timestamp);
    v.u_.u64 = (std::uint64_t{ts.t} << 32) | ts.i;
    return v;
  }
  /// `s` must outlive the value. Also for `code` and `symbol` (same payload as a string).
  static value string(std::string_view s, type t = type::string) noexcept {
    value v(t);
    v.size_ = static_cast<std::uint32_t>(s.size());
    v.u_.chars = s.data();
    return v;
  }
  static value decimal(const decimal128* d) noexcept {
    value v(type::decimal128);
    v.u_.bytes = d ? d->bytes.data() : nullptr;  // null while a copy is only being sized
    return v;
  }
  static value oid(const object_id* id) noexcept {
    value v(type::object_id);
    v.u_.bytes = id ? id->bytes.data() : nullptr;  // null while a copy is only being sized
    return v;
  }
  static value binary(std::span<const std::uint8_t> data, std::uint8_t subtype) noexcept {
    value v(type::binary);
    v.sub_ = subtype;
    v.size_ = static_cast<std::uint32_t>(data.size());
    v.u_.bytes = data.data();
    return v;
  }
  /// `pattern_and_options` holds the pattern, a NUL, the options and a NUL (BSON's layout).
  static value regex(const char* pattern_and_options, std::size_t pattern_size) noexcept {
    value v(type::regex);
    v.size_ = static_cast<std::uint32_t>(pattern_size);
    v.u_.chars = pattern_and_options;
    return v;
  }
  static value document(std::span<const field> fields) noexcept;
  static value array(std::span<const value> elements) noexcept {
    value v(type::array);
    v.size_ = static_cast<std::uint32_t>(elements.size());
    v.u_.values = elements.data();
    return v;
  }

  // ---- inspection ----
  [[nodiscard]] constexpr bson::type type() const noexcept { return type_; }
  [[nodiscard]] constexpr bool is_missing() const noexcept { return type_ == type::missing; }
  /// null, undefined or missing: what `$ifNull` and most operators treat as "nullish".
  [[nodiscard]] constexpr bool is_nullish() const noexcept {
    return type_ == type::null || type_ == type::undefined || type_ == type::missing;
  }
  [[nodiscard]] constexpr bool is_number() const noexcept {
    return type_ == type::int32 || type_ == type::int64 || type_ == type::double_ ||
           type_ == type::decimal128;
  }
  [[nodiscard]] constexpr bool is_document() const noexcept { return type_ == type::document; }
  [[nodiscard]] constexpr bool is_array() const noexcept { return type_ == type::array; }
  [[nodiscard]] constexpr bool is_string() const noexcept { return type_ == type::string; }

  // ---- payload accessors (precondition: the matching type) ----
  [[nodiscard]] constexpr bool as_bool() const noexcept { return u_.i64 != 0; }
  [[nodiscard]] constexpr std::int32_t as_int32() const noexcept {
    return static_cast<std::int32_t>(u_.i64);
  }
  /// int32, int64 or date payload.
  [[nodiscard]] constexpr std::int64_t as_int64() const noexcept { return u_.i64; }
  [[nodiscard]] constexpr double as_double() const noexcept { return u_.f64; }
  [[nodiscard]] constexpr std::int64_t as_date() const noexcept { return u_.i64; }
  [[nodiscard]] constexpr timestamp_value as_timestamp() const noexcept {
    return {static_cast<std::uint32_t>(u_.u64 >> 32), static_cast<std::uint32_t>(u_.u64)};
  }
  /// string, code or symbol payload.
  [[nodiscard]] std::string_view as_string() const noexcept { return {u_.chars, size_}; }
  [[nodiscard]] decimal128 as_decimal() const noexcept {
    decimal128 d;
    std::memcpy(d.bytes.data(), u_.bytes, 16);
    return d;
  }
  [[nodiscard]] object_id as_oid() const noexcept {
    object_id id;
    std::memcpy(id.bytes.data(), u_.bytes, 12);
    return id;
  }
  [[nodiscard]] std::span<const std::uint8_t> binary_data() const noexcept {
    return {u_.bytes, size_};
  }
  [[nodiscard]] constexpr std::uint8_t binary_subtype() const noexcept { return sub_; }
  [[nodiscard]] std::string_view regex_pattern() const noexcept { return {u_.chars, size_}; }
  [[nodiscard]] std::string_view regex_options() const noexcept {
    return std::string_view(u_.chars + size_ + 1);
  }
  [[nodiscard]] std::span<const field> fields() const noexcept;
  [[nodiscard]] std::span<const value> elements() const noexcept { return {u_.values, size_}; }
  /// Number of fields (document) or elements (array); payload size of strings and binData.
  [[nodiscard]] constexpr std::uint32_t size() const noexcept { return size_; }

  /// The value of field `name` of a document (the first one if a name repeats), or missing
  /// (also when this is not a document). Linear: documents in streams are small.
  [[nodiscard]] value operator[](std::string_view name) const noexcept;
  /// Element `i` of an array, or missing.
  [[nodiscard]] value at(std::size_t i) const noexcept {
    return type_ == type::array && i < size_ ? u_.values[i] : value{};
  }

  /// The raw payload pointer (for copying; see owned.hpp).
  [[nodiscard]] const void* payload_pointer() const noexcept { return u_.chars; }

 private:
  constexpr explicit value(bson::type t) noexcept : type_(t) {}

  bson::type type_ = type::missing;
  std::uint8_t sub_ = 0;  // binData subtype
  std::uint16_t spare_ = 0;
  std::uint32_t size_ = 0;
  union payload {
    std::int64_t i64;
    std::uint64_t u64;
    double f64;
    const char* chars;
    const std::uint8_t* bytes;
    const value* values;
    const field* fields;
  } u_{0};
};
static_assert(sizeof(value) == 16);
static_assert(std::is_trivially_copyable_v<value>);

/// One field of a document: name (pointing into the same storage as the value) and value.
struct field {
  const char* name_data = nullptr;
  std::uint32_t name_size = 0;
  value val;

  [[nodiscard]] std::string_view name() const noexcept { return {name_data, name_size}; }
};
static_assert(sizeof(field) == 32);

inline value value::document(std::span<const field> fields) noexcept {
  value v(type::document);
  v.size_ = static_cast<std::uint32_t>(fields.size());
  v.u_.fields = fields.data();
  return v;
}

inline std::span<const field> value::fields() const noexcept {
  return {u_.fields, size_};
}

inline value value::operator[](std::string_view name) const noexcept {
  if (type_ != type::document) return {};
  for (const field& f : fields()) {
    if (f.name() == name) return f.val;
  }
  return {};
}

}  // namespace reel::bson
