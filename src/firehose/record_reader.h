#pragma once

// Public: the window of other services (Analytics' delivery-stream inputs) on
// the records that enter a Firehose delivery stream. Header only; spated
// hands a DeliveryStreams (which implements it) to the reader.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "iam/caller.h"
#include "service/kinesis_source.h"

namespace spate::firehose {

// The records a delivery stream holds, as offsets of its log.
struct RecordRange {
  // Names this delivery stream's log: a delivery stream deleted and created
  // again under the same name has another, whose offsets start afresh.
  std::string log_id;
  uint64_t start = 0;  // the first record still held (TRIM_HORIZON)
  uint64_t end = 0;    // one past the last acknowledged record (NOW)
};

// Reads the records put to a delivery stream (PutRecord, PutRecordBatch, or
// read from its Kinesis source), in the order they were acknowledged, each
// with its arrival time. The log keeps a record until the destination has
// delivered it and no hold (Hold) is at or below it. Thread-safe.
class RecordReader {
 public:
  virtual ~RecordReader() = default;

  // The range of the delivery stream `arn`, which `caller` must own.
  // kNotFound: no such delivery stream (or another account's or region's);
  // kInvalidArgument: a malformed ARN.
  virtual Result<RecordRange> Range(const iam::Caller& caller, std::string_view arn) const = 0;

  // Up to `max_records` records (and about 10 MiB) from offset `from` on
  // (from the start when `from` is below it). `log_id` must be Range's:
  // kNotFound once the delivery stream was re-created.
  virtual Result<service::SourceBatch> Read(const iam::Caller& caller, std::string_view arn, std::string_view log_id,
                                            uint64_t from, size_t max_records) const = 0;

  // Keeps the records from `from` on in the log, even once delivered, for
  // the reader `holder` until it moves the hold or releases it. Holds live
  // in memory: a reader sets its hold again after a restart.
  virtual Status Hold(const iam::Caller& caller, std::string_view arn, const std::string& holder, uint64_t from) = 0;
  virtual void Release(const iam::Caller& caller, std::string_view arn, const std::string& holder) = 0;
};

}  // namespace spate::firehose
