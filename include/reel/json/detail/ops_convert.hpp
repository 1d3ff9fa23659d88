// SPDX-License-Identifier: Apache-2.0
/// \file
/// Type conversion operators: `$convert $toInt $toLong $toDouble $toDecimal $toString $toBool
/// $toDate $toObjectId`. Decimal128 results are doubles. Unlike MongoDB, `$toDate` accepts
/// 32-bit integers too (plain JSON cannot tell an int from a long).
#pragma once

#include <unordered_map>

#include "reel/json/detail/datetime.hpp"
#include "reel/json/detail/expr_core.hpp"
#include "reel/json/detail/ops_string.hpp"

namespace reel::json::detail {

enum class convert_target { double_, string, object_id, boolean, date, int32, int64, decimal };

inline std::optional<convert_target> parse_convert_target(const document& to) {
  if (to.is_string()) {
    const auto& s = to.get_ref<const std::string&>();
    if (s == "double") return convert_target::double_;
    if (s == "string") return convert_target::string;
    if (s == "objectId") return convert_target::object_id;
    if (s == "bool") return convert_target::boolean;
    if (s == "date") return convert_target::date;
    if (s == "int") return convert_target::int32;
    if (s == "long") return convert_target::int64;
    if (s == "decimal") return convert_target::decimal;
    return std::nullopt;
  }
  if (auto i = integral_of(to)) {
    switch (*i) {
      case 1:
        return convert_target::double_;
      case 2:
        return convert_target::string;
      case 7:
        return convert_target::object_id;
      case 8:
        return convert_target::boolean;
      case 9:
        return convert_target::date;
      case 16:
        return convert_target::int32;
      case 18:
        return convert_target::int64;
      case 19:
        return convert_target::decimal;
      default:
        return std::nullopt;
    }
  }
  if (to.is_object() && to.contains("type")) return parse_convert_target(to["type"]);
  return std::nullopt;
}

inline const char* target_name(convert_target t) noexcept {
  switch (t) {
    case convert_target::double_:
      return "double";
    case convert_target::string:
      return "string";
    case convert_target::object_id:
      return "objectId";
    case convert_target::boolean:
      return "bool";
    case convert_target::date:
      return "date";
    case convert_target::int32:
      return "int";
    case convert_target::int64:
      return "long";
    case convert_target::decimal:
      return "decimal";
  }
  return "?";
}

/// Converts `v` (not null/missing) as `$convert` does; on failure returns false with `error`.
inline bool convert_value(const document& v, convert_target to, document& out, std::string& error) {
  const bson_type from = type_of(v);
  auto unsupported = [&] {
    error = "Unsupported conversion from " + type_name(v) + " to " + target_name(to) +
            " in $convert with no onError value";
    return false;
  };
  const auto num = as_numeric(v);
  switch (to) {
    case convert_target::double_:
    case convert_target::decimal: {
      if (num) {
        out = num->to_double();
        return true;
      }
      if (from == bson_type::boolean) {
        out = v.get<bool>() ? 1.0 : 0.0;
        return true;
      }
      if (from == bson_type::date) {
        out = static_cast<double>(date_millis_of(v).value_or(0));
        return true;
      }
      if (from == bson_type::string) {
        double d = 0;
        if (!parse_double(v.get_ref<const std::string&>(), d)) {
          error = "Failed to parse number '" + v.get<std::string>() +
                  "' in $convert with no onError value";
          return false;
        }
        out = d;
        return true;
      }
      return unsupported();
    }
    case convert_target::int32:
    case convert_target::int64: {
      const bool is32 = to == convert_target::int32;
      const std::int64_t lo = is32 ? INT32_MIN : INT64_MIN;
      const std::int64_t hi = is32 ? INT32_MAX : INT64_MAX;
      auto overflow = [&](const std::string& what) {
        error = "Conversion would overflow target type in $convert with no onError value: " + what;
        return false;
      };
      if (num) {
        if (num->integral()) {
          if (num->i < lo || num->i > hi) return overflow(std::to_string(num->i));
          out = num->i;
          return true;
        }
        if (std::isnan(num->d)) {
          error = "Attempt to convert NaN value to integer type in $convert with no onError value";
          return false;
        }
        const double t = std::trunc(num->d);
        if (!std::isfinite(t) || t < static_cast<double>(lo) || t >= -static_cast<double>(lo)) {
          return overflow(double_to_string(num->d));
        }
        out = static_cast<std::int64_t>(t);
        return true;
      }
      if (from == bson_type::boolean) {
        out = v.get<bool>() ? 1 : 0;
        return true;
      }
      if (from == bson_type::string) {
        std::int64_t x = 0;
        const auto& s = v.get_ref<const std::string&>();
        if (!parse_int64(s, x)) {
          error = "Failed to parse number '" + s + "' in $convert with no onError value";
          return false;
        }
        if (x < lo || x > hi) return overflow(s);
        out = x;
        return true;
      }
      if (from == bson_type::date && !is32) {
        out = date_millis_of(v).value_or(0);
        return true;
      }
      return unsupported();
    }
    case convert_target::boolean: {
      if (num) {
        out = num->integral() ? num->i != 0 : num->d != 0.0;
        return true;
      }
      switch (from) {
        case bson_type::boolean:
          out = v.get<bool>();
          return true;
        case bson_type::string:
        case bson_type::object_id:
        case bson_type::date:
        case bson_type::timestamp:
        case bson_type::regex:
        case bson_type::min_key:
        case bson_type::max_key:
          out = true;
          return true;
        default:
          return unsupported();
      }
    }
    case convert_target::string: {
      if (auto s = scalar_to_string(v)) {
        out = std::move(*s);
        return true;
      }
      return unsupported();
    }
    case convert_target::date: {
      if (num) {
        if (num->integral()) {
          out = make_date(from_millis(num->i));
          return true;
        }
        if (!std::isfinite(num->d) || num->d >= 9.2e18 || num->d <= -9.2e18) {
          error = "Conversion would overflow target type in $convert with no onError value: " +
                  double_to_string(num->d);
          return false;
        }
        out = make_date(from_millis(static_cast<std::int64_t>(num->d)));
        return true;
      }
      if (from == bson_type::string) {
        std::string err;
        auto ms = parse_date_default(v.get_ref<const std::string&>(), time_zone{}, false, err);
        if (!ms) {
          error = err + " in $convert with no onError value";
          return false;
        }
        out = make_date(from_millis(*ms));
        return true;
      }
      if (auto ms = date_millis_of(v)) {
        out = make_date(from_millis(*ms));
        return true;
      }
      return unsupported();
    }
    case convert_target::object_id: {
      if (from == bson_type::object_id) {
        out = v;
        return true;
      }
      if (from == bson_type::string) {
        const auto& s = v.get_ref<const std::string&>();
        if (!is_hex24(s)) {
          error = "Failed to parse objectId '" + s +
                  "' in $convert with no onError value: "
                  "invalid string length for parsing to OID, expected 24 hex digits";
          return false;
        }
        out = document{{"$oid", lower_hex(s)}};
        return true;
      }
      return unsupported();
    }
  }
  return unsupported();
}

/// $convert args: input, to, onError, onNull; `value` holds a constant target (its index).
inline const document& eval_convert(const node& n, const scope& s, document& out) {
  document ti;
  const document& input = ev(n.args[0], s, ti);
  if (is_nullish(input)) {
    if (n.args.size() > 3 && present(n.args[3])) return ev(n.args[3], s, out);
    return null_ref();
  }
  convert_target to;
  if (n.value.is_number()) {
    to = static_cast<convert_target>(n.value.get<int>());
  } else {
    document tt;
    const document& t = ev(n.args[1], s, tt);
    if (is_nullish(t)) return null_ref();
    auto parsed = parse_convert_target(t);
    if (!parsed) eval_fail(n, std::string(n.op) + ": unknown target type " + t.dump());
    to = *parsed;
  }
  std::string error;
  document result;
  if (convert_value(input, to, result, error)) {
    out = std::move(result);
    return out;
  }
  if (n.args.size() > 2 && present(n.args[2])) return ev(n.args[2], s, out);
  eval_fail(n, std::string(n.op) + ": " + error);
}

inline node compile_convert(compiler& c, const op_spec& spec, const document& arg,
                            const std::string& where) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where,
                         {{"input", true}, {"to", true}, {"onError", false}, {"onNull", false}});
  if (n.args[1].constant) {
    auto t = parse_convert_target(n.args[1].value);
    if (!t) {
      bad_arguments(where, "$convert: unknown target type " + n.args[1].value.dump() +
                               reel::detail::did_you_mean(
                                   n.args[1].value.is_string() ? n.args[1].value.get<std::string>()
                                                               : std::string(),
                                   std::vector<std::string>{"double", "string", "objectId", "bool",
                                                            "date", "int", "long", "decimal"}));
    }
    n.value = static_cast<int>(*t);
  }
  return n;
}

template <convert_target To>
node compile_to(compiler& c, const op_spec& spec, const document& arg, const std::string& where) {
  node n = compile_list(c, spec, arg, where, 1, 1);
  n.fn = &eval_convert;
  n.args.emplace_back();  // to (unused)
  n.value = static_cast<int>(To);
  return n;
}

inline void register_convert_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$convert", &eval_convert, 1, 1, &compile_convert});
  add_op({"$toInt", &eval_convert, 1, 1, &compile_to<convert_target::int32>});
  add_op({"$toLong", &eval_convert, 1, 1, &compile_to<convert_target::int64>});
  add_op({"$toDouble", &eval_convert, 1, 1, &compile_to<convert_target::double_>});
  add_op({"$toDecimal", &eval_convert, 1, 1, &compile_to<convert_target::decimal>});
  add_op({"$toString", &eval_convert, 1, 1, &compile_to<convert_target::string>});
  add_op({"$toBool", &eval_convert, 1, 1, &compile_to<convert_target::boolean>});
  add_op({"$toDate", &eval_convert, 1, 1, &compile_to<convert_target::date>});
  add_op({"$toObjectId", &eval_convert, 1, 1, &compile_to<convert_target::object_id>});
}

}  // namespace reel::json::detail
