#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// TagResource: the ARN-based form of AddTagsToStream (one tag store), also
// for consumer ARNs.
void TagResource(const Context& ctx, protocol::Value in, Done done) {
  std::string_view arn = in.GetString("ResourceARN");
  if (LooksLikeConsumerArn(arn)) {
    auto ref = ParseConsumerArn(arn);
    if (!ref.ok()) return done(ref.status());
    Status st = ctx.registry->UpdateStream(ref->stream, [&](metadata::StreamMeta& m) {
      metadata::ConsumerMeta* c = FindConsumer(m, *ref);
      if (c == nullptr) return ConsumerNotFound(*ref);
      return AddConsumerTags(m, c, *in.Find("Tags"));
    });
    if (st.code() == ErrorCode::kNotFound) st = ConsumerNotFound(*ref);
    return Finish(done, st);
  }
  auto ref = StreamFromResourceArn(ctx, arn);
  if (!ref.ok()) return done(ref.status());
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) { return AddTags(m, *in.Find("Tags")); }));
}

}  // namespace spate::streams::api
