// Capacity modes: UpdateStreamMode, warm throughput, the account settings
// that unlock it, and on-demand scaling.

#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "metadata/catalog.h"
#include "streams/registry.h"
#include "streams/resharder.h"
#include "streams/stream_errors.h"

namespace spate::streams {

using metadata::ShardMeta;
using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

uint32_t Registry::ShardsForWarmThroughput(int64_t mibps) {
  if (mibps <= 0) return 0;
  return static_cast<uint32_t>((mibps + kOnDemandShardWriteMiBps - 1) / kOnDemandShardWriteMiBps);
}

Status Registry::CheckWarmThroughput(const Caller& caller, std::string_view stream_name, int64_t mibps) const {
  auto settings = AccountSettingsOf(caller);
  if (!settings.ok()) return settings.status();
  if (!settings->CommitmentActive()) {
    return Status(ErrorCode::kInvalidArgument,
                  "Warm throughput for stream " + std::string(stream_name) + " under account " + caller.account +
                      " requires the account's MinimumThroughputBillingCommitment to be enabled.");
  }
  if (mibps > kMaxWarmThroughputMiBps) {
    return Status(ErrorCode::kLimitExceeded, "Warm throughput of " + std::to_string(mibps) + " MiBps for stream " +
                                                 std::string(stream_name) + " under account " + caller.account +
                                                 " exceeds the limit of " + std::to_string(kMaxWarmThroughputMiBps) +
                                                 " MiBps.");
  }
  return Status::Ok();
}

namespace {
// kValidation unless the stream is ON_DEMAND (warm throughput is for
// on-demand streams only).
Status RequireOnDemand(const StreamMeta& m) {
  if (m.mode == StreamMode::kOnDemand) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "Request is invalid. Stream " + m.name + " under account " + m.account + " is in Provisioned mode.");
}

// Sets the warm throughput on the stream being edited and, if its open
// shards write less, plans the scale-up for its return to ACTIVE; the
// stream goes UPDATING either way. `account_open`: the account's open
// shards now (quota check).
Status SetWarmThroughput(Resharder& r, int64_t mibps, const StreamRef& ref, uint32_t account_open,
                         uint32_t shard_limit) {
  StreamMeta& m = r.meta();
  const auto current = static_cast<uint32_t>(r.OpenByRange().size());
  const uint32_t needed = Registry::ShardsForWarmThroughput(mibps);
  m.warm_throughput_mibps = static_cast<int32_t>(mibps);
  if (needed <= current) {
    StartUpdating(m, r.now());
    return Status::Ok();
  }
  if (static_cast<uint64_t>(account_open) - current + needed > shard_limit) {
    return ShardLimitExceeded(ref, account_open, needed - current, shard_limit);
  }
  metadata::PendingReshard p;
  p.kind = metadata::ReshardKind::kUniformScaling;
  p.target_shard_count = needed;
  StartResharding(m, p, r.now());
  return Status::Ok();
}
}  // namespace

Status Registry::UpdateStreamMode(const StreamRef& ref, StreamMode mode, int64_t warm_mibps) {
  Caller caller{ref.account, ref.region};
  uint32_t on_demand = OnDemandStreamCount(caller);
  uint32_t account_open = OpenShardCount(caller);
  if (warm_mibps >= 0) SPATE_TRY(CheckWarmThroughput(caller, ref.name, warm_mibps));
  return Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireActive(m));
    if (mode == StreamMode::kOnDemand && m.mode != StreamMode::kOnDemand &&
        on_demand >= options_.on_demand_stream_limit) {
      return Status(ErrorCode::kLimitExceeded,
                    "This request would exceed the limit of " + std::to_string(options_.on_demand_stream_limit) +
                        " on-demand streams for the account " + ref.account + " in " + ref.region + ".");
    }
    m.mode = mode;
    if (warm_mibps >= 0) {
      SPATE_TRY(RequireOnDemand(m));
      return SetWarmThroughput(r, warm_mibps, ref, account_open, options_.shard_limit);
    }
    if (mode == StreamMode::kProvisioned) m.warm_throughput_mibps = 0;  // provisioned streams have none
    StartUpdating(m, r.now());
    return Status::Ok();
  });
}

Status Registry::UpdateStreamWarmThroughput(const StreamRef& ref, int64_t mibps) {
  Caller caller{ref.account, ref.region};
  uint32_t account_open = OpenShardCount(caller);
  // The stream's own errors first (not found, not ACTIVE, provisioned), then the account's.
  Status stream_check = WithStream(ref, [&](const Stream& s) -> Status {
    SPATE_TRY(RequireActive(s.meta()));
    return RequireOnDemand(s.meta());
  });
  SPATE_TRY(stream_check);
  SPATE_TRY(CheckWarmThroughput(caller, ref.name, mibps));
  return Reshard(ref, [&](Resharder& r) -> Status {
    SPATE_TRY(RequireActive(r.meta()));
    SPATE_TRY(RequireOnDemand(r.meta()));
    return SetWarmThroughput(r, mibps, ref, account_open, options_.shard_limit);
  });
}

Result<metadata::AccountSettings> Registry::AccountSettingsOf(const Caller& caller) const {
  std::lock_guard lock(account_mu_);
  auto entry = catalog_->GetEntry(metadata::kAccountSettingsNamespace, caller.account + "/" + caller.region);
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) return metadata::AccountSettings{};
  auto settings = metadata::DecodeAccountSettings(**entry);
  if (!settings.ok()) return settings.status();
  return settings->At(clock_->NowMs());
}

Result<metadata::AccountSettings> Registry::UpdateAccountSettings(const Caller& caller, bool enable) {
  std::lock_guard lock(account_mu_);
  const std::string key = caller.account + "/" + caller.region;
  metadata::AccountSettings current;
  auto entry = catalog_->GetEntry(metadata::kAccountSettingsNamespace, key);
  if (!entry.ok()) return entry.status();
  if (entry->has_value()) {
    auto decoded = metadata::DecodeAccountSettings(**entry);
    if (!decoded.ok()) return decoded.status();
    current = *decoded;
  }
  metadata::AccountSettings next = current.Updated(enable, clock_->NowMs());
  SPATE_TRY(catalog_->PutEntry(metadata::kAccountSettingsNamespace, key, metadata::EncodeAccountSettings(next)));
  return next;
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
