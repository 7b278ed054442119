#include "iam/access.h"

#include "iam/resource_policy.h"

namespace spate::iam {

std::string CallerArn(const Caller& caller) { return "arn:aws:iam::" + caller.account + ":root"; }

Status AccessDenied(const Caller& caller, std::string_view action, std::string_view resource_arn, bool explicit_deny) {
  std::string m = "User: " + CallerArn(caller) + " is not authorized to perform: " + std::string(action) +
                  " on resource: " + std::string(resource_arn);
  if (explicit_deny) {
    m += " with an explicit deny in a resource-based policy";
  } else {
    m += " because no resource-based policy allows the " + std::string(action) + " action";
  }
  return Status(ErrorCode::kAccessDenied, std::move(m));
}

Status Authorize(const Caller& caller, std::string_view action, std::string_view owner_account,
                 const std::string* policy, std::string_view resource_arn) {
  if (caller.account == owner_account) return Status::Ok();
  if (policy == nullptr) return AccessDenied(caller, action, resource_arn, false);
  auto parsed = ResourcePolicy::Parse(*policy);
  if (!parsed.ok()) return AccessDenied(caller, action, resource_arn, false);
  std::string principal = CallerArn(caller);
  switch (parsed->Evaluate({caller.account, principal, action, resource_arn})) {
    case ResourcePolicy::Decision::kAllow: return Status::Ok();
    case ResourcePolicy::Decision::kExplicitDeny: return AccessDenied(caller, action, resource_arn, true);
    case ResourcePolicy::Decision::kImplicitDeny: break;
  }
  return AccessDenied(caller, action, resource_arn, false);
}

}  // namespace spate::iam
