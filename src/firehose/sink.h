#pragma once

// What a Deliverer drives: a batch of records cut from a delivery stream's
// log, processed (KPL de-aggregation, the Lambda-contract transformation,
// dynamic partitioning), then handed to the destination's Sink (S3 objects,
// PostgreSQL COPY, OpenSearch _bulk, an HTTP endpoint).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "protocol/value.h"
#include "storage/shard_log.h"

namespace spate::firehose {

// One record as the destination receives it.
struct BatchRecord {
  std::string data;
  // ApproximateArrivalTimestamp of the source record it came from, epoch ms.
  int64_t arrival_ms = 0;
  // The source record's offset in the delivery stream's log, and its place
  // among the records that one source record became (KPL or JSON
  // de-aggregation; 0 otherwise). Together: an id stable across replays
  // (the Lambda contract's recordId, an OpenSearch document id, a dataId).
  storage::Offset offset;
  uint32_t sub_index = 0;
  // Dynamic partitioning: the keys of partitionKeyFromQuery (jq) and
  // partitionKeyFromLambda (the Lambda response's metadata.partitionKeys).
  // Empty without dynamic partitioning.
  std::map<std::string, std::string, std::less<>> keys_from_query;
  std::map<std::string, std::string, std::less<>> keys_from_lambda;
};

// A record that processing failed for, kept for the error output: written as
// AWS's JSON document {attemptsMade, arrivalTimestamp, errorCode,
// errorMessage, attemptEndingTimestamp, rawData, lambdaArn} under the
// destination's error prefix (!{firehose:error-output-type} =
// processing-failed).
struct FailedRecord {
  std::string raw_data;  // the record as it arrived (bytes, not base64)
  int64_t arrival_ms = 0;
  storage::Offset offset;
  uint32_t sub_index = 0;
  int attempts = 0;
  int64_t attempt_ending_ms = 0;
  std::string error_code;  // e.g. "Lambda.FunctionError", "Lambda.MissingRecordId"
  std::string error_message;
  std::string lambda_arn;  // "" when no Lambda was involved
};

// One batch: the log's records [first, end). Replayed whole after a failure
// or a restart.
struct Batch {
  // Name-based UUID of the deliverer's id and the range: the same on every
  // attempt and after a restart (X-Amz-Firehose-Request-Id, the S3 object's
  // UUID, the PostgreSQL progress key).
  std::string id;
  storage::Offset first;
  storage::Offset end;
  // Arrival of the oldest record, epoch ms (object names, timestamp prefixes).
  int64_t oldest_ms = 0;
  // What Sink::Plan answered when the batch was cut, kept with the pending
  // batch in the checkpoint and handed back on every attempt.
  protocol::Value plan;
  // Before processing: the source records as they arrived; after: what the
  // destination is to receive (records Dropped by a transformation are gone).
  std::vector<BatchRecord> records;
  std::vector<FailedRecord> processing_failed;
};

// What a delivery did, added to the stream's DeliveryTo<Destination>.*
// counters.
struct SinkCounts {
  uint64_t objects = 0;  // S3 objects, COPY statements, _bulk or HTTP requests that succeeded
  uint64_t records = 0;  // records delivered
  uint64_t bytes = 0;    // bytes of record data delivered (before compression)
  uint64_t failed = 0;   // records sent to the error output or the S3 backup as failed
  // Of a failed attempt: the time, in the deliverer's clock's ms, that the
  // retry window does not count. The HTTP endpoint sink puts here the time
  // spent waiting for answers (AWS's HttpEndpointRetryOptions: the duration
  // "doesn't include the periods during which Firehose waits for
  // acknowledgment ... after each attempt"); sinks whose window counts
  // everything (S3, Redshift, OpenSearch, whose RetryOptions include the
  // attempts) leave it 0.
  int64_t window_excluded_ms = 0;
};

struct BufferingHints {
  uint64_t bytes = 5u << 20;
  int64_t interval_ms = 300'000;  // 0: deliver as soon as records are there
};

// One destination's delivery (a destination, or the S3 backup of source
// records). Called from the deliverer's thread only, one batch at a time;
// may block (it is cancelled through `cancel`). A Sink is immutable:
// UpdateDestination makes a new one, used from the next batch on.
class Sink {
 public:
  virtual ~Sink() = default;

  virtual BufferingHints Buffering() const = 0;
  // How long a batch may keep failing before Expire (S3: 24 h; RetryOptions
  // DurationInSeconds of the others), from the start of its first failed
  // attempt (AWS: "including the first attempt"), less what the failed
  // attempts report in SinkCounts::window_excluded_ms.
  virtual int64_t RetryWindowMs() const = 0;
  // The first wait after a failed attempt (it doubles up to the deliverer's
  // maximum, or stays at this if larger); 0: the deliverer's own (200 ms).
  // Redshift retries its COPY every 5 minutes.
  virtual int64_t RetryBackoffMs() const { return 0; }

  // Called once when a batch is cut, before it is saved as pending (records
  // not yet read): what must stay the same when the batch is delivered again
  // after an UpdateDestination or a restart, e.g. the S3 object key and
  // compression. Default: nothing.
  virtual Result<protocol::Value> Plan(const Batch& batch) {
    (void)batch;
    return protocol::Value::MakeObject();
  }

  // Delivers the processed batch, including writing batch.processing_failed
  // to the error output. Ok: every record is at the destination, or where
  // the destination's rules put it (failed documents backed up to S3, a 413
  // answer). Any error is retried (the whole batch again) until the retry
  // window has passed, then Expire is called instead. Must be idempotent
  // for a replayed batch as far as the destination allows (same keys, same
  // request id, the PostgreSQL progress table).
  virtual Status Deliver(const Batch& batch, SinkCounts* counts, const std::atomic<bool>* cancel) = 0;

  // The retry window has passed with `last_error`: put the batch where AWS
  // puts what it could not deliver (the S3 error prefix, the local error
  // output). An error is retried together with Deliver: nothing acknowledged
  // goes silently away.
  virtual Status Expire(const Batch& batch, const Status& last_error, SinkCounts* counts,
                        const std::atomic<bool>* cancel) = 0;

  // For logs: "S3 bucket b", "PostgreSQL table t at host:port".
  virtual std::string Describe() const = 0;
};

// Turns a batch's source records into the records to deliver: the
// ProcessingConfiguration's processors in AWS's order (KPL de-aggregation,
// JSON or delimiter de-aggregation, Lambda, metadata extraction,
// AppendDelimiterToRecord). Records a processor fails go to
// batch->processing_failed; Dropped ones are removed. Must be deterministic
// for deterministic processors (a replayed batch gets the same partition
// keys). Errors only for cancellation or an internal failure (retried).
class Processor {
 public:
  virtual ~Processor() = default;
  virtual Status Process(Batch* batch, const std::atomic<bool>* cancel) = 0;
};

}  // namespace spate::firehose
