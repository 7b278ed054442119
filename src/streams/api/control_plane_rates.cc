#include "streams/api/control_plane_rates.h"

#include <array>
#include <cstdint>

namespace spate::streams::api {
namespace {

// The rate-limited operations; each has its own buckets (its CallRate id).
enum class LimitedCall : uint32_t {
  kAddTagsToStream,
  kCreateStream,
  kDeleteStream,
  kDeregisterStreamConsumer,
  kDescribeLimits,
  kDescribeStream,
  kDescribeStreamConsumer,
  kDescribeStreamSummary,
  kListShards,
  kListStreams,
  kListTagsForStream,
  kMergeShards,
  kRegisterStreamConsumer,
  kRemoveTagsFromStream,
  kSplitShard,
  kUpdateShardCount,
  kUpdateStreamMode,
};

struct Row {
  std::string_view operation;
  LimitedCall call;
  double per_second;
  bool per_stream;
};

// kinesis-api.md 2.1 (AWS's API reference, per operation).
constexpr std::array<Row, 17> kRates = {{
    {"AddTagsToStream", LimitedCall::kAddTagsToStream, 5, false},
    {"CreateStream", LimitedCall::kCreateStream, 5, false},
    {"DeleteStream", LimitedCall::kDeleteStream, 5, false},
    {"DeregisterStreamConsumer", LimitedCall::kDeregisterStreamConsumer, 5, false},
    {"DescribeLimits", LimitedCall::kDescribeLimits, 1, false},
    {"DescribeStream", LimitedCall::kDescribeStream, 10, false},
    {"DescribeStreamConsumer", LimitedCall::kDescribeStreamConsumer, 20, true},
    {"DescribeStreamSummary", LimitedCall::kDescribeStreamSummary, 20, false},
    {"ListShards", LimitedCall::kListShards, 1000, true},
    {"ListStreams", LimitedCall::kListStreams, 5, false},
    {"ListTagsForStream", LimitedCall::kListTagsForStream, 5, false},
    {"MergeShards", LimitedCall::kMergeShards, 5, false},
    {"RegisterStreamConsumer", LimitedCall::kRegisterStreamConsumer, 5, false},
    {"RemoveTagsFromStream", LimitedCall::kRemoveTagsFromStream, 5, false},
    {"SplitShard", LimitedCall::kSplitShard, 5, false},
    {"UpdateShardCount", LimitedCall::kUpdateShardCount, 10, false},
    {"UpdateStreamMode", LimitedCall::kUpdateStreamMode, 5, false},
}};

}  // namespace

std::optional<CallRate> ControlPlaneRate(std::string_view operation) {
  for (const Row& r : kRates) {
    if (r.operation == operation) return CallRate{static_cast<uint32_t>(r.call), r.per_second, r.per_stream};
  }
  return std::nullopt;
}

}  // namespace spate::streams::api
