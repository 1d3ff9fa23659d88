// SPDX-License-Identifier: Apache-2.0
/// \file
/// The date operators on the value model (detail/value_eval.hpp): `$year $month $dayOfMonth
/// $hour $minute $second $millisecond $dayOfWeek $dayOfYear $week $isoWeek $isoWeekYear
/// $isoDayOfWeek $dateToString $dateFromString $dateToParts $dateFromParts $dateAdd
/// $dateSubtract $dateDiff $dateTrunc`, and `$currentDate` (the processing clock of the
/// evaluation's context). The calendar, the zones and the formats are datetime.hpp's, shared
/// with the nlohmann operators (ops_date.hpp), whose compiled operands this file reads: a
/// constant `timezone` parsed once in `n.data`, the part of `$year`… in `n.slot`. Messages are
/// the nlohmann operators'. Types are the server's: parts are ints, `$isoWeekYear` and
/// `$dateDiff` longs (the server's `long long`), where the nlohmann path gives ints.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reel/json/detail/datetime.hpp"
#include "reel/json/detail/ops_date.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

using bson::value;

/// The zone of `n` (operand `tz`, or the constant parsed at compile time); false when the
/// operand is null or missing (the result is null). `zone_of` of ops_date.hpp on values.
bool zone_of_value(const node& n, const node& tz, const value_scope& s, time_zone& out) {
  if (n.data) {
    out = *static_cast<const time_zone*>(n.data.get());
    return true;
  }
  if (!present(tz)) {
    out = time_zone{};
    return true;
  }
  const value v = vev(tz, s);
  if (v.is_nullish()) return false;
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + ": timezone must be a string, found " + value_type_name(v));
  }
  auto z = parse_time_zone(v.as_string());
  if (!z) {
    eval_fail(n, std::string(n.op) + ": unrecognized time zone identifier: \"" +
                     std::string(v.as_string()) + "\"");
  }
  out = *z;
  return true;
}

/// Whether a zone operand was given (a string with an offset then conflicts with it).
bool zone_given(const node& tz) {
  return present(tz);
}

/// A date operand: a date, or the time in an ObjectId or a Timestamp; empty for null/missing.
std::optional<std::int64_t> date_operand(const node& n, const value& v) {
  switch (v.type()) {
    case bson::type::date:
      return v.as_date();
    case bson::type::object_id: {
      const bson::object_id id = v.as_oid();
      const std::uint32_t secs = (std::uint32_t{id.bytes[0]} << 24) |
                                 (std::uint32_t{id.bytes[1]} << 16) |
                                 (std::uint32_t{id.bytes[2]} << 8) | std::uint32_t{id.bytes[3]};
      return static_cast<std::int64_t>(secs) * 1000;
    }
    case bson::type::timestamp:
      return static_cast<std::int64_t>(v.as_timestamp().t) * 1000;
    default:
      break;
  }
  if (v.is_nullish()) return std::nullopt;
  eval_fail(
      n, std::string(n.op) + ": can't convert from BSON type " + value_type_name(v) + " to Date");
}

value date_part_op(const node& n, const value_scope& s) {
  const auto ms = date_operand(n, vev(n.args[0], s));
  if (!ms) return value::null();
  time_zone tz;
  if (!zone_of_value(n, n.args[1], s, tz)) return value::null();
  const std::int64_t local = tz.to_local(*ms);
  const date_parts p = parts_of_local(local);
  switch (static_cast<date_part>(n.slot)) {
    case date_part::year:
      return value::int32(static_cast<std::int32_t>(p.year));
    case date_part::month:
      return value::int32(p.month);
    case date_part::day_of_month:
      return value::int32(p.day);
    case date_part::hour:
      return value::int32(p.hour);
    case date_part::minute:
      return value::int32(p.minute);
    case date_part::second:
      return value::int32(p.second);
    case date_part::millisecond:
      return value::int32(p.millisecond);
    case date_part::day_of_week:
      return value::int32(p.day_of_week);
    case date_part::day_of_year:
      return value::int32(p.day_of_year);
    case date_part::week:
      return value::int32(sunday_week_of(p));
    case date_part::iso_week:
      return value::int32(iso_week_of(local).week);
    case date_part::iso_week_year:
      return value::int64(iso_week_of(local).year);  // the server's isoYear is a long long
    case date_part::iso_day_of_week:
      return value::int32(iso_week_of(local).day_of_week);
  }
  return value::null();
}

