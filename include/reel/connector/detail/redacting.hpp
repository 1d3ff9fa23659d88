// SPDX-License-Identifier: Apache-2.0
/// \file
/// Secrets kept out of what a connector says while it runs (issue #16 item 4). The registry
/// wraps every source and sink it builds from a connection definition in `redacting_source` /
/// `redacting_sink`: an error thrown by any call (a broker's or a server's own text included), a
/// message's or a document's rejection reason and the connector's metrics pass through
/// `redact()` before a processor, a DLQ record or a log sees them. Redacting means: each value
/// the connection read from `{"$env": NAME}` becomes `(value of $env NAME)`, and the user
/// information of every URI (`mongodb://user:pass@host`) becomes `********`.
///
/// A new virtual function of `reel::source` or `reel::sink` must be forwarded here as well. Code
/// that needs the connector's own type (a test inspecting it) reaches it through `inner()`.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/error.hpp"

namespace reel::detail {

/// A value read from `{"$env": variable}`.
struct env_secret {
  std::string value;
  std::string variable;
};

/// Replaces every occurrence of each secret's value in `text` by `(value of $env NAME)`.
inline std::string redact(std::string text, const std::vector<env_secret>& secrets) {
  for (const env_secret& s : secrets) {
    if (s.value.empty()) continue;
    const std::string shown = "(value of $env " + s.variable + ")";
    for (std::size_t at = text.find(s.value); at != std::string::npos;
         at = text.find(s.value, at + shown.size())) {
      text.replace(at, s.value.size(), shown);
    }
  }
  return text;
}

/// `text` with the user information of every URI in it (`mongodb://user:pass@host`) replaced by
/// `********`: a URI written in a definition may carry a password.
inline std::string redact_userinfo(std::string text) {
  for (std::size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    const std::size_t from = scheme + 3;
    const std::size_t end = text.find_first_of("/?#\"' \n", from);
    const std::size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at == std::string::npos || at < from || (end != std::string::npos && at > end)) continue;
    text.replace(from, at - from, "********");
  }
  return text;
}

/// Both redactions.
inline std::string redact_all(std::string text, const std::vector<env_secret>& secrets) {
  return redact_userinfo(redact(std::move(text), secrets));
}

/// Every string in `v`, redacted.
inline void redact_strings(nlohmann::ordered_json& v, const std::vector<env_secret>& secrets) {
  if (v.is_string()) {
    v = redact_all(v.get<std::string>(), secrets);
  } else if (v.is_structured()) {
    for (auto& child : v)
      redact_strings(child, secrets);
  }
}

/// Runs `f`; no error leaving it shows a secret. Exceptions other than `reel::error` become
/// `reel.connection.failed` at `where`.
template <class F>
auto redacting_errors(const std::vector<env_secret>& secrets, const std::string& where, F&& f)
    -> decltype(f()) {
  try {
    return f();
  } catch (const reel::error& e) {
    std::vector<diagnostic> clean = e.diagnostics();
    bool changed = false;
    for (diagnostic& d : clean) {
      for (std::string* text : {&d.where, &d.message}) {
        std::string redacted = redact_all(*text, secrets);
        changed = changed || redacted != *text;
        *text = std::move(redacted);
      }
    }
    if (!changed) throw;
    throw reel::error(std::move(clean));
  } catch (const std::exception& e) {
    throw_error("reel.connection.failed", where, redact_all(e.what(), secrets));
  }
}

/// What a wrapper redacts with: the connection's secrets and where its errors are located.
struct redaction {
  std::vector<env_secret> secrets;
  std::string where;

  /// Runs `f`, redacting any error that leaves it.
  template <class F>
  auto guard(F&& f) const -> decltype(f()) {
    return redacting_errors(secrets, where, std::forward<F>(f));
  }
  /// A connector's `metrics()`, redacted.
  template <class Connector>
  nlohmann::ordered_json metrics_of(const Connector& c) const {
    nlohmann::ordered_json m = guard([&] { return c.metrics(); });
    redact_strings(m, secrets);
    return m;
  }
  [[nodiscard]] std::string text(std::string t) const { return redact_all(std::move(t), secrets); }
};

/// A source whose errors, message errors and metrics are redacted.
class redacting_source final : public source {
 public:
  redacting_source(std::unique_ptr<source> inner, std::vector<env_secret> secrets,
                   std::string where)
      : inner_(std::move(inner)), redaction_{std::move(secrets), std::move(where)} {}

