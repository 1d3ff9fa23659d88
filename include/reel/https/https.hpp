// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::https` (built with `-DREEL_WITH_HTTPS=ON`, libcurl): the `https` connection type and
/// the `$https` stage, which sends an HTTP request per document and adds the answer under `as`;
/// and the `aws_lambda` connection type, whose functions `$externalFunction` calls.
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
/// `[reel.https.timeout]` no connection within `connectionTimeoutSec` or no whole answer within
/// `requestTimeoutSec` (the reason names the one that fired); `[reel.https.connection]` no
/// connection; `[reel.https.invalid_body]` a body that is not JSON; `[reel.https.content_type]`
/// a content type other than JSON or text. Timeouts, connection errors, 429 and 5xx are retried
/// first (`maxRetries`, exponential backoff); `stats().enrichment` counts `retries`. A document
/// whose request cannot be built (a parameter that is an object, a failing `payload`) goes to
/// the DLQ whatever `onError` says.
///
/// **AWS Lambda** (`$externalFunction`, `reel/json/stages/external_function.hpp`): a connection
/// `{"type": "aws_lambda", "region": "us-east-1", "accessKeyId": {"$env": ...},
/// "secretAccessKey": {"$env": ...}, "sessionToken": {"$env": ...}}` (Atlas's type name
/// `AWSLambda` is accepted; without `accessKeyId`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
/// and `AWS_SESSION_TOKEN` are read). `endpoint` (`http://127.0.0.1:9001`) replaces
/// `https://lambda.<region>.amazonaws.com`, for emulators and tests; `connectionTimeoutSec`
/// (30), `requestTimeoutSec` (900, Lambda's longest run), `maxRetries` (3), `retryBackoffMs`
/// (100, doubled per retry). Each call is `POST /2015-03-31/functions/<functionName>/invocations`
/// with the payload as its JSON body, signed with SigV4 (`reel/aws/sigv4.hpp`), with
/// `X-Amz-Invocation-Type: RequestResponse` (`execution: "sync"`: the function's JSON answer
/// becomes `as`; an empty or `null` answer sets nothing) or `Event` (`"async"`: Lambda answers
/// 202 and the document goes on unchanged). Calls share the I/O thread machinery of `$https`.
/// Failures (`onError` applies; the DLQ reason starts with the id, quotes at most 256 bytes of
/// the body): `[reel.lambda.function_error]` the function failed (`X-Amz-Function-Error` with a
/// 200); `[reel.lambda.throttled]` HTTP 429 after the retries; `[reel.lambda.status]` any other
/// answer than 2xx, with Lambda's error type (`ResourceNotFoundException`, ...);
/// `[reel.lambda.timeout]` (which timeout fired), `[reel.lambda.connection]`;
/// `[reel.lambda.invalid_body]` an answer that is not JSON. 429, 5xx, timeouts and connection
/// errors are retried first.
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

/// Registers the connection types `https` and `aws_lambda` in `registry`, and the stage `$https`
/// in `reel::json::stage_registry::global()` (once per process).
void register_connection_type(reel::connection_registry& registry);

/// Registers the stage `$https` in `reel::json::stage_registry::global()` (idempotent). A
/// pipeline compiled without connections then checks `$https`'s options only.
void register_stage();

}  // namespace reel::https
