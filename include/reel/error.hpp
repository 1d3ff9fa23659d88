// SPDX-License-Identifier: Apache-2.0
/// \file
/// Reel's error model: every error has a stable id (`reel.pipeline.unknown_operator`), an
/// optional location (a JSON pointer into the pipeline definition, or a position in the input)
/// and a message. `what()` reads `[id] at /where: message`.
///
/// All throws in the library go through `reel::throw_error` (one funnel), and library code never
/// prints or exits.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reel {

/// One problem found in a definition or in the input: stable id, location, message.
struct diagnostic {
  std::string id;       ///< stable, dotted: `reel.pipeline.unknown_operator`
  std::string where;    ///< JSON pointer (`/2/$tumblingWindow/interval`) or empty
  std::string message;  ///< human text, no trailing period

  /// `[id] at where: message`, or `[id] message` when `where` is empty.
  [[nodiscard]] std::string to_string() const {
    std::string out;
    out.reserve(id.size() + where.size() + message.size() + 8);
    out += '[';
    out += id;
    out += "] ";
    if (!where.empty()) {
      out += "at ";
      out += where;
      out += ": ";
    }
    out += message;
    return out;
  }
  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

/// The one exception type of Reel. `id()` is stable across versions; tests compare `what()`.
class error : public std::runtime_error {
 public:
  explicit error(diagnostic d) : std::runtime_error(d.to_string()), diagnostics_{std::move(d)} {}
  error(std::string id, std::string where, std::string message)
      : error(diagnostic{std::move(id), std::move(where), std::move(message)}) {}
  /// Several problems at once (a definition with more than one mistake); `what()` is the first.
  explicit error(std::vector<diagnostic> all)
      : std::runtime_error(all.empty() ? std::string("[reel.error] unknown error")
                                       : all.front().to_string()),
        diagnostics_(std::move(all)) {}

  [[nodiscard]] const std::string& id() const noexcept { return first().id; }
  [[nodiscard]] const std::string& where() const noexcept { return first().where; }
  [[nodiscard]] const std::string& message() const noexcept { return first().message; }
  [[nodiscard]] const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  const diagnostic& first() const noexcept {
    static const diagnostic none{"reel.error", "", "unknown error"};
    return diagnostics_.empty() ? none : diagnostics_.front();
  }
  std::vector<diagnostic> diagnostics_;
};

/// `key` as one JSON pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`), for locations.
[[nodiscard]] inline std::string json_pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}
/// `where` + `/` + the token of `key`: the location of a member of the value at `where`.
[[nodiscard]] inline std::string json_pointer_append(std::string_view where, std::string_view key) {
  std::string out(where);
  out += '/';
  out += json_pointer_token(key);
  return out;
}

/// The single throw funnel of the library.
[[noreturn]] inline void throw_error(std::string id, std::string where, std::string message) {
  throw error(std::move(id), std::move(where), std::move(message));
}
[[noreturn]] inline void throw_error(diagnostic d) {
  throw error(std::move(d));
}

}  // namespace reel
