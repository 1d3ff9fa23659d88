// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$meta` on the value model (detail/value_eval.hpp): `{$meta: "stream"}` and
/// `{$meta: "stream.<path>"}` read the processor's metadata (`eval_context::meta`: source,
/// window), else, for a path, the document's own `_stream_meta` (what `$setStreamMeta` set), as
/// `eval_meta` of ops_logic.hpp. The root is not converted: the metadata is still a nlohmann
/// object in the context until the runtime switches to values (docs/document-model.md §6, step
/// 5), so only the part `$meta` returns is converted into the evaluation's arena; the
/// `_stream_meta` fallback is resolved on the root value with the node's compiled
/// `bson::field_path`.

#include "reel/bson/field_path.hpp"
#include "reel/bson/nlohmann.hpp"
#include "reel/json/detail/value_eval.hpp"

namespace reel::json::detail {

namespace {

bson::value meta_op(const node& n, const value_scope& s) {
  const document* meta = s.ctx ? s.ctx->meta : nullptr;
  if (meta && n.path.empty()) return bson::from_nlohmann(*meta, *s.memory);
  if (meta) {
    document scratch;
    const document& v = n.path.resolve(*meta, scratch);
    if (!is_missing(v)) return bson::from_nlohmann(v, *s.memory);
  }
  if (!n.path.empty() && s.root->is_document()) {
    const bson::value own = (*s.root)["_stream_meta"];
    if (own.is_document()) {
      return static_cast<const bson::field_path*>(n.value_data.get())->resolve(own, *s.memory);
    }
  }
  return {};
}

}  // namespace

void register_value_meta_ops(value_op_table& t) {
  t.emplace("$meta", &meta_op);
}

}  // namespace reel::json::detail
