// SPDX-License-Identifier: Apache-2.0
// The value forms of the built-in accumulators (reel/json/value_group.hpp, docs/document-model.md
// §6 step 3), by the server's rules (src/mongo/db/pipeline/accumulator_*.cpp): `$sum`/`$avg` on
// `bson::sum_accumulator` (int32 → int64 → double, decimal wins, non-numbers ignored), `$min`/
// `$max` by `bson::compare` ignoring null and missing, `$first`/`$last` with missing as null,
// `$addToSet` deduplicated by BSON equality, `$stdDev*` by Welford, `$median`/`$percentile` by
// nearest rank, the N families with an `n` that may be computed from the group key. Each state
// converts to and from the nlohmann accumulator's state document (the checkpoint's form).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "reel/bson/builder.hpp"
#include "reel/bson/field_path.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/accumulators/builtin.hpp"
#include "reel/json/detail/value_eval.hpp"
#include "reel/json/value_group.hpp"

namespace reel::json {

namespace {

/// A value as the nlohmann path holds it (for the checkpoint form).
document to_document(const bson::value& v) {
  return v.is_missing() ? missing() : bson::to_nlohmann(v);
}

/// A checkpoint's value, owned.
bson::owned_value owned_of(const document& d) {
  bson::arena memory(256);
  return bson::owned_value(bson::from_nlohmann(d, memory));
}

/// A number as the nlohmann path holds it.
document number_document(const bson::number& n) {
  bson::arena memory(64);
  return bson::to_nlohmann(n.to_value(memory));
}

std::optional<bson::number> number_of(const document& d) {
  bson::arena memory(64);
  return bson::number::of(bson::from_nlohmann(d, memory));
}

/// What one kept value costs the window state: its slot and its block.
std::size_t item_bytes(const bson::value& v) noexcept {
  return sizeof(kept_value) + bson::owned_value::footprint_of(v);
}

/// Inserts `item` into `items` ordered by seq (usually at the end).
void insert_by_seq(std::vector<kept_value>& items, kept_value&& item) {
  if (items.empty() || items.back().seq <= item.seq) {
    items.push_back(std::move(item));
    return;
  }
  auto at = std::upper_bound(items.begin(), items.end(), item.seq,
                             [](std::uint64_t s, const kept_value& e) { return s < e.seq; });
  items.insert(at, std::move(item));
}

/// Merges two seq-ordered lists.
void merge_by_seq(std::vector<kept_value>& into, std::vector<kept_value>&& other) {
  std::vector<kept_value> out;
  out.reserve(into.size() + other.size());
  std::merge(std::make_move_iterator(into.begin()), std::make_move_iterator(into.end()),
             std::make_move_iterator(other.begin()), std::make_move_iterator(other.end()),
             std::back_inserter(out),
             [](const kept_value& a, const kept_value& b) { return a.seq < b.seq; });
  into = std::move(out);
}

/// An array of the items' values, built in `memory`.
template <class It>
bson::value array_of(It first, It last, bson::arena& memory) {
  const auto n = static_cast<std::size_t>(std::distance(first, last));
  bson::value* out = n ? memory.allocate_array<bson::value>(n) : nullptr;
  for (std::size_t i = 0; first != last; ++first, ++i)
    out[i] = first->value.get();
  return bson::value::array({out, n});
}

/// `[[seq, value], ...]`, the nlohmann form of seq-ordered lists.
document save_seq_items(const std::vector<kept_value>& items) {
  document out = document::array();
  for (const kept_value& item : items)
    out.push_back(document::array({item.seq, to_document(item.value.get())}));
  return out;
}
void load_seq_items(std::vector<kept_value>& items, const document& saved) {
  for (const document& item : saved)
    items.push_back({item[0].get<std::uint64_t>(), owned_of(item[1])});
}
/// The same for items whose arrival order does not matter: the values alone.
document save_items(const std::vector<kept_value>& items) {
  document out = document::array();
  for (const kept_value& item : items)
    out.push_back(to_document(item.value.get()));
  return out;
}
void load_items(std::vector<kept_value>& items, const document& saved) {
  for (const document& d : saved)
    items.push_back({0, owned_of(d)});
}

/// Accumulators with one input expression.
class unary_value_accumulator : public value_accumulator {
 public:
  explicit unary_value_accumulator(expression input) : input_(std::move(input)) {}
  bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                       bson::arena& memory) const override {
    return input_.evaluate_value(doc, ctx, memory);
  }

