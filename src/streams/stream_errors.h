#pragma once

// AWS's errors about streams and shards, worded as AWS words them, shared
// by the registry and the handlers in api/.

#include <cstdint>

#include "base/status.h"
#include "model/types.h"
#include "streams/stream_ref.h"

namespace spate::streams {

// kNotFound: "Stream X under account Y not found."
Status StreamNotFound(const StreamRef& ref);

// kThroughputExceeded: "Rate exceeded for shard shardId-... in stream X
// under account Y.", the error of a throttled data-plane call.
Status ShardRateExceeded(const metadata::StreamMeta& meta, model::ShardIndex shard);

// kResourceInUse "Stream X under account Y not ACTIVE, instead in state Z"
// unless the stream is ACTIVE.
Status RequireActive(const metadata::StreamMeta& meta);

// kValidation "... is in On-Demand mode." for an ON_DEMAND stream
// (resharding is for provisioned streams only).
Status RequireProvisioned(const metadata::StreamMeta& meta);

// kLimitExceeded: the request would take the account over its open-shard
// `limit` (`open` now, `additional` more).
Status ShardLimitExceeded(const StreamRef& ref, uint32_t open, uint32_t additional, uint32_t limit);

}  // namespace spate::streams
