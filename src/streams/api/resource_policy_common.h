#pragma once

// What PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy share.

#include <string>
#include <string_view>

#include "streams/api/operation.h"
#include "streams/stream_ref.h"

namespace spate::streams::api {

// The resource a policy call names: a stream, or a consumer of one
// (arn:aws:kinesis:<region>:<account>:stream/<name>/consumer/<consumer>:<ts>).
struct PolicyTarget {
  StreamRef stream;
  std::string arn;        // the resource ARN as given
  bool consumer = false;  // a consumer ARN
};

// Parses ResourceARN and checks that the caller owns it: policies are
// managed by the owning account only (kAccessDenied otherwise).
// kInvalidArgument for an ARN that names neither a stream nor a consumer.
Result<PolicyTarget> ResolvePolicyTarget(const Context& ctx, std::string_view arn);

// Ok if the target exists in `meta` (the target's stream). A consumer
// exists only if the stream has it registered; this branch keeps no consumer
// records, so every consumer ARN is kNotFound until the consumer registry
// provides the lookup.
Status RequirePolicyTargetExists(const metadata::StreamMeta& meta, const PolicyTarget& target);

}  // namespace spate::streams::api
