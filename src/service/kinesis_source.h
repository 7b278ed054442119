#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "iam/caller.h"

namespace spate::service {

// One shard of a Kinesis stream, as a service that reads Data Streams (a
// KinesisStreamAsSource delivery stream, an Analytics application's input)
// follows it. Positions are the shard log's record offsets.
struct SourceShard {
  std::string shard_id;
  std::vector<std::string> parent_ids;  // ParentShardId, AdjacentParentShardId
  uint64_t start = 0;                   // first offset still retained (TRIM_HORIZON)
  uint64_t end = 0;                     // one past the last acknowledged record (LATEST)
  bool closed = false;                  // closed by a reshard: `end` is final
};

struct SourceRecord {
  std::string data;
  int64_t arrival_ms = 0;
  // A Kinesis stream's record: its partition key and sequence number (as
  // GetRecords gives it). Empty for a delivery stream's record.
  std::string partition_key;
  std::string sequence_number;
};

struct SourceBatch {
  std::vector<SourceRecord> records;
  uint64_t next = 0;  // where the next read continues
};

// The window of the other services (Firehose, Analytics) on Data Streams:
// the shards of a stream and their records. spated implements it over the
// streams registry's public interface, so no service reaches into another.
// Thread-safe.
class KinesisSource {
 public:
  virtual ~KinesisSource() = default;

  // The shards of the stream `stream_arn`, which `caller` must own: every
  // shard, open and closed, in shard-id order. kNotFound if there is no such
  // stream (or it is being deleted), kInvalidArgument for a malformed ARN.
  virtual Result<std::vector<SourceShard>> Shards(const iam::Caller& caller, std::string_view stream_arn) const = 0;

  // Up to `max_records` records (and about 10 MiB) of the shard from offset
  // `from` on (from the shard's start when `from` is below it).
  virtual Result<SourceBatch> Read(const iam::Caller& caller, std::string_view stream_arn, std::string_view shard_id,
                                   uint64_t from, size_t max_records) const = 0;
};

}  // namespace spate::service
