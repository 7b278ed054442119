// The exactly-once append extension's state in the registry: one table of
// stamped requests per shard (dedup/shard_dedup.h), rebuilt from the
// control records of the shard log's tail (docs/exactly-once.md).

#include <algorithm>

#include "dedup/stamp.h"
#include "storage/shard_log.h"
#include "streams/registry.h"

namespace spate::streams {

std::shared_ptr<dedup::ShardDedup> Registry::DedupTable(const std::string& storage_group,
                                                        model::ShardIndex shard) const {
  std::lock_guard lock(dedup_mu_);
  auto& slot = dedup_[{storage_group, shard.value}];
  if (slot == nullptr) slot = std::make_shared<dedup::ShardDedup>(options_.dedup_limits);
  return slot;
}

Status Registry::RecoverDedupTable(dedup::ShardDedup* table, const storage::ShardLog& log) const {
  // Every stamped batch appended since this process started went through
  // the table, which recovers before its first use; what was appended
  // before is in the log (acknowledged, or durable and recovered at open).
  return table->RecoverOnce([&](dedup::ShardDedup* t) -> Status {
    storage::Offset end = log.EndOffset();
    storage::Offset from = log.StartOffset();
    if (end - from > options_.dedup_recovery_records) from = end - options_.dedup_recovery_records;
    if (end > from) {
      SPATE_ASSIGN_OR_RETURN(storage::Offset recent,
                             log.OffsetForTime(log.LastArrivalMs() - options_.dedup_recovery_ms));
      from = std::max(from, recent);
    }
    storage::ReadLimits limits;
    limits.control_records = true;
    while (from < end) {
      SPATE_ASSIGN_OR_RETURN(storage::ReadResult r, log.Read(from, limits));
      if (r.records.empty() || r.next_offset <= from) break;
      for (const storage::StoredRecord& rec : r.records) {
        if (!storage::IsControlRecord(rec.partition_key)) continue;
        if (auto stamp = dedup::DecodeStampRecord(rec.data)) t->Observe(*stamp, rec.offset.value(), rec.arrival_ms);
      }
      from = r.next_offset;
    }
    return Status::Ok();
  });
}

}  // namespace spate::streams
