#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "metadata/stream_meta.h"
#include "streams/registry.h"

namespace spate::streams {

// How Spate decides who may act on a stream or consumer.
//
// Every credential belongs to one account, and a caller is its account's
// root principal ("arn:aws:iam::<account>:root"): within its own account a
// caller may do everything. Access to a resource of another account needs
// that resource's policy (PutResourcePolicy) to allow the caller the action
// (see ResourcePolicy); without a policy, or with an explicit Deny, the call
// fails with AccessDeniedException. Managing policies themselves
// (Put/Get/DeleteResourcePolicy) is for the owning account only.

// "arn:aws:iam::<account>:root".
std::string CallerArn(const Caller& caller);

// The AWS AccessDeniedException for `action` ("kinesis:GetRecords") on
// `resource_arn`: "User: <arn> is not authorized to perform: <action> on
// resource: <arn> because no resource-based policy allows the <action>
// action", or "... with an explicit deny in a resource-based policy".
Status AccessDenied(const Caller& caller, std::string_view action, std::string_view resource_arn,
                    bool explicit_deny);

// Ok when `caller` may perform `action` on `resource_arn`, a resource of the
// stream `meta` (the stream itself or one of its consumers): same account,
// or the resource's stored policy allows it. kAccessDenied otherwise. A
// policy that no longer parses denies.
Status Authorize(const Caller& caller, std::string_view action, const metadata::StreamMeta& meta,
                 std::string_view resource_arn);

// The stream ARN a StreamRef names.
std::string StreamRefArn(const StreamRef& ref);

}  // namespace spate::streams
