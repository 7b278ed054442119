#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "cluster/balancer.h"
#include "cluster/etcd_client.h"
#include "cluster/etcd_view.h"
#include "cluster/membership.h"
#include "cluster/placement.h"
#include "cluster/shard_leaders.h"
#include "metadata/stream_meta.h"
#include "streams/write_gate.h"

namespace spate::streams {
class Registry;
}  // namespace spate::streams

namespace spate::cluster {

// Where the catalog lives in etcd (docs/formats/cluster-protocol.md).
inline constexpr std::string_view kClusterPrefix = "/spate/";
inline constexpr std::string_view kCatalogOwnerKey = "/spate/catalog-owner";
inline constexpr std::string_view kStreamsPrefix = "/spate/streams/";
// A drain mark: /spate/drain/<node id> (no lease: it stays until undrained).
inline constexpr std::string_view kDrainPrefix = "/spate/drain/";
// A hand-over under way: /spate/handoffs/<shard key> -> the successor's node
// id, under the successor's lease.
inline constexpr std::string_view kHandoffsPrefix = "/spate/handoffs/";
// A node's replication progress report: /spate/progress/<node id> -> the
// shards it leads with their log ends, under the node's lease
// (docs/formats/cluster-protocol.md, "Replication progress").
inline constexpr std::string_view kProgressPrefix = "/spate/progress/";

// The etcd key of a stream's record: kStreamsPrefix + "<account>/<region>/<name>".
std::string StreamRecordKey(const metadata::StreamMeta& meta);
// The same from a catalog key (StreamMeta::Key(): "stream/<account>/<region>/<name>").
std::string StreamRecordKeyOf(std::string_view catalog_key);

// Shard key (ShardKey) -> the node ids holding it, in placement order.
using ReplicaMap = std::map<std::string, std::vector<std::string>, std::less<>>;

// A stream's record in etcd: {"meta": base64(EncodeStreamMeta),
// "replicas": {"<shard id>": ["<node id>", ...]}} (JSON).
std::string EncodeStreamRecord(const metadata::StreamMeta& meta,
                               const std::map<std::string, std::vector<std::string>>& replicas_by_shard_id);
struct StreamRecord {
  metadata::StreamMeta meta;
  std::map<std::string, std::vector<std::string>> replicas;  // by shard id
  // By shard id: members of `replicas` on their way out (a replica set
  // change under way, "leaving" in the record); absent when none.
  std::map<std::string, std::vector<std::string>> leaving;
};
// `value` (a stream record) with `meta` and `replicas` replaced, `leaving`
// set (the member removed when empty), every other member kept as it is.
Result<std::string> UpdateStreamRecord(std::string_view value, const metadata::StreamMeta* meta,
                                       const std::map<std::string, std::vector<std::string>>& replicas,
                                       const std::map<std::string, std::vector<std::string>>& leaving);
Result<StreamRecord> DecodeStreamRecord(std::string_view value);

// The `factor` nodes of `nodes` that hold a shard, in placement order:
// rendezvous (highest random weight) hashing of MD5(shard key, node id), so
// every node computes the same set, shards spread evenly over the nodes, and
// a node that joins or leaves moves only the shards it wins or held. Fewer
// nodes than `factor`: all of them.
std::vector<std::string> PlaceReplicas(std::string_view shard_key, const std::vector<std::string>& nodes,
                                       size_t factor);

// Whether this thread is applying the catalog owner's records to the
// registry (Coordinator's mirror): the only stream writes a node that does
// not own the catalog makes (SharedCatalog refuses the others).
bool MirroringOnThisThread();

struct CoordinatorOptions {
  std::string node_id;
  size_t replication_factor = 3;  // --replication-factor
  // A vacant shard is claimed at once by its first live replica (placement
  // order), by the n-th after n times this: leaders spread as placements do,
  // and a failed first replica does not leave the shard leaderless.
  int64_t standby_claim_delay_ms = 1000;
  // How often the claims and the catalog mirror are looked at besides on
  // each change etcd reports.
  int64_t tick_ms = 250;

