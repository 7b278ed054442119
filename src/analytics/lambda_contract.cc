#include "analytics/lambda_contract.h"

#include <cstdio>
#include <map>

#include "protocol/json_codec.h"
#include "protocol/value.h"
#include "util/base64.h"

namespace spate::analytics {
namespace {

using protocol::Value;

std::string Write(const Value& v) {
  std::string out;
  protocol::WriteJson(v, &out);
  return out;
}

// The response's records by id; null (with *error set) when the payload is
// not the contract's document.
bool IndexRecords(std::string_view payload, std::map<std::string, const Value*, std::less<>>* by_id,
                  std::map<std::string, int, std::less<>>* seen, Value* doc, std::string* error) {
  auto parsed = protocol::ParseJson(payload);
  if (!parsed.ok()) {
    *error = "The Lambda function's response is not JSON: " + parsed.status().message();
    return false;
  }
  *doc = std::move(*parsed);
  const Value* records = doc->is_object() ? doc->Find("records") : nullptr;
  if (records == nullptr || !records->is_array()) {
    *error = "The Lambda function's response has no records array.";
    return false;
  }
  for (const Value& r : records->as_array()) {
    if (!r.is_object()) continue;
    const Value* id = r.Find("recordId");
    if (id == nullptr || !id->is_string()) continue;
    (*by_id)[id->as_string()] = &r;
    ++(*seen)[id->as_string()];
  }
  return true;
}

PreprocessResult Failed(std::string name, std::string message) {
  PreprocessResult r;
  r.kind = PreprocessResult::Kind::kFailed;
  r.error_name = std::move(name);
  r.message = std::move(message);
  return r;
}

}  // namespace

std::string InvocationId(uint64_t hi, uint64_t lo) {
  hi = (hi & ~0xF000ull) | 0x4000ull;        // version 4
  lo = (lo & ~(3ull << 62)) | (2ull << 62);  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF), static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string PreprocessEvent(std::string_view invocation_id, std::string_view application_arn,
                            std::string_view stream_arn, bool kinesis_stream,
                            const std::vector<PreprocessRecord>& records) {
  Value doc = Value::MakeObject();
  doc.Set("invocationId", Value::String(std::string(invocation_id)));
  doc.Set("applicationArn", Value::String(std::string(application_arn)));
  doc.Set("streamArn", Value::String(std::string(stream_arn)));
  Value list = Value::MakeArray();
  for (const PreprocessRecord& r : records) {
    Value rec = Value::MakeObject();
    rec.Set("recordId", Value::String(r.record_id));
    Value meta = Value::MakeObject();
    if (kinesis_stream) {
      meta.Set("sequenceNumber", Value::String(r.sequence_number));
      meta.Set("partitionKey", Value::String(r.partition_key));
      meta.Set("shardId", Value::String(r.shard_id));
      meta.Set("approximateArrivalTimestamp", Value::Int(r.arrival_ms));
      rec.Set("kinesisStreamRecordMetadata", std::move(meta));
    } else {
      meta.Set("approximateArrivalTimestamp", Value::Int(r.arrival_ms));
      rec.Set("kinesisFirehoseRecordMetadata", std::move(meta));
    }
    rec.Set("data", Value::String(util::Base64Encode(r.data)));
    list.Append(std::move(rec));
  }
  doc.Set("records", std::move(list));
  return Write(doc);
}

std::vector<PreprocessResult> ParsePreprocessResponse(std::string_view payload, const std::vector<std::string>& ids) {
  std::map<std::string, const Value*, std::less<>> by_id;
  std::map<std::string, int, std::less<>> seen;
  Value doc;
  std::string error;
  std::vector<PreprocessResult> out;
  out.reserve(ids.size());
  if (!IndexRecords(payload, &by_id, &seen, &doc, &error)) {
    for (size_t i = 0; i < ids.size(); ++i) out.push_back(Failed("Lambda_InvalidResponse", error));
    return out;
  }
  for (const std::string& id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      out.push_back(Failed("Lambda_MissingRecordId", "The Lambda function's response lacks record " + id + "."));
      continue;
    }
    if (seen[id] > 1) {
      out.push_back(Failed("Lambda_DuplicatedRecordId", "The Lambda function's response repeats record " + id + "."));
      continue;
    }
    const Value& r = *it->second;
    std::string_view result = r.GetString("result");
    if (result == "Dropped") {
      PreprocessResult d;
      d.kind = PreprocessResult::Kind::kDropped;
      out.push_back(std::move(d));
    } else if (result == "ProcessingFailed") {
      out.push_back(Failed("Lambda_ProcessingFailed", "The Lambda function could not process record " + id + "."));
    } else if (result == "Ok") {
      const Value* data = r.Find("data");
      PreprocessResult ok;
      ok.kind = PreprocessResult::Kind::kOk;
      std::string decode_error;
      if (data == nullptr || !data->is_string() || !util::Base64Decode(data->as_string(), &ok.data, &decode_error)) {
        out.push_back(Failed("Lambda_InvalidResult",
                             "The Lambda function returned record " + id + " with data that is not base64."));
        continue;
      }
      out.push_back(std::move(ok));
    } else {
      out.push_back(Failed("Lambda_InvalidResult", "The Lambda function returned record " + id + " with result '" +
                                                       std::string(result) +
                                                       "' (expected Ok, Dropped or ProcessingFailed)."));
    }
  }
  return out;
}

std::string DeliveryEvent(std::string_view invocation_id, std::string_view application_arn,
                          const std::vector<DeliveryRecord>& records) {
  Value doc = Value::MakeObject();
  doc.Set("invocationId", Value::String(std::string(invocation_id)));
  doc.Set("applicationArn", Value::String(std::string(application_arn)));
  Value list = Value::MakeArray();
  for (const DeliveryRecord& r : records) {
    Value rec = Value::MakeObject();
    rec.Set("recordId", Value::String(r.record_id));
    Value meta = Value::MakeObject();
    meta.Set("retryHint", Value::Int(r.retry_hint));
    rec.Set("lambdaDeliveryRecordMetadata", std::move(meta));
    rec.Set("data", Value::String(util::Base64Encode(r.data)));
    list.Append(std::move(rec));
  }
  doc.Set("records", std::move(list));
  return Write(doc);
}

std::vector<bool> ParseDeliveryResponse(std::string_view payload, const std::vector<std::string>& ids) {
  std::map<std::string, const Value*, std::less<>> by_id;
  std::map<std::string, int, std::less<>> seen;
  Value doc;
  std::string error;
  std::vector<bool> out(ids.size(), false);
  if (!IndexRecords(payload, &by_id, &seen, &doc, &error)) return out;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = by_id.find(ids[i]);
    out[i] = it != by_id.end() && it->second->GetString("result") == "Ok";
  }
  return out;
}

}  // namespace spate::analytics
