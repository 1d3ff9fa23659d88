// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel/json/detail/regex.hpp` on PCRE2 (8-bit library, UTF mode), the engine MongoDB uses.

#define PCRE2_CODE_UNIT_WIDTH 8
#include "reel/json/detail/regex.hpp"

#include <pcre2.h>

#include <array>
#include <string>
#include <utility>

#include "reel/error.hpp"

namespace reel::json::detail {

namespace {

std::string pcre2_message(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  const int n = pcre2_get_error_message(code, buf.data(), buf.size());
  if (n < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

template <class T, void (*Free)(T*)>
struct pcre2_deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using compile_context_ptr =
    std::unique_ptr<pcre2_compile_context,
                    pcre2_deleter<pcre2_compile_context, &pcre2_compile_context_free>>;
using match_context_ptr =
    std::unique_ptr<pcre2_match_context,
                    pcre2_deleter<pcre2_match_context, &pcre2_match_context_free>>;
using match_data_ptr =
    std::unique_ptr<pcre2_match_data, pcre2_deleter<pcre2_match_data, &pcre2_match_data_free>>;

/// The compile context of every pattern: length and nesting limits. Read-only once built.
pcre2_compile_context* compile_context() {
  static const compile_context_ptr context = [] {
    compile_context_ptr c(pcre2_compile_context_create(nullptr));
    if (c) {
      pcre2_set_max_pattern_length(c.get(), regex_limits::max_pattern_bytes);
      pcre2_set_parens_nest_limit(c.get(), regex_limits::max_parens_nesting);
    }
    return c;
  }();
  return context.get();
}

/// The match context of every match: match, depth and heap limits. Read-only once built.
pcre2_match_context* match_context() {
  static const match_context_ptr context = [] {
    match_context_ptr c(pcre2_match_context_create(nullptr));
    if (c) {
      pcre2_set_match_limit(c.get(), regex_limits::match_limit);
      pcre2_set_depth_limit(c.get(), regex_limits::depth_limit);
      pcre2_set_heap_limit(c.get(), regex_limits::heap_limit_kib);
    }
    return c;
  }();
  return context.get();
}

/// One match data block per thread, grown to the largest number of groups seen: PCRE2 keeps its
/// backtracking frames in it, so reusing it saves an allocation per match.
pcre2_match_data* thread_match_data(std::uint32_t pairs) {
  thread_local match_data_ptr data;
  thread_local std::uint32_t capacity = 0;
  if (!data || capacity < pairs) {
    data.reset(pcre2_match_data_create(pairs, nullptr));
    if (!data) throw_error("reel.expression.evaluation_failed", "", "out of memory for a match");
    capacity = pairs;
  }
  return data.get();
}

/// `pattern` in quotes for a message; a long one (it may be 32 KB of hostile text) cut short.
std::string quoted(std::string_view pattern) {
  constexpr std::size_t shown = 64;
  if (pattern.size() <= shown) return "'" + std::string(pattern) + "'";
  std::size_t cut = shown;
  while (cut > 0 && (static_cast<unsigned char>(pattern[cut]) & 0xC0) == 0x80)
    --cut;  // not inside a UTF-8 sequence
  return "'" + std::string(pattern.substr(0, cut)) + "...' (" + std::to_string(pattern.size()) +
         " bytes)";
}

/// Which of `regex_limits` a PCRE2 result code reports.
std::string limit_name(int rc) {
  switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
      return "more than " + std::to_string(regex_limits::match_limit) + " match steps";
    case PCRE2_ERROR_DEPTHLIMIT:
      return "backtracking deeper than " + std::to_string(regex_limits::depth_limit);
    case PCRE2_ERROR_HEAPLIMIT:
      return "more than " + std::to_string(regex_limits::heap_limit_kib) + " KiB of match memory";
    default:
      return "out of memory";
  }
}

bool is_limit_error(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY;
}

bool is_utf_error(int rc) {
  return (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) ||
         rc == PCRE2_ERROR_BADUTFOFFSET;
}

}  // namespace

struct regex_program::code {
  pcre2_code* re = nullptr;
  std::uint32_t captures = 0;
  ~code() { pcre2_code_free(re); }
};

regex_program::regex_program(std::string pattern, std::string options, std::string where,
                             std::string_view error_id)
    : pattern_(std::move(pattern)), options_(std::move(options)), where_(std::move(where)) {
  auto fail = [&](const std::string& message) {
    throw_error(std::string(error_id), where_, message);
  };
  // MongoDB's flags (pcre_util::flagsToOptions): always UTF; `u` is accepted and changes nothing.
  std::uint32_t flags = PCRE2_UTF;
  for (const char o : options_) {
    switch (o) {
      case 'i':
        flags |= PCRE2_CASELESS;
        break;
      case 'm':
        flags |= PCRE2_MULTILINE;
        break;
      case 's':
        flags |= PCRE2_DOTALL;
        break;
      case 'x':
        flags |= PCRE2_EXTENDED;
        break;
      case 'u':
        break;
      default:
        fail("invalid regular expression option '" + std::string(1, o) +
             "' (supported: i, m, s, x, u)");
    }
  }
  if (pattern_.find('\0') != std::string::npos) {
    fail("a regular expression cannot contain a NUL byte");
  }
  if (pattern_.size() > regex_limits::max_pattern_bytes) {
    fail("regular expression " + quoted(pattern_) + " is too long: the limit is " +
         std::to_string(regex_limits::max_pattern_bytes) + " bytes");
  }
  int rc = 0;
  PCRE2_SIZE offset = 0;
  code_ = std::make_unique<code>();
  code_->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(), flags,
                            &rc, &offset, compile_context());
  if (!code_->re) {
    fail("invalid regular expression " + quoted(pattern_) + ": " + pcre2_message(rc) +
         " at offset " + std::to_string(offset));
  }
  pcre2_pattern_info(code_->re, PCRE2_INFO_CAPTURECOUNT, &code_->captures);
}

regex_program::~regex_program() = default;

std::size_t regex_program::capture_count() const noexcept {
  return code_->captures;
}

bool regex_program::search(std::string_view subject, std::string_view where) const {
  thread_local std::vector<regex_span> ignored;  // keeps its capacity: no allocation per match
  return find(subject, 0, ignored, false, where);
}

bool regex_program::find(std::string_view subject, std::size_t start,
                         std::vector<regex_span>& groups, bool subject_checked,
                         std::string_view where) const {
  const std::uint32_t pairs = code_->captures + 1;
  pcre2_match_data* data = thread_match_data(pairs);
  const int rc =
      pcre2_match(code_->re, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
                  subject_checked ? PCRE2_NO_UTF_CHECK : 0, data, match_context());
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    const std::string at(where.empty() ? std::string_view(where_) : where);
    if (is_limit_error(rc)) {
      throw_error(
          "reel.expression.regex_limit", at,
          "regular expression " + quoted(pattern_) + " stopped at a limit: " + limit_name(rc));
    }
    if (is_utf_error(rc)) {
      throw_error("reel.expression.evaluation_failed", at,
                  "regular expression input is not valid UTF-8: " + pcre2_message(rc));
    }
    throw_error("reel.expression.evaluation_failed", at,
                "regular expression match failed: " + pcre2_message(rc));
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  groups.resize(pairs);
  for (std::uint32_t i = 0; i < pairs; ++i) {
    const PCRE2_SIZE b = ovector[2 * i], e = ovector[2 * i + 1];
    groups[i] = b == PCRE2_UNSET ? regex_span{} : regex_span{b, e};
  }
  return true;
}

std::shared_ptr<const regex_program> compile_regex(std::string_view pattern,
                                                   std::string_view options, std::string_view where,
                                                   std::string_view error_id) {
  return std::make_shared<const regex_program>(std::string(pattern), std::string(options),
                                               std::string(where), error_id);
}

std::shared_ptr<const regex_program> cached_regex(std::string_view pattern,
                                                  std::string_view options, std::string_view where,
                                                  std::string_view error_id) {
  constexpr std::size_t slots = 16;
  thread_local std::array<std::shared_ptr<const regex_program>, slots> cache;
  thread_local std::size_t next = 0;
  for (const auto& p : cache) {
    if (p && p->pattern() == pattern && p->options() == options) return p;
  }
  auto p = compile_regex(pattern, options, where, error_id);
  cache[next] = p;
  next = (next + 1) % slots;
  return p;
}

}  // namespace reel::json::detail
