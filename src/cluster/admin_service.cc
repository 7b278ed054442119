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
    if (!s.leaving.empty()) v.Set("Leaving", StringList(s.leaving));
    if (!s.handoff_to.empty()) v.Set("HandoffTo", Value::String(s.handoff_to));
    if (s.has_progress) {
      v.Set("LeaderEnd", Value::Int(s.leader_end));
      v.Set("CommittedEnd", Value::Int(s.committed_end));
      v.Set("ProgressReportedAtMs", Value::Int(s.reported_at_ms));
      Value ends = Value::MakeArray();
      for (const auto& [node, end] : s.follower_durable_end) {
        Value e = Value::MakeObject();
        e.Set("NodeId", Value::String(node));
        e.Set("DurableEnd", Value::Int(end));
        e.Set("LagBytes", Value::Int(std::max<int64_t>(0, s.leader_end - end)));
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

AdminService::AdminService(Coordinator* coordinator) : coordinator_(coordinator), thread_([this] { Loop(); }) {}

AdminService::~AdminService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AdminService::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::function<void(bool)> job = std::move(queue_.front());
    queue_.pop_front();
    const bool run = !stopping_;
    lock.unlock();
    job(run);
    lock.lock();
  }
}

void AdminService::Invoke(const protocol::OperationInfo& op, service::Call call, Value input, service::Done done) {
  (void)call;
  // From the view: no etcd call, so on the calling thread.
  if (op.name() == "DescribeCluster") return done(DescribeClusterOutput(coordinator_->State()));
  std::string node_id(input.GetString("NodeId"));
  const bool drain = op.name() == "DrainNode";
  if (drain && !KnownNode(coordinator_->State(), node_id)) {
    return done(Status(ErrorCode::kNotFound, "no node " + node_id + " in the cluster"));
  }
  // The etcd write on this service's thread, never the transport's.
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_ || queue_.size() >= kMaxQueuedChanges) {
    lock.unlock();
    return done(Status(ErrorCode::kLimitExceeded, "too many drains and undrains under way; try again"));
  }
  queue_.push_back([this, drain, node_id = std::move(node_id), done = std::move(done)](bool run) {
    if (!run) return done(Status(ErrorCode::kUnavailable, "the server is stopping"));
    Status st = drain ? coordinator_->Drain(node_id) : coordinator_->Undrain(node_id);
    if (!st.ok()) return done(st);
    done(Value::MakeObject());
  });
  cv_.notify_one();
}

}  // namespace spate::cluster
