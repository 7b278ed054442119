#include "firehose/http_endpoint_protocol.h"

#include "firehose/error_document.h"
#include "protocol/json_codec.h"
#include "util/base64.h"

namespace spate::firehose {
namespace {

using protocol::Value;

// The answer's errorMessage is at most 8192 characters; what we quote of it.
constexpr size_t kMaxQuotedBytes = 8192;

std::string Quote(std::string_view body) { return std::string(body.substr(0, std::min(body.size(), kMaxQuotedBytes))); }

}  // namespace

std::string HttpEndpointBody(std::string_view request_id, int64_t timestamp_ms, std::span<const BatchRecord> records) {
  std::string out;
  size_t size = 64 + request_id.size();
  for (const BatchRecord& r : records) size += (r.data.size() + 2) / 3 * 4 + 12;
  out.reserve(size);
  out += "{\"requestId\":";
  protocol::WriteJson(Value::String(std::string(request_id)), &out);
  out += ",\"timestamp\":";
  out += std::to_string(timestamp_ms);
  out += ",\"records\":[";
  bool first = true;
  for (const BatchRecord& r : records) {
    out += first ? "{\"data\":\"" : ",{\"data\":\"";
    first = false;
    util::Base64EncodeAppend(r.data, &out);  // base64 needs no JSON escaping
    out += "\"}";
  }
  out += "]}";
  return out;
}

std::string CommonAttributesHeader(const Value* common_attributes) {
  if (common_attributes == nullptr || !common_attributes->is_array() || common_attributes->as_array().empty()) {
    return "";
  }
  Value attrs = Value::MakeObject();
  for (const Value& a : common_attributes->as_array()) {
    attrs.Set(std::string(a.GetString("AttributeName")), Value::String(std::string(a.GetString("AttributeValue"))));
  }
  Value header = Value::MakeObject();
  header.Set("commonAttributes", std::move(attrs));
  std::string out;
  protocol::WriteJson(header, &out);
  return out;
}

std::vector<std::pair<std::string, std::string>> HttpEndpointHeaders(std::string_view request_id,
                                                                     std::string_view source_arn,
                                                                     std::string_view access_key,
                                                                     std::string_view common_attributes, bool gzip) {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("Content-Type", "application/json");
  if (gzip) h.emplace_back("Content-Encoding", "gzip");
  h.emplace_back("X-Amz-Firehose-Protocol-Version", std::string(kHttpEndpointProtocolVersion));
  h.emplace_back("X-Amz-Firehose-Request-Id", std::string(request_id));
  h.emplace_back("X-Amz-Firehose-Source-Arn", std::string(source_arn));
  if (!access_key.empty()) h.emplace_back("X-Amz-Firehose-Access-Key", std::string(access_key));
  if (!common_attributes.empty()) h.emplace_back("X-Amz-Firehose-Common-Attributes", std::string(common_attributes));
  return h;
}

HttpEndpointVerdict CheckHttpEndpointResponse(const net::HttpResponse& resp, std::string_view request_id) {
  HttpEndpointVerdict v;
  if (resp.status == 413) {
    v.outcome = HttpEndpointOutcome::kTooLarge;
    v.error_code = "HttpEndpoint.PayloadTooLarge";
    v.error_message = "the endpoint answered 413 (request entity too large): " + Quote(resp.body);
    return v;
  }
  if (resp.status != 200) {
    v.error_code = "HttpEndpoint.DestinationException";
    v.error_message = "the endpoint answered " + std::to_string(resp.status) + ": " + Quote(resp.body);
    return v;
  }
  if (resp.body.size() >= kMaxHttpEndpointResponseBytes) {
    v.error_code = "HttpEndpoint.ResponseTooLarge";
    v.error_message = "the endpoint's answer is larger than 1 MiB";
    return v;
  }
  Result<Value> doc = protocol::ParseJson(resp.body);
  const Value* id = doc.ok() && doc->is_object() ? doc->Find("requestId") : nullptr;
  if (id == nullptr || !id->is_string()) {
    v.error_code = "HttpEndpoint.InvalidResponseFromDestination";
    v.error_message = "the endpoint answered 200 without a JSON requestId: " + Quote(resp.body);
    return v;
  }
  if (id->as_string() != request_id) {
    v.error_code = "HttpEndpoint.InvalidResponseFromDestination";
    v.error_message = "the endpoint answered requestId " + id->as_string() + " to request " + std::string(request_id);
    return v;
  }
  v.outcome = HttpEndpointOutcome::kDelivered;
  return v;
}

std::string FailedHttpRecordJson(const FailedHttpRecord& r) {
  ErrorDocument d({r.attempts, r.arrival_ms, r.error_code, r.error_message, r.attempt_ending_ms});
  d.AddRawData(r.raw_data);
  d.Add("subsequenceNumber", Value::Int(r.subsequence_number));
  d.Add("dataId", Value::String(r.data_id));
  return d.Json();
}

}  // namespace spate::firehose
