// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::s3::checkpoint_store` (target `reel::s3`): a processor's checkpoints as objects under
/// a prefix of a bucket, `<prefix>/checkpoint-00000000000000000042`, written with the S3
/// client of the connector (SigV4, the same connection settings as the `$emit` sink).
///
/// An S3 PUT is atomic (an object appears whole or not at all), so `put` uploads the sealed
/// checkpoint (`reel::seal_checkpoint`: a CRC32C envelope) under its final key, then removes all
/// but the newest `keep_last`. `list` lists the prefix; `latest()` passes over an object whose
/// checksum fails (truncated or damaged) and falls back to the previous one, as the directory
/// store does.
///
/// Failures: a put, list or remove that S3 refuses or that gets no answer (after the client's
/// own timeouts) throws `reel.checkpoint.write_failed`, a get or list
/// `reel.checkpoint.read_failed`, located at `s3://bucket/key` and carrying S3's status, code and
/// message (never the credentials). A processor stops when a checkpoint cannot be written.
///
/// In a connections file the store uses an `"s3"` connection; the pipeline file names it in
/// `options.checkpoint.store: {connectionName, bucket, prefix}` or `reel run` takes
/// `--state s3://CONNECTION/BUCKET/PREFIX` (README, "Running unattended").
///
/// **Example**
/// ```cpp
/// reel::s3::checkpoint_store store({.connection = {.region = "us-east-1", ...},
///                                   .bucket = "reel-state", .prefix = "tickets"});
/// store.put(1, processor.checkpoint());
/// ```
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/checkpoint/store.hpp"
#include "reel/connector/registry.hpp"
#include "reel/s3/client.hpp"

namespace reel::s3 {

struct checkpoint_store_options {
  /// Region, endpoint, addressing, credentials, timeouts.
  client_options connection;
  std::string bucket;
  /// The "directory" of the checkpoints in the bucket (no trailing slash needed); empty: the
  /// top of the bucket.
  std::string prefix;
  /// Checkpoints kept after a put (at least 1).
  std::size_t keep_last = 3;
};

class checkpoint_store final : public reel::checkpoint_store {
 public:
  /// Throws `reel.s3.invalid_option` when there is no bucket or no credentials. Connects only
  /// when used.
  explicit checkpoint_store(checkpoint_store_options options);
  ~checkpoint_store() override;
  checkpoint_store(const checkpoint_store&) = delete;
  checkpoint_store& operator=(const checkpoint_store&) = delete;

  void put(std::uint64_t version, std::string_view bytes) override;
  [[nodiscard]] std::optional<std::string> get(std::uint64_t version) const override;
  [[nodiscard]] std::vector<std::uint64_t> list() const override;
  void remove(std::uint64_t version) override;
  /// `s3://bucket/prefix/`.
  [[nodiscard]] std::string location() const override;
  /// The object key of checkpoint `version`.
  [[nodiscard]] std::string key_of(std::uint64_t version) const;

 private:
  std::string url_of(const std::string& key) const;
  checkpoint_store_options options_;
  std::string key_prefix_;  // "<prefix>/checkpoint-"
  mutable client http_;
};

/// Reads an `"s3"` connection definition and a store specification
/// `{connectionName, bucket, prefix, keepLast}` (in `args.stage`) into store options. Errors are
/// `reel.connection.invalid` at the definition or specification location.
[[nodiscard]] checkpoint_store_options checkpoint_store_options_from(
    const reel::connection_args& args);

}  // namespace reel::s3
