// SPDX-License-Identifier: Apache-2.0
// Standard output and error for the `reel` program: document lines on stdout, messages and a
// one-line progress display on stderr, kept apart when both are the same terminal. Stdout is
// fully buffered (a pipe or file gets large writes), and `flush_pending` hands what is buffered
// on, so a reader of a pipe gets each result soon after it is produced.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include <unistd.h>

namespace reel::cli {

class console {
 public:
  console() : out_tty_(::isatty(1) == 1), err_tty_(::isatty(2) == 1) {
    static char buffer[1 << 16];
    std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  }

  [[nodiscard]] bool stderr_is_terminal() const noexcept { return err_tty_; }

  /// One line (a document) on stdout.
  void out(std::string_view line) {
    std::lock_guard lock(mutex_);
    clear_progress();
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    if (out_tty_) {
      std::fflush(stdout);
    } else {
      pending_ = true;
    }
  }
  /// Flushes stdout if lines were written since the last flush (the run loop calls it every
  /// few tens of milliseconds).
  void flush_pending() {
    std::lock_guard lock(mutex_);
    if (!pending_) return;
    std::fflush(stdout);
    pending_ = false;
  }
  /// One line on stderr.
  void err(std::string_view line) {
    std::lock_guard lock(mutex_);
    clear_progress();
    std::fflush(stdout);
    pending_ = false;
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
  }
  /// Replaces the progress line (stderr must be a terminal).
  void progress(std::string_view text) {
    std::lock_guard lock(mutex_);
    std::fflush(stdout);
    std::fputs("\r\x1b[K", stderr);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
    progress_shown_ = true;
  }
  void end_progress() {
    std::lock_guard lock(mutex_);
    clear_progress();
  }
  void flush() {
    std::lock_guard lock(mutex_);
    std::fflush(stdout);
    pending_ = false;
    std::fflush(stderr);
  }

 private:
  void clear_progress() {
    if (!progress_shown_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    progress_shown_ = false;
  }

  std::mutex mutex_;
  bool out_tty_;
  bool err_tty_;
  bool progress_shown_ = false;
  bool pending_ = false;  ///< stdout holds lines not yet flushed
};

}  // namespace reel::cli
