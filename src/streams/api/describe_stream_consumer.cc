#include "streams/api/common.h"
#include "streams/api/consumer_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DescribeStreamConsumer: by ConsumerARN or StreamARN + ConsumerName.
void DescribeStreamConsumer(const Context& ctx, Value in, Done done) {
  auto ref = ConsumerFromInput(in);
  if (!ref.ok()) return done(ref.status());
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(ref->stream, [&](const Stream& s) {
    const metadata::ConsumerMeta* c = FindConsumer(s.meta(), *ref);
    if (c == nullptr) return ConsumerNotFound(*ref);
    Value d = ConsumerValue(s.meta(), *c);
    d.Set("StreamARN", Value::String(s.Arn()));
    out.Set("ConsumerDescription", std::move(d));
    return Status::Ok();
  });
  if (st.code() == ErrorCode::kNotFound) st = ConsumerNotFound(*ref);
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
