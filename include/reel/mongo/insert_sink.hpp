// SPDX-License-Identifier: Apache-2.0
/// \file
/// A sink that inserts documents into one collection: the DLQ collection of a stream processor
/// (`options.dlq: {connectionName, db, coll}`) and `$emit: {connectionName, db, coll}`.
///
/// Documents are buffered and inserted in unordered bulks (same `batch_options` as `$merge`). A
/// document without `_id` gets an ObjectId before its first attempt, so a batch written again
/// after a transient failure or to isolate a rejected document never duplicates one (a
/// duplicate-key error on a retry means that document is already in). A DLQ record that the
/// server refuses (a field name it does not store, too large) is stored once more with its `doc`
/// replaced by `docText`, the document as relaxed Extended JSON, and the server's error in
/// `errInfo.storeError`; only if that fails too is it counted as `lost` in `stats()`.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "reel/connector/sink.hpp"
#include "reel/mongo/client.hpp"
#include "reel/mongo/merge_sink.hpp"
#include "reel/time.hpp"

namespace reel::mongo {

struct insert_options {
  std::string db;
  std::string coll;
  batch_options batch;
  const reel::clock* clock = &reel::system_clock::instance();
  /// Store a refused document again with `doc` as text (for DLQ records).
  bool fallback_to_text = true;
};

class insert_sink final : public reel::sink {
 public:
  insert_sink(client c, insert_options options);
  /// Writes what is still buffered (errors are swallowed).
  ~insert_sink() override;
  insert_sink(const insert_sink&) = delete;
  insert_sink& operator=(const insert_sink&) = delete;

  /// Buffers `docs` (written when a batch threshold is reached). Never reports rejections:
  /// refused documents are stored as text (see above).
  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) override;
  void flush() override;

  struct statistics {
    std::uint64_t written = 0;
    std::uint64_t as_text = 0;  ///< stored with `docText` after the server refused them
    std::uint64_t lost = 0;     ///< refused even as text
    std::uint64_t batches = 0;
    std::uint64_t retries = 0;
  };
  [[nodiscard]] statistics stats() const;
  [[nodiscard]] std::size_t pending() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace reel::mongo
