#include "streams/api/common.h"
#include "streams/api/resource_policy_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// GetResourcePolicy: the policy of a stream or consumer the caller owns, or
// "{}" when none is attached.
void GetResourcePolicy(const Context& ctx, Value in, Done done) {
  auto target = ResolvePolicyTarget(ctx, in.GetString("ResourceARN"));
  if (!target.ok()) return done(target.status());
  std::string policy = "{}";
  Status st = ctx.registry->WithStream(target->stream, [&](const Stream& s) {
    SPATE_TRY(RequirePolicyTargetExists(s.meta(), *target));
    auto it = s.meta().resource_policies.find(target->arn);
    if (it != s.meta().resource_policies.end()) policy = it->second;
    return Status::Ok();
  });
  if (!st.ok()) return done(st);
  Value out = Value::MakeObject();
  out.Set("Policy", Value::String(std::move(policy)));
  done(std::move(out));
}

}  // namespace spate::streams::api
