#include "streams/api/control_plane_rates.h"

#include <algorithm>
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
  kUpdateAccountSettings,
  kUpdateShardCount,
  kUpdateStreamMode,
  kUpdateStreamWarmThroughput,
};

struct Row {
  std::string_view operation;
  LimitedCall call;
  double per_second;
  bool per_stream;
};

// kinesis-api.md 2.1 (AWS's API reference, per operation). Sorted by name:
// every call of every operation looks itself up here.
constexpr std::array<Row, 19> kRates = {{
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
    {"UpdateAccountSettings", LimitedCall::kUpdateAccountSettings, 5, false},
    {"UpdateShardCount", LimitedCall::kUpdateShardCount, 10, false},
    {"UpdateStreamMode", LimitedCall::kUpdateStreamMode, 5, false},
    {"UpdateStreamWarmThroughput", LimitedCall::kUpdateStreamWarmThroughput, 5, false},
}};
static_assert(std::is_sorted(kRates.begin(), kRates.end(),
                             [](const Row& a, const Row& b) { return a.operation < b.operation; }),
              "keep kRates sorted");

}  // namespace

std::optional<CallRate> ControlPlaneRate(std::string_view operation) {
  auto it = std::lower_bound(kRates.begin(), kRates.end(), operation,
                             [](const Row& r, std::string_view name) { return r.operation < name; });
  if (it == kRates.end() || it->operation != operation) return std::nullopt;
  return CallRate{static_cast<uint32_t>(it->call), it->per_second, it->per_stream};
}

}  // namespace spate::streams::api
