#pragma once

// The leader side of replication (docs/formats/replication.md): ships each
// shard's durable batches to the other replicas named by the Placement, and
// acknowledges a batch once a majority of the replica set holds it durably.
// Implements the registry's streams::Replicator.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/placement.h"
#include "cluster/replication/committed_ends.h"
#include "cluster/replication/socket.h"
#include "streams/replicator.h"

namespace spate::cluster::replication {

struct ReplicatorOptions {
  std::string secret;  // the cluster secret (ReplicaServerOptions::secret)
  // A batch without a majority by then fails with kUnavailable.
  int64_t ack_timeout_ms = 5000;
  // Bytes sent to one follower of one shard and not yet acknowledged.
  size_t max_inflight_bytes = 8u << 20;
  // Bytes read from the leader's log per step of a follower's stream.
  size_t read_bytes = 1u << 20;
  // How often the state of shards this node no longer leads (deleted,
  // moved, or without a leader) is looked for and dropped.
  int64_t forget_interval_ms = 1000;
  int connect_timeout_ms = 1000;
  // Pause before reconnecting to a node or re-probing a follower that
  // failed a request.
  int retry_ms = 100;
  // This node's knowledge of committed ends, shared with its ReplicaServer
  // (ReplicaServerOptions::committed_ends), which records what leaders tell
  // it; not owned. Null: the replicator keeps its own (it then serves
  // reads only of what it committed as the leader).
  CommittedEnds* committed_ends = nullptr;
};

class ShardReplicator final : public streams::Replicator {
 public:
  // `placement` is not owned and must outlive the replicator.
  ShardReplicator(const Placement* placement, ReplicatorOptions options);
  // Fails every waiting batch with kUnavailable and joins every thread.
  ~ShardReplicator() override;

  // Fails at once with kUnavailable unless the Placement names this node
  // the shard's leader under `authority` (its epoch), or when a replica has
  // seen a higher epoch (fenced).
  void Replicate(const streams::ReplicatedShard& shard, std::shared_ptr<storage::ShardLog> log, storage::Offset end,
                 int64_t authority, std::function<void(Status)> done) override;

  // The end of the prefix of the shard's log that a majority of its
  // replica set holds durably, as far as this node knows, never past `log`'s
  // own acknowledged end (docs/formats/replication.md, "Reads"). As the
  // leader it learns it from its followers' replies, counting only from the
  // first batch of its leadership on (Raft's rule: entries of earlier
  // leaderships are committed by one of the current one), and tells its
  // followers (COMMIT); as a follower it is what the leader last told it
  // (CommittedEnds). Kept when the leadership ends (a committed batch stays
  // committed in every later leadership), so a follower, a deposed leader
  // and a claimant still catching up serve reads up to it. A single-replica
  // set's leader: the log's end. Nothing known (after a restart, before the
  // first COMMIT): 0.
  storage::Offset CommittedEnd(const streams::ReplicatedShard& shard, const storage::ShardLog& log) const override;

  // The durable end `node` has acknowledged for `shard_key` in the current
  // leadership (status, tests); nullopt until its log matches the leader's.
  std::optional<storage::Offset> FollowerDurableEnd(std::string_view shard_key, std::string_view node) const;
  // Shards whose state (followers, waiting batches, a reference to the
  // log) is kept: those this node replicated to recently enough. A shard
  // the Placement no longer names this node the leader of, and with no
  // batch waiting, is forgotten within forget_interval_ms (the next
  // Replicate starts it afresh, probing its followers again).
  size_t ShardCount() const;

 private:
  enum class Phase { kProbe, kProbing, kTruncate, kTruncating, kStreaming };
  struct Follower {
    std::string node;
    Phase phase = Phase::kProbe;
    uint64_t session = 0;       // bumped on every reset: older replies are ignored
    uint64_t at = UINT64_MAX;   // the probe candidate / truncation target; MAX: the leader's end
    uint64_t next_send = 0;     // kStreaming: the next offset to send
    uint64_t durable = 0;       // kStreaming: its acknowledged end
    uint64_t told = 0;          // kStreaming: the committed end last sent to it (COMMIT)
    size_t inflight_bytes = 0;  // sent, not yet answered
    int64_t retry_at_ms = 0;    // no request before this (steady clock)
  };
  struct Waiter {
    uint64_t end;
    int64_t deadline_ms;
    std::function<void(Status)> done;
  };
  struct Shard {
    std::string key;
    uint64_t incarnation = 0;  // tells a shard forgotten and started again from the old one
    std::shared_ptr<storage::ShardLog> log;
    int64_t epoch = 0;
    size_t replicas = 1;  // the replica set's size, leader included
    // The one member leaving the set (ReplicaSet::leaving), not counted
    // towards a majority of the others; empty otherwise.
    std::string leaving;
    std::vector<Follower> followers;
    std::vector<Waiter> waiters;  // sorted by end
    bool fenced = false;          // a replica has seen a higher epoch
    // The end of this leadership's first batch, and the largest end a
    // majority has held since (CommittedEnd).
    uint64_t first_own_end = UINT64_MAX;
    uint64_t committed = 0;
  };
  struct Sent {
    std::string shard_key;
    uint64_t session;
    FrameType type;
    size_t bytes;
    uint64_t at;
  };
  struct Peer {
    std::string node;
    std::thread writer;
    std::thread reader;
    std::shared_ptr<Socket> socket;           // guarded by mu_; null when not connected
    std::unordered_map<uint64_t, Sent> sent;  // guarded by mu_; requests awaiting a reply
  };
  using Done = std::function<void()>;

  void WriterLoop(Peer* peer);
  void ReaderLoop(Peer* peer, std::shared_ptr<Socket> socket);
  Result<std::shared_ptr<Socket>> Dial(const std::string& node);
  void HandleReply(Peer* peer, const Reply& reply);
  void ReaperLoop();
  // Reaper thread, mu_ held by `l` (released while asking the Placement):
  // drops the shards no longer led here that have no batch waiting.
  void ForgetUnled(std::unique_lock<std::mutex>& l);
  // Under mu_: resets a follower to probe again after retry_ms.
  void ResetLocked(Follower& f, bool delay);
  // Under mu_: the waiters a majority now holds, and the fencing of a shard.
  void CollectReadyLocked(Shard& sh, std::vector<Done>* out);
  void FenceLocked(Shard& sh, int64_t seen_epoch, std::vector<Done>* out);
  // The largest batch boundary of the leader's log at or below `offset`.
  static uint64_t BoundaryAtOrBelow(const storage::ShardLog& log, uint64_t offset);
  static int64_t NowMs();

  const Placement* const placement_;
  const ReplicatorOptions options_;
  CommittedEnds own_committed_ends_;  // used when options_.committed_ends is null
  CommittedEnds* const committed_ends_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                                         // work for writers; the reaper's stop
  bool stop_ = false;                                                  // guarded by mu_
  uint64_t next_request_ = 1;                                          // guarded by mu_
  uint64_t next_incarnation_ = 1;                                      // guarded by mu_
  std::map<std::string, std::unique_ptr<Shard>, std::less<>> shards_;  // guarded by mu_
  std::map<std::string, std::unique_ptr<Peer>, std::less<>> peers_;    // guarded by mu_
  std::thread reaper_;
};

}  // namespace spate::cluster::replication
