#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DeleteStream: DELETING now, gone after the state delay. A stream still
// being created cannot be deleted yet (AWS answers ResourceInUse), nor one
// with registered consumers unless EnforceConsumerDeletion is true (they go
// with it; their subscriptions end).
void DeleteStream(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  const Value* enforce = in.Find("EnforceConsumerDeletion");
  bool enforce_consumer_deletion = enforce != nullptr && enforce->is_bool() && enforce->as_bool();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    if (s.meta().status == metadata::StreamStatus::kCreating) return RequireActive(s.meta());
    if (!s.meta().consumers.empty() && !enforce_consumer_deletion) {
      return Status(ErrorCode::kResourceInUse, "Stream " + s.meta().name + " under account " + s.meta().account +
                                                   " has registered consumers; set EnforceConsumerDeletion to "
                                                   "delete them with it.");
    }
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  Finish(done, ctx.registry->DeleteStream(*ref));
}

}  // namespace spate::streams::api
