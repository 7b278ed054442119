// Cluster operation, the Coordinator's part: leadership balancing, drains,
// replacement of dead replicas, and the state `spate cluster status` shows
// (docs/formats/cluster-protocol.md, "Balancing, drain and replacement").
// The decisions are balancer.h's; this file reads the view for them and
// carries them out by etcd transactions.

#include <algorithm>
#include <chrono>
#include <limits>

#include "base/log.h"
#include "cluster/coordinator.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

namespace spate::cluster {
namespace {

using protocol::Value;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The stream record `value` with its replicas replaced; every other member
// (the meta bytes, members a later version adds) kept as it is.
Result<std::string> WithReplicas(std::string_view value,
                                 const std::map<std::string, std::vector<std::string>>& replicas) {
  SPATE_ASSIGN_OR_RETURN(Value v, protocol::ParseJson(value));
  if (!v.is_object()) return Status(ErrorCode::kCorruption, "a stream record is not a JSON object");
  Value map = Value::MakeObject();
  for (const auto& [shard_id, nodes] : replicas) {
    Value list = Value::MakeArray();
    for (const std::string& n : nodes) list.Append(Value::String(n));
    map.Set(shard_id, std::move(list));
  }
  v.Set("replicas", std::move(map));
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

std::string Joined(const std::vector<std::string>& nodes) {
  std::string out = "[";
  for (const std::string& n : nodes) out.append(out.size() > 1 ? "," : "").append(n);
  return out + "]";
}

std::string NodeIdOf(std::string_view key, std::string_view prefix) { return std::string(key.substr(prefix.size())); }

}  // namespace

Status Coordinator::Drain(std::string_view node_id) const {
  Value mark = Value::MakeObject();
  mark.Set("by", Value::String(options_.node_id));
  std::string value;
  protocol::WriteJson(mark, &value);
  SPATE_ASSIGN_OR_RETURN(int64_t revision, etcd_->Put(std::string(kDrainPrefix) + std::string(node_id), value));
  (void)revision;
  return Status::Ok();
}

Status Coordinator::Undrain(std::string_view node_id) const {
  SPATE_ASSIGN_OR_RETURN(int64_t revision, etcd_->Delete(std::string(kDrainPrefix) + std::string(node_id)));
  (void)revision;
  return Status::Ok();
}

size_t Coordinator::ClaimRankOf(const std::string& shard_key, const std::vector<std::string>& replicas,
                                const std::set<std::string>& live) const {
  ShardView shard;
  shard.shard_key = shard_key;
  shard.replicas = replicas;
  if (auto h = view_.Get(std::string(kHandoffsPrefix) + shard_key); h.has_value()) shard.handoff_to = h->value;
  std::set<std::string> draining;
  for (const KeyValue& kv : view_.List(kDrainPrefix)) draining.insert(NodeIdOf(kv.key, kDrainPrefix));
  return ClaimRank(shard, options_.node_id, live, draining);
}

BalanceInput Coordinator::BalanceSnapshot(const ReplicaMap& replicas) {
  BalanceInput in;
  in.self = options_.node_id;
  const int64_t now = NowMs();
  std::map<std::string, int64_t> still_live;
  for (const std::string& n : LiveNodes()) {
    in.live.insert(n);
    auto it = live_since_.find(n);
    int64_t since = it != live_since_.end() ? it->second : now;
    still_live[n] = since;
    if (now - since >= options_.settle_ms) in.settled.insert(n);
  }
  live_since_ = std::move(still_live);
  for (const KeyValue& kv : view_.List(kDrainPrefix)) in.draining.insert(NodeIdOf(kv.key, kDrainPrefix));
  for (const auto& [shard_key, nodes] : replicas) {
    ShardView s;
    s.shard_key = shard_key;
    s.replicas = nodes;
    if (auto l = view_.Get(std::string(kLeadersPrefix) + shard_key); l.has_value()) {
      s.leader = l->value;
      s.epoch = l->create_revision;
    } else if (auto h = view_.Get(std::string(kHandoffsPrefix) + shard_key); h.has_value()) {
      s.handoff_to = h->value;
    }
    in.shards.push_back(std::move(s));
  }
  return in;
}

void Coordinator::Operate(const ReplicaMap& replicas) {
  const int64_t now = NowMs();
  if (tokens_at_ms_ != 0) {
    const double burst = std::max(1.0, options_.max_moves_per_s);
    move_tokens_ =
        std::min(burst, move_tokens_ + options_.max_moves_per_s * static_cast<double>(now - tokens_at_ms_) / 1000.0);
  }
  tokens_at_ms_ = now;
  BalanceInput in = BalanceSnapshot(replicas);
  const size_t allowed = static_cast<size_t>(move_tokens_);
  std::vector<Handoff> moves = PlanHandoffs(in, allowed, options_.successor_ready);
  move_tokens_ -= static_cast<double>(moves.size());
  HandOver(moves);
  if (OwnsCatalog()) ReplaceDeadReplicas(in.live);
  DropFinishedHandoffs();
}

void Coordinator::HandOver(const std::vector<Handoff>& moves) {
  for (const Handoff& m : moves) {
    // The successor's lease, read from its node key: the hand-over mark goes
    // with it, so a successor that dies leaves the shard to the usual claims.
    auto node = view_.Get(std::string(kNodesPrefix) + m.successor);
    if (!node.has_value() || node->lease == 0) continue;
    std::string leader_key = std::string(kLeadersPrefix) + m.shard_key;
    std::string node_key = std::string(kNodesPrefix) + m.successor;
    std::vector<Compare> guard{
        {leader_key, Compare::Target::kCreateRevision, Compare::Op::kEqual, m.epoch, {}},
        {node_key, Compare::Target::kLease, Compare::Op::kEqual, node->lease, {}},
    };
    auto txn = etcd_->Txn(
        guard,
        {TxnOp::Delete(leader_key), TxnOp::Put(std::string(kHandoffsPrefix) + m.shard_key, m.successor, node->lease)},
        {});
    if (!txn.ok()) {
      SPATE_LOG_WARN("cluster: cannot hand " + m.shard_key + " over: " + txn.status().ToString());
    } else if (txn->succeeded) {
      SPATE_LOG_INFO("cluster: node " + options_.node_id + " hands " + m.shard_key + " (epoch " +
                     std::to_string(m.epoch) + ") over to " + m.successor);
    }
  }
}

void Coordinator::DropFinishedHandoffs() {
  // A hand-over is over once the shard is led again; its successor (or, if
  // another node claimed meanwhile, that node) deletes the mark.
  for (const KeyValue& kv : view_.List(kHandoffsPrefix)) {
    std::string shard_key = kv.key.substr(kHandoffsPrefix.size());
    auto leader = view_.Get(std::string(kLeadersPrefix) + shard_key);
    if (!leader.has_value() || leader->value != options_.node_id) continue;
    std::vector<Compare> same{{kv.key, Compare::Target::kModRevision, Compare::Op::kEqual, kv.mod_revision, {}}};
    auto txn = etcd_->Txn(same, {TxnOp::Delete(kv.key)}, {});
    if (!txn.ok()) SPATE_LOG_WARN("cluster: cannot drop the hand-over mark " + kv.key + ": " + txn.status().ToString());
  }
}

void Coordinator::ReplaceDeadReplicas(const std::set<std::string>& live) {
  const int64_t now = NowMs();
  std::set<std::string> draining;
  for (const KeyValue& kv : view_.List(kDrainPrefix)) draining.insert(NodeIdOf(kv.key, kDrainPrefix));
  std::vector<std::string> candidates;
  for (const std::string& n : live) {
    if (draining.count(n) == 0) candidates.push_back(n);
  }
  const std::vector<KeyValue> records = view_.List(kStreamsPrefix);
  // Which replicas' nodes are dead, and since when (by this owner's clock).
  std::map<std::string, int64_t> still_dead;
  for (const KeyValue& kv : records) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    for (const auto& [shard_id, nodes] : rec->replicas) {
      for (const std::string& n : nodes) {
        if (live.count(n) != 0) continue;
        auto it = dead_since_.find(n);
        still_dead[n] = it != dead_since_.end() ? it->second : now;
      }
    }
  }
  dead_since_ = std::move(still_dead);
  if (options_.replace_grace_ms <= 0) return;
  std::set<std::string> dead;
  for (const auto& [n, since] : dead_since_) {
    if (now - since >= options_.replace_grace_ms) dead.insert(n);
  }
  const int64_t owner_epoch = OwnerEpoch();
  if (owner_epoch == 0) return;
  for (const KeyValue& kv : records) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    const metadata::StreamMeta& m = rec->meta;
    std::map<std::string, std::vector<std::string>> next = rec->replicas;
    bool changed = false;
    for (auto& [shard_id, nodes] : next) {
      std::vector<std::string> after = ReplaceReplicas(ShardKey(m.account, m.region, m.name, shard_id), nodes, dead,
                                                       candidates, live, options_.replication_factor);
      if (after == nodes) continue;
      SPATE_LOG_INFO("cluster: replicas of " + ShardKey(m.account, m.region, m.name, shard_id) + ": " + Joined(nodes) +
                     " -> " + Joined(after));
      nodes = std::move(after);
      changed = true;
    }
    if (!changed) continue;
    auto value = WithReplicas(kv.value, next);
    if (!value.ok()) continue;
    // Only as the owner, and only over the record as read: a control-plane
    // change in between wins and the replacement is decided again.
    std::vector<Compare> guard{
        {std::string(kCatalogOwnerKey), Compare::Target::kCreateRevision, Compare::Op::kEqual, owner_epoch, {}},
        {kv.key, Compare::Target::kModRevision, Compare::Op::kEqual, kv.mod_revision, {}},
    };
    auto txn = etcd_->Txn(guard, {TxnOp::Put(kv.key, *value)}, {});
    if (!txn.ok()) {
      SPATE_LOG_WARN("cluster: cannot record new replicas of " + kv.key + ": " + txn.status().ToString());
    } else if (txn->succeeded) {
      SPATE_LOG_INFO("cluster: recorded the new replicas of " + kv.key);
    }
    return;  // one record per pass: the next is decided on the view that follows
  }
}