 private:
  expression input_;
};

// ---- $sum, $avg, $count, $stdDevPop/$stdDevSamp, $median/$percentile ----

class sum_value final : public unary_value_accumulator {
 public:
  using unary_value_accumulator::unary_value_accumulator;
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t,
                  const eval_context&) const override {
    s.sum.add(v);
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    s.sum.merge(o.sum);
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    return s.sum.sum().to_value(memory);
  }
  document save(const value_accumulator_state& s) const override {
    return number_document(s.sum.sum());
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    if (auto n = number_of(saved)) s.sum.add(*n);
  }
};

class avg_value final : public unary_value_accumulator {
 public:
  using unary_value_accumulator::unary_value_accumulator;
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t,
                  const eval_context&) const override {
    s.sum.add(v);
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    s.sum.merge(o.sum);
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    const auto avg = s.sum.average();
    return avg ? avg->to_value(memory) : bson::value::null();
  }
  /// `[sum, count]`: the sum a double as the nlohmann path keeps it (a decimal once one was
  /// seen, which the nlohmann path never had).
  document save(const value_accumulator_state& s) const override {
    const bson::number total = s.sum.sum();
    document sum =
        total.type == bson::type::decimal128 ? number_document(total) : document(total.as_double());
    return document::array({std::move(sum), s.sum.count()});
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    const auto count = saved[1].get<std::int64_t>();
    if (auto n = number_of(saved[0]); n && count > 0) s.sum.add(*n, count);
  }
};

class count_value final : public value_accumulator {
 public:
  bson::value evaluate(const bson::value&, const eval_context&, bson::arena&) const override {
    return {};
  }
  std::size_t add(value_accumulator_state& s, const bson::value&, std::uint64_t,
                  const eval_context&) const override {
    ++s.count;
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    s.count += o.count;
  }
  /// `$sum: 1`: an int32 while it fits.
  bson::value result(const value_accumulator_state& s, bson::arena&) const override {
    if (s.count <= std::numeric_limits<std::int32_t>::max())
      return bson::value::int32(static_cast<std::int32_t>(s.count));
    return bson::value::int64(s.count);
  }
  document save(const value_accumulator_state& s) const override { return s.count; }
  void load(value_accumulator_state& s, const document& saved) const override {
    s.count = saved.get<std::int64_t>();
  }
};

/// Welford's update and Chan's combination over `count`, `mean`, `m2`.
class std_dev_value final : public unary_value_accumulator {
 public:
  std_dev_value(expression input, bool sample)
      : unary_value_accumulator(std::move(input)), sample_(sample) {}
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t,
                  const eval_context&) const override {
    const auto n = bson::number::of(v);
    if (!n) return 0;
    const double x = n->as_double();
    ++s.count;
    const double delta = x - s.mean;
    s.mean += delta / static_cast<double>(s.count);
    s.m2 += delta * (x - s.mean);
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    if (o.count == 0) return;
    if (s.count == 0) {
      s.count = o.count;
      s.mean = o.mean;
      s.m2 = o.m2;
      return;
    }
    const double total = static_cast<double>(s.count + o.count);
    const double delta = o.mean - s.mean;
    const double n1 = static_cast<double>(s.count), n2 = static_cast<double>(o.count);
    s.mean += delta * n2 / total;
    s.m2 += o.m2 + delta * delta * n1 * n2 / total;
    s.count += o.count;
  }
  bson::value result(const value_accumulator_state& s, bson::arena&) const override {
    const std::int64_t divisor = sample_ ? s.count - 1 : s.count;
    if (divisor <= 0) return bson::value::null();
    return bson::value::double_(std::sqrt(s.m2 / static_cast<double>(divisor)));
  }
  document save(const value_accumulator_state& s) const override {
    return document::array({s.count, s.mean, s.m2});
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    s.count = saved[0].get<std::int64_t>();
    s.mean = saved[1].get<double>();
    s.m2 = saved[2].get<double>();
  }

 private:
  bool sample_;
};

