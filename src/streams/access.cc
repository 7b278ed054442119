#include "streams/access.h"

namespace spate::streams {

Status Authorize(const Caller& caller, std::string_view action, const metadata::StreamMeta& meta,
                 std::string_view resource_arn) {
  if (caller.account == meta.account) return Status::Ok();  // the common case: no policy lookup
  auto it = meta.resource_policies.find(std::string(resource_arn));
  const std::string* policy = it == meta.resource_policies.end() ? nullptr : &it->second;
  return iam::Authorize(caller, action, meta.account, policy, resource_arn);
}

}  // namespace spate::streams
