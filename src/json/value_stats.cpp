// SPDX-License-Identifier: Apache-2.0
/// \file
/// The expression forms of the statistical accumulators on the value model
/// (detail/value_eval.hpp): `$stdDevPop`, `$stdDevSamp` (Welford over the numeric operands, in
/// double, as the server's AccumulatorStdDev) and `$median`, `$percentile` (the compiled
/// percentiles are in `n.value`, `n.slot` is 1 for `$median`; ops_math.hpp). The server's
/// `approximate` method is a t-digest, which for the arrays an expression sees keeps every
/// value as its own centroid: percentile `p` of `n` values is the value of rank
/// `max(1, ceil(p * n))`, as the nlohmann operator computes it. Non-numeric elements are
/// ignored; results are doubles, null without values.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "reel/bson/numeric.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

using bson::value;

template <bool Sample>
value std_dev_op(const node& n, const value_scope& s) {
  std::int64_t count = 0;
  double mean = 0, m2 = 0;
  for_each_value_operand(n, s, [&](const value& v) {
    if (!v.is_number()) return;
    const double x = *bson::to_double(v);
    ++count;
    const double delta = x - mean;
    mean += delta / static_cast<double>(count);
    m2 += delta * (x - mean);
  });
  const std::int64_t divisor = Sample ? count - 1 : count;
  if (divisor <= 0) return value::null();
  return value::double_(std::sqrt(m2 / static_cast<double>(divisor)));
}

value percentile_op(const node& n, const value_scope& s) {
  const value input = vev(n.args[0], s);
  std::vector<double> values;
  if (input.is_number()) {
    values.push_back(*bson::to_double(input));
  } else if (input.is_array()) {
    values.reserve(input.size());
    for (const value& e : input.elements()) {
      if (e.is_number()) values.push_back(*bson::to_double(e));
    }
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double p) {
    if (values.empty()) return value::null();
    const auto rank =
        static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
    return value::double_(values[std::min(rank, values.size()) - 1]);
  };
  if (n.slot == 1) return at(0.5);
  value* out = s.memory->allocate_array<value>(n.value.size());
  for (std::size_t i = 0; i < n.value.size(); ++i)
    out[i] = at(n.value[i].get<double>());
  return value::array({out, n.value.size()});
}

}  // namespace

void register_value_stats_ops(value_op_table& t) {
  t.emplace("$stdDevPop", &std_dev_op<false>);
  t.emplace("$stdDevSamp", &std_dev_op<true>);
  t.emplace("$median", &percentile_op);
  t.emplace("$percentile", &percentile_op);
}

}  // namespace reel::json::detail
