// SPDX-License-Identifier: Apache-2.0
/// \file
/// Date expression operators: `$year $month $dayOfMonth $hour $minute $second $millisecond
/// $dayOfWeek $dayOfYear $week $isoWeek $isoWeekYear $isoDayOfWeek $dateToString
/// $dateFromString $dateTrunc $dateAdd $dateSubtract $dateDiff $dateFromParts $dateToParts`.
/// Time zones: UTC, fixed offsets ("+02:00", "-0530", "+03") and Olson names
/// ("Europe/Berlin") read from the system time zone database.
#pragma once

#include <unordered_map>

#include "reel/json/detail/datetime.hpp"
#include "reel/json/detail/expr_core.hpp"

namespace reel::json::detail {

/// Compiles a `timezone` operand; a constant one is parsed now and kept in `n.data`.
inline void prepare_time_zone(node& n, const node& tz, const std::string& where) {
  if (!present(tz) || !tz.constant || is_nullish(tz.value)) return;
  if (!tz.value.is_string()) {
    bad_arguments(where,
                  std::string(n.op) + ": timezone must be a string, found " + type_name(tz.value));
  }
  auto z = parse_time_zone(tz.value.get_ref<const std::string&>());
  if (!z) {
    bad_arguments(where,
                  std::string(n.op) + ": unrecognized time zone identifier: \"" +
                      tz.value.get<std::string>() +
                      "\" (use an Olson name of the system time zone database, \"UTC\" or an "
                      "offset such as \"+02:00\")");
  }
  n.data = std::make_shared<const time_zone>(*z);
}

/// The zone of `n` (operand `tz`); false when the operand is null/missing (result null).
inline bool zone_of(const node& n, const node& tz, const scope& s, time_zone& out, bool& given) {
  given = present(tz);
  if (n.data) {
    out = *static_cast<const time_zone*>(n.data.get());
    return true;
  }
  if (!given) {
    out = time_zone{};
    return true;
  }
  document t;
  const document& v = ev(tz, s, t);
  if (is_nullish(v)) return false;
  if (!v.is_string()) {
    eval_fail(n, std::string(n.op) + ": timezone must be a string, found " + type_name(v));
  }
  auto z = parse_time_zone(v.get_ref<const std::string&>());
  if (!z) {
    eval_fail(n, std::string(n.op) + ": unrecognized time zone identifier: \"" +
                     v.get<std::string>() + "\"");
  }
  out = *z;
  return true;
}

/// A date operand; empty for null/missing, error for other non-dates.
inline std::optional<std::int64_t> date_operand(const node& n, const document& v) {
  if (is_nullish(v)) return std::nullopt;
  auto ms = date_millis_of(v);
  if (!ms) {
    eval_fail(n, std::string(n.op) + ": can't convert from BSON type " + type_name(v) + " to Date");
  }
  return ms;
}

enum class date_part {
  year,
  month,
  day_of_month,
  hour,
  minute,
  second,
  millisecond,
  day_of_week,
  day_of_year,
  week,
  iso_week,
  iso_week_year,
  iso_day_of_week
};

/// args: date, timezone; `slot` is the part.
inline const document& eval_date_part(const node& n, const scope& s, document& out) {
  document t;
  const auto ms = date_operand(n, ev(n.args[0], s, t));
  if (!ms) return null_ref();
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[1], s, tz, given)) return null_ref();
  const std::int64_t local = tz.to_local(*ms);
  const date_parts p = parts_of_local(local);
  std::int64_t r = 0;
  switch (static_cast<date_part>(n.slot)) {
    case date_part::year:
      r = p.year;
      break;
    case date_part::month:
      r = p.month;
      break;
    case date_part::day_of_month:
      r = p.day;
      break;
    case date_part::hour:
      r = p.hour;
      break;
    case date_part::minute:
      r = p.minute;
      break;
    case date_part::second:
      r = p.second;
      break;
    case date_part::millisecond:
      r = p.millisecond;
      break;
    case date_part::day_of_week:
      r = p.day_of_week;
      break;
    case date_part::day_of_year:
      r = p.day_of_year;
      break;
    case date_part::week:
      r = sunday_week_of(p);
      break;
    case date_part::iso_week:
      r = iso_week_of(local).week;
      break;
    case date_part::iso_week_year:
      r = iso_week_of(local).year;
      break;
    case date_part::iso_day_of_week:
      r = iso_week_of(local).day_of_week;
      break;
  }
  out = r;
  return out;
}