/// Nearest rank: percentile `p` of `n` values is the one of rank `max(1, ceil(p·n))` (the
/// server's `approximate` method keeps every value as its own centroid at these sizes).
class percentile_value final : public unary_value_accumulator {
 public:
  percentile_value(expression input, bool median, std::vector<double> ps)
      : unary_value_accumulator(std::move(input)), median_(median), ps_(std::move(ps)) {}
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t,
                  const eval_context&) const override {
    const auto n = bson::number::of(v);
    if (!n) return 0;
    s.numbers.push_back(n->as_double());
    return sizeof(double);
  }
  std::size_t add_bytes(const bson::value& v) const override {
    return v.is_number() ? sizeof(double) : 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    s.numbers.insert(s.numbers.end(), o.numbers.begin(), o.numbers.end());
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    std::vector<double> values = s.numbers;
    std::sort(values.begin(), values.end());
    auto at = [&](double p) {
      if (values.empty()) return bson::value::null();
      const auto rank = static_cast<std::size_t>(
          std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
      return bson::value::double_(values[std::min(rank, values.size()) - 1]);
    };
    if (median_) return at(0.5);
    bson::value* out = memory.allocate_array<bson::value>(ps_.size());
    for (std::size_t i = 0; i < ps_.size(); ++i)
      out[i] = at(ps_[i]);
    return bson::value::array({out, ps_.size()});
  }
  std::size_t state_bytes(const value_accumulator_state& s) const override {
    return s.numbers.capacity() * sizeof(double);
  }
  document save(const value_accumulator_state& s) const override {
    document out = document::array();
    for (double d : s.numbers)
      out.push_back(d);
    return out;
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    for (const document& d : saved)
      s.numbers.push_back(d.get<double>());
  }

 private:
  bool median_;
  std::vector<double> ps_;
};

// ---- $min, $max, $first, $last ----

class extreme_value final : public unary_value_accumulator {
 public:
  extreme_value(expression input, bool largest)
      : unary_value_accumulator(std::move(input)), largest_(largest) {}
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t,
                  const eval_context&) const override {
    offer(s, v);
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    if (o.seen && better(o.kept.get(), s)) {
      s.kept = std::move(o.kept);
      s.seen = true;
    }
  }
  bson::value result(const value_accumulator_state& s, bson::arena&) const override {
    return s.seen ? s.kept.get() : bson::value::null();
  }
  document save(const value_accumulator_state& s) const override {
    return s.seen ? to_document(s.kept.get()) : document(nullptr);
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    if (saved.is_null()) return;
    s.kept = owned_of(saved);
    s.seen = true;
  }

 private:
  bool better(const bson::value& v, const value_accumulator_state& s) const noexcept {
    if (!s.seen) return true;
    const int c = bson::compare(v, s.kept.get());
    return largest_ ? c > 0 : c < 0;
  }
  void offer(value_accumulator_state& s, const bson::value& v) const {
    if (v.is_nullish() || !better(v, s)) return;
    s.kept = bson::owned_value(v);
    s.seen = true;
  }
  bool largest_;
};

class arrival_value final : public unary_value_accumulator {
 public:
  arrival_value(expression input, bool last)
      : unary_value_accumulator(std::move(input)), last_(last) {}
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (s.seen && !wins(seq, s.seq)) return 0;
    s.kept = bson::owned_value(v.is_missing() ? bson::value::null() : v);
    s.seq = seq;
    s.seen = true;
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    if (!o.seen || (s.seen && !wins(o.seq, s.seq))) return;
    s.kept = std::move(o.kept);
    s.seq = o.seq;
    s.seen = true;
  }
  bson::value result(const value_accumulator_state& s, bson::arena&) const override {
    return s.seen ? s.kept.get() : bson::value::null();
  }
  document save(const value_accumulator_state& s) const override {
    return s.seen ? document::array({s.seq, to_document(s.kept.get())}) : document(nullptr);
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    if (saved.is_null()) return;
    s.seq = saved[0].get<std::uint64_t>();
    s.kept = owned_of(saved[1]);
    s.seen = true;
  }

 private:
  bool wins(std::uint64_t candidate, std::uint64_t current) const noexcept {
    return last_ ? candidate >= current : candidate < current;
  }
  bool last_;
};

