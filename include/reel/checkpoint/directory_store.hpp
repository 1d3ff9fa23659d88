// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::directory_store`: checkpoints as files in a local directory,
/// `checkpoint-00000000000000000042.reelckpt`. A put writes a temporary file, fsyncs it,
/// renames it into place and fsyncs the directory, so that after a crash (even a power loss)
/// the directory holds either the whole new checkpoint or only the previous ones; then all but
/// the newest `keep_last` are removed. A torn or bit-flipped file fails its CRC32C and
/// `latest()` falls back to the previous checkpoint. A directory that cannot be created or
/// written, or a full disk, is `reel.checkpoint.write_failed` with the path and the system's
/// reason.
///
/// **Example**
/// ```cpp
/// reel::directory_store store("/var/lib/reel/tickets", {.keep_last = 3});
/// store.put(7, processor.checkpoint());
/// ```
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "reel/checkpoint/store.hpp"

namespace reel {

struct directory_store_options {
  /// Checkpoints kept after a put (at least 1; 2 or more lets a damaged newest one fall back).
  std::size_t keep_last = 3;
  /// fsync the file and the directory on every put (off only for tests and benchmarks that do
  /// not care about power loss).
  bool sync = true;
};

class directory_store final : public checkpoint_store {
 public:
  /// Creates the directory when it does not exist. Throws `reel.checkpoint.write_failed` when it
  /// cannot.
  explicit directory_store(std::filesystem::path directory, directory_store_options options = {})
      : directory_(std::move(directory)), options_(options) {
    if (options_.keep_last == 0) options_.keep_last = 1;
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec || !std::filesystem::is_directory(directory_, ec)) {
      throw_error("reel.checkpoint.write_failed", directory_.string(),
                  "cannot create the state directory" + (ec ? ": " + ec.message() : std::string()));
    }
  }

  void put(std::uint64_t version, std::string_view bytes) override {
    const std::string sealed = seal_checkpoint(version, bytes);
    const std::filesystem::path final_path = path_of(version);
    const std::filesystem::path temp = directory_ / ("." + file_name(version) + ".tmp");
    auto fail = [&](const std::filesystem::path& where, const char* what, int err) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw_error("reel.checkpoint.write_failed", where.string(),
                  fmt::format("{}: {}", what, std::strerror(err)));
    };
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(temp, "cannot create the checkpoint file", errno);
    std::size_t done = 0;
    while (done < sealed.size()) {
      const ssize_t n = ::write(fd, sealed.data() + done, sealed.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : ENOSPC;
        ::close(fd);
        fail(temp, "cannot write the checkpoint file", err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (options_.sync && ::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      fail(temp, "cannot sync the checkpoint file", err);
    }
    if (::close(fd) != 0) fail(temp, "cannot close the checkpoint file", errno);
    if (::rename(temp.c_str(), final_path.c_str()) != 0) {
      fail(final_path, "cannot rename the checkpoint file into place", errno);
    }
    if (options_.sync) sync_directory();
    prune();
  }

  [[nodiscard]] std::optional<std::string> get(std::uint64_t version) const override {
    const std::filesystem::path p = path_of(version);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::nullopt;
      throw_error("reel.checkpoint.read_failed", p.string(),
                  fmt::format("cannot open the checkpoint: {}", std::strerror(errno)));
    }
    std::string bytes;
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        throw_error("reel.checkpoint.read_failed", p.string(),
                    fmt::format("cannot read the checkpoint: {}", std::strerror(err)));
      }
      if (n == 0) break;
      bytes.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return unseal_checkpoint(bytes, version, p.string());
  }

  [[nodiscard]] std::vector<std::uint64_t> list() const override {
    std::vector<std::uint64_t> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
      if (auto v = version_of(entry.path().filename().string())) out.push_back(*v);
    }
    if (ec) {
      throw_error("reel.checkpoint.read_failed", directory_.string(),
                  "cannot list the state directory: " + ec.message());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void remove(std::uint64_t version) override {
    std::error_code ec;
    std::filesystem::remove(path_of(version), ec);
    if (ec) {
      throw_error("reel.checkpoint.write_failed", path_of(version).string(),
                  "cannot remove the checkpoint: " + ec.message());
    }
  }

  [[nodiscard]] std::string location() const override { return directory_.string(); }
  [[nodiscard]] std::filesystem::path path_of(std::uint64_t version) const {
    return directory_ / file_name(version);
  }

 private:
  static std::string file_name(std::uint64_t version) {
    return fmt::format("checkpoint-{:020}.reelckpt", version);
  }
  static std::optional<std::uint64_t> version_of(const std::string& name) {
    constexpr std::string_view prefix = "checkpoint-", suffix = ".reelckpt";
    if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) ||
        !name.ends_with(suffix)) {
      return std::nullopt;
    }
    std::uint64_t v = 0;
    const char* first = name.data() + prefix.size();
    auto [p, ec] = std::from_chars(first, first + 20, v);
    if (ec != std::errc{} || p != first + 20) return std::nullopt;
    return v;
  }

  void sync_directory() const {
    const int fd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      throw_error("reel.checkpoint.write_failed", directory_.string(),
                  fmt::format("cannot sync the state directory: {}", std::strerror(err)));
    }
    ::close(fd);
  }

  void prune() {
    const std::vector<std::uint64_t> versions = list();
    for (std::size_t i = 0; i + options_.keep_last < versions.size(); ++i)
      remove(versions[i]);
  }

  std::filesystem::path directory_;
  directory_store_options options_;
};

}  // namespace reel
