#include "cluster/balancer.h"

#include <algorithm>
#include <limits>

#include "cluster/coordinator.h"

namespace spate::cluster {

std::map<std::string, size_t> LeaderCounts(const BalanceInput& in) {
  std::map<std::string, size_t> counts;
  for (const std::string& n : in.live) counts[n] = 0;
  for (const ShardView& s : in.shards) {
    const std::string& holder = !s.leader.empty() ? s.leader : s.handoff_to;
    if (auto it = counts.find(holder); it != counts.end()) ++it->second;
  }
  return counts;
}

std::vector<Handoff> PlanHandoffs(const BalanceInput& in, size_t max_moves, const SuccessorReady& ready) {
  std::vector<Handoff> out;
  if (max_moves == 0 || in.live.count(in.self) == 0) return out;
  std::map<std::string, size_t> counts = LeaderCounts(in);
  const bool self_draining = in.draining.count(in.self) != 0;
  for (const ShardView& s : in.shards) {
    if (out.size() >= max_moves) break;
    if (s.leader != in.self) continue;
    const bool draining = self_draining || std::find(s.leaving.begin(), s.leaving.end(), in.self) != s.leaving.end();
    // The eligible replica with the fewest leaderships, placement order first.
    const std::string* best = nullptr;
    for (const std::string& r : s.replicas) {
      if (r == in.self || in.live.count(r) == 0 || in.draining.count(r) != 0) continue;
      if (std::find(s.leaving.begin(), s.leaving.end(), r) != s.leaving.end()) continue;
      if (!draining && in.settled.count(r) == 0) continue;
      if (ready && !ready(s.shard_key, r)) continue;
      if (best == nullptr || counts[r] < counts[*best]) best = &r;
    }
    if (best == nullptr) continue;
    if (!draining && counts[in.self] < counts[*best] + 2) continue;
    out.push_back(Handoff{s.shard_key, s.epoch, *best});
    --counts[in.self];
    ++counts[*best];
  }
  return out;
}

size_t ClaimRank(const ShardView& shard, std::string_view self, const std::set<std::string>& live,
                 const std::set<std::string>& draining) {
  std::vector<std::string_view> order;
  if (!shard.handoff_to.empty() && live.count(shard.handoff_to) != 0) order.push_back(shard.handoff_to);
  for (const std::string& r : shard.replicas) {
    if (live.count(r) != 0 && draining.count(r) == 0 && r != shard.handoff_to) order.push_back(r);
  }
  for (const std::string& r : shard.replicas) {
    if (live.count(r) != 0 && draining.count(r) != 0 && r != shard.handoff_to) order.push_back(r);
  }
  auto it = std::find(order.begin(), order.end(), self);
  if (it == order.end()) return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(it - order.begin());
}

std::vector<std::string> ReplaceReplicas(std::string_view shard_key, const std::vector<std::string>& replicas,
                                         const std::set<std::string>& dead, const std::vector<std::string>& candidates,
                                         const std::set<std::string>& live, size_t factor) {
  bool any_live = false;
  size_t dead_count = 0;
  for (const std::string& r : replicas) {
    any_live = any_live || (live.count(r) != 0 && dead.count(r) == 0);
    dead_count += dead.count(r);
  }
  if (!any_live) return replicas;
  std::vector<std::string> fresh;
  for (const std::string& c : candidates) {
    if (std::find(replicas.begin(), replicas.end(), c) == replicas.end()) fresh.push_back(c);
  }
  // A dead replica leaves only for a replacement: a set never shrinks.
  const size_t short_by = factor > replicas.size() ? factor - replicas.size() : 0;
  std::vector<std::string> chosen = PlaceReplicas(shard_key, fresh, dead_count + short_by);
  if (chosen.empty()) return replicas;
  size_t replaced = chosen.size() > short_by ? chosen.size() - short_by : 0;
  std::vector<std::string> out;
  for (const std::string& r : replicas) {
    if (replaced > 0 && dead.count(r) != 0) {
      --replaced;
      continue;
    }
    out.push_back(r);
  }
  for (std::string& n : chosen) out.push_back(std::move(n));
  return out;
}

namespace {

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

ReplicaSetState PlanReplicaChange(const ReplicaPlanInput& in, const CaughtUp& caught_up) {
  const ReplicaSetState& set = in.set;
  if (!set.leaving.empty()) {
    std::vector<std::string> remaining;
    for (const std::string& r : set.replicas) {
      if (!Contains(set.leaving, r)) remaining.push_back(r);
    }
    if (in.leader.empty() || !Contains(remaining, in.leader) || in.live.count(in.leader) == 0) return set;
    size_t holders = 1;  // the leader holds every acknowledged batch
    for (const std::string& r : remaining) {
      if (r == in.leader || in.live.count(r) == 0) continue;
      if (!caught_up(r)) return set;  // a live newcomer still catching up: wait for it
      ++holders;
    }
    if (holders < remaining.size() / 2 + 1) return set;
    return ReplicaSetState{std::move(remaining), {}};
  }
  bool any_dead = false;
  for (const std::string& r : set.replicas) any_dead = any_dead || in.dead.count(r) != 0;
  if (any_dead || set.replicas.size() < in.factor) {
    std::vector<std::string> after =
        ReplaceReplicas(in.shard_key, set.replicas, in.dead, in.candidates, in.live, in.factor);
    if (after == set.replicas) return set;
    ReplicaSetState next{set.replicas, {}};
    for (const std::string& r : set.replicas) {
      if (!Contains(after, r)) next.leaving.push_back(r);
    }
    for (const std::string& r : after) {
      if (!Contains(set.replicas, r)) next.replicas.push_back(r);
    }
    return next;
  }
  if (!in.allow_share_move || set.replicas.size() != in.factor || in.leader.empty()) return set;
  for (const std::string& r : set.replicas) {
    if (in.live.count(r) == 0 || in.settled.count(r) == 0) return set;
  }
  std::vector<std::string> settled(in.settled.begin(), in.settled.end());
  std::vector<std::string> ideal = PlaceReplicas(in.shard_key, settled, in.factor);
  const std::string* incoming = nullptr;
  for (const std::string& n : ideal) {
    if (!Contains(set.replicas, n) && Contains(in.candidates, n)) {
      incoming = &n;
      break;
    }
  }
  if (incoming == nullptr) return set;
  // The member placement no longer chooses, last in placement order first
  // (the leader too: leaving, it hands the shard over first, PlanHandoffs).
  for (auto it = set.replicas.rbegin(); it != set.replicas.rend(); ++it) {
    if (Contains(ideal, *it)) continue;
    ReplicaSetState next{set.replicas, {*it}};
    next.replicas.push_back(*incoming);
    return next;
  }
  return set;
}

}  // namespace spate::cluster
