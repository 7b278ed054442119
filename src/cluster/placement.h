#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::cluster {

// Where one shard lives in the cluster: the contract between the placement
// (the stream catalog and shard leadership in etcd, which decides it) and
// replication (which ships the leader's batches to the other replicas).
struct ReplicaSet {
  // The leadership's fencing epoch (ShardLeaders: the create revision of the
  // leader key). Stamped into every batch the leader appends; a replica
  // refuses batches from an epoch lower than the highest it has seen.
  int64_t epoch = 0;
  // The leader's node id.
  std::string leader;
  // The node ids holding the shard, leader included, in placement order
  // (the replication factor long, or shorter while nodes are missing).
  std::vector<std::string> replicas;
  // The members of `replicas` on their way out of the set while a newcomer
  // catches up (cluster-protocol.md, "Balancing, drain and replacement").
  // With exactly one leaving member that is not the leader, an append is
  // acknowledged once a majority of the other members hold it, so a dead
  // member's replacement does not stall writes until the newcomer has copied
  // the log; elections still take a majority of the whole set, which meets
  // every such majority (docs/formats/replication.md).
  std::vector<std::string> leaving;
};

// The cluster's view of where shards live, as this node last saw it in
// etcd (kept current by watches). Thread-safe; never calls etcd, so the data
// path may ask it on every batch.
//
// A shard is named as in the leaders' keys (ShardKey in shard_leaders.h):
// "<account>/<region>/<stream>/<shard id>".
class Placement {
 public:
  virtual ~Placement() = default;
  // This node's id (--node-id).
  virtual const std::string& SelfId() const = 0;
  // The shard's replica set and leadership; nullopt when the shard has no
  // leader at the moment (being placed, or its leader died and no other
  // replica has claimed it yet).
  virtual std::optional<ReplicaSet> ReplicasOf(std::string_view shard_key) const = 0;
  // The advertised address ("host:port") of a live node; nullopt when the
  // node is not registered.
  virtual std::optional<std::string> AddressOf(std::string_view node_id) const = 0;
};

}  // namespace spate::cluster
