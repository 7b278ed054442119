#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// RemoveTagsFromStream: unknown keys are ignored.
void RemoveTagsFromStream(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(CheckTagKeysToRemove(m, *in.Find("TagKeys")));
    for (const protocol::Value& k : in.Find("TagKeys")->as_array()) m.tags.erase(k.as_string());
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
