// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::mongo::checkpoint_store` (target `reel::mongo`): a processor's checkpoints as
/// documents of a collection, one per checkpoint:
///
/// ```
/// {_id: "tickets/00000000000000000042", processor: "tickets", version: 42,
///  part: 0, parts: 1, bytes: 5123, data: BinData(0, ...)}
/// ```
///
/// The payload is the sealed checkpoint (`reel::seal_checkpoint`: a CRC32C envelope). A BSON
/// document holds at most 16 MiB, so a checkpoint larger than `max_part_bytes` (8 MiB by default)
/// is **split into parts**: parts 1..n-1 are written first (`_id: "tickets/…42/1"`, ...), the
/// part 0 document, which carries `parts: n`, last. A checkpoint is listed only once its part 0
/// exists, so a put interrupted half-way leaves nothing that `list()` shows; a part that is
/// missing or damaged makes the checksum fail, and `latest()` falls back to the previous
/// checkpoint as the directory store does. After a put all but the newest `keep_last`
/// checkpoints of the processor are deleted. Several processors may share a collection: each
/// one's documents carry its name.
///
/// Failures (after the client's retries for transient ones) throw
/// `reel.checkpoint.write_failed` (put, remove) or `reel.checkpoint.read_failed` (get, list),
/// located at `mongodb://CONNECTION/db.coll` (never the URI, which may hold a password), with the
/// server's message. A processor stops when a checkpoint cannot be written.
///
/// In a connections file the store uses a `"mongodb"` connection; the pipeline file names it in
/// `options.checkpoint.store: {connectionName, db, coll}` or `reel run` takes
/// `--state mongodb://CONNECTION/DB.COLL` (README, "Running unattended").
///
/// **Example**
/// ```cpp
/// reel::mongo::client db({.uri = "mongodb://127.0.0.1:27017/"});
/// reel::mongo::checkpoint_store store(db, {.db = "reel", .coll = "checkpoints",
///                                          .processor = "tickets"});
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
#include "reel/mongo/client.hpp"

namespace reel::mongo {

struct checkpoint_store_options {
  std::string db;
  std::string coll;
  /// The processor whose checkpoints these are (part of every `_id`).
  std::string processor;
  /// Checkpoints kept after a put (at least 1).
  std::size_t keep_last = 3;
  /// The largest payload of one document; larger checkpoints are split into parts. At most
  /// 16 MiB less room for the other fields (capped at 16,000,000).
  std::size_t max_part_bytes = std::size_t{8} << 20;
  /// The connection's name, for `location()` (`mongodb://atlas/reel.checkpoints`).
  std::string connection_name;
};

class checkpoint_store final : public reel::checkpoint_store {
 public:
  /// Throws `reel.mongo.invalid_option` when db, coll or processor is empty.
  checkpoint_store(client c, checkpoint_store_options options);

  void put(std::uint64_t version, std::string_view bytes) override;
  [[nodiscard]] std::optional<std::string> get(std::uint64_t version) const override;
  [[nodiscard]] std::vector<std::uint64_t> list() const override;
  void remove(std::uint64_t version) override;
  /// `mongodb://CONNECTION/db.coll` (or `db.coll`) and the processor.
  [[nodiscard]] std::string location() const override;
  /// The `_id` of part `part` of checkpoint `version`.
  [[nodiscard]] std::string id_of(std::uint64_t version, std::size_t part = 0) const;

 private:
  client client_;
  checkpoint_store_options options_;
};

}  // namespace reel::mongo
