// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$cachedLookup`: `$lookup` (`lookup.hpp`) with a cache of the matches of each local value
/// (`CachedLookupOperator`), as Atlas Stream Processing has it. Main pipeline only.
///
/// Options (Atlas's): `from: {connectionName, db, coll}`, `localField`, `foreignField`, `as`
/// (required); `ttl: {size, unit}` (required; `ms`, `second`, `minute`, `hour`, `day`): how long
/// an answer is reused, on the processor's clock (so a `manual_clock` drives it in tests);
/// `maxMemUsageBytes`: the most the cache holds (estimated as the JSON size of the keys and
/// matches plus 96 bytes per entry; default 64 MiB where Atlas takes 10 % of the machine's
/// memory). Over it, expired answers are dropped first, then the least recently used (Atlas
/// drops random ones). `let` and `pipeline` are refused, as Atlas does. `parallelism` as for
/// `$lookup`.
///
/// A document whose local value is cached is answered at once, without a query; the others are
/// batched as `$lookup` batches them. `stats().enrichment` adds `cacheHits`, `cacheMisses`,
/// `cacheEvictions` (dropped for room), `cacheExpired` (dropped past their ttl), `cacheEntries`,
/// `cacheBytes`, `cacheMaxBytes`.
///
/// **Example**
/// ```json
/// {"$cachedLookup": {"from": {"connectionName": "atlas", "db": "cinema", "coll": "movies"},
///                    "localField": "movie", "foreignField": "slug", "as": "movieInfo",
///                    "ttl": {"size": 5, "unit": "minute"}, "maxMemUsageBytes": 10000000}}
/// ```
#pragma once

// The stage is `stages::lookup` with a cache; its factory, `stages::make_cached_lookup`, is
// defined beside `make_lookup` (lookup.hpp), since the registry may include this header first.
#include "reel/json/stages/lookup.hpp"
