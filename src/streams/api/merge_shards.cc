#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// MergeShards: closes ShardToMerge and the AdjacentShardToMerge right above
// it and opens one child covering both; UPDATING meanwhile.
void MergeShards(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->MergeShards(*ref, in.GetString("ShardToMerge"), in.GetString("AdjacentShardToMerge")));
}

}  // namespace spate::streams::api
