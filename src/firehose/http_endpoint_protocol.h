#pragma once

// The pure pieces of Firehose's HTTP endpoint delivery protocol (AWS's
// "HTTP Endpoint Delivery Request and Response Specifications", version 1.0):
// the request's headers and JSON envelope, the check of the answer, and AWS's
// failed-record JSON for the S3 backup. No I/O; safe from any thread. The
// sink (http_endpoint_destination.cc) sends and retries.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "firehose/sink.h"
#include "net/http_client.h"
#include "protocol/value.h"

namespace spate::firehose {

inline constexpr std::string_view kHttpEndpointProtocolVersion = "1.0";
// Records in one request (the specification's limit).
inline constexpr size_t kMaxHttpEndpointRecords = 10'000;
// The answer's body may be 1 MiB; a longer one is not trusted.
inline constexpr size_t kMaxHttpEndpointResponseBytes = 1 << 20;
// How long Firehose waits for an answer before it counts a failed attempt.
inline constexpr int64_t kHttpEndpointResponseTimeoutMs = 180'000;

// The body {"requestId", "timestamp" (epoch ms), "records": [{"data": base64}]}.
std::string HttpEndpointBody(std::string_view request_id, int64_t timestamp_ms, std::span<const BatchRecord> records);

// X-Amz-Firehose-Common-Attributes: {"commonAttributes": {name: value, ...}}
// from RequestConfiguration.CommonAttributes (a list of {AttributeName,
// AttributeValue}); "" when there are none (the header is not sent).
std::string CommonAttributesHeader(const protocol::Value* common_attributes);

// The headers of one request, in the order sent. `access_key` "" : not sent.
std::vector<std::pair<std::string, std::string>> HttpEndpointHeaders(std::string_view request_id,
                                                                     std::string_view source_arn,
                                                                     std::string_view access_key,
                                                                     std::string_view common_attributes, bool gzip);

// What an answer means.
enum class HttpEndpointOutcome {
  kDelivered,  // 200 with {"requestId": <ours>, ...}
  kTooLarge,   // 413: permanent, the records are not retried
  kRetry,      // anything else (3xx are not followed; a malformed 200 counts as 500)
};
struct HttpEndpointVerdict {
  HttpEndpointOutcome outcome = HttpEndpointOutcome::kRetry;
  std::string error_code;  // "HttpEndpoint.DestinationException", ...; "" when delivered
  std::string error_message;
};
HttpEndpointVerdict CheckHttpEndpointResponse(const net::HttpResponse& resp, std::string_view request_id);

// AWS's failed-record document (one line of JSON): {attemptsMade,
// arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp,
// rawData (base64), subsequenceNumber, dataId}.
struct FailedHttpRecord {
  int attempts = 0;
  int64_t arrival_ms = 0;
  std::string error_code;
  std::string error_message;
  int64_t attempt_ending_ms = 0;
  std::string raw_data;
  uint32_t subsequence_number = 0;
  std::string data_id;
};
std::string FailedHttpRecordJson(const FailedHttpRecord& r);

}  // namespace spate::firehose
