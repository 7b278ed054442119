#include "streams/api/common.h"

namespace spate::streams::api {

// TagResource: the ARN-based form of AddTagsToStream; one tag store.
void TagResource(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromResourceArn(ctx, in.GetString("ResourceARN"));
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) { return AddTags(m, *in.Find("Tags")); }));
}

}  // namespace spate::streams::api
