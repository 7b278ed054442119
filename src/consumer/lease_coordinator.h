#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "consumer/lease_store.h"
#include "spate/kinesis_client.h"
#include "util/clock.h"

namespace spate::consumer {

// The lease side of one worker (KCL's lease coordinator): which leases it
// holds and their counters, renewal, taking and stealing, checkpoints and
// release. Every write is a conditional UpdateLease on the counter last
// seen, so two workers never both believe they hold a shard for longer than
// a renewal round.
//
// Expiry is judged on this worker's clock, as the KCL does: a lease owned by
// another worker is expired when its counter has not changed for
// failover_ms since this worker first saw that counter value.
//
// Thread-safe: one mutex guards the state and is held across a lease
// write, so renewals and checkpoints of this worker never race each other on
// the counter.
class LeaseCoordinator {
 public:
  // `store` and `clock` must outlive this.
  LeaseCoordinator(std::string worker_id, LeaseStore* store, const util::Clock* clock, int64_t failover_ms);

  // Creates leases for shards that have none (a shard whose parents are in
  // `shards` starts at TRIM_HORIZON, others at `initial_checkpoint`); a lease
  // another worker created first is fine.
  Outcome<Done> SyncShards(const std::vector<Shard>& shards, const std::string& initial_checkpoint);

  // Lease cleanup (as the KCL's): deletes, with a conditional DeleteLease,
  // the lease of every shard that is finished (SHARD_END) and either has
  // left the stream or has children in `shards` whose leases all hold a
  // checkpoint past TRIM_HORIZON (they are being processed, so nothing will
  // wait on the parent again). Reads the last listing (TakeLeases or
  // Refresh). Returns the shards whose leases were deleted; a lease changed
  // or deleted meanwhile by another worker is skipped.
  std::vector<std::string> CleanUpFinished(const std::vector<Shard>& shards);

  // Renews every held lease. A lease whose renewal fails its condition (or
  // that could not be renewed for the failover time) is no longer held.
  // Returns the shards lost.
  std::vector<std::string> RenewAll();

  // Lists the table, updates the expiry observations, and takes unowned and
  // expired leases up to this worker's fair share (unfinished leases divided
  // by the live workers, rounded up); if none is available and the busiest
  // worker holds more than the fair share, steals one of its leases. Leases
  // at SHARD_END are never taken. Returns the shards taken.
  Outcome<std::vector<std::string>> TakeLeases();

  // Writes a checkpoint of a held lease. "LeaseLost" when not held or when
  // the condition fails (then the lease is dropped).
  Outcome<Done> Checkpoint(const std::string& shard_id, const std::string& checkpoint, int64_t sub_sequence);
  // Gives a held lease up (owner ""), so another worker takes it at once.
  Outcome<Done> Release(const std::string& shard_id);

  bool Holds(const std::string& shard_id) const;
  std::vector<std::string> Held() const;
  // The checkpoint of a held lease (as last written or read).
  std::optional<LeaseRecord> HeldLease(const std::string& shard_id) const;
  // Whether every parent of `lease` is at SHARD_END (or has no lease: it
  // left the stream before the table knew it), per the last listing.
  bool ParentsFinished(const LeaseRecord& lease) const;
  // Refreshes the listing that ParentsFinished reads.
  Outcome<Done> Refresh();

  const std::string& worker_id() const { return worker_id_; }

 private:
  struct HeldState {
    LeaseRecord lease;
    int64_t last_renewed_ns = 0;
  };
  struct Observed {
    int64_t counter = -1;
    int64_t since_ns = 0;  // when this counter value was first seen
  };

  Outcome<Done> RefreshLocked();  // requires mu_
  bool ExpiredLocked(const LeaseRecord& lease, int64_t now_ns) const;
  bool TakeLocked(const LeaseRecord& lease);

  const std::string worker_id_;
  LeaseStore* const store_;
  const util::Clock* const clock_;
  const int64_t failover_ns_;

  mutable std::mutex mu_;
  std::map<std::string, HeldState> held_;     // guarded by mu_
  std::map<std::string, LeaseRecord> table_;  // last listing; guarded by mu_
  std::map<std::string, Observed> observed_;  // guarded by mu_
};

}  // namespace spate::consumer
