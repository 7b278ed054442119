#include "streams/api/common.h"

namespace spate::streams::api {

// EnableEnhancedMonitoring: records the shard-level metrics the stream
// publishes; returns the set before and after.
void EnableEnhancedMonitoring(const Context& ctx, protocol::Value in, Done done) {
  ChangeShardLevelMetrics(ctx, in, /*enable=*/true, done);
}

}  // namespace spate::streams::api
