// SPDX-License-Identifier: Apache-2.0
// The S3 $emit sink: per-path buffers, the writeOptions thresholds, gzip, retries.
#include "reel/s3/sink.hpp"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/json/expression.hpp"
#include "reel/json/value.hpp"
#include "util.hh"

namespace reel::s3 {

namespace {

/// S3's limit on key length, in bytes.
constexpr std::size_t max_key_bytes = 1024;
/// `written_keys()` keeps the latest keys only.
constexpr std::size_t max_keys_kept = 2048;
/// Room kept for the object name after the path: "/5f0c2a91-000001.json.gz" with a sink id
/// and a sequence of up to 20 characters each.
constexpr std::size_t name_bytes = 48;

void default_sleep(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
}

}  // namespace

struct sink::impl {
  struct buffer {
    std::string text;
    std::size_t count = 0;
    timestamp opened{};
    timestamp retry_at = min_timestamp;  // after a failed upload during write()
    std::string key;                     // chosen at the first try, kept for retries
  };

  sink_options o;
  client http;
  json::expression path;
  std::map<std::string, buffer> buffers;  // by path, so flushes go in a stable order
  std::size_t total_bytes = 0;
  std::uint64_t sequence = 0;
  sink_stats stats;
  std::vector<std::string> keys;

  explicit impl(sink_options options) : o(std::move(options)), http(o.connection) {
    if (o.bucket.empty()) {
      throw_error("reel.s3.invalid_option", o.where + "/bucket", "a bucket is required");
    }
    if (o.connection.credentials.access_key_id.empty() ||
        o.connection.credentials.secret_access_key.empty()) {
      throw_error("reel.s3.invalid_option", o.where,
                  "no S3 credentials: give accessKeyId and secretAccessKey in the connection, or "
                  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    if (o.compression_level < 1 || o.compression_level > 9) {
      throw_error("reel.s3.invalid_option", o.where + "/config/compressionLevel",
                  "compressionLevel must be between 1 and 9");
    }
    if (o.count && *o.count == 0) {
      throw_error("reel.s3.invalid_option", o.where + "/config/writeOptions/count",
                  "count must be at least 1");
    }
    if (o.bytes && *o.bytes == 0) {
      throw_error("reel.s3.invalid_option", o.where + "/config/writeOptions/bytes",
                  "bytes must be at least 1");
    }
    if (o.interval <= reel::duration{0}) {
      throw_error("reel.s3.invalid_option", o.where + "/config/writeOptions/interval",
                  "interval must be positive");
    }
    if (!o.path.is_string() && !o.path.is_object()) {
      throw_error("reel.s3.invalid_option", o.where + "/path",
                  "path must be a string or an expression");
    }
    path = json::compile_expression(o.path, o.where + "/path");
    if (!o.clock) o.clock = &reel::system_clock::instance();
    if (!o.retry.sleep) o.retry.sleep = &default_sleep;
    if (o.retry.attempts < 1) o.retry.attempts = 1;
    if (o.sink_id.empty()) o.sink_id = detail::random_id();
  }

  /// The path of `doc`, or a reason to reject it.
  std::optional<std::string> path_of(const nlohmann::ordered_json& doc, std::string& reason) const {
    json::eval_context ctx;
    const auto meta = doc.find("_stream_meta");
    if (meta != doc.end() && meta->is_object()) ctx.meta = &*meta;
    nlohmann::ordered_json value;
    try {
      value = path.evaluate(doc, ctx);
    } catch (const reel::error& e) {
      reason = "Failed to evaluate the S3 path: " + e.message();
      return std::nullopt;
    }
    if (!value.is_string()) {
      reason =
          "The S3 path must evaluate to a string, but it evaluated to " + json::type_name(value);
      return std::nullopt;
    }
    std::string p = value.get<std::string>();
    if (p.size() + name_bytes > max_key_bytes) {
      reason = "The S3 path is " + std::to_string(p.size()) +
               " bytes long; object keys are limited to 1024 bytes";
      return std::nullopt;
    }
    return p;
  }

  std::string object_key(const std::string& p) {
    std::string key = p;
    if (!key.empty() && key.back() != '/') key += '/';
    char seq[16];
    std::snprintf(seq, sizeof seq, "%06llu", static_cast<unsigned long long>(++sequence));
    key += o.sink_id + "-" + seq + ".json";
    if (o.compression == compression::gzip) key += ".gz";
    return key;
  }

  /// Tries to upload the buffer of `p`. `attempts` bounds the tries (write), or `budget` (the
  /// backoff time left, flush) when not null. Returns true when written; false when the tries
  /// ran out on retryable failures; throws for the others.
  bool upload(const std::string& p, int attempts, std::chrono::milliseconds* budget) {
    buffer& b = buffers.at(p);
    if (b.key.empty()) b.key = object_key(p);
    const std::string body =
        o.compression == compression::gzip ? detail::gzip(b.text, o.compression_level) : b.text;
    const std::string content_type =
        o.compression == compression::gzip ? "application/gzip" : "application/x-ndjson";
    std::chrono::milliseconds backoff = o.retry.initial_backoff;
    for (int attempt = 1;; ++attempt) {
      try {
        http.put_object(o.bucket, b.key, body, content_type);
      } catch (const request_error& e) {
        ++stats.failed_attempts;
        const std::string message = "cannot upload " + std::to_string(b.count) + " documents (" +
                                    std::to_string(b.text.size()) + " bytes) after " +
                                    std::to_string(attempt) +
                                    (attempt == 1 ? " attempt" : " attempts") + ": " + e.message();
        stats.last_error = message;
        if (!e.retryable()) {
          throw request_error("reel.s3.upload_failed", e.where(),
                              message + "; the documents stay buffered", e.status(), e.s3_code(),
                              false);
        }
        const bool more = budget ? *budget >= backoff : attempt < attempts;
        if (!more) {
          last_failure = request_error("reel.s3.upload_failed", e.where(),
                                       message + "; the documents stay buffered", e.status(),
                                       e.s3_code(), true);
          return false;
        }
        if (budget) *budget -= backoff;
        o.retry.sleep(backoff);
        backoff = std::min(
            std::chrono::duration_cast<std::chrono::milliseconds>(backoff * o.retry.multiplier),
            o.retry.max_backoff);
        continue;
      }
      ++stats.objects;
      stats.documents += b.count;
      stats.bytes += body.size();
      keys.push_back(b.key);
      if (keys.size() > max_keys_kept) keys.erase(keys.begin(), keys.begin() + max_keys_kept / 2);
      total_bytes -= b.text.size();
      buffers.erase(p);
      return true;
    }
  }

  /// Uploads during write(): bounded tries, then a cooldown.
  void upload_in_write(const std::string& p) {
    buffer& b = buffers.at(p);
    const timestamp now = o.clock->now();
    if (now < b.retry_at) return;
    if (!upload(p, o.retry.attempts, nullptr)) {
      buffers.at(p).retry_at = now + o.retry.cooldown;
    }
  }

  bool interval_due(const buffer& b, timestamp now) const { return now - b.opened >= o.interval; }

  void upload_due_intervals() {
    const timestamp now = o.clock->now();
    std::vector<std::string> due;
    for (const auto& [p, b] : buffers) {
      if (interval_due(b, now)) due.push_back(p);
    }
    for (const std::string& p : due)
      upload_in_write(p);
  }

  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) {
    upload_due_intervals();
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const nlohmann::ordered_json& doc = docs[i];
      std::string reason = "The document is not an object";
      std::optional<std::string> p;
      if (doc.is_object()) p = path_of(doc, reason);
      std::string text;
      if (p) {
        try {
          text = format_document(doc, o.format, o.iso8601_dates);
        } catch (const std::exception& e) {
          reason = std::string("Failed to serialize the document: ") + e.what();
          p.reset();
        }
      }
      if (!p) {
        ++stats.rejected;
        result.rejected.emplace_back(i, std::move(reason));
        continue;
      }
      text += o.delimiter;
      buffer& b = buffers[*p];
      if (b.count == 0) b.opened = o.clock->now();
      b.text += text;
      ++b.count;
      total_bytes += text.size();
      if ((o.count && b.count >= *o.count) || (o.bytes && b.text.size() >= *o.bytes)) {
        upload_in_write(*p);
      }
    }
    if (total_bytes > o.max_buffered_bytes) relieve();
  }

