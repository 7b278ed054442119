#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// UpdateStreamWarmThroughput: an ACTIVE ON_DEMAND stream (ValidationException
// for a provisioned one) of an account whose MinimumThroughputBillingCommitment
// is enabled (InvalidArgumentException otherwise) gets WarmThroughputMiBps
// (0 .. 10240; LimitExceededException above) as its warm throughput and goes
// UPDATING; it is scaled up to that write capacity when it turns ACTIVE.
// The answer reports the target and the capacity of the shards open now.
void UpdateStreamWarmThroughput(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t mibps = IntMember(in, "WarmThroughputMiBps", 0);
  if (Status st = ctx.registry->UpdateStreamWarmThroughput(*ref, mibps); !st.ok()) return done(st);
  Value out = Value::MakeObject();
  Status st = ctx.registry->WithStream(*ref, [&](const Stream& s) {
    const metadata::StreamMeta& m = s.meta();
    out.Set("StreamARN", Value::String(StreamArn(m)));
    out.Set("StreamName", Value::String(m.name));
    out.Set("WarmThroughput", WarmThroughputValue(s));
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  done(std::move(out));
}

}  // namespace spate::streams::api
