// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$group` and its accumulators on the BSON value model (issue #12, docs/document-model.md §6
/// step 3), beside the nlohmann ones of `group.hpp` and `accumulators/`: the same compiled
/// `group_definition`, evaluated on `bson::value`s, with MongoDB's exact numeric types (`$sum` of
/// decimals is a decimal, of int32s an int32 until it overflows to int64, then double).
///
/// Every accumulator of the registry has a value form (`accumulator::value_form`): the built-in
/// ones natively (src/json/value_accumulators.cpp), any other through a bridge that runs its
/// nlohmann body. A value state holds no nlohmann value and, for `$sum`, `$avg`, `$count`,
/// `$min`/`$max`/`$first`/`$last` of scalars and `$stdDev*`, no heap memory: adding to it
/// allocates nothing. Values kept beyond the message they came from (`$push`, `$addToSet`,
/// `$first` of a document, `$topN`, a group key) are `bson::owned_value`s, one block each.
///
/// A value state converts to and from the nlohmann accumulator's state document, so a checkpoint
/// keeps today's format when the runtime moves to values.
///
/// Only built when Reel has `reel::bson` (`REEL_JSON_VALUE_EVAL`). Nothing in the stream
/// processor calls this yet: `value_group_aggregation` is the entry the window stage will use.
#pragma once

#if defined(REEL_JSON_VALUE_EVAL)

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/compare.hpp"
#include "reel/bson/numeric.hpp"
#include "reel/bson/owned.hpp"
#include "reel/bson/value.hpp"
#include "reel/json/accumulator.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/group.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

/// A value an accumulator keeps, with its arrival order.
struct kept_value {
  std::uint64_t seq = 0;
  /// The value; for the `$top`/`$bottom` families an array `[sortKey..., output]`.
  bson::owned_value value;
};

/// The state of one accumulator in one group. Each accumulator uses the members it needs; the
/// others stay empty (and own nothing).
struct value_accumulator_state {
  bson::sum_accumulator sum;      ///< `$sum`, `$avg`
  bson::owned_value kept;         ///< `$min`, `$max`, `$first`, `$last` (a scalar owns no block)
  std::uint64_t seq = 0;          ///< `$first`, `$last`: arrival of `kept`
  bool seen = false;              ///< `kept` holds a value
  std::int64_t count = 0;         ///< `$count`; `$stdDev*`: values seen
  double mean = 0;                ///< `$stdDev*` (Welford)
  double m2 = 0;                  ///< `$stdDev*` (Welford)
  std::size_t n = 0;              ///< the `n` of `$firstN`, `$topN`, ... (from the group key)
  std::vector<kept_value> items;  ///< lists: `$push`, `$addToSet`, `$mergeObjects`, N families
  std::vector<double> numbers;    ///< `$median`, `$percentile`
  document bridged;               ///< the nlohmann state of a bridged accumulator
};

