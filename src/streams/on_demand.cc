// Capacity modes: UpdateStreamMode and on-demand scaling.

#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "streams/registry.h"
#include "streams/resharder.h"
#include "streams/stream_errors.h"

namespace spate::streams {

using metadata::ShardMeta;
using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

Status Registry::UpdateStreamMode(const StreamRef& ref, StreamMode mode) {
  uint32_t on_demand = OnDemandStreamCount(Caller{ref.account, ref.region});
  return UpdateStream(ref, [&](StreamMeta& m) -> Status {
    SPATE_TRY(RequireActive(m));
    if (mode == StreamMode::kOnDemand && m.mode != StreamMode::kOnDemand &&
        on_demand >= options_.on_demand_stream_limit) {
      return Status(ErrorCode::kLimitExceeded,
                    "This request would exceed the limit of " + std::to_string(options_.on_demand_stream_limit) +
                        " on-demand streams for the account " + ref.account + " in " + ref.region + ".");
    }
    m.mode = mode;
    StartUpdating(m, clock_->NowMs());
    return Status::Ok();
  });
}

// On-demand scaling rule: a shard of an ACTIVE on-demand stream whose
// offered write load (accepted or throttled records) stayed above its write
// capacity in every second for on_demand_scale_after_ms is split at the
// middle of its hash-key range, within the shard quota. The stream stays
// ACTIVE (AWS scales on-demand streams without UPDATING); the children
// start with fresh meters, so a still-hot key range splits again later.
void Registry::ScaleOnDemandStreams() {
  struct Candidate {
    StreamRef ref;
    model::ShardIndex shard;
  };
  std::vector<Candidate> hot;
  std::map<std::string, uint32_t> account_open;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, s] : streams_) {
      const StreamMeta& m = s->meta_;
      account_open[m.account + "/" + m.region] += s->QuotaShardCount();
      if (m.mode != StreamMode::kOnDemand || m.status != StreamStatus::kActive) continue;
      for (size_t pos : s->routes_) {
        const ShardMeta& shard = m.shards[pos];
        if (shard.range.end - shard.range.start < 4) continue;  // too narrow to split
        if (s->Meter(shard.index)->HotForMs() >= options_.on_demand_scale_after_ms) {
          hot.push_back({StreamRef{m.account, m.region, m.name}, shard.index});
        }
      }
    }
  }
  for (const Candidate& c : hot) {
    uint32_t& open = account_open[c.ref.account + "/" + c.ref.region];
    if (open + 1 > options_.shard_limit) continue;
    Status st = Reshard(c.ref, [&](Resharder& r) -> Status {
      const ShardMeta* shard = r.Find(c.shard);
      if (r.meta().mode != StreamMode::kOnDemand || shard == nullptr || shard->closed()) {
        return Status(ErrorCode::kResourceInUse, "changed since");
      }
      model::HashKeyRange range = shard->range;
      r.Split(c.shard, range.start + (range.end - range.start) / 2 + 1);
      return Status::Ok();
    });
    if (st.ok()) {
      ++open;
      SPATE_LOG_INFO("on-demand stream " + c.ref.name + ": split hot shard " + model::ShardIdName(c.shard));
    } else if (st.code() != ErrorCode::kResourceInUse) {
      SPATE_LOG_WARN("on-demand stream " + c.ref.name + ": cannot split " + model::ShardIdName(c.shard) + ": " +
                     st.ToString());
    }
  }
}

}  // namespace spate::streams
