#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/types.h"

namespace spate::metadata {

enum class StreamStatus : uint8_t { kCreating = 0, kActive = 1, kUpdating = 2, kDeleting = 3 };
enum class StreamMode : uint8_t { kProvisioned = 0, kOnDemand = 1 };
// A registered (enhanced fan-out) consumer's life cycle; no UPDATING.
enum class ConsumerStatus : uint8_t { kCreating = 0, kActive = 1, kDeleting = 3 };

std::string_view StreamStatusName(StreamStatus s);
std::string_view StreamModeName(StreamMode m);
std::string_view ConsumerStatusName(ConsumerStatus s);

// A consumer registered on a stream (RegisterStreamConsumer). Its ARN is
// the stream ARN + "/consumer/<name>:<created_ms / 1000>".
struct ConsumerMeta {
  std::string name;
  int64_t created_ms = 0;
  ConsumerStatus status = ConsumerStatus::kCreating;
  int64_t status_since_ms = 0;  // CREATING/DELETING end after the state delay from here
  std::map<std::string, std::string> tags;
};

// What the catalog remembers of one shard.
struct ShardMeta {
  model::ShardIndex index;
  model::HashKeyRange range;
  std::optional<model::ShardIndex> parent;
  std::optional<model::ShardIndex> adjacent_parent;
  int64_t created_ms = 0;
  // Offset of the first record the shard's log holds (0 for a new shard).
  model::LogOffset starting_offset;
  // Set once the shard is closed by a reshard: one past its last record.
  std::optional<model::LogOffset> end_offset;
  // When the shard was closed (0 while open).
  int64_t closed_ms = 0;

  bool closed() const { return end_offset.has_value(); }
};

// A reshard the stream has accepted but not yet applied (version 4). As on
// AWS, SplitShard, MergeShards and UpdateShardCount leave the shard map as it
// was while the stream is UPDATING; the streams layer applies the edit, in
// the same catalog write that makes the stream ACTIVE again. A crash in
// between leaves the old map and this plan, which is applied at recovery.
enum class ReshardKind : uint8_t { kNone = 0, kSplit = 1, kMerge = 2, kUniformScaling = 3 };
struct PendingReshard {
  ReshardKind kind = ReshardKind::kNone;
  model::ShardIndex shard;                   // kSplit: the shard to split; kMerge: the lower shard
  model::ShardIndex adjacent_shard;          // kMerge: the shard right above `shard`
  model::uint128 new_starting_hash_key = 0;  // kSplit: the second child's first hash key
  uint32_t target_shard_count = 0;           // kUniformScaling: open shards after it

  bool pending() const { return kind != ReshardKind::kNone; }
};

// The largest record a stream accepts unless CreateStream or
// UpdateMaxRecordSize says otherwise (1 MiB).
inline constexpr int32_t kDefaultMaxRecordSizeKiB = 1024;

// What the catalog remembers of one stream. Plain data; the owner (the
// streams layer) guards it with its own lock.
struct StreamMeta {
  std::string account;
  std::string region;
  std::string name;
  // Directory name of this stream instance's logs; unique even when a stream
  // is deleted and created again under the same name.
  std::string storage_group;
  int64_t created_ms = 0;
  StreamStatus status = StreamStatus::kCreating;
  // When the current status began (CREATING/UPDATING/DELETING end after the
  // configured delay from here).
  int64_t status_since_ms = 0;
  StreamMode mode = StreamMode::kProvisioned;
  int32_t retention_hours = 24;
  model::ShardIndex next_shard_index;  // the index the next new shard gets
  std::vector<ShardMeta> shards;       // ordered by index
  std::map<std::string, std::string> tags;
  std::set<std::string> shard_level_metrics;
  std::string encryption_type = "NONE";
  std::string key_id;
  int32_t max_record_size_kib = kDefaultMaxRecordSizeKiB;  // PutRecord(s) refuse larger records
  // Resource-based policies (PutResourcePolicy) of the stream and of its
  // consumers, by resource ARN; the JSON documents as given. (Version 2.)
  std::map<std::string, std::string> resource_policies;
  std::vector<ConsumerMeta> consumers;  // in registration order (since version 3)
  // Set only while the stream is UPDATING for a reshard (since version 4).
  PendingReshard pending_reshard;
  // On-demand warm throughput target, MiB/s (CreateStream, UpdateStreamMode,
  // UpdateStreamWarmThroughput); 0: none (since version 5).
  int32_t warm_throughput_mibps = 0;
  // The stream incarnation's epoch, bits 87..64 of its sequence numbers
  // (docs/formats/sequence_number.md): unique to this incarnation, so a
  // stream created again never repeats a number; 0 for a record written
  // before epochs (since version 6).
  uint32_t epoch = 0;

  // The consumer of that name, or null.
  const ConsumerMeta* FindConsumer(std::string_view consumer_name) const;
  ConsumerMeta* FindConsumer(std::string_view consumer_name);

  // Catalog key: account, region and name identify a stream.
  std::string Key() const { return MakeKey(account, region, name); }
  static std::string MakeKey(std::string_view account, std::string_view region, std::string_view name);
  // MakeKey into *out, reusing its buffer (lookups on the put path).
  static void AssignKey(std::string_view account, std::string_view region, std::string_view name, std::string* out);
};

// Versioned binary encoding (format in docs/formats/catalog.md).
std::string EncodeStreamMeta(const StreamMeta& meta);
Result<StreamMeta> DecodeStreamMeta(std::string_view bytes);

}  // namespace spate::metadata
