#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "base/status.h"
#include "cluster/etcd_client.h"
#include "cluster/lease_keeper.h"
#include "streams/write_gate.h"
#include "util/clock.h"

namespace spate::cluster {

// Where cluster state lives in etcd (docs/formats/cluster-protocol.md).
inline constexpr std::string_view kNodesPrefix = "/spate/nodes/";

struct MembershipOptions {
  std::string node_id;    // --node-id: unique among live nodes
  std::string advertise;  // --advertise: host:port other nodes and clients reach this node at
  std::string version;    // this binary's version, published with the node
  // host:port of the node's replication port (replication/replica_server.h);
  // published as "replication" when set.
  std::string replication;
  LeaseKeeperOptions lease;
};

// This node's membership of the cluster: an etcd lease kept alive by a
// LeaseKeeper and, under it, the key kNodesPrefix + node_id whose value is
// {"advertise": ..., "version": ..., "lease": ..., "replication": ...} (JSON). The key goes when
// the lease does (kill -9, partition, Stop), so the live nodes are exactly
// the keys under kNodesPrefix.
//
// As the data path's WriteGate it admits an append only while the lease is
// held and the node key is under it, with the lease's id as the authority, and acknowledges it only if that lease is
// still held once the records are durable: a node that loses its lease stops acknowledging writes at once (by its own
// clock, not when it next hears from etcd). After a loss the node takes a new lease and registers again.
//
// Thread-safe.
class Membership final : public streams::WriteGate {
 public:
  Membership(const EtcdClient* etcd, MembershipOptions options, util::Clock* clock);
  ~Membership() override;

  // Before Start: where the node is reached, when it was not known at
  // construction (a port chosen by the kernel).
  void SetAdvertise(std::string advertise) { options_.advertise = std::move(advertise); }
  void SetReplicationAddress(std::string address) { options_.replication = std::move(address); }
  // Takes the lease and registers the node. kAlreadyExists when a live
  // node holds the same node id; etcd's error when etcd cannot be reached.
  Status Start();
  // Revokes the lease: the node key goes at once.
  void Stop();

  const MembershipOptions& options() const { return options_; }
  int64_t lease_id() const { return keeper_.lease_id(); }
  bool live() const { return keeper_.held(); }

  Result<int64_t> Admit(const metadata::StreamMeta& stream, model::ShardIndex shard) const override;
  bool StillHolds(int64_t authority) const override { return keeper_.Holds(authority); }

 private:
  // Writes the node key under `lease` unless a lease not ours holds it.
  Status Register(int64_t lease);

  const EtcdClient* const etcd_;
  MembershipOptions options_;  // advertise may change before Start, then constant
  LeaseKeeper keeper_;
  // Every lease this process has held (read and written by Register only,
  // which runs on one thread at a time: Start's, then the keeper's).
  std::set<int64_t> own_leases_;
  std::atomic<int64_t> registered_lease_{0};  // the lease the node key is under
};

}  // namespace spate::cluster
