#pragma once

// The put path of `spate put`: stdin's records go through spate::Producer
// (include/spate/producer.h), aggregated in the KPL format by default, plain
// with aggregation off (the producer's own plain mode).
//
// Contract: each record Add()ed is either put or counted in report().failed
// (with the last error), never dropped silently; records with the same
// partition key reach the stream in the order they were added (the
// producer's guarantee, retries included). Not thread-safe: one thread adds,
// flushes and reads the report; the producer's threads do the I/O.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "spate/kinesis_client.h"
#include "spate/producer.h"

namespace spate::cli {

class RecordWriter {
 public:
  struct Report {
    int64_t put = 0;         // acknowledged by the service
    int64_t failed = 0;      // given up on (TTL spent, a non-retryable error, or refused before sending)
    std::string last_error;  // "Type: message" of the last failure; empty when none
    // What went over the wire (the producer's counters): Kinesis records
    // (aggregates and plain ones) and PutRecords calls.
    uint64_t kinesis_records = 0;
    uint64_t put_records_calls = 0;
  };

  virtual ~RecordWriter() = default;
  // Queues one record; blocks while kMaxOutstandingRecords are unanswered
  // or the producer's buffer is full (back-pressure, so that no record waits
  // in the buffer long enough to reach its TTL). After a stream-wide error
  // (no such stream, access denied) records are counted failed unsent.
  virtual void Add(PutRecordsEntry entry) = 0;
  // Returns once every record added so far is put or failed.
  virtual void Flush() = 0;
  virtual Report report() const = 0;
};

// Records added but not yet answered, at most: with the producer's per-shard
// rate limits (1,000 Kinesis records/s), a bound that keeps a record's wait
// in the buffer to seconds, far under the CLI's record TTL.
inline constexpr size_t kMaxOutstandingRecords = 5000;

// The producer options `spate put` uses: the KPL's defaults (100 ms
// RecordMaxBufferedTime, 51,200-byte aggregates, 100% of each shard's
// limits), aggregation on or off, a 16 MiB buffer and a 2-minute record TTL
// (the old writer's retry budget was about a minute of throttling).
ProducerConfig CliProducerConfig(bool aggregate);

// A writer over a new spate::Producer sharing `client`; fails on a config
// the producer refuses.
Outcome<std::unique_ptr<RecordWriter>> MakeRecordWriter(std::shared_ptr<KinesisClient> client, std::string stream,
                                                        ProducerConfig config);

}  // namespace spate::cli
