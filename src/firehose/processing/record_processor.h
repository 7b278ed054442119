#pragma once

// Firehose's record processing (ProcessingConfiguration and dynamic
// partitioning) as a Processor (firehose/sink.h), in AWS's order:
//   KPL de-aggregation -> Decompression (GZIP) -> CloudWatchLogProcessing
//   (DataMessageExtraction) -> RecordDeAggregation (JSON | DELIMITED) ->
//   Lambda -> MetadataExtraction (jq) -> AppendDelimiterToRecord.
// README.md in this folder says what each step does and how failures are
// written.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "firehose/processing/processing_metrics.h"
#include "firehose/sink.h"
#include "protocol/value.h"

namespace spate::lambda {
class Invoker;
}  // namespace spate::lambda

namespace spate::util {
class Clock;
}  // namespace spate::util

namespace spate::firehose::processing {

// The Lambda processor's parameters, with AWS's defaults.
struct LambdaStep {
  std::string arn;
  int retries = 3;                      // NumberOfRetries
  uint64_t buffer_bytes = 1u << 20;     // BufferSizeInMBs (0.2-3), default 1
  int64_t buffer_interval_ms = 60'000;  // BufferIntervalInSeconds (60-900)
};

enum class SubRecordType { kNone, kJson, kDelimited };

// What a configuration asks for; ParseProcessingSpec checks it as AWS does.
struct ProcessingSpec {
  bool dynamic_partitioning = false;
  bool kpl_deaggregation = false;  // on whenever any processing or dynamic partitioning is
  bool decompress = false;
  bool extract_log_messages = false;
  SubRecordType sub_records = SubRecordType::kNone;
  std::string sub_record_delimiter;  // kDelimited: the decoded Delimiter
  std::optional<LambdaStep> lambda;
  std::string jq_query;  // MetadataExtractionQuery; empty: none
  bool append_delimiter = false;
  std::string delimiter_to_append = "\n";

  // False when records go to the destination as they arrived.
  bool Active() const { return kpl_deaggregation; }
};

// The processing of an ExtendedS3 configuration (its ProcessingConfiguration
// and DynamicPartitioningConfiguration, its Prefix and BufferingHints for
// the rules that tie them together). Error: kInvalidArgument with AWS's
// message (InvalidArgumentException).
Result<ProcessingSpec> ParseProcessingSpec(const protocol::Value& s3_cfg);

// UpdateDestination's rules: dynamic partitioning can be neither enabled nor
// disabled after creation. `before` and `after` are whole ExtendedS3
// configurations.
Status CheckProcessingUpdate(const protocol::Value& before, const protocol::Value& after);

// The wait between a failed Lambda invocation and its retry: the first
// retry after kLambdaRetryFirstBackoffMs, each next one after twice the
// last, at most kLambdaRetryMaxBackoffMs (AWS retries "with a backoff" and
// documents no delays; these are ours).
inline constexpr int64_t kLambdaRetryFirstBackoffMs = 200;
inline constexpr int64_t kLambdaRetryMaxBackoffMs = 10'000;
// The wait before retry `retry` (1 for the first retry).
int64_t LambdaRetryBackoffMs(int retry);

struct ProcessorEnv {
  std::string delivery_stream_arn;
  const lambda::Invoker* invoker = nullptr;  // not owned; null: no function is mapped
  util::Clock* clock = nullptr;              // not owned; null: the system clock
  ProcessingMetrics metrics;
  // Waits `ms` before a Lambda retry; false when `cancel` was set meanwhile
  // (the processing gives up, to be replayed). Null: a real wait, checking
  // `cancel` every 10 ms. Tests inject one that records the delays.
  std::function<bool(int64_t ms, const std::atomic<bool>* cancel)> wait;
};

// The processor of `spec` (null when !spec.Active()). Used by one deliverer
// thread at a time. Error: kInvalidArgument for a query that does not
// compile.
Result<std::unique_ptr<Processor>> NewRecordProcessor(ProcessingSpec spec, ProcessorEnv env);

}  // namespace spate::firehose::processing
