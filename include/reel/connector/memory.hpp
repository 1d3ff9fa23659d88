// SPDX-License-Identifier: Apache-2.0
/// \file
/// In-memory connectors: `memory_source` (a finite list of documents or payloads, optionally
/// spread over partitions), `memory_sink` (collects into a vector) and `callback_sink` (calls a
/// function per document).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"

namespace reel {

class memory_source final : public source {
 public:
  /// Documents in partition 0.
  explicit memory_source(std::vector<nlohmann::ordered_json> docs) {
    for (auto& d : docs) {
      source_message m;
      m.document = std::move(d);
      messages_.push_back(std::move(m));
    }
  }
  /// Any messages (payload bytes, partitions, record times).
  explicit memory_source(std::vector<source_message> messages,
                         std::vector<std::string> partitions = {"0"})
      : messages_(std::move(messages)), partitions_(std::move(partitions)) {}

  std::string type() const override { return "memory"; }
  std::vector<std::string> partitions() const override { return partitions_; }
  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    if (next_ >= messages_.size()) return poll_status::end_of_input;
    for (std::size_t n = 0; n < max && next_ < messages_.size(); ++n, ++next_) {
      source_message m = messages_[next_];
      if (m.position.is_null()) m.position = next_;
      out.push_back(std::move(m));
    }
    return poll_status::ready;
  }
  nlohmann::ordered_json positions() const override { return next_; }
  void seek(const nlohmann::ordered_json& p) override {
    next_ = p.is_number() ? p.get<std::size_t>() : 0;
  }

 private:
  std::vector<source_message> messages_;
  std::vector<std::string> partitions_ = {"0"};
  std::size_t next_ = 0;
};

/// Collects documents; `documents()` is safe to call from another thread.
class memory_sink final : public sink {
 public:
  void write(std::span<const nlohmann::ordered_json> docs, write_result&) override {
    std::lock_guard lock(mutex_);
    docs_.insert(docs_.end(), docs.begin(), docs.end());
  }
  [[nodiscard]] std::vector<nlohmann::ordered_json> documents() const {
    std::lock_guard lock(mutex_);
    return docs_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::ordered_json> docs_;
};

class callback_sink final : public sink {
 public:
  explicit callback_sink(std::function<void(const nlohmann::ordered_json&)> f) : f_(std::move(f)) {}
  void write(std::span<const nlohmann::ordered_json> docs, write_result&) override {
    for (const auto& d : docs)
      f_(d);
  }

 private:
  std::function<void(const nlohmann::ordered_json&)> f_;
};

}  // namespace reel
