// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::https` (built with `-DREEL_WITH_HTTPS=ON`, libcurl): the `https` connection type and
/// the `$https` stage, which sends an HTTP request per document and adds the answer under `as`.
/// Calls are asynchronous, at most `parallelism` in flight, released in input order
/// (`reel/json/enrichment.hpp`); one I/O thread per stage drives them all (libcurl's multi
/// interface) and keeps connections open between calls.
///
/// **Connection** (`connections.json`): `{"type": "https", "url": "https://pricing.example/v1",
/// "headers": {"X-Team": "box-office"}, "auth": ...}` where `auth` is one of
/// `{"type": "bearer", "token": ...}`, `{"type": "basic", "username": ..., "password": ...}`,
/// `{"type": "header", "name": "X-Api-Key", "value": ...}`; secrets as `{"$env": "NAME"}`.
///
/// **Stage** (Atlas's names): `connectionName` (required); `method` (`GET` default, `POST`,
/// `PUT`, `PATCH`, `DELETE`); `path` (a string or an expression, appended to the connection's
/// `url`); `parameters` (query parameters, each value an expression); `headers` (each value an
/// expression, added to the connection's); `payload` (a pipeline of `$project`, `$addFields`,
/// `$set`, `$replaceRoot` making the JSON body; default: the whole document for `POST`, `PUT`,
/// `PATCH`, no body for `GET` and `DELETE`); `as` (required); `onError` (`"dlq"` default,
/// `"ignore"`, `"fail"`); `config: {connectionTimeoutSec = 30, requestTimeoutSec = 60,
/// parseJsonStrings = false}`. Reel's own: `parallelism` (1–1024, default 16) and
/// `config.maxRetries` (default 3), `config.retryBackoffMs` (default 100, doubled per retry).
///
/// **Answers**: any 2xx is a success. A JSON body (`application/json`, `*+json`, or no content
/// type) becomes the value of `as`; a `text/plain` body becomes a string (parsed as JSON when
/// `parseJsonStrings` is true and it holds a JSON object or array; string fields of a JSON
/// answer holding one are parsed too); an empty body leaves `as` unset.
///
/// **Failures** (`onError` applies; the DLQ reason starts with the id): `[reel.https.status]`
/// an answer other than 2xx, with the status and the first 256 bytes of the body;
/// `[reel.https.timeout]` no whole answer within the timeouts; `[reel.https.connection]` no
/// connection; `[reel.https.invalid_body]` a body that is not JSON; `[reel.https.content_type]`
/// a content type other than JSON or text. Timeouts, connection errors, 429 and 5xx are retried
/// first (`maxRetries`, exponential backoff); `stats().enrichment` counts `retries`. A document
/// whose request cannot be built (a parameter that is an object, a failing `payload`) goes to
/// the DLQ whatever `onError` says.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections = reel::default_connections();
/// reel::https::register_connection_type(connections);  // also registers the stage $https
/// connections.add_connection("pricing", {{"type", "https"}, {"url", "http://127.0.0.1:8080"}});
/// // {$https: {connectionName: "pricing", path: {$concat: ["/price/", "$movie"]}, as: "price"}}
/// ```
#pragma once

#include "reel/connector/registry.hpp"

namespace reel::https {

/// Registers the connection type `https` in `registry`, and the stage `$https` in
/// `reel::json::stage_registry::global()` (once per process).
void register_connection_type(reel::connection_registry& registry);

/// Registers the stage `$https` in `reel::json::stage_registry::global()` (idempotent). A
/// pipeline compiled without connections then checks `$https`'s options only.
void register_stage();

}  // namespace reel::https
