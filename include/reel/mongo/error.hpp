// SPDX-License-Identifier: Apache-2.0
/// \file
/// Errors of the MongoDB connector (`reel::mongo`, target `reel::mongo`).
///
/// Every failure is a `reel::mongo::error`, a `reel::error` with a stable id and libmongoc's
/// error domain and code kept, both as members and at the end of the message:
///
/// ```text
/// [reel.mongo.unavailable] at /3/$merge: gave up after 5 attempts: writing to 'cinema.totals'
///   failed: No suitable servers found: `serverSelectionTimeoutMS` expired: [...]
///   (domain=15 code=13053)
/// ```
///
/// | id                            | kind        | when |
/// |-------------------------------|-------------|----------------------------------------------------|
/// | `reel.mongo.invalid_uri`      | `config`    | the connection string does not parse | |
/// `reel.mongo.unavailable`      | `transient` | no server reachable, retries exhausted | |
/// `reel.mongo.write_failed`     | varies      | a write failed as a whole (not one document) | |
/// `reel.mongo.command_failed`   | varies      | a command (`find`, `createIndexes`, ...) failed |
/// | `reel.mongo.change_stream_failed` | varies  | a change stream could not be opened or read | |
/// `reel.mongo.invalid_document` | `data`      | a document cannot become BSON |
///
/// `kind()` classifies the failure the way the retry policy does: `transient` failures (network,
/// server selection, `RetryableWriteError`, not-primary and shutdown codes) are retried with
/// backoff; `config` (bad URI, authentication, authorization) and `data` (one document) never are.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include "reel/error.hpp"

namespace reel::mongo {

/// How a failure is handled.
enum class error_kind {
  transient,  ///< may succeed if tried again later (network, server selection, failover)
  config,     ///< the connection or its credentials are wrong
  data,       ///< one document is at fault (it goes to the DLQ)
  server      ///< anything else the server or the driver reported
};

/// libmongoc's error domains that the connector names (values of `bson_error_t::domain`).
namespace domain {
inline constexpr std::uint32_t client = 1;             ///< MONGOC_ERROR_CLIENT
inline constexpr std::uint32_t stream = 2;             ///< MONGOC_ERROR_STREAM (network)
inline constexpr std::uint32_t command = 11;           ///< MONGOC_ERROR_COMMAND
inline constexpr std::uint32_t bson = 8;               ///< MONGOC_ERROR_BSON
inline constexpr std::uint32_t server_selection = 15;  ///< MONGOC_ERROR_SERVER_SELECTION
inline constexpr std::uint32_t write_concern = 16;     ///< MONGOC_ERROR_WRITE_CONCERN
inline constexpr std::uint32_t server = 17;            ///< MONGOC_ERROR_SERVER (server error codes)
inline constexpr std::uint32_t reel = 1000;            ///< raised by Reel itself
}  // namespace domain

/// The `std::error_category` of connector failures: the value is libmongoc's error code, and
/// `error::domain()` tells which domain it belongs to.
const std::error_category& category() noexcept;

class error : public reel::error {
 public:
  /// `message` gets ` (domain=D code=C)` appended.
  error(std::string id, std::string where, const std::string& message, std::uint32_t domain,
        std::uint32_t code, error_kind kind);

  /// libmongoc's `bson_error_t::domain` (`domain::server` for server error codes).
  [[nodiscard]] std::uint32_t domain() const noexcept { return domain_; }
  /// libmongoc's `bson_error_t::code` (the server's code for `domain::server`, e.g. 11000).
  [[nodiscard]] std::uint32_t code() const noexcept { return code_; }
  [[nodiscard]] error_kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool transient() const noexcept { return kind_ == error_kind::transient; }
  /// `{code(), reel::mongo::category()}`.
  [[nodiscard]] std::error_code error_code() const noexcept {
    return {static_cast<int>(code_), category()};
  }

 private:
  std::uint32_t domain_;
  std::uint32_t code_;
  error_kind kind_;
};

}  // namespace reel::mongo