template <date_part Part>
node compile_date_part(compiler& c, const op_spec& spec, const document& arg,
                       const std::string& where) {
  node n;
  if (arg.is_object() && !arg.empty() && arg.begin().key()[0] != '$') {
    n.fn = spec.eval;
    n.op = spec.name;
    n.where = where;
    n.args = compile_named(c, spec.name, arg, where, {{"date", true}, {"timezone", false}});
  } else {
    n = compile_list(c, spec, arg, where, 1, 1);
    n.args.emplace_back();
  }
  n.slot = static_cast<std::int64_t>(Part);
  prepare_time_zone(n, n.args[1], where);
  return n;
}

inline node make_named(compiler& c, const op_spec& spec, const document& arg,
                       const std::string& where, std::initializer_list<named_arg> names) {
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  n.args = compile_named(c, spec.name, arg, where, names);
  return n;
}

// $dateToString: date, format, timezone, onNull
inline const document& eval_date_to_string(const node& n, const scope& s, document& out) {
  document t0, t1;
  const document& d = ev(n.args[0], s, t0);
  if (is_nullish(d)) {
    if (present(n.args[3])) return ev(n.args[3], s, out);
    return null_ref();
  }
  const auto ms = date_operand(n, d);
  std::string fmt = "%Y-%m-%dT%H:%M:%S.%LZ";
  if (present(n.args[1])) {
    const document& f = ev(n.args[1], s, t1);
    if (is_nullish(f)) return null_ref();
    if (!f.is_string())
      eval_fail(n, "$dateToString requires 'format' to be a string, found " + type_name(f));
    fmt = f.get<std::string>();
    if (!n.args[1].constant) {
      if (auto err = check_date_format(fmt, false)) eval_fail(n, "$dateToString: " + *err);
    }
  }
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[2], s, tz, given)) return null_ref();
  if (!present(n.args[1]) && !tz.is_utc()) fmt = "%Y-%m-%dT%H:%M:%S.%L";
  auto r = format_date(*ms, tz, fmt);
  if (!r) eval_fail(n, "$dateToString is only defined on years 0 through 9999");
  out = std::move(*r);
  return out;
}

inline node compile_date_to_string(compiler& c, const op_spec& spec, const document& arg,
                                   const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"date", true}, {"format", false}, {"timezone", false}, {"onNull", false}});
  if (n.args[1].constant && n.args[1].value.is_string()) {
    if (auto err = check_date_format(n.args[1].value.get_ref<const std::string&>(), false)) {
      bad_arguments(where, "$dateToString: " + *err);
    }
  }
  prepare_time_zone(n, n.args[2], where);
  return n;
}

// $dateFromString: dateString, format, timezone, onError, onNull
inline const document& eval_date_from_string(const node& n, const scope& s, document& out) {
  document t0, t1;
  const document& d = ev(n.args[0], s, t0);
  if (is_nullish(d)) {
    if (present(n.args[4])) return ev(n.args[4], s, out);
    return null_ref();
  }
  auto on_error = [&](const std::string& message) -> const document& {
    if (present(n.args[3])) return ev(n.args[3], s, out);
    eval_fail(n, "$dateFromString: " + message);
  };
  if (!d.is_string()) {
    return on_error("'dateString' must be a string, found " + type_name(d));
  }
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[2], s, tz, given)) return null_ref();
  std::string error;
  std::optional<std::int64_t> ms;
  if (present(n.args[1])) {
    const document& f = ev(n.args[1], s, t1);
    if (is_nullish(f)) return null_ref();
    if (!f.is_string()) return on_error("'format' must be a string, found " + type_name(f));
    if (auto err = check_date_format(f.get_ref<const std::string&>(), true)) return on_error(*err);
    ms = parse_date_format(d.get_ref<const std::string&>(), f.get_ref<const std::string&>(), tz,
                           given, error);
  } else {
    ms = parse_date_default(d.get_ref<const std::string&>(), tz, given, error);
  }
  if (!ms) return on_error(error);
  out = make_date(from_millis(*ms));
  return out;
}

inline node compile_date_from_string(compiler& c, const op_spec& spec, const document& arg,
                                     const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"dateString", true},
                       {"format", false},
                       {"timezone", false},
                       {"onError", false},
                       {"onNull", false}});
  if (n.args[1].constant && n.args[1].value.is_string()) {
    if (auto err = check_date_format(n.args[1].value.get_ref<const std::string&>(), true)) {
      bad_arguments(where, "$dateFromString: " + *err);
    }
  }
  prepare_time_zone(n, n.args[2], where);
  return n;
}

