// SPDX-License-Identifier: Apache-2.0
// Checkpoints as objects under a prefix of a bucket.
#include "reel/s3/checkpoint_store.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace reel::s3 {

namespace {

constexpr std::size_t version_digits = 20;

/// `id` with the message of `e` (which names S3's status and code, never credentials).
[[noreturn]] void fail(const char* id, const std::string& where, const std::string& what,
                       const reel::error& e) {
  throw_error(id, where, what + ": " + e.message());
}

}  // namespace

checkpoint_store::checkpoint_store(checkpoint_store_options options)
    : options_(std::move(options)), http_(options_.connection) {
  std::string prefix = options_.prefix;
  while (!prefix.empty() && prefix.back() == '/')
    prefix.pop_back();
  key_prefix_ = (prefix.empty() ? std::string() : prefix + "/") + "checkpoint-";
  if (options_.bucket.empty()) {
    throw_error("reel.s3.invalid_option", "", "a checkpoint store needs a bucket");
  }
  if (options_.connection.credentials.access_key_id.empty() ||
      options_.connection.credentials.secret_access_key.empty()) {
    throw_error("reel.s3.invalid_option", location(),
                "no S3 credentials: give accessKeyId and secretAccessKey in the connection, or "
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (options_.keep_last == 0) options_.keep_last = 1;
}

checkpoint_store::~checkpoint_store() = default;

std::string checkpoint_store::key_of(std::uint64_t version) const {
  return fmt::format("{}{:020}", key_prefix_, version);
}

std::string checkpoint_store::url_of(const std::string& key) const {
  return "s3://" + options_.bucket + "/" + key;
}

std::string checkpoint_store::location() const {
  return url_of(key_prefix_.substr(0, key_prefix_.size() - std::string_view("checkpoint-").size()));
}

void checkpoint_store::put(std::uint64_t version, std::string_view bytes) {
  const std::string key = key_of(version);
  try {
    http_.put_object(options_.bucket, key, seal_checkpoint(version, bytes));
  } catch (const reel::error& e) {
    fail("reel.checkpoint.write_failed", url_of(key), "cannot store the checkpoint", e);
  }
  std::vector<std::uint64_t> versions;
  try {
    versions = list();
  } catch (const reel::error& e) {
    fail("reel.checkpoint.write_failed", location(), "cannot list the checkpoints to prune them",
         e);
  }
  for (std::size_t i = 0; i + options_.keep_last < versions.size(); ++i)
    remove(versions[i]);
}

std::optional<std::string> checkpoint_store::get(std::uint64_t version) const {
  const std::string key = key_of(version);
  std::string sealed;
  try {
    sealed = http_.get_object(options_.bucket, key);
  } catch (const request_error& e) {
    if (e.status() == 404 && e.s3_code() != "NoSuchBucket") return std::nullopt;
    fail("reel.checkpoint.read_failed", url_of(key), "cannot read the checkpoint", e);
  }
  return unseal_checkpoint(sealed, version, url_of(key));
}

std::vector<std::uint64_t> checkpoint_store::list() const {
  std::vector<std::string> keys;
  try {
    keys = http_.list_objects(options_.bucket, key_prefix_);
  } catch (const reel::error& e) {
    fail("reel.checkpoint.read_failed", location(), "cannot list the checkpoints", e);
  }
  std::vector<std::uint64_t> out;
  for (const std::string& key : keys) {
    if (key.size() != key_prefix_.size() + version_digits) continue;
    const char* first = key.data() + key_prefix_.size();
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(first, first + version_digits, v);
    if (ec == std::errc{} && end == first + version_digits) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void checkpoint_store::remove(std::uint64_t version) {
  const std::string key = key_of(version);
  try {
    http_.delete_object(options_.bucket, key);
  } catch (const request_error& e) {
    if (e.status() == 404 && e.s3_code() != "NoSuchBucket") return;
    fail("reel.checkpoint.write_failed", url_of(key), "cannot remove the checkpoint", e);
  }
}

}  // namespace reel::s3
