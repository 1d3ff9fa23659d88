// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$group` of the JSON front end, compiled once: the `_id` expression and one accumulator per
/// output field. `group_aggregation` models `reel::window_aggregation`, so JSON windows run on the
/// same engine as typed ones (incremental, sliced for hopping windows, merged for sessions).
/// `$group` keys compare and hash in BSON order (`1`, `1.0` and `NumberLong(1)` are one key); a
/// missing `_id` value groups as null.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/checkpoint/detail/decode.hpp"
#include "reel/detail/flat_map.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/accumulator.hpp"
#include "reel/json/accumulators/builtin.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/mongodb_names.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/state_size.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

/// Hash consistent with `compare_values(a, b) == 0`.
struct value_hash {
  std::size_t operator()(const document& d) const noexcept {
    if (auto n = as_numeric(d)) {
      const double x = n->to_double();
      return std::hash<double>{}(x == 0 ? 0.0 : x);
    }
    if (auto t = as_date(d)) return std::hash<std::int64_t>{}(to_millis(*t)) ^ 0x5bd1e995;
    switch (d.type()) {
      case document::value_t::string:
        return std::hash<std::string>{}(d.get_ref<const std::string&>());
      case document::value_t::boolean:
        return d.get<bool>() ? 0x9e37 : 0x7f4a;
      case document::value_t::null:
      case document::value_t::discarded:
        return 0x1234;
      case document::value_t::array: {
        std::size_t h = 0xabcdef;
        for (const auto& e : d)
          h = h * 31 + (*this)(e);
        return h;
      }
      case document::value_t::object: {
        std::size_t h = 0xfedcba;
        for (const auto& [k, v] : d.items())
          h = h * 31 + std::hash<std::string>{}(k)*7 + (*this)(v);
        return h;
      }
      default:
        return std::hash<document>{}(d);
    }
  }
};
struct value_equal {
  bool operator()(const document& a, const document& b) const { return compare_values(a, b) == 0; }
};

namespace detail {
/// A document in a checkpoint (whose JSON objects sort their keys): as MessagePack bytes of the
/// ordered document, so that field order survives a restore.
inline nlohmann::json save_document(const document& d) {
  return nlohmann::json::binary(document::to_msgpack(d));
}
inline document load_document(const nlohmann::json& j) {
  if (j.is_binary()) {
    document d = document::from_msgpack(j.get_binary());
    if (!reel::detail::strings_are_utf8(d)) {
      throw_error("reel.checkpoint.invalid", "",
                  "malformed checkpoint: a string in it is not valid UTF-8");
    }
    return d;
  }
  return document(j);  // checkpoints written before field order was kept
}
inline nlohmann::json save_documents(const std::vector<document>& docs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : docs)
    out.push_back(save_document(d));
  return out;
}
inline std::vector<document> load_documents(const nlohmann::json& j) {
  std::vector<document> out;
  out.reserve(j.size());
  for (const auto& d : j)
    out.emplace_back(load_document(d));
  return out;
}
}  // namespace detail

/// A compiled `$group` specification.
struct group_definition {
  expression id;
  std::vector<std::string> fields;
  std::vector<std::shared_ptr<const accumulator>> accumulators;
};

