#pragma once

// The put path of `spate put`, behind one small interface so that it can be
// switched to spate::Producer (aggregation) by changing MakeRecordWriter
// alone.
//
// Contract of every RecordWriter: each record Add()ed is either put or
// counted in report().failed, never dropped silently; records with the same
// partition key reach the stream in the order they were added. Not
// thread-safe: one thread adds, flushes and reads the report.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cli/context.h"
#include "spate/kinesis_client.h"

namespace spate::cli {

class RecordWriter {
 public:
  struct Report {
    int64_t put = 0;         // acknowledged by the service
    int64_t failed = 0;      // given up on (retry budget spent, or a non-retryable error)
    std::string last_error;  // "Type: message" of the last failure; empty when none
  };

  virtual ~RecordWriter() = default;
  // Queues one record; may block while it sends queued ones (back-pressure:
  // the queue holds at most one PutRecords call's worth).
  virtual void Add(PutRecordsEntry entry) = 0;
  // Returns once every record added so far is put or failed.
  virtual void Flush() = 0;
  // True when records are queued (a pacing caller flushes before sleeping).
  virtual bool has_pending() const = 0;
  virtual const Report& report() const = 0;
};

// The writer `spate put` uses: batched PutRecords calls (at most 500 records
// and 5 MiB each), failed entries retried with exponential backoff and
// jitter, at most one record per partition key in any call (so a retried
// record can never be overtaken by a later one of the same key).
// `sleep` waits the backoff (milliseconds); tests pass one that records it.
std::unique_ptr<RecordWriter> MakeRecordWriter(KinesisClient& client, std::string stream,
                                               std::function<void(int64_t ms)> sleep = SleepMs);

}  // namespace spate::cli