  // Cluster operation (coordinator_ops.cc). Leaderships this node hands
  // over per second, balancing and draining alike (0: never).
  double max_moves_per_s = 4;  // --balance-moves-per-s
  // How long a node must have been live before balancing gives it leaderships.
  int64_t settle_ms = 2000;
  // How long a replica's node may be dead before the catalog owner replaces
  // it in the replica set (0: never).
  int64_t replace_grace_ms = 60'000;  // --replica-replace-grace-s
  // Replica moves to nodes that joined (a share of the existing replicas)
  // under way at once, cluster-wide; 0: none.
  size_t max_replica_moves = 2;
  // Whether a replica may take a leadership over now (caught up); unset:
  // every live replica may.
  SuccessorReady successor_ready;
  // How often, at most, this node publishes its progress report (the
  // shards it leads, their log ends and their followers' durable ends) to
  // etcd; only when it changed. 0: never.
  int64_t progress_interval_ms = 1000;
};

// What a shard's leader knows of its replication, all offsets in bytes of
// the shard's log: its own durable end, the committed end (a majority
// holds it; ShardReplicator::CommittedEnd) and each streaming follower's
// durable end.
struct LeaderProgress {
  int64_t end = 0;
  int64_t committed = 0;
  std::map<std::string, int64_t> followers;  // node id -> durable end
};

// The leader-side progress of `shard_key`, whose replica set is `replicas`
// (placement order); nullopt when this node has no log or no replication
// state for it. Called on the coordinator's thread; must not block on the
// network.
using ProgressSource =
    std::function<std::optional<LeaderProgress>(std::string_view shard_key, const std::vector<std::string>& replicas)>;

// What `spate cluster status` shows: the view of one node.
struct ClusterState {
  struct Node {
    std::string id;
    std::string address;  // empty when not live
    bool alive = false;
    bool draining = false;
    size_t leader_count = 0;
  };
  struct Shard {
    std::string shard_key;  // "<account>/<region>/<stream>/<shard id>"
    std::string leader;     // empty: vacant
    int64_t epoch = 0;
    std::vector<std::string> replicas;
    std::vector<std::string> leaving;  // replicas on their way out (a change under way)
    std::string handoff_to;            // a hand-over under way
    // From the leader's progress report in etcd, when it has published one
    // for this leadership (any node answers for every shard):
    bool has_progress = false;
    int64_t leader_end = 0;      // the leader's durable end
    int64_t committed_end = 0;   // held by a majority
    int64_t reported_at_ms = 0;  // unix ms, the leader's clock
    // node -> the follower's durable end (bytes of the shard's log).
    std::map<std::string, int64_t> follower_durable_end;
  };
  std::string self;
  std::string catalog_owner;
  int64_t revision = 0;  // the etcd revision of the view
  std::vector<Node> nodes;
  std::vector<Shard> shards;
};

// This node's part in the cluster beyond membership: the catalog owner's
// key, the mirror of the shared stream catalog into the local registry,
// shard placement and per-shard leadership.
//
// One thread, woken by every change of its EtcdView of /spate/ (and every
// tick_ms): claims the catalog owner key when it is vacant; on every node
// but the owner applies the stream records of /spate/streams/ to the
// registry (Registry::ApplyReplicated / RemoveReplicated); claims the
// leadership (ShardLeaders) of each vacant shard it is a replica of.
//
// As the data path's WriteGate it admits an append to a shard only while
// this node leads it under its held lease, with the leadership's epoch as
// the authority, and acknowledges only while that leadership and lease
// still hold. As Placement it answers from the view: it never calls etcd.
//
// Thread-safe. SetRegistry before Start; Start after the membership's.
class Coordinator final : public Placement, public streams::WriteGate {
 public:
  Coordinator(const EtcdClient* etcd, const Membership* membership, CoordinatorOptions options);
  ~Coordinator() override;

  void SetRegistry(streams::Registry* registry) { registry_ = registry; }
  // Rule 5 of docs/formats/replication.md: whether this node, having won
  // the shard's leadership under `epoch`, holds every acknowledged batch
  // and may admit appends (LeaderSync::Ready). Asked by Admit, and once
  // when a claim is won so that the catch-up starts at once. Unset: always.
  // Set before Start; must not block.
  using LeaderReadiness = std::function<bool(const std::string& shard_key, int64_t epoch)>;
  void SetLeaderReadiness(LeaderReadiness ready) { leader_ready_ = std::move(ready); }
  Status Start();
  void Stop();

  // Placement.
  const std::string& SelfId() const override { return options_.node_id; }
  std::optional<ReplicaSet> ReplicasOf(std::string_view shard_key) const override;
  std::optional<std::string> AddressOf(std::string_view node_id) const override;
  // The live node's replication address ("replication" in its node key);
  // nullopt when it is not registered or publishes none.
  std::optional<std::string> ReplicationAddressOf(std::string_view node_id) const;

