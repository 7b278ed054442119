#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cluster/etcd_client.h"
#include "model/types.h"

namespace spate::cluster {

inline constexpr std::string_view kLeadersPrefix = "/spate/leaders/";

// The name of a shard in the leaders' keys: "<account>/<region>/<stream>/<shard id>".
std::string ShardKey(std::string_view account, std::string_view region, std::string_view stream,
                     std::string_view shard_id);

// The parts of a shard key, or nullopt when it is not one (four parts, the
// last a shard id).
struct ShardKeyParts {
  std::string account, region, stream;
  model::ShardIndex shard;
};
std::optional<ShardKeyParts> ParseShardKey(std::string_view shard_key);

// One shard's leadership as etcd records it.
struct Leadership {
  std::string node_id;
  // The fencing epoch: the create revision of the leader key, i.e. the etcd
  // revision of the Txn that won it. Every later leadership of the shard has
  // a higher one (a key created again gets a new, higher revision).
  int64_t epoch = 0;
  int64_t lease = 0;  // the leader's lease: the key goes with it
};

// Per-shard leadership in etcd: the key kLeadersPrefix + ShardKey, whose
// value is the leader's node id, held under the leader's lease. Stateless and
// thread-safe (every call is one etcd round trip).
//
// Not yet wired into the data path (src/cluster/README.md): Membership does
// not consult it, so no node refuses an append for want of leadership.
class ShardLeaders {
 public:
  explicit ShardLeaders(const EtcdClient* etcd) : etcd_(etcd) {}

  // Claims the shard for `node_id` under `lease` if it has no leader: one
  // Txn (create_revision == 0 -> put). Returns the leadership in force after
  // it, this node's (won now or held already) or another's.
  Result<Leadership> Claim(std::string_view shard_key, std::string_view node_id, int64_t lease) const;
  // The shard's leader; nullopt when it has none.
  Result<std::optional<Leadership>> Leader(std::string_view shard_key) const;
  // Gives the shard up if `epoch` is still its leadership (a drain); false
  // when it was not (nothing is deleted).
  Result<bool> Release(std::string_view shard_key, int64_t epoch) const;

 private:
  const EtcdClient* const etcd_;
};

}  // namespace spate::cluster