// $dateToString: date, format, timezone, onNull
value date_to_string_op(const node& n, const value_scope& s) {
  const value d = vev(n.args[0], s);
  if (d.is_nullish()) return present(n.args[3]) ? vev(n.args[3], s) : value::null();
  const auto ms = date_operand(n, d);
  std::string_view fmt = "%Y-%m-%dT%H:%M:%S.%LZ";
  if (present(n.args[1])) {
    const value f = vev(n.args[1], s);
    if (f.is_nullish()) return value::null();
    if (!f.is_string()) {
      eval_fail(n, "$dateToString requires 'format' to be a string, found " + value_type_name(f));
    }
    fmt = f.as_string();
    if (!n.args[1].constant) {
      if (auto err = check_date_format(fmt, false)) eval_fail(n, "$dateToString: " + *err);
    }
  }
  time_zone tz;
  if (!zone_of_value(n, n.args[2], s, tz)) return value::null();
  if (!present(n.args[1]) && !tz.is_utc()) fmt = "%Y-%m-%dT%H:%M:%S.%L";
  const auto r = format_date(*ms, tz, fmt);
  if (!r) eval_fail(n, "$dateToString is only defined on years 0 through 9999");
  return s.memory->string(*r);
}

// $dateFromString: dateString, format, timezone, onError, onNull
value date_from_string_op(const node& n, const value_scope& s) {
  const value d = vev(n.args[0], s);
  if (d.is_nullish()) return present(n.args[4]) ? vev(n.args[4], s) : value::null();
  auto on_error = [&](const std::string& message) -> value {
    if (present(n.args[3])) return vev(n.args[3], s);
    eval_fail(n, "$dateFromString: " + message);
  };
  if (!d.is_string()) {
    return on_error("'dateString' must be a string, found " + value_type_name(d));
  }
  time_zone tz;
  if (!zone_of_value(n, n.args[2], s, tz)) return value::null();
  const bool given = zone_given(n.args[2]);
  std::string error;
  std::optional<std::int64_t> ms;
  if (present(n.args[1])) {
    const value f = vev(n.args[1], s);
    if (f.is_nullish()) return value::null();
    if (!f.is_string()) return on_error("'format' must be a string, found " + value_type_name(f));
    if (auto err = check_date_format(f.as_string(), true)) return on_error(*err);
    ms = parse_date_format(d.as_string(), f.as_string(), tz, given, error);
  } else {
    ms = parse_date_default(d.as_string(), tz, given, error);
  }
  if (!ms) return on_error(error);
  return value::date(*ms);
}

date_unit unit_operand(const node& n, const value& v) {
  if (!v.is_string()) {
    eval_fail(n,
              std::string(n.op) + " requires 'unit' to be a string, found " + value_type_name(v));
  }
  auto u = parse_date_unit(v.as_string());
  if (!u) {
    eval_fail(n, std::string(n.op) + ": unknown time unit value: " + std::string(v.as_string()));
  }
  return *u;
}

int start_of_week_operand(const node& n, const value& v) {
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + " requires 'startOfWeek' to be a string, found " +
                     value_type_name(v));
  }
  auto d = parse_day_of_week(v.as_string());
  if (!d) {
    eval_fail(n, std::string(n.op) + ": unknown day of week value: " + std::string(v.as_string()));
  }
  return *d;
}

/// The `startOfWeek` operand `w` of a week unit (Sunday when absent); false when it is null.
bool start_of_week_of(const node& n, const node& w, date_unit unit, const value_scope& s,
                      int& out) {
  out = 0;
  if (unit != date_unit::week || !present(w)) return true;
  const value v = vev(w, s);
  if (v.is_nullish()) return false;
  out = start_of_week_operand(n, v);
  return true;
}

