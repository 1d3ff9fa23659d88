// SPDX-License-Identifier: Apache-2.0
// Checkpoints as documents of a collection, split into parts under the BSON size limit.
#include "reel/mongo/checkpoint_store.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "client.hh"
#include "write.hh"

namespace reel::mongo {

namespace {

constexpr std::size_t part_bytes_cap = 16'000'000;

/// `{processor: name, version: v}` (and `part: 0` when `heads_only`).
detail::bson_ptr filter_of(const std::string& processor, std::optional<std::uint64_t> version,
                           bool heads_only) {
  bson_t* f = bson_new();
  BSON_APPEND_UTF8(f, "processor", processor.c_str());
  if (version) BSON_APPEND_INT64(f, "version", static_cast<std::int64_t>(*version));
  if (heads_only) BSON_APPEND_INT32(f, "part", 0);
  return detail::bson_ptr(f);
}

/// Rethrows a failure of the connector as `id` at `where`, keeping the server's message.
template <class F>
auto checkpoint_io(const char* id, const std::string& where, const std::string& what, F&& f)
    -> decltype(f()) {
  try {
    return f();
  } catch (const reel::error& e) {
    if (e.id().rfind("reel.checkpoint.", 0) == 0) throw;
    throw_error(id, where, what + ": " + e.message());
  }
}

}  // namespace

checkpoint_store::checkpoint_store(client c, checkpoint_store_options options)
    : client_(std::move(c)), options_(std::move(options)) {
  for (const auto& [value, name] :
       {std::pair{&options_.db, "db"}, std::pair{&options_.coll, "coll"},
        std::pair{&options_.processor, "processor"}}) {
    if (value->empty()) {
      throw_error("reel.mongo.invalid_option", location(),
                  std::string("a checkpoint store needs a ") + name);
    }
  }
  if (options_.keep_last == 0) options_.keep_last = 1;
  options_.max_part_bytes = std::clamp<std::size_t>(options_.max_part_bytes, 1, part_bytes_cap);
}

std::string checkpoint_store::location() const {
  const std::string ns = options_.db + "." + options_.coll;
  return (options_.connection_name.empty() ? ns
                                           : "mongodb://" + options_.connection_name + "/" + ns) +
         " (processor '" + options_.processor + "')";
}

std::string checkpoint_store::id_of(std::uint64_t version, std::size_t part) const {
  std::string id = fmt::format("{}/{:020}", options_.processor, version);
  if (part > 0) id += "/" + std::to_string(part);
  return id;
}

void checkpoint_store::put(std::uint64_t version, std::string_view bytes) {
  const std::string sealed = seal_checkpoint(version, bytes);
  const std::size_t parts = std::max<std::size_t>(
      1, (sealed.size() + options_.max_part_bytes - 1) / options_.max_part_bytes);
  auto write_part = [&](std::size_t part) {
    const std::string id = id_of(version, part);
    const std::size_t from = part * options_.max_part_bytes;
    const std::size_t size = std::min(options_.max_part_bytes, sealed.size() - from);
    detail::bson_value doc;
    BSON_APPEND_UTF8(doc.get(), "_id", id.c_str());
    BSON_APPEND_UTF8(doc.get(), "processor", options_.processor.c_str());
    BSON_APPEND_INT64(doc.get(), "version", static_cast<std::int64_t>(version));
    BSON_APPEND_INT32(doc.get(), "part", static_cast<std::int32_t>(part));
    if (part == 0) {
      BSON_APPEND_INT32(doc.get(), "parts", static_cast<std::int32_t>(parts));
      BSON_APPEND_INT64(doc.get(), "bytes", static_cast<std::int64_t>(sealed.size()));
    }
    BSON_APPEND_BINARY(doc.get(), "data", BSON_SUBTYPE_BINARY,
                       reinterpret_cast<const std::uint8_t*>(sealed.data() + from),
                       static_cast<std::uint32_t>(size));
    detail::bson_value selector;
    BSON_APPEND_UTF8(selector.get(), "_id", id.c_str());
    const detail::bson_ptr opts = detail::upsert_opts(true);
    checkpoint_io("reel.checkpoint.write_failed", location(),
                  "cannot store checkpoint " + std::to_string(version), [&] {
                    return detail::with_retries(client_.retry(), location(), [&] {
                      detail::pooled_client pc(*client_.implementation());
                      detail::collection_ptr coll(mongoc_client_get_collection(
                          pc.get(), options_.db.c_str(), options_.coll.c_str()));
                      detail::bson_value reply;
                      bson_error_t e;
                      if (!mongoc_collection_replace_one(coll.get(), selector.get(), doc.get(),
                                                         opts.get(), reply.get(), &e)) {
                        detail::raise("reel.mongo.write_failed", location(),
                                      "replace of '" + id + "' failed", e, reply.get());
                      }
                      return 0;
                    });
                  });
  };
  // The parts first, the head (part 0, which list() finds) last.
  for (std::size_t part = 1; part < parts; ++part)
    write_part(part);
  write_part(0);
  std::vector<std::uint64_t> versions;
  try {
    versions = list();
  } catch (const reel::error& e) {
    throw_error("reel.checkpoint.write_failed", location(),
                "cannot list the checkpoints to prune them: " + e.message());
  }
  for (std::size_t i = 0; i + options_.keep_last < versions.size(); ++i)
    remove(versions[i]);
}

std::optional<std::string> checkpoint_store::get(std::uint64_t version) const {
  const std::string where = location() + " checkpoint " + std::to_string(version);
  // (part, data) of every document of the checkpoint, and the head's `parts`.
  struct read_parts {
    std::vector<std::pair<std::int64_t, std::string>> data;
    std::int64_t parts = -1;
  };
  read_parts r =
      checkpoint_io("reel.checkpoint.read_failed", where, "cannot read the checkpoint", [&] {
        return detail::with_retries(client_.retry(), where, [&] {
          read_parts out;
          detail::pooled_client pc(*client_.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(pc.get(), options_.db.c_str(), options_.coll.c_str()));
          const detail::bson_ptr filter = filter_of(options_.processor, version, false);
          mongoc_cursor_t* cursor =
              mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr);
          const bson_t* doc = nullptr;
          while (mongoc_cursor_next(cursor, &doc)) {
            bson_iter_t it;
            std::int64_t part = -1;
            std::string data;
            if (bson_iter_init(&it, doc)) {
              while (bson_iter_next(&it)) {
                const char* key = bson_iter_key(&it);
                if (std::strcmp(key, "part") == 0 && BSON_ITER_HOLDS_NUMBER(&it)) {
                  part = bson_iter_as_int64(&it);
                } else if (std::strcmp(key, "parts") == 0 && BSON_ITER_HOLDS_NUMBER(&it)) {
                  out.parts = bson_iter_as_int64(&it);
                } else if (std::strcmp(key, "data") == 0 && BSON_ITER_HOLDS_BINARY(&it)) {
                  bson_subtype_t subtype;
                  std::uint32_t length = 0;
                  const std::uint8_t* bytes = nullptr;
                  bson_iter_binary(&it, &subtype, &length, &bytes);
                  data.assign(reinterpret_cast<const char*>(bytes), length);
                }
              }
            }
            out.data.emplace_back(part, std::move(data));
          }
          bson_error_t e;
          const bson_t* reply = nullptr;
          if (mongoc_cursor_error_document(cursor, &e, &reply)) {
            error err =
                detail::make_error("reel.mongo.command_failed", where, "find failed", e, reply);
            mongoc_cursor_destroy(cursor);
            throw err;
          }
          mongoc_cursor_destroy(cursor);
          return out;
        });
      });
  if (r.parts < 0) return std::nullopt;  // no head: not stored (or a put that never finished)
  std::sort(r.data.begin(), r.data.end());
  std::string sealed;
  std::int64_t expected = 0;
  for (auto& [part, data] : r.data) {
    if (part != expected) break;  // a missing part: the checksum below reports it
    sealed += data;
    ++expected;
  }
  return unseal_checkpoint(sealed, version, where);
}

