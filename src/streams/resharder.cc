#include "streams/resharder.h"

#include <algorithm>
#include <string>

#include "metadata/catalog.h"
#include "storage/shard_log.h"
#include "streams/lifecycle_log.h"
#include "streams/registry.h"
#include "streams/stream_errors.h"
#include "util/hash_key.h"

namespace spate::streams {

using metadata::ShardMeta;
using metadata::StreamMeta;

// -------------------------------------------------------------- Resharder

ShardMeta* Resharder::Find(model::ShardIndex index) {
  for (ShardMeta& s : meta_.shards) {
    if (s.index == index) return &s;
  }
  return nullptr;
}

std::vector<model::ShardIndex> Resharder::OpenByRange() const {
  std::vector<const ShardMeta*> open;
  for (const ShardMeta& s : meta_.shards) {
    if (!s.closed()) open.push_back(&s);
  }
  std::sort(open.begin(), open.end(),
            [](const ShardMeta* a, const ShardMeta* b) { return a->range.start < b->range.start; });
  std::vector<model::ShardIndex> out;
  for (const ShardMeta* s : open) out.push_back(s->index);
  return out;
}

std::pair<model::ShardIndex, model::ShardIndex> Resharder::Split(model::ShardIndex index, model::uint128 key) {
  model::HashKeyRange r = Find(index)->range;
  Close(index);
  model::ShardIndex a = Add({r.start, key - 1}, index, std::nullopt);
  model::ShardIndex b = Add({key, r.end}, index, std::nullopt);
  return {a, b};
}

model::ShardIndex Resharder::Merge(model::ShardIndex low, model::ShardIndex high) {
  model::HashKeyRange r{Find(low)->range.start, Find(high)->range.end};
  Close(low);
  Close(high);
  return Add(r, low, high);
}

void Resharder::Close(model::ShardIndex index) {
  std::shared_ptr<storage::ShardLog> log = stream_.Log(index);
  ShardMeta* s = Find(index);
  s->end_offset = log ? log->AssignedEndOffset() : s->starting_offset;
  s->closed_ms = now_;
}

model::ShardIndex Resharder::Add(model::HashKeyRange range, model::ShardIndex parent,
                                 std::optional<model::ShardIndex> adjacent) {
  ShardMeta c;
  c.index = meta_.next_shard_index;
  ++meta_.next_shard_index.value;
  c.range = range;
  c.parent = parent;
  c.adjacent_parent = adjacent;
  c.created_ms = now_;
  meta_.shards.push_back(c);
  return c.index;
}

// UNIFORM_SCALING, as AWS does it, by splits and merges: first split every
// open shard that a target boundary (i * floor(2^128 / N)) cuts, then merge
// the pieces inside each target range from left to right. Every step has
// AWS's lineage (one parent per split child, parent + adjacent parent per
// merge child); pieces that a later merge consumes are short-lived shards,
// closed empty at once, as AWS's are (4 -> 5 shards leaves 15 shards in all,
// as AWS does). The open shards end with exactly EvenHashKeyRanges(N).
void Resharder::ScaleTo(uint32_t target) {
  std::vector<model::HashKeyRange> goal = model::EvenHashKeyRanges(target);
  // 1. Split where a target range starts inside an open shard.
  size_t next_goal = 1;
  std::vector<model::ShardIndex> pieces;
  for (model::ShardIndex idx : OpenByRange()) {
    model::ShardIndex cur = idx;
    while (next_goal < goal.size() && goal[next_goal].start <= Find(cur)->range.end) {
      model::uint128 key = goal[next_goal++].start;
      if (key == Find(cur)->range.start) continue;  // already a boundary
      auto [low, high] = Split(cur, key);
      pieces.push_back(low);
      cur = high;
    }
    pieces.push_back(cur);
  }
  // 2. Merge the pieces of each target range.
  size_t p = 0;
  for (const model::HashKeyRange& g : goal) {
    model::ShardIndex acc = pieces[p++];
    while (Find(acc)->range.end < g.end) acc = Merge(acc, pieces[p++]);
  }
  SPATE_ASSERT(p == pieces.size(), "UpdateShardCount pieces must tile the target ranges");
}

Status Resharder::Apply(const metadata::PendingReshard& p) {
  auto open = [this](model::ShardIndex index) {
    const ShardMeta* s = Find(index);
    return s != nullptr && !s->closed();
  };
  auto unfit = [] { return Status(ErrorCode::kInternal, "the pending reshard no longer fits the shard map"); };
  switch (p.kind) {
    case metadata::ReshardKind::kNone: return Status::Ok();
    case metadata::ReshardKind::kSplit: {
      if (!open(p.shard)) return unfit();
      model::HashKeyRange r = Find(p.shard)->range;
      if (p.new_starting_hash_key <= r.start || p.new_starting_hash_key > r.end) return unfit();
      Split(p.shard, p.new_starting_hash_key);
      return Status::Ok();
    }
    case metadata::ReshardKind::kMerge: {
      if (!open(p.shard) || !open(p.adjacent_shard)) return unfit();
      model::HashKeyRange low = Find(p.shard)->range;
      if (low.end == model::uint128(~model::uint128(0)) || low.end + 1 != Find(p.adjacent_shard)->range.start) {
        return unfit();
      }
      Merge(p.shard, p.adjacent_shard);
      return Status::Ok();
    }
    case metadata::ReshardKind::kUniformScaling:
      if (p.target_shard_count == 0 || OpenByRange().empty()) return unfit();
      ScaleTo(p.target_shard_count);
      return Status::Ok();
  }
  return unfit();
}

void StartResharding(StreamMeta& m, const metadata::PendingReshard& pending, int64_t now_ms) {
  m.pending_reshard = pending;
  StartUpdating(m, now_ms);
}

void StartUpdating(StreamMeta& m, int64_t now_ms) {
  m.status = metadata::StreamStatus::kUpdating;
  m.status_since_ms = now_ms;
}

// ---------------------------------------------- Registry: the reshard plans

Status Registry::Reshard(const StreamRef& ref, const std::function<Status(Resharder&)>& plan) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(LookupKey(ref));
  if (it == streams_.end()) return StreamNotFound(ref);
  Stream& s = *it->second;
  StreamMeta copy = s.meta_;
  Resharder r(s, &copy, clock_->NowMs());
  SPATE_TRY(plan(r));
  // Without a state delay the reshard happens at once (UPDATING lasts until
  // the next maintenance pass); otherwise the map changes only when the
  // stream turns ACTIVE (ActivateStream in maintenance.cc).
  if (copy.pending_reshard.pending() && options_.state_delay_ms == 0) {
    SPATE_TRY(r.Apply(copy.pending_reshard));
    copy.pending_reshard = {};
  }
  SPATE_TRY(OpenShardLogs(&s, copy));
  SPATE_TRY(catalog_->PutStream(copy));
  LogStreamChanges(&s.meta_, &copy);
  s.meta_ = std::move(copy);
  // Routes new records to the children (RebuildRoutes skips closed shards)
  // before mu_ is released.
  s.RebuildRoutes();
  ResolveMetrics(&s);
  return Status::Ok();
}

