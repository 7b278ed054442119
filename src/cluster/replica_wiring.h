#pragma once

// What spated needs to run replication over the coordinator and the
// registry (src/cluster/README.md, "Wiring and dependencies").

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/coordinator.h"
#include "cluster/placement.h"
#include "cluster/replication/replica_server.h"

namespace spate::streams {
class Registry;
}  // namespace spate::streams

namespace spate::cluster {

// The ReplicaServer's and LeaderSync's way to this node's shard logs: the
// shard key's stream by account, region and name in the registry (mirrored
// from the catalog in etcd), then its shard's log. kNotFound until the
// registry has the stream. Thread-safe; `registry` outlives it.
class RegistryReplicaLogs final : public replication::ReplicaLogs {
 public:
  explicit RegistryReplicaLogs(const streams::Registry* registry) : registry_(registry) {}
  Result<std::shared_ptr<storage::ShardLog>> LogFor(std::string_view shard_key) override;

 private:
  const streams::Registry* const registry_;
};

// The coordinator's placement as replication sees it: the same replica
// sets and leaders, with each node's replication address ("replication" in
// its node key) instead of its API address.
class ReplicationPlacement final : public Placement {
 public:
  explicit ReplicationPlacement(const Coordinator* coordinator) : coordinator_(coordinator) {}
  const std::string& SelfId() const override { return coordinator_->SelfId(); }
  std::optional<ReplicaSet> ReplicasOf(std::string_view shard_key) const override {
    return coordinator_->ReplicasOf(shard_key);
  }
  std::optional<std::string> AddressOf(std::string_view node_id) const override {
    return coordinator_->ReplicationAddressOf(node_id);
  }

 private:
  const Coordinator* const coordinator_;
};

}  // namespace spate::cluster
