#include "consumer/lease_coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "consumer/tests/fakes.h"

namespace spate::consumer {
namespace {

constexpr int64_t kFailoverMs = 10'000;

class LeaseCoordinatorTest : public ::testing::Test {
 protected:
  LeaseCoordinatorTest() : a_("A", &store_, &clock_, kFailoverMs), b_("B", &store_, &clock_, kFailoverMs) {}

  void AddShards(int n) {
    std::vector<Shard> shards;
    for (int i = 0; i < n; ++i) {
      Shard s;
      s.shard_id = "shardId-" + std::to_string(i);
      shards.push_back(s);
    }
    ASSERT_TRUE(a_.SyncShards(shards, std::string(kTrimHorizon)).ok());
  }
  static size_t Taken(LeaseCoordinator& w) {
    auto r = w.TakeLeases();
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value().size() : 0;
  }

  testing::MemoryLeaseStore store_;
  util::ManualClock clock_;
  LeaseCoordinator a_;
  LeaseCoordinator b_;
};

TEST_F(LeaseCoordinatorTest, SyncCreatesOneLeasePerShardOnceAndChildrenStartAtTrimHorizon) {
  std::vector<Shard> shards(3);
  shards[0].shard_id = "p";
  shards[1].shard_id = "c";
  shards[1].parent_shard_id = "p";
  shards[2].shard_id = "orphan";
  shards[2].parent_shard_id = "gone";
  ASSERT_TRUE(a_.SyncShards(shards, std::string(kLatest)).ok());
  ASSERT_TRUE(b_.SyncShards(shards, std::string(kLatest)).ok());  // already there: fine
  EXPECT_EQ(store_.List().value().size(), 3u);
  EXPECT_EQ(store_.Get("p").checkpoint, kLatest);
  EXPECT_EQ(store_.Get("c").checkpoint, kTrimHorizon);
  EXPECT_EQ(store_.Get("c").parent_shard_ids, std::vector<std::string>{"p"});
  EXPECT_EQ(store_.Get("orphan").checkpoint, kLatest);
}

TEST_F(LeaseCoordinatorTest, AloneAWorkerTakesEveryUnownedLease) {
  AddShards(4);
  EXPECT_EQ(Taken(a_), 4u);
  EXPECT_EQ(a_.Held().size(), 4u);
  EXPECT_EQ(store_.Get("shardId-0").owner, "A");
}

TEST_F(LeaseCoordinatorTest, TwoWorkersSplitFourShardsByStealing) {
  AddShards(4);
  EXPECT_EQ(Taken(a_), 4u);
  EXPECT_EQ(Taken(b_), 1u);  // steals one at a time from the busiest
  a_.RenewAll();
  EXPECT_EQ(Taken(b_), 1u);
  EXPECT_EQ(a_.RenewAll().size(), 1u);  // A learns of the second theft on renewal
  EXPECT_EQ(Taken(b_), 0u);             // fair: 2 and 2
  EXPECT_EQ(a_.Held().size(), 2u);
  EXPECT_EQ(b_.Held().size(), 2u);
}

TEST_F(LeaseCoordinatorTest, NoStealingWhenTheBusiestHoldsOnlyItsShare) {
  AddShards(3);
  EXPECT_EQ(Taken(a_), 3u);
  EXPECT_EQ(Taken(b_), 1u);
  a_.RenewAll();
  EXPECT_EQ(Taken(b_), 0u);  // A 2, B 1: share is 2, A is not above it
}

TEST_F(LeaseCoordinatorTest, LeaseOfADeadWorkerExpiresOnlyAfterTheFailoverTime) {
  AddShards(1);
  ASSERT_EQ(Taken(a_), 1u);
  // A dies (never renews). B's timer starts when it first sees the counter.
  EXPECT_EQ(Taken(b_), 0u);
  clock_.AdvanceMs(kFailoverMs - 1);
  EXPECT_EQ(Taken(b_), 0u);
  clock_.AdvanceMs(2);
  EXPECT_EQ(Taken(b_), 1u);
  EXPECT_EQ(store_.Get("shardId-0").owner, "B");
  EXPECT_EQ(a_.RenewAll(), std::vector<std::string>{"shardId-0"});  // a zombie A learns on its next renewal
}

TEST_F(LeaseCoordinatorTest, RenewalKeepsALeaseAliveForOthers) {
  AddShards(1);
  ASSERT_EQ(Taken(a_), 1u);
  ASSERT_EQ(Taken(b_), 0u);
  for (int i = 0; i < 5; ++i) {
    clock_.AdvanceMs(kFailoverMs / 3);
    EXPECT_TRUE(a_.RenewAll().empty());
    EXPECT_EQ(Taken(b_), 0u);
  }
}

TEST_F(LeaseCoordinatorTest, FinishedLeasesAreNeitherTakenNorCounted) {
  AddShards(3);
  ASSERT_EQ(Taken(a_), 3u);
  ASSERT_TRUE(a_.Checkpoint("shardId-0", std::string(kShardEnd), 0).ok());
  ASSERT_TRUE(a_.Release("shardId-0").ok());
  EXPECT_EQ(Taken(b_), 1u);  // 2 unfinished leases, 2 workers: B steals one of A's, never the finished one
  EXPECT_EQ(store_.Get("shardId-0").owner, "");
}

TEST_F(LeaseCoordinatorTest, CheckpointAfterTheftIsLeaseLostAndWritesNothing) {
  AddShards(1);
  ASSERT_EQ(Taken(a_), 1u);
  clock_.AdvanceMs(kFailoverMs + 1);
  ASSERT_EQ(Taken(b_), 0u);  // first sighting of the counter starts B's failover timer
  clock_.AdvanceMs(kFailoverMs + 1);
  ASSERT_EQ(Taken(b_), 1u);
  auto r = a_.Checkpoint("shardId-0", "123", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "LeaseLost");
  EXPECT_FALSE(a_.Holds("shardId-0"));
  EXPECT_EQ(store_.Get("shardId-0").checkpoint, kTrimHorizon);
  EXPECT_EQ(store_.Get("shardId-0").owner, "B");
}

TEST_F(LeaseCoordinatorTest, ReleasedLeaseIsTakenAtOnce) {
  AddShards(1);
  ASSERT_EQ(Taken(a_), 1u);
  ASSERT_TRUE(a_.Release("shardId-0").ok());
  EXPECT_EQ(Taken(b_), 1u);  // no failover wait
}

TEST_F(LeaseCoordinatorTest, ParentsFinishedOnlyAtShardEnd) {
  std::vector<Shard> shards(2);
  shards[0].shard_id = "p";
  shards[1].shard_id = "c";
  shards[1].parent_shard_id = "p";
  ASSERT_TRUE(a_.SyncShards(shards, std::string(kTrimHorizon)).ok());
  LeaseRecord child = store_.Get("c");
  EXPECT_FALSE(a_.ParentsFinished(child));
  ASSERT_EQ(Taken(a_), 2u);
  ASSERT_TRUE(a_.Checkpoint("p", "500", 0).ok());
  EXPECT_FALSE(a_.ParentsFinished(child));
  ASSERT_TRUE(a_.Checkpoint("p", std::string(kShardEnd), 0).ok());
  EXPECT_TRUE(a_.ParentsFinished(child));
}

// A merge: p1 + p2 -> c (as ListShards answers it).
std::vector<Shard> Merge() {
  std::vector<Shard> shards(3);
  shards[0].shard_id = "p1";
  shards[1].shard_id = "p2";
  shards[2].shard_id = "c";
  shards[2].parent_shard_id = "p1";
  shards[2].adjacent_parent_shard_id = "p2";
  return shards;
}

TEST_F(LeaseCoordinatorTest, CleanupKeepsAFinishedParentUntilEveryChildHasACheckpoint) {
  const std::vector<Shard> shards = Merge();
  ASSERT_TRUE(a_.SyncShards(shards, std::string(kTrimHorizon)).ok());
  ASSERT_EQ(Taken(a_), 3u);
  ASSERT_TRUE(a_.Checkpoint("p1", std::string(kShardEnd), 0).ok());
  EXPECT_TRUE(a_.CleanUpFinished(shards).empty());  // the child has not started
  ASSERT_TRUE(a_.Checkpoint("c", "700", 0).ok());
  ASSERT_TRUE(a_.Refresh().ok());
  EXPECT_EQ(a_.CleanUpFinished(shards), std::vector<std::string>{"p1"});  // p2 is not finished: kept
  EXPECT_FALSE(store_.Has("p1"));
  EXPECT_TRUE(store_.Has("p2"));
  EXPECT_TRUE(store_.Has("c"));
}

TEST_F(LeaseCoordinatorTest, CleanedUpParentIsNotLeasedAgainAndCountsAsFinished) {
  const std::vector<Shard> shards = Merge();
  ASSERT_TRUE(a_.SyncShards(shards, std::string(kTrimHorizon)).ok());
  ASSERT_EQ(Taken(a_), 3u);
  ASSERT_TRUE(a_.Checkpoint("p1", std::string(kShardEnd), 0).ok());
  ASSERT_TRUE(a_.Checkpoint("p2", std::string(kShardEnd), 0).ok());
  ASSERT_TRUE(a_.Checkpoint("c", "700", 0).ok());
  ASSERT_TRUE(a_.Refresh().ok());
  ASSERT_EQ(a_.CleanUpFinished(shards).size(), 2u);
  ASSERT_TRUE(b_.SyncShards(shards, std::string(kTrimHorizon)).ok());  // p1, p2 still listed
  EXPECT_FALSE(store_.Has("p1"));
  EXPECT_FALSE(store_.Has("p2"));
  EXPECT_TRUE(b_.ParentsFinished(store_.Get("c")));
}

TEST_F(LeaseCoordinatorTest, CleanupDeletesAFinishedLeaseWhoseShardLeftTheStreamOnly) {
  AddShards(2);
  ASSERT_EQ(Taken(a_), 2u);
  ASSERT_TRUE(a_.Checkpoint("shardId-0", std::string(kShardEnd), 0).ok());
  EXPECT_EQ(a_.CleanUpFinished({}), std::vector<std::string>{"shardId-0"});  // neither listed; 1 unfinished
  EXPECT_TRUE(store_.Has("shardId-1"));
}

TEST_F(LeaseCoordinatorTest, CleanupSkipsALeaseChangedSinceTheListing) {
  AddShards(1);
  ASSERT_EQ(Taken(a_), 1u);
  ASSERT_TRUE(a_.Checkpoint("shardId-0", std::string(kShardEnd), 0).ok());
  ASSERT_TRUE(b_.Refresh().ok());
  ASSERT_TRUE(a_.Release("shardId-0").ok());  // the counter moves after B's listing
  EXPECT_TRUE(b_.CleanUpFinished({}).empty());
  EXPECT_TRUE(store_.Has("shardId-0"));
}

}  // namespace
}  // namespace spate::consumer
