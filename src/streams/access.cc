#include "streams/access.h"

#include "streams/resource_policy.h"

namespace spate::streams {

std::string CallerArn(const Caller& caller) { return "arn:aws:iam::" + caller.account + ":root"; }

Status AccessDenied(const Caller& caller, std::string_view action, std::string_view resource_arn,
                    bool explicit_deny) {
  std::string m = "User: " + CallerArn(caller) + " is not authorized to perform: " + std::string(action) +
                  " on resource: " + std::string(resource_arn);
  if (explicit_deny) {
    m += " with an explicit deny in a resource-based policy";
  } else {
    m += " because no resource-based policy allows the " + std::string(action) + " action";
  }
  return Status(ErrorCode::kAccessDenied, std::move(m));
}

Status Authorize(const Caller& caller, std::string_view action, const metadata::StreamMeta& meta,
                 std::string_view resource_arn) {
  if (caller.account == meta.account) return Status::Ok();
  auto it = meta.resource_policies.find(std::string(resource_arn));
  if (it == meta.resource_policies.end()) return AccessDenied(caller, action, resource_arn, false);
  auto policy = ResourcePolicy::Parse(it->second);
  if (!policy.ok()) return AccessDenied(caller, action, resource_arn, false);
  std::string principal = CallerArn(caller);
  switch (policy->Evaluate({caller.account, principal, action, resource_arn})) {
    case ResourcePolicy::Decision::kAllow: return Status::Ok();
    case ResourcePolicy::Decision::kExplicitDeny: return AccessDenied(caller, action, resource_arn, true);
    case ResourcePolicy::Decision::kImplicitDeny: break;
  }
  return AccessDenied(caller, action, resource_arn, false);
}

std::string StreamRefArn(const StreamRef& ref) {
  return "arn:aws:kinesis:" + ref.region + ":" + ref.account + ":stream/" + ref.name;
}

}  // namespace spate::streams
