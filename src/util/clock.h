#pragma once

#include <atomic>
#include <cstdint>

namespace spate::util {

// Clock is how every component reads time, so tests can inject it
// (STYLE.md rule 10). Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (may jump).
  virtual int64_t NowMs() const = 0;
  // Monotonic nanoseconds since an arbitrary origin (never goes back).
  virtual int64_t MonotonicNs() const = 0;
};

// The process-wide real clock.
Clock* SystemClock();

// A manually driven clock for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms), mono_ns_(1) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicNs() const override { return mono_ns_.load(); }
  void AdvanceMs(int64_t ms) {
    now_ms_ += ms;
    mono_ns_ += ms * 1'000'000;
  }
  void SetWallMs(int64_t ms) { now_ms_ = ms; }  // a wall-clock jump; monotonic time unchanged

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> mono_ns_;
};

}  // namespace spate::util
