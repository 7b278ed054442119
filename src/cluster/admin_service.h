#pragma once

#include "cluster/coordinator.h"
#include "service/service.h"

namespace spate::cluster {

// Cluster operation behind the front door, under Spate's own target prefix
// SpateCluster_20261207 (signed as "kinesis", like the other Spate
// extensions; model src/protocol/models/spate-cluster-2026-12-07.json):
//
// - DescribeCluster: the nodes (id, address, alive, draining, leader count),
//   the catalog owner and every shard (stream, shard, leader, epoch,
//   replicas, a hand-over under way, the followers' durable ends where this
//   node leads and replication reports them), from this node's view of etcd
//   (any node answers; no forwarding).
// - DrainNode / UndrainNode {NodeId}: puts or deletes the node's drain mark
//   in etcd (one etcd round trip on the calling thread, bounded by the etcd
//   client's request timeout); the drained node then hands its leaderships
//   over and claims no new ones (Coordinator). Draining a node id the
//   cluster does not know is ResourceNotFoundException.
//
// Any caller the front door authenticated may call it, as the other Spate
// extensions. Registered only in cluster mode. Thread-safe.
class AdminService : public service::Service {
 public:
  // `coordinator` must outlive this.
  explicit AdminService(Coordinator* coordinator) : coordinator_(coordinator) {}

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  Coordinator* const coordinator_;
};

// DescribeCluster's answer for `state`.
protocol::Value DescribeClusterOutput(const ClusterState& state);

}  // namespace spate::cluster
