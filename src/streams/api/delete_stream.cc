#include "streams/api/common.h"

namespace spate::streams::api {

using protocol::Value;

// DeleteStream: DELETING now, gone after the state delay. A stream still
// being created cannot be deleted yet (AWS answers ResourceInUse).
void DeleteStream(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  Status st = ctx.registry->WithStream(*ref, [](const Stream& s) {
    if (s.meta().status == metadata::StreamStatus::kCreating) return RequireActive(s.meta());
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  Finish(done, ctx.registry->DeleteStream(*ref));
}

}  // namespace spate::streams::api
