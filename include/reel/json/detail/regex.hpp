// SPDX-License-Identifier: Apache-2.0
/// \file
/// Regular expressions for `$regex`, `$regexMatch`, `$regexFind`, `$regexFindAll` and `pattern`
/// / `patternProperties` (JSON Schema): PCRE2 in UTF mode with MongoDB's options (`i`, `m`, `s`,
/// `x`, `u`), as the server compiles them. The PCRE2 code lives in the compiled `reel::json`
/// library (src/json/regex.cpp); this header does not need pcre2.h.
///
/// Every match runs under limits (`regex_limits`), so a pathological pattern or subject ends in
/// a `reel.expression.regex_limit` error (a DLQ record for the event) instead of a hang or a
/// crash. docs/semantics.md ("Limits") lists them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace reel::json::detail {

/// The limits every regular expression is compiled and matched with.
struct regex_limits {
  /// Longest pattern accepted, in bytes (MongoDB's PCRE2 limit).
  static constexpr std::size_t max_pattern_bytes = 32764;
  /// Deepest nesting of parentheses accepted in a pattern (PCRE2's default).
  static constexpr std::uint32_t max_parens_nesting = 250;
  /// Most internal match steps (backtracking points) of one match attempt.
  static constexpr std::uint32_t match_limit = 1'000'000;
  /// Deepest backtracking of one match attempt.
  static constexpr std::uint32_t depth_limit = 1'000'000;
  /// Most heap memory used by one match attempt's backtracking frames, in KiB (64 MiB).
  static constexpr std::uint32_t heap_limit_kib = 64 * 1024;
};

/// The byte range of a match or of one capture group; `unset()` for a group that did not take
/// part in the match.
struct regex_span {
  std::size_t begin = npos;
  std::size_t end = npos;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  [[nodiscard]] bool unset() const noexcept { return begin == npos; }
};

/// A compiled regular expression with the MongoDB pattern and options it came from. Immutable
/// after construction and safe to share between threads.
class regex_program {
 public:
  /// Compiles `pattern` with MongoDB `options`. Throws `error_id` at `where` for an unknown
  /// option, a NUL byte, a pattern over `regex_limits::max_pattern_bytes` or one PCRE2 rejects.
  regex_program(std::string pattern, std::string options, std::string where,
                std::string_view error_id);
  ~regex_program();
  regex_program(const regex_program&) = delete;
  regex_program& operator=(const regex_program&) = delete;

  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
  [[nodiscard]] const std::string& options() const noexcept { return options_; }
  /// Number of capture groups (not counting the whole match).
  [[nodiscard]] std::size_t capture_count() const noexcept;

  /// Whether `subject` contains a match. Errors name `where`, or the pattern's own location
  /// when `where` is empty: `reel.expression.regex_limit` when a limit is hit,
  /// `reel.expression.evaluation_failed` for a subject that is not UTF-8.
  [[nodiscard]] bool search(std::string_view subject, std::string_view where = {}) const;

  /// The first match starting at or after byte `start` (a code point boundary): fills `groups`
  /// (whole match, then each capture group) and returns true, or returns false. `subject_checked`
  /// skips PCRE2's UTF-8 check of the subject (already done by an earlier call on it).
  bool find(std::string_view subject, std::size_t start, std::vector<regex_span>& groups,
            bool subject_checked, std::string_view where = {}) const;

 private:
  struct code;
  std::string pattern_;
  std::string options_;
  std::string where_;
  std::unique_ptr<code> code_;
};

/// Compiles `pattern` with MongoDB `options` (see `regex_program`).
std::shared_ptr<const regex_program> compile_regex(std::string_view pattern,
                                                   std::string_view options, std::string_view where,
                                                   std::string_view error_id);

/// Like `compile_regex`, for a pattern that comes from the input: a small per-thread cache keeps
/// the most recent programs, so an event stream that repeats a few patterns compiles each once.
std::shared_ptr<const regex_program> cached_regex(std::string_view pattern,
                                                  std::string_view options, std::string_view where,
                                                  std::string_view error_id);

}  // namespace reel::json::detail
