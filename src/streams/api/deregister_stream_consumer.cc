#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/fan_out.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DeregisterStreamConsumer: the consumer goes DELETING (gone after the state
// delay) and its subscriptions end now.
void DeregisterStreamConsumer(const Context& ctx, Value in, Done done) {
  auto ref = ConsumerFromInput(in);
  if (!ref.ok()) return done(ref.status());
  std::string arn;
  Status st = ctx.registry->UpdateStream(ref->stream, [&](metadata::StreamMeta& m) {
    metadata::ConsumerMeta* c = FindConsumer(m, *ref);
    if (c == nullptr) return ConsumerNotFound(*ref);
    arn = ConsumerArn(m, *c);
    if (c->status != metadata::ConsumerStatus::kDeleting) {
      c->status = metadata::ConsumerStatus::kDeleting;
      c->status_since_ms = ctx.registry->clock()->NowMs();
    }
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kNotFound) st = ConsumerNotFound(*ref);
  if (!st.ok()) return done(st);
  if (ctx.fan_out != nullptr) {
    ctx.fan_out->EndConsumer(arn, "ResourceNotFoundException", ConsumerNotFound(*ref).message());
  }
  done(Value::MakeObject());
}

}  // namespace spate::streams::api
