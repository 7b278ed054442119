// A log-bucketed latency histogram in the spirit of HdrHistogram: 32 linear
// sub-buckets per power of two, so any recorded value is reported within
// 1/32 (about 3 %) of its true value, over the whole range of a uint64.
// The exact maximum and count are kept besides the buckets.
//
// Not thread-safe: each load-generator thread owns one and they are merged.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace spate::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;  // 32 sub-buckets per octave
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  // Records one value (nanoseconds, by convention of the callers).
  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++count_;
    max_ = std::max(max_, v);
    sum_ += v;
  }

  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  // The smallest bucket value v such that at least q (0..1] of the recorded
  // values are <= v (reported as the bucket's upper edge, capped at max()).
  // 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

  static int Index(uint64_t v) {
    if (v < kSubBuckets) return static_cast<int>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - kSubBucketBits;
    return (shift + 1) * kSubBuckets + static_cast<int>((v >> shift) - kSubBuckets);
  }

  static uint64_t UpperEdge(int index) {
    if (index < 2 * kSubBuckets) return static_cast<uint64_t>(index);
    int shift = index / kSubBuckets - 1;
    uint64_t mantissa = static_cast<uint64_t>(index % kSubBuckets + kSubBuckets);
    return ((mantissa + 1) << shift) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace spate::bench
