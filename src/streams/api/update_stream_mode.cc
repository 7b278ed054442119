#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// UpdateStreamMode: PROVISIONED <-> ON_DEMAND; the shards stay as they are
// (an on-demand stream then scales itself). UPDATING meanwhile. A
// WarmThroughputMiBps is set as UpdateStreamWarmThroughput sets it (ON_DEMAND
// only).
void UpdateStreamMode(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  const Value* details = in.Find("StreamModeDetails");
  metadata::StreamMode mode = details != nullptr && details->GetString("StreamMode") == "ON_DEMAND"
                                  ? metadata::StreamMode::kOnDemand
                                  : metadata::StreamMode::kProvisioned;
  int64_t warm = in.Find("WarmThroughputMiBps") != nullptr ? IntMember(in, "WarmThroughputMiBps", 0) : -1;
  Finish(done, ctx.registry->UpdateStreamMode(*ref, mode, warm));
}

}  // namespace spate::streams::api
