#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// SplitShard: closes ShardToSplit and opens two children, [start,
// NewStartingHashKey-1] and [NewStartingHashKey, end]; UPDATING meanwhile.
void SplitShard(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->SplitShard(*ref, in.GetString("ShardToSplit"), in.GetString("NewStartingHashKey")));
}

}  // namespace spate::streams::api
