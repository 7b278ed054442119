// The SpateCluster_20261207 operations' shapes: DescribeCluster's answer and
// the model's validation of the drain inputs. (The operations against a
// cluster: coordinator_ops_test.cc and tests/integration/test_cluster.py.)

#include "cluster/admin_service.h"

#include <gtest/gtest.h>

#include "protocol/json_codec.h"

namespace spate::cluster {
namespace {

Status Validate(std::string_view op, std::string_view json) {
  auto v = protocol::ParseJson(json);
  EXPECT_TRUE(v.ok());
  const auto& model = protocol::ServiceModel::SpateCluster();
  const protocol::OperationInfo* info = model.FindOperation(op);
  EXPECT_NE(info, nullptr) << op;
  if (info == nullptr) return Status(ErrorCode::kInternal, "no such operation");
  return model.ValidateInput(*info, &*v, protocol::WireFormat::kJson);
}

TEST(AdminServiceTest, TheModelNamesItsOperationsUnderItsOwnPrefix) {
  const auto& model = protocol::ServiceModel::SpateCluster();
  EXPECT_EQ(model.target_prefix(), "SpateCluster_20261207");
  EXPECT_EQ(model.endpoint_prefix(), "kinesis");
  EXPECT_EQ(protocol::ServiceModel::ForTargetPrefix("SpateCluster_20261207"), &model);
  AdminService service(nullptr);
  for (std::string_view op : {"DescribeCluster", "DrainNode", "UndrainNode"}) {
    ASSERT_NE(model.FindOperation(op), nullptr) << op;
    EXPECT_TRUE(service.Serves(*model.FindOperation(op))) << op;
  }
}

TEST(AdminServiceTest, DrainInputsAreValidated) {
  EXPECT_TRUE(Validate("DrainNode", R"({"NodeId":"n-1.a_b"})").ok());
  EXPECT_TRUE(Validate("DescribeCluster", "{}").ok());
  EXPECT_FALSE(Validate("DrainNode", "{}").ok());
  EXPECT_FALSE(Validate("DrainNode", R"({"NodeId":""})").ok());
  EXPECT_FALSE(Validate("UndrainNode", R"({"NodeId":"a/b"})").ok());
}

TEST(AdminServiceTest, DescribeClusterListsNodesAndShards) {
  ClusterState state;
  state.self = "n2";
  state.catalog_owner = "n1";
  state.revision = 42;
  state.nodes.push_back({"n1", "127.0.0.1:4001", true, true, 0});
  state.nodes.push_back({"n2", "127.0.0.1:4002", true, false, 1});
  state.nodes.push_back({"n3", "", false, false, 0});
  ClusterState::Shard led;
  led.shard_key = "000000000000/us-east-1/orders/shardId-000000000001";
  led.leader = "n2";
  led.epoch = 17;
  led.replicas = {"n2", "n1", "n3"};
  led.has_progress = true;
  led.leader_end = 5000;
  led.committed_end = 4096;
  led.reported_at_ms = 1'700'000'000'000;
  led.follower_durable_end = {{"n1", 4096}, {"n3", 6000}};
  ClusterState::Shard moving;
  moving.shard_key = "000000000000/us-east-1/orders/shardId-000000000002";
  moving.replicas = {"n1", "n2"};
  moving.handoff_to = "n2";
  state.shards = {led, moving};

  protocol::Value out = DescribeClusterOutput(state);
  EXPECT_EQ(out.GetString("Self"), "n2");
  EXPECT_EQ(out.GetString("CatalogOwner"), "n1");
  EXPECT_EQ(out.Find("Revision")->as_int(), 42);
  const auto& nodes = out.Find("Nodes")->as_array();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].GetString("Address"), "127.0.0.1:4001");
  EXPECT_TRUE(nodes[0].Find("Draining")->as_bool());
  EXPECT_EQ(nodes[1].Find("LeaderCount")->as_int(), 1);
  EXPECT_FALSE(nodes[2].Find("Alive")->as_bool());
  EXPECT_EQ(nodes[2].Find("Address"), nullptr);
  const auto& shards = out.Find("Shards")->as_array();
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0].GetString("AccountId"), "000000000000");
  EXPECT_EQ(shards[0].GetString("Region"), "us-east-1");
  EXPECT_EQ(shards[0].GetString("StreamName"), "orders");
  EXPECT_EQ(shards[0].GetString("ShardId"), "shardId-000000000001");
  EXPECT_EQ(shards[0].GetString("Leader"), "n2");
  EXPECT_EQ(shards[0].Find("LeaderEpoch")->as_int(), 17);
  EXPECT_EQ(shards[0].Find("Replicas")->as_array().size(), 3u);
  EXPECT_EQ(shards[0].Find("LeaderEnd")->as_int(), 5000);
  EXPECT_EQ(shards[0].Find("CommittedEnd")->as_int(), 4096);
  EXPECT_EQ(shards[0].Find("ProgressReportedAtMs")->as_int(), 1'700'000'000'000);
  const auto& ends = shards[0].Find("FollowerDurableEnd")->as_array();
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].GetString("NodeId"), "n1");
  EXPECT_EQ(ends[0].Find("DurableEnd")->as_int(), 4096);
  EXPECT_EQ(ends[0].Find("LagBytes")->as_int(), 5000 - 4096);
  // A report a moment older than the leader's end never shows a negative lag.
  EXPECT_EQ(ends[1].Find("LagBytes")->as_int(), 0);
  // A shard between leaders: no leader, the successor named.
  EXPECT_EQ(shards[1].Find("Leader"), nullptr);
  EXPECT_EQ(shards[1].GetString("HandoffTo"), "n2");
  EXPECT_EQ(shards[1].Find("FollowerDurableEnd"), nullptr);
  EXPECT_EQ(shards[1].Find("CommittedEnd"), nullptr);
}

}  // namespace
}  // namespace spate::cluster
