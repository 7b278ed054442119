// ShardLeaders against a real etcd 3.4 on loopback.

#include "cluster/shard_leaders.h"

#include <gtest/gtest.h>

#include "cluster/tests/etcd_process.h"

namespace spate::cluster {
namespace {

class ShardLeadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(etcd_.Start(), "");
    auto c = EtcdClient::Create(EtcdOptions{{etcd_.endpoint()}, 2000, 500});
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
  }
  int64_t Lease() {
    auto l = client_->GrantLease(30);
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->id : 0;
  }

  testing::EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> client_;
  const std::string shard_ = ShardKey("000000000000", "us-east-1", "s", "shardId-000000000000");
};

TEST_F(ShardLeadersTest, ShardKeyNamesAccountRegionStreamAndShard) {
  EXPECT_EQ(shard_, "000000000000/us-east-1/s/shardId-000000000000");
}

TEST_F(ShardLeadersTest, FirstClaimWinsAndItsRevisionIsTheEpoch) {
  ShardLeaders leaders(client_.get());
  auto none = leaders.Leader(shard_);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  int64_t l1 = Lease(), l2 = Lease();
  auto won = leaders.Claim(shard_, "n1", l1);
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_EQ(won->node_id, "n1");
  EXPECT_GT(won->epoch, 0);
  auto lost = leaders.Claim(shard_, "n2", l2);
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ(lost->node_id, "n1");
  EXPECT_EQ(lost->epoch, won->epoch);
  EXPECT_EQ(lost->lease, l1);
  auto again = leaders.Claim(shard_, "n1", l1);  // claiming what one holds changes nothing
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->epoch, won->epoch);
}

TEST_F(ShardLeadersTest, LeadershipGoesWithTheLeasesAndTheNextEpochIsHigher) {
  ShardLeaders leaders(client_.get());
  int64_t l1 = Lease(), l2 = Lease();
  auto first = leaders.Claim(shard_, "n1", l1);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(client_->RevokeLease(l1).ok());  // n1 dies: its lease goes
  auto vacant = leaders.Leader(shard_);
  ASSERT_TRUE(vacant.ok());
  EXPECT_FALSE(vacant->has_value());
  auto second = leaders.Claim(shard_, "n2", l2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->node_id, "n2");
  EXPECT_GT(second->epoch, first->epoch);
}

TEST_F(ShardLeadersTest, ReleaseOnlyAtTheLeadershipsOwnEpoch) {
  ShardLeaders leaders(client_.get());
  int64_t l1 = Lease(), l2 = Lease();
  auto first = leaders.Claim(shard_, "n1", l1);
  ASSERT_TRUE(first.ok());
  auto released = leaders.Release(shard_, first->epoch);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  auto second = leaders.Claim(shard_, "n2", l2);
  ASSERT_TRUE(second.ok());
  auto stale = leaders.Release(shard_, first->epoch);  // n1's old epoch cannot evict n2
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  auto now = leaders.Leader(shard_);
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(now->has_value());
  EXPECT_EQ((*now)->node_id, "n2");
}

}  // namespace
}  // namespace spate::cluster