// ---- the N families ----

/// An `n` constant or computed from the group key (`detail::n_argument`), by the server's
/// `AccumulatorN::validateN`.
class n_value_accumulator : public value_accumulator {
 public:
  n_value_accumulator(detail::n_argument n, const char* op) : n_(std::move(n)), op_(op) {}
  void start(value_accumulator_state& s, const bson::value& key, const eval_context& ctx,
             bson::arena& memory) const override {
    if (!n_.computed) {
      s.n = n_.constant;
      return;
    }
    // The server evaluates `n` against the `_id` when it is a document, else an empty one.
    const bson::value root = key.is_document() ? key : bson::value::document({});
    const bson::value v = n_.computed->evaluate_value(root, ctx, memory);
    const auto number = bson::number::of(v);
    const auto as_long = number ? bson::to_long(v) : std::nullopt;
    if (!number || !as_long || static_cast<double>(*as_long) != number->as_double()) {
      throw_error("reel.expression.evaluation_failed", "",
                  std::string(op_) + ": Value for 'n' must be of integral type, but found " +
                      (v.is_missing() ? std::string("missing") : bson::to_nlohmann(v).dump()));
    }
    if (*as_long <= 0) {
      throw_error(
          "reel.expression.evaluation_failed", "",
          std::string(op_) + ": 'n' must be greater than 0, found " + std::to_string(*as_long));
    }
    s.n = static_cast<std::size_t>(*as_long);
  }

 private:
  detail::n_argument n_;
  const char* op_;
};

/// `$firstN`/`$lastN`: arrival order, missing kept as null.
class arrival_n_value final : public n_value_accumulator {
 public:
  arrival_n_value(expression input, detail::n_argument n, bool last)
      : n_value_accumulator(std::move(n), last ? "$lastN" : "$firstN"),
        input_(std::move(input)),
        last_(last) {}
  bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                       bson::arena& memory) const override {
    const bson::value v = input_.evaluate_value(doc, ctx, memory);
    return v.is_missing() ? bson::value::null() : v;
  }
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    // $firstN: a full list keeps its earlier values (nothing to copy).
    if (!last_ && s.items.size() >= s.n && s.items.back().seq <= seq) return 0;
    const std::size_t before = s.items.size();
    insert_by_seq(s.items, {seq, bson::owned_value(v)});
    trim(s);
    return s.items.size() > before ? item_bytes(v) : 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    merge_by_seq(s.items, std::move(o.items));
    trim(s);
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    return array_of(s.items.begin(), s.items.end(), memory);
  }
  document save(const value_accumulator_state& s) const override { return save_seq_items(s.items); }
  void load(value_accumulator_state& s, const document& saved) const override {
    load_seq_items(s.items, saved);
  }

 private:
  void trim(value_accumulator_state& s) const {
    if (s.items.size() <= s.n) return;
    const auto extra = static_cast<std::ptrdiff_t>(s.items.size() - s.n);
    if (last_) {
      s.items.erase(s.items.begin(), s.items.begin() + extra);
    } else {
      s.items.erase(s.items.end() - extra, s.items.end());
    }
  }
  expression input_;
  bool last_;
};

/// `$minN`/`$maxN`: nullish values ignored, best first.
class extreme_n_value final : public n_value_accumulator {
 public:
  extreme_n_value(expression input, detail::n_argument n, bool largest)
      : n_value_accumulator(std::move(n), largest ? "$maxN" : "$minN"),
        input_(std::move(input)),
        largest_(largest) {}
  bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                       bson::arena& memory) const override {
    return input_.evaluate_value(doc, ctx, memory);
  }
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (v.is_nullish()) return 0;
    if (s.items.size() >= s.n && !better(v, s.items.back().value.get())) return 0;
    const std::size_t before = s.items.size();
    offer(s, {seq, bson::owned_value(v)});
    return s.items.size() > before ? item_bytes(v) : 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    for (kept_value& item : o.items)
      offer(s, std::move(item));
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    return array_of(s.items.begin(), s.items.end(), memory);
  }
  document save(const value_accumulator_state& s) const override { return save_items(s.items); }
  void load(value_accumulator_state& s, const document& saved) const override {
    load_items(s.items, saved);
  }

 private:
  bool better(const bson::value& a, const bson::value& b) const noexcept {
    const int c = bson::compare(a, b);
    return largest_ ? c > 0 : c < 0;
  }
  void offer(value_accumulator_state& s, kept_value&& item) const {
    if (s.items.size() >= s.n && !better(item.value.get(), s.items.back().value.get())) return;
    auto at = std::upper_bound(s.items.begin(), s.items.end(), item,
                               [this](const kept_value& a, const kept_value& b) {
                                 return better(a.value.get(), b.value.get());
                               });
    s.items.insert(at, std::move(item));
    if (s.items.size() > s.n) s.items.pop_back();
  }
  expression input_;
  bool largest_;
};

