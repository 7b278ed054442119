#include "streams/api/resource_policy_common.h"

#include "streams/access.h"
#include "streams/consumers.h"

namespace spate::streams::api {

Result<PolicyTarget> ResolvePolicyTarget(const Context& ctx, std::string_view arn) {
  PolicyTarget t;
  t.arn = std::string(arn);
  std::string_view stream_arn = arn;
  constexpr std::string_view kConsumer = "/consumer/";
  if (size_t c = arn.find(kConsumer); c != std::string_view::npos) {
    std::string_view consumer = arn.substr(c + kConsumer.size());
    size_t colon = consumer.rfind(':');
    if (consumer.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == consumer.size()) {
      return Status(ErrorCode::kInvalidArgument, "Invalid ResourceARN " + t.arn + ".");
    }
    t.consumer = true;
    stream_arn = arn.substr(0, c);
  }
  auto ref = ResolveStream(ctx.caller, {}, stream_arn);
  if (!ref.ok()) return Status(ErrorCode::kInvalidArgument, "Invalid ResourceARN " + t.arn + ".");
  t.stream = std::move(*ref);
  if (t.stream.account != ctx.caller.account) return AccessDenied(ctx.caller, ctx.Action(), t.arn, false);
  return t;
}

Status RequirePolicyTargetExists(const metadata::StreamMeta& meta, const PolicyTarget& target) {
  if (!target.consumer) return Status::Ok();
  auto ref = ParseConsumerArn(target.arn);
  if (!ref.ok()) return Status(ErrorCode::kInvalidArgument, "Invalid ResourceARN " + target.arn + ".");
  if (FindConsumer(meta, *ref) == nullptr) return ConsumerNotFound(*ref);
  return Status::Ok();
}

}  // namespace spate::streams::api