  /// Over `max_buffered_bytes`: uploads the largest buffers now; throws when uploads fail.
  void relieve() {
    std::vector<std::pair<std::size_t, std::string>> by_size;
    for (const auto& [p, b] : buffers)
      by_size.emplace_back(b.text.size(), p);
    std::sort(by_size.rbegin(), by_size.rend());
    for (const auto& [size, p] : by_size) {
      if (total_bytes <= o.max_buffered_bytes) return;
      upload(p, o.retry.attempts, nullptr);
    }
    if (total_bytes <= o.max_buffered_bytes || !last_failure) return;
    const request_error& e = *last_failure;
    throw request_error(e.id(), e.where(),
                        e.message() + " (" + std::to_string(total_bytes) +
                            " bytes are waiting, more than the limit of " +
                            std::to_string(o.max_buffered_bytes) + ")",
                        e.status(), e.s3_code(), e.retryable());
  }

  /// Flushes, then `{sinkId, objects}`: the names the next objects take.
  nlohmann::ordered_json commit_point() {
    flush();
    return {{"sinkId", o.sink_id}, {"objects", sequence}};
  }

  /// After a restore: names objects on from the commit point, so that the flushes the processor
  /// replays write the keys (and contents) they wrote before.
  void start(const nlohmann::ordered_json& point) {
    if (point.is_null()) return;
    const auto id = point.find("sinkId");
    const auto objects = point.find("objects");
    if (!point.is_object() || id == point.end() || !id->is_string() ||
        id->get<std::string>().empty() || objects == point.end() ||
        !objects->is_number_unsigned()) {
      throw_error("reel.checkpoint.invalid", "s3://" + o.bucket,
                  "the S3 sink's commit point is not {sinkId, objects}");
    }
    if (!buffers.empty()) {
      throw_error("reel.checkpoint.invalid", "s3://" + o.bucket,
                  "the S3 sink was resumed after documents were written to it");
    }
    o.sink_id = id->get<std::string>();
    sequence = objects->get<std::uint64_t>();
  }

