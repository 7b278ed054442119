#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/access.h"
#include "metadata/stream_meta.h"
#include "streams/caller.h"
#include "streams/stream_ref.h"

namespace spate::streams {

// Access to Data Streams resources (streams and their consumers) follows
// iam/access.h: the owning account may do everything; another account needs
// the resource's policy (PutResourcePolicy) to allow the action.
// Managing policies themselves (Put/Get/DeleteResourcePolicy) is for the
// owning account only.

using iam::AccessDenied;

// Ok when `caller` may perform `action` on `resource_arn`, a resource of the
// stream `meta` (the stream itself or one of its consumers), whose policy is
// the one stored for that ARN. kAccessDenied otherwise.
Status Authorize(const Caller& caller, std::string_view action, const metadata::StreamMeta& meta,
                 std::string_view resource_arn);

}  // namespace spate::streams