/// `$top`, `$bottom`, `$topN`, `$bottomN`: each kept value is `[sortKey..., output]`, best
/// first (for `$bottom*` the last ones of the sort order first), ties by arrival.
class ranked_value final : public n_value_accumulator {
 public:
  ranked_value(const detail::ranked_accumulator& acc, const char* op)
      : n_value_accumulator(acc.n(), op),
        output_(acc.output()),
        bottom_(acc.bottom()),
        with_n_(acc.with_n()) {
    for (const auto& [path, direction] : acc.keys())
      keys_.emplace_back(bson::field_path(path.str()), direction);
  }
  bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                       bson::arena& memory) const override {
    bson::value* out = memory.allocate_array<bson::value>(keys_.size() + 1);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      const bson::value k = keys_[i].first.resolve(doc, memory);
      out[i] = k.is_missing() ? bson::value::null() : k;
    }
    const bson::value v = output_.evaluate_value(doc, ctx, memory);
    out[keys_.size()] = v.is_missing() ? bson::value::null() : v;
    return bson::value::array({out, keys_.size() + 1});
  }
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (s.items.size() >= s.n && !before(v, seq, s.items.back())) return 0;
    const std::size_t before_size = s.items.size();
    offer(s, {seq, bson::owned_value(v)});
    return s.items.size() > before_size ? item_bytes(v) : 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    for (kept_value& item : o.items)
      offer(s, std::move(item));
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    auto output = [](const kept_value& item) {
      const bson::value& a = item.value.get();
      return a.elements()[a.size() - 1];
    };
    if (!with_n_) return s.items.empty() ? bson::value::null() : output(s.items.front());
    bson::value* out = memory.allocate_array<bson::value>(s.items.size());
    for (std::size_t i = 0; i < s.items.size(); ++i)
      out[i] = output(bottom_ ? s.items[s.items.size() - 1 - i] : s.items[i]);
    return bson::value::array({out, s.items.size()});
  }
  /// `[[sortKeys, seq, output], ...]`.
  document save(const value_accumulator_state& s) const override {
    document out = document::array();
    for (const kept_value& item : s.items) {
      const auto e = item.value->elements();
      document keys = document::array();
      for (std::size_t i = 0; i + 1 < e.size(); ++i)
        keys.push_back(to_document(e[i]));
      out.push_back(document::array({std::move(keys), item.seq, to_document(e.back())}));
    }
    return out;
  }
  void load(value_accumulator_state& s, const document& saved) const override {
    for (const document& item : saved) {
      document joined = item[0];
      joined.push_back(item[2]);
      s.items.push_back({item[1].get<std::uint64_t>(), owned_of(joined)});
    }
  }

 private:
  /// Whether `[keys..., output]` arrived at `seq` comes before `item` in the kept order.
  bool before(const bson::value& a, std::uint64_t seq, const kept_value& item) const noexcept {
    const bson::value& b = item.value.get();
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      const int c = bson::compare(a.elements()[i], b.elements()[i]) * keys_[i].second;
      if (c != 0) return bottom_ ? c > 0 : c < 0;
    }
    return bottom_ ? seq > item.seq : seq < item.seq;
  }
  void offer(value_accumulator_state& s, kept_value&& item) const {
    if (s.items.size() >= s.n && !before(item.value.get(), item.seq, s.items.back())) return;
    auto at = std::upper_bound(s.items.begin(), s.items.end(), item,
                               [this](const kept_value& a, const kept_value& b) {
                                 return before(a.value.get(), a.seq, b);
                               });
    s.items.insert(at, std::move(item));
    if (s.items.size() > s.n) s.items.pop_back();
  }
  std::vector<std::pair<bson::field_path, int>> keys_;
  expression output_;
  bool bottom_;
  bool with_n_;
};