std::vector<std::uint64_t> checkpoint_store::list() const {
  std::vector<std::uint64_t> out =
      checkpoint_io("reel.checkpoint.read_failed", location(), "cannot list the checkpoints", [&] {
        return detail::with_retries(client_.retry(), location(), [&] {
          std::vector<std::uint64_t> versions;
          detail::pooled_client pc(*client_.implementation());
          detail::collection_ptr coll(
              mongoc_client_get_collection(pc.get(), options_.db.c_str(), options_.coll.c_str()));
          const detail::bson_ptr filter = filter_of(options_.processor, std::nullopt, true);
          detail::bson_value opts, projection;
          BSON_APPEND_INT32(projection.get(), "version", 1);
          BSON_APPEND_DOCUMENT(opts.get(), "projection", projection.get());
          mongoc_cursor_t* cursor =
              mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr);
          const bson_t* doc = nullptr;
          while (mongoc_cursor_next(cursor, &doc)) {
            bson_iter_t it;
            if (bson_iter_init_find(&it, doc, "version") && BSON_ITER_HOLDS_NUMBER(&it) &&
                bson_iter_as_int64(&it) >= 0) {
              versions.push_back(static_cast<std::uint64_t>(bson_iter_as_int64(&it)));
            }
          }
          bson_error_t e;
          const bson_t* reply = nullptr;
          if (mongoc_cursor_error_document(cursor, &e, &reply)) {
            error err = detail::make_error("reel.mongo.command_failed", location(), "find failed",
                                           e, reply);
            mongoc_cursor_destroy(cursor);
            throw err;
          }
          mongoc_cursor_destroy(cursor);
          return versions;
        });
      });
  std::sort(out.begin(), out.end());
  return out;
}

void checkpoint_store::remove(std::uint64_t version) {
  const std::string where = location() + " checkpoint " + std::to_string(version);
  checkpoint_io("reel.checkpoint.write_failed", where, "cannot remove the checkpoint", [&] {
    return detail::with_retries(client_.retry(), where, [&] {
      detail::pooled_client pc(*client_.implementation());
      detail::collection_ptr coll(
          mongoc_client_get_collection(pc.get(), options_.db.c_str(), options_.coll.c_str()));
      // The head first: once it is gone the checkpoint is no longer listed.
      for (const bool heads_only : {true, false}) {
        const detail::bson_ptr filter = filter_of(options_.processor, version, heads_only);
        detail::bson_value reply;
        bson_error_t e;
        if (!mongoc_collection_delete_many(coll.get(), filter.get(), nullptr, reply.get(), &e)) {
          detail::raise("reel.mongo.write_failed", where, "delete failed", e, reply.get());
        }
      }
      return 0;
    });
  });
}

}  // namespace reel::mongo
