#include <algorithm>
#include <array>
#include <utility>

#include "streams/api/operation.h"

namespace spate::streams::api {

// One declaration per handler file of this folder.
void AddTagsToStream(const Context&, protocol::Value, Done);
void CreateStream(const Context&, protocol::Value, Done);
void DecreaseStreamRetentionPeriod(const Context&, protocol::Value, Done);
void DeleteResourcePolicy(const Context&, protocol::Value, Done);
void DeleteStream(const Context&, protocol::Value, Done);
void DeregisterStreamConsumer(const Context&, protocol::Value, Done);
void DescribeAccountSettings(const Context&, protocol::Value, Done);
void DescribeLimits(const Context&, protocol::Value, Done);
void DescribeStream(const Context&, protocol::Value, Done);
void DescribeStreamConsumer(const Context&, protocol::Value, Done);
void DescribeStreamSummary(const Context&, protocol::Value, Done);
void DisableEnhancedMonitoring(const Context&, protocol::Value, Done);
void EnableEnhancedMonitoring(const Context&, protocol::Value, Done);
void GetRecords(const Context&, protocol::Value, Done);
void GetResourcePolicy(const Context&, protocol::Value, Done);
void GetShardIterator(const Context&, protocol::Value, Done);
void IncreaseStreamRetentionPeriod(const Context&, protocol::Value, Done);
void ListShards(const Context&, protocol::Value, Done);
void ListStreams(const Context&, protocol::Value, Done);
void ListStreamConsumers(const Context&, protocol::Value, Done);
void ListTagsForResource(const Context&, protocol::Value, Done);
void ListTagsForStream(const Context&, protocol::Value, Done);
void MergeShards(const Context&, protocol::Value, Done);
void PutRecord(const Context&, protocol::Value, Done);
void PutRecords(const Context&, protocol::Value, Done);
void PutResourcePolicy(const Context&, protocol::Value, Done);
void RegisterStreamConsumer(const Context&, protocol::Value, Done);
void RemoveTagsFromStream(const Context&, protocol::Value, Done);
void SplitShard(const Context&, protocol::Value, Done);
void StartStreamEncryption(const Context&, protocol::Value, Done);
void StopStreamEncryption(const Context&, protocol::Value, Done);
void SubscribeToShard(const Context&, protocol::Value, Done);
void TagResource(const Context&, protocol::Value, Done);
void UntagResource(const Context&, protocol::Value, Done);
void UpdateAccountSettings(const Context&, protocol::Value, Done);
void UpdateShardCount(const Context&, protocol::Value, Done);
void UpdateMaxRecordSize(const Context&, protocol::Value, Done);
void UpdateStreamMode(const Context&, protocol::Value, Done);
void UpdateStreamWarmThroughput(const Context&, protocol::Value, Done);

namespace {
// Sorted by name for binary search.
constexpr std::array<std::pair<std::string_view, Handler>, 39> kHandlers = {{
    {"AddTagsToStream", &AddTagsToStream},
    {"CreateStream", &CreateStream},
    {"DecreaseStreamRetentionPeriod", &DecreaseStreamRetentionPeriod},
    {"DeleteResourcePolicy", &DeleteResourcePolicy},
    {"DeleteStream", &DeleteStream},
    {"DeregisterStreamConsumer", &DeregisterStreamConsumer},
    {"DescribeAccountSettings", &DescribeAccountSettings},
    {"DescribeLimits", &DescribeLimits},
    {"DescribeStream", &DescribeStream},
    {"DescribeStreamConsumer", &DescribeStreamConsumer},
    {"DescribeStreamSummary", &DescribeStreamSummary},
    {"DisableEnhancedMonitoring", &DisableEnhancedMonitoring},
    {"EnableEnhancedMonitoring", &EnableEnhancedMonitoring},
    {"GetRecords", &GetRecords},
    {"GetResourcePolicy", &GetResourcePolicy},
    {"GetShardIterator", &GetShardIterator},
    {"IncreaseStreamRetentionPeriod", &IncreaseStreamRetentionPeriod},
    {"ListShards", &ListShards},
    {"ListStreamConsumers", &ListStreamConsumers},
    {"ListStreams", &ListStreams},
    {"ListTagsForResource", &ListTagsForResource},
    {"ListTagsForStream", &ListTagsForStream},
    {"MergeShards", &MergeShards},
    {"PutRecord", &PutRecord},
    {"PutRecords", &PutRecords},
    {"PutResourcePolicy", &PutResourcePolicy},
    {"RegisterStreamConsumer", &RegisterStreamConsumer},
    {"RemoveTagsFromStream", &RemoveTagsFromStream},
    {"SplitShard", &SplitShard},
    {"StartStreamEncryption", &StartStreamEncryption},
    {"StopStreamEncryption", &StopStreamEncryption},
    {"SubscribeToShard", &SubscribeToShard},
    {"TagResource", &TagResource},
    {"UntagResource", &UntagResource},
    {"UpdateAccountSettings", &UpdateAccountSettings},
    {"UpdateMaxRecordSize", &UpdateMaxRecordSize},
    {"UpdateShardCount", &UpdateShardCount},
    {"UpdateStreamMode", &UpdateStreamMode},
    {"UpdateStreamWarmThroughput", &UpdateStreamWarmThroughput},
}};
static_assert(std::is_sorted(kHandlers.begin(), kHandlers.end()), "keep kHandlers sorted");
}  // namespace

Handler FindHandler(std::string_view operation) {
  auto it = std::lower_bound(kHandlers.begin(), kHandlers.end(), operation,
                             [](const auto& entry, std::string_view name) { return entry.first < name; });
  if (it == kHandlers.end() || it->first != operation) return nullptr;
  return it->second;
}

}  // namespace spate::streams::api
