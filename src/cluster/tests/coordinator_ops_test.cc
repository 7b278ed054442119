// Cluster operation through real Coordinators against a real etcd 3.4 on
// loopback: leadership hand-overs (balancing, drain, undrain) and the
// replacement of a dead replica, carried out by etcd transactions.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
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

// A replication whose followers' positions the test sets: `behind[node]`
// bytes behind the committed end (absent: at it; negative: not streamed to).
struct Replication {
  std::mutex mu;
  int64_t end = 1000;
  std::map<std::string, int64_t> behind;  // guarded by mu

  void Set(const std::string& node, int64_t bytes) {
    std::lock_guard<std::mutex> l(mu);
    behind[node] = bytes;
  }
  int64_t Behind(const std::string& node) {
    std::lock_guard<std::mutex> l(mu);
    auto it = behind.find(node);
    return it != behind.end() ? it->second : 0;
  }
  ProgressSource For(const std::string& self) {
    return [this, self](std::string_view, const std::vector<std::string>& replicas) {
      std::lock_guard<std::mutex> l(mu);
      LeaderProgress p;
      p.end = end;
      p.committed = end;
      for (const std::string& r : replicas) {
        if (r == self) continue;
        auto it = behind.find(r);
        const int64_t b = it != behind.end() ? it->second : 0;
        if (b >= 0) p.followers[r] = end - b;
      }
      return std::optional<LeaderProgress>(p);
    };
  }
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

  // With `replication`, the node reports its progress from it, and a
  // successor must be at the committed end there (as spated wires them).
  Node& StartNode(const std::string& id, int64_t replace_grace_ms = 0, Replication* replication = nullptr) {
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
    o.progress_interval_ms = 100;
    o.max_replica_moves = max_replica_moves_;
    if (replication != nullptr) {
      o.successor_ready = [replication](std::string_view, std::string_view node) {
        return replication->Behind(std::string(node)) == 0;
      };
    }
    n.coordinator = std::make_unique<Coordinator>(client_.get(), n.membership.get(), o);
    if (replication != nullptr) n.coordinator->SetProgressSource(replication->For(id));
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

  // Replica moves to joining nodes (off unless a test is about them).
  size_t max_replica_moves_ = 0;
  // The tests' replication: outlives the nodes (stopped in TearDown).
  Replication replication_;
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

TEST_F(CoordinatorOpsTest, ADeadReplicaLeavesOnlyOnceItsReplacementIsCaughtUp) {
  PublishStream({"n1", "n2", "n3"});
  Replication& replication = replication_;
  replication.Set("n4", -1);  // not streamed to yet
  for (const char* id : {"n1", "n2", "n3", "n4"}) StartNode(id, 300, &replication);
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] + Leaders()["n2"] + Leaders()["n3"] == kShards; }, 8000ms));
  StopNode("n3");  // a clean stop revokes its lease: dead at once
  auto record = [&]() -> std::optional<StreamRecord> {
    auto r = client_->RangePrefix(kStreamsPrefix);
    if (!r.ok() || r->kvs.size() != 1) return std::nullopt;
    auto rec = DecodeStreamRecord(r->kvs[0].value);
    if (!rec.ok()) return std::nullopt;
    return std::move(rec).value();
  };
  const std::vector<std::string> joint{"n1", "n2", "n3", "n4"};
  // First n4 joins every set while n3 is on its way out.
  ASSERT_TRUE(Eventually(
      [&] {
        auto rec = record();
        if (!rec) return false;
        for (const auto& [shard, replicas] : rec->replicas) {
          if (replicas != joint || rec->leaving[shard] != std::vector<std::string>{"n3"}) return false;
        }
        return true;
      },
      8000ms));
  // n3 stays while the leaders do not report n4 streaming, then while it is behind.
  std::this_thread::sleep_for(600ms);  // several owner passes and progress reports
  ASSERT_TRUE(record().has_value());
  EXPECT_EQ(record()->replicas.begin()->second, joint);
  replication.Set("n4", 100);
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(record()->replicas.begin()->second, joint);
  EXPECT_FALSE(record()->leaving.empty());
  // Caught up: n3 leaves every set.
  replication.Set("n4", 0);
  ASSERT_TRUE(Eventually(
      [&] {
        auto rec = record();
        if (!rec || !rec->leaving.empty()) return false;
        for (const auto& [shard, replicas] : rec->replicas) {
          if (replicas != std::vector<std::string>{"n1", "n2", "n4"}) return false;
        }
        return true;
      },
      8000ms));
  // The record's meta is kept byte for byte.
  auto rec = record();
  ASSERT_TRUE(rec.has_value());
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

