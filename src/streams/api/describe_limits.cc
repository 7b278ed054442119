#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DescribeLimits: real counts against the configured quotas.
void DescribeLimits(const Context& ctx, Value /*in*/, Done done) {
  const RegistryOptions& o = ctx.registry->options();
  Value out = Value::MakeObject();
  out.Set("ShardLimit", Value::Int(o.shard_limit));
  out.Set("OpenShardCount", Value::Int(ctx.registry->OpenShardCount(ctx.caller)));
  out.Set("OnDemandStreamCount", Value::Int(ctx.registry->OnDemandStreamCount(ctx.caller)));
  out.Set("OnDemandStreamCountLimit", Value::Int(o.on_demand_stream_limit));
  done(std::move(out));
}

}  // namespace spate::streams::api
