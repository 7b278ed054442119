#include "cluster/leader_sync.h"

#include <chrono>
#include <future>
#include <optional>
#include <vector>

#include "base/log.h"
#include "cluster/replication/replica_client.h"
#include "cluster/shard_leaders.h"

namespace spate::cluster {
namespace {

using replication::kAtStart;
using replication::kNoBatchEndsThere;
using replication::ReplicaClient;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Where a replica's log ends: the epoch stamped in its last durable batch
// (kAtStart when it holds none) and its durable end. Logs compare as
// Raft's do: the higher last epoch, then the longer log, is more up to date.
struct Position {
  std::string node;
  int64_t last_epoch = kAtStart;
  uint64_t end = 0;
  std::unique_ptr<ReplicaClient> client;  // null for this node
  bool Before(const Position& o) const { return last_epoch != o.last_epoch ? last_epoch < o.last_epoch : end < o.end; }
};

int64_t LastEpoch(const storage::ShardLog& log) {
  const storage::Offset start = log.StartOffset(), end = log.EndOffset();
  if (end <= start) return kAtStart;
  auto b = log.BatchAt(storage::Offset(end.value() - 1));
  return b.ok() ? b->epoch : kAtStart;
}

// The largest batch boundary of `log` at or below `offset`.
uint64_t BoundaryAtOrBelow(const storage::ShardLog& log, uint64_t offset) {
  const uint64_t start = log.StartOffset().value(), end = log.EndOffset().value();
  if (offset >= end) return end;
  if (offset <= start) return start;
  auto b = log.BatchAt(storage::Offset(offset));
  return b.ok() ? b->base_offset.value() : start;
}

// The leadership is over, or a replica has seen a newer one: give it up.
Status Aborted(const std::string& why) { return Status(ErrorCode::kConcurrentModification, why); }

}  // namespace

LeaderSync::LeaderSync(const Placement* placement, replication::ReplicaLogs* logs, streams::Replicator* replicator,
                       LeaderSyncOptions options)
    : placement_(placement), logs_(logs), replicator_(replicator), options_(std::move(options)) {
  thread_ = std::thread([this] { Loop(); });
}

LeaderSync::~LeaderSync() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool LeaderSync::Ready(std::string_view shard_key, int64_t epoch) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = states_.find(shard_key);
  if (it == states_.end()) it = states_.emplace(std::string(shard_key), State{}).first;
  State& st = it->second;
  if (epoch < st.epoch) return false;
  if (epoch == st.epoch && st.ready) return true;
  if (epoch > st.epoch) {
    st.epoch = epoch;
    st.ready = false;
  }
  if (!st.queued) {
    st.queued = true;
    queue_.emplace_back(0, it->first);
    cv_.notify_all();
  }
  return false;
}

void LeaderSync::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
      continue;
    }
    const int64_t now = SteadyMs();
    if (queue_.front().first > now) {
      // Every entry was queued retry_ms after the one before it or later:
      // the front is due first.
      cv_.wait_for(l, std::chrono::milliseconds(queue_.front().first - now));
      continue;
    }
    std::string key = std::move(queue_.front().second);
    queue_.pop_front();
    const int64_t epoch = states_[key].epoch;
    l.unlock();
    Status st = Sync(key, epoch);
    l.lock();
    State& s = states_[key];
    if (s.epoch != epoch) {
      queue_.emplace_back(0, key);  // a newer leadership arrived meanwhile
      continue;
    }
    if (st.ok()) {
      s.ready = true;
      s.queued = false;
      SPATE_LOG_INFO("cluster: caught up as the leader of " + key + " (epoch " + std::to_string(epoch) + ")");
    } else if (st.code() == ErrorCode::kConcurrentModification) {
      s.queued = false;  // the leadership is over; a new one asks again
      SPATE_LOG_WARN("cluster: gave up leading " + key + " (epoch " + std::to_string(epoch) + "): " + st.message());
    } else {
      SPATE_LOG_WARN("cluster: cannot lead " + key + " yet (epoch " + std::to_string(epoch) + "): " + st.message());
      queue_.emplace_back(SteadyMs() + options_.retry_ms, key);
    }
  }
}

