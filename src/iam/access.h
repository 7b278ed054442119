#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/caller.h"

namespace spate::iam {

// How Spate decides who may act on a resource, for every service.
//
// Every credential belongs to one account, and a caller is its account's
// root principal: within its own account a caller may do everything. Access
// to a resource of another account needs a resource-based policy attached to
// it (ResourcePolicy) that allows the caller the action; without one, or
// with an explicit Deny, the call fails with AccessDeniedException.

// The AWS AccessDeniedException for `action` ("kinesis:GetRecords") on
// `resource_arn`: "User: <arn> is not authorized to perform: <action> on
// resource: <arn> because no resource-based policy allows the <action>
// action", or "... with an explicit deny in a resource-based policy".
Status AccessDenied(const Caller& caller, std::string_view action, std::string_view resource_arn, bool explicit_deny);

// Ok when `caller` may perform `action` on `resource_arn`, a resource owned
// by `owner_account` whose attached policy document is `policy` (null when
// it has none): same account, or the policy allows it. kAccessDenied
// otherwise. A policy that no longer parses denies.
Status Authorize(const Caller& caller, std::string_view action, std::string_view owner_account,
                 const std::string* policy, std::string_view resource_arn);

}  // namespace spate::iam
