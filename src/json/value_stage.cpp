// SPDX-License-Identifier: Apache-2.0
/// \file
/// The default value forms of `document_stage` (document_stage.hpp): a bridge through the
/// nlohmann stage, counted per thread, for stages that have no native value form yet.

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reel/bson/nlohmann.hpp"
#include "reel/json/document_stage.hpp"
#include "value_stage.hpp"

namespace reel::json {

namespace detail {

std::unordered_map<std::string, std::size_t>& bridged_stage_calls() {
  thread_local std::unordered_map<std::string, std::size_t> calls;
  return calls;
}

bson::builder& stage_builder(bson::arena& memory) {
  thread_local bson::builder b(memory);
  b.rebind(memory);
  b.clear();
  return b;
}

namespace {

void emit_with_path_set(bson::builder& b, const bson::value& doc,
                        std::span<const std::string_view> parts, const bson::value& v) {
  const std::string_view name = parts.front();
  const bool last = parts.size() == 1;
  b.begin_document();
  bool found = false;
  if (doc.is_document()) {
    for (const bson::field& f : doc.fields()) {
      if (found || f.name() != name) {
        b.key_stable(f.name());
        b.append(f.val);
        continue;
      }
      found = true;
      if (last) {
        if (v.is_missing()) continue;
        b.key_stable(f.name());
        b.append(v);
      } else {
        b.key_stable(f.name());
        emit_with_path_set(b, f.val, parts.subspan(1), v);
      }
    }
  }
  if (!found) {
    if (last) {
      if (!v.is_missing()) {
        b.key_stable(name);
        b.append(v);
      }
    } else {
      b.key_stable(name);
      emit_with_path_set(b, bson::value{}, parts.subspan(1), v);
    }
  }
  b.end();
}

}  // namespace

bson::value with_path_set(bson::builder& b, const bson::value& doc, std::string_view first,
                          std::span<const std::string> parts, const bson::value& v) {
  // Paths are short: the components as views on the stack (no allocation up to 16 levels).
  constexpr std::size_t inline_parts = 16;
  std::string_view small[inline_parts];
  std::vector<std::string_view> large;
  const std::size_t n = parts.size() + (first.empty() ? 0 : 1);
  std::string_view* views = small;
  if (n > inline_parts) {
    large.resize(n);
    views = large.data();
  }
  std::size_t k = 0;
  if (!first.empty()) views[k++] = first;
  for (const std::string& p : parts)
    views[k++] = p;
  b.clear();
  emit_with_path_set(b, doc, {views, n}, v);
  return b.result();
}

}  // namespace detail

void document_stage::apply_value(const bson::value& doc, const eval_context& ctx,
                                 bson::arena& memory, std::vector<bson::value>& out) const {
  ++detail::bridged_stage_calls()[std::string(operator_name())];
  std::vector<document> results;
  apply(bson::to_nlohmann(doc), ctx, results);
  for (const document& r : results)
    out.push_back(bson::from_nlohmann(r, memory));
}

void document_stage::apply_value_batch(std::vector<bson::value>& docs, const eval_context& ctx,
                                       bson::arena& memory) const {
  if (is_batch_only()) {
    ++detail::bridged_stage_calls()[std::string(operator_name())];
    std::vector<document> batch;
    batch.reserve(docs.size());
    for (const bson::value& d : docs)
      batch.push_back(bson::to_nlohmann(d));
    apply_batch(batch, ctx);
    std::vector<bson::value> results;
    results.reserve(batch.size());
    for (const document& r : batch)
      results.push_back(bson::from_nlohmann(r, memory));
    docs = std::move(results);
    return;
  }
  std::vector<bson::value> out;
  out.reserve(docs.size());
  for (const bson::value& d : docs)
    apply_value(d, ctx, memory, out);
  docs = std::move(out);
}

}  // namespace reel::json
