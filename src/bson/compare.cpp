// SPDX-License-Identifier: Apache-2.0
#include "reel/bson/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>

#include "reel/bson/decimal.hpp"

namespace reel::bson {

std::string_view type_name(type t) noexcept {
  switch (t) {
    case type::missing:
      return "missing";
    case type::double_:
      return "double";
    case type::string:
      return "string";
    case type::document:
      return "object";
    case type::array:
      return "array";
    case type::binary:
      return "binData";
    case type::undefined:
      return "undefined";
    case type::object_id:
      return "objectId";
    case type::boolean:
      return "bool";
    case type::date:
      return "date";
    case type::null:
      return "null";
    case type::regex:
      return "regex";
    case type::code:
      return "javascript";
    case type::symbol:
      return "symbol";
    case type::int32:
      return "int";
    case type::timestamp:
      return "timestamp";
    case type::int64:
      return "long";
    case type::decimal128:
      return "decimal";
    case type::min_key:
      return "minKey";
    case type::max_key:
      return "maxKey";
  }
  return "unknown";
}

int canonical_rank(type t) noexcept {
  switch (t) {
    case type::min_key:
      return -1;
    case type::missing:
    case type::undefined:
      return 0;
    case type::null:
      return 5;
    case type::int32:
    case type::int64:
    case type::double_:
    case type::decimal128:
      return 10;
    case type::string:
    case type::symbol:
      return 15;
    case type::document:
      return 20;
    case type::array:
      return 25;
    case type::binary:
      return 30;
    case type::object_id:
      return 35;
    case type::boolean:
      return 40;
    case type::date:
      return 45;
    case type::timestamp:
      return 47;
    case type::regex:
      return 50;
    case type::code:
      return 60;
    case type::max_key:
      return 127;
  }
  return 0;
}

namespace {

template <class T>
int three_way(const T& a, const T& b) noexcept {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t common = std::min(a.size(), b.size());
  // An empty view may hold a null pointer, which memcmp must not be given.
  const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  if (c != 0) return c < 0 ? -1 : 1;
  return three_way(a.size(), b.size());
}

bool is_integer_type(type t) noexcept {
  return t == type::int32 || t == type::int64;
}

/// An int64 against a double, exactly (no rounding of the integer).
int compare_long_double(std::int64_t i, double d) noexcept {
  if (std::isnan(d)) return 1;
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  const double t = std::trunc(d);
  const auto li = static_cast<std::int64_t>(t);
  if (i != li) return i < li ? -1 : 1;
  return t == d ? 0 : (d > t ? -1 : 1);
}

int compare_doubles(double a, double b) noexcept {
  const bool an = std::isnan(a), bn = std::isnan(b);
  if (an || bn) return an && bn ? 0 : (an ? -1 : 1);
  return three_way(a, b);
}

decimal128 to_decimal_exact(const value& v) {
  switch (v.type()) {
    case type::decimal128:
      return v.as_decimal();
    case type::double_:
      return decimal_from_double(v.as_double(), double_digits::thirty_four);
    default:
      return decimal_from_int64(v.as_int64());
  }
}

int compare_numbers(const value& a, const value& b) noexcept {
  const type ta = a.type(), tb = b.type();
  if (ta == type::decimal128 || tb == type::decimal128) {
    return decimal_compare(to_decimal_exact(a), to_decimal_exact(b));
  }
  if (is_integer_type(ta) && is_integer_type(tb)) return three_way(a.as_int64(), b.as_int64());
  if (is_integer_type(ta)) return compare_long_double(a.as_int64(), b.as_double());
  if (is_integer_type(tb)) return -compare_long_double(b.as_int64(), a.as_double());
  return compare_doubles(a.as_double(), b.as_double());
}

int sign(int c) noexcept {
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int compare(const value& a, const value& b) noexcept {
  const int ra = canonical_rank(a.type()), rb = canonical_rank(b.type());
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (a.type()) {
    case type::int32:
    case type::int64:
    case type::double_:
    case type::decimal128:
      return compare_numbers(a, b);
    case type::string:
    case type::symbol:
    case type::code:
      return compare_bytes(a.as_string(), b.as_string());
    case type::document: {
      const auto fa = a.fields(), fb = b.fields();
      const std::size_t n = std::min(fa.size(), fb.size());
      for (std::size_t i = 0; i < n; ++i) {
        const int rank_a = canonical_rank(fa[i].val.type()),
                  rank_b = canonical_rank(fb[i].val.type());
        if (rank_a != rank_b) return rank_a < rank_b ? -1 : 1;
        if (int c = compare_bytes(fa[i].name(), fb[i].name())) return c;
        if (int c = compare(fa[i].val, fb[i].val)) return c;
      }
      return three_way(fa.size(), fb.size());
    }
    case type::array: {
      const auto ea = a.elements(), eb = b.elements();
      const std::size_t n = std::min(ea.size(), eb.size());
      for (std::size_t i = 0; i < n; ++i) {
        if (int c = compare(ea[i], eb[i])) return c;
      }
      return three_way(ea.size(), eb.size());
    }
    case type::binary: {
      const auto da = a.binary_data(), db = b.binary_data();
      if (da.size() != db.size()) return three_way(da.size(), db.size());
      if (a.binary_subtype() != b.binary_subtype()) {
        return three_way(a.binary_subtype(), b.binary_subtype());
      }
      return da.empty() ? 0 : sign(std::memcmp(da.data(), db.data(), da.size()));
    }
    case type::object_id:
      return sign(std::memcmp(a.payload_pointer(), b.payload_pointer(), 12));
    case type::boolean:
      return three_way(a.as_bool(), b.as_bool());
    case type::date:
      return three_way(a.as_date(), b.as_date());
    case type::timestamp: {
      const auto x = a.as_timestamp(), y = b.as_timestamp();
      return three_way((std::uint64_t{x.t} << 32) | x.i, (std::uint64_t{y.t} << 32) | y.i);
    }
    case type::regex:
      if (int c = compare_bytes(a.regex_pattern(), b.regex_pattern())) return c;
      return compare_bytes(a.regex_options(), b.regex_options());
    default:  // missing, undefined, null, MinKey, MaxKey: one value each
      return 0;
  }
}

namespace {

std::size_t mix(std::size_t seed, std::size_t h) noexcept {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::size_t hash_number(const value& v) noexcept {
  // Equal numbers hash alike: integral values in int64 by that integer, others by the nearest
  // double (a decimal equal to a double converts back to exactly that double), NaN as one.
  std::int64_t integral = 0;
  double nearest = 0;
  switch (v.type()) {
    case type::int32:
    case type::int64:
      return std::hash<std::int64_t>{}(v.as_int64());
    case type::double_: {
      nearest = v.as_double();
      if (std::isnan(nearest)) return 0x7ff8;
      if (std::trunc(nearest) == nearest && nearest >= -9223372036854775808.0 &&
          nearest < 9223372036854775808.0) {
        return std::hash<std::int64_t>{}(static_cast<std::int64_t>(nearest));
      }
      break;
    }
    default: {
      const decimal128 d = v.as_decimal();
      if (decimal_is_nan(d)) return 0x7ff8;
      if (auto i = decimal_to_int64(d); i && decimal_compare(decimal_from_int64(*i), d) == 0) {
        integral = *i;
        return std::hash<std::int64_t>{}(integral);
      }
      nearest = decimal_to_double(d);
    }
  }
  return std::hash<double>{}(nearest == 0 ? 0.0 : nearest);
}

}  // namespace

std::size_t hash(const value& v) noexcept {
  std::size_t h = static_cast<std::size_t>(canonical_rank(v.type())) * 0x100000001b3ULL;
  switch (v.type()) {
    case type::int32:
    case type::int64:
    case type::double_:
    case type::decimal128:
      return mix(h, hash_number(v));
    case type::string:
    case type::symbol:
    case type::code:
      return mix(h, std::hash<std::string_view>{}(v.as_string()));
    case type::document:
      for (const field& f : v.fields()) {
        h = mix(h, std::hash<std::string_view>{}(f.name()));
        h = mix(h, hash(f.val));
      }
      return h;
    case type::array:
      for (const value& e : v.elements())
        h = mix(h, hash(e));
      return h;
    case type::binary: {
      const auto d = v.binary_data();
      h = mix(h, v.binary_subtype());
      return mix(h, std::hash<std::string_view>{}(
                        std::string_view(reinterpret_cast<const char*>(d.data()), d.size())));
    }
    case type::object_id:
      return mix(h, std::hash<std::string_view>{}(
                        std::string_view(static_cast<const char*>(v.payload_pointer()), 12)));
    case type::boolean:
    case type::date:
      return mix(h, std::hash<std::int64_t>{}(v.as_int64()));
    case type::timestamp: {
      const auto t = v.as_timestamp();
      return mix(h, std::hash<std::uint64_t>{}((std::uint64_t{t.t} << 32) | t.i));
    }
    case type::regex:
      h = mix(h, std::hash<std::string_view>{}(v.regex_pattern()));
      return mix(h, std::hash<std::string_view>{}(v.regex_options()));
    default:
      return h;
  }
}

}  // namespace reel::bson
