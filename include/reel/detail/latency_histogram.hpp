// SPDX-License-Identifier: Apache-2.0
/// \file
/// `reel::detail::latency_histogram`: durations counted in logarithmic buckets, as HDR
/// histograms do — each power of two of microseconds split into 8 equal sub-buckets, so a
/// percentile is known within 12.5 % of its value, from 1 µs to about 19 hours, in a fixed array
/// (no allocation when recording). Values are recorded with a weight (a batch's latency counts
/// once for every output of the batch).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace reel::detail {

class latency_histogram {
 public:
  static constexpr int sub_bucket_bits = 3;  ///< 8 sub-buckets per power of two
  static constexpr int max_exponent = 36;    ///< 2^36 µs ≈ 19 hours; longer ones count there

  void record(std::chrono::nanoseconds latency, std::uint64_t weight = 1) noexcept {
    if (weight == 0) return;
    const std::uint64_t us =
        latency.count() <= 0 ? 0 : static_cast<std::uint64_t>(latency.count()) / 1000;
    counts_[bucket_of(us)] += weight;
    count_ += weight;
    sum_us_ += us * weight;
    max_us_ = std::max(max_us_, us);
  }

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// The sum of the recorded latencies (µs), each times its weight.
  [[nodiscard]] std::uint64_t sum_micros() const noexcept { return sum_us_; }
  [[nodiscard]] std::uint64_t max_micros() const noexcept { return max_us_; }

  /// The latency (µs) below which a fraction `q` (0..1) of the recorded ones fall: the upper
  /// bound of the bucket that holds it, never above the largest recorded. 0 when empty.
  [[nodiscard]] std::uint64_t quantile_micros(double q) const noexcept {
    if (count_ == 0) return 0;
    const double wanted = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
    std::uint64_t rank = static_cast<std::uint64_t>(wanted);
    if (static_cast<double>(rank) < wanted || rank == 0) ++rank;  // ceil, at least the first
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper_bound_of(i), max_us_);
    }
    return max_us_;
  }

  /// Index of the bucket of `us`: values below 8 have a bucket each; above, the bucket is
  /// (exponent, top 3 bits after the leading one).
  static constexpr std::size_t bucket_of(std::uint64_t us) noexcept {
    constexpr std::uint64_t linear = 1u << sub_bucket_bits;
    if (us < linear) return static_cast<std::size_t>(us);
    const int top = static_cast<int>(std::bit_width(us)) - 1;  // the leading one's place
    if (top > max_exponent) return bucket_count - 1;
    const int exponent = top;
    const std::uint64_t sub = (us >> (exponent - sub_bucket_bits)) & (linear - 1);
    return static_cast<std::size_t>(linear + (exponent - sub_bucket_bits) * linear + sub);
  }
  /// The largest value (µs) of bucket `i`.
  static constexpr std::uint64_t upper_bound_of(std::size_t i) noexcept {
    constexpr std::uint64_t linear = 1u << sub_bucket_bits;
    if (i < linear) return i;
    const std::uint64_t exponent = (i - linear) / linear + sub_bucket_bits;
    const std::uint64_t sub = (i - linear) % linear;
    const std::uint64_t width = std::uint64_t{1} << (exponent - sub_bucket_bits);
    return (std::uint64_t{1} << exponent) + (sub + 1) * width - 1;
  }

  static constexpr std::size_t bucket_count =
      (1u << sub_bucket_bits) * (max_exponent - sub_bucket_bits + 2);

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
  std::uint64_t max_us_ = 0;
};

}  // namespace reel::detail
