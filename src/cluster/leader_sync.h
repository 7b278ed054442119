#pragma once

// Rule 5 of the replication protocol (docs/formats/replication.md, "A new
// leader"): a node that has won a shard's leadership in etcd admits no
// append until it holds every acknowledged batch of the shard. It asks the
// live replicas of the shard's replica set for their logs' last epoch and
// durable end (PROBE on their replication ports); with answers from a
// majority, the most up-to-date log among them (highest last epoch, then
// highest end) holds every acknowledged batch, and the new leader copies
// what it lacks from that replica (log matching, then FETCH) before it
// serves. Without a majority it keeps trying and serves nothing.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "cluster/placement.h"
#include "cluster/replication/committed_ends.h"
#include "cluster/replication/replica_server.h"
#include "streams/replicator.h"

namespace spate::cluster {

struct LeaderSyncOptions {
  std::string secret;  // the cluster secret (the replication handshake)
  // Bound on each connection and request to a replica.
  int timeout_ms = 1000;
  // Pause before trying a leadership again after no majority answered or
  // the catch-up failed.
  int retry_ms = 200;
  // Bound on each local append of a fetched batch becoming durable.
  int append_timeout_ms = 10'000;
  // This node's committed ends (shared with its ReplicaServer and
  // ShardReplicator): a catch-up notes its epoch there, so that COMMITs of
  // the leadership it replaces are ignored from then on. Not owned; may be
  // null.
  replication::CommittedEnds* committed_ends = nullptr;
};

// The data in the leadership marker's record (a control record: empty
// partition key, dropped by every reader) that a new leader appends under
// its epoch once caught up. Its majority acknowledgement commits, for
// reads, the batches of earlier leaderships the leader holds (Raft's no-op
// entry).
inline constexpr std::string_view kLeaderMarkerPrefix = "spate-leader-v1 ";

// Thread-safe. Its one thread runs the catch-ups, one leadership at a time.
class LeaderSync {
 public:
  // `placement` answers replica sets, this node's id and the replicas'
  // replication addresses (AddressOf); `logs` finds this node's shard logs;
  // `replicator` ships the leadership marker. Not owned; all outlive this.
  LeaderSync(const Placement* placement, replication::ReplicaLogs* logs, streams::Replicator* replicator,
             LeaderSyncOptions options);
  ~LeaderSync();

  // Whether this node may admit appends to the shard as its leader under
  // `epoch`: true once the catch-up of that leadership is done. Otherwise
  // starts it (if not under way) and returns false. Never blocks.
  bool Ready(std::string_view shard_key, int64_t epoch);

 private:
  struct State {
    int64_t epoch = 0;
    bool ready = false;
    bool queued = false;
  };
  void Loop();
  // The catch-up of one leadership: ok once this node's log holds every
  // acknowledged batch and the marker is durable here; kConcurrentModification when the
  // leadership is over (or a replica has seen a newer one).
  Status Sync(const std::string& shard_key, int64_t epoch);
  Status AppendMarker(const std::string& shard_key, int64_t epoch, const std::shared_ptr<storage::ShardLog>& log);

  const Placement* const placement_;
  replication::ReplicaLogs* const logs_;
  streams::Replicator* const replicator_;
  const LeaderSyncOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State, std::less<>> states_;   // by shard key; guarded by mu_
  std::deque<std::pair<int64_t, std::string>> queue_;  // (not before, steady ms; shard key); guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  std::thread thread_;
};

}  // namespace spate::cluster