inline date_unit unit_operand(const node& n, const document& v) {
  if (!v.is_string())
    eval_fail(n, std::string(n.op) + " requires 'unit' to be a string, found " + type_name(v));
  auto u = parse_date_unit(v.get_ref<const std::string&>());
  if (!u) eval_fail(n, std::string(n.op) + ": unknown time unit value: " + v.get<std::string>());
  return *u;
}

inline int start_of_week_operand(const node& n, const document& v) {
  if (!v.is_string()) {
    eval_fail(n,
              std::string(n.op) + " requires 'startOfWeek' to be a string, found " + type_name(v));
  }
  auto d = parse_day_of_week(v.get_ref<const std::string&>());
  if (!d) eval_fail(n, std::string(n.op) + ": unknown day of week value: " + v.get<std::string>());
  return *d;
}

inline void check_constant_unit(const node& n, const node& unit, const std::string& where) {
  if (unit.constant && unit.value.is_string() &&
      !parse_date_unit(unit.value.get_ref<const std::string&>())) {
    bad_arguments(
        where, std::string(n.op) + ": unknown time unit value: " + unit.value.get<std::string>() +
                   reel::detail::did_you_mean(
                       unit.value.get<std::string>(),
                       std::vector<std::string>{"year", "quarter", "month", "week", "day", "hour",
                                                "minute", "second", "millisecond"}));
  }
}

// $dateTrunc: date, unit, binSize, timezone, startOfWeek
inline const document& eval_date_trunc(const node& n, const scope& s, document& out) {
  document t[5];
  const auto ms = date_operand(n, ev(n.args[0], s, t[0]));
  const document& u = ev(n.args[1], s, t[1]);
  if (!ms || is_nullish(u)) return null_ref();
  const date_unit unit = unit_operand(n, u);
  std::int64_t bin = 1;
  if (present(n.args[2])) {
    const document& b = ev(n.args[2], s, t[2]);
    if (is_nullish(b)) return null_ref();
    auto bi = integral_of(b);
    if (!bi || *bi <= 0) {
      eval_fail(n, "$dateTrunc requires 'binSize' to be a positive integer, found " + b.dump());
    }
    if (*bi > 100'000'000'000LL) eval_fail(n, "$dateTrunc: unsupported binSize value " + b.dump());
    bin = *bi;
  }
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[3], s, tz, given)) return null_ref();
  int sow = 0;
  if (unit == date_unit::week && present(n.args[4])) {
    const document& w = ev(n.args[4], s, t[4]);
    if (is_nullish(w)) return null_ref();
    sow = start_of_week_operand(n, w);
  }
  const auto r = date_trunc(*ms, unit, bin, tz, sow);
  if (!r) eval_fail(n, "$dateTrunc overflowed");
  out = make_date(from_millis(*r));
  return out;
}

inline node compile_date_trunc(compiler& c, const op_spec& spec, const document& arg,
                               const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"date", true},
                       {"unit", true},
                       {"binSize", false},
                       {"timezone", false},
                       {"startOfWeek", false}});
  check_constant_unit(n, n.args[1], where);
  prepare_time_zone(n, n.args[3], where);
  return n;
}

// $dateAdd / $dateSubtract: startDate, unit, amount, timezone
template <int Sign>
const document& eval_date_add(const node& n, const scope& s, document& out) {
  document t[4];
  const auto ms = date_operand(n, ev(n.args[0], s, t[0]));
  const document& u = ev(n.args[1], s, t[1]);
  const document& a = ev(n.args[2], s, t[2]);
  if (!ms || is_nullish(u) || is_nullish(a)) return null_ref();
  const date_unit unit = unit_operand(n, u);
  auto amount = integral_of(a);
  if (!amount) {
    eval_fail(n, std::string(n.op) + " expects an integer 'amount', found " + a.dump());
  }
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[3], s, tz, given)) return null_ref();
  if (Sign < 0 && *amount == INT64_MIN) eval_fail(n, std::string(n.op) + " overflowed");
  auto r = date_add(*ms, unit, Sign * *amount, tz);
  if (!r) eval_fail(n, std::string(n.op) + " overflowed");
  out = make_date(from_millis(*r));
  return out;
}

template <int Sign>
node compile_date_add(compiler& c, const op_spec& spec, const document& arg,
                      const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"startDate", true}, {"unit", true}, {"amount", true}, {"timezone", false}});
  check_constant_unit(n, n.args[1], where);
  prepare_time_zone(n, n.args[3], where);
  return n;
}

