// Shard placement (PlaceReplicas), the stream record, and the Coordinator's
// leadership, catalog ownership and write gate against a real etcd 3.4.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "cluster/coordinator.h"
#include "cluster/membership.h"
#include "cluster/shared_catalog.h"
#include "cluster/tests/etcd_process.h"
#include "model/types.h"

namespace spate::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
  return out;
}

std::string Shard(int i) {
  return ShardKey("000000000000", "us-east-1", "s", model::ShardIdName(model::ShardIndex{static_cast<uint32_t>(i)}));
}

TEST(PlaceReplicasTest, SameSetWhateverTheOrderOfNodes) {
  std::vector<std::string> nodes = Nodes(5);
  std::vector<std::string> reversed(nodes.rbegin(), nodes.rend());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(PlaceReplicas(Shard(i), nodes, 3), PlaceReplicas(Shard(i), reversed, 3));
  }
}

TEST(PlaceReplicasTest, FewerNodesThanTheFactorPlacesOnAll) {
  auto got = PlaceReplicas(Shard(0), Nodes(2), 3);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), (std::set<std::string>{"n1", "n2"}));
  EXPECT_TRUE(PlaceReplicas(Shard(0), {}, 3).empty());
}

TEST(PlaceReplicasTest, DistinctReplicasInTheFactorsNumber) {
  for (int i = 0; i < 100; ++i) {
    auto got = PlaceReplicas(Shard(i), Nodes(5), 3);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 3u);
  }
}

TEST(PlaceReplicasTest, FirstReplicasAndReplicasSpreadEvenly) {
  constexpr int kShards = 3000;
  std::map<std::string, int> first, held;
  for (int i = 0; i < kShards; ++i) {
    auto got = PlaceReplicas(Shard(i), Nodes(5), 3);
    ++first[got[0]];
    for (const std::string& n : got) ++held[n];
  }
  // 600 first replicas and 1800 replicas per node on average; within 15%.
  for (const std::string& n : Nodes(5)) {
    EXPECT_NEAR(first[n], kShards / 5, kShards / 5 * 0.15) << n;
    EXPECT_NEAR(held[n], kShards * 3 / 5, kShards * 3 / 5 * 0.15) << n;
  }
}

TEST(PlaceReplicasTest, ALeavingNodeMovesOnlyTheShardsItHeld) {
  for (int i = 0; i < 500; ++i) {
    auto before = PlaceReplicas(Shard(i), Nodes(4), 1);
    auto after = PlaceReplicas(Shard(i), {"n1", "n2", "n3"}, 1);
    if (before[0] != "n4") {
      EXPECT_EQ(before, after) << Shard(i);
    }
  }
}

TEST(PlaceReplicasTest, FailoverOrderIsThePlacementWithoutTheDeadNode) {
  // The survivors keep their order: the next replica in line takes over.
  for (int i = 0; i < 100; ++i) {
    auto all = PlaceReplicas(Shard(i), Nodes(3), 3);
    std::vector<std::string> alive;
    for (const std::string& n : Nodes(3)) {
      if (n != all[0]) alive.push_back(n);
    }
    auto without = PlaceReplicas(Shard(i), alive, 3);
    EXPECT_EQ(without, std::vector<std::string>(all.begin() + 1, all.end()));
  }
}

TEST(StreamRecordTest, RoundTrips) {
  metadata::StreamMeta m;
  m.account = "000000000000";
  m.region = "us-east-1";
  m.name = "orders";
  m.storage_group = "g.1";
  metadata::ShardMeta s;
  s.index = model::ShardIndex{0};
  m.shards.push_back(s);
  m.next_shard_index = model::ShardIndex{1};
  std::string value = EncodeStreamRecord(m, {{"shardId-000000000000", {"n2", "n1"}}});
  auto back = DecodeStreamRecord(value);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->meta.name, "orders");
  EXPECT_EQ(back->meta.storage_group, "g.1");
  EXPECT_EQ(back->replicas.at("shardId-000000000000"), (std::vector<std::string>{"n2", "n1"}));
  EXPECT_EQ(StreamRecordKey(m), "/spate/streams/000000000000/us-east-1/orders");
  EXPECT_EQ(StreamRecordKeyOf(m.Key()), StreamRecordKey(m));
  EXPECT_FALSE(DecodeStreamRecord("{\"meta\": \"!!\"}").ok());
}

