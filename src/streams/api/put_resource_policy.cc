#include "iam/resource_policy.h"
#include "streams/api/common.h"
#include "streams/api/resource_policy_common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

namespace {
// AWS's quota on a resource-based policy document.
constexpr size_t kMaxPolicyBytes = 20 * 1024;
}  // namespace

// PutResourcePolicy: attaches (or replaces) the resource-based policy of a
// stream or consumer the caller owns. The document must be a policy Spate
// can evaluate (iam/resource_policy.h).
void PutResourcePolicy(const Context& ctx, Value in, Done done) {
  auto target = ResolvePolicyTarget(ctx, in.GetString("ResourceARN"));
  if (!target.ok()) return done(target.status());
  std::string policy(in.GetString("Policy"));
  if (policy.size() > kMaxPolicyBytes) {
    return done(Status(ErrorCode::kLimitExceeded, "Policy document size " + std::to_string(policy.size()) +
                                                      " exceeds the limit of " + std::to_string(kMaxPolicyBytes) +
                                                      " bytes."));
  }
  if (auto parsed = iam::ResourcePolicy::Parse(policy); !parsed.ok()) return done(parsed.status());
  Finish(done, ctx.registry->UpdateStream(target->stream, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequirePolicyTargetExists(m, *target));
    m.resource_policies[target->arn] = policy;
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
