// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::checkpoint_store`: where processors keep their checkpoints. A store holds numbered,
/// checksummed blobs: `put(version, bytes)`, `get(version)`, `list()`, `remove(version)`.
/// Versions grow with every checkpoint; `latest()` returns the newest blob whose checksum holds,
/// passing over torn or corrupt ones (they are reported in `skipped`, never used).
///
/// Every blob is stored in an envelope that the store checks on read:
///
/// | bytes | content                                                      |
/// |-------|--------------------------------------------------------------|
/// | 8     | magic `REELCKPT`                                             |
/// | 4     | envelope version (1), little endian                          |
/// | 8     | checkpoint version, little endian                            |
/// | 8     | payload length, little endian                                |
/// | n     | payload (the processor's checkpoint bytes)                   |
/// | 4     | CRC32C of everything before it, little endian                |
///
/// The built-in store is `directory_store` (`reel/checkpoint/directory_store.hpp`); the S3 and
/// MongoDB connectors have theirs (`reel/s3/checkpoint_store.hpp`,
/// `reel/mongo/checkpoint_store.hpp`). A store of your own (a database, an object store)
/// implements the four virtual functions with `seal()`/`unseal()` around the bytes, or stores
/// the payload in a medium that checks it.
///
/// **Example**
/// ```cpp
/// reel::directory_store store("state", {.keep_last = 3});
/// store.put(1, bytes);
/// if (auto c = store.latest()) restore(c->bytes);  // c->version == 1
/// ```
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reel/checkpoint/detail/checksum.hpp"
#include "reel/error.hpp"

namespace reel {

/// One checkpoint read back from a store.
struct stored_checkpoint {
  std::uint64_t version = 0;
  std::string bytes;
  /// Newer checkpoints that were passed over because they were torn or corrupt, with the reason
  /// (`[reel.checkpoint.corrupt] at state/checkpoint-…: checksum mismatch`).
  std::vector<std::string> skipped;
};

namespace detail {

inline constexpr std::string_view checkpoint_magic = "REELCKPT";
inline constexpr std::uint32_t checkpoint_envelope_version = 1;
inline constexpr std::size_t checkpoint_header_size = 8 + 4 + 8 + 8;

inline void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
inline std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace detail

/// `bytes` in the checksummed envelope described above.
inline std::string seal_checkpoint(std::uint64_t version, std::string_view bytes) {
  std::string out;
  out.reserve(detail::checkpoint_header_size + bytes.size() + 4);
  out.append(detail::checkpoint_magic);
  detail::put_le(out, detail::checkpoint_envelope_version, 4);
  detail::put_le(out, version, 8);
  detail::put_le(out, bytes.size(), 8);
  out.append(bytes);
  detail::put_le(out, detail::crc32c(out), 4);
  return out;
}

/// The payload of an envelope, checked. Throws `reel.checkpoint.corrupt` (located at `where`)
/// when the envelope is truncated, has a wrong checksum, or is not the checkpoint `version`.
inline std::string unseal_checkpoint(std::string_view sealed, std::uint64_t version,
                                     const std::string& where) {
  auto corrupt = [&](const std::string& why) {
    throw_error("reel.checkpoint.corrupt", where, why);
  };
  if (sealed.size() < detail::checkpoint_header_size + 4 ||
      sealed.substr(0, 8) != detail::checkpoint_magic) {
    corrupt(sealed.size() < detail::checkpoint_header_size + 4 ? "truncated checkpoint"
                                                               : "not a reel checkpoint");
  }
  const std::uint64_t envelope = detail::get_le(sealed, 8, 4);
  const std::uint64_t stored_version = detail::get_le(sealed, 12, 8);
  const std::uint64_t length = detail::get_le(sealed, 20, 8);
  if (length != sealed.size() - detail::checkpoint_header_size - 4) {
    corrupt("truncated checkpoint: the header announces " + std::to_string(length) +
            " bytes of payload, the blob holds " +
            std::to_string(sealed.size() - detail::checkpoint_header_size - 4));
  }
  const std::size_t crc_at = sealed.size() - 4;
  if (detail::crc32c(sealed.substr(0, crc_at)) != detail::get_le(sealed, crc_at, 4)) {
    corrupt("checksum mismatch (the checkpoint is damaged)");
  }
  if (envelope != detail::checkpoint_envelope_version) {
    corrupt("envelope version " + std::to_string(envelope) + " is not supported");
  }
  if (stored_version != version) {
    corrupt("holds checkpoint " + std::to_string(stored_version) + ", expected " +
            std::to_string(version));
  }
  return std::string(sealed.substr(detail::checkpoint_header_size, length));
}

class checkpoint_store {
 public:
  virtual ~checkpoint_store() = default;

  /// Stores checkpoint `version` durably and atomically (a crash leaves either the whole blob
  /// or none of it), then drops old ones as the store's retention says. Throws
  /// `reel.checkpoint.write_failed` when it cannot: the caller must stop rather than go on
  /// without a checkpoint.
  virtual void put(std::uint64_t version, std::string_view bytes) = 0;
  /// Checkpoint `version`, checked; nullopt when the store does not have it. Throws
  /// `reel.checkpoint.corrupt` when its checksum does not hold, `reel.checkpoint.read_failed`
  /// when it cannot be read.
  [[nodiscard]] virtual std::optional<std::string> get(std::uint64_t version) const = 0;
  /// The versions held, oldest first.
  [[nodiscard]] virtual std::vector<std::uint64_t> list() const = 0;
  /// Removes checkpoint `version` (nothing when it is not there).
  virtual void remove(std::uint64_t version) = 0;
  /// Where the checkpoints are, for messages (`"state/"`, `"s3://bucket/prefix"`).
  [[nodiscard]] virtual std::string location() const = 0;

  /// The newest checkpoint that reads back intact (corrupt newer ones are listed in `skipped`);
  /// nullopt when the store holds none. Throws `reel.checkpoint.corrupt` when it holds some but
  /// none is intact: starting over then is the user's decision, never a silent one.
  [[nodiscard]] std::optional<stored_checkpoint> latest() const {
    std::vector<std::uint64_t> versions = list();
    std::vector<std::string> skipped;
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      try {
        if (auto bytes = get(*it)) {
          return stored_checkpoint{*it, std::move(*bytes), std::move(skipped)};
        }
      } catch (const reel::error& e) {
        if (e.id() != "reel.checkpoint.corrupt") throw;
        skipped.push_back(e.what());
      }
    }
    if (!skipped.empty()) {
      throw_error("reel.checkpoint.corrupt", location(),
                  "no intact checkpoint (" + std::to_string(skipped.size()) +
                      " damaged); the newest: " + skipped.front());
    }
    return std::nullopt;
  }
};

}  // namespace reel
