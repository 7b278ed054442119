#pragma once

#include <algorithm>
#include <cstdint>

namespace spate::producer {

// A token bucket refilled continuously at `rate` tokens per second up to
// `capacity` (one second's worth). Time is the caller's monotonic
// nanoseconds. Not thread-safe (the engine's lock guards it).
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, int64_t now_ns)
      : rate_per_ns_(rate_per_second / 1e9), capacity_(rate_per_second), tokens_(rate_per_second), last_ns_(now_ns) {}

  // Whether `n` tokens can be taken now. A request above the capacity is
  // allowed once the bucket is full, and drives it negative.
  bool CanTake(double n, int64_t now_ns) {
    Refill(now_ns);
    return tokens_ >= std::min(n, capacity_);
  }
  void Take(double n, int64_t now_ns) {
    Refill(now_ns);
    tokens_ -= n;
  }
  // Nanoseconds until CanTake(n) holds (0 if it holds now).
  int64_t WaitNs(double n, int64_t now_ns) {
    Refill(now_ns);
    const double missing = std::min(n, capacity_) - tokens_;
    return missing <= 0 ? 0 : static_cast<int64_t>(missing / rate_per_ns_) + 1;
  }

 private:
  void Refill(int64_t now_ns) {
    if (now_ns > last_ns_)
      tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ns - last_ns_) * rate_per_ns_);
    last_ns_ = std::max(last_ns_, now_ns);
  }

  double rate_per_ns_;
  double capacity_;
  double tokens_;
  int64_t last_ns_;
};

}  // namespace spate::producer
