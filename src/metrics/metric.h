#pragma once

// The three metric kinds a hot path updates: Counter, Gauge, Histogram.
// Each is a plain object, updated with relaxed atomics; whoever exposes it
// (metrics::Registry) reads it on scrape. Thread-safe throughout.
//
// Counters and histograms are sharded: an update touches only the cache
// line of the updating thread's shard (threads are spread over kShards
// shards round-robin, on first use), so I/O threads and the storage writer
// counting the same stream do not bounce one line between cores. A read
// sums the shards; it is not a snapshot across shards (a read racing with
// updates sees some of them), which is all a scrape needs.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spate::metrics {

// Shards per counter or histogram. A power of two; at 64 bytes a shard a
// counter takes 512 bytes.
inline constexpr size_t kShards = 8;
inline constexpr size_t kCacheLine = 64;

// The calling thread's shard, [0, kShards). Cheap: one thread-local read
// after the first call.
size_t ThisThreadShard();

// A monotonically increasing count (requests, records, bytes).
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Add(uint64_t n = 1) { cells_[ThisThreadShard()].value.fetch_add(n, std::memory_order_relaxed); }
  // The sum over all shards.
  uint64_t Value() const;

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<uint64_t> value{0};
  };
  Cell cells_[kShards];
};

// A value that goes up and down, set by one writer at a time or adjusted by
// many (not sharded: Set needs one cell; gauges are written off the hot
// path or computed at scrape time instead, see Registry::AddCallback).
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Bucket bounds of a histogram, in the unit the caller observes (an
// integer: microseconds, milliseconds, batches), and how many of that unit
// make one exposed unit (1e6 for microseconds exposed as seconds,
// Prometheus' base unit). Bounds are strictly increasing; the +Inf bucket
// is implicit.
struct Buckets {
  std::vector<uint64_t> bounds;
  double per_unit = 1.0;
};

// A distribution over fixed buckets, exposed as Prometheus' cumulative
// `_bucket{le=...}`, `_sum` and `_count`.
class Histogram {
 public:
  // At most kMaxBuckets bounds.
  explicit Histogram(Buckets buckets);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  static constexpr size_t kMaxBuckets = 20;

  // Counts `v` (in the caller's unit) in the first bucket whose bound is >= v.
  void Observe(uint64_t v);

  struct Snapshot {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; the last is +Inf
    uint64_t count = 0;            // the sum of counts
    uint64_t sum = 0;              // in the caller's unit
  };
  Snapshot Read() const;
  const Buckets& buckets() const { return buckets_; }

 private:
  struct alignas(kCacheLine) Cell {
    std::atomic<uint64_t> counts[kMaxBuckets + 1] = {};
    std::atomic<uint64_t> sum{0};
  };
  const Buckets buckets_;
  Cell cells_[kShards];
};

// Latency buckets from 100 us to 10 s, observed in microseconds and exposed
// in seconds.
Buckets LatencyMicrosBuckets();
// Age buckets (iterator age, MillisBehindLatest) from 0 (caught up) to a
// week, observed in milliseconds and exposed in seconds.
Buckets AgeMillisBuckets();

}  // namespace spate::metrics
