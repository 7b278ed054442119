#include "consumer/lease_coordinator.h"

#include <algorithm>
#include <utility>

namespace spate::consumer {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;

ApiError LeaseLost(const std::string& shard_id) {
  return ApiError{"LeaseLost", "this worker no longer holds the lease of " + shard_id, 0};
}

bool Finished(const LeaseRecord& lease) { return lease.checkpoint == kShardEnd; }

// A conditional write of `shard_id` expecting `counter` (and `owner` when set).
LeaseUpdate Expecting(const std::string& shard_id, int64_t counter, std::optional<std::string> owner) {
  LeaseUpdate u;
  u.shard_id = shard_id;
  u.expected_counter = counter;
  u.expected_owner = std::move(owner);
  return u;
}

}  // namespace

LeaseCoordinator::LeaseCoordinator(std::string worker_id, LeaseStore* store, const util::Clock* clock,
                                   int64_t failover_ms)
    : worker_id_(std::move(worker_id)), store_(store), clock_(clock), failover_ns_(failover_ms * kNsPerMs) {}

Outcome<Done> LeaseCoordinator::SyncShards(const std::vector<Shard>& shards, const std::string& initial_checkpoint) {
  std::set<std::string> in_stream;
  for (const Shard& s : shards) in_stream.insert(s.shard_id);
  std::lock_guard lock(mu_);
  if (auto st = RefreshLocked(); !st.ok()) return st.error();
  // A shard with a leased child was finished and its lease cleaned up
  // (CleanUpFinished): it gets no new lease.
  std::set<std::string> has_leased_child;
  for (const Shard& s : shards) {
    if (table_.count(s.shard_id) == 0) continue;
    for (const std::string* p : {&s.parent_shard_id, &s.adjacent_parent_shard_id}) {
      if (!p->empty()) has_leased_child.insert(*p);
    }
  }
  for (const Shard& s : shards) {
    if (table_.count(s.shard_id) != 0 || has_leased_child.count(s.shard_id) != 0) continue;
    std::vector<std::string> parents;
    for (const std::string* p : {&s.parent_shard_id, &s.adjacent_parent_shard_id}) {
      if (!p->empty()) parents.push_back(*p);
    }
    const bool child =
        std::any_of(parents.begin(), parents.end(), [&](const std::string& p) { return in_stream.count(p) != 0; });
    auto created = store_->Create(s.shard_id, child ? std::string(kTrimHorizon) : initial_checkpoint, parents);
    if (created.ok()) {
      table_[s.shard_id] = std::move(created).value();
    } else if (created.error().type != "ResourceInUseException") {
      return created.error();
    }
  }
  return Done{};
}

Outcome<Done> LeaseCoordinator::RefreshLocked() {
  auto leases = store_->List();
  if (!leases.ok()) return leases.error();
  const int64_t now = clock_->MonotonicNs();
  table_.clear();
  for (LeaseRecord& l : leases.value()) {
    Observed& o = observed_[l.shard_id];
    if (o.counter != l.counter) o = Observed{l.counter, now};
    table_[l.shard_id] = std::move(l);
  }
  return Done{};
}

Outcome<Done> LeaseCoordinator::Refresh() {
  std::lock_guard lock(mu_);
  return RefreshLocked();
}

bool LeaseCoordinator::ExpiredLocked(const LeaseRecord& lease, int64_t now_ns) const {
  if (lease.owner.empty()) return true;
  auto it = observed_.find(lease.shard_id);
  return it != observed_.end() && it->second.counter == lease.counter && now_ns - it->second.since_ns > failover_ns_;
}

