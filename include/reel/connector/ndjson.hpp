// SPDX-License-Identifier: Apache-2.0
/// \file
/// Newline-delimited JSON over C++ streams: `ndjson_source` reads one document per line from an
/// `std::istream`, `ndjson_sink` writes one per line to an `std::ostream`. The file, stdin and
/// stdout connectors (`file.hpp`, `stdio.hpp`) are built on them.
///
/// The source hands each line to the processor as payload bytes, so a line that is not JSON
/// becomes a DLQ record that keeps the original bytes and the position `{line, offset}` (1-based
/// line number, 0-based byte offset of the line's first byte), carried as plain data
/// (`source_message::line`) until a DLQ record or an output needs it as a document. Blank lines are
/// skipped; a final line without a newline counts. `\r\n` line ends are accepted. The sink writes
/// relaxed Extended JSON by default (`outputFormat` `canonicalJson` and `basicJson` as Atlas's
/// `$emit`).
///
/// **Example**
/// ```cpp
/// std::istringstream in("{\"a\": 1}\nnot json\n");
/// reel::ndjson_source source(in);
/// std::vector<reel::source_message> batch;
/// source.poll(batch, 10);  // two messages; batch[1].line->line == 2, line->offset == 9
///                          // (batch[1].position_document() == {"line": 2, "offset": 9})
///
/// reel::ndjson_sink out(std::cout);
/// ```
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/error.hpp"
#include "reel/json/ejson.hpp"
#include "reel/limits.hpp"

namespace reel {

/// How a sink writes documents: Atlas's `outputFormat` values.
enum class output_format {
  relaxed,    ///< `relaxedJson`: relaxed Extended JSON (the default)
  canonical,  ///< `canonicalJson`: canonical Extended JSON
  basic       ///< `basicJson`: plain JSON, dates as epoch milliseconds
};

/// `"relaxedJson"` → `output_format::relaxed`; nullopt for an unknown name.
inline std::optional<output_format> parse_output_format(std::string_view s) {
  if (s == "relaxedJson") return output_format::relaxed;
  if (s == "canonicalJson") return output_format::canonical;
  if (s == "basicJson") return output_format::basic;
  return std::nullopt;
}

/// One document as a line of text (without the newline).
inline std::string format_document(const nlohmann::ordered_json& doc, output_format f) {
  switch (f) {
    case output_format::canonical:
      return json::to_canonical_ejson(doc);
    case output_format::basic:
      return json::to_basic_json(doc);
    case output_format::relaxed:
      break;
  }
  return json::to_relaxed_ejson(doc);
}

/// One document as a line of text; with `iso8601_dates` (a sink's `dateFormat: "ISO8601"`)
/// every date is written as its ISO-8601 string instead of `{"$date": …}`.
inline std::string format_document(const nlohmann::ordered_json& doc, output_format f,
                                   bool iso8601_dates) {
  if (!iso8601_dates) return format_document(doc, f);
  nlohmann::ordered_json copy = doc;
  json::detail::dates_to_iso8601(copy);
  return format_document(copy, f);
}

namespace detail {

/// Cuts a byte stream into lines, remembering each line's number and offset. A line longer
/// than the limit is not buffered: the splitter keeps its first bytes, skips to the next newline
/// counting the length, and returns it as an `oversized` line.
class line_splitter {
 public:
  struct line {
    std::string text;  ///< without the line end; an oversized line's first bytes
    std::uint64_t number = 0;
    std::uint64_t offset = 0;
    /// Longer than the limit: `length` is its length (without the line end).
    bool oversized = false;
    std::uint64_t length = 0;
  };

  /// `max_line_bytes`: the longest line kept (0: no limit).
  explicit line_splitter(std::size_t max_line_bytes = max_document_bytes) noexcept
      : max_line_bytes_(max_line_bytes) {}

  void set_max_line_bytes(std::size_t n) noexcept { max_line_bytes_ = n; }
  [[nodiscard]] std::size_t max_line_bytes() const noexcept { return max_line_bytes_; }

  /// Starts counting at `number`/`offset` (after a seek).
  void reset(std::uint64_t next_number = 1, std::uint64_t next_offset = 0) {
    buffer_.clear();
    consumed_ = 0;
    scanned_ = 0;
    next_number_ = next_number;
    buffer_offset_ = next_offset;
    skipping_ = false;
    pending_.reset();
  }

