#pragma once

// Firehose's data-transformation contract with a Lambda function (AWS's
// "Transform source data" pages; aws-lambda-go events/firehose.go):
//
// event    {"invocationId", "deliveryStreamArn", "region",
//           "records": [{"recordId", "approximateArrivalTimestamp" (epoch ms), "data" (base64)}]}
// response {"records": [{"recordId", "result": "Ok" | "Dropped" | "ProcessingFailed",
//           "data" (base64), "metadata": {"partitionKeys": {"k": "v"}}}]}
//
// Every recordId must come back exactly once. Pure functions, safe from any
// thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace spate::firehose::processing {

// The errorCode values of processing-failed documents, as AWS writes them.
inline constexpr std::string_view kProcessingFailedStatus = "Lambda.ProcessingFailedStatus";
inline constexpr std::string_view kMissingRecordId = "Lambda.MissingRecordId";
inline constexpr std::string_view kDuplicatedRecordId = "Lambda.DuplicatedRecordId";
inline constexpr std::string_view kJsonProcessingException = "Lambda.JsonProcessingException";
inline constexpr std::string_view kFunctionError = "Lambda.FunctionError";
inline constexpr std::string_view kResourceNotFound = "Lambda.ResourceNotFound";

// A record handed to the function.
struct LambdaInput {
  std::string record_id;
  int64_t arrival_ms = 0;
  std::string_view data;  // raw bytes; base64-encoded in the event
};

// What the function did with one input.
struct LambdaOutput {
  enum class Kind { kOk, kDropped, kFailed };
  Kind kind = Kind::kFailed;
  std::string data;                                                // kOk: the transformed bytes
  std::map<std::string, std::string, std::less<>> partition_keys;  // kOk: metadata.partitionKeys
  std::string error_code;                                          // kFailed
  std::string error_message;                                       // kFailed
};

// A stable record id for a record of the log: the offset (20 digits) and its
// place among the records its source record became (6 digits).
std::string RecordId(uint64_t offset, uint32_t sub_index);

// The event JSON of one invocation.
std::string BuildEvent(std::string_view invocation_id, std::string_view delivery_stream_arn, std::string_view region,
                       const std::vector<LambdaInput>& inputs);

// The outcome of each input, in the inputs' order, from the function's
// response. Per record: a recordId returned twice -> kDuplicatedRecordId;
// not returned -> kMissingRecordId; ProcessingFailed ->
// kProcessingFailedStatus; a result that is none of the three, or an Ok
// without valid base64 data -> kJsonProcessingException. Error
// (kInvalidArgument, for kJsonProcessingException of every record): the
// response is not JSON or not {"records": [...]}.
Result<std::vector<LambdaOutput>> ParseResponse(std::string_view body, const std::vector<LambdaInput>& inputs);

}  // namespace spate::firehose::processing
