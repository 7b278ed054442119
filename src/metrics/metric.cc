#include "metrics/metric.h"

#include <algorithm>

#include "base/assert.h"

namespace spate::metrics {

size_t ThisThreadShard() {
  static std::atomic<size_t> next{0};
  // Constant-initialised, so reading it needs no guard; kShards marks
  // "not yet assigned".
  thread_local size_t shard = kShards;
  if (shard == kShards) [[unlikely]] {
    shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  }
  return shard;
}

uint64_t Counter::Value() const {
  uint64_t sum = 0;
  for (const Cell& c : cells_) sum += c.value.load(std::memory_order_relaxed);
  return sum;
}

Histogram::Histogram(Buckets buckets) : buckets_(std::move(buckets)) {
  SPATE_ASSERT(buckets_.bounds.size() <= kMaxBuckets, "too many histogram buckets");
  SPATE_ASSERT(std::adjacent_find(buckets_.bounds.begin(), buckets_.bounds.end(), std::greater_equal<uint64_t>()) ==
                   buckets_.bounds.end(),
               "histogram bounds must increase");
}

void Histogram::Observe(uint64_t v) {
  // A linear scan: a dozen bounds, most observations land in the first few.
  size_t i = 0;
  const size_t n = buckets_.bounds.size();
  while (i < n && v > buckets_.bounds[i]) ++i;
  Cell& c = cells_[ThisThreadShard()];
  c.counts[i].fetch_add(1, std::memory_order_relaxed);
  c.sum.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.counts.assign(buckets_.bounds.size() + 1, 0);
  for (const Cell& c : cells_) {
    for (size_t i = 0; i < s.counts.size(); ++i) s.counts[i] += c.counts[i].load(std::memory_order_relaxed);
    s.sum += c.sum.load(std::memory_order_relaxed);
  }
  for (uint64_t n : s.counts) s.count += n;
  return s;
}

Buckets LatencyMicrosBuckets() {
  return Buckets{{100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000,
                  2'500'000, 5'000'000, 10'000'000},
                 1e6};
}

Buckets AgeMillisBuckets() {
  constexpr uint64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
  return Buckets{
      {0, kSecond, 5 * kSecond, 30 * kSecond, kMinute, 5 * kMinute, 15 * kMinute, kHour, 6 * kHour, kDay, 7 * kDay},
      1e3};
}

}  // namespace spate::metrics
