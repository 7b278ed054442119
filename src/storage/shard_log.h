#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::storage {

// Offsets count records within one shard's log, from 0. Offset o is the o-th
// record ever appended to the shard; offsets are dense and never reused. The
// streams layer turns (shard, offset) into a Kinesis sequence number.
using Offset = uint64_t;

// One record to append. The views must stay valid until Append returns (the
// log copies the bytes into its batch before returning).
struct RecordInput {
  std::string_view partition_key;
  std::string_view data;
};

// One record read back.
struct StoredRecord {
  Offset offset = 0;
  int64_t arrival_ms = 0;  // the batch's arrival time, epoch milliseconds
  std::string partition_key;
  std::string data;
};

struct AppendResult {
  Offset base_offset = 0;  // offset of the first record of the batch
  uint32_t count = 0;
};

using AppendCallback = std::function<void(Result<AppendResult>)>;

struct ReadLimits {
  size_t max_records = 10000;
  size_t max_bytes = 10u << 20;  // data + partition key bytes; at least one record is returned
};

struct ReadResult {
  std::vector<StoredRecord> records;
  Offset next_offset = 0;  // where the next read continues
};

// One shard's append-only log. Thread-safe: appends and reads may come from
// any thread concurrently.
class ShardLog {
 public:
  virtual ~ShardLog() = default;

  // Appends `records` as one batch with arrival time `arrival_ms`. The batch
  // is assigned consecutive offsets; `done` runs exactly once, on the log's
  // writer thread, after the batch is durable (written and fdatasync'ed), or
  // with an error (kUnavailable for disk full / fenced log, kIoError). A
  // failed batch never becomes visible. Records of batches appended earlier
  // always get lower offsets.
  virtual void Append(const std::vector<RecordInput>& records, int64_t arrival_ms, AppendCallback done) = 0;

  // Reads records with offsets >= `from`, only acknowledged ones, in order.
  // A `from` below StartOffset() reads from StartOffset(). kCorruption if
  // stored data fails its checksum (never served).
  virtual Result<ReadResult> Read(Offset from, const ReadLimits& limits) const = 0;

  // First offset still retained (the trim horizon).
  virtual Offset StartOffset() const = 0;
  // One past the last acknowledged record (the tip). Equal to StartOffset()
  // when the log holds nothing.
  virtual Offset EndOffset() const = 0;
  // Arrival time of the newest acknowledged record, or -1 when none.
  virtual int64_t LastArrivalMs() const = 0;

  // The first offset whose arrival time is >= `ms` (EndOffset() if none).
  virtual Result<Offset> OffsetForTime(int64_t ms) const = 0;

  // Retention: drops whole segments all of whose records arrived before
  // `cutoff_ms`. StartOffset() moves forward accordingly. Never drops
  // anything at or after the newest segment's first record... unless the
  // whole log expired, in which case the log keeps its EndOffset.
  virtual Status DropBefore(int64_t cutoff_ms) = 0;
};

}  // namespace spate::storage
