// Cluster operation through real Coordinators against a real etcd 3.4 on
// loopback: leadership hand-overs (balancing, drain, undrain) and the
// replacement of a dead replica, carried out by etcd transactions.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "cluster/coordinator.h"
#include "cluster/membership.h"
#include "cluster/tests/etcd_process.h"

namespace spate::cluster {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

constexpr int kShards = 4;

// One node: its membership and coordinator (no registry: the test owns the
// stream records in etcd).
struct Node {
  std::unique_ptr<Membership> membership;
  std::unique_ptr<Coordinator> coordinator;
};

class CoordinatorOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(etcd_.Start(), "");
    auto c = EtcdClient::Create(EtcdOptions{{etcd_.endpoint()}, 2000, 500});
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
  }
  void TearDown() override {
    for (auto& [id, n] : nodes_) {
      n.coordinator->Stop();
      n.membership->Stop();
    }
  }

  Node& StartNode(const std::string& id, int64_t replace_grace_ms = 0) {
    MembershipOptions m;
    m.node_id = id;
    m.advertise = "127.0.0.1:1";
    m.version = "test";
    m.lease.ttl_s = 2;
    m.lease.keep_alive_ms = 300;
    Node& n = nodes_[id];
    n.membership = std::make_unique<Membership>(client_.get(), m, util::SystemClock());
    EXPECT_TRUE(n.membership->Start().ok());
    CoordinatorOptions o;
    o.node_id = id;
    o.replication_factor = 3;
    o.tick_ms = 50;
    o.standby_claim_delay_ms = 300;
    o.settle_ms = 0;
    o.max_moves_per_s = 20;
    o.replace_grace_ms = replace_grace_ms;
    n.coordinator = std::make_unique<Coordinator>(client_.get(), n.membership.get(), o);
    EXPECT_TRUE(n.coordinator->Start().ok());
    return n;
  }
  void StopNode(const std::string& id) {
    nodes_[id].coordinator->Stop();
    nodes_[id].membership->Stop();
    nodes_.erase(id);
  }

  // A stream record with kShards shards, each held by `replicas`.
  void PublishStream(const std::vector<std::string>& replicas) {
    metadata::StreamMeta meta;
    meta.account = "000000000000";
    meta.region = "us-east-1";
    meta.name = "s";
    meta.storage_group = "g";
    std::map<std::string, std::vector<std::string>> by_shard;
    for (int i = 0; i < kShards; ++i) by_shard[Shard(i)] = replicas;
    ASSERT_TRUE(client_->Put(StreamRecordKey(meta), EncodeStreamRecord(meta, by_shard)).ok());
  }
  static std::string Shard(int i) {
    std::string n = std::to_string(i);
    return "shardId-" + std::string(12 - n.size(), '0') + n;
  }
  static std::string Key(int i) { return ShardKey("000000000000", "us-east-1", "s", Shard(i)); }

  // Leaderships per node, from etcd itself.
  std::map<std::string, int> Leaders() {
    std::map<std::string, int> out;
    auto r = client_->RangePrefix(kLeadersPrefix);
    if (r.ok()) {
      for (const KeyValue& kv : r->kvs) ++out[kv.value];
    }
    return out;
  }

  testing::EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> client_;
  std::map<std::string, Node> nodes_;
};

TEST_F(CoordinatorOpsTest, ANodeThatJoinsGetsItsShareAndItStaysPut) {
  PublishStream({"n1", "n2"});
  StartNode("n1");
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] == kShards; }, 5000ms));
  Node& n2 = StartNode("n2");
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] == 2 && Leaders()["n2"] == 2; }, 8000ms))
      << "n1 " << Leaders()["n1"] << " n2 " << Leaders()["n2"];
  // Settled: the epochs stay as they are (no leadership moves back and forth).
  auto before = client_->RangePrefix(kLeadersPrefix);
  ASSERT_TRUE(before.ok());
  std::this_thread::sleep_for(1000ms);  // several ticks of both nodes, to show nothing moves
  auto after = client_->RangePrefix(kLeadersPrefix);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(before->kvs.size(), after->kvs.size());
  for (size_t i = 0; i < before->kvs.size(); ++i)
    EXPECT_EQ(before->kvs[i].create_revision, after->kvs[i].create_revision);
  // No hand-over marks are left behind.
  auto marks = client_->RangePrefix(kHandoffsPrefix);
  ASSERT_TRUE(marks.ok());
  EXPECT_TRUE(marks->kvs.empty());
  ClusterState state = n2.coordinator->State();
  ASSERT_EQ(state.nodes.size(), 2u);
  EXPECT_EQ(state.nodes[0].leader_count + state.nodes[1].leader_count, static_cast<size_t>(kShards));
}

TEST_F(CoordinatorOpsTest, DrainMovesEveryLeadershipOffAndUndrainBringsItsShareBack) {
  PublishStream({"n1", "n2", "n3"});
  StartNode("n1");
  StartNode("n2");
  Node& n3 = StartNode("n3");
  ASSERT_TRUE(Eventually([&] { return Leaders().size() == 3; }, 8000ms));
  ASSERT_TRUE(n3.coordinator->Drain("n1").ok());  // any node may drain any node
  ASSERT_TRUE(
      Eventually([&] { return Leaders().count("n1") == 0 && Leaders()["n2"] + Leaders()["n3"] == kShards; }, 8000ms));
  ClusterState state = n3.coordinator->State();
  for (const auto& n : state.nodes) EXPECT_EQ(n.draining, n.id == "n1") << n.id;
  // A drained node claims nothing new while another replica can: n2 and n3 share all.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Leaders().count("n1"), 0u);
  ASSERT_TRUE(n3.coordinator->Undrain("n1").ok());
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] >= 1; }, 8000ms));
}

TEST_F(CoordinatorOpsTest, ADeadReplicaIsReplacedAfterTheGracePeriod) {
  PublishStream({"n1", "n2", "n3"});
  StartNode("n1", 300);
  StartNode("n2", 300);
  StartNode("n3", 300);
  StartNode("n4", 300);
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] + Leaders()["n2"] + Leaders()["n3"] == kShards; }, 8000ms));
  StopNode("n3");  // a clean stop revokes its lease: dead at once
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = client_->RangePrefix(kStreamsPrefix);
        if (!r.ok() || r->kvs.size() != 1) return false;
        auto rec = DecodeStreamRecord(r->kvs[0].value);
        if (!rec.ok()) return false;
        for (const auto& [shard, replicas] : rec->replicas) {
          if (replicas != std::vector<std::string>{"n1", "n2", "n4"}) return false;
        }
        return true;
      },
      8000ms));
  // The record's meta is kept byte for byte.
  auto r = client_->RangePrefix(kStreamsPrefix);
  ASSERT_TRUE(r.ok());
  auto rec = DecodeStreamRecord(r->kvs[0].value);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->meta.name, "s");
  EXPECT_EQ(rec->meta.storage_group, "g");
  // And the Placement every node serves says so.
  for (const auto& [id, n] : nodes_) {
    ASSERT_TRUE(Eventually(
        [&] {
          auto set = n.coordinator->ReplicasOf(Key(0));
          return set.has_value() && set->replicas == std::vector<std::string>{"n1", "n2", "n4"};
        },
        3000ms))
        << id;
  }
}

}  // namespace
}  // namespace spate::cluster
