#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "cluster/coordinator.h"
#include "service/service.h"

namespace spate::cluster {

// Cluster operation behind the front door, under Spate's own target prefix
// SpateCluster_20261207 (signed as "kinesis", like the other Spate
// extensions; model src/protocol/models/spate-cluster-2026-12-07.json):
//
// - DescribeCluster: the nodes (id, address, alive, draining, leader count),
//   the catalog owner and every shard (stream, shard, leader, epoch,
//   replicas, a hand-over under way, and from the leader's progress report
//   in etcd its log end, committed end and the followers' durable ends and
//   lag), from this node's view of etcd (any node answers; no forwarding;
//   never calls etcd, so it runs on the calling thread).
// - DrainNode / UndrainNode {NodeId}: puts or deletes the node's drain mark
//   in etcd: one etcd round trip, run on this service's own thread (never
//   the transport's), bounded by the etcd client's request timeout; at most
//   kMaxQueuedChanges wait, beyond that LimitExceededException. The drained
//   node then hands its leaderships over and claims no new ones
//   (Coordinator). Draining a node id the cluster does not know is
//   ResourceNotFoundException.
//
// Any caller the front door authenticated may call it, as the other Spate
// extensions. Registered only in cluster mode. Thread-safe.
class AdminService : public service::Service {
 public:
  // Drains and undrains waiting for the etcd thread.
  static constexpr size_t kMaxQueuedChanges = 64;

  // `coordinator` must outlive this.
  explicit AdminService(Coordinator* coordinator);
  // Answers the queued changes with kUnavailable and joins the thread.
  ~AdminService() override;

  const protocol::ServiceModel& model() const override;
  bool Serves(const protocol::OperationInfo& op) const override;
  void Invoke(const protocol::OperationInfo& op, service::Call call, protocol::Value input,
              service::Done done) override;

 private:
  void Loop();

  Coordinator* const coordinator_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(bool run)>> queue_;  // guarded by mu_; run false: answer "stopping"
  bool stopping_ = false;                            // guarded by mu_
  std::thread thread_;
};

// DescribeCluster's answer for `state`.
protocol::Value DescribeClusterOutput(const ClusterState& state);

}  // namespace spate::cluster