std::vector<std::string> LeaseCoordinator::CleanUpFinished(const std::vector<Shard>& shards) {
  std::lock_guard lock(mu_);
  std::set<std::string> in_stream;
  std::map<std::string, std::vector<std::string>> children;
  for (const Shard& s : shards) {
    in_stream.insert(s.shard_id);
    for (const std::string* p : {&s.parent_shard_id, &s.adjacent_parent_shard_id}) {
      if (!p->empty()) children[*p].push_back(s.shard_id);
    }
  }
  auto processing = [&](const std::string& child) {
    auto it = table_.find(child);
    return it != table_.end() && it->second.checkpoint != kTrimHorizon && it->second.checkpoint != kLatest;
  };
  std::vector<std::string> deleted;
  for (auto it = table_.begin(); it != table_.end();) {
    const LeaseRecord& lease = it->second;
    bool remove = false;
    if (Finished(lease)) {
      if (in_stream.count(lease.shard_id) == 0) {
        remove = true;  // the shard left the stream (retention): nothing reads it again
      } else if (auto c = children.find(lease.shard_id); c != children.end()) {
        remove = std::all_of(c->second.begin(), c->second.end(), processing);
      }
    }
    if (remove && store_->Delete(lease.shard_id, lease.counter).ok()) {
      deleted.push_back(lease.shard_id);
      held_.erase(lease.shard_id);
      observed_.erase(lease.shard_id);
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  return deleted;
}

std::vector<std::string> LeaseCoordinator::RenewAll() {
  std::lock_guard lock(mu_);
  std::vector<std::string> lost;
  const int64_t now = clock_->MonotonicNs();
  for (auto it = held_.begin(); it != held_.end();) {
    HeldState& h = it->second;
    auto renewed = store_->Update(Expecting(h.lease.shard_id, h.lease.counter, worker_id_));
    bool keep = true;
    if (renewed.ok()) {
      h.lease = std::move(renewed).value();
      h.last_renewed_ns = now;
    } else if (renewed.error().type == kConcurrentModification || renewed.error().type == "ResourceNotFoundException" ||
               now - h.last_renewed_ns > failover_ns_) {
      keep = false;  // taken by another worker, deleted, or unrenewable for longer than others wait
    }
    if (keep) {
      ++it;
    } else {
      lost.push_back(it->first);
      it = held_.erase(it);
    }
  }
  return lost;
}

bool LeaseCoordinator::TakeLocked(const LeaseRecord& lease) {
  LeaseUpdate take = Expecting(lease.shard_id, lease.counter, lease.owner);
  take.owner = worker_id_;
  auto taken = store_->Update(take);
  if (!taken.ok()) return false;  // another worker was first, or the call failed: try next round
  LeaseRecord l = std::move(taken).value();
  const std::string shard_id = l.shard_id;
  table_[shard_id] = l;
  held_[shard_id] = HeldState{std::move(l), clock_->MonotonicNs()};
  return true;
}

Outcome<std::vector<std::string>> LeaseCoordinator::TakeLeases() {
  std::lock_guard lock(mu_);
  if (auto st = RefreshLocked(); !st.ok()) return st.error();
  const int64_t now = clock_->MonotonicNs();
  // Live workers and their unfinished leases.
  std::map<std::string, std::vector<const LeaseRecord*>> by_owner;
  by_owner[worker_id_];
  std::vector<const LeaseRecord*> available;
  size_t unfinished = 0;
  for (const auto& [shard, lease] : table_) {
    if (Finished(lease)) continue;
    ++unfinished;
    if (lease.owner == worker_id_) {
      by_owner[worker_id_].push_back(&lease);
    } else if (ExpiredLocked(lease, now)) {
      available.push_back(&lease);
    } else {
      by_owner[lease.owner].push_back(&lease);
    }
  }
  // Leases the table says are mine but this worker does not hold (a restart
  // with the same id) are taken again like expired ones.
  for (const LeaseRecord* l : by_owner[worker_id_]) {
    if (held_.count(l->shard_id) == 0) available.push_back(l);
  }
  const size_t workers = by_owner.size();
  const size_t target = (unfinished + workers - 1) / workers;
  std::vector<std::string> taken;
  size_t mine = held_.size();
  std::vector<LeaseRecord> candidates;
  for (const LeaseRecord* l : available) candidates.push_back(*l);
  for (const LeaseRecord& l : candidates) {
    if (mine >= target) break;
    if (held_.count(l.shard_id) != 0) continue;
    if (TakeLocked(l)) {
      taken.push_back(l.shard_id);
      ++mine;
    }
  }
  if (mine < target && candidates.empty()) {
    // Steal one lease from the busiest worker if it holds more than its share.
    const std::vector<const LeaseRecord*>* busiest = nullptr;
    for (const auto& [owner, leases] : by_owner) {
      if (owner == worker_id_) continue;
      if (busiest == nullptr || leases.size() > busiest->size()) busiest = &leases;
    }
    if (busiest != nullptr && busiest->size() > target) {
      LeaseRecord victim = *busiest->front();
      if (TakeLocked(victim)) taken.push_back(victim.shard_id);
    }
  }
  return taken;
}

Outcome<Done> LeaseCoordinator::Checkpoint(const std::string& shard_id, const std::string& checkpoint,
                                           int64_t sub_sequence) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard_id);
  if (it == held_.end()) return LeaseLost(shard_id);
  LeaseUpdate update = Expecting(shard_id, it->second.lease.counter, worker_id_);
  update.checkpoint = checkpoint;
  update.checkpoint_sub_sequence = sub_sequence;
  auto written = store_->Update(update);
  if (!written.ok()) {
    if (written.error().type == kConcurrentModification) {
      held_.erase(it);
      return LeaseLost(shard_id);
    }
    return written.error();
  }
  it->second.lease = std::move(written).value();
  table_[shard_id] = it->second.lease;
  return Done{};
}

Outcome<Done> LeaseCoordinator::Release(const std::string& shard_id) {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard_id);
  if (it == held_.end()) return LeaseLost(shard_id);
  LeaseUpdate release = Expecting(shard_id, it->second.lease.counter, worker_id_);
  release.owner = std::string();
  auto written = store_->Update(release);
  held_.erase(it);
  if (!written.ok()) return written.error();
  table_[shard_id] = std::move(written).value();
  return Done{};
}

bool LeaseCoordinator::Holds(const std::string& shard_id) const {
  std::lock_guard lock(mu_);
  return held_.count(shard_id) != 0;
}

std::vector<std::string> LeaseCoordinator::Held() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [shard, h] : held_) out.push_back(shard);
  return out;
}

std::optional<LeaseRecord> LeaseCoordinator::HeldLease(const std::string& shard_id) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(shard_id);
  if (it == held_.end()) return std::nullopt;
  return it->second.lease;
}

bool LeaseCoordinator::ParentsFinished(const LeaseRecord& lease) const {
  std::lock_guard lock(mu_);
  for (const std::string& p : lease.parent_shard_ids) {
    auto it = table_.find(p);
    if (it != table_.end() && !Finished(it->second)) return false;
  }
  return true;
}

}  // namespace spate::consumer
