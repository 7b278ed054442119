// DiscoverInputSchema: samples records from a Kinesis stream or an object of
// the embedded object store and infers their schema (schema_discovery.h).

#include <sstream>

#include "analytics/applications.h"
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
  std::vector<std::string> records;
  if (const Value* s3 = in.Find("S3Configuration"); s3 != nullptr) {
    SPATE_ASSIGN_OR_RETURN(std::string body, ReadLocalObject(options_.object_root, s3->GetString("BucketARN"),
                                                             s3->GetString("FileKey"), kMaxSampleObjectBytes));
    std::istringstream lines(body);
    for (std::string line; records.size() < kMaxSampleRecords && std::getline(lines, line);) {
      if (!line.empty()) records.push_back(std::move(line));
    }
  } else if (const Value* arn = in.Find("ResourceARN"); arn != nullptr) {
    std::string_view resource = arn->as_string();
    if (resource.find(":firehose:") != std::string_view::npos) {
      return InvalidArgument(
          "Discovering the schema of a Firehose delivery stream is not supported by this server "
          "yet.");
    }
    if (resource.find(":kinesis:") == std::string_view::npos) {
      return InvalidArgument("ResourceARN " + std::string(resource) + " is not a Kinesis stream ARN.");
    }
    if (options_.kinesis == nullptr) return InvalidArgument("This server reads no Kinesis streams.");
    std::string position = "TRIM_HORIZON";
    if (const Value* p = in.Find("InputStartingPositionConfiguration");
        p != nullptr && p->Has("InputStartingPosition")) {
      position = std::string(p->GetString("InputStartingPosition"));
    }
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
      for (service::SourceRecord& r : batch.records) records.push_back(std::move(r.data));
    }
  } else {
    return InvalidArgument("Either ResourceARN or S3Configuration must be specified.");
  }
  if (in.Has("InputProcessingConfiguration")) {
    return InvalidArgument("Input preprocessing with a Lambda function is not supported by this server yet.");
  }
  return DiscoverSchema(records);
}

}  // namespace spate::analytics
