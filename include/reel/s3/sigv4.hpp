// SPDX-License-Identifier: Apache-2.0
/// \file
/// AWS Signature Version 4 pieces that `reel::s3` needs around libcurl's signer
/// (`CURLOPT_AWS_SIGV4`), and an independent signer used to check what curl sends.
///
/// libcurl signs each request, but it takes the path and the query as given: the object key must
/// already be percent-encoded the way AWS does it (`uri_encode`: keep `A-Za-z0-9-_.~`, and `/`
/// in paths) and the query parameters must already be sorted and encoded (`canonical_query`).
/// `authorization` computes the `Authorization` header from the canonical parts, following
/// AWS's "Signature Calculations for the Authorization Header" for S3.
///
/// **Example** (AWS's documented GET Object example)
/// ```cpp
/// reel::s3::sigv4_request r;
/// r.method = "GET";
/// r.canonical_uri = "/test.txt";
/// r.headers = {{"host", "examplebucket.s3.amazonaws.com"}, {"range", "bytes=0-9"},
///              {"x-amz-content-sha256", reel::s3::sha256_hex("")},
///              {"x-amz-date", "20130524T000000Z"}};
/// r.payload_hash = reel::s3::sha256_hex("");
/// r.amz_date = "20130524T000000Z";
/// r.region = "us-east-1";
/// r.access_key_id = "AKIAIOSFODNN7EXAMPLE";
/// r.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// reel::s3::authorization(r);  // "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/..."
/// ```
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel::s3 {

/// AWS's UriEncode: every byte except `A-Za-z0-9-_.~` becomes `%XX` (upper-case hex); `/` is
/// kept when `encode_slash` is false (object keys in a path), encoded otherwise (query values).
[[nodiscard]] std::string uri_encode(std::string_view s, bool encode_slash = true);

/// The canonical query string: each name and value `uri_encode`d, pairs sorted by encoded name
/// (then value), joined as `a=1&b=2`; a parameter without a value is written `name=`.
[[nodiscard]] std::string canonical_query(std::vector<std::pair<std::string, std::string>> params);

/// Lower-case hex SHA-256 of `data` (the `x-amz-content-sha256` value of a body).
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// The parts of a request that SigV4 signs.
struct sigv4_request {
  std::string method;           ///< `GET`, `PUT`, ...
  std::string canonical_uri;    ///< the path as sent, already encoded: `/bucket/a%3Db.json`
  std::string canonical_query;  ///< as sent, already sorted and encoded (see `canonical_query`)
  /// The signed headers (any case, any order; values are trimmed and inner spaces squeezed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  ///< hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`
  std::string amz_date;      ///< `20130524T000000Z`
  std::string region;
  std::string service = "s3";
  std::string access_key_id;
  std::string secret_access_key;
};

/// The canonical request of `r` (step 1 of the signature; useful in failure messages).
[[nodiscard]] std::string canonical_request(const sigv4_request& r);

/// The value of the `Authorization` header for `r`:
/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=<a;b;c>,Signature=<hex>`.
[[nodiscard]] std::string authorization(const sigv4_request& r);

}  // namespace reel::s3
