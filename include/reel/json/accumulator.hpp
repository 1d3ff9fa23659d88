// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$group` accumulators of the JSON front end, and how to add one.
///
/// An accumulator is compiled once from its argument (`{"$sum": "$qty"}` → a `$sum` accumulator
/// over the expression `$qty`). Its state is a `document`, so that states can be combined
/// (hopping-window slices, session merges) and checkpointed without more code. `seq` is the
/// arrival order of the event, which `$first`, `$last`, `$push`, ... use to stay exact when
/// partial states are combined.
///
/// **Adding an accumulator** is one new class and one registration:
/// ```cpp
/// struct product final : reel::json::accumulator {
///   reel::json::expression input;
///   document init() const override { return 1; }
///   void add(document& s, const document& doc, const eval_context& ctx, std::uint64_t) const
///   override {
///     s = s.get<double>() * input.evaluate(doc, ctx).get<double>();
///   }
///   void merge(document& s, const document& o) const override { s = s.get<double>() *
///   o.get<double>(); } document result(const document& s) const override { return s; }
/// };
/// reel::json::accumulator_registry::global().add("$product", [](const document& arg, const
/// std::string& where) {
///   auto p = std::make_shared<product>();
///   p->input = reel::json::compile_expression(arg, where);
///   return p;
/// });
/// ```
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reel/error.hpp"
#include "reel/json/eval_context.hpp"
#include "reel/json/field_usage.hpp"
#include "reel/json/value.hpp"

namespace reel::json {

class value_accumulator;

class accumulator {
 public:
  virtual ~accumulator() = default;
  /// The state of an empty group.
  [[nodiscard]] virtual document init() const = 0;
  /// Adds one document of the group.
  virtual void add(document& state, const document& doc, const eval_context& ctx,
                   std::uint64_t seq) const = 0;
  /// Evaluates what `add` reads from `doc` without changing any state; throws `reel::error` when
  /// the document cannot be added. A `$group` evaluates every accumulator (and its key) before it
  /// changes any state, then calls `add_value` with the results, so a document that fails leaves
  /// no trace in any window. The default returns `missing()` and lets `add_value` call `add`
  /// (an accumulator that keeps the defaults is not covered by that guarantee).
  [[nodiscard]] virtual document evaluate(const document& doc, const eval_context& ctx) const {
    (void)doc;
    (void)ctx;
    return missing();
  }
  /// Adds `value`, what `evaluate` returned for `doc`.
  virtual void add_value(document& state, document&& value, const document& doc,
                         const eval_context& ctx, std::uint64_t seq) const {
    (void)value;
    add(state, doc, ctx, seq);
  }
  /// Combines `other` (a later or disjoint part of the group) into `state`.
  virtual void merge(document& state, const document& other) const = 0;
  /// The output value (`missing()` leaves the field out).
  [[nodiscard]] virtual document result(const document& state) const = 0;
  /// Bytes the state owns beyond the document itself (a full measure; `stateSize` itself is
  /// kept as events arrive, see `reel/json/state_size.hpp`).
  [[nodiscard]] virtual std::size_t state_bytes(const document& state) const;
  /// Whether the state stays small however many documents are added (`$sum`, `$avg`, `$min`,
  /// `$first`; `$firstN`, `$topN`, ... hold at most `n` values): a document of a group that
  /// exists then adds nothing to the window state, and is accepted when the processor's state
  /// limit is reached. False (the default) when not known.
  [[nodiscard]] virtual bool bounded_state() const { return false; }
  /// The top-level fields of the document that `evaluate` and `add` read. Empty (the default)
  /// when not known: the stream processor then gives the accumulator whole documents.
  [[nodiscard]] virtual std::optional<field_usage> fields_read() const { return std::nullopt; }
  /// Whether the state depends on the group's `_id` (an `n` computed from it): such an
  /// accumulator runs on the value path only (`reel/json/value_group.hpp`).
  [[nodiscard]] virtual bool reads_group_key() const { return false; }
#if defined(REEL_JSON_VALUE_EVAL)
  /// The accumulator on the BSON value model (`reel/json/value_group.hpp`). The built-in ones
  /// have native forms; the default runs this accumulator's nlohmann body through a bridge.
  [[nodiscard]] virtual std::shared_ptr<const value_accumulator> value_form() const;
#endif
};

/// Name (`"$sum"`) → factory(argument, JSON pointer of the argument).
class accumulator_registry {
 public:
  using factory = std::function<std::shared_ptr<const accumulator>(const document& argument,
                                                                   const std::string& where)>;

  /// The registry the pipeline compiler uses, with every built-in accumulator (defined in
  /// `reel/json/accumulators/builtin.hpp`).
  static accumulator_registry& global();

  void add(std::string name, factory f) {
    std::lock_guard lock(mutex_);
    factories_[std::move(name)] = std::move(f);
  }
  [[nodiscard]] const factory* find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = factories_.find(name);
    return it == factories_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::vector<std::string> names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [name, f] : factories_)
      out.push_back(name);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, factory> factories_;
};

namespace detail {
/// Rough heap bytes of a document (for `stateSize`).
inline std::size_t document_bytes(const document& d) {
  switch (d.type()) {
    case document::value_t::string:
      return d.get_ref<const std::string&>().capacity();
    case document::value_t::array: {
      std::size_t n = d.size() * sizeof(document);
      for (const auto& e : d)
        n += document_bytes(e);
      return n;
    }
    case document::value_t::object: {
      std::size_t n = 0;
      for (const auto& [k, v] : d.items())
        n += sizeof(document) + k.capacity() + 32 + document_bytes(v);
      return n;
    }
    default:
      return 0;
  }
}
}  // namespace detail

inline std::size_t accumulator::state_bytes(const document& state) const {
  return detail::document_bytes(state);
}

}  // namespace reel::json