/// Compiles `{"_id": <expr>, "<field>": {"$<acc>": <arg>}, ...}`; `where` points at the spec.
/// An `n` computed from the group key (`accumulator::reads_group_key`) is refused unless
/// `key_dependent_n` (the value path, `value_group.hpp`, computes it; this file's
/// `group_aggregation` does not).
inline group_definition compile_group(const document& spec, const std::string& where,
                                      bool key_dependent_n = false) {
  if (!spec.is_object()) throw_error("reel.pipeline.bad_stage", where, "$group takes an object");
  auto id = spec.find("_id");
  if (id == spec.end())
    throw_error("reel.pipeline.bad_stage", where, "$group requires an '_id' field");
  group_definition g;
  g.id = compile_expression(*id, where + "/_id");
  for (const auto& [field, acc] : spec.items()) {
    if (field == "_id") continue;
    const std::string at = where + "/" + field;
    if (field.empty() || field[0] == '$' || field.find('.') != std::string::npos) {
      throw_error("reel.pipeline.bad_stage", at,
                  "$group output field names must not be empty, start with '$' or contain '.'");
    }
    if (!acc.is_object() || acc.size() != 1 || acc.begin().key().empty() ||
        acc.begin().key()[0] != '$') {
      throw_error(
          "reel.pipeline.bad_accumulator", at,
          "the field '" + field + "' must be an accumulator object like {\"$sum\": \"$qty\"}");
    }
    const std::string name = acc.begin().key();
    const auto* factory = accumulator_registry::global().find(name);
    if (factory == nullptr && is_listed(mongodb_accumulators(), name)) {
      throw_error("reel.pipeline.unsupported_operator", at,
                  "accumulator '" + name + "' is not supported by Reel");
    }
    if (factory == nullptr) {
      throw_error("reel.pipeline.unknown_operator", at,
                  "unknown accumulator '" + name + "'" +
                      reel::detail::did_you_mean(name, accumulator_registry::global().names()));
    }
    g.fields.push_back(field);
    g.accumulators.push_back((*factory)(acc.begin().value(), at + "/" + name));
    if (!key_dependent_n && g.accumulators.back()->reads_group_key()) {
      throw_error("reel.pipeline.unsupported_operator", at + "/" + name + "/n",
                  name +
                      " with 'n' computed from the group key is not supported by the stream "
                      "processor yet: give 'n' as a positive integer");
    }
  }
  return g;
}

/// The state of one group of a `$group`: one state per accumulator, and the bytes the group is
/// charged in the window state (`state_size.hpp`: its key included).
struct group_state {
  std::vector<document> values;
  std::size_t bytes = 0;
};

/// The window aggregation of a compiled `$group`. `ctx` (owned by the caller) supplies the
/// stream metadata that key and accumulator expressions may read. It keeps the estimated bytes
/// of the groups the windows hold (`held_bytes()`, see `state_size.hpp`).
class group_aggregation {
 public:
  using event_type = document;
  using key_type = document;
  using state_type = group_state;
  using key_hash = value_hash;
  using key_equal = value_equal;

  group_aggregation(std::shared_ptr<const group_definition> def,
                    std::shared_ptr<const eval_context> ctx)
      : def_(std::move(def)), ctx_(std::move(ctx)) {
    initial_bytes_ = group_overhead + def_->accumulators.size() * sizeof(document);
    for (std::size_t i = 0; i < def_->accumulators.size(); ++i) {
      initial_bytes_ += detail::document_bytes(def_->accumulators[i]->init());
      if (!def_->accumulators[i]->bounded_state()) unbounded_.push_back(i);
    }
  }

  /// Evaluates the key and every accumulator's input for `e` (throws `reel::error` when one
  /// fails) before a window changes any state for `e`; the next `key_of(e)` and `add(s, e, seq)`
  /// use these values. `unprepare()` forgets them.
  void prepare(const document& e) const {
    prepared_ = nullptr;
    // The key is not copied: it usually points into `e` (a field path), which outlives its use.
    const document& key = def_->id.evaluate(e, *ctx_, key_scratch_);
    prepared_key_ = is_missing(key) ? &null_key() : &key;
    prepared_values_.resize(def_->accumulators.size());
    for (std::size_t i = 0; i < prepared_values_.size(); ++i) {
      prepared_values_[i] = def_->accumulators[i]->evaluate(e, *ctx_);
    }
    prepared_ = &e;
  }
  void unprepare() const noexcept { prepared_ = nullptr; }

  /// The bytes the prepared event would add to the state: a new group unless `group_exists`,
  /// plus one element of each accumulator whose state is not bounded.
  [[nodiscard]] std::size_t prepared_bytes(bool group_exists) const {
    std::size_t n = group_exists ? 0 : initial_bytes_ + detail::document_bytes(*prepared_key_);
    for (const std::size_t i : unbounded_)
      n += list_element_overhead + detail::document_bytes(prepared_values_[i]);
    return n;
  }
  /// The key `prepare` evaluated (valid until the next `prepare`).
  [[nodiscard]] const key_type& prepared_key() const noexcept { return *prepared_key_; }
  /// Whether every accumulator's state is bounded (`accumulator::bounded_state`).
  [[nodiscard]] bool bounded() const noexcept { return unbounded_.empty(); }