  [[nodiscard]] source& inner() noexcept { return *inner_; }

  [[nodiscard]] std::string type() const override { return inner_->type(); }
  poll_status poll(std::vector<source_message>& out, std::size_t max) override {
    const std::size_t first = out.size();
    const poll_status status = guard([&] { return inner_->poll(out, max); });
    for (std::size_t i = first; i < out.size(); ++i) {
      if (!out[i].error.empty()) out[i].error = redaction_.text(std::move(out[i].error));
    }
    return status;
  }
  [[nodiscard]] std::vector<std::string> partitions() const override {
    return guard([&] { return inner_->partitions(); });
  }
  [[nodiscard]] nlohmann::ordered_json positions() const override {
    return guard([&] { return inner_->positions(); });  // not redacted: `seek()` reads them
  }
  void limit_message_bytes(std::size_t max_bytes) override {
    inner_->limit_message_bytes(max_bytes);
  }
  void seek(const nlohmann::ordered_json& positions) override {
    guard([&] { inner_->seek(positions); });
  }
  partition_changes take_partition_changes() override {
    return guard([&] { return inner_->take_partition_changes(); });
  }
  void commit(const std::vector<partition_release>& released) override {
    guard([&] { inner_->commit(released); });
  }
  [[nodiscard]] nlohmann::ordered_json metrics() const override {
    return redaction_.metrics_of(*inner_);
  }

 private:
  template <class F>
  auto guard(F&& f) const -> decltype(f()) {
    return redaction_.guard(std::forward<F>(f));
  }
  std::unique_ptr<source> inner_;
  redaction redaction_;
};

/// The connector inside `s` when the registry wrapped it, else `s` (a sink that works with its
/// processor's source, such as Kafka's exactly-once `$emit`, needs the source's own type).
inline source* unwrapped(source* s) {
  auto* wrapper = dynamic_cast<redacting_source*>(s);
  return wrapper ? &wrapper->inner() : s;
}

/// A sink whose errors, rejection reasons and metrics are redacted.
class redacting_sink final : public sink {
 public:
  redacting_sink(std::unique_ptr<sink> inner, std::vector<env_secret> secrets, std::string where)
      : inner_(std::move(inner)), redaction_{std::move(secrets), std::move(where)} {}

  [[nodiscard]] sink& inner() noexcept { return *inner_; }

  void write(std::span<const nlohmann::ordered_json> docs, write_result& result) override {
    const std::size_t first = result.rejected.size();
    guard([&] { inner_->write(docs, result); });
    for (std::size_t i = first; i < result.rejected.size(); ++i)
      result.rejected[i].second = redaction_.text(std::move(result.rejected[i].second));
  }
  void flush() override {
    guard([&] { inner_->flush(); });
  }
  void on_time_passed() override {
    guard([&] { inner_->on_time_passed(); });
  }
  void set_rejection_handler(rejection_handler handler) override {
    if (!handler) {
      inner_->set_rejection_handler(nullptr);
      return;
    }
    inner_->set_rejection_handler(
        [this, handler = std::move(handler)](const nlohmann::ordered_json& doc,
                                             const std::string& reason) {
          handler(doc, redaction_.text(reason));
        });
  }
  [[nodiscard]] nlohmann::ordered_json commit_point() override {
    return guard([&] { return inner_->commit_point(); });
  }
  void start(const nlohmann::ordered_json& resume_point) override {
    guard([&] { inner_->start(resume_point); });
  }
  void attach(const sink_context& context) override {
    guard([&] { inner_->attach(context); });
  }
  void prepare_checkpoint(std::uint64_t version,
                          const nlohmann::ordered_json& source_positions) override {
    guard([&] { inner_->prepare_checkpoint(version, source_positions); });
  }
  void checkpoint_stored() override {
    guard([&] { inner_->checkpoint_stored(); });
  }
  [[nodiscard]] bool output_committed(const nlohmann::ordered_json& commit_point) override {
    return guard([&] { return inner_->output_committed(commit_point); });
  }
  [[nodiscard]] nlohmann::ordered_json metrics() const override {
    return redaction_.metrics_of(*inner_);
  }

 private:
  template <class F>
  auto guard(F&& f) const -> decltype(f()) {
    return redaction_.guard(std::forward<F>(f));
  }
  std::unique_ptr<sink> inner_;
  redaction redaction_;
};

}  // namespace reel::detail
