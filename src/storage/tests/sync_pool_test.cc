#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/group_commit.h"

namespace spate::storage {
namespace {

// Every index runs exactly once, whether there are fewer items than
// helpers, as many, or more.
TEST(SyncPoolTest, RunsEveryItemOnceForAnyCountOfItemsAndHelpers) {
  for (int threads : {0, 1, 3, 7}) {
    SyncPool pool(threads);
    for (size_t n : {0u, 1u, 2u, 3u, 7u, 8u, 9u, 40u}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](size_t i) { hits[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "threads " << threads << " n " << n << " i " << i;
    }
  }
}

// Back-to-back calls reuse the helpers: a helper still finishing call k must
// not take items of call k+1 or miss its wake-up (run under TSan in CI's
// tsan preset).
TEST(SyncPoolTest, ManyConsecutiveCallsEachSeeAllTheirItems) {
  SyncPool pool(3);
  std::atomic<uint64_t> sum{0};
  uint64_t want = 0;
  for (int round = 0; round < 5000; ++round) {
    size_t n = 1 + round % 6;
    pool.ParallelFor(n, [&](size_t i) { sum.fetch_add(i + 1); });
    want += n * (n + 1) / 2;
    ASSERT_EQ(sum.load(), want) << "round " << round;
  }
}

// Items really run side by side: with two items and a helper, both can be
// inside fn at once (each waits for the other).
TEST(SyncPoolTest, ItemsRunConcurrently) {
  SyncPool pool(1);
  std::atomic<int> inside{0};
  std::atomic<bool> met{false};
  pool.ParallelFor(2, [&](size_t) {
    inside.fetch_add(1);
    for (int spin = 0; spin < 2000000 && inside.load() < 2; ++spin) std::this_thread::yield();
    if (inside.load() == 2) met = true;
  });
  EXPECT_TRUE(met.load());
}

}  // namespace
}  // namespace spate::storage