  /// The key of `e`, valid until the next call (windows copy it when they add a group).
  const key_type& key_of(const document& e) const {
    if (prepared_ == &e) return *prepared_key_;
    key_scratch_ = evaluate_key(e);
    return key_scratch_;
  }
  state_type make_state() const {
    state_type s;
    s.values.reserve(def_->accumulators.size());
    for (const auto& acc : def_->accumulators)
      s.values.push_back(acc->init());
    made_ = true;
    return s;
  }
  void add(state_type& s, const document& e, std::uint64_t seq) const {
    std::size_t charge = 0;
    if (made_) {  // the window made this group for `e`
      made_ = false;
      charge = initial_bytes_ + detail::document_bytes(key_of(e));
    }
    std::vector<document>& v = s.values;
    if (prepared_ == &e) {  // evaluated by prepare(): nothing below can fail
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].is_number()) [[likely]] {  // $sum, $count, $min of numbers: stays a number
          def_->accumulators[i]->add_value(v[i], std::move(prepared_values_[i]), e, *ctx_, seq);
          continue;
        }
        const std::size_t before = v[i].is_array() ? v[i].size() : 0;
        const std::size_t value_bytes =
            v[i].is_array() || v[i].is_null() ? detail::document_bytes(prepared_values_[i]) : 0;
        def_->accumulators[i]->add_value(v[i], std::move(prepared_values_[i]), e, *ctx_, seq);
        charge += growth(v[i], before, value_bytes);
      }
      prepared_ = nullptr;
    } else {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::size_t before = v[i].is_array() ? v[i].size() : 0;
        def_->accumulators[i]->add(v[i], e, *ctx_, seq);
        charge += growth(v[i], before, 0);
      }
    }
    if (charge != 0) {
      s.bytes += charge;
      held_bytes_ += charge;
    }
  }
  void merge(state_type& s, const state_type& o) const {
    for (std::size_t i = 0; i < s.values.size(); ++i)
      def_->accumulators[i]->merge(s.values[i], o.values[i]);
    s.bytes += o.bytes;
  }
  /// A window discarded `s` (see `releasing_aggregation`).
  void release(const state_type& s) const noexcept { held_bytes_ -= s.bytes; }
  /// Estimated bytes of the groups held by the windows (`state_size.hpp`).
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_bytes_; }
  /// Forgets every group (before the windows load a checkpoint).
  void clear_held() const noexcept { held_bytes_ = 0; }

  bool key_less(const key_type& a, const key_type& b) const { return compare_values(a, b) < 0; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const {
    std::size_t n = s.values.capacity() * sizeof(document);
    for (std::size_t i = 0; i < s.values.size(); ++i)
      n += def_->accumulators[i]->state_bytes(s.values[i]);
    return n;
  }
  /// `{_id: key, <field>: result, ...}`.
  document result(const key_type& key, const state_type& s) const {
    document out = document::object();
    out["_id"] = key;
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      document v = def_->accumulators[i]->result(s.values[i]);
      if (!is_missing(v)) out[def_->fields[i]] = std::move(v);
    }
    return out;
  }
  nlohmann::json save_key(const key_type& k) const { return detail::save_document(k); }
  key_type load_key(const nlohmann::json& j) const { return detail::load_document(j); }
  /// The accumulator states, then the group's charge (a number after the states).
  nlohmann::json save_state(const state_type& s) const {
    nlohmann::json out = detail::save_documents(s.values);
    out.push_back(s.bytes);
    return out;
  }
  state_type load_state(const nlohmann::json& j) const {
    state_type s;
    if (j.size() == def_->accumulators.size() + 1 && j.back().is_number_unsigned()) {
      s.bytes = j.back().get<std::size_t>();
      nlohmann::json values = j;
      values.erase(values.size() - 1);
      s.values = detail::load_documents(values);
    } else {  // written before states kept their charge: estimated again (without the key)
      s.values = detail::load_documents(j);
      s.bytes = initial_bytes_;
      for (const document& v : s.values)
        s.bytes += detail::document_bytes(v);
    }
    if (s.values.size() != def_->accumulators.size()) {
      throw_error("reel.checkpoint.invalid", "",
                  "malformed checkpoint: a $group state does not match the pipeline");
    }
    held_bytes_ += s.bytes;
    return s;
  }

 private:
  key_type evaluate_key(const document& e) const {
    document k = def_->id.evaluate(e, *ctx_);
    return is_missing(k) ? document(nullptr) : k;
  }
  static const document& null_key() {
    static const document null = nullptr;
    return null;
  }
  /// What an accumulator state that had `before` list elements gained in an add of a value of
  /// `value_bytes`.
  static std::size_t growth(const document& state, std::size_t before,
                            std::size_t value_bytes) noexcept {
    const std::size_t after = state.is_array() ? state.size() : 0;
    return after > before ? (after - before) * list_element_overhead + value_bytes : 0;
  }

  std::shared_ptr<const group_definition> def_;
  std::shared_ptr<const eval_context> ctx_;
  std::size_t initial_bytes_ = 0;       // a new group, its key excepted
  std::vector<std::size_t> unbounded_;  // accumulators whose state grows with its documents
  // The values prepare() evaluated for the event at `prepared_` (scratch, reused).
  mutable const document* prepared_ = nullptr;
  mutable const key_type* prepared_key_ = nullptr;  // into the event, a constant or key_scratch_
  mutable key_type key_scratch_;
  mutable std::vector<document> prepared_values_;
  mutable bool made_ = false;  // make_state() made the group the next add() is for
  mutable std::size_t held_bytes_ = 0;
};

