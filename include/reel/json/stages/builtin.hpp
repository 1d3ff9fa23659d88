// SPDX-License-Identifier: Apache-2.0
/// \file
/// Registers every built-in document stage in `stage_registry::global()`:
///
/// | stage          | class                    | operator name         | placement   |
/// |----------------|--------------------------|-----------------------|-------------|
/// | `$match`       | `stages::match`          | `MatchOperator`       | anywhere    |
/// | `$validate`    | `stages::validate`       | `ValidateOperator`    | anywhere    |
/// | `$project`     | `stages::project`        | `ProjectOperator`     | anywhere    |
/// | `$addFields`   | `stages::add_fields`     | `AddFieldsOperator`   | anywhere    |
/// | `$set`         | `stages::add_fields`     | `SetOperator`         | anywhere    |
/// | `$unset`       | `stages::unset`          | `UnsetOperator`       | anywhere    |
/// | `$replaceRoot` | `stages::replace_root`   | `ReplaceRootOperator` | anywhere    |
/// | `$replaceWith` | `stages::replace_root`   | `ReplaceRootOperator` | anywhere    |
/// | `$unwind`      | `stages::unwind`         | `UnwindOperator`      | anywhere    |
/// | `$redact`      | `stages::redact`         | `RedactOperator`      | anywhere    |
/// | `$sort`        | `stages::sort`           | `SortOperator`        | window only |
/// | `$limit`       | `stages::limit`          | `LimitOperator`       | window only |
/// | `$count`       | `stages::count`          | `CountOperator`       | window only |
/// | `$setStreamMeta` | `stages::set_stream_meta` | `SetStreamMetaOperator` | main only |
/// | `$externalFunction` | `stages::external_function` | `ExternalFunctionOperator` | anywhere |
/// | `$lookup`      | `stages::lookup`         | `LookupOperator`      | anywhere    |
/// | `$cachedLookup` | `stages::lookup`        | `CachedLookupOperator` | main only  |
///
/// The registry calls the `make_*` factories, which each stage header defines; they are declared
/// here first so that any one stage header can be included on its own (it includes `stage.hpp`,
/// which includes this file before the stage's class is complete).
#pragma once

#include <memory>
#include <string>

#include "reel/json/stage.hpp"

namespace reel::json {

namespace stages {
using factory_signature = std::shared_ptr<const document_stage>(const document&,
                                                                const std::string&);
inline factory_signature make_match, make_validate, make_project, make_add_fields, make_set,
    make_unset, make_replace_root, make_replace_with, make_unwind, make_redact, make_sort,
    make_limit, make_count, make_set_stream_meta;
/// Factories that need the compile context (`stage_context`: the connection registry).
using contextual_factory_signature = std::shared_ptr<const document_stage>(const document&,
                                                                           const std::string&,
                                                                           const stage_context&);
inline contextual_factory_signature make_external_function, make_lookup, make_cached_lookup;
}  // namespace stages

inline stage_registry& stage_registry::global() {
  static stage_registry* registry = [] {
    auto* r = new stage_registry;
    constexpr auto anywhere = stage_placement::anywhere;
    constexpr auto window_only = stage_placement::window_only;
    r->add("$match", anywhere, &stages::make_match);
    r->add("$validate", anywhere, &stages::make_validate);
    r->add("$project", anywhere, &stages::make_project);
    r->add("$addFields", anywhere, &stages::make_add_fields);
    r->add("$set", anywhere, &stages::make_set);
    r->add("$unset", anywhere, &stages::make_unset);
    r->add("$replaceRoot", anywhere, &stages::make_replace_root);
    r->add("$replaceWith", anywhere, &stages::make_replace_with);
    r->add("$unwind", anywhere, &stages::make_unwind);
    r->add("$redact", anywhere, &stages::make_redact);
    r->add("$sort", window_only, &stages::make_sort);
    r->add("$limit", window_only, &stages::make_limit);
    r->add("$count", window_only, &stages::make_count);
    r->add("$setStreamMeta", stage_placement::main_only, &stages::make_set_stream_meta);
    r->add("$externalFunction", anywhere,
           stage_registry::contextual_factory(&stages::make_external_function));
    r->add("$lookup", anywhere, stage_registry::contextual_factory(&stages::make_lookup));
    r->add("$cachedLookup", stage_placement::main_only,
           stage_registry::contextual_factory(&stages::make_cached_lookup));
    return r;
  }();
  return *registry;
}

}  // namespace reel::json

#include "reel/json/stages/add_fields.hpp"
#include "reel/json/stages/cached_lookup.hpp"
#include "reel/json/stages/count.hpp"
#include "reel/json/stages/external_function.hpp"
#include "reel/json/stages/limit.hpp"
#include "reel/json/stages/lookup.hpp"
#include "reel/json/stages/match.hpp"
#include "reel/json/stages/project.hpp"
#include "reel/json/stages/redact.hpp"
#include "reel/json/stages/replace_root.hpp"
#include "reel/json/stages/set_stream_meta.hpp"
#include "reel/json/stages/sort.hpp"
#include "reel/json/stages/unset.hpp"
#include "reel/json/stages/unwind.hpp"
#include "reel/json/stages/validate.hpp"