// Two nodes against one etcd: memberships and coordinators, no registry.
class CoordinatorTest : public ::testing::Test {
 protected:
  struct Node {
    std::unique_ptr<Membership> membership;
    std::unique_ptr<Coordinator> coordinator;
  };

  void SetUp() override {
    ASSERT_EQ(etcd_.Start(), "");
    auto c = EtcdClient::Create(EtcdOptions{{etcd_.endpoint()}, 2000, 500});
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
    stream_.account = "000000000000";
    stream_.region = "us-east-1";
    stream_.name = "s";
    stream_.storage_group = "g";
    metadata::ShardMeta s;
    s.index = model::ShardIndex{0};
    stream_.shards.push_back(s);
    stream_.next_shard_index = model::ShardIndex{1};
  }

  Node Start(const std::string& id, size_t replication_factor = 3) {
    MembershipOptions o;
    o.node_id = id;
    o.advertise = "127.0.0.1:1" + id.substr(1);
    o.version = "test";
    o.lease.ttl_s = 1;
    o.lease.keep_alive_ms = 200;
    Node n;
    n.membership = std::make_unique<Membership>(client_.get(), o, util::SystemClock());
    EXPECT_TRUE(n.membership->Start().ok());
    CoordinatorOptions c;
    c.node_id = id;
    c.standby_claim_delay_ms = 300;
    c.tick_ms = 50;
    c.replication_factor = replication_factor;
    n.coordinator = std::make_unique<Coordinator>(client_.get(), n.membership.get(), c);
    EXPECT_TRUE(n.coordinator->Start().ok());
    return n;
  }

  testing::EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> client_;
  metadata::StreamMeta stream_;
};

TEST_F(CoordinatorTest, TheFirstNodeOwnsTheCatalogAndAnotherTakesOverWhenItLeaves) {
  Node a = Start("n1");
  ASSERT_TRUE(Eventually([&] { return a.coordinator->OwnsCatalog(); }, 5s));
  Node b = Start("n2");
  ASSERT_TRUE(Eventually([&] { return b.coordinator->CatalogOwner() == std::optional<std::string>("n1"); }, 5s));
  EXPECT_FALSE(b.coordinator->OwnsCatalog());
  int64_t first = a.coordinator->OwnerEpoch();
  a.coordinator->Stop();
  a.membership->Stop();  // revokes the lease: the owner key goes now
  ASSERT_TRUE(Eventually([&] { return b.coordinator->OwnsCatalog(); }, 5s));
  EXPECT_GT(b.coordinator->OwnerEpoch(), first);
}