/// The documents a window buffers (inner pipelines that do not start with `$group`): `[seq,
/// doc]` in arrival order, and their charge in the window state (`state_size.hpp`).
struct buffered_documents {
  std::vector<document> items;
  std::size_t bytes = 0;
};

/// Buffers a window's documents in arrival order (inner pipelines that do not start with
/// `$group`): one group. It keeps the estimated bytes and the number of the documents the
/// windows hold (`held_bytes()`, `held_documents()`).
class buffer_aggregation {
 public:
  using event_type = document;
  using key_type = document;
  using state_type = buffered_documents;
  using key_hash = value_hash;
  using key_equal = value_equal;

  /// Measures `e` before it is added (the next `add(s, e, seq)` uses it).
  void prepare(const document& e) const {
    prepared_bytes_ = buffered_document_overhead + detail::document_bytes(e);
    prepared_ = &e;
  }
  void unprepare() const noexcept { prepared_ = nullptr; }
  /// The bytes the prepared event would add to the state.
  [[nodiscard]] std::size_t prepared_bytes(bool = false) const noexcept { return prepared_bytes_; }

  key_type key_of(const document&) const { return nullptr; }
  state_type make_state() const { return {}; }
  void add(state_type& s, const document& e, std::uint64_t seq) const {
    const std::size_t charge =
        prepared_ == &e ? prepared_bytes_ : buffered_document_overhead + detail::document_bytes(e);
    prepared_ = nullptr;
    std::vector<document>& items = s.items;
    document item = document::array({seq, e});
    if (items.empty() || items.back()[0].get<std::uint64_t>() <= seq) {
      items.push_back(std::move(item));
    } else {
      auto at = std::upper_bound(
          items.begin(), items.end(), seq,
          [](std::uint64_t q, const document& x) { return q < x[0].get<std::uint64_t>(); });
      items.insert(at, std::move(item));
    }
    s.bytes += charge;
    held_bytes_ += charge;
    ++held_documents_;
  }
  void merge(state_type& s, const state_type& o) const {
    std::vector<document> out;
    out.reserve(s.items.size() + o.items.size());
    std::merge(s.items.begin(), s.items.end(), o.items.begin(), o.items.end(),
               std::back_inserter(out), [](const document& a, const document& b) {
                 return a[0].get<std::uint64_t>() < b[0].get<std::uint64_t>();
               });
    s.items = std::move(out);
    s.bytes += o.bytes;
  }
  /// A window discarded `s` (see `releasing_aggregation`).
  void release(const state_type& s) const noexcept {
    held_bytes_ -= s.bytes;
    held_documents_ -= s.items.size();
  }
  /// Estimated bytes of the documents held by the windows (`state_size.hpp`).
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_bytes_; }
  /// Documents held by the windows.
  [[nodiscard]] std::size_t held_documents() const noexcept { return held_documents_; }
  /// Forgets every document (before the windows load a checkpoint).
  void clear_held() const noexcept {
    held_bytes_ = 0;
    held_documents_ = 0;
  }

  bool key_less(const key_type&, const key_type&) const { return false; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const {
    std::size_t n = s.items.capacity() * sizeof(document);
    for (const auto& d : s.items)
      n += detail::document_bytes(d);
    return n;
  }
  /// The buffered documents in arrival order.
  std::vector<document> documents(const state_type& s) const {
    std::vector<document> out;
    out.reserve(s.items.size());
    for (const auto& item : s.items)
      out.push_back(item[1]);
    return out;
  }
  nlohmann::json save_key(const key_type& k) const { return detail::save_document(k); }
  key_type load_key(const nlohmann::json& j) const { return detail::load_document(j); }
  nlohmann::json save_state(const state_type& s) const { return detail::save_documents(s.items); }
  /// The charge is measured again: the same figure as when the documents were added.
  state_type load_state(const nlohmann::json& j) const {
    state_type s;
    s.items = detail::load_documents(j);
    for (const document& item : s.items) {
      if (!item.is_array() || item.size() != 2 || !item[0].is_number_unsigned()) {
        throw_error("reel.checkpoint.invalid", "",
                    "malformed checkpoint: a buffered window document is not [seq, document]");
      }
      s.bytes += buffered_document_overhead + detail::document_bytes(item[1]);
    }
    held_bytes_ += s.bytes;
    held_documents_ += s.items.size();
    return s;
  }

 private:
  mutable const document* prepared_ = nullptr;
  mutable std::size_t prepared_bytes_ = 0;
  mutable std::size_t held_bytes_ = 0;
  mutable std::size_t held_documents_ = 0;
};

