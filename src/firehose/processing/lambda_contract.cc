#include "firehose/processing/lambda_contract.h"

#include <cstdio>
#include <unordered_map>

#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/base64.h"

namespace spate::firehose::processing {

using protocol::Value;

std::string RecordId(uint64_t offset, uint32_t sub_index) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%020llu%06u", static_cast<unsigned long long>(offset), sub_index);
  return buf;
}

std::string BuildEvent(std::string_view invocation_id, std::string_view delivery_stream_arn, std::string_view region,
                       const std::vector<LambdaInput>& inputs) {
  Value event = Value::MakeObject();
  event.Set("invocationId", Value::String(std::string(invocation_id)));
  event.Set("deliveryStreamArn", Value::String(std::string(delivery_stream_arn)));
  event.Set("region", Value::String(std::string(region)));
  Value records = Value::MakeArray();
  records.mutable_array().reserve(inputs.size());
  for (const LambdaInput& in : inputs) {
    Value r = Value::MakeObject();
    r.Set("recordId", Value::String(in.record_id));
    r.Set("approximateArrivalTimestamp", Value::Int(in.arrival_ms));
    r.Set("data", Value::String(util::Base64Encode(in.data)));
    records.Append(std::move(r));
  }
  event.Set("records", std::move(records));
  std::string out;
  protocol::WriteJson(event, &out);
  return out;
}

namespace {

LambdaOutput Failed(std::string_view code, std::string message) {
  LambdaOutput o;
  o.kind = LambdaOutput::Kind::kFailed;
  o.error_code = std::string(code);
  o.error_message = std::move(message);
  return o;
}

constexpr char kStatusModel[] =
    "Ensure that the returned records follow the status model required by Firehose "
    "(recordId, result Ok, Dropped or ProcessingFailed, base64 data).";

}  // namespace

Result<std::vector<LambdaOutput>> ParseResponse(std::string_view body, const std::vector<LambdaInput>& inputs) {
  auto doc = protocol::ParseJson(body);
  if (!doc.ok()) {
    return InvalidArgument("There was an error parsing returned records from the Lambda function: " +
                           doc.status().message() + ". " + kStatusModel);
  }
  const Value* records = doc->is_object() ? doc->Find("records") : nullptr;
  if (records == nullptr || !records->is_array()) {
    return InvalidArgument(std::string("The Lambda function's response has no records array. ") + kStatusModel);
  }
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i) index.emplace(inputs[i].record_id, i);
  std::vector<const Value*> returned(inputs.size(), nullptr);
  std::vector<bool> duplicated(inputs.size(), false);
  for (const Value& r : records->as_array()) {
    const Value* id = r.is_object() ? r.Find("recordId") : nullptr;
    if (id == nullptr || !id->is_string()) continue;  // its input is then missing
    auto it = index.find(id->as_string());
    if (it == index.end()) continue;
    if (returned[it->second] != nullptr) duplicated[it->second] = true;
    returned[it->second] = &r;
  }
  std::vector<LambdaOutput> out;
  out.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (duplicated[i]) {
      out.push_back(Failed(kDuplicatedRecordId,
                           "Multiple records were returned with the same record Id. Ensure that the Lambda function "
                           "returns a unique record Id for each record."));
      continue;
    }
    const Value* r = returned[i];
    if (r == nullptr) {
      out.push_back(Failed(kMissingRecordId,
                           "One or more record Ids were not returned. Ensure that the Lambda function returns all "
                           "received record Ids."));
      continue;
    }
    std::string_view result = r->GetString("result");
    if (result == "Dropped") {
      LambdaOutput o;
      o.kind = LambdaOutput::Kind::kDropped;
      out.push_back(std::move(o));
      continue;
    }
    if (result == "ProcessingFailed") {
      out.push_back(Failed(kProcessingFailedStatus, "ProcessingFailed status set for record"));
      continue;
    }
    if (result != "Ok") {
      out.push_back(Failed(kJsonProcessingException,
                           "The record's result is not Ok, Dropped or ProcessingFailed. " + std::string(kStatusModel)));
      continue;
    }
    const Value* data = r->Find("data");
    LambdaOutput o;
    o.kind = LambdaOutput::Kind::kOk;
    std::string error;
    if (data == nullptr || !data->is_string() || !util::Base64Decode(data->as_string(), &o.data, &error)) {
      out.push_back(Failed(kJsonProcessingException,
                           "The record's data is missing or not valid base64. " + std::string(kStatusModel)));
      continue;
    }
    bool keys_ok = true;
    if (const Value* meta = r->Find("metadata"); meta != nullptr && meta->is_object()) {
      if (const Value* keys = meta->Find("partitionKeys"); keys != nullptr && !keys->is_null()) {
        if (!keys->is_object()) {
          keys_ok = false;
        } else {
          for (const auto& [k, v] : keys->as_object()) {
            if (v.is_string()) {
              o.partition_keys[k] = v.as_string();
            } else if (v.is_int()) {
              o.partition_keys[k] = std::to_string(v.as_int());
            } else {
              keys_ok = false;
            }
          }
        }
      }
    }
    if (!keys_ok) {
      out.push_back(Failed(kJsonProcessingException,
                           "metadata.partitionKeys must be an object of string values. " + std::string(kStatusModel)));
      continue;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace spate::firehose::processing
