#include <algorithm>

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
  // A warm throughput (on-demand streams of an account with the billing
  // commitment) sets the starting capacity: enough shards to write it.
  int32_t warm = 0;
  if (in.Find("WarmThroughputMiBps") != nullptr) {
    int64_t mibps = IntMember(in, "WarmThroughputMiBps", 0);
    if (mode != metadata::StreamMode::kOnDemand) {
      return done(Status(ErrorCode::kValidation, "Request is invalid. Stream " + ref->name + " under account " +
                                                     ref->account + " is in Provisioned mode."));
    }
    if (Status st = ctx.registry->CheckWarmThroughput(ctx.caller, ref->name, mibps); !st.ok()) return done(st);
    warm = static_cast<int32_t>(mibps);
    shards = std::max(shards, Registry::ShardsForWarmThroughput(mibps));
  }
  std::map<std::string, std::string> tags;
  if (const Value* t = in.Find("Tags")) {
    // The rules of AddTagsToStream, checked on a stand-in for the stream.
    metadata::StreamMeta stand_in;
    stand_in.name = ref->name;
    stand_in.account = ref->account;
    if (Status st = AddTags(stand_in, *t); !st.ok()) return done(st);
    tags = std::move(stand_in.tags);
  }
  // 1024 .. 10240 KiB (the model's range, already checked).
  auto max_record_kib = static_cast<int32_t>(IntMember(in, "MaxRecordSizeInKiB", metadata::kDefaultMaxRecordSizeKiB));
  Finish(done, ctx.registry->CreateStream(*ref, shards, mode, std::move(tags), max_record_kib, warm));
}

}  // namespace spate::streams::api
