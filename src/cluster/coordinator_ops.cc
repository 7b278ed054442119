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

std::string Joined(const std::vector<std::string>& nodes) {
  std::string out = "[";
  for (const std::string& n : nodes) out.append(out.size() > 1 ? "," : "").append(n);
  return out + "]";
}

std::string NodeIdOf(std::string_view key, std::string_view prefix) { return std::string(key.substr(prefix.size())); }

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t IntOf(const Value* v) { return v != nullptr && v->is_int() ? v->as_int() : 0; }

// The progress reports in the view, indexed by "<node id>\n<shard key>".
struct ProgressReports {
  explicit ProgressReports(const EtcdView& view) {
    for (const KeyValue& kv : view.List(kProgressPrefix)) {
      auto v = protocol::ParseJson(kv.value);
      if (v.ok() && v->is_object()) reports.emplace(NodeIdOf(kv.key, kProgressPrefix), std::move(v).value());
    }
    for (const auto& [node, report] : reports) {
      const Value* shards = report.Find("shards");
      if (shards == nullptr || !shards->is_object()) continue;
      for (const auto& [shard_key, s] : shards->as_object()) {
        if (s.is_object()) index[node + "\n" + shard_key] = &s;
      }
    }
  }
  // `leader`'s report on `shard_key` under leadership `epoch`; null when it
  // has none (another leadership's report is not this one's).
  const Value* Find(const std::string& leader, const std::string& shard_key, int64_t epoch) const {
    auto it = index.find(leader + "\n" + shard_key);
    if (it == index.end() || IntOf(it->second->Find("epoch")) != epoch) return nullptr;
    return it->second;
  }
  int64_t At(const std::string& node) const {
    auto it = reports.find(node);
    return it == reports.end() ? 0 : IntOf(it->second.Find("at"));
  }

  std::map<std::string, Value> reports;  // node id -> the report
  std::map<std::string, const Value*> index;
};

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