/// An accumulator on values. `evaluate` reads a document and may throw; `add` changes the state
/// and does not throw for what `evaluate` returned (a bridged accumulator excepted), so a
/// `$group` evaluates every input of a document before it changes any state.
class value_accumulator {
 public:
  virtual ~value_accumulator() = default;
  /// Starts the state of a new group whose `_id` is `key` (an `n` computed from the group key
  /// is evaluated here, against `key` when it is a document, else against an empty document,
  /// as the server does).
  virtual void start(value_accumulator_state& state, const bson::value& key,
                     const eval_context& ctx, bson::arena& memory) const;
  /// What `add` takes from `doc`, built in `memory` (valid until it is reset).
  [[nodiscard]] virtual bson::value evaluate(const bson::value& doc, const eval_context& ctx,
                                             bson::arena& memory) const = 0;
  /// Adds `v`, what `evaluate` returned; returns the bytes the state's lists grew by (0 for a
  /// bounded state), the charge of `state_size.hpp`.
  virtual std::size_t add(value_accumulator_state& state, const bson::value& v, std::uint64_t seq,
                          const eval_context& ctx) const = 0;
  /// The bytes `add(v)` would charge, without adding.
  [[nodiscard]] virtual std::size_t add_bytes(const bson::value& v) const {
    (void)v;
    return 0;
  }
  /// Combines `other` (a later or disjoint part of the same group) into `state`.
  virtual void merge(value_accumulator_state& state, value_accumulator_state&& other) const = 0;
  /// The output value, built in `memory`.
  [[nodiscard]] virtual bson::value result(const value_accumulator_state& state,
                                           bson::arena& memory) const = 0;
  /// Bytes the state owns beyond `sizeof(value_accumulator_state)`.
  [[nodiscard]] virtual std::size_t state_bytes(const value_accumulator_state& state) const;
  /// The nlohmann accumulator's state document for `state` (the checkpoint's form).
  [[nodiscard]] virtual document save(const value_accumulator_state& state) const = 0;
  /// Loads what `save` (or the nlohmann accumulator) wrote into a state that `start` began.
  virtual void load(value_accumulator_state& state, const document& saved) const = 0;
};

/// A compiled `$group` with the value form of each accumulator.
struct value_group_definition {
  std::shared_ptr<const group_definition> group;
  std::vector<std::shared_ptr<const value_accumulator>> accumulators;
};

/// Compiles `$group`'s specification for the value path: `compile_group`'s checks and errors,
/// and also an `n` computed from the group key (the nlohmann `$group` refuses it).
[[nodiscard]] std::shared_ptr<const value_group_definition> compile_value_group(
    const document& spec, const std::string& where);
/// The value forms of an already compiled `$group`.
[[nodiscard]] std::shared_ptr<const value_group_definition> value_group_of(
    std::shared_ptr<const group_definition> group);

/// The state of one group: one state per accumulator, and the bytes the group is charged.
struct value_group_state {
  std::vector<value_accumulator_state> values;
  std::size_t bytes = 0;
};

/// Hash and equality of group keys in BSON order (1, 1.0, NumberLong(1), NumberDecimal("1.0")
/// are one key), over owned keys and plain values alike (heterogeneous lookup: finding a group
/// copies nothing).
struct owned_key_hash {
  using is_transparent = void;
  std::size_t operator()(const bson::value& v) const noexcept { return bson::hash(v); }
  std::size_t operator()(const bson::owned_value& v) const noexcept { return bson::hash(v.get()); }
};
struct owned_key_equal {
  using is_transparent = void;
  static const bson::value& of(const bson::value& v) noexcept { return v; }
  static const bson::value& of(const bson::owned_value& v) noexcept { return v.get(); }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return bson::equal(of(a), of(b));
  }
};

/// The window aggregation of a `$group` on values: the interface of `group_aggregation`
/// (`prepare`, `prepared_bytes`, `add`, `merge`, `release`, `held_bytes`, `save_state`, ...)
/// with `bson::value` events and owned keys. Checkpoints are written in `group_aggregation`'s
/// format (keys and states as the nlohmann path writes them). `ctx` supplies the stream
/// metadata that expressions may read.
class value_group_aggregation {
 public:
  using event_type = bson::value;
  using key_type = bson::owned_value;
  using state_type = value_group_state;
  using key_hash = owned_key_hash;
  using key_equal = owned_key_equal;

  value_group_aggregation(std::shared_ptr<const value_group_definition> def,
                          std::shared_ptr<const eval_context> ctx);

  /// Evaluates the key and every accumulator's input for `e` (throws `reel::error` when one
  /// fails) before any state changes; the next `add(s, e, seq)` uses them. Values go into a
  /// scratch arena reused by every `prepare`.
  void prepare(const bson::value& e) const;
  void unprepare() const noexcept { prepared_ = nullptr; }
  /// The bytes the prepared event would add: a new group unless `group_exists`, plus what each
  /// unbounded accumulator's list gains.
  [[nodiscard]] std::size_t prepared_bytes(bool group_exists) const;
  /// The key `prepare` evaluated (missing made null), valid until the next `prepare`.
  [[nodiscard]] const bson::value& prepared_key() const noexcept { return prepared_key_; }
  [[nodiscard]] bool bounded() const noexcept { return unbounded_.empty(); }

