// SPDX-License-Identifier: Apache-2.0
// The window runtime on BSON values (reel/json/window_stage.hpp, `make_value_window_runtime`):
// the shared `window_runtime_impl` with the value document model below, `value_group_aggregation`
// or `value_buffer_aggregation` in the engine's operators, and the inner pipeline run at close
// with `apply_value_batch` on the window's results, built in an arena reused by every close.
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reel/bson/arena.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/json/value_group.hpp"
#include "reel/json/window_stage.hpp"

namespace reel::json {

namespace {

/// The text of a window marker (`detail::window_start_marker()`, ...).
std::string_view marker_text(const document& marker) {
  return marker.get_ref<const std::string&>();
}

/// The window bounds and partition that replace the markers of a `$group` key.
struct window_values {
  bson::value start, end, partition;
};

/// Replaces the window markers in `v` (a `$group` key evaluated against the placeholder
/// metadata) with the closing window's values; what holds a marker is rebuilt in `memory`, the
/// rest is shared. Returns whether `v` changed.
bool replace_value_markers(bson::value& v, const window_values& w, bson::arena& memory) {
  if (v.is_string()) {
    const std::string_view s = v.as_string();
    if (s.empty() || s[0] != '\x01') return false;  // every marker starts with \x01
    if (s == marker_text(detail::window_start_marker())) {
      v = w.start;
    } else if (s == marker_text(detail::window_end_marker())) {
      v = w.end;
    } else if (s == marker_text(detail::window_partition_marker())) {
      v = w.partition;
    } else {
      return false;
    }
    return true;
  }
  if (v.is_document()) {
    const std::span<const bson::field> fields = v.fields();
    bson::field* copy = nullptr;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      bson::value e = fields[i].val;
      if (!replace_value_markers(e, w, memory)) continue;
      if (copy == nullptr) {
        copy = memory.allocate_array<bson::field>(fields.size());
        std::copy(fields.begin(), fields.end(), copy);
      }
      copy[i].val = e;
    }
    if (copy == nullptr) return false;
    v = bson::value::document({copy, fields.size()});
    return true;
  }
  if (v.is_array()) {
    const std::span<const bson::value> elements = v.elements();
    bson::value* copy = nullptr;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      bson::value e = elements[i];
      if (!replace_value_markers(e, w, memory)) continue;
      if (copy == nullptr) {
        copy = memory.allocate_array<bson::value>(elements.size());
        std::copy(elements.begin(), elements.end(), copy);
      }
      copy[i] = e;
    }
    if (copy == nullptr) return false;
    v = bson::value::array({copy, elements.size()});
    return true;
  }
  return false;
}

/// A `$group` result whose `_id` (its first field) has the window markers replaced.
bson::value with_window_key(const bson::value& result, const window_values& w,
                            bson::arena& memory) {
  bson::value id = result.fields()[0].val;
  if (!replace_value_markers(id, w, memory)) return result;
  const std::span<const bson::field> fields = result.fields();
  bson::field* copy = memory.allocate_array<bson::field>(fields.size());
  std::copy(fields.begin(), fields.end(), copy);
  copy[0].val = id;
  return bson::value::document({copy, fields.size()});
}

/// The value document model of a window runtime: events and outputs are `bson::value`s.
class value_window_model {
 public:
  using interface = value_window_runtime;
  using event_type = bson::value;

  value_window_model(const window_definition& def, value_window_output output,
                     value_window_error error)
      : output_(std::move(output)), error_(std::move(error)) {
    for (const auto& stage : def.at_close) {  // the value form of each $group run at close
      if (const auto* g = dynamic_cast<const group_stage*>(stage.get()))
        at_close_groups_.emplace(g, value_group_of(g->definition()));
    }
  }
  value_window_model(value_window_model&&) = default;

  /// A session's partition key for `doc` (missing made null), valid until the next call.
  bson::value partition_key(const window_definition& def, const bson::value& doc,
                            const document* event_meta) {
    key_memory_.reset();
    const bson::value key =
        def.partition_by->evaluate_value(doc, eval_context{event_meta, nullptr}, key_memory_);
    return key.is_missing() ? bson::value::null() : key;
  }
  static const bson::value& no_partition() {
    static constexpr bson::value n = bson::value::null();
    return n;
  }

  template <class Aggregation, class Entries>
  void close(const window_definition& def, const Aggregation& agg, const window_bounds& b,
             const bson::value& partition, bool session, const Entries& entries) {
    memory_.reset();
    const document partition_doc = session ? bson::to_nlohmann(partition) : document(nullptr);
    const document meta = detail::closing_window_meta(b, session ? &partition_doc : nullptr);
    std::vector<bson::value> docs;
    if constexpr (detail::keyed_aggregation<Aggregation>) {
      const window_values w{bson::value::date(to_millis(b.start)),
                            bson::value::date(to_millis(b.end)), partition};
      docs.reserve(entries.size());
      for (const auto& e : entries)
        docs.push_back(with_window_key(agg.result(e.key->get(), *e.state, memory_), w, memory_));
    } else {
      for (const auto& e : entries)
        docs = agg.documents(*e.state);
    }
    const eval_context ctx{&meta, nullptr};
    for (const auto& stage : def.at_close) {
      if (docs.empty()) break;
      const std::string_view name = stage->operator_name();
      auto report = [&](const bson::value& d, const reel::error& e) {
        if (!error_) throw e;
        error_(name, e.message(), d);
      };
      detail::run_at_close(
          *stage, docs, report,
          [&](const group_stage& g) {
            docs = group_values(*at_close_groups_.at(&g), docs, ctx, memory_, report);
          },
          [&](const bson::value& d, std::vector<bson::value>& out) {
            stage->apply_value(d, ctx, memory_, out);
          },
          [&](std::vector<bson::value>& batch) { stage->apply_value_batch(batch, ctx, memory_); });
    }
    if (!docs.empty()) output_(b, partition, docs);
  }

 private:
  value_window_output output_;
  value_window_error error_;
  std::unordered_map<const group_stage*, std::shared_ptr<const value_group_definition>>
      at_close_groups_;
  bson::arena memory_{16 * 1024};  // a closing window's results, reset at the next close
  bson::arena key_memory_{256};    // an event's session partition key
};

}  // namespace

std::unique_ptr<value_window_runtime> make_value_window_runtime(
    std::shared_ptr<const window_definition> def, const document* event_meta,
    std::optional<duration> partition_idle_timeout, value_window_output output,
    value_window_error error, std::shared_ptr<state_budget> budget) {
  value_window_model model(*def, std::move(output), std::move(error));
  std::shared_ptr<const value_group_definition> group;
  if (def->group) group = value_group_of(def->group);
  return detail::make_window_runtime_of<value_window_model, value_group_aggregation,
                                        value_buffer_aggregation, bson::owned_value,
                                        value_partition_traits>(
      def, event_meta, partition_idle_timeout, std::move(model), std::move(budget),
      [&](std::shared_ptr<const eval_context> ctx) {
        return value_group_aggregation(group, std::move(ctx));
      });
}

}  // namespace reel::json
