#include "streams/api/common.h"

namespace spate::streams::api {

// DisableEnhancedMonitoring: the inverse of EnableEnhancedMonitoring.
void DisableEnhancedMonitoring(const Context& ctx, protocol::Value in, Done done) {
  ChangeShardLevelMetrics(ctx, in, /*enable=*/false, done);
}

}  // namespace spate::streams::api