// $dateDiff: startDate, endDate, unit, timezone, startOfWeek
inline const document& eval_date_diff(const node& n, const scope& s, document& out) {
  document t[5];
  const auto a = date_operand(n, ev(n.args[0], s, t[0]));
  const auto b = date_operand(n, ev(n.args[1], s, t[1]));
  const document& u = ev(n.args[2], s, t[2]);
  if (!a || !b || is_nullish(u)) return null_ref();
  const date_unit unit = unit_operand(n, u);
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[3], s, tz, given)) return null_ref();
  int sow = 0;
  if (unit == date_unit::week && present(n.args[4])) {
    const document& w = ev(n.args[4], s, t[4]);
    if (is_nullish(w)) return null_ref();
    sow = start_of_week_operand(n, w);
  }
  const auto r = date_diff(*a, *b, unit, tz, sow);
  if (!r) eval_fail(n, "$dateDiff overflowed");
  out = *r;
  return out;
}

inline node compile_date_diff(compiler& c, const op_spec& spec, const document& arg,
                              const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"startDate", true},
                       {"endDate", true},
                       {"unit", true},
                       {"timezone", false},
                       {"startOfWeek", false}});
  check_constant_unit(n, n.args[2], where);
  prepare_time_zone(n, n.args[3], where);
  return n;
}

