#pragma once

// A shard's AWS structures as documents: shared by the handlers in api/ and
// the fan-out's SubscribeToShardEvent, which sit above this.

#include "protocol/value.h"

namespace spate::metadata {
struct ShardMeta;
}  // namespace spate::metadata

namespace spate::streams {

// A Shard structure as DescribeStream and ListShards return it; `epoch` is
// the stream's (its sequence numbers').
protocol::Value ShardValue(const metadata::ShardMeta& shard, uint32_t epoch);

// A ChildShard structure (GetRecords / SubscribeToShard at a shard's end).
protocol::Value ChildShardValue(const metadata::ShardMeta& shard);

}  // namespace spate::streams
