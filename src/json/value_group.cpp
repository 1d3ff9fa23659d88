// SPDX-License-Identifier: Apache-2.0
// `$group` on the BSON value model (reel/json/value_group.hpp): keys evaluated on values and kept
// as `bson::owned_value` in hash maps with BSON hashing and equality, outputs built with
// `bson::builder`, the window state charged as `state_size.hpp` describes, checkpoints in
// `group_aggregation`'s format.
#include <algorithm>
#include <utility>

#include "reel/bson/builder.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/error.hpp"
#include "reel/json/value_group.hpp"

namespace reel::json {

namespace {

std::shared_ptr<const value_group_definition> forms_of(
    std::shared_ptr<const group_definition> group) {
  auto def = std::make_shared<value_group_definition>();
  def->accumulators.reserve(group->accumulators.size());
  for (const auto& acc : group->accumulators)
    def->accumulators.push_back(acc->value_form());
  def->group = std::move(group);
  return def;
}

nlohmann::json save_value(const bson::value& v) {
  return detail::save_document(bson::to_nlohmann(v));
}

bson::owned_value load_value(const nlohmann::json& j) {
  bson::arena memory(256);
  return bson::owned_value(bson::from_nlohmann(detail::load_document(j), memory));
}

std::size_t buffered_charge(const bson::value& e) {
  return buffered_document_overhead + bson::owned_value::footprint_of(e);
}

}  // namespace

std::shared_ptr<const value_group_definition> compile_value_group(const document& spec,
                                                                  const std::string& where) {
  return forms_of(std::make_shared<const group_definition>(compile_group(spec, where, true)));
}

std::shared_ptr<const value_group_definition> value_group_of(
    std::shared_ptr<const group_definition> group) {
  return forms_of(std::move(group));
}

// ---- value_group_aggregation ----

value_group_aggregation::value_group_aggregation(std::shared_ptr<const value_group_definition> def,
                                                 std::shared_ptr<const eval_context> ctx)
    : def_(std::move(def)), ctx_(std::move(ctx)), scratch_(4096) {
  initial_bytes_ = group_overhead + def_->accumulators.size() * sizeof(value_accumulator_state);
  for (std::size_t i = 0; i < def_->accumulators.size(); ++i) {
    if (!def_->group->accumulators[i]->bounded_state()) unbounded_.push_back(i);
  }
  prepared_values_.resize(def_->accumulators.size());
}

void value_group_aggregation::prepare(const bson::value& e) const {
  prepared_ = nullptr;
  scratch_.reset();
  const bson::value key = def_->group->id.evaluate_value(e, *ctx_, scratch_);
  prepared_key_ = key.is_missing() ? bson::value::null() : key;
  for (std::size_t i = 0; i < prepared_values_.size(); ++i)
    prepared_values_[i] = def_->accumulators[i]->evaluate(e, *ctx_, scratch_);
  prepared_ = &e;
}

std::size_t value_group_aggregation::prepared_bytes(bool group_exists) const {
  std::size_t n =
      group_exists ? 0 : initial_bytes_ + bson::owned_value::footprint_of(prepared_key_);
  for (const std::size_t i : unbounded_)
    n += def_->accumulators[i]->add_bytes(prepared_values_[i]);
  return n;
}

const bson::value& value_group_aggregation::key_of(const bson::value& e) const {
  if (prepared_ != &e) prepare(e);
  return prepared_key_;
}

value_group_state value_group_aggregation::make_state() const {
  value_group_state s;
  s.values.resize(def_->accumulators.size());
  made_ = true;
  return s;
}

void value_group_aggregation::start(state_type& s, const bson::value& key) const {
  for (std::size_t i = 0; i < s.values.size(); ++i)
    def_->accumulators[i]->start(s.values[i], key, *ctx_, scratch_);
}

void value_group_aggregation::add(state_type& s, const bson::value& e, std::uint64_t seq) const {
  if (prepared_ != &e) prepare(e);
  std::size_t charge = 0;
  if (made_) {  // the window made this group for `e`
    made_ = false;
    start(s, prepared_key_);
    charge = initial_bytes_ + bson::owned_value::footprint_of(prepared_key_);
  }
  for (std::size_t i = 0; i < s.values.size(); ++i)
    charge += def_->accumulators[i]->add(s.values[i], prepared_values_[i], seq, *ctx_);
  prepared_ = nullptr;
  if (charge != 0) {
    s.bytes += charge;
    held_bytes_ += charge;
  }
}

void value_group_aggregation::merge(state_type& s, state_type&& o) const {
  for (std::size_t i = 0; i < s.values.size(); ++i)
    def_->accumulators[i]->merge(s.values[i], std::move(o.values[i]));
  s.bytes += o.bytes;
}

std::size_t value_group_aggregation::dynamic_bytes(const state_type& s) const {
  std::size_t n = s.values.capacity() * sizeof(value_accumulator_state);
  for (std::size_t i = 0; i < s.values.size(); ++i)
    n += def_->accumulators[i]->state_bytes(s.values[i]);
  return n;
}

bson::value value_group_aggregation::result(const bson::value& key, const state_type& s,
                                            bson::arena& memory) const {
  // The accumulators' results first (a result may be built with a builder of its own), copied
  // into `memory`: they point into the state, which the output outlives.
  const std::size_t n = s.values.size();
  bson::value* results = n ? memory.allocate_array<bson::value>(n) : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    const bson::value v = def_->accumulators[i]->result(s.values[i], memory);
    results[i] = v.is_missing() ? bson::value::null() : memory.deep_copy(v);  // as makeDocument
  }
  bson::builder out(memory);
  out.begin_document();
  out.key_stable("_id");
  out.append(memory.deep_copy(key));
  for (std::size_t i = 0; i < n; ++i)
    out.append(def_->group->fields[i], results[i]);
  return out.end();
}

