// PutRecord and PutRecordBatch: a delivery stream's records are acknowledged
// once durable in its log; delivery follows from there.

#include <cstdio>
#include <memory>
#include <vector>

#include "firehose/delivery_streams.h"
#include "firehose/stream_state.h"

namespace spate::firehose {
namespace {

using protocol::Value;

constexpr size_t kMaxBatchRecords = 500;
constexpr size_t kMaxBatchBytes = 4u << 20;
// The master key of AWS_OWNED_CMK in the key store.
constexpr std::string_view kAwsOwnedKey = "alias/aws/firehose";

// An opaque id per record, unique per delivery stream instance: the log
// group and the record's offset, as hex.
std::string RecordId(const std::string& group, uint64_t offset) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(offset));
  return group.substr(3) + buf;
}

}  // namespace

void DeliveryStreams::PutRecord(const iam::Caller& caller, Value in, Done done) {
  std::string name(in.GetString("DeliveryStreamName"));
  Value records = Value::MakeArray();
  if (Value* r = in.FindMutable("Record")) records.Append(std::move(*r));
  Put(caller, name, std::move(records), false, std::move(done));
}

void DeliveryStreams::PutRecordBatch(const iam::Caller& caller, Value in, Done done) {
  std::string name(in.GetString("DeliveryStreamName"));
  Value records = Value::MakeArray();
  if (Value* r = in.FindMutable("Records")) records = std::move(*r);
  Put(caller, name, std::move(records), true, std::move(done));
}

void DeliveryStreams::Put(const iam::Caller& caller, std::string_view name, Value records, bool batch, Done done) {
  std::shared_ptr<Stream> stream;
  std::string group;
  size_t bytes = 0;
  std::string key_id;
  {
    std::shared_lock lock(mu_);
    auto s = Find(caller, name);
    if (!s || s->meta.status == DeliveryStatus::kDeleting) return done(NotFound(caller, name));
    if (s->meta.type != "DirectPut") {
      return done(InvalidArgument("This operation is not permitted on KinesisStreamAsSource delivery stream type."));
    }
    if (s->meta.status != DeliveryStatus::kActive) {
      return done(Status(ErrorCode::kResourceInUse,
                         "Firehose " + std::string(name) + " is not in the ACTIVE state; try again later."));
    }
    for (const Value& r : records.as_array()) bytes += r.Find("Data")->as_string().size();
    if (batch && bytes > kMaxBatchBytes) {
      return done(InvalidArgument("Records size exceeds 4 MB limit"));
    }
    if (batch && records.as_array().size() > kMaxBatchRecords) {
      return done(InvalidArgument("Records exceeds the limit of 500 records per request."));
    }
    if (s->limiter && !s->limiter->Take(clock_->NowMs(), static_cast<double>(records.as_array().size()),
                                        static_cast<double>(bytes))) {
      s->metrics->throttled_records->Add(records.as_array().size());
      return done(Status(ErrorCode::kServiceUnavailable, "Slow down."));
    }
    stream = s;
    group = s->meta.log_group;
    if (s->meta.encryption.enabled()) {
      key_id = s->meta.encryption.key_arn.empty() ? std::string(kAwsOwnedKey) : s->meta.encryption.key_arn;
    }
  }
  std::vector<storage::RecordInput> inputs;
  inputs.reserve(records.as_array().size());
  for (const Value& r : records.as_array()) inputs.push_back({std::string_view(), r.Find("Data")->as_string()});
  storage::AppendOptions options;
  options.encryption_key_id = key_id;
  bool encrypted = !key_id.empty();
  size_t count = inputs.size();
  storage::ShardLog* log = stream->log.get();
  log->Append(inputs, clock_->NowMs(), options,
              [done = std::move(done), stream = std::move(stream), group, batch, encrypted, count,
               bytes](Result<storage::AppendResult> r) {
                if (!r.ok()) return done(r.status());
                stream->Notify();
                stream->metrics->incoming_put_requests->Add();
                stream->metrics->incoming_records->Add(count);
                stream->metrics->incoming_bytes->Add(bytes);
                Value out = Value::MakeObject();
                if (!batch) {
                  out.Set("RecordId", Value::String(RecordId(group, r->base_offset.value())));
                  out.Set("Encrypted", Value::Bool(encrypted));
                  return done(std::move(out));
                }
                out.Set("FailedPutCount", Value::Int(0));
                out.Set("Encrypted", Value::Bool(encrypted));
                Value responses = Value::MakeArray();
                for (size_t i = 0; i < count; ++i) {
                  Value e = Value::MakeObject();
                  e.Set("RecordId", Value::String(RecordId(group, r->base_offset.value() + i)));
                  responses.Append(std::move(e));
                }
                out.Set("RequestResponses", std::move(responses));
                done(std::move(out));
              });
}

}  // namespace spate::firehose
