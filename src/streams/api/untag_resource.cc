#include "streams/api/common.h"

namespace spate::streams::api {

// UntagResource: the ARN-based form of RemoveTagsFromStream.
void UntagResource(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromResourceArn(ctx, in.GetString("ResourceARN"));
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    for (const protocol::Value& k : in.Find("TagKeys")->as_array()) m.tags.erase(k.as_string());
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
