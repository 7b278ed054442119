#include "streams/stream_errors.h"

#include <string>

#include "metadata/stream_meta.h"

namespace spate::streams {

using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

Status StreamNotFound(const StreamRef& ref) {
  return Status(ErrorCode::kNotFound, "Stream " + ref.name + " under account " + ref.account + " not found.");
}

Status ShardRateExceeded(const StreamMeta& meta, model::ShardIndex shard) {
  return Status(ErrorCode::kThroughputExceeded, "Rate exceeded for shard " + model::ShardIdName(shard) + " in stream " +
                                                    meta.name + " under account " + meta.account + ".");
}

Status RequireActive(const StreamMeta& m) {
  if (m.status == StreamStatus::kActive) return Status::Ok();
  return Status(ErrorCode::kResourceInUse, "Stream " + m.name + " under account " + m.account +
                                               " not ACTIVE, instead in state " +
                                               std::string(metadata::StreamStatusName(m.status)));
}

Status RequireProvisioned(const StreamMeta& m) {
  if (m.mode != StreamMode::kOnDemand) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "Request is invalid. Stream " + m.name + " under account " + m.account + " is in On-Demand mode.");
}

Status ShardLimitExceeded(const StreamRef& ref, uint32_t open, uint32_t additional, uint32_t limit) {
  return Status(
      ErrorCode::kLimitExceeded,
      "This request would exceed the shard limit for the account " + ref.account + " in " + ref.region +
          ". Current shard count for the account: " + std::to_string(open) + ". Limit: " + std::to_string(limit) +
          ". Number of additional shards that would have resulted from this request: " + std::to_string(additional) +
          ". Refer to the AWS Service Limits page "
          "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
          "how to request higher limits.");
}

}  // namespace spate::streams