nlohmann::json value_group_aggregation::save_key(const key_type& k) const {
  return save_value(k.get());
}

value_group_aggregation::key_type value_group_aggregation::load_key(const nlohmann::json& j) const {
  return load_value(j);
}

nlohmann::json value_group_aggregation::save_state(const state_type& s) const {
  std::vector<document> states;
  states.reserve(s.values.size());
  for (std::size_t i = 0; i < s.values.size(); ++i)
    states.push_back(def_->accumulators[i]->save(s.values[i]));
  nlohmann::json out = detail::save_documents(states);
  out.push_back(s.bytes);
  return out;
}

value_group_state value_group_aggregation::load_state(const nlohmann::json& j,
                                                      const bson::value& key) const {
  const std::size_t n = def_->accumulators.size();
  if (!j.is_array() || j.size() != n + 1 || !j.back().is_number_unsigned()) {
    throw_error("reel.checkpoint.invalid", "",
                "malformed checkpoint: a $group state does not match the pipeline");
  }
  value_group_state s;
  s.values.resize(n);
  start(s, key);
  for (std::size_t i = 0; i < n; ++i)
    def_->accumulators[i]->load(s.values[i], detail::load_document(j[i]));
  s.bytes = j.back().get<std::size_t>();
  held_bytes_ += s.bytes;
  return s;
}

// ---- value_buffer_aggregation, value_partition_traits ----

void value_buffer_aggregation::prepare(const bson::value& e) const {
  prepared_bytes_ = buffered_charge(e);
  prepared_ = &e;
}

void value_buffer_aggregation::add(state_type& s, const bson::value& e, std::uint64_t seq) const {
  const std::size_t charge = prepared_ == &e ? prepared_bytes_ : buffered_charge(e);
  prepared_ = nullptr;
  kept_value item{seq, bson::owned_value(e)};
  if (s.items.empty() || s.items.back().seq <= seq) {
    s.items.push_back(std::move(item));
  } else {
    auto at = std::upper_bound(s.items.begin(), s.items.end(), seq,
                               [](std::uint64_t q, const kept_value& x) { return q < x.seq; });
    s.items.insert(at, std::move(item));
  }
  s.bytes += charge;
  held_bytes_ += charge;
  ++held_documents_;
}

void value_buffer_aggregation::merge(state_type& s, const state_type& o) const {
  std::vector<kept_value> out;
  out.reserve(s.items.size() + o.items.size());
  auto mine = std::make_move_iterator(s.items.begin());
  auto mine_end = std::make_move_iterator(s.items.end());
  auto theirs = o.items.begin();
  while (mine != mine_end && theirs != o.items.end()) {
    if (theirs->seq < mine->seq) {
      out.push_back(*theirs++);
    } else {
      out.push_back(*mine++);
    }
  }
  out.insert(out.end(), mine, mine_end);
  out.insert(out.end(), theirs, o.items.end());
  s.items = std::move(out);
  s.bytes += o.bytes;
}

std::size_t value_buffer_aggregation::dynamic_bytes(const state_type& s) const {
  std::size_t n = s.items.capacity() * sizeof(kept_value);
  for (const kept_value& item : s.items)
    n += bson::owned_value::footprint_of(item.value.get());
  return n;
}

