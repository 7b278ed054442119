#pragma once

// The two Lambda contracts of Kinesis Data Analytics (SQL), as AWS documents
// them (aws-lambda-go events/kinesis_analytics.go, the KDA developer guide):
//
// Input preprocessing (InputProcessingConfiguration.InputLambdaProcessor):
//   request  {"invocationId", "applicationArn", "streamArn",
//             "records": [{"recordId", "data" (base64),
//                          "kinesisStreamRecordMetadata": {"sequenceNumber", "partitionKey",
//                              "shardId", "approximateArrivalTimestamp"} (a Kinesis stream input) |
//                          "kinesisFirehoseRecordMetadata": {"approximateArrivalTimestamp"}}]}
//   response {"records": [{"recordId", "result": "Ok"|"Dropped"|"ProcessingFailed", "data"}]}
//
// Output delivery (LambdaOutput):
//   request  {"invocationId", "applicationArn",
//             "records": [{"recordId", "lambdaDeliveryRecordMetadata": {"retryHint"}, "data"}]}
//   response {"records": [{"recordId", "result": "Ok"|"DeliveryFailed"}]}
//
// Pure functions: no I/O, no clock.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::analytics {

// An invocationId: a version 4 UUID made of the random bits `hi` and `lo`.
std::string InvocationId(uint64_t hi, uint64_t lo);

// One record handed to a preprocessing function.
struct PreprocessRecord {
  std::string record_id;
  std::string_view data;
  int64_t arrival_ms = 0;
  // A Kinesis stream input's record: where it was read and as what (unused
  // for a delivery stream's record).
  std::string shard_id;
  std::string partition_key;
  std::string sequence_number;
};

std::string PreprocessEvent(std::string_view invocation_id, std::string_view application_arn,
                            std::string_view stream_arn, bool kinesis_stream,
                            const std::vector<PreprocessRecord>& records);

// What became of one preprocessed record.
struct PreprocessResult {
  enum class Kind : uint8_t { kOk, kDropped, kFailed };
  Kind kind = Kind::kFailed;
  std::string data;        // kOk: the new record (decoded)
  std::string error_name;  // kFailed: error_stream's ERROR_NAME
  std::string message;     // kFailed: error_stream's MESSAGE
};

// Parses a preprocessing response for the records `ids` (in order): one
// result per id. A response that is not the contract's document (not JSON,
// no records array) fails every record ("Lambda_InvalidResponse"); an id the
// response lacks or repeats fails that record ("Lambda_MissingRecordId",
// "Lambda_DuplicatedRecordId"); an unknown result or data that is not base64
// fails it too ("Lambda_InvalidResult"); "ProcessingFailed" is
// "Lambda_ProcessingFailed".
std::vector<PreprocessResult> ParsePreprocessResponse(std::string_view payload, const std::vector<std::string>& ids);

// One output row handed to a delivery function.
struct DeliveryRecord {
  std::string record_id;
  std::string_view data;
  int64_t retry_hint = 0;  // how many times this record was handed over before
};

std::string DeliveryEvent(std::string_view invocation_id, std::string_view application_arn,
                          const std::vector<DeliveryRecord>& records);

// Parses a delivery response for `ids`: true for each record acknowledged
// "Ok"; "DeliveryFailed", a missing id or a response that is not the
// contract's document leave it false (to be delivered again).
std::vector<bool> ParseDeliveryResponse(std::string_view payload, const std::vector<std::string>& ids);

}  // namespace spate::analytics