  // WriteGate.
  Result<int64_t> Admit(const metadata::StreamMeta& stream, model::ShardIndex shard) const override;
  bool StillHolds(int64_t authority) const override;

  // The catalog ownership's epoch (the owner key's create revision) while
  // this node owns the catalog under a held lease; 0 otherwise.
  int64_t OwnerEpoch() const;
  bool OwnsCatalog() const { return OwnerEpoch() != 0; }
  // The node owning the catalog now, if any.
  std::optional<std::string> CatalogOwner() const;
  // The shard's leader's node id, if it has one.
  std::optional<std::string> LeaderOf(std::string_view shard_key) const;
  // The shard's replica set in placement order, with or without a leader
  // (empty when the view has no record of it).
  std::vector<std::string> ReplicaNodesOf(std::string_view shard_key) const;
  // The live nodes' ids, in order.
  std::vector<std::string> LiveNodes() const;
  const CoordinatorOptions& options() const { return options_; }

  // Cluster operation (coordinator_ops.cc).
  // Puts (Drain) or deletes (Undrain) the node's drain mark in etcd; any
  // node may, for any node id.
  Status Drain(std::string_view node_id) const;
  Status Undrain(std::string_view node_id) const;
  // The cluster as this node's view shows it.
  ClusterState State() const;
  // Set before Start: where the progress report of the shards this node
  // leads comes from (published under kProgressPrefix, read by State() on
  // every node).
  void SetProgressSource(ProgressSource source) { progress_source_ = std::move(source); }
  const EtcdView& view() const { return view_; }

 private:
  void Loop();
  void Tick();
  void Mirror(const std::vector<KeyValue>& records);
  void ClaimLeaderships(int64_t lease);

  // Cluster operation (coordinator_ops.cc), on the loop thread.
  // Hands leaderships over (balancing, drain), replaces dead replicas (on
  // the catalog owner) and drops finished hand-overs.
  void Operate(const ReplicaMap& replicas, const ReplicaMap& leaving);
  BalanceInput BalanceSnapshot(const ReplicaMap& replicas, const ReplicaMap& leaving);
  void HandOver(const std::vector<Handoff>& moves);
  // The catalog owner's part: replica set changes (PlanReplicaChange), one
  // stream record per pass.
  void ChangeReplicaSets(const BalanceInput& in);
  void DropFinishedHandoffs();
  // Publishes this node's progress report when it changed, at most every
  // progress_interval_ms.
  void PublishProgress(const ReplicaMap& replicas, int64_t lease);
  // Where this node stands among the claimants of a vacant shard (ClaimRank).
  size_t ClaimRankOf(const std::string& shard_key, const std::vector<std::string>& replicas,
                     const std::set<std::string>& live) const;

  const EtcdClient* const etcd_;
  const Membership* const membership_;
  const CoordinatorOptions options_;
  ShardLeaders leaders_;
  EtcdView view_;
  streams::Registry* registry_ = nullptr;
  LeaderReadiness leader_ready_;  // set before Start, then read-only

  mutable std::mutex mu_;
  ReplicaMap replicas_;  // guarded by mu_; from the stream records
  ReplicaMap leaving_;   // guarded by mu_; from the stream records
  // Leaderships this node admitted appends under: epoch -> (leader key, lease).
  mutable std::map<int64_t, std::pair<std::string, int64_t>> held_;  // guarded by mu_
  std::condition_variable cv_;
  bool wake_ = false;      // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;

  // Loop thread only.
  std::map<std::string, int64_t> applied_;       // stream record key -> mod revision applied
  std::map<std::string, int64_t> vacant_since_;  // leader key -> when first seen vacant (steady ms)
  std::map<std::string, int64_t> live_since_;    // node id -> when first seen live (steady ms)
  std::map<std::string, int64_t> dead_since_;    // node id of a replica -> when first seen dead (owner)
  double move_tokens_ = 0;                       // hand-overs allowed now (max_moves_per_s)
  int64_t tokens_at_ms_ = 0;                     // when move_tokens_ was last refilled
  ProgressSource progress_source_;               // set before Start
  std::string published_progress_;               // the shards of the last report published
  int64_t published_lease_ = 0;                  // the lease it was published under
  int64_t progress_at_ms_ = 0;                   // when it was published (steady ms)
};

}  // namespace spate::cluster