BalanceInput Coordinator::BalanceSnapshot(const ReplicaMap& replicas, const ReplicaMap& leaving) {
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
    if (auto it = leaving.find(shard_key); it != leaving.end()) s.leaving = it->second;
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

void Coordinator::Operate(const ReplicaMap& replicas, const ReplicaMap& leaving) {
  const int64_t now = NowMs();
  if (tokens_at_ms_ != 0) {
    const double burst = std::max(1.0, options_.max_moves_per_s);
    move_tokens_ =
        std::min(burst, move_tokens_ + options_.max_moves_per_s * static_cast<double>(now - tokens_at_ms_) / 1000.0);
  }
  tokens_at_ms_ = now;
  BalanceInput in = BalanceSnapshot(replicas, leaving);
  const size_t allowed = static_cast<size_t>(move_tokens_);
  std::vector<Handoff> moves = PlanHandoffs(in, allowed, options_.successor_ready);
  move_tokens_ -= static_cast<double>(moves.size());
  HandOver(moves);
  if (OwnsCatalog()) ChangeReplicaSets(in);
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

void Coordinator::ChangeReplicaSets(const BalanceInput& in) {
  const int64_t now = NowMs();
  std::vector<std::string> candidates;
  for (const std::string& n : in.live) {
    if (in.draining.count(n) == 0) candidates.push_back(n);
  }
  const std::vector<KeyValue> records = view_.List(kStreamsPrefix);
  std::vector<std::pair<KeyValue, StreamRecord>> decoded;
  // Which replicas' nodes are dead, and since when (by this owner's clock);
  // and how many moves are under way.
  std::map<std::string, int64_t> still_dead;
  size_t moves_under_way = 0;
  for (const KeyValue& kv : records) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    for (const auto& [shard_id, nodes] : rec->replicas) {
      for (const std::string& n : nodes) {
        if (in.live.count(n) != 0) continue;
        auto it = dead_since_.find(n);
        still_dead[n] = it != dead_since_.end() ? it->second : now;
      }
    }
    for (const auto& [shard_id, nodes] : rec->leaving) moves_under_way += nodes.empty() ? 0 : 1;
    decoded.emplace_back(kv, std::move(rec).value());
  }
  dead_since_ = std::move(still_dead);
  std::set<std::string> dead;
  if (options_.replace_grace_ms > 0) {
    for (const auto& [n, since] : dead_since_) {
      if (now - since >= options_.replace_grace_ms) dead.insert(n);
    }
  }
  const int64_t owner_epoch = OwnerEpoch();
  if (owner_epoch == 0) return;
  const ProgressReports reports(view_);
  for (auto& [kv, rec] : decoded) {
    const metadata::StreamMeta& m = rec.meta;
    std::map<std::string, std::vector<std::string>> replicas = rec.replicas;
    std::map<std::string, std::vector<std::string>> leaving = rec.leaving;
    bool changed = false;
    for (auto& [shard_id, nodes] : replicas) {
      ReplicaPlanInput plan;
      plan.shard_key = ShardKey(m.account, m.region, m.name, shard_id);
      plan.set = ReplicaSetState{nodes, leaving[shard_id]};
      int64_t epoch = 0;
      if (auto l = view_.Get(std::string(kLeadersPrefix) + plan.shard_key); l.has_value()) {
        plan.leader = l->value;
        epoch = l->create_revision;
      }
      plan.live = in.live;
      plan.dead = dead;
      plan.settled = in.settled;
      plan.candidates = candidates;
      plan.factor = options_.replication_factor;
      plan.allow_share_move = moves_under_way < options_.max_replica_moves;
      // Caught up: the leader's report of this leadership, made against
      // the set as the record has it now, shows the node streaming at or
      // past the committed end.
      const Value* report = plan.leader.empty() ? nullptr : reports.Find(plan.leader, plan.shard_key, epoch);
      bool fresh = false;
      if (const Value* set = report != nullptr ? report->Find("replicas") : nullptr;
          set != nullptr && set->is_array()) {
        std::vector<std::string> reported;
        for (const Value& n : set->as_array()) reported.push_back(n.is_string() ? n.as_string() : "");
        fresh = reported == nodes;
      }
      auto caught_up = [&](const std::string& node) {
        if (!fresh) return false;
        const int64_t committed = IntOf(report->Find("committed"));
        const Value* followers = report->Find("followers");
        const Value* end = followers != nullptr ? followers->Find(node) : nullptr;
        return committed > 0 && end != nullptr && end->is_int() && end->as_int() >= committed;
      };
      ReplicaSetState next = PlanReplicaChange(plan, caught_up);
      if (next == plan.set) continue;
      SPATE_LOG_INFO("cluster: replicas of " + plan.shard_key + ": " + Joined(nodes) +
                     (plan.set.leaving.empty() ? "" : " leaving " + Joined(plan.set.leaving)) + " -> " +
                     Joined(next.replicas) + (next.leaving.empty() ? "" : " leaving " + Joined(next.leaving)));
      if (plan.set.leaving.empty() && !next.leaving.empty()) ++moves_under_way;
      nodes = std::move(next.replicas);
      leaving[shard_id] = std::move(next.leaving);
      changed = true;
    }
    if (!changed) continue;
    auto value = UpdateStreamRecord(kv.value, nullptr, replicas, leaving);
    if (!value.ok()) continue;
    // Only as the owner, and only over the record as read: a control-plane
    // change in between wins and the change is decided again.
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

void Coordinator::PublishProgress(const ReplicaMap& replicas, int64_t lease) {
  if (!progress_source_ || options_.progress_interval_ms <= 0 || lease == 0) return;
  const int64_t now = NowMs();
  if (lease == published_lease_ && now - progress_at_ms_ < options_.progress_interval_ms) return;
  Value shards = Value::MakeObject();
  for (const auto& [shard_key, nodes] : replicas) {
    auto leader = view_.Get(std::string(kLeadersPrefix) + shard_key);
    if (!leader.has_value() || leader->value != options_.node_id) continue;
    std::optional<LeaderProgress> p = progress_source_(shard_key, nodes);
    if (!p.has_value()) continue;
    Value s = Value::MakeObject();
    s.Set("epoch", Value::Int(leader->create_revision));
    s.Set("end", Value::Int(p->end));
    s.Set("committed", Value::Int(p->committed));
    Value followers = Value::MakeObject();
    for (const auto& [node, end] : p->followers) followers.Set(node, Value::Int(end));
    s.Set("followers", std::move(followers));
    // The set the report was made against: a reader trusts it for that set only.
    Value set = Value::MakeArray();
    for (const std::string& n : nodes) set.Append(Value::String(n));
    s.Set("replicas", std::move(set));
    shards.Set(shard_key, std::move(s));
  }
  std::string text;
  protocol::WriteJson(shards, &text);
  if (lease == published_lease_ && text == published_progress_) return;
  Value report = Value::MakeObject();
  report.Set("at", Value::Int(UnixMs()));
  report.Set("shards", std::move(shards));
  std::string value;
  protocol::WriteJson(report, &value);
  // Under the node's lease: a dead node's report goes with it.
  auto put = etcd_->Put(std::string(kProgressPrefix) + options_.node_id, value, lease);
  if (!put.ok()) {
    SPATE_LOG_WARN("cluster: cannot publish the progress report: " + put.status().ToString());
    return;
  }
  published_progress_ = std::move(text);
  published_lease_ = lease;
  progress_at_ms_ = now;
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
  const ProgressReports reports(view_);
  for (const KeyValue& kv : view_.List(kStreamsPrefix)) {
    auto rec = DecodeStreamRecord(kv.value);
    if (!rec.ok()) continue;
    const metadata::StreamMeta& m = rec->meta;
    for (const auto& [shard_id, replicas] : rec->replicas) {
      ClusterState::Shard s;
      s.shard_key = ShardKey(m.account, m.region, m.name, shard_id);
      s.replicas = replicas;
      if (auto it = rec->leaving.find(shard_id); it != rec->leaving.end()) s.leaving = it->second;
      for (const std::string& r : replicas) nodes[r];  // a dead replica is listed too
      if (auto l = view_.Get(std::string(kLeadersPrefix) + s.shard_key); l.has_value()) {
        s.leader = l->value;
        s.epoch = l->create_revision;
        ++nodes[s.leader].leader_count;
      }
      if (auto h = view_.Get(std::string(kHandoffsPrefix) + s.shard_key); h.has_value()) s.handoff_to = h->value;
      if (const Value* p = reports.Find(s.leader, s.shard_key, s.epoch); p != nullptr) {
        s.has_progress = true;
        s.leader_end = IntOf(p->Find("end"));
        s.committed_end = IntOf(p->Find("committed"));
        s.reported_at_ms = reports.At(s.leader);
        if (const Value* f = p->Find("followers"); f != nullptr && f->is_object()) {
          for (const auto& [node, end] : f->as_object()) {
            if (end.is_int()) s.follower_durable_end[node] = end.as_int();
          }
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
