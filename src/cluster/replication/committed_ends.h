#pragma once

// What this node knows of each shard's committed end (docs/formats/
// replication.md, "Reads"): the end of the prefix of the shard's log that a
// majority of its replica set holds durably, learnt as the leader (from its
// followers' replies) or as a follower (from the leader's COMMIT frames).
// Every read on this node, leader or follower, stops there.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/shard_log.h"

namespace spate::cluster::replication {

// Thread-safe (one mutex; never held while calling out). Kept in memory
// only: after a restart a node knows nothing committed until its shard's
// leader tells it again (or it leads and commits a batch of its own).
//
// An entry belongs to one log object (one incarnation of the shard: a
// stream deleted and created again under the same name has a new log, whose
// entry starts again from nothing).
class CommittedEnds {
 public:
  // Raises the committed end known for `shard_key`'s `log` to `end` (it
  // never goes down), as told by the leadership of `epoch`; ignored when a
  // leadership above `epoch` has been seen for the shard (NoteEpoch), or
  // its log has seen one (a deposed leader may still be sending).
  void Raise(std::string_view shard_key, const std::shared_ptr<storage::ShardLog>& log, int64_t epoch, uint64_t end);
  // Records that a leadership of `epoch` has talked to this node about the
  // shard (a new leader's PROBE or FETCH): COMMITs of lower epochs are
  // ignored from now on.
  void NoteEpoch(std::string_view shard_key, const std::shared_ptr<storage::ShardLog>& log, int64_t epoch);
  // After `log` was cut back to `end`: the known end is at most `end`. (A
  // committed batch is never cut, so this lowers nothing unless the
  // protocol's invariant is broken; it then keeps reads off the cut.)
  void Lower(std::string_view shard_key, const storage::ShardLog& log, uint64_t end);
  // The committed end known for `log` (0 when none is known), never past
  // the log's own acknowledged end.
  uint64_t Get(std::string_view shard_key, const storage::ShardLog& log) const;

 private:
  struct Entry {
    std::weak_ptr<storage::ShardLog> log;
    const storage::ShardLog* identity = nullptr;  // compared only while `log` is alive
    uint64_t end = 0;
    int64_t epoch = 0;  // the highest leadership seen for the shard
  };
  // Under mu_: the entry of `log`, started afresh if it belonged to another
  // (or a destroyed) log.
  Entry& EntryLocked(std::string_view shard_key, const std::shared_ptr<storage::ShardLog>& log);

  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // by shard key; guarded by mu_
  size_t prune_at_ = 64;                               // guarded by mu_: size that triggers a sweep
};

}  // namespace spate::cluster::replication
