#include <algorithm>
#include <array>
#include <utility>

#include "streams/api/operation.h"

namespace spate::streams::api {

// One declaration per handler file of this folder.
void AddTagsToStream(const Context&, protocol::Value, Done);
void CreateStream(const Context&, protocol::Value, Done);
void DecreaseStreamRetentionPeriod(const Context&, protocol::Value, Done);
void DeleteStream(const Context&, protocol::Value, Done);
void DescribeLimits(const Context&, protocol::Value, Done);
void DescribeStream(const Context&, protocol::Value, Done);
void DescribeStreamSummary(const Context&, protocol::Value, Done);
void DisableEnhancedMonitoring(const Context&, protocol::Value, Done);
void EnableEnhancedMonitoring(const Context&, protocol::Value, Done);
void GetRecords(const Context&, protocol::Value, Done);
void GetShardIterator(const Context&, protocol::Value, Done);
void IncreaseStreamRetentionPeriod(const Context&, protocol::Value, Done);
void ListShards(const Context&, protocol::Value, Done);
void ListStreams(const Context&, protocol::Value, Done);
void ListTagsForResource(const Context&, protocol::Value, Done);
void ListTagsForStream(const Context&, protocol::Value, Done);
void PutRecord(const Context&, protocol::Value, Done);
void PutRecords(const Context&, protocol::Value, Done);
void RemoveTagsFromStream(const Context&, protocol::Value, Done);
void StartStreamEncryption(const Context&, protocol::Value, Done);
void StopStreamEncryption(const Context&, protocol::Value, Done);
void TagResource(const Context&, protocol::Value, Done);
void UntagResource(const Context&, protocol::Value, Done);

namespace {
// Sorted by name for binary search.
constexpr std::array<std::pair<std::string_view, Handler>, 23> kHandlers = {{
    {"AddTagsToStream", &AddTagsToStream},
    {"CreateStream", &CreateStream},
    {"DecreaseStreamRetentionPeriod", &DecreaseStreamRetentionPeriod},
    {"DeleteStream", &DeleteStream},
    {"DescribeLimits", &DescribeLimits},
    {"DescribeStream", &DescribeStream},
    {"DescribeStreamSummary", &DescribeStreamSummary},
    {"DisableEnhancedMonitoring", &DisableEnhancedMonitoring},
    {"EnableEnhancedMonitoring", &EnableEnhancedMonitoring},
    {"GetRecords", &GetRecords},
    {"GetShardIterator", &GetShardIterator},
    {"IncreaseStreamRetentionPeriod", &IncreaseStreamRetentionPeriod},
    {"ListShards", &ListShards},
    {"ListStreams", &ListStreams},
    {"ListTagsForResource", &ListTagsForResource},
    {"ListTagsForStream", &ListTagsForStream},
    {"PutRecord", &PutRecord},
    {"PutRecords", &PutRecords},
    {"RemoveTagsFromStream", &RemoveTagsFromStream},
    {"StartStreamEncryption", &StartStreamEncryption},
    {"StopStreamEncryption", &StopStreamEncryption},
    {"TagResource", &TagResource},
    {"UntagResource", &UntagResource},
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
