#include "metrics/metric.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace spate::metrics {
namespace {

TEST(CounterTest, StartsAtZeroAndAdds) {
  Counter c;
  EXPECT_EQ(c.Value(), 0u);
  c.Add();
  c.Add(41);
  EXPECT_EQ(c.Value(), 42u);
}

// Many threads (more than kShards, so shards are shared) add at once; no
// increment is lost.
TEST(CounterTest, ConcurrentAddsAreAllCounted) {
  Counter c;
  constexpr int kThreads = 3 * static_cast<int>(kShards);
  constexpr uint64_t kAdds = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (uint64_t i = 0; i < kAdds; ++i) c.Add(static_cast<uint64_t>(t % 3) + 1);
    });
  }
  for (auto& t : threads) t.join();
  // Thirds of the threads add 1, 2 and 3.
  EXPECT_EQ(c.Value(), kAdds * (kThreads / 3) * (1 + 2 + 3));
}

TEST(CounterTest, ShardsAreCacheLineApart) {
  EXPECT_GE(sizeof(Counter), kShards * kCacheLine);
  EXPECT_EQ(alignof(Counter), kCacheLine);
}

TEST(ThisThreadShardTest, StableWithinAThreadAndInRange) {
  size_t a = ThisThreadShard();
  EXPECT_LT(a, kShards);
  EXPECT_EQ(ThisThreadShard(), a);
  std::vector<size_t> seen(kShards, 0);
  std::vector<std::thread> threads;
  std::vector<size_t> got(kShards);
  for (size_t i = 0; i < kShards; ++i) threads.emplace_back([&got, i] { got[i] = ThisThreadShard(); });
  for (auto& t : threads) t.join();
  // Round-robin assignment: kShards consecutive new threads take distinct shards.
  for (size_t s : got) ++seen[s];
  for (size_t n : seen) EXPECT_EQ(n, 1u);
}

TEST(GaugeTest, SetAndAdd) {
  Gauge g;
  g.Set(10);
  g.Add(-15);
  EXPECT_EQ(g.Value(), -5);
}

TEST(HistogramTest, ObservationsLandInTheFirstBucketAtOrAboveThem) {
  Histogram h(Buckets{{10, 20, 40}, 1});
  for (uint64_t v : {0, 10, 11, 20, 21, 40, 41, 1000}) h.Observe(v);
  Histogram::Snapshot s = h.Read();
  ASSERT_EQ(s.counts.size(), 4u);
  EXPECT_EQ(s.counts[0], 2u);  // 0, 10 (le is inclusive)
  EXPECT_EQ(s.counts[1], 2u);  // 11, 20
  EXPECT_EQ(s.counts[2], 2u);  // 21, 40
  EXPECT_EQ(s.counts[3], 2u);  // +Inf: 41, 1000
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.sum, 0u + 10 + 11 + 20 + 21 + 40 + 41 + 1000);
}

TEST(HistogramTest, NoBoundsIsOnlyTheInfBucket) {
  Histogram h(Buckets{{}, 1});
  h.Observe(5);
  Histogram::Snapshot s = h.Read();
  ASSERT_EQ(s.counts.size(), 1u);
  EXPECT_EQ(s.counts[0], 1u);
}

TEST(HistogramTest, ConcurrentObservationsAreAllCounted) {
  Histogram h(LatencyMicrosBuckets());
  constexpr int kThreads = 12;
  constexpr uint64_t kObs = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h] {
      for (uint64_t i = 0; i < kObs; ++i) h.Observe(i % 2 == 0 ? 50 : 3'000);
    });
  }
  for (auto& t : threads) t.join();
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, kThreads * kObs);
  EXPECT_EQ(s.counts[0], kThreads * kObs / 2);  // <= 100 us
  EXPECT_EQ(s.counts[5], kThreads * kObs / 2);  // (2.5 ms, 5 ms]
  EXPECT_EQ(s.sum, kThreads * kObs / 2 * (50 + 3'000));
}

TEST(HistogramDeathTest, BoundsMustIncrease) { EXPECT_DEATH(Histogram(Buckets{{10, 10}, 1}), "increase"); }

TEST(BucketsTest, StandardBucketsIncrease) {
  for (const Buckets& b : {LatencyMicrosBuckets(), AgeMillisBuckets()}) {
    ASSERT_LE(b.bounds.size(), Histogram::kMaxBuckets);
    for (size_t i = 1; i < b.bounds.size(); ++i) EXPECT_LT(b.bounds[i - 1], b.bounds[i]);
  }
  EXPECT_EQ(AgeMillisBuckets().bounds.front(), 0u);  // "caught up" is a bucket of its own
}

}  // namespace
}  // namespace spate::metrics
