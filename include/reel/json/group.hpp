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
inline group_definition compile_group(const document& spec, const std::string& where) {
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
  }
  return g;
}

/// The window aggregation of a compiled `$group`. `ctx` (owned by the caller) supplies the
/// stream metadata that key and accumulator expressions may read.
class group_aggregation {
 public:
  using event_type = document;
  using key_type = document;
  using state_type = std::vector<document>;
  using key_hash = value_hash;
  using key_equal = value_equal;

  group_aggregation(std::shared_ptr<const group_definition> def,
                    std::shared_ptr<const eval_context> ctx)
      : def_(std::move(def)), ctx_(std::move(ctx)) {}

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

  /// The key of `e`, valid until the next call (windows copy it when they add a group).
  const key_type& key_of(const document& e) const {
    if (prepared_ == &e) return *prepared_key_;
    key_scratch_ = evaluate_key(e);
    return key_scratch_;
  }
  state_type make_state() const {
    state_type s;
    s.reserve(def_->accumulators.size());
    for (const auto& acc : def_->accumulators)
      s.push_back(acc->init());
    return s;
  }
  void add(state_type& s, const document& e, std::uint64_t seq) const {
    if (prepared_ == &e) {  // evaluated by prepare(): nothing below can fail
      for (std::size_t i = 0; i < s.size(); ++i) {
        def_->accumulators[i]->add_value(s[i], std::move(prepared_values_[i]), e, *ctx_, seq);
      }
      prepared_ = nullptr;
      return;
    }
    for (std::size_t i = 0; i < s.size(); ++i)
      def_->accumulators[i]->add(s[i], e, *ctx_, seq);
  }
  void merge(state_type& s, const state_type& o) const {
    for (std::size_t i = 0; i < s.size(); ++i)
      def_->accumulators[i]->merge(s[i], o[i]);
  }
  bool key_less(const key_type& a, const key_type& b) const { return compare_values(a, b) < 0; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const {
    std::size_t n = s.capacity() * sizeof(document);
    for (std::size_t i = 0; i < s.size(); ++i)
      n += def_->accumulators[i]->state_bytes(s[i]);
    return n;
  }
  /// `{_id: key, <field>: result, ...}`.
  document result(const key_type& key, const state_type& s) const {
    document out = document::object();
    out["_id"] = key;
    for (std::size_t i = 0; i < s.size(); ++i) {
      document v = def_->accumulators[i]->result(s[i]);
      if (!is_missing(v)) out[def_->fields[i]] = std::move(v);
    }
    return out;
  }
  nlohmann::json save_key(const key_type& k) const { return detail::save_document(k); }
  key_type load_key(const nlohmann::json& j) const { return detail::load_document(j); }
  nlohmann::json save_state(const state_type& s) const { return detail::save_documents(s); }
  state_type load_state(const nlohmann::json& j) const { return detail::load_documents(j); }

 private:
  key_type evaluate_key(const document& e) const {
    document k = def_->id.evaluate(e, *ctx_);
    return is_missing(k) ? document(nullptr) : k;
  }
  static const document& null_key() {
    static const document null = nullptr;
    return null;
  }

  std::shared_ptr<const group_definition> def_;
  std::shared_ptr<const eval_context> ctx_;
  // The values prepare() evaluated for the event at `prepared_` (scratch, reused).
  mutable const document* prepared_ = nullptr;
  mutable const key_type* prepared_key_ = nullptr;  // into the event, a constant or key_scratch_
  mutable key_type key_scratch_;
  mutable std::vector<document> prepared_values_;
};

/// Buffers a window's documents in arrival order (inner pipelines that do not start with
/// `$group`): one group, the documents as `[seq, doc]`.
class buffer_aggregation {
 public:
  using event_type = document;
  using key_type = document;
  using state_type = std::vector<document>;
  using key_hash = value_hash;
  using key_equal = value_equal;

  key_type key_of(const document&) const { return nullptr; }
  state_type make_state() const { return {}; }
  void add(state_type& s, const document& e, std::uint64_t seq) const {
    document item = document::array({seq, e});
    if (s.empty() || s.back()[0].get<std::uint64_t>() <= seq) {
      s.push_back(std::move(item));
    } else {
      auto at = std::upper_bound(s.begin(), s.end(), seq, [](std::uint64_t q, const document& x) {
        return q < x[0].get<std::uint64_t>();
      });
      s.insert(at, std::move(item));
    }
  }
  void merge(state_type& s, const state_type& o) const {
    state_type out;
    out.reserve(s.size() + o.size());
    std::merge(s.begin(), s.end(), o.begin(), o.end(), std::back_inserter(out),
               [](const document& a, const document& b) {
                 return a[0].get<std::uint64_t>() < b[0].get<std::uint64_t>();
               });
    s = std::move(out);
  }
  bool key_less(const key_type&, const key_type&) const { return false; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const {
    std::size_t n = s.capacity() * sizeof(document);
    for (const auto& d : s)
      n += detail::document_bytes(d);
    return n;
  }
  /// The buffered documents in arrival order.
  std::vector<document> documents(const state_type& s) const {
    std::vector<document> out;
    out.reserve(s.size());
    for (const auto& item : s)
      out.push_back(item[1]);
    return out;
  }
  nlohmann::json save_key(const key_type& k) const { return detail::save_document(k); }
  key_type load_key(const nlohmann::json& j) const { return detail::load_document(j); }
  nlohmann::json save_state(const state_type& s) const { return detail::save_documents(s); }
  state_type load_state(const nlohmann::json& j) const { return detail::load_documents(j); }
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
    reel::detail::flat_map<document, std::vector<document>, value_hash, value_equal> groups;
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
    std::vector<std::pair<const document*, const std::vector<document>*>> entries;
    groups.for_each(
        [&](const document& k, const std::vector<document>& s) { entries.emplace_back(&k, &s); });
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