// $dateTrunc: date, unit, binSize, timezone, startOfWeek
value date_trunc_op(const node& n, const value_scope& s) {
  const auto ms = date_operand(n, vev(n.args[0], s));
  const value u = vev(n.args[1], s);
  if (!ms || u.is_nullish()) return value::null();
  const date_unit unit = unit_operand(n, u);
  std::int64_t bin = 1;
  if (present(n.args[2])) {
    const value b = vev(n.args[2], s);
    if (b.is_nullish()) return value::null();
    const auto bi = value_integral(b);
    if (!bi || *bi <= 0) {
      eval_fail(n,
                "$dateTrunc requires 'binSize' to be a positive integer, found " + value_dump(b));
    }
    if (*bi > 100'000'000'000LL) {
      eval_fail(n, "$dateTrunc: unsupported binSize value " + value_dump(b));
    }
    bin = *bi;
  }
  time_zone tz;
  if (!zone_of_value(n, n.args[3], s, tz)) return value::null();
  int sow = 0;
  if (!start_of_week_of(n, n.args[4], unit, s, sow)) return value::null();
  const auto r = date_trunc(*ms, unit, bin, tz, sow);
  if (!r) eval_fail(n, "$dateTrunc overflowed");
  return value::date(*r);
}

// $dateAdd / $dateSubtract: startDate, unit, amount, timezone
template <int Sign>
value date_add_op(const node& n, const value_scope& s) {
  const auto ms = date_operand(n, vev(n.args[0], s));
  const value u = vev(n.args[1], s);
  const value a = vev(n.args[2], s);
  if (!ms || u.is_nullish() || a.is_nullish()) return value::null();
  const date_unit unit = unit_operand(n, u);
  const auto amount = value_integral(a);
  if (!amount) {
    eval_fail(n, std::string(n.op) + " expects an integer 'amount', found " + value_dump(a));
  }
  time_zone tz;
  if (!zone_of_value(n, n.args[3], s, tz)) return value::null();
  if (Sign < 0 && *amount == INT64_MIN) eval_fail(n, std::string(n.op) + " overflowed");
  const auto r = date_add(*ms, unit, Sign * *amount, tz);
  if (!r) eval_fail(n, std::string(n.op) + " overflowed");
  return value::date(*r);
}

// $dateDiff: startDate, endDate, unit, timezone, startOfWeek
value date_diff_op(const node& n, const value_scope& s) {
  const auto a = date_operand(n, vev(n.args[0], s));
  const auto b = date_operand(n, vev(n.args[1], s));
  const value u = vev(n.args[2], s);
  if (!a || !b || u.is_nullish()) return value::null();
  const date_unit unit = unit_operand(n, u);
  time_zone tz;
  if (!zone_of_value(n, n.args[3], s, tz)) return value::null();
  int sow = 0;
  if (!start_of_week_of(n, n.args[4], unit, s, sow)) return value::null();
  const auto r = date_diff(*a, *b, unit, tz, sow);
  if (!r) eval_fail(n, "$dateDiff overflowed");
  return value::int64(*r);  // the server's dateDiff is a long long
}