  void feed(std::string_view bytes) {
    if (skipping_) {
      // Inside an oversized line: count its bytes up to the newline, keep none of them.
      const std::size_t nl = bytes.find('\n');
      const std::size_t taken = nl == std::string_view::npos ? bytes.size() : nl;
      skipped_.length += taken;
      if (taken > 0) skipped_cr_ = bytes[taken - 1] == '\r';
      buffer_offset_ += taken;
      if (nl == std::string_view::npos) return;
      if (skipped_cr_) --skipped_.length;
      skipping_ = false;
      pending_ = std::move(skipped_);
      buffer_offset_ += 1;
      bytes.remove_prefix(nl + 1);
    }
    if (consumed_ > 0 && consumed_ == buffer_.size()) {
      buffer_offset_ += consumed_;
      buffer_.clear();
      consumed_ = 0;
      scanned_ = 0;
    } else if (consumed_ > (1u << 16)) {
      buffer_offset_ += consumed_;
      buffer_.erase(0, consumed_);
      scanned_ = scanned_ > consumed_ ? scanned_ - consumed_ : 0;
      consumed_ = 0;
    }
    buffer_.append(bytes);
  }

  /// The next complete line; with `at_end`, also a final line without a newline.
  std::optional<line> next(bool at_end) {
    if (pending_) {
      std::optional<line> l = std::move(pending_);
      pending_.reset();
      return l;
    }
    if (skipping_) {
      if (!at_end) return std::nullopt;
      skipping_ = false;
      if (skipped_cr_) --skipped_.length;
      return std::move(skipped_);
    }
    if (consumed_ >= buffer_.size()) return std::nullopt;
    // Bytes before `scanned_` hold no newline: a long line is searched once, not per chunk.
    const std::size_t nl = buffer_.find('\n', std::max(consumed_, scanned_));
    if (nl == std::string::npos) {
      scanned_ = buffer_.size();
      if (max_line_bytes_ > 0 && buffer_.size() - consumed_ > max_line_bytes_) {
        skip_rest_of_line();
        return next(at_end);
      }
      if (!at_end) return std::nullopt;
    }
    const std::size_t end = nl == std::string::npos ? buffer_.size() : nl;
    line l;
    l.number = next_number_++;
    l.offset = buffer_offset_ + consumed_;
    std::size_t text_end = end;
    if (text_end > consumed_ && buffer_[text_end - 1] == '\r') --text_end;
    const std::size_t length = text_end - consumed_;
    if (max_line_bytes_ > 0 && length > max_line_bytes_) {
      l.oversized = true;
      l.length = length;
      l.text.assign(buffer_, consumed_, std::min(length, oversized_payload_prefix_bytes));
    } else {
      l.text.assign(buffer_, consumed_, length);
    }
    consumed_ = nl == std::string::npos ? buffer_.size() : nl + 1;
    return l;
  }

  /// Line number and offset of the next line.
  [[nodiscard]] std::uint64_t next_number() const noexcept {
    if (pending_) return pending_->number;
    return skipping_ ? skipped_.number : next_number_;
  }
  [[nodiscard]] std::uint64_t next_offset() const noexcept {
    if (pending_) return pending_->offset;
    return skipping_ ? skipped_.offset : buffer_offset_ + consumed_;
  }
  [[nodiscard]] bool empty() const noexcept {
    return consumed_ >= buffer_.size() && !pending_ && !skipping_;
  }

 private:
  /// The line from `consumed_` has no newline yet and is over the limit: keep its first bytes
  /// and drop the rest of the buffer; `feed` counts what follows up to the newline.
  void skip_rest_of_line() {
    skipped_ = line{};
    skipped_.number = next_number_++;
    skipped_.offset = buffer_offset_ + consumed_;
    skipped_.oversized = true;
    skipped_.length = buffer_.size() - consumed_;
    skipped_.text.assign(buffer_, consumed_, oversized_payload_prefix_bytes);
    skipped_cr_ = buffer_.back() == '\r';
    skipping_ = true;
    buffer_offset_ += buffer_.size();
    buffer_.clear();
    buffer_.shrink_to_fit();  // the next lines need not keep the oversized one's memory
    consumed_ = 0;
    scanned_ = 0;
  }

