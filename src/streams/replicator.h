#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "model/types.h"
#include "storage/shard_log.h"

namespace spate::streams {

// A shard as cluster mode names it: the stream's account, region and name,
// and the shard's index (the cluster builds its shard key from these).
struct ReplicatedShard {
  std::string account;
  std::string region;
  std::string stream;
  model::ShardIndex shard;
};

// Cluster mode's replication of the shard leader's batches to the shard's
// other replicas (src/cluster/replication/, docs/formats/replication.md).
// The registry calls Replicate after a batch is durable in the local log
// and before it acknowledges it; the acknowledgement waits for `done`. A
// single node sets no replicator (RegistryOptions::replicator is null).
//
// Implementations are thread-safe and must not block: Replicate is called
// on a storage writer thread.
class Replicator {
 public:
  virtual ~Replicator() = default;
  // `log` is the shard's local log, whose acknowledged end is now at least
  // `end` (the end of the batch just made durable); `authority` is what
  // WriteGate::Admit returned for the batch (the shard leadership's fencing
  // epoch). Runs `done` exactly once, on any thread, with Ok once a
  // majority of the shard's replica set (this node's log counting as one)
  // holds [.., end) durably, or with the error that fails the batch's
  // records (kUnavailable: no majority in time, or a newer leadership).
  virtual void Replicate(const ReplicatedShard& shard, std::shared_ptr<storage::ShardLog> log, storage::Offset end,
                         int64_t authority, std::function<void(Status)> done) = 0;
  // The end of the shard's log that reads on this node may serve: the
  // prefix a majority of the replica set holds durably in the leadership
  // this node holds now, so that no record served can vanish in a failover
  // (docs/formats/replication.md, "Reads"). 0 on a node that does not lead
  // the shard; `log`'s own acknowledged end at most.
  virtual storage::Offset CommittedEnd(const ReplicatedShard& shard, const storage::ShardLog& log) const = 0;
};

}  // namespace spate::streams