ClusterState Coordinator::State() const {
  ClusterState out;
  out.self = options_.node_id;
  out.revision = view_.revision();
  if (auto owner = CatalogOwner(); owner.has_value()) out.catalog_owner = *owner;
  std::map<std::string, ClusterState::Node> nodes;
  for (const KeyValue& kv : view_.List(kNodesPrefix)) {
    ClusterState::Node& n = nodes[NodeIdOf(kv.key, kNodesPrefix)];
    n.alive = true;
    if (auto v = protocol::ParseJson(kv.value); v.ok() && v->is_object()) n.address = v->GetString("advertise");
  }
  for (const KeyValue& kv : view_.List(kDrainPrefix)) nodes[NodeIdOf(kv.key, kDrainPrefix)].draining = true;
  for (const KeyValue& kv : view_.List(kStreamsPrefix)) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    const metadata::StreamMeta& m = rec->meta;
    for (const auto& [shard_id, replicas] : rec->replicas) {
      ClusterState::Shard s;
      s.shard_key = ShardKey(m.account, m.region, m.name, shard_id);
      s.replicas = replicas;
      for (const std::string& r : replicas) nodes[r];  // a dead replica is listed too
      if (auto l = view_.Get(std::string(kLeadersPrefix) + s.shard_key); l.has_value()) {
        s.leader = l->value;
        s.epoch = l->create_revision;
        ++nodes[s.leader].leader_count;
      }
      if (auto h = view_.Get(std::string(kHandoffsPrefix) + s.shard_key); h.has_value()) s.handoff_to = h->value;
      if (follower_progress_ && s.leader == options_.node_id) {
        for (const std::string& r : replicas) {
          if (r == s.leader) continue;
          if (auto end = follower_progress_(s.shard_key, r); end.has_value()) s.follower_durable_end[r] = *end;
        }
      }
      out.shards.push_back(std::move(s));
    }
  }
  for (auto& [id, n] : nodes) {
    n.id = id;
    out.nodes.push_back(std::move(n));
  }
  return out;
}

}  // namespace spate::cluster