std::vector<bson::value> value_buffer_aggregation::documents(const state_type& s) const {
  std::vector<bson::value> out;
  out.reserve(s.items.size());
  for (const kept_value& item : s.items)
    out.push_back(item.value.get());
  return out;
}

nlohmann::json value_buffer_aggregation::save_key(const key_type& k) const {
  return save_value(k.get());
}

value_buffer_aggregation::key_type value_buffer_aggregation::load_key(
    const nlohmann::json& j) const {
  return load_value(j);
}

nlohmann::json value_buffer_aggregation::save_state(const state_type& s) const {
  std::vector<document> items;
  items.reserve(s.items.size());
  for (const kept_value& item : s.items)
    items.push_back(document::array({item.seq, bson::to_nlohmann(item.value.get())}));
  return detail::save_documents(items);
}

value_buffer_aggregation::state_type value_buffer_aggregation::load_state(
    const nlohmann::json& j) const {
  state_type s;
  bson::arena memory(1024);
  for (const document& item : detail::load_documents(j)) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_number_unsigned()) {
      throw_error("reel.checkpoint.invalid", "",
                  "malformed checkpoint: a buffered window document is not [seq, document]");
    }
    const bson::value v = bson::from_nlohmann(item[1], memory);
    s.items.push_back({item[0].get<std::uint64_t>(), bson::owned_value(v)});
    s.bytes += buffered_charge(v);
  }
  held_bytes_ += s.bytes;
  held_documents_ += s.items.size();
  return s;
}

nlohmann::json value_partition_traits::save(const bson::owned_value& k) {
  return save_value(k.get());
}

bson::owned_value value_partition_traits::load(const nlohmann::json& j) {
  return load_value(j);
}

// ---- value_group_table, group_values ----

void value_group_table::add(const bson::value& doc, std::uint64_t seq) {
  agg_.prepare(doc);  // may throw: nothing changed yet
  auto it = groups_.find(agg_.prepared_key());
  if (it == groups_.end()) {
    value_group_state fresh = agg_.make_state();
    agg_.add(fresh, doc, seq);  // starts it (an `n` from the key may throw: nothing is kept)
    groups_.emplace(bson::owned_value(agg_.prepared_key()), std::move(fresh));
    return;
  }
  agg_.add(it->second, doc, seq);
}

void value_group_table::merge(value_group_table&& other) {
  for (auto& [key, state] : other.groups_) {
    auto it = groups_.find(key.get());
    if (it == groups_.end()) {
      groups_.emplace(bson::owned_value(key.get()), std::move(state));
    } else {
      agg_.merge(it->second, std::move(state));
    }
  }
  other.groups_.clear();
}

std::vector<bson::value> value_group_table::results(bson::arena& memory) const {
  std::vector<const std::pair<const bson::owned_value, value_group_state>*> entries;
  entries.reserve(groups_.size());
  for (const auto& entry : groups_)
    entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    return bson::compare(a->first.get(), b->first.get()) < 0;
  });
  std::vector<bson::value> out;
  out.reserve(entries.size());
  for (const auto* entry : entries)
    out.push_back(agg_.result(entry->first.get(), entry->second, memory));
  return out;
}

nlohmann::json value_group_table::save() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, state] : groups_)
    out.push_back(nlohmann::json::array({agg_.save_key(key), agg_.save_state(state)}));
  return out;
}

void value_group_table::load(const nlohmann::json& saved) {
  for (const nlohmann::json& entry : saved) {
    bson::owned_value key = agg_.load_key(entry.at(0));
    value_group_state state = agg_.load_state(entry.at(1), key.get());
    groups_.insert_or_assign(std::move(key), std::move(state));
  }
}

std::vector<bson::value> group_values(const value_group_definition& def,
                                      const std::vector<bson::value>& docs, const eval_context& ctx,
                                      bson::arena& memory,
                                      const value_group_error_handler& on_error) {
  value_group_table table(std::shared_ptr<const value_group_definition>(
                              std::shared_ptr<const value_group_definition>{}, &def),
                          std::make_shared<const eval_context>(ctx));
  std::uint64_t seq = 0;
  for (const bson::value& d : docs) {
    try {
      table.add(d, seq);
    } catch (const reel::error& e) {
      if (!on_error) throw;
      on_error(d, e);
      continue;
    }
    ++seq;
  }
  return table.results(memory);
}

}  // namespace reel::json
