// SPDX-License-Identifier: Apache-2.0
/// \file
/// The value forms of `$replaceRoot`/`$replaceWith`, `$unwind`, `$redact` and `$setStreamMeta`
/// (document_stage.hpp, docs/document-model.md §6 step 4). Results point into their input where
/// they can: `$replaceRoot` of a subdocument is that subdocument, `$unwind`'s elements are the
/// input array's, `$redact` returns a kept level as it is.

#include <string>
#include <vector>

#include "reel/bson/nlohmann.hpp"
#include "reel/json/stage.hpp"
#include "value_stage.hpp"

namespace reel::json::stages {

void replace_root::apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                               std::vector<bson::value>& out) const {
  const bson::value r = new_root_.evaluate_value(doc, ctx, memory);
  if (!r.is_document()) {
    // The nlohmann stage's message, from the nlohmann form of the value (error path only).
    const document shown = r.is_missing() ? missing() : bson::to_nlohmann(r);
    throw_error("reel.pipeline.bad_document", where_,
                what_ + " must evaluate to an object, but resulting value was: " +
                    detail::describe_value(shown) + ". Type of resulting value: '" +
                    type_name(shown) + "'");
  }
  out.push_back(r);
}

void unwind::apply_value(const bson::value& doc, const eval_context&, bson::arena& memory,
                         std::vector<bson::value>& out) const {
  // The value at the path through documents only (no array traversal).
  bson::value value = doc;
  for (const std::string& part : path_.parts()) {
    if (!value.is_document()) {
      value = bson::value{};
      break;
    }
    value = value[part];
  }
  bson::builder& b = detail::stage_builder(memory);
  const auto emit = [&](bson::value d, const bson::value& index) {
    if (index_) d = detail::with_path_set(b, d, {}, index_->parts(), index);
    out.push_back(d);
  };
  if (value.is_array()) {
    if (value.size() == 0) {
      if (!preserve_) return;
      emit(detail::with_path_set(b, doc, {}, path_.parts(), bson::value{}), bson::value::null());
      return;
    }
    const std::span<const bson::value> elements = value.elements();
    for (std::size_t i = 0; i < elements.size(); ++i) {
      const bson::value d =
          index_hides_value_ ? doc : detail::with_path_set(b, doc, {}, path_.parts(), elements[i]);
      emit(d, bson::value::int64(static_cast<std::int64_t>(i)));
    }
    return;
  }
  if ((value.is_missing() || value.type() == bson::type::null) && !preserve_) return;
  emit(doc, bson::value::null());
}

namespace {

/// `$redact` on values: a level is kept as it is, pruned, or rebuilt from its redacted fields
/// (documents and arrays in `memory`, sized by the input level).
class value_redactor {
 public:
  value_redactor(const expression& e, const std::string& where, const eval_context& ctx,
                 bson::arena& memory)
      : expression_(e), where_(where), ctx_(ctx), memory_(memory) {}

  /// The redacted document, or missing when it is pruned.
  bson::value redact_document(const bson::value& doc) const {
    const bson::value r = expression_.evaluate_value(doc, ctx_, memory_);
    if (r.is_string()) {
      const std::string_view s = r.as_string();
      if (s == "keep") return doc;
      if (s == "prune") return bson::value{};
      if (s == "descend") return descend(doc);
    }
    const document shown = r.is_missing() ? missing() : bson::to_nlohmann(r);
    throw_error("reel.pipeline.bad_document", where_,
                "$redact's expression should not return anything aside from the variables "
                "$$KEEP, $$DESCEND, and $$PRUNE, but returned " +
                    detail::describe_value(shown));
  }

 private:
  bson::value descend(const bson::value& doc) const {
    const auto fields = doc.fields();
    if (fields.empty()) return doc;
    bson::field* kept = memory_.allocate_array<bson::field>(fields.size());
    std::size_t n = 0;
    for (const bson::field& f : fields) {
      const bson::value v = redact_value(f.val);
      if (v.is_missing()) continue;
      kept[n] = f;
      kept[n].val = v;
      ++n;
    }
    return bson::value::document({kept, n});
  }

  /// A field value or an array element redacted; missing when it is pruned.
  bson::value redact_value(const bson::value& v) const {
    if (v.is_document()) return redact_document(v);
    if (!v.is_array()) return v;
    const auto elements = v.elements();
    if (elements.empty()) return v;
    bson::value* kept = memory_.allocate_array<bson::value>(elements.size());
    std::size_t n = 0;
    for (const bson::value& e : elements) {
      const bson::value r = redact_value(e);
      if (!r.is_missing()) kept[n++] = r;
    }
    return bson::value::array({kept, n});
  }

  const expression& expression_;
  const std::string& where_;
  const eval_context& ctx_;
  bson::arena& memory_;
};

}  // namespace

void redact::apply_value(const bson::value& doc, const eval_context& ctx, bson::arena& memory,
                         std::vector<bson::value>& out) const {
  if (!uses_root_) {
    const bson::value r = value_redactor(expression_, where_, ctx, memory).redact_document(doc);
    if (!r.is_missing()) out.push_back(r);
    return;
  }
  // `$$ROOT` is an external variable, and external variables are nlohmann values until the
  // runtime switches (eval_context::variables): the document is converted for it.
  document variables = ctx.variables != nullptr ? *ctx.variables : document::object();
  variables[std::string(root_variable)] = bson::to_nlohmann(doc);
  eval_context with_root = ctx;
  with_root.variables = &variables;
  const bson::value r = value_redactor(expression_, where_, with_root, memory).redact_document(doc);
  if (!r.is_missing()) out.push_back(r);
}

void set_stream_meta::apply_value(const bson::value& doc, const eval_context& ctx,
                                  bson::arena& memory, std::vector<bson::value>& out) const {
  bson::value* values = memory.allocate_array<bson::value>(fields_.size());
  for (std::size_t i = 0; i < fields_.size(); ++i)
    values[i] = fields_[i].value.evaluate_value(doc, ctx, memory);
  bson::value result = doc;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (values[i].is_missing()) continue;
    result = detail::with_path_set(detail::stage_builder(memory), result, "_stream_meta",
                                   fields_[i].parts, values[i]);
  }
  out.push_back(result);
}

}  // namespace reel::json::stages
