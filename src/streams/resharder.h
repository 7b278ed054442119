#pragma once

// The shard-map edits of resharding (SplitShard, MergeShards,
// UpdateShardCount, on-demand scaling). Internal to the streams module.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "base/status.h"
#include "metadata/stream_meta.h"
#include "model/types.h"

namespace spate::streams {

class Stream;

// Edits a copy of one stream's record; the registry runs it under its
// exclusive lock and then persists the copy (Registry::Reshard, and the
// maintenance pass that applies a pending reshard when its stream turns
// ACTIVE). Closing a shard records its log's assigned end (see the comment
// above Registry::Put in registry_io.cc). Shards created and closed by the
// same plan (UpdateShardCount's short-lived ones) have no log yet: they close
// empty, at their starting offset. Not thread-safe; lives for one plan.
class Resharder {
 public:
  // `stream` is the current stream (its logs give the closing offsets);
  // `meta` the copy being edited. Both must outlive the Resharder.
  Resharder(const Stream& stream, metadata::StreamMeta* meta, int64_t now_ms)
      : stream_(stream), meta_(*meta), now_(now_ms) {}

  metadata::StreamMeta& meta() { return meta_; }
  int64_t now() const { return now_; }

  // The shard of the edited record; null if there is none.
  metadata::ShardMeta* Find(model::ShardIndex index);

  // Open shards, by range start.
  std::vector<model::ShardIndex> OpenByRange() const;

  // Splits open shard `index` so the second child starts at `key`
  // (range.start < key <= range.end). Returns the children.
  std::pair<model::ShardIndex, model::ShardIndex> Split(model::ShardIndex index, model::uint128 key);

  // Merges open shard `low` with the open shard `high` right above it.
  // Returns the child.
  model::ShardIndex Merge(model::ShardIndex low, model::ShardIndex high);

  // UNIFORM_SCALING to `target` (> 0) open shards by splits and merges; the
  // open shards end as model::EvenHashKeyRanges(target).
  void ScaleTo(uint32_t target);

  // Applies a pending reshard accepted earlier (meta().pending_reshard is
  // left as it is). kInternal, with nothing edited, if it no longer fits the
  // map (it was checked when accepted, and the map cannot change while the
  // stream is UPDATING, so only a damaged catalog record gets there).
  Status Apply(const metadata::PendingReshard& pending);

 private:
  void Close(model::ShardIndex index);
  model::ShardIndex Add(model::HashKeyRange range, model::ShardIndex parent, std::optional<model::ShardIndex> adjacent);

  const Stream& stream_;
  metadata::StreamMeta& meta_;
  const int64_t now_;
};

// Records `pending` to be applied when the stream turns ACTIVE again and puts
// the stream in UPDATING from `now_ms`.
void StartResharding(metadata::StreamMeta& meta, const metadata::PendingReshard& pending, int64_t now_ms);

// Puts the stream in UPDATING from `now_ms` (it turns ACTIVE again after the
// state delay).
void StartUpdating(metadata::StreamMeta& meta, int64_t now_ms);

}  // namespace spate::streams
