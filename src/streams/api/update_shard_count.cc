#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// UpdateShardCount: UNIFORM_SCALING (the only ScalingType the model has) to
// TargetShardCount open shards with even hash-key ranges.
void UpdateShardCount(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t target = IntMember(in, "TargetShardCount", 1);
  auto current = ctx.registry->UpdateShardCount(*ref, static_cast<uint32_t>(target));
  if (!current.ok()) return done(current.status());
  Value out = Value::MakeObject();
  out.Set("StreamName", Value::String(ref->name));
  out.Set("CurrentShardCount", Value::Int(*current));
  out.Set("TargetShardCount", Value::Int(target));
  out.Set("StreamARN", Value::String("arn:aws:kinesis:" + ref->region + ":" + ref->account + ":stream/" + ref->name));
  done(std::move(out));
}

}  // namespace spate::streams::api
