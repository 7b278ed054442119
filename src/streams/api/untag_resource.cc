#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// UntagResource: the ARN-based form of RemoveTagsFromStream, also for
// consumer ARNs.
void UntagResource(const Context& ctx, protocol::Value in, Done done) {
  std::string_view arn = in.GetString("ResourceARN");
  if (LooksLikeConsumerArn(arn)) {
    auto ref = ParseConsumerArn(arn);
    if (!ref.ok()) return done(ref.status());
    Status st = ctx.registry->UpdateStream(ref->stream, [&](metadata::StreamMeta& m) {
      metadata::ConsumerMeta* c = FindConsumer(m, *ref);
      if (c == nullptr) return ConsumerNotFound(*ref);
      SPATE_TRY(CheckTagKeysToRemove(m, *in.Find("TagKeys")));
      for (const protocol::Value& k : in.Find("TagKeys")->as_array()) c->tags.erase(k.as_string());
      return Status::Ok();
    });
    if (st.code() == ErrorCode::kNotFound) st = ConsumerNotFound(*ref);
    return Finish(done, st);
  }
  auto ref = StreamFromResourceArn(ctx, arn);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(CheckTagKeysToRemove(m, *in.Find("TagKeys")));
    for (const protocol::Value& k : in.Find("TagKeys")->as_array()) m.tags.erase(k.as_string());
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
