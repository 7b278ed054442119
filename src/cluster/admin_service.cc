#include "cluster/admin_service.h"

#include <algorithm>

#include "cluster/shard_leaders.h"
#include "model/types.h"

namespace spate::cluster {
namespace {

using protocol::Value;

Value StringList(const std::vector<std::string>& list) {
  Value out = Value::MakeArray();
  for (const std::string& s : list) out.Append(Value::String(s));
  return out;
}

bool KnownNode(const ClusterState& state, std::string_view node_id) {
  return std::any_of(state.nodes.begin(), state.nodes.end(), [&](const auto& n) { return n.id == node_id; });
}

}  // namespace

Value DescribeClusterOutput(const ClusterState& state) {
  Value out = Value::MakeObject();
  out.Set("Self", Value::String(state.self));
  if (!state.catalog_owner.empty()) out.Set("CatalogOwner", Value::String(state.catalog_owner));
  out.Set("Revision", Value::Int(state.revision));
  Value nodes = Value::MakeArray();
  for (const ClusterState::Node& n : state.nodes) {
    Value v = Value::MakeObject();
    v.Set("NodeId", Value::String(n.id));
    if (!n.address.empty()) v.Set("Address", Value::String(n.address));
    v.Set("Alive", Value::Bool(n.alive));
    v.Set("Draining", Value::Bool(n.draining));
    v.Set("LeaderCount", Value::Int(static_cast<int64_t>(n.leader_count)));
    nodes.Append(std::move(v));
  }
  out.Set("Nodes", std::move(nodes));
  Value shards = Value::MakeArray();
  for (const ClusterState::Shard& s : state.shards) {
    auto parts = ParseShardKey(s.shard_key);
    if (!parts) continue;  // not a shard key: nothing the answer could name
    Value v = Value::MakeObject();
    v.Set("AccountId", Value::String(parts->account));
    v.Set("Region", Value::String(parts->region));
    v.Set("StreamName", Value::String(parts->stream));
    v.Set("ShardId", Value::String(model::ShardIdName(parts->shard)));
    if (!s.leader.empty()) {
      v.Set("Leader", Value::String(s.leader));
      v.Set("LeaderEpoch", Value::Int(s.epoch));
    }
    v.Set("Replicas", StringList(s.replicas));
    if (!s.handoff_to.empty()) v.Set("HandoffTo", Value::String(s.handoff_to));
    if (!s.follower_durable_end.empty()) {
      Value ends = Value::MakeArray();
      for (const auto& [node, end] : s.follower_durable_end) {
        Value e = Value::MakeObject();
        e.Set("NodeId", Value::String(node));
        e.Set("DurableEnd", Value::Int(end));
        ends.Append(std::move(e));
      }
      v.Set("FollowerDurableEnd", std::move(ends));
    }
    shards.Append(std::move(v));
  }
  out.Set("Shards", std::move(shards));
  return out;
}

const protocol::ServiceModel& AdminService::model() const { return protocol::ServiceModel::SpateCluster(); }

bool AdminService::Serves(const protocol::OperationInfo& op) const {
  return op.name() == "DescribeCluster" || op.name() == "DrainNode" || op.name() == "UndrainNode";
}

void AdminService::Invoke(const protocol::OperationInfo& op, service::Call call, Value input, service::Done done) {
  (void)call;
  if (op.name() == "DescribeCluster") return done(DescribeClusterOutput(coordinator_->State()));
  std::string node_id(input.GetString("NodeId"));
  if (op.name() == "DrainNode") {
    if (!KnownNode(coordinator_->State(), node_id)) {
      return done(Status(ErrorCode::kNotFound, "no node " + node_id + " in the cluster"));
    }
    Status st = coordinator_->Drain(node_id);
    if (!st.ok()) return done(st);
    return done(Value::MakeObject());
  }
  Status st = coordinator_->Undrain(node_id);
  if (!st.ok()) return done(st);
  done(Value::MakeObject());
}

}  // namespace spate::cluster