// $dateFromParts: year, isoWeekYear, month, isoWeek, day, isoDayOfWeek, hour, minute, second,
// millisecond, timezone
value date_from_parts_op(const node& n, const value_scope& s) {
  static constexpr const char* names[] = {"year",   "isoWeekYear",  "month", "isoWeek",
                                          "day",    "isoDayOfWeek", "hour",  "minute",
                                          "second", "millisecond"};
  std::int64_t v[10] = {1970, 0, 1, 1, 1, 1, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 10; ++i) {
    if (!present(n.args[i])) continue;
    const value x = vev(n.args[i], s);
    if (x.is_nullish()) return value::null();
    const auto xi = value_integral(x);
    if (!xi) {
      eval_fail(n, std::string("$dateFromParts: '") + names[i] +
                       "' must evaluate to an integer, found " + value_type_name(x) +
                       " with value " + value_dump(x));
    }
    const bool year = i < 2;
    if (year ? (*xi < 1 || *xi > 9999) : (*xi < -32768 || *xi > 32767)) {
      eval_fail(n, std::string("$dateFromParts: '") + names[i] +
                       "' must evaluate to an integer in the range " +
                       (year ? "1 to 9999" : "-32768 to 32767") + ", found " + std::to_string(*xi));
    }
    v[i] = *xi;
  }
  time_zone tz;
  if (!zone_of_value(n, n.args[10], s, tz)) return value::null();
  std::int64_t local = 0;
  if (present(n.args[1])) {
    local = local_from_iso_week(v[1], v[3], v[5]) + v[6] * ms_per_hour + v[7] * ms_per_minute +
            v[8] * ms_per_second + v[9];
  } else {
    local = local_from_parts(v[0], v[2], v[4], v[6], v[7], v[8], v[9]);
  }
  return value::date(tz.to_utc(local));
}

bson::field int_field(std::string_view name, std::int64_t v) {
  return bson::field{name.data(), static_cast<std::uint32_t>(name.size()),
                     value::int32(static_cast<std::int32_t>(v))};
}

// $dateToParts: date, timezone, iso8601
value date_to_parts_op(const node& n, const value_scope& s) {
  const auto ms = date_operand(n, vev(n.args[0], s));
  if (!ms) return value::null();
  time_zone tz;
  if (!zone_of_value(n, n.args[1], s, tz)) return value::null();
  bool iso = false;
  if (present(n.args[2])) {
    const value i = vev(n.args[2], s);
    if (i.is_nullish()) return value::null();
    if (i.type() != bson::type::boolean) {
      eval_fail(n, "$dateToParts requires 'iso8601' to be a boolean");
    }
    iso = i.as_bool();
  }
  const std::int64_t local = tz.to_local(*ms);
  const date_parts p = parts_of_local(local);
  bson::field* out = s.memory->allocate_array<bson::field>(7);
  if (iso) {
    const iso_week_date w = iso_week_of(local);
    out[0] = int_field("isoWeekYear", w.year);
    out[1] = int_field("isoWeek", w.week);
    out[2] = int_field("isoDayOfWeek", w.day_of_week);
  } else {
    out[0] = int_field("year", p.year);
    out[1] = int_field("month", p.month);
    out[2] = int_field("day", p.day);
  }
  out[3] = int_field("hour", p.hour);
  out[4] = int_field("minute", p.minute);
  out[5] = int_field("second", p.second);
  out[6] = int_field("millisecond", p.millisecond);
  return value::document({out, 7});
}

/// `{$currentDate: {}}`: the processing time of the evaluation, from the context's clock (the
/// processor's), else the wall clock.
value current_date_op(const node&, const value_scope& s) {
  const reel::clock& c = s.ctx && s.ctx->clock
                             ? *s.ctx->clock
                             : static_cast<const reel::clock&>(system_clock::instance());
  return value::date(to_millis(c.now()));
}

}  // namespace

void register_value_date_ops(value_op_table& t) {
  for (const char* name :
       {"$year", "$month", "$dayOfMonth", "$hour", "$minute", "$second", "$millisecond",
        "$dayOfWeek", "$dayOfYear", "$week", "$isoWeek", "$isoWeekYear", "$isoDayOfWeek"}) {
    t.emplace(name, &date_part_op);
  }
  t.emplace("$dateToString", &date_to_string_op);
  t.emplace("$dateFromString", &date_from_string_op);
  t.emplace("$dateTrunc", &date_trunc_op);
  t.emplace("$dateAdd", &date_add_op<1>);
  t.emplace("$dateSubtract", &date_add_op<-1>);
  t.emplace("$dateDiff", &date_diff_op);
  t.emplace("$dateFromParts", &date_from_parts_op);
  t.emplace("$dateToParts", &date_to_parts_op);
  t.emplace("$currentDate", &current_date_op);
}

}  // namespace reel::json::detail
