#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metadata/stream_meta.h"
#include "model/types.h"
#include "storage/shard_log.h"
#include "streams/stream_metrics.h"

namespace spate::streams {

// What Registry::GetRecords returns.
struct GetRecordsOutcome {
  // The records, as views into `bytes` (their data is never copied between
  // the segment read and the encoded answer).
  std::vector<storage::RecordView> records;
  // Owns what `records` views: the storage read, its records moved out.
  storage::ReadView bytes;
  model::ShardIndex shard;
  uint32_t epoch = 0;                        // the stream's (bits 87..64 of the sequence numbers)
  std::optional<std::string> next_iterator;  // absent at the end of a closed shard
  int64_t millis_behind_latest = 0;
  // Set at the end of a closed shard: its children.
  std::vector<metadata::ShardMeta> children;
  // The stream's metrics, for what the handler measures (latency, success).
  std::shared_ptr<const StreamMetrics> metrics;
};

}  // namespace spate::streams
