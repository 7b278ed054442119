#pragma once

#include <vector>

#include "storage/shard_log.h"

namespace spate::streams {

// Removes the exactly-once extension's control records (an empty partition
// key, dedup/stamp.h) from records read from a shard log: every reader that
// hands records to a client or a consumer (GetRecords, SubscribeToShard, the
// Firehose and Analytics sources) calls it after ShardLog::Read.
void DropControlRecords(std::vector<storage::StoredRecord>* records);
void DropControlRecords(std::vector<storage::RecordView>* records);  // after ShardLog::ReadViews

}  // namespace spate::streams
