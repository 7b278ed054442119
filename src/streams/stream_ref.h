#pragma once

// How a request names a stream. The lowest piece of the streams module:
// the registry, the consumer rules and the handlers all build on it.

#include <string>
#include <string_view>

#include "base/status.h"
#include "streams/caller.h"

namespace spate::metadata {
struct StreamMeta;
}  // namespace spate::metadata

namespace spate::streams {

// A stream as a request names it: by StreamName (in the caller's account
// and region) or by StreamARN (which carries its own).
struct StreamRef {
  std::string account;
  std::string region;
  std::string name;
};

// Resolves StreamName / StreamARN from a request. Either may be empty.
// kInvalidArgument when both are absent, the ARN is malformed, or they
// disagree.
Result<StreamRef> ResolveStream(const Caller& caller, std::string_view name, std::string_view arn);

// arn:aws:kinesis:<region>:<account>:stream/<name>, of a stream's record or
// of the stream a request names.
std::string StreamArn(const metadata::StreamMeta& meta);
std::string StreamArn(const StreamRef& ref);

}  // namespace spate::streams
