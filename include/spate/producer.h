#pragma once

// spate::Producer: a KPL-style asynchronous producer for Kinesis Data
// Streams. Put() returns at once; the producer aggregates user records per
// shard in the KPL format (include/spate/aggregation.h), collects the
// aggregates into PutRecords calls, keeps each shard under its write limits,
// retries throttled and failed records with backoff while keeping each
// partition key's records in order, and completes every record's future with
// where it landed or its final error. It speaks the ordinary Kinesis API
// through a KinesisClient, so it works against Amazon Kinesis too.
//
// This header is installed; it names no third-party type.
//
// Threading: a Producer is safe to use from any number of threads. Put never
// does network I/O on the caller's thread; it may block only when the buffer
// is full and ProducerConfig::block_when_full is set. Futures are completed
// on the producer's sender threads (src/producer/README.md).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "spate/aggregation.h"
#include "spate/kinesis_client.h"

namespace spate {

// A shard's write limits (the service's, per shard).
inline constexpr int64_t kShardBytesPerSecondLimit = 1024 * 1024;
inline constexpr int64_t kShardRecordsPerSecondLimit = 1000;
// PutRecords' limits per call.
inline constexpr size_t kPutRecordsMaxCount = 500;
inline constexpr size_t kPutRecordsMaxSize = 5 * 1024 * 1024;
// A record's limit: data plus partition key.
inline constexpr size_t kMaxRecordSize = 1024 * 1024;
inline constexpr size_t kMaxPartitionKeyLength = 256;

// Options; the defaults are the KPL's where the KPL has the option.
struct ProducerConfig {
  // How long a user record may wait to be aggregated with others before it
  // is sent (KPL RecordMaxBufferedTime).
  std::chrono::milliseconds record_max_buffered_time{100};
  // Aggregation: on by default; the blob size and count limits of one
  // aggregate (KPL AggregationEnabled, AggregationMaxSize, AggregationMaxCount).
  bool aggregation_enabled = true;
  size_t aggregation_max_size = kDefaultAggregationMaxSize;
  size_t aggregation_max_count = kDefaultAggregationMaxCount;
  // Collection of Kinesis records into one PutRecords call (KPL
  // CollectionMaxCount, CollectionMaxSize); clamped to the API's limits.
  size_t collection_max_count = kPutRecordsMaxCount;
  size_t collection_max_size = kPutRecordsMaxSize;
  // How long a user record may take, retries included, before it fails
  // with its last error (KPL RecordTtl).
  std::chrono::milliseconds record_ttl{30000};
  // Each shard is kept under this percentage of its write limits (KPL
  // RateLimit defaults to 150, counting on retries; staying under 100
  // avoids throttling altogether when this producer is the only writer).
  int rate_limit_percent = 100;
  // Concurrent PutRecords/ListShards calls (KPL MaxConnections: 24).
  int max_connections = 24;
  // Retry backoff after a throttled or failed attempt, per shard: doubles
  // from min to max, with jitter.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Memory bound: the bytes (data + keys) of records accepted and not yet
  // completed. At the bound Put blocks until room frees (block_when_full)
  // or fails at once with "ProducerBufferFull".
  size_t max_buffered_bytes = 64 * 1024 * 1024;
  bool block_when_full = true;
  // How long the destructor waits for buffered records to be sent; records
  // left after it fail with "ProducerShutdown".
  std::chrono::milliseconds shutdown_timeout{30000};
  // Exactly-once appends, a Spate extension (docs/exactly-once.md): off by
  // default, since Amazon Kinesis has no such call. When on, Create asks the
  // server for a new epoch of `producer_id` (empty: the server picks an id),
  // fencing every older producer with that id; each PutRecords call carries
  // the id, the epoch and a new sequence number, and a call whose outcome is
  // unknown (no answer, a 5xx, an entry failed with InternalFailure) is
  // resent unchanged, with backoff, until it is answered or record_ttl
  // passes, so the server appends each record once. A fenced producer's
  // records fail with ConcurrentModificationException.
  bool exactly_once = false;
  std::string producer_id;
};

// Where a user record landed.
struct PutResult {
  std::string shard_id;
  std::string sequence_number;
  // The user record's index inside its aggregate (0 when sent plain).
  uint64_t sub_sequence_number = 0;
  bool aggregated = false;
  // PutRecords attempts it took (1 when the first one succeeded).
  int attempts = 1;
};

using PutOutcome = Outcome<PutResult>;

// Counters since the producer started; read with Producer::metrics().
struct ProducerMetrics {
  uint64_t user_records_put = 0;     // completed successfully
  uint64_t user_records_failed = 0;  // completed with an error
  uint64_t user_bytes_put = 0;       // data bytes of the records put
  uint64_t kinesis_records_put = 0;  // aggregates and plain records the service accepted
  uint64_t kinesis_bytes_put = 0;    // their data + partition key bytes
  uint64_t put_records_calls = 0;
  uint64_t list_shards_calls = 0;
  uint64_t retries = 0;             // user records sent again after a failed attempt
  uint64_t throttled = 0;           // entries or calls answered with throttling
  uint64_t rate_limited_waits = 0;  // times a shard's send waited for its own rate limiter
  uint64_t buffered_records = 0;    // accepted, not yet completed (now)
  uint64_t buffered_bytes = 0;
  // Put-to-completion latency of successful user records, milliseconds.
  double latency_ms_mean = 0;
  double latency_ms_p50 = 0;
  double latency_ms_p99 = 0;
  double latency_ms_max = 0;
};

class Producer {
 public:
  // A producer writing through `client`, which it shares (the client is safe
  // for concurrent calls). Fails (type "InvalidConfiguration") on options out
  // of range.
  // With ProducerConfig::exactly_once, Create fails with InitProducer's error.
  static Outcome<std::unique_ptr<Producer>> Create(std::shared_ptr<KinesisClient> client, ProducerConfig config = {});

  // Flushes and waits up to shutdown_timeout; what is left fails.
  virtual ~Producer() = default;

  // Queues one user record. `explicit_hash_key` (decimal) overrides the
  // partition key's hash for routing; empty: none. The future completes with
  // where it landed or with the final error: "ValidationException" (at once,
  // for a record the service would refuse), "ProducerBufferFull" (at once, when
  // full and not blocking), the service's error after retries ran out of the
  // record's TTL, or "ProducerShutdown".
  virtual std::future<PutOutcome> Put(std::string_view stream, std::string_view partition_key, std::string_view data,
                                      std::string_view explicit_hash_key = {}) = 0;

  // Sends everything buffered now, without waiting for
  // record_max_buffered_time. Returns at once.
  virtual void Flush() = 0;
  // Flush(), then waits until every record Put before the call has completed
  // or `timeout` passed; true when all completed.
  virtual bool FlushAndWait(std::chrono::milliseconds timeout) = 0;

  virtual ProducerMetrics metrics() const = 0;
};

}  // namespace spate