Status Registry::SplitShard(const StreamRef& ref, std::string_view shard_id, std::string_view new_starting_hash_key) {
  uint32_t account_open = OpenShardCount(Caller{ref.account, ref.region});
  return Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActive(m));
    auto index = model::ParseShardId(shard_id);
    ShardMeta* shard = index ? r.Find(*index) : nullptr;
    if (shard == nullptr) {
      return Status(ErrorCode::kNotFound, "Could not find shard " + std::string(shard_id) + " in stream " + m.name +
                                              " under account " + m.account + ".");
    }
    std::string name = model::ShardIdName(shard->index);
    if (shard->closed()) {
      return Status(ErrorCode::kInvalidArgument, "Shard " + name + " in stream " + m.name + " under account " +
                                                     m.account +
                                                     " has already been merged or split, and thus is not eligible for "
                                                     "merging or splitting.");
    }
    auto key = util::ParseDecimal128(new_starting_hash_key);
    model::HashKeyRange range = shard->range;
    if (!key || *key <= range.start + 1 || *key >= range.end) {
      return Status(ErrorCode::kInvalidArgument,
                    "NewStartingHashKey " + std::string(new_starting_hash_key) + " used in SplitShard() on shard " +
                        name + " in stream " + m.name + " under account " + m.account +
                        " is not both greater than one plus the shard's StartingHashKey " +
                        util::ToDecimal(range.start) + " and less than the shard's EndingHashKey " +
                        util::ToDecimal(range.end) + ".");
    }
    if (account_open + 1 > options_.shard_limit) return ShardLimitExceeded(ref, account_open, 1, options_.shard_limit);
    metadata::PendingReshard p;
    p.kind = metadata::ReshardKind::kSplit;
    p.shard = shard->index;
    p.new_starting_hash_key = *key;
    StartResharding(m, p, r.now());
    return Status::Ok();
  });
}