Status LeaderSync::Sync(const std::string& key, int64_t epoch) {
  const std::string& self = placement_->SelfId();
  auto set = placement_->ReplicasOf(key);
  if (!set || set->leader != self || set->epoch != epoch) return Aborted("the leadership is over");
  SPATE_ASSIGN_OR_RETURN(std::shared_ptr<storage::ShardLog> log, logs_->LogFor(key));
  if (log->Epoch() > epoch) return Aborted("this node's log has seen epoch " + std::to_string(log->Epoch()));
  if (options_.committed_ends != nullptr) options_.committed_ends->NoteEpoch(key, log, epoch);
  const size_t need = set->replicas.size() / 2 + 1;

  // Where each reachable replica's log ends.
  std::vector<Position> known;
  known.push_back(Position{self, LastEpoch(*log), log->EndOffset().value(), nullptr});
  for (const std::string& node : set->replicas) {
    if (node == self) continue;
    auto address = placement_->AddressOf(node);
    if (!address) continue;
    auto client = ReplicaClient::Connect(*address, options_.secret, self, options_.timeout_ms);
    if (!client.ok()) continue;
    auto state = (*client)->Probe(key, epoch, 0);
    if (!state.ok()) continue;
    if (state->code == ErrorCode::kConcurrentModification) {
      return Aborted("node " + node + " has seen epoch " + std::to_string(state->epoch));
    }
    Position p{node, kAtStart, 0, nullptr};
    if (state->code == ErrorCode::kNotFound) {
      // It has not opened the shard: it holds none of its batches.
    } else if (state->code != ErrorCode::kOk) {
      continue;
    } else if (state->durable > state->start) {
      auto last = (*client)->Probe(key, epoch, state->durable);
      if (!last.ok() || last->code != ErrorCode::kOk || last->at_epoch == kNoBatchEndsThere) continue;
      p.last_epoch = last->at_epoch == kAtStart ? kAtStart : last->at_epoch;
      p.end = state->durable;
    } else {
      p.end = state->durable;
    }
    p.client = std::move(*client);
    known.push_back(std::move(p));
  }
  if (known.size() < need) {
    return Status(ErrorCode::kUnavailable, std::to_string(known.size()) + " of the " +
                                               std::to_string(set->replicas.size()) +
                                               " replicas answered; a majority is needed");
  }
  // A majority answered, so one of them holds every acknowledged batch, and
  // the most up-to-date of them holds them all (replication.md, rule 5).
  size_t best = 0;
  for (size_t i = 1; i < known.size(); ++i) {
    if (known[best].Before(known[i])) best = i;
  }
  if (best != 0) {
    Position& from = known[best];
    SPATE_LOG_INFO("cluster: " + key + ": catching up from node " + from.node + " (last epoch " +
                   std::to_string(from.last_epoch) + ", end " + std::to_string(from.end) + "; here " +
                   std::to_string(known[0].last_epoch) + ", " + std::to_string(known[0].end) + ")");
    // Log matching, as a leader does with a follower (rule 4), in reverse:
    // the last boundary of this log where the other's batch carries the
    // same epoch.
    uint64_t at = BoundaryAtOrBelow(*log, from.end);
    while (at > log->StartOffset().value()) {
      auto mine = log->BatchAt(storage::Offset(at - 1));
      SPATE_TRY(mine.status());
      SPATE_ASSIGN_OR_RETURN(replication::Reply r, from.client->Probe(key, epoch, at));
      if (r.code == ErrorCode::kConcurrentModification) return Aborted("fenced by node " + from.node);
      if (r.code != ErrorCode::kOk) return Status(r.code, "node " + from.node + ": " + r.message);
      if (r.at_epoch == kAtStart || r.at_epoch == mine->epoch) break;
      at = BoundaryAtOrBelow(*log, at - 1);
    }
    // Raises this log's epoch (fencing the old leader's appends to it) and
    // cuts a divergent tail, which no majority acknowledged.
    Status cut = log->TruncateTo(storage::Offset(at), epoch);
    if (cut.code() == ErrorCode::kConcurrentModification) return Aborted(cut.message());
    SPATE_TRY(cut);
    if (options_.committed_ends != nullptr) options_.committed_ends->Lower(key, *log, at);
    uint64_t next = at;
    while (next < from.end) {
      SPATE_ASSIGN_OR_RETURN(replication::Batches got, from.client->Fetch(key, epoch, next));
      if (got.code == ErrorCode::kConcurrentModification) return Aborted("fenced by node " + from.node);
      if (got.code != ErrorCode::kOk) return Status(got.code, "node " + from.node + ": " + got.message);
      if (got.batches.empty()) return Status(ErrorCode::kUnavailable, "node " + from.node + " ended early");
      std::vector<std::future<Result<storage::AppendResult>>> appended;
      for (const std::string& batch : got.batches) {
        auto done = std::make_shared<std::promise<Result<storage::AppendResult>>>();
        appended.push_back(done->get_future());
        log->AppendReplicated(batch, epoch, [done](Result<storage::AppendResult> r) { done->set_value(std::move(r)); });
      }
      for (auto& f : appended) {
        if (f.wait_for(std::chrono::milliseconds(options_.append_timeout_ms)) != std::future_status::ready) {
          return Status(ErrorCode::kUnavailable, "a fetched batch did not become durable in time");
        }
        Result<storage::AppendResult> r = f.get();
        SPATE_TRY(r.status());
        next = (r->base_offset + r->count).value();
      }
    }
  }
  set = placement_->ReplicasOf(key);
  if (!set || set->leader != self || set->epoch != epoch) return Aborted("the leadership is over");
  return AppendMarker(key, epoch, log);
}

Status LeaderSync::AppendMarker(const std::string& key, int64_t epoch, const std::shared_ptr<storage::ShardLog>& log) {
  auto parts = ParseShardKey(key);
  if (!parts) return Aborted("not a shard key: " + key);
  const std::string data = std::string(kLeaderMarkerPrefix) + std::to_string(epoch) + " " + placement_->SelfId();
  std::vector<storage::RecordInput> records{{std::string_view(), data}};
  storage::AppendOptions options;
  options.epoch = epoch;
  auto done = std::make_shared<std::promise<Status>>();
  auto durable = done->get_future();
  const int64_t arrival_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  log->Append(records, arrival_ms, options,
              [this, done, log, epoch, key,
               shard = streams::ReplicatedShard{parts->account, parts->region, parts->stream, parts->shard}](
                  Result<storage::AppendResult> r) {
                if (!r.ok()) {
                  done->set_value(r.status());
                  return;
                }
                // Shipped like any batch; its majority acknowledgement
                // commits the earlier leaderships' batches for reads.
                replicator_->Replicate(shard, log, r->base_offset + r->count, epoch, [key](Status st) {
                  if (!st.ok()) SPATE_LOG_WARN("cluster: " + key + ": the leadership marker: " + st.message());
                });
                done->set_value(Status::Ok());
              });
  if (durable.wait_for(std::chrono::milliseconds(options_.append_timeout_ms)) != std::future_status::ready) {
    return Status(ErrorCode::kUnavailable, "the leadership marker did not become durable in time");
  }
  return durable.get();
}

}  // namespace spate::cluster