TEST_F(CoordinatorOpsTest, ANodeThatJoinsFullSetsGetsAShareOfReplicas) {
  // Many shards, so that rendezvous placement over four nodes gives n4 some.
  metadata::StreamMeta meta;
  meta.account = "000000000000";
  meta.region = "us-east-1";
  meta.name = "wide";
  meta.storage_group = "g";
  constexpr int kWide = 12;
  std::map<std::string, std::vector<std::string>> by_shard;
  for (int i = 0; i < kWide; ++i) by_shard[Shard(i)] = {"n1", "n2", "n3"};
  ASSERT_TRUE(client_->Put(StreamRecordKey(meta), EncodeStreamRecord(meta, by_shard)).ok());
  Replication& replication = replication_;
  max_replica_moves_ = 2;
  for (const char* id : {"n1", "n2", "n3"}) StartNode(id, 0, &replication);
  ASSERT_TRUE(Eventually([&] { return Leaders().size() == 3; }, 8000ms));
  StartNode("n4", 0, &replication);
  std::set<std::string> want;  // the shards placement gives n4
  for (int i = 0; i < kWide; ++i) {
    auto ideal = PlaceReplicas(ShardKey("000000000000", "us-east-1", "wide", Shard(i)), {"n1", "n2", "n3", "n4"}, 3);
    if (std::find(ideal.begin(), ideal.end(), "n4") != ideal.end()) want.insert(Shard(i));
  }
  ASSERT_FALSE(want.empty());
  size_t most_under_way = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = client_->Range(StreamRecordKey(meta));
        if (!r.ok() || r->kvs.empty()) return false;
        auto rec = DecodeStreamRecord(r->kvs[0].value);
        if (!rec.ok()) return false;
        size_t under_way = 0;
        for (const auto& [shard, nodes] : rec->leaving) under_way += nodes.empty() ? 0 : 1;
        most_under_way = std::max(most_under_way, under_way);
        if (under_way != 0) return false;
        std::set<std::string> on_n4;
        for (const auto& [shard, replicas] : rec->replicas) {
          EXPECT_EQ(replicas.size(), 3u) << shard;
          if (std::find(replicas.begin(), replicas.end(), "n4") != replicas.end()) on_n4.insert(shard);
        }
        return on_n4 == want;
      },
      20000ms));
  // Bounded: never more than max_replica_moves (2) under way at once.
  EXPECT_LE(most_under_way, 2u);
}

TEST_F(CoordinatorOpsTest, EveryNodeShowsTheLagOfEveryShardFromTheLeadersReports) {
  PublishStream({"n1", "n2", "n3"});
  Replication& replication = replication_;
  replication.Set("n1", 10);
  replication.Set("n2", 20);
  replication.Set("n3", 30);
  for (const char* id : {"n1", "n2", "n3"}) StartNode(id, 0, &replication);
  // (No follower is at the committed end, so no leadership is handed over.)
  ASSERT_TRUE(Eventually([&] { return Leaders()["n1"] + Leaders()["n2"] + Leaders()["n3"] == kShards; }, 8000ms));
  // Whichever node answers, every shard carries its leader's report, with
  // the epoch of the leadership in force.
  auto all_reported = [&](const std::string& node, int64_t end) {
    ClusterState state = nodes_[node].coordinator->State();
    if (state.shards.size() != static_cast<size_t>(kShards)) return false;
    for (const ClusterState::Shard& s : state.shards) {
      if (!s.has_progress || s.leader_end != end || s.committed_end != end) return false;
      if (s.follower_durable_end.size() != 2 || s.follower_durable_end.count(s.leader) != 0) return false;
      for (const auto& [node, durable] : s.follower_durable_end) {
        if (durable != end - replication.Behind(node)) return false;
      }
      if (s.reported_at_ms <= 0) return false;
    }
    return true;
  };
  for (const char* id : {"n1", "n2", "n3"})
    ASSERT_TRUE(Eventually([&] { return all_reported(id, 1000); }, 5000ms)) << id;
  // A change is published within the interval (100 ms here).
  {
    std::lock_guard<std::mutex> l(replication.mu);
    replication.end = 5000;
  }
  for (const char* id : {"n1", "n2", "n3"})
    ASSERT_TRUE(Eventually([&] { return all_reported(id, 5000); }, 5000ms)) << id;
  // Reports stop being written while nothing changes: once the leaderships
  // settle, the key's version stays put over three intervals.
  auto version = [&](const std::string& id) {
    auto r = client_->Range(std::string(kProgressPrefix) + id);
    return r.ok() && !r->kvs.empty() ? r->kvs[0].version : -1;
  };
  EXPECT_TRUE(Eventually(
      [&] {
        const int64_t v = version("n1");
        std::this_thread::sleep_for(300ms);
        return v > 0 && version("n1") == v;
      },
      5000ms));
  // A stopped node's report goes with its lease.
  StopNode("n3");
  ASSERT_TRUE(Eventually([&] { return version("n3") == -1; }, 3000ms));
}

}  // namespace
}  // namespace spate::cluster
