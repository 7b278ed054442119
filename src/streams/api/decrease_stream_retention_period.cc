#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

// DecreaseStreamRetentionPeriod: 24 <= new <= current hours. Records beyond
// the new window are trimmed by the next retention pass.
void DecreaseStreamRetentionPeriod(const Context& ctx, protocol::Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  int64_t hours = IntMember(in, "RetentionPeriodHours", 0);
  Finish(done, ctx.registry->UpdateStream(*ref, [&](metadata::StreamMeta& m) {
    SPATE_TRY(RequireActive(m));
    SPATE_TRY(CheckRetentionBounds(hours));
    if (hours > m.retention_hours) {
      return Status(ErrorCode::kInvalidArgument,
                    "Requested retention period (" + std::to_string(hours) + " hours) for stream " + m.name +
                        " can not be longer than existing retention period (" + std::to_string(m.retention_hours) +
                        " hours). Use IncreaseRetentionPeriod API.");
    }
    m.retention_hours = static_cast<int32_t>(hours);
    return Status::Ok();
  }));
}

}  // namespace spate::streams::api
