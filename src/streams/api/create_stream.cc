#include "streams/api/common.h"
#include "streams/registry.h"

namespace spate::streams::api {

using protocol::Value;

// CreateStream: CREATING now, ACTIVE after the state delay. With neither
// ShardCount nor a mode AWS creates 4 shards; on-demand streams start at 4.
void CreateStream(const Context& ctx, Value in, Done done) {
  auto ref = StreamFromInput(ctx, in);
  if (!ref.ok()) return done(ref.status());
  metadata::StreamMode mode = metadata::StreamMode::kProvisioned;
  if (const Value* details = in.Find("StreamModeDetails")) {
    if (details->GetString("StreamMode") == "ON_DEMAND") mode = metadata::StreamMode::kOnDemand;
  }
  uint32_t shards = ctx.registry->options().on_demand_shard_count;
  if (mode == metadata::StreamMode::kProvisioned) {
    shards = static_cast<uint32_t>(IntMember(in, "ShardCount", shards));
  }
  std::map<std::string, std::string> tags;
  if (const Value* t = in.Find("Tags")) {
    for (const auto& [k, v] : t->as_object()) tags[k] = v.as_string();
  }
  Finish(done, ctx.registry->CreateStream(*ref, shards, mode, std::move(tags)));
}

}  // namespace spate::streams::api
