#include "streams/api/common.h"
#include "streams/api/resource_policy_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// DeleteResourcePolicy: removes the policy of a stream or consumer the
// caller owns; ResourceNotFoundException when none is attached.
void DeleteResourcePolicy(const Context& ctx, Value in, Done done) {
  auto target = ResolvePolicyTarget(ctx, in.GetString("ResourceARN"));
  if (!target.ok()) return done(target.status());
  Finish(done, ctx.registry->UpdateStream(target->stream, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequirePolicyTargetExists(m, *target));
    if (m.resource_policies.erase(target->arn) == 0) {
      return Status(ErrorCode::kNotFound, "No resource policy found for resource ARN " + target->arn + ".");
    }
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
