#pragma once

// Dynamic partitioning's limit on active partitions: one batch (one buffer
// of the delivery stream) is written as one object per evaluated prefix, at
// most kMaxActivePartitions of them; the records of partitions past the cap
// go to the error output (AWS: "records ... are delivered to the S3 error
// bucket prefix"), and PartitionCountExceeded counts it. Pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spate::firehose::processing {

// AWS's default active partition quota per delivery stream.
inline constexpr size_t kMaxActivePartitions = 500;
// The errorCode of records over the cap.
inline constexpr std::string_view kPartitionCountExceeded = "DynamicPartitioning.ActivePartitionsLimitExceeded";
// The errorCode of records whose prefix does not evaluate (a partition key
// the record lacks, a prefix over 512 characters): AWS counts them as failed
// metadata extraction.
inline constexpr std::string_view kPrefixEvaluationFailed = "DynamicPartitioning.MetadataExtractionFailed";

struct Partitions {
  // Distinct prefixes in order of first appearance, with the indices of
  // their records (in order).
  std::vector<std::string> prefixes;
  std::vector<std::vector<size_t>> records;
  // Indices of records whose prefix came after the first `max` distinct ones.
  std::vector<size_t> overflow;
};

// Groups records by their evaluated prefix (`prefixes[i]` is record i's),
// keeping at most `max` partitions.
Partitions GroupByPrefix(const std::vector<std::string>& prefixes, size_t max = kMaxActivePartitions);

}  // namespace spate::firehose::processing