  void flush() {
    std::chrono::milliseconds budget = o.retry.flush_deadline;
    std::optional<request_error> first;
    std::vector<std::string> paths;
    for (const auto& [p, b] : buffers)
      paths.push_back(p);
    for (const std::string& p : paths) {
      try {
        if (!upload(p, 1, &budget) && !first) first = last_failure;
      } catch (const request_error& e) {
        if (!first) first = e;
      }
    }
    if (first) throw *first;
  }

  std::optional<request_error> last_failure;
};

sink::sink(sink_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
sink::~sink() = default;

void sink::write(std::span<const nlohmann::ordered_json> docs, write_result& result) {
  impl_->write(docs, result);
}
void sink::flush() {
  impl_->flush();
}
nlohmann::ordered_json sink::commit_point() {
  return impl_->commit_point();
}
void sink::start(const nlohmann::ordered_json& resume_point) {
  impl_->start(resume_point);
}
void sink::flush_due() {
  impl_->upload_due_intervals();
}

sink_stats sink::stats() const {
  sink_stats s = impl_->stats;
  for (const auto& [p, b] : impl_->buffers)
    s.buffered_documents += b.count;
  s.buffered_bytes = impl_->total_bytes;
  return s;
}

const std::vector<std::string>& sink::written_keys() const noexcept {
  return impl_->keys;
}

}  // namespace reel::s3