// ---- $push, $addToSet, $mergeObjects ----

class push_value final : public unary_value_accumulator {
 public:
  using unary_value_accumulator::unary_value_accumulator;
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (v.is_missing()) return 0;
    insert_by_seq(s.items, {seq, bson::owned_value(v)});
    return item_bytes(v);
  }
  std::size_t add_bytes(const bson::value& v) const override {
    return v.is_missing() ? 0 : item_bytes(v);
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    merge_by_seq(s.items, std::move(o.items));
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    return array_of(s.items.begin(), s.items.end(), memory);
  }
  document save(const value_accumulator_state& s) const override { return save_seq_items(s.items); }
  void load(value_accumulator_state& s, const document& saved) const override {
    load_seq_items(s.items, saved);
  }
};

/// Distinct values by BSON equality (1 and 1.0 are one), kept in BSON order.
class add_to_set_value final : public unary_value_accumulator {
 public:
  using unary_value_accumulator::unary_value_accumulator;
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (v.is_missing()) return 0;
    auto at = position(s, v);
    if (at != s.items.end() && bson::equal(at->value.get(), v)) return 0;
    s.items.insert(at, {seq, bson::owned_value(v)});
    return item_bytes(v);
  }
  std::size_t add_bytes(const bson::value& v) const override {
    return v.is_missing() ? 0 : item_bytes(v);
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    for (kept_value& item : o.items) {
      auto at = position(s, item.value.get());
      if (at == s.items.end() || !bson::equal(at->value.get(), item.value.get()))
        s.items.insert(at, std::move(item));
    }
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    return array_of(s.items.begin(), s.items.end(), memory);
  }
  document save(const value_accumulator_state& s) const override { return save_items(s.items); }
  void load(value_accumulator_state& s, const document& saved) const override {
    load_items(s.items, saved);
  }

 private:
  static std::vector<kept_value>::iterator position(value_accumulator_state& s,
                                                    const bson::value& v) {
    return std::lower_bound(s.items.begin(), s.items.end(), v,
                            [](const kept_value& a, const bson::value& b) {
                              return bson::compare(a.value.get(), b) < 0;
                            });
  }
};

/// Objects merged in arrival order: a field set again keeps its place, the last value wins.
class merge_objects_value final : public unary_value_accumulator {
 public:
  using unary_value_accumulator::unary_value_accumulator;
  bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                       bson::arena& memory) const override {
    const bson::value v = unary_value_accumulator::evaluate(doc, ctx, memory);
    if (!v.is_nullish() && !v.is_document()) {
      throw_error("reel.expression.evaluation_failed", "",
                  "$mergeObjects requires object inputs, but input is of type " +
                      detail::value_type_name(v));
    }
    return v;
  }
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context&) const override {
    if (v.is_nullish()) return 0;
    insert_by_seq(s.items, {seq, bson::owned_value(v)});
    return item_bytes(v);
  }
  std::size_t add_bytes(const bson::value& v) const override {
    return v.is_nullish() ? 0 : item_bytes(v);
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    merge_by_seq(s.items, std::move(o.items));
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    std::vector<bson::field> fields;
    for (const kept_value& item : s.items) {
      for (const bson::field& f : item.value->fields()) {
        auto same = std::find_if(fields.begin(), fields.end(),
                                 [&](const bson::field& g) { return g.name() == f.name(); });
        if (same != fields.end()) {
          same->val = f.val;
        } else {
          fields.push_back(f);
        }
      }
    }
    bson::builder out(memory);
    out.begin_document();
    for (const bson::field& f : fields)
      out.append(f.name(), f.val);
    return out.end();
  }
  document save(const value_accumulator_state& s) const override { return save_seq_items(s.items); }
  void load(value_accumulator_state& s, const document& saved) const override {
    load_seq_items(s.items, saved);
  }
};

