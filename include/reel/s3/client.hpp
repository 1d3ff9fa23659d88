// SPDX-License-Identifier: Apache-2.0
/// \file
/// A small S3 client over libcurl (target `reel::s3`): requests signed with AWS Signature
/// Version 4 by libcurl (`CURLOPT_AWS_SIGV4`), for AWS S3 and S3-compatible servers
/// (virtual-hosted or path-style addressing). It does what the S3 sink needs and what its tests
/// and tools need to look at a bucket: put, get, list, delete objects and create a bucket.
///
/// Every request carries `x-amz-content-sha256` (the hex SHA-256 of the body), object keys are
/// percent-encoded with AWS's UriEncode, and query parameters are sorted and encoded before curl
/// signs them. No curl or OpenSSL header is part of this interface.
///
/// A `client` is not thread-safe (it keeps one curl handle, so connections are reused); use one
/// per thread.
///
/// **Example**
/// ```cpp
/// reel::s3::client s3({.region = "us-east-1", .endpoint = "http://127.0.0.1:7070",
///                      .credentials = {.access_key_id = "AKIDREEL", .secret_access_key = "..."}});
/// s3.create_bucket("reports");
/// s3.put_object("reports", "2024/06/01 summary.json", R"({"ok":true})" "\n");
/// std::string body = s3.get_object("reports", "2024/06/01 summary.json");
/// for (const std::string& key : s3.list_objects("reports", "2024/")) { ... }
/// ```
///
/// Errors throw `reel::s3::request_error` (a `reel::error`) with the HTTP status and the S3 error
/// code and message of the response body:
/// `[reel.s3.request_failed] at s3://reports/a.json: GET failed: HTTP 403 SignatureDoesNotMatch:
/// The request signature we calculated does not match the signature you provided. ...`
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reel/error.hpp"

namespace reel::s3 {

/// AWS credentials. Resolved values are secrets: they never appear in error messages.
struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< sent as `x-amz-security-token` when not empty

  /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; empty when the first
  /// two are not both set.
  [[nodiscard]] static std::optional<credentials> from_environment();
};

struct client_options {
  std::string region = "us-east-1";
  /// `http://127.0.0.1:7070` for an S3-compatible server; empty for AWS
  /// (`https://s3.<region>.amazonaws.com`).
  std::string endpoint;
  /// `http://host/bucket/key` instead of `http://bucket.host/key`. Empty: path-style when an
  /// endpoint is given, virtual-hosted for AWS.
  std::optional<bool> path_style;
  struct credentials credentials;
  std::chrono::milliseconds connect_timeout{5000};
  /// Whole request, upload included.
  std::chrono::milliseconds request_timeout{120000};
  /// libcurl `CURLOPT_CONNECT_TO` entries (`HOST:PORT:CONNECT-HOST:CONNECT-PORT`): send requests
  /// for one host to another address while signing for the original host (tests use it to read
  /// what would be sent to AWS at a local listener).
  std::vector<std::string> connect_to;
};

/// A failed S3 request. `status()` is 0 when no HTTP response came (connection refused,
/// timeout); `s3_code()` is the `<Code>` of the S3 error body (`SignatureDoesNotMatch`,
/// `NoSuchBucket`, ...), empty when there was none.
class request_error : public reel::error {
 public:
  request_error(std::string id, std::string where, std::string message, long status,
                std::string s3_code, bool retryable)
      : reel::error(std::move(id), std::move(where), std::move(message)),
        status_(status),
        s3_code_(std::move(s3_code)),
        retryable_(retryable) {}

  [[nodiscard]] long status() const noexcept { return status_; }
  [[nodiscard]] const std::string& s3_code() const noexcept { return s3_code_; }
  /// True when trying again later may succeed: no response, HTTP 5xx, 408, 429, or the S3 codes
  /// `RequestTimeout`, `SlowDown`, `InternalError`, `ServiceUnavailable`.
  [[nodiscard]] bool retryable() const noexcept { return retryable_; }

 private:
  long status_;
  std::string s3_code_;
  bool retryable_;
};

/// One HTTP request to S3, before signing.
struct request {
  std::string method = "GET";
  std::string bucket;                                        ///< empty for service-level requests
  std::string key;                                           ///< the object key, not encoded
  std::vector<std::pair<std::string, std::string>> query;    ///< not encoded, any order
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, signed
  std::string body;
};

/// What came back.
struct response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-case

  /// The value of header `name` (lower-case), or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
};

class client {
 public:
  explicit client(client_options options);
  ~client();
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  [[nodiscard]] const client_options& options() const noexcept;

  /// Creates `bucket`; a bucket that already exists and is ours is fine.
  void create_bucket(const std::string& bucket);
  /// Uploads `body` as `bucket/key` with `Content-Type: content_type`.
  void put_object(const std::string& bucket, const std::string& key, std::string_view body,
                  const std::string& content_type = "application/octet-stream");
  /// The object's bytes (404 throws with `status() == 404` and `s3_code() == "NoSuchKey"`).
  [[nodiscard]] std::string get_object(const std::string& bucket, const std::string& key);
  /// Every key of `bucket` starting with `prefix`, in S3's order (ListObjectsV2, all pages).
  [[nodiscard]] std::vector<std::string> list_objects(const std::string& bucket,
                                                      const std::string& prefix = "");
  void delete_object(const std::string& bucket, const std::string& key);

  /// Sends one signed request and returns the response whatever its status; throws
  /// `request_error` (`status() == 0`) only when no response came.
  [[nodiscard]] response send(const request& r);
  /// The URL `r` goes to (key and query encoded, query sorted).
  [[nodiscard]] std::string url(const request& r) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::s3