  /// The key of `e` (prepared, or evaluated now), valid until the next call.
  const bson::value& key_of(const bson::value& e) const;
  state_type make_state() const;
  /// Adds `e` (prepared, or evaluated now). The first add to a state `make_state` made starts
  /// it with the key.
  void add(state_type& s, const bson::value& e, std::uint64_t seq) const;
  void merge(state_type& s, state_type&& o) const;
  /// Merges a copy of `o` (a hopping window combines its panes' states and keeps them).
  void merge(state_type& s, const state_type& o) const { merge(s, state_type(o)); }
  void release(const state_type& s) const noexcept { held_bytes_ -= s.bytes; }
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_bytes_; }
  void clear_held() const noexcept { held_bytes_ = 0; }

  bool key_less(const key_type& a, const key_type& b) const {
    return bson::compare(a.get(), b.get()) < 0;
  }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const;
  /// `{_id: key, <field>: result, ...}` built in `memory` (it points neither into `key` nor into
  /// the state), fields in the specification's order; a missing result is null, as the server's.
  bson::value result(const bson::value& key, const state_type& s, bson::arena& memory) const;

  /// `group_aggregation`'s checkpoint format.
  nlohmann::json save_key(const key_type& k) const;
  key_type load_key(const nlohmann::json& j) const;
  nlohmann::json save_state(const state_type& s) const;
  /// `key` starts the loaded states (an `n` computed from the group key).
  state_type load_state(const nlohmann::json& j, const bson::value& key) const;
  state_type load_state(const nlohmann::json& j, const key_type& key) const {
    return load_state(j, key.get());
  }

  [[nodiscard]] const value_group_definition& definition() const noexcept { return *def_; }

 private:
  void start(state_type& s, const bson::value& key) const;

  std::shared_ptr<const value_group_definition> def_;
  std::shared_ptr<const eval_context> ctx_;
  std::size_t initial_bytes_ = 0;  // a new group, its key excepted
  std::vector<std::size_t> unbounded_;
  mutable bson::arena scratch_;
  mutable const bson::value* prepared_ = nullptr;
  mutable bson::value prepared_key_;
  mutable std::vector<bson::value> prepared_values_;
  mutable bool made_ = false;
  mutable std::size_t held_bytes_ = 0;
};

/// The documents a window buffers on values (inner pipelines that do not start with `$group`):
/// owned copies in arrival order, and their charge in the window state.
struct value_buffered_documents {
  std::vector<kept_value> items;
  std::size_t bytes = 0;
};

/// `buffer_aggregation` on values: one group (key null) per window, whose state keeps an owned
/// copy of each event. An event costs `buffered_document_overhead` plus its owned footprint
/// (`bson::owned_value::footprint_of`, not the nlohmann estimate). Checkpoints are written in
/// `buffer_aggregation`'s format (`[[seq, document], ...]`).
class value_buffer_aggregation {
 public:
  using event_type = bson::value;
  using key_type = bson::owned_value;
  using state_type = value_buffered_documents;
  using key_hash = owned_key_hash;
  using key_equal = owned_key_equal;

  /// Measures `e` before it is added (the next `add(s, e, seq)` uses it).
  void prepare(const bson::value& e) const;
  void unprepare() const noexcept { prepared_ = nullptr; }
  [[nodiscard]] std::size_t prepared_bytes(bool = false) const noexcept { return prepared_bytes_; }