// $dateFromParts: year, isoWeekYear, month, isoWeek, day, isoDayOfWeek, hour, minute, second,
// millisecond, timezone
inline const document& eval_date_from_parts(const node& n, const scope& s, document& out) {
  static constexpr const char* names[] = {"year",   "isoWeekYear",  "month", "isoWeek",
                                          "day",    "isoDayOfWeek", "hour",  "minute",
                                          "second", "millisecond"};
  std::int64_t v[10] = {1970, 0, 1, 1, 1, 1, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 10; ++i) {
    if (!present(n.args[i])) continue;
    document t;
    const document& x = ev(n.args[i], s, t);
    if (is_nullish(x)) return null_ref();
    auto xi = integral_of(x);
    if (!xi) {
      eval_fail(n, std::string("$dateFromParts: '") + names[i] +
                       "' must evaluate to an integer, found " + type_name(x) + " with value " +
                       x.dump());
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
  bool given = false;
  if (!zone_of(n, n.args[10], s, tz, given)) return null_ref();
  const bool iso = present(n.args[1]);
  std::int64_t local = 0;
  if (iso) {
    local = local_from_iso_week(v[1], v[3], v[5]) + v[6] * ms_per_hour + v[7] * ms_per_minute +
            v[8] * ms_per_second + v[9];
  } else {
    local = local_from_parts(v[0], v[2], v[4], v[6], v[7], v[8], v[9]);
  }
  out = make_date(from_millis(tz.to_utc(local)));
  return out;
}

inline node compile_date_from_parts(compiler& c, const op_spec& spec, const document& arg,
                                    const std::string& where) {
  node n = make_named(c, spec, arg, where,
                      {{"year", false},
                       {"isoWeekYear", false},
                       {"month", false},
                       {"isoWeek", false},
                       {"day", false},
                       {"isoDayOfWeek", false},
                       {"hour", false},
                       {"minute", false},
                       {"second", false},
                       {"millisecond", false},
                       {"timezone", false}});
  const bool calendar = present(n.args[0]) || present(n.args[2]) || present(n.args[4]);
  const bool iso = present(n.args[1]) || present(n.args[3]) || present(n.args[5]);
  if (calendar && iso) {
    bad_arguments(where, "$dateFromParts does not allow mixing natural dates with ISO dates");
  }
  if (!present(n.args[0]) && !present(n.args[1])) {
    bad_arguments(where, "$dateFromParts requires either 'year' or 'isoWeekYear'");
  }
  prepare_time_zone(n, n.args[10], where);
  return n;
}

// $dateToParts: date, timezone, iso8601
inline const document& eval_date_to_parts(const node& n, const scope& s, document& out) {
  document t0, t2;
  const auto ms = date_operand(n, ev(n.args[0], s, t0));
  if (!ms) return null_ref();
  time_zone tz;
  bool given = false;
  if (!zone_of(n, n.args[1], s, tz, given)) return null_ref();
  bool iso = false;
  if (present(n.args[2])) {
    const document& i = ev(n.args[2], s, t2);
    if (is_nullish(i)) return null_ref();
    if (!i.is_boolean()) eval_fail(n, "$dateToParts requires 'iso8601' to be a boolean");
    iso = i.get<bool>();
  }
  const std::int64_t local = tz.to_local(*ms);
  const date_parts p = parts_of_local(local);
  document r = document::object();
  if (iso) {
    const auto w = iso_week_of(local);
    r["isoWeekYear"] = w.year;
    r["isoWeek"] = w.week;
    r["isoDayOfWeek"] = w.day_of_week;
  } else {
    r["year"] = p.year;
    r["month"] = p.month;
    r["day"] = p.day;
  }
  r["hour"] = p.hour;
  r["minute"] = p.minute;
  r["second"] = p.second;
  r["millisecond"] = p.millisecond;
  out = std::move(r);
  return out;
}

inline node compile_date_to_parts(compiler& c, const op_spec& spec, const document& arg,
                                  const std::string& where) {
  node n =
      make_named(c, spec, arg, where, {{"date", true}, {"timezone", false}, {"iso8601", false}});
  prepare_time_zone(n, n.args[1], where);
  return n;
}

/// `{$currentDate: {}}` (Atlas Stream Processing): the processing time of each evaluation, from
/// the processor's clock.
inline const document& eval_current_date(const node&, const scope& s, document& out) {
  const reel::clock& c = s.ctx && s.ctx->clock
                             ? *s.ctx->clock
                             : static_cast<const reel::clock&>(system_clock::instance());
  out = make_date(c.now());
  return out;
}

inline node compile_current_date(compiler&, const op_spec& spec, const document& arg,
                                 const std::string& where) {
  if (!arg.is_object() || !arg.empty()) {
    bad_arguments(where, "$currentDate takes an empty object: {\"$currentDate\": {}}");
  }
  node n;
  n.fn = spec.eval;
  n.op = spec.name;
  n.where = where;
  return n;
}

inline void register_date_ops(std::unordered_map<std::string_view, op_spec>& t) {
  auto add_op = [&t](op_spec s) { t.emplace(s.name, s); };
  add_op({"$currentDate", &eval_current_date, 1, 1, &compile_current_date, false});
  add_op({"$year", &eval_date_part, 1, 1, &compile_date_part<date_part::year>});
  add_op({"$month", &eval_date_part, 1, 1, &compile_date_part<date_part::month>});
  add_op({"$dayOfMonth", &eval_date_part, 1, 1, &compile_date_part<date_part::day_of_month>});
  add_op({"$hour", &eval_date_part, 1, 1, &compile_date_part<date_part::hour>});
  add_op({"$minute", &eval_date_part, 1, 1, &compile_date_part<date_part::minute>});
  add_op({"$second", &eval_date_part, 1, 1, &compile_date_part<date_part::second>});
  add_op({"$millisecond", &eval_date_part, 1, 1, &compile_date_part<date_part::millisecond>});
  add_op({"$dayOfWeek", &eval_date_part, 1, 1, &compile_date_part<date_part::day_of_week>});
  add_op({"$dayOfYear", &eval_date_part, 1, 1, &compile_date_part<date_part::day_of_year>});
  add_op({"$week", &eval_date_part, 1, 1, &compile_date_part<date_part::week>});
  add_op({"$isoWeek", &eval_date_part, 1, 1, &compile_date_part<date_part::iso_week>});
  add_op({"$isoWeekYear", &eval_date_part, 1, 1, &compile_date_part<date_part::iso_week_year>});
  add_op({"$isoDayOfWeek", &eval_date_part, 1, 1, &compile_date_part<date_part::iso_day_of_week>});
  add_op({"$dateToString", &eval_date_to_string, 1, 1, &compile_date_to_string});
  add_op({"$dateFromString", &eval_date_from_string, 1, 1, &compile_date_from_string});
  add_op({"$dateTrunc", &eval_date_trunc, 1, 1, &compile_date_trunc});
  add_op({"$dateAdd", &eval_date_add<1>, 1, 1, &compile_date_add<1>});
  add_op({"$dateSubtract", &eval_date_add<-1>, 1, 1, &compile_date_add<-1>});
  add_op({"$dateDiff", &eval_date_diff, 1, 1, &compile_date_diff});
  add_op({"$dateFromParts", &eval_date_from_parts, 1, 1, &compile_date_from_parts});
  add_op({"$dateToParts", &eval_date_to_parts, 1, 1, &compile_date_to_parts});
}

}  // namespace reel::json::detail
