// DiscoverInputSchema: samples records from a Kinesis stream or an object of
// the embedded object store and infers their schema (schema_discovery.h).

#include <random>
#include <sstream>

#include "analytics/applications.h"
#include "analytics/lambda_contract.h"
#include "analytics/local_objects.h"
#include "analytics/schema_discovery.h"

namespace spate::analytics {
namespace {

using protocol::Value;

// How many records discovery samples, as AWS's console shows them.
constexpr size_t kMaxSampleRecords = 100;
// The most of an object discovery reads.
constexpr size_t kMaxSampleObjectBytes = 1 << 20;

}  // namespace

Result<Value> Applications::DiscoverInputSchema(const iam::Caller& caller, const Value& in) {
  std::vector<Sample> records;
  if (const Value* s3 = in.Find("S3Configuration"); s3 != nullptr) {
    SPATE_ASSIGN_OR_RETURN(std::string body, ReadLocalObject(options_.object_root, s3->GetString("BucketARN"),
                                                             s3->GetString("FileKey"), kMaxSampleObjectBytes));
    std::istringstream lines(body);
    for (std::string line; records.size() < kMaxSampleRecords && std::getline(lines, line);) {
      if (!line.empty()) records.push_back(Sample{std::move(line), clock_->NowMs(), "", "", ""});
    }
  } else if (const Value* arn = in.Find("ResourceARN"); arn != nullptr) {
    std::string_view resource = arn->as_string();
    std::string position = "TRIM_HORIZON";
    if (const Value* p = in.Find("InputStartingPositionConfiguration");
        p != nullptr && p->Has("InputStartingPosition")) {
      position = std::string(p->GetString("InputStartingPosition"));
    }
    if (resource.find(":firehose:") != std::string_view::npos) {
      if (options_.firehose == nullptr) return InvalidArgument("This server reads no Firehose delivery streams.");
      if (position == "TRIM_HORIZON") {
        return InvalidArgument(
            "Input starting position TRIM_HORIZON is not available for a Firehose delivery "
            "stream; use NOW.");
      }
      auto range = options_.firehose->Range(caller, resource);
      if (!range.ok()) {
        if (range.status().code() == ErrorCode::kNotFound) {
          return Status(ErrorCode::kNotFound, "Delivery stream " + std::string(resource) + " not found.");
        }
        return range.status();
      }
      // NOW (and LAST_STOPPED_POINT, which discovery has none of): the
      // latest records the delivery stream still holds (those its
      // destination has not taken yet).
      uint64_t from = range->start;
      if (range->end > range->start + kMaxSampleRecords) from = range->end - kMaxSampleRecords;
      SPATE_ASSIGN_OR_RETURN(service::SourceBatch batch,
                             options_.firehose->Read(caller, resource, range->log_id, from, kMaxSampleRecords));
      for (service::SourceRecord& r : batch.records)
        records.push_back(Sample{std::move(r.data), r.arrival_ms, "", "", ""});
    } else if (resource.find(":kinesis:") == std::string_view::npos) {
      return InvalidArgument("ResourceARN " + std::string(resource) +
                             " is not a Kinesis stream or Firehose delivery stream ARN.");
    } else {
      SPATE_TRY(SampleStream(caller, resource, position, &records));
    }
  } else {
    return InvalidArgument("Either ResourceARN or S3Configuration must be specified.");
  }
  const Value* processing = in.Find("InputProcessingConfiguration");
  if (processing == nullptr) {
    std::vector<std::string> texts;
    texts.reserve(records.size());
    for (Sample& r : records) texts.push_back(std::move(r.data));
    return DiscoverSchema(texts);
  }
  // The function's Ok records are what the schema is inferred from;
  // RawInputRecords are the records as read.
  std::string function(processing->Find("InputLambdaProcessor")->GetString("ResourceARN"));
  SPATE_ASSIGN_OR_RETURN(std::vector<std::string> processed,
                         PreprocessSamples(function, in.GetString("ResourceARN"), records));
  SPATE_ASSIGN_OR_RETURN(Value out, DiscoverSchema(processed));
  Value raw = Value::MakeArray();
  for (Sample& r : records) raw.Append(Value::String(std::move(r.data)));
  out.Set("RawInputRecords", std::move(raw));
  return out;
}

Result<std::vector<std::string>> Applications::PreprocessSamples(const std::string& function,
                                                                 std::string_view stream_arn,
                                                                 const std::vector<Sample>& records) const {
  if (options_.lambda == nullptr) {
    return InvalidArgument("This server runs no Lambda functions (see --lambda-map); " + function + " is not mapped.");
  }
  std::vector<PreprocessRecord> call;
  std::vector<std::string> ids;
  for (size_t i = 0; i < records.size(); ++i) {
    PreprocessRecord r;
    r.record_id = std::to_string(i);
    r.data = records[i].data;
    r.arrival_ms = records[i].arrival_ms;
    r.shard_id = records[i].shard_id;
    r.partition_key = records[i].partition_key;
    r.sequence_number = records[i].sequence_number;
    ids.push_back(r.record_id);
    call.push_back(std::move(r));
  }
  bool kinesis = stream_arn.find(":kinesis:") != std::string_view::npos;
  // Discovery has no application: the event names none.
  std::random_device random;
  auto bits = [&random] { return (static_cast<uint64_t>(random()) << 32) | random(); };
  std::string event = PreprocessEvent(InvocationId(bits(), bits()), "", stream_arn, kinesis, call);
  lambda::Invocation inv = options_.lambda->Invoke(function, event, nullptr);
  if (inv.outcome != lambda::Outcome::kOk) {
    return InvalidArgument("The preprocessing function " + function + " failed (" +
                           std::string(lambda::OutcomeName(inv.outcome)) + "): " + inv.message);
  }
  std::vector<std::string> out;
  for (PreprocessResult& r : ParsePreprocessResponse(inv.payload, ids)) {
    if (r.kind == PreprocessResult::Kind::kOk) out.push_back(std::move(r.data));
  }
  return out;
}

Status Applications::SampleStream(const iam::Caller& caller, std::string_view resource, const std::string& position,
                                  std::vector<Sample>* records) const {
  if (options_.kinesis == nullptr) return InvalidArgument("This server reads no Kinesis streams.");
  auto shards = options_.kinesis->Shards(caller, resource);
  if (!shards.ok()) {
    if (shards.status().code() == ErrorCode::kNotFound) {
      return Status(ErrorCode::kNotFound, "Stream " + std::string(resource) + " not found.");
    }
    return shards.status();
  }
  // TRIM_HORIZON samples each shard from its start; NOW (and
  // LAST_STOPPED_POINT, which discovery has none of) the latest records.
  size_t per_shard = std::max<size_t>(1, kMaxSampleRecords / std::max<size_t>(1, shards->size()));
  for (const service::SourceShard& s : *shards) {
    uint64_t from = s.start;
    if (position != "TRIM_HORIZON" && s.end > s.start + per_shard) from = s.end - per_shard;
    SPATE_ASSIGN_OR_RETURN(service::SourceBatch batch,
                           options_.kinesis->Read(caller, resource, s.shard_id, from, per_shard));
    for (service::SourceRecord& r : batch.records) {
      records->push_back(Sample{std::move(r.data), r.arrival_ms, s.shard_id, std::move(r.partition_key),
                                std::move(r.sequence_number)});
    }
  }
  return Status::Ok();
}

}  // namespace spate::analytics