TEST_F(CoordinatorTest, OnlyTheOwnerPublishesStreamRecords) {
  Node a = Start("n1");
  ASSERT_TRUE(Eventually([&] { return a.coordinator->OwnsCatalog(); }, 5s));
  Node b = Start("n2");
  ASSERT_TRUE(Eventually([&] { return b.coordinator->LiveNodes().size() == 2; }, 5s));
  ASSERT_TRUE(Eventually([&] { return a.coordinator->LiveNodes().size() == 2; }, 5s));
  auto local_a = metadata::Catalog::Open(::testing::TempDir() + "/cat-a-" + std::to_string(::getpid()));
  auto local_b = metadata::Catalog::Open(::testing::TempDir() + "/cat-b-" + std::to_string(::getpid()));
  ASSERT_TRUE(local_a.ok() && local_b.ok());
  SharedCatalog on_a(local_a->get(), client_.get(), a.coordinator.get());
  SharedCatalog on_b(local_b->get(), client_.get(), b.coordinator.get());
  EXPECT_EQ(on_b.PutStream(stream_).code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(on_a.PutStream(stream_).ok());
  auto got = client_->Range(StreamRecordKey(stream_));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  auto rec = DecodeStreamRecord(got->kvs[0].value);
  ASSERT_TRUE(rec.ok());
  // Two live nodes, factor 3: both hold the shard, in placement order.
  EXPECT_EQ(rec->replicas.at("shardId-000000000000"), PlaceReplicas(Shard(0), {"n1", "n2"}, 3));
  // The token key is shared: the first writer's wins.
  ASSERT_TRUE(on_a.PutSetting("token-key", "first").ok());
  ASSERT_TRUE(on_b.PutSetting("token-key", "second").ok());
  EXPECT_EQ(on_b.GetSetting("token-key")->value_or(""), "first");
  ASSERT_TRUE(on_a.DeleteStream(stream_.Key()).ok());
  EXPECT_TRUE(client_->Range(StreamRecordKey(stream_))->kvs.empty());
}

TEST_F(CoordinatorTest, TheFirstReplicaLeadsAndTheNextTakesOverWithAHigherEpoch) {
  Node a = Start("n1");
  Node b = Start("n2");
  ASSERT_TRUE(Eventually([&] { return a.coordinator->LiveNodes().size() == 2; }, 5s));
  std::vector<std::string> order = PlaceReplicas(Shard(0), {"n1", "n2"}, 3);
  ASSERT_TRUE(
      client_->Put(StreamRecordKey(stream_), EncodeStreamRecord(stream_, {{"shardId-000000000000", order}})).ok());
  Node& first = order[0] == "n1" ? a : b;
  Node& second = order[0] == "n1" ? b : a;
  ASSERT_TRUE(Eventually([&] { return first.coordinator->Admit(stream_, model::ShardIndex{0}).ok(); }, 5s));
  auto epoch = first.coordinator->Admit(stream_, model::ShardIndex{0});
  ASSERT_TRUE(epoch.ok());
  EXPECT_TRUE(first.coordinator->StillHolds(*epoch));
  EXPECT_EQ(first.coordinator->LeaderOf(Shard(0)), std::optional<std::string>(order[0]));
  auto set = second.coordinator->ReplicasOf(Shard(0));
  ASSERT_TRUE(Eventually([&] { return second.coordinator->ReplicasOf(Shard(0)).has_value(); }, 5s));
  set = second.coordinator->ReplicasOf(Shard(0));
  EXPECT_EQ(set->leader, order[0]);
  EXPECT_EQ(set->epoch, *epoch);
  EXPECT_EQ(set->replicas, order);
  // Not the leader: refused, and an authority never admitted does not hold.
  EXPECT_EQ(second.coordinator->Admit(stream_, model::ShardIndex{0}).status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(second.coordinator->StillHolds(*epoch));

  first.coordinator->Stop();
  first.membership->Stop();
  EXPECT_FALSE(first.coordinator->StillHolds(*epoch));
  ASSERT_TRUE(Eventually([&] { return second.coordinator->Admit(stream_, model::ShardIndex{0}).ok(); }, 5s));
  auto next = second.coordinator->Admit(stream_, model::ShardIndex{0});
  EXPECT_GT(*next, *epoch);
}

TEST_F(CoordinatorTest, ANodeThatIsNoReplicaNeverLeads) {
  // Replication factor 1: the set {n2} is full (a shorter one would be
  // filled with n1, coordinator_ops_test.cc).
  Node a = Start("n1", 1);
  Node b = Start("n2", 1);
  ASSERT_TRUE(
      client_->Put(StreamRecordKey(stream_), EncodeStreamRecord(stream_, {{"shardId-000000000000", {"n2"}}})).ok());
  ASSERT_TRUE(Eventually([&] { return b.coordinator->Admit(stream_, model::ShardIndex{0}).ok(); }, 5s));
  b.coordinator->Stop();
  b.membership->Stop();
  // n1 holds no replica: the shard stays leaderless.
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(a.coordinator->Admit(stream_, model::ShardIndex{0}).ok());
  EXPECT_FALSE(a.coordinator->LeaderOf(Shard(0)).has_value());
}

}  // namespace
}  // namespace spate::cluster