  std::string buffer_;
  std::size_t consumed_ = 0;
  std::size_t scanned_ = 0;
  std::uint64_t buffer_offset_ = 0;
  std::uint64_t next_number_ = 1;
  std::size_t max_line_bytes_;
  bool skipping_ = false;
  bool skipped_cr_ = false;  // the last byte counted in `skipped_` is '\r'
  line skipped_;
  std::optional<line> pending_;  // an oversized line whose newline came in `feed`
};

/// True when the line holds only white space.
inline bool blank(std::string_view s) noexcept {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

/// Turns a line into a message: payload bytes and where the line sits (`path`: shared by the
/// lines of one file, null for none).
/// An oversized line becomes a message with `error` set (`reel.input.too_large`), which the
/// processor sends to the DLQ with its first bytes.
inline source_message line_message(detail::line_splitter::line&& l,
                                   const std::shared_ptr<const std::string>& path,
                                   std::size_t max_line_bytes) {
  source_message m;
  m.payload = std::move(l.text);
  m.line = line_position{.line = l.number, .offset = l.offset, .path = path};
  if (l.oversized) m.error = message_too_large_reason(l.length, max_line_bytes);
  return m;
}

}  // namespace detail

struct ndjson_source_options {
  /// Reported in `_stream_meta.source.type`.
  std::string type = "file";
  /// Reported in `_stream_meta.source.path` when not empty.
  std::string path;
  /// Names the input in I/O errors instead of `path`, when not empty: a file connection whose
  /// path came from `$env` leaves `path` empty and names the setting here, never the value.
  std::string shown_as;
  /// Bytes read at a time.
  std::size_t chunk_size = 64 * 1024;
  /// The longest line kept; a longer one is skipped and delivered as a `reel.input.too_large`
  /// error message with its first bytes (0: no limit). A processor sets it from
  /// `limits::max_message_bytes`.
  std::size_t max_line_bytes = max_document_bytes;
};

/// Reads NDJSON from a stream the caller keeps alive. Each non-blank line is one message with
/// the line as payload and `{line, offset}` as position; `positions()` is where reading
/// resumes, and `seek()` moves a seekable stream there.
class ndjson_source : public source {
 public:
  explicit ndjson_source(std::istream& in, ndjson_source_options options = {})
      : in_(&in),
        options_(std::move(options)),
        path_(options_.path.empty() ? nullptr : std::make_shared<const std::string>(options_.path)),
        splitter_(options_.max_line_bytes) {}

  std::string type() const override { return options_.type; }

  void limit_message_bytes(std::size_t max_bytes) override {
    splitter_.set_max_line_bytes(max_bytes);
  }

  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    std::size_t n = 0;
    while (n < max) {
      if (auto l = splitter_.next(eof_)) {
        if (!l->oversized && detail::blank(l->text)) continue;
        out.push_back(detail::line_message(std::move(*l), path_, splitter_.max_line_bytes()));
        ++n;
        continue;
      }
      if (eof_) break;
      read_chunk();
    }
    if (eof_ && splitter_.empty()) return n == 0 ? poll_status::end_of_input : poll_status::ready;
    return poll_status::ready;
  }

  nlohmann::ordered_json positions() const override {
    return {{"line", splitter_.next_number()}, {"offset", splitter_.next_offset()}};
  }

  void seek(const nlohmann::ordered_json& p) override {
    if (!p.is_object() || !p.contains("offset") || !p["offset"].is_number_integer() ||
        p["offset"].get<std::int64_t>() < 0) {
      return;
    }
    const auto offset = p["offset"].get<std::uint64_t>();
    const auto line = p.value("line", std::uint64_t{1});
    in_->clear();
    in_->seekg(static_cast<std::streamoff>(offset));
    if (!*in_) {
      throw_error("reel.io.seek_failed", shown(), "cannot seek to byte " + std::to_string(offset));
    }
    eof_ = false;
    splitter_.reset(line, offset);
  }

 protected:
  void read_chunk() {
    buffer_.resize(options_.chunk_size);
    in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const auto got = static_cast<std::size_t>(in_->gcount());
    if (got > 0) splitter_.feed(std::string_view(buffer_.data(), got));
    if (in_->bad()) {
      throw_error("reel.io.read_failed", shown(), "cannot read the input");
    }
    if (in_->eof() || got == 0) eof_ = true;
  }

 private:
  const std::string& shown() const {
    return options_.shown_as.empty() ? options_.path : options_.shown_as;
  }

  std::istream* in_;
  ndjson_source_options options_;
  std::shared_ptr<const std::string> path_;  // options_.path, shared by the messages; or null
  detail::line_splitter splitter_;
  std::string buffer_;
  bool eof_ = false;
};

struct ndjson_sink_options {
  output_format format = output_format::relaxed;
  /// `dateFormat: "ISO8601"`: dates as plain ISO-8601 strings.
  bool iso8601_dates = false;
  /// Flush the stream after every `write()` (for terminals and pipes read live).
  bool flush_each_write = false;
  /// Named in I/O errors.
  std::string path;
};

/// Writes one document per line to a stream the caller keeps alive.
class ndjson_sink : public sink {
 public:
  explicit ndjson_sink(std::ostream& out, ndjson_sink_options options = {})
      : out_(&out), options_(std::move(options)) {}

  void write(std::span<const nlohmann::ordered_json> docs, write_result&) override {
    line_.clear();
    for (const auto& d : docs) {
      line_ += format_document(d, options_.format, options_.iso8601_dates);
      line_ += '\n';
    }
    out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
    if (options_.flush_each_write) out_->flush();
    check();
    bytes_written_ += line_.size();
  }
  void flush() override {
    out_->flush();
    check();
  }
  /// The bytes of the lines written so far.
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_written_; }

 private:
  void check() const {
    if (!*out_) throw_error("reel.io.write_failed", options_.path, "cannot write the output");
  }

  std::ostream* out_;
  ndjson_sink_options options_;
  std::string line_;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace reel
