#pragma once

#include <compare>
#include <cstdint>

namespace spate::model {

// Index of a shard within its stream: shardId-000000000007 has index 7.
// Indexes increase as shards are created and are never reused. Every layer
// passes a shard as this type, never as a bare integer: the catalog
// (metadata::ShardMeta), the shard logs (storage::LogStore::OpenShard),
// sequence numbers and iterators. Kept apart from types.h so that storage
// headers need nothing but this.
struct ShardIndex {
  uint32_t value = 0;
  auto operator<=>(const ShardIndex&) const = default;
};

}  // namespace spate::model
