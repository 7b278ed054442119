#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// AddTagsToStream: adds or overwrites tags (shared with TagResource).
void AddTagsToStream(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) { return AddTags(m, *in.Find("Tags")); }));
}

}  // namespace spate::streams::api
