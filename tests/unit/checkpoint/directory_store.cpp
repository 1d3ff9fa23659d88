// SPDX-License-Identifier: Apache-2.0
// The directory checkpoint store: round trips, keep-last-N, torn and bit-flipped files falling
// back to the previous checkpoint, and clear errors for directories that cannot be written.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <reel/checkpoint/directory_store.hpp>

#include "unit/connector/temp_dir.hpp"

namespace directory_store_test {

using connector_test::read_file;
using connector_test::temp_dir;
using connector_test::write_file;

std::string blob(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(seed + static_cast<char>(i * 7));
  return s;
}

}  // namespace directory_store_test

using namespace directory_store_test;

TEST_CASE("crc32c matches the Castagnoli check value", "[checkpoint][checksum]") {
  STATIC_REQUIRE(reel::detail::crc32c("123456789") == 0xE3069283u);
  REQUIRE(reel::detail::crc32c("") == 0u);
  // Continuing a CRC over a split input gives the CRC of the whole.
  REQUIRE(reel::detail::crc32c("56789", reel::detail::crc32c("1234")) == 0xE3069283u);
}

TEST_CASE("directory store: put, get, list, remove", "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path() / "state");
  REQUIRE(store.list().empty());
  REQUIRE_FALSE(store.latest());
  store.put(1, "first");
  store.put(2, blob(100000, 'a'));
  REQUIRE(store.list() == std::vector<std::uint64_t>{1, 2});
  REQUIRE(store.get(1) == std::optional<std::string>("first"));
  REQUIRE(store.get(2) == blob(100000, 'a'));
  REQUIRE_FALSE(store.get(3));
  auto latest = store.latest();
  REQUIRE(latest);
  REQUIRE(latest->version == 2);
  REQUIRE(latest->skipped.empty());
  store.remove(2);
  REQUIRE(store.list() == std::vector<std::uint64_t>{1});
  // No temporary file is left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() / "state"))
    ++files;
  REQUIRE(files == 1);
}

TEST_CASE("directory store keeps the last N checkpoints", "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path(), {.keep_last = 3});
  for (std::uint64_t v = 1; v <= 7; ++v)
    store.put(v, "checkpoint " + std::to_string(v));
  REQUIRE(store.list() == std::vector<std::uint64_t>{5, 6, 7});
  reel::directory_store one(dir.path(), {.keep_last = 1});
  one.put(8, "eight");
  REQUIRE(one.list() == std::vector<std::uint64_t>{8});
}

TEST_CASE("a truncated checkpoint is detected and the previous one is used",
          "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path());
  store.put(1, "older");
  store.put(2, blob(5000, 'x'));
  const std::string whole = read_file(store.path_of(2));
  const std::size_t cut = GENERATE(0, 1, 8, 27, 28, 100, 5031);
  write_file(store.path_of(2), whole.substr(0, cut));
  REQUIRE_THROWS_WITH(store.get(2),
                      Catch::Contains("[reel.checkpoint.corrupt] at " + store.path_of(2).string()));
  auto latest = store.latest();
  REQUIRE(latest);
  REQUIRE(latest->version == 1);
  REQUIRE(latest->bytes == "older");
  REQUIRE(latest->skipped.size() == 1);
  REQUIRE_THAT(latest->skipped[0], Catch::Contains("checkpoint-00000000000000000002"));
}

TEST_CASE("a bit flip anywhere in a checkpoint is detected", "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path());
  store.put(1, "older");
  store.put(2, blob(300, 'q'));
  const std::string whole = read_file(store.path_of(2));
  for (std::size_t byte = 0; byte < whole.size(); ++byte) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = whole;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      write_file(store.path_of(2), damaged);
      INFO("byte " << byte << " bit " << bit);
      REQUIRE_THROWS_AS(store.get(2), reel::error);
      auto latest = store.latest();
      REQUIRE(latest);
      REQUIRE(latest->version == 1);
    }
  }
}

TEST_CASE("a store whose checkpoints are all damaged refuses to pretend it is empty",
          "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path());
  store.put(4, "only");
  write_file(store.path_of(4), "REELCKPT garbage");
  REQUIRE_THROWS_WITH(store.latest(),
                      Catch::StartsWith("[reel.checkpoint.corrupt] at " + dir.path().string() +
                                        ": no intact checkpoint (1 damaged)"));
}

TEST_CASE("a missing state directory is created", "[checkpoint][directory_store]") {
  temp_dir dir;
  const auto nested = dir.path() / "a" / "b" / "state";
  reel::directory_store store(nested);
  REQUIRE(std::filesystem::is_directory(nested));
  store.put(1, "x");
  REQUIRE(store.latest()->bytes == "x");
}

TEST_CASE("a state directory that cannot be created is a clear error",
          "[checkpoint][directory_store]") {
  temp_dir dir;
  write_file(dir.path() / "plain", "a regular file");
  // Root ignores permissions, so the unwritable place is a path under a regular file.
  const auto under_file = dir.path() / "plain" / "state";
  REQUIRE_THROWS_WITH(reel::directory_store(under_file),
                      Catch::StartsWith("[reel.checkpoint.write_failed] at " + under_file.string() +
                                        ": cannot create the state directory"));
}

TEST_CASE("a state directory that disappears makes put fail, not pass silently",
          "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path() / "state");
  store.put(1, "x");
  std::filesystem::remove_all(dir.path() / "state");
  write_file(dir.path() / "state", "now a file");
  REQUIRE_THROWS_WITH(
      store.put(2, "y"),
      Catch::StartsWith("[reel.checkpoint.write_failed] at " + (dir.path() / "state").string() +
                        "/.checkpoint-00000000000000000002.reelckpt.tmp: cannot "
                        "create the checkpoint file: Not a directory"));
}

TEST_CASE("a full disk is a clear error and keeps the previous checkpoint",
          "[checkpoint][directory_store]") {
  temp_dir dir;
  reel::directory_store store(dir.path());
  store.put(1, "before the disk filled");
  // A file size limit makes write() fail as a full disk does (EFBIG rather than ENOSPC).
  struct rlimit old_limit {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::optional<std::string> message;
  try {
    store.put(2, blob(100000, 'z'));
  } catch (const reel::error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE(message);
  REQUIRE_THAT(*message, Catch::StartsWith("[reel.checkpoint.write_failed] at ") &&
                             Catch::Contains("cannot write the checkpoint file: File too large"));
  REQUIRE(store.list() == std::vector<std::uint64_t>{1});
  REQUIRE(store.latest()->bytes == "before the disk filled");
}
