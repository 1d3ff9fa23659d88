// SPDX-License-Identifier: Apache-2.0
/// \file
/// AWS Signature Version 4, shared by the compiled parts that talk to AWS (`reel::s3`, the
/// `aws_lambda` connections of `reel::https`): target `reel::aws`, built with either of them.
///
/// The pieces follow AWS's "Create a signed AWS API request": the canonical request
/// (`canonical_request`), the string to sign (`string_to_sign`), the signing key derived from
/// the secret (`signing_key`) and the signature (`signature`); `authorization` puts them in an
/// `Authorization` header. They are exposed one by one so that a test server can recompute a
/// received request's signature the way AWS does. The canonical URI is passed as AWS hashes it:
/// S3 signs the path as sent (`uri_encode(key, false)`), every other service signs each segment
/// of the sent path encoded once more (`canonical_uri(path_as_sent)`).
///
/// **Example** (AWS's documented S3 GET Object example)
/// ```cpp
/// reel::aws::sigv4_request r;
/// r.method = "GET";
/// r.canonical_uri = "/test.txt";
/// r.headers = {{"host", "examplebucket.s3.amazonaws.com"}, {"range", "bytes=0-9"},
///              {"x-amz-content-sha256", reel::aws::sha256_hex("")},
///              {"x-amz-date", "20130524T000000Z"}};
/// r.payload_hash = reel::aws::sha256_hex("");
/// r.amz_date = "20130524T000000Z";
/// r.region = "us-east-1";
/// r.service = "s3";
/// r.access_key_id = "AKIAIOSFODNN7EXAMPLE";
/// r.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// reel::aws::authorization(r);  // "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/..."
/// ```
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel::aws {

/// AWS's UriEncode: every byte except `A-Za-z0-9-_.~` becomes `%XX` (upper-case hex); `/` is
/// kept when `encode_slash` is false (object keys in a path), encoded otherwise (query values).
[[nodiscard]] std::string uri_encode(std::string_view s, bool encode_slash = true);

/// The canonical URI of a path as sent, for services other than S3: each segment encoded once
/// more (`/functions/f%3A1/x` → `/functions/f%253A1/x`); an empty path is `/`.
[[nodiscard]] std::string canonical_uri(std::string_view path_as_sent);

/// The canonical query string: each name and value `uri_encode`d, pairs sorted by encoded name
/// (then value), joined as `a=1&b=2`; a parameter without a value is written `name=`.
[[nodiscard]] std::string canonical_query(std::vector<std::pair<std::string, std::string>> params);

/// Lower-case hex SHA-256 of `data` (the payload hash; `x-amz-content-sha256` for S3).
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// Raw HMAC-SHA256 of `data` with `key`.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex of `size` bytes.
[[nodiscard]] std::string to_hex(const unsigned char* data, std::size_t size);

/// `t` as `x-amz-date` writes it: `20150830T123600Z` (UTC, whole seconds).
[[nodiscard]] std::string amz_date(std::chrono::system_clock::time_point t);

/// The parts of a request that SigV4 signs.
struct sigv4_request {
  std::string method;           ///< `GET`, `PUT`, ...
  std::string canonical_uri;    ///< see the file comment: `/bucket/a%3Db.json` for S3
  std::string canonical_query;  ///< already sorted and encoded (see `canonical_query`)
  /// The signed headers (any case, any order; values are trimmed and inner spaces squeezed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  ///< hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`
  std::string amz_date;      ///< `20130524T000000Z`
  std::string region;
  std::string service;  ///< `s3`, `lambda`, ...
  std::string access_key_id;
  std::string secret_access_key;
};

/// The canonical request of `r` (step 1 of the signature; useful in failure messages).
[[nodiscard]] std::string canonical_request(const sigv4_request& r);

/// The credential scope of `r`: `20150830/us-east-1/service/aws4_request`.
[[nodiscard]] std::string credential_scope(const sigv4_request& r);

/// The string to sign of `r` (step 2): the algorithm, the date, the scope and the hash of the
/// canonical request, one a line.
[[nodiscard]] std::string string_to_sign(const sigv4_request& r);

/// The signing key (step 3, raw bytes): HMACs of the date (`YYYYMMDD`), region, service and
/// `aws4_request`, starting from `"AWS4" + secret`.
[[nodiscard]] std::string signing_key(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service);

/// The signature of `r` (step 4): hex HMAC of the string to sign with the signing key.
[[nodiscard]] std::string signature(const sigv4_request& r);

/// The names of the signed headers of `r`, lower case, sorted, joined with `;`.
[[nodiscard]] std::string signed_headers(const sigv4_request& r);

/// The value of the `Authorization` header for `r`:
/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=<a;b;c>, Signature=<hex>`.
[[nodiscard]] std::string authorization(const sigv4_request& r);

}  // namespace reel::aws