Status Registry::MergeShards(const StreamRef& ref, std::string_view shard_id, std::string_view adjacent_shard_id) {
  return Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActive(m));
    ShardMeta* shards[2] = {nullptr, nullptr};
    std::string_view ids[2] = {shard_id, adjacent_shard_id};
    for (int i = 0; i < 2; ++i) {
      auto index = model::ParseShardId(ids[i]);
      shards[i] = index ? r.Find(*index) : nullptr;
      if (shards[i] == nullptr) {
        return Status(ErrorCode::kNotFound, "Could not find shard " + std::string(ids[i]) + " in stream " + m.name +
                                                " under account " + m.account + ".");
      }
    }
    for (ShardMeta* s : shards) {
      if (s->closed()) {
        return Status(ErrorCode::kInvalidArgument,
                      "Shard " + model::ShardIdName(s->index) + " in stream " + m.name + " under account " + m.account +
                          " has already been merged or split, and thus is not eligible for merging or "
                          "splitting.");
      }
    }
    // ShardToMerge must be the lower range, AdjacentShardToMerge directly
    // above it (AWS rejects the inverted pair too).
    if (shards[0]->index == shards[1]->index || shards[0]->range.end == model::uint128(~model::uint128(0)) ||
        shards[0]->range.end + 1 != shards[1]->range.start) {
      return Status(ErrorCode::kInvalidArgument, "Shards " + model::ShardIdName(shards[0]->index) + " and " +
                                                     model::ShardIdName(shards[1]->index) + " in stream " + m.name +
                                                     " under account " + m.account +
                                                     " are not an adjacent pair of shards eligible for merging");
    }
    metadata::PendingReshard p;
    p.kind = metadata::ReshardKind::kMerge;
    p.shard = shards[0]->index;
    p.adjacent_shard = shards[1]->index;
    StartResharding(m, p, r.now());
    return Status::Ok();
  });
}

// UNIFORM_SCALING (Resharder::ScaleTo), checked now, applied when the
// stream turns ACTIVE.
Result<uint32_t> Registry::UpdateShardCount(const StreamRef& ref, uint32_t target) {
  uint32_t account_open = OpenShardCount(Caller{ref.account, ref.region});
  uint32_t current = 0;
  Status st = Reshard(ref, [&](Resharder& r) -> Status {
    StreamMeta& m = r.meta();
    SPATE_TRY(RequireProvisioned(m));
    SPATE_TRY(RequireActive(m));
    std::vector<model::ShardIndex> open = r.OpenByRange();
    current = static_cast<uint32_t>(open.size());
    auto counts = [&] {
      return ". Current open shard count: " + std::to_string(current) +
             " Target shard count: " + std::to_string(target);
    };
    if (target > 2 * static_cast<uint64_t>(current)) {
      return Status(ErrorCode::kLimitExceeded,
                    "UpdateShardCount cannot scale up over double your current open shard count" + counts());
    }
    if (2 * static_cast<uint64_t>(target) < current) {
      return Status(ErrorCode::kLimitExceeded,
                    "UpdateShardCount cannot scale down below half your current open shard count" + counts());
    }
    if (static_cast<uint64_t>(account_open) - current + target > options_.shard_limit) {
      return Status(ErrorCode::kLimitExceeded, "Target shard count or number of open shards cannot be greater than " +
                                                   std::to_string(options_.shard_limit) + counts());
    }
    metadata::PendingReshard p;
    p.kind = metadata::ReshardKind::kUniformScaling;
    p.target_shard_count = target;
    StartResharding(m, p, r.now());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return current;
}

}  // namespace spate::streams
