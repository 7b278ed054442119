#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace spate::cluster {

// The decisions of cluster operation (docs/formats/cluster-protocol.md,
// "Balancing, drain and replacement"), as pure functions of one snapshot of
// the etcd view, so that every rule is tested without a cluster. The
// Coordinator feeds them and carries their answers out by etcd transactions.

// One shard as the view shows it.
struct ShardView {
  std::string shard_key;              // ShardKey(): "<account>/<region>/<stream>/<shard id>"
  std::vector<std::string> replicas;  // placement order
  std::string leader;                 // empty: vacant
  int64_t epoch = 0;                  // the leadership's, when led
  std::string handoff_to;             // a pending hand-over's successor (vacant shards only), else empty
  std::vector<std::string> leaving;   // replicas on their way out (ReplicaSetState::leaving)
};

struct BalanceInput {
  std::string self;
  std::set<std::string> live;      // registered nodes (the keys under /spate/nodes/)
  std::set<std::string> draining;  // nodes with a drain mark (live or not)
  // Live nodes that may receive leaderships by balancing (live long enough
  // not to be flapping); a subset of `live`. Drains ignore it.
  std::set<std::string> settled;
  std::vector<ShardView> shards;
};

// One leadership `self` hands over: released at `epoch`, `successor` claims it.
struct Handoff {
  std::string shard_key;
  int64_t epoch = 0;
  std::string successor;
};

// Whether `node` may take over `shard_key` now (a caught-up replica); the
// Coordinator asks replication when it is wired, every live replica is
// ready otherwise.
using SuccessorReady = std::function<bool(std::string_view shard_key, std::string_view node)>;

// The leaderships of `self` to hand over now, at most `max_moves`:
// - `self` draining: each shard it leads goes to the live, non-draining
//   replica with the fewest leaderships (placement order breaks ties);
// - otherwise a shard moves to such a (settled) replica only if `self` leads
//   at least two more shards than it, counting the hand-overs under way as
//   the successor's. Each move lowers the sum of the squared counts, so
//   balancing ends and never moves a leadership back and forth.
// A successor is always one of the shard's replicas, live, `ready` and not
// leaving the set; a leader that is leaving the set hands the shard over as
// a draining one does.
std::vector<Handoff> PlanHandoffs(const BalanceInput& in, size_t max_moves, const SuccessorReady& ready);

// The leaderships each live node holds, hand-overs under way counted for
// their successor.
std::map<std::string, size_t> LeaderCounts(const BalanceInput& in);

// Where `self` stands among the claimants of a vacant shard: 0 claims at
// once, n after n claim delays. The pending hand-over's successor first
// (when live), then the live non-draining replicas in placement order, then
// the live draining ones (a drained node claims only when no other replica
// can). `self` not a replica (nor the successor): SIZE_MAX.
size_t ClaimRank(const ShardView& shard, std::string_view self, const std::set<std::string>& live,
                 const std::set<std::string>& draining);

// A shard's replica set after replacing the nodes dead past the grace
// period (`dead`) by live, non-draining nodes (`candidates`) not in it,
// chosen by rendezvous hashing (PlaceReplicas), each appended at the end of
// the placement order; a set shorter than `factor` (fewer nodes when the
// shard was placed) is filled the same way. A dead replica leaves only for
// a replacement (a set never shrinks); unchanged when no live replica would
// remain (nothing to catch a new one up from) or nothing applies.
std::vector<std::string> ReplaceReplicas(std::string_view shard_key, const std::vector<std::string>& replicas,
                                         const std::set<std::string>& dead, const std::vector<std::string>& candidates,
                                         const std::set<std::string>& live, size_t factor);

// A shard's replica set with a change under way (docs/formats/cluster-protocol.md,
// "Changing a replica set"): `replicas` in placement order, members on their
// way out included, and `leaving`, the members to drop once the others hold
// every acknowledged batch. Empty `leaving`: no change under way.
struct ReplicaSetState {
  std::vector<std::string> replicas;
  std::vector<std::string> leaving;
  bool operator==(const ReplicaSetState&) const = default;
};

struct ReplicaPlanInput {
  std::string shard_key;
  ReplicaSetState set;
  std::string leader;                   // empty: none now
  std::set<std::string> live;           // registered nodes
  std::set<std::string> dead;           // replicas dead past the grace period
  std::set<std::string> settled;        // live long enough to receive a share
  std::vector<std::string> candidates;  // live, non-draining nodes (may receive replicas)
  size_t factor = 3;
  // Whether a live replica may be moved to a node that joined (the owner's
  // bound on such moves under way is not reached).
  bool allow_share_move = false;
};

// Whether the leader's latest report on this leadership shows `node` holding
// the shard's committed end (every acknowledged batch).
using CaughtUp = std::function<bool(const std::string& node)>;

// The next state of one shard's replica set, as the catalog owner decides it
// (unchanged when nothing applies):
// 1. A change under way completes (the `leaving` members dropped) once the
//    shard has a live leader outside `leaving`, every other live remaining
//    member is `caught_up`, and the leader with the caught-up members make
//    a majority of the remaining set: every acknowledged batch is then on a
//    majority of it. Until then the set keeps both, so an acknowledgement
//    needs a majority of the larger set.
// 2. Otherwise members dead past the grace period are replaced (ReplaceReplicas
//    chooses the newcomers): the newcomers are appended and the dead members
//    become `leaving`. Newcomers that only fill a short set are appended
//    with nothing leaving.
// 3. Otherwise, when `allow_share_move`, every member is live and settled and
//    the set is full: a node the rendezvous placement over the settled live
//    nodes would choose and that is missing (a node that joined) is appended,
//    and the member that placement no longer chooses becomes `leaving` (a
//    leader that is leaving hands the shard over first, PlanHandoffs): a share of the existing replicas moves to the
//    new node, one shard at a time, the same safe way.
ReplicaSetState PlanReplicaChange(const ReplicaPlanInput& in, const CaughtUp& caught_up);

}  // namespace spate::cluster