/// `$group` as a batch stage (a `$group` that follows other stages in a window pipeline).
class group_stage final : public document_stage {
 public:
  explicit group_stage(std::shared_ptr<const group_definition> def) : def_(std::move(def)) {}
  std::string_view operator_name() const override { return "GroupOperator"; }
  void apply(document&&, const eval_context&, std::vector<document>&) const override {
    throw_error("reel.pipeline.batch_stage", "", "$group runs on whole windows only");
  }
  bool is_batch_only() const override { return true; }
  [[nodiscard]] const std::shared_ptr<const group_definition>& definition() const noexcept {
    return def_;
  }
  /// Called with a document whose key or accumulator fails, and the error.
  using error_handler = std::function<void(const document&, const reel::error&)>;
  void apply_batch(std::vector<document>& docs, const eval_context& ctx) const override {
    apply_batch(docs, ctx, [](const document&, const reel::error& e) { throw e; });
  }
  /// Groups `docs`; a document whose key or accumulator fails goes to `on_error` and counts in no
  /// group.
  void apply_batch(std::vector<document>& docs, const eval_context& ctx,
                   const error_handler& on_error) const {
    group_aggregation agg(def_, std::make_shared<const eval_context>(ctx));
    reel::detail::flat_map<document, group_state, value_hash, value_equal> groups;
    std::uint64_t seq = 0;
    for (const document& d : docs) {
      try {
        agg.prepare(d);
      } catch (const reel::error& e) {
        on_error(d, e);
        continue;
      }
      agg.add(groups.find_or_insert(agg.key_of(d), [&] { return agg.make_state(); }), d, seq++);
    }
    std::vector<std::pair<const document*, const group_state*>> entries;
    groups.for_each([&](const document& k, const group_state& s) { entries.emplace_back(&k, &s); });
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return compare_values(*a.first, *b.first) < 0; });
    std::vector<document> out;
    out.reserve(entries.size());
    for (const auto& [k, s] : entries)
      out.push_back(agg.result(*k, *s));
    docs = std::move(out);
  }

 private:
  std::shared_ptr<const group_definition> def_;
};

}  // namespace reel::json