  const bson::value& key_of(const bson::value&) const noexcept { return null_key_; }
  state_type make_state() const { return {}; }
  void add(state_type& s, const bson::value& e, std::uint64_t seq) const;
  void merge(state_type& s, const state_type& o) const;
  void release(const state_type& s) const noexcept {
    held_bytes_ -= s.bytes;
    held_documents_ -= s.items.size();
  }
  [[nodiscard]] std::size_t held_bytes() const noexcept { return held_bytes_; }
  [[nodiscard]] std::size_t held_documents() const noexcept { return held_documents_; }
  void clear_held() const noexcept {
    held_bytes_ = 0;
    held_documents_ = 0;
  }

  bool key_less(const key_type&, const key_type&) const { return false; }
  key_hash key_hasher() const { return {}; }
  key_equal key_equality() const { return {}; }
  std::size_t dynamic_bytes(const state_type& s) const;
  /// The buffered documents in arrival order (they point into `s`).
  [[nodiscard]] std::vector<bson::value> documents(const state_type& s) const;

  nlohmann::json save_key(const key_type& k) const;
  key_type load_key(const nlohmann::json& j) const;
  nlohmann::json save_state(const state_type& s) const;
  /// The charge is measured again: the same figure as when the documents were added.
  state_type load_state(const nlohmann::json& j) const;

 private:
  static constexpr bson::value null_key_ = bson::value::null();
  mutable const bson::value* prepared_ = nullptr;
  mutable std::size_t prepared_bytes_ = 0;
  mutable std::size_t held_bytes_ = 0;
  mutable std::size_t held_documents_ = 0;
};

/// Session partition keys on values: owned keys, looked up with the borrowed key of the event
/// (`borrowed_key`), in BSON order; saved as the nlohmann path saves its partition keys.
struct value_partition_traits {
  using borrowed_key = bson::value;
  using hash = owned_key_hash;
  using equal = owned_key_equal;
  static bool less(const bson::owned_value& a, const bson::owned_value& b) {
    return bson::compare(a.get(), b.get()) < 0;
  }
  static nlohmann::json save(const bson::owned_value& k);
  static bson::owned_value load(const nlohmann::json& j);
};

/// `$group` over a batch of documents on values (what a window runs at close, and the test of
/// the value path): results in ascending `_id` order, built in `memory`. A document whose key or
/// accumulator fails goes to `on_error` (default: rethrow) and counts in no group.
using value_group_error_handler = std::function<void(const bson::value&, const reel::error&)>;
[[nodiscard]] std::vector<bson::value> group_values(const value_group_definition& def,
                                                    const std::vector<bson::value>& docs,
                                                    const eval_context& ctx, bson::arena& memory,
                                                    const value_group_error_handler& on_error = {});

/// The groups of one window on values, kept by owned key (a `$group` run incrementally).
class value_group_table {
 public:
  value_group_table(std::shared_ptr<const value_group_definition> def,
                    std::shared_ptr<const eval_context> ctx)
      : agg_(std::move(def), std::move(ctx)) {}
  /// Adds one document (throws `reel::error`, leaving every group unchanged, when it fails).
  void add(const bson::value& doc, std::uint64_t seq);
  /// Combines another table's groups (a later or disjoint part of the same window).
  void merge(value_group_table&& other);
  /// Every group's output, in ascending `_id` order, built in `memory`.
  [[nodiscard]] std::vector<bson::value> results(bson::arena& memory) const;
  [[nodiscard]] std::size_t size() const noexcept { return groups_.size(); }
  [[nodiscard]] const value_group_aggregation& aggregation() const noexcept { return agg_; }
  /// The groups in `group_aggregation`'s checkpoint form: `[[key, state], ...]`.
  [[nodiscard]] nlohmann::json save() const;
  void load(const nlohmann::json& saved);

 private:
  value_group_aggregation agg_;
  std::unordered_map<bson::owned_value, value_group_state, owned_key_hash, owned_key_equal> groups_;
};

}  // namespace reel::json

#endif  // REEL_JSON_VALUE_EVAL