/// Any other accumulator (one a user registered): its nlohmann body on the converted document.
/// Not covered by the evaluate-then-add guarantee: its `add` may throw.
class bridged_value final : public value_accumulator {
 public:
  explicit bridged_value(const accumulator& acc) : acc_(&acc) {}
  void start(value_accumulator_state& s, const bson::value&, const eval_context&,
             bson::arena&) const override {
    s.bridged = acc_->init();
  }
  /// The document itself: the nlohmann accumulator reads it in `add`.
  bson::value evaluate(const bson::value& doc, const eval_context&, bson::arena&) const override {
    return doc;
  }
  std::size_t add(value_accumulator_state& s, const bson::value& v, std::uint64_t seq,
                  const eval_context& ctx) const override {
    acc_->add(s.bridged, bson::to_nlohmann(v), ctx, seq);
    return 0;
  }
  void merge(value_accumulator_state& s, value_accumulator_state&& o) const override {
    acc_->merge(s.bridged, o.bridged);
  }
  bson::value result(const value_accumulator_state& s, bson::arena& memory) const override {
    const document r = acc_->result(s.bridged);
    return is_missing(r) ? bson::value::null() : bson::from_nlohmann(r, memory);
  }
  std::size_t state_bytes(const value_accumulator_state& s) const override {
    return acc_->state_bytes(s.bridged);
  }
  document save(const value_accumulator_state& s) const override { return s.bridged; }
  void load(value_accumulator_state& s, const document& saved) const override { s.bridged = saved; }

 private:
  // The nlohmann accumulator outlives its value form: both belong to the compiled definition
  // (`value_group_definition::group` holds it).
  const accumulator* acc_;
};

}  // namespace

void value_accumulator::start(value_accumulator_state&, const bson::value&, const eval_context&,
                              bson::arena&) const {}

std::size_t value_accumulator::state_bytes(const value_accumulator_state& s) const {
  std::size_t n = s.kept.footprint() + s.items.capacity() * sizeof(kept_value) +
                  s.numbers.capacity() * sizeof(double);
  for (const kept_value& item : s.items)
    n += item.value.footprint();
  return n;
}

std::shared_ptr<const value_accumulator> accumulator::value_form() const {
  return std::make_shared<bridged_value>(*this);
}

namespace detail {

std::shared_ptr<const value_accumulator> sum_accumulator::value_form() const {
  return std::make_shared<sum_value>(input());
}
std::shared_ptr<const value_accumulator> avg_accumulator::value_form() const {
  return std::make_shared<avg_value>(input());
}
std::shared_ptr<const value_accumulator> count_accumulator::value_form() const {
  return std::make_shared<count_value>();
}
std::shared_ptr<const value_accumulator> std_dev_accumulator::value_form() const {
  return std::make_shared<std_dev_value>(input(), sample());
}
std::shared_ptr<const value_accumulator> percentile_accumulator::value_form() const {
  return std::make_shared<percentile_value>(input(), median(), ps());
}
std::shared_ptr<const value_accumulator> extreme_accumulator::value_form() const {
  return std::make_shared<extreme_value>(input(), largest());
}
std::shared_ptr<const value_accumulator> arrival_accumulator::value_form() const {
  return std::make_shared<arrival_value>(input(), last());
}
std::shared_ptr<const value_accumulator> arrival_n_accumulator::value_form() const {
  return std::make_shared<arrival_n_value>(input(), n(), last());
}
std::shared_ptr<const value_accumulator> extreme_n_accumulator::value_form() const {
  return std::make_shared<extreme_n_value>(input(), n(), largest());
}
std::shared_ptr<const value_accumulator> ranked_accumulator::value_form() const {
  const char* op = with_n() ? (bottom() ? "$bottomN" : "$topN") : (bottom() ? "$bottom" : "$top");
  return std::make_shared<ranked_value>(*this, op);
}
std::shared_ptr<const value_accumulator> push_accumulator::value_form() const {
  return std::make_shared<push_value>(input());
}
std::shared_ptr<const value_accumulator> add_to_set_accumulator::value_form() const {
  return std::make_shared<add_to_set_value>(input());
}
std::shared_ptr<const value_accumulator> merge_objects_accumulator::value_form() const {
  return std::make_shared<merge_objects_value>(input());
}

}  // namespace detail

}  // namespace reel::json
