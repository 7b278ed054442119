// Resharding, capacity modes and throttling in the registry, on a real
// catalog and shard logs with a ManualClock.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "streams/tests/registry_fixture.h"

namespace spate::streams {
namespace {

using metadata::ShardMeta;
using metadata::StreamMeta;
using metadata::StreamMode;
using metadata::StreamStatus;

class ReshardTest : public RegistryFixture {
 protected:
  void Open(RegistryOptions ro = {}) {
    if (ro.shard_limit == RegistryOptions{}.shard_limit) ro.shard_limit = 50;
    OpenRegistry(ro);
  }

  void CreateActive(uint32_t shards, StreamMode mode = StreamMode::kProvisioned) {
    RegistryFixture::CreateActive(ref_, shards, mode);
  }

  StreamMeta Meta() { return MetaOf(ref_); }

  static std::vector<model::HashKeyRange> OpenRanges(const StreamMeta& m) {
    std::vector<model::HashKeyRange> out;
    for (const ShardMeta& s : m.shards) {
      if (!s.closed()) out.push_back(s.range);
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.start < b.start; });
    return out;
  }

  Result<std::vector<PutOutcome>> TryPut(std::vector<PutEntry> entries, const StreamCheck& entry_fault = {}) {
    return RegistryFixture::TryPut(ref_, std::move(entries), entry_fault);
  }
  PutOutcome PutOne(std::string key, std::string data) {
    auto r = TryPut({PutEntry{std::move(key), std::move(data), std::nullopt}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0] : PutOutcome{};
  }

  std::string Iterator(uint32_t shard, uint64_t offset) { return IteratorAt(ref_, shard, offset); }
};

TEST_F(ReshardTest, SplitClosesTheParentAndOpensTwoChildrenWhenActiveAgain) {
  Open();
  CreateActive(1);
  PutOne("a", "before");
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  StreamMeta m = Meta();
  EXPECT_EQ(m.status, StreamStatus::kUpdating);
  ASSERT_EQ(m.shards.size(), 1u);  // the old map until ACTIVE
  EXPECT_FALSE(m.shards[0].closed());
  EXPECT_EQ(m.pending_reshard.kind, metadata::ReshardKind::kSplit);
  PutOne("b", "during");
  Settle();
  m = Meta();
  EXPECT_EQ(m.status, StreamStatus::kActive);
  EXPECT_FALSE(m.pending_reshard.pending());
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_EQ(m.shards[0].end_offset, std::optional<model::LogOffset>(2));
  EXPECT_EQ(m.shards[0].closed_ms, clock_.NowMs());
  EXPECT_EQ(m.shards[1].created_ms, clock_.NowMs());
  EXPECT_EQ(m.shards[1].index.value, 1u);
  EXPECT_EQ(m.shards[1].parent, std::optional<model::ShardIndex>(model::ShardIndex{0}));
  EXPECT_EQ(m.shards[1].range, (model::HashKeyRange{0, 999}));
  EXPECT_EQ(m.shards[2].range, (model::HashKeyRange{1000, util::kMaxHashKey}));
  EXPECT_FALSE(m.shards[2].adjacent_parent.has_value());
}

TEST_F(ReshardTest, WhileUpdatingTheOldMapRoutesListsAndReads) {
  Open();
  CreateActive(2);
  PutOne("a", "1");
  ASSERT_TRUE(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000001").ok());
  // Explicit hash keys of both parents still reach them.
  auto r = TryPut({{"k", "low", model::uint128(0)}, {"k", "high", util::kMaxHashKey}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shard.value, 0u);
  EXPECT_EQ((*r)[1].shard.value, 1u);
  EXPECT_EQ(registry_->OpenShardCount(Caller{ref_.account, ref_.region}), 2u);
  // A parent read to its tip is not at an end: no children yet.
  uint32_t first = PutOne("a", "2").shard.value;
  auto read = registry_->GetRecords(Iterator(first, 0), 100);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->next_iterator.has_value());
  EXPECT_TRUE(read->children.empty());
  Settle();
  StreamMeta m = Meta();
  ASSERT_EQ(m.shards.size(), 3u);
  // Every record accepted while UPDATING is below its parent's end.
  uint64_t parent_records = m.shards[0].end_offset->value() + m.shards[1].end_offset->value();
  EXPECT_EQ(parent_records, 4u);
  EXPECT_EQ(registry_->OpenShardCount(Caller{ref_.account, ref_.region}), 1u);
  r = TryPut({{"k", "low", model::uint128(0)}, {"k", "high", util::kMaxHashKey}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shard.value, 2u);
  EXPECT_EQ((*r)[1].shard.value, 2u);
}

TEST_F(ReshardTest, WithoutAStateDelayTheMapChangesAtOnce) {
  state_delay_ms_ = 0;
  Open();
  CreateActive(1);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  StreamMeta m = Meta();
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_TRUE(m.shards[0].closed());
  EXPECT_FALSE(m.pending_reshard.pending());
  EXPECT_NE(PutOne("a", "after").shard.value, 0u);
}

TEST_F(ReshardTest, APendingReshardSurvivesARestartUnapplied) {
  Open();
  CreateActive(2);
  PutOne("a", "1");
  ASSERT_TRUE(registry_->UpdateShardCount(ref_, 3).ok());
  Close();  // as after kill -9: the catalog holds the old map and the plan
  Open();
  StreamMeta m = Meta();
  EXPECT_EQ(m.status, StreamStatus::kUpdating);
  EXPECT_EQ(m.shards.size(), 2u);
  EXPECT_EQ(m.pending_reshard.kind, metadata::ReshardKind::kUniformScaling);
  EXPECT_EQ(m.pending_reshard.target_shard_count, 3u);
  EXPECT_LT(PutOne("b", "2").shard.value, 2u);
  Settle();
  m = Meta();
  EXPECT_EQ(m.status, StreamStatus::kActive);
  EXPECT_EQ(OpenRanges(m), model::EvenHashKeyRanges(3));
}

TEST_F(ReshardTest, AReshardDueAtRecoveryIsCompletedByStart) {
  Open();
  CreateActive(1);
  PutOne("a", "1");
  PutOne("a", "2");
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  Close();
  clock_.AdvanceMs(kStateDelayMs);  // the delay ran out while the server was down
  Open();                           // Start runs maintenance once before serving
  StreamMeta m = Meta();
  EXPECT_EQ(m.status, StreamStatus::kActive);
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_EQ(m.shards[0].end_offset, std::optional<model::LogOffset>(2));
  EXPECT_NE(PutOne("a", "3").shard.value, 0u);
  // And the completed map is what the catalog holds.
  Close();
  Open();
  EXPECT_EQ(Meta().shards.size(), 3u);
  EXPECT_FALSE(Meta().pending_reshard.pending());
}

TEST_F(ReshardTest, DeletingAStreamWithAPendingReshardDropsIt) {
  Open();
  CreateActive(1);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  Settle();
  EXPECT_EQ(registry_->WithStream(ref_, [](const Stream&) { return Status::Ok(); }).code(), ErrorCode::kNotFound);
}

TEST_F(ReshardTest, RecordsAfterASplitGoToTheChildrenOnly) {
  Open();
  CreateActive(1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(PutOne("k" + std::to_string(i), "x").shard.value, 0u);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", util::ToDecimal(util::kMaxHashKey / 2)).ok());
  Settle();
  for (int i = 0; i < 20; ++i) EXPECT_NE(PutOne("k" + std::to_string(i), "y").shard.value, 0u);
  EXPECT_EQ(Meta().shards[0].end_offset, std::optional<model::LogOffset>(20));
}

TEST_F(ReshardTest, ReadingAClosedShardToItsEndReturnsItsChildren) {
  Open();
  CreateActive(1);
  PutOne("a", "1");
  PutOne("b", "2");
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "12345").ok());
  Settle();
  auto r = registry_->GetRecords(Iterator(0, 0), 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 1u);
  ASSERT_TRUE(r->next_iterator.has_value());  // not at the end yet
  r = registry_->GetRecords(*r->next_iterator, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 1u);
  EXPECT_FALSE(r->next_iterator.has_value());
  ASSERT_EQ(r->children.size(), 2u);
  EXPECT_EQ(r->children[0].index.value, 1u);
  EXPECT_EQ(r->children[1].index.value, 2u);
}

TEST_F(ReshardTest, AnEmptyClosedShardEndsAtOnce) {
  Open();
  CreateActive(2);
  ASSERT_TRUE(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000001").ok());
  Settle();
  auto r = registry_->GetRecords(Iterator(1, 0), 10);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->next_iterator.has_value());
  ASSERT_EQ(r->children.size(), 1u);
  EXPECT_EQ(r->children[0].parent, std::optional<model::ShardIndex>(model::ShardIndex{0}));
  EXPECT_EQ(r->children[0].adjacent_parent, std::optional<model::ShardIndex>(model::ShardIndex{1}));
  EXPECT_EQ(r->children[0].range, (model::HashKeyRange{0, util::kMaxHashKey}));
}

TEST_F(ReshardTest, MergeRejectsInvertedAndNonAdjacentPairs) {
  Open();
  CreateActive(3);
  Status st = registry_->MergeShards(ref_, "shardId-000000000001", "shardId-000000000000");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "Shards shardId-000000000001 and shardId-000000000000 in stream orders under account 000000000000 are "
            "not an adjacent pair of shards eligible for merging");
  EXPECT_EQ(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000002").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000000").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000009").code(), ErrorCode::kNotFound);
  EXPECT_EQ(Meta().status, StreamStatus::kActive);
}

TEST_F(ReshardTest, AClosedShardCannotBeSplitOrMergedAgain) {
  Open();
  CreateActive(2);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  Settle();
  Status st = registry_->SplitShard(ref_, "shardId-000000000000", "2000");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "Shard shardId-000000000000 in stream orders under account 000000000000 has already been merged or split, "
            "and thus is not eligible for merging or splitting.");
  EXPECT_EQ(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000001").code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(ReshardTest, SplitKeyMustFallStrictlyInsideTheShard) {
  Open();
  CreateActive(1);
  Status st = registry_->SplitShard(ref_, "shardId-000000000000", "1");
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream orders under account "
            "000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's "
            "EndingHashKey 340282366920938463463374607431768211455.");
  EXPECT_EQ(registry_->SplitShard(ref_, "shardId-000000000000", util::ToDecimal(util::kMaxHashKey)).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->SplitShard(ref_, "shardId-000000000000", "340282366920938463463374607431768211456").code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "2").ok());
}

TEST_F(ReshardTest, ReshardingWhileUpdatingIsResourceInUse) {
  Open();
  CreateActive(2);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  Status st = registry_->SplitShard(ref_, "shardId-000000000001", "3000000");
  EXPECT_EQ(st.code(), ErrorCode::kResourceInUse);
  EXPECT_EQ(st.message(), "Stream orders under account 000000000000 not ACTIVE, instead in state UPDATING");
  // Reads and writes go on while UPDATING.
  EXPECT_TRUE(PutOne("k", "v").status.ok());
}

TEST_F(ReshardTest, SplitRespectsTheShardLimit) {
  RegistryOptions ro;
  ro.shard_limit = 2;
  Open(ro);
  CreateActive(2);
  Status st = registry_->SplitShard(ref_, "shardId-000000000000", "1000");
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(st.message().find("Number of additional shards that would have resulted from this request: 1"),
            std::string::npos);
}

TEST_F(ReshardTest, APendingSplitCountsAgainstTheShardLimit) {
  RegistryOptions ro;
  ro.shard_limit = 3;
  Open(ro);
  CreateActive(2);
  ASSERT_TRUE(registry_->SplitShard(ref_, "shardId-000000000000", "1000").ok());
  EXPECT_EQ(registry_->OpenShardCount(Caller{ref_.account, ref_.region}), 3u);  // while UPDATING
  StreamRef other{ref_.account, ref_.region, "other"};
  Status st = registry_->CreateStream(other, 1, StreamMode::kProvisioned, {});
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded) << st.ToString();
  Settle();
  EXPECT_EQ(registry_->OpenShardCount(Caller{ref_.account, ref_.region}), 3u);
}

TEST_F(ReshardTest, OnDemandStreamsRefuseManualResharding) {
  Open();
  CreateActive(4, StreamMode::kOnDemand);
  std::string msg = "Request is invalid. Stream orders under account 000000000000 is in On-Demand mode.";
  Status st = registry_->SplitShard(ref_, "shardId-000000000000", "1000");
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_EQ(st.message(), msg);
  EXPECT_EQ(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000001").message(), msg);
  EXPECT_EQ(registry_->UpdateShardCount(ref_, 5).status().message(), msg);
}

TEST_F(ReshardTest, UpdateShardCountEndsWithUniformRanges) {
  struct Case {
    uint32_t from, to, total;
  };
  // Totals as AWS reports them where known (moto's AWS-derived table: 2->4
  // gives 6, 4->5 gives 15, 4->2 gives 6).
  for (Case c :
       {Case{2, 4, 6}, Case{4, 5, 15}, Case{4, 2, 6}, Case{3, 5, 0}, Case{5, 3, 0}, Case{7, 7, 7}, Case{1, 2, 3}}) {
    SCOPED_TRACE(std::to_string(c.from) + " -> " + std::to_string(c.to));
    Close();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
    CreateActive(c.from);
    auto before = registry_->UpdateShardCount(ref_, c.to);
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    EXPECT_EQ(*before, c.from);
    EXPECT_EQ(Meta().status, StreamStatus::kUpdating);
    EXPECT_EQ(Meta().shards.size(), c.from);
    Settle();
    StreamMeta m = Meta();
    EXPECT_EQ(OpenRanges(m), model::EvenHashKeyRanges(c.to));
    if (c.total != 0) {
      EXPECT_EQ(m.shards.size(), c.total);
    }
    // Lineage: every new shard names its parents, which are closed and
    // together cover exactly its range.
    for (const ShardMeta& s : m.shards) {
      if (s.index.value < c.from) continue;
      ASSERT_TRUE(s.parent.has_value());
      const ShardMeta& p = m.shards[s.parent->value];
      EXPECT_TRUE(p.closed());
      if (s.adjacent_parent) {
        const ShardMeta& a = m.shards[s.adjacent_parent->value];
        EXPECT_TRUE(a.closed());
        EXPECT_EQ(p.range.end + 1, a.range.start);
        EXPECT_EQ(s.range, (model::HashKeyRange{p.range.start, a.range.end}));
      } else {
        EXPECT_TRUE(p.range.start <= s.range.start && s.range.end <= p.range.end);
      }
    }
    EXPECT_EQ(m.status, StreamStatus::kActive);
  }
}

TEST_F(ReshardTest, UpdateShardCountLimits) {
  Open();
  CreateActive(2);
  Status st = registry_->UpdateShardCount(ref_, 5).status();
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(st.message(),
            "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 2 "
            "Target shard count: 5");
  Close();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  Open();
  CreateActive(5);
  st = registry_->UpdateShardCount(ref_, 2).status();
  EXPECT_EQ(st.message(),
            "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 5 "
            "Target shard count: 2");
  st = registry_->UpdateShardCount(ref_, 51).status();
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
}

TEST_F(ReshardTest, LineageSurvivesARestart) {
  Open();
  CreateActive(2);
  PutOne("a", "1");
  ASSERT_TRUE(registry_->MergeShards(ref_, "shardId-000000000000", "shardId-000000000001").ok());
  Settle();
  StreamMeta before = Meta();
  Close();
  Open();
  StreamMeta after = Meta();
  ASSERT_EQ(after.shards.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(after.shards[i].end_offset, before.shards[i].end_offset);
    EXPECT_EQ(after.shards[i].parent, before.shards[i].parent);
    EXPECT_EQ(after.shards[i].adjacent_parent, before.shards[i].adjacent_parent);
  }
  EXPECT_EQ(PutOne("a", "2").shard.value, 2u);
}

TEST_F(ReshardTest, UpdateStreamModeSwitchesAndCountsOnDemandStreams) {
  RegistryOptions ro;
  ro.on_demand_stream_limit = 1;
  Open(ro);
  CreateActive(2);
  ASSERT_TRUE(registry_->UpdateStreamMode(ref_, StreamMode::kOnDemand).ok());
  EXPECT_EQ(Meta().status, StreamStatus::kUpdating);
  EXPECT_EQ(Meta().mode, StreamMode::kOnDemand);
  EXPECT_EQ(registry_->OnDemandStreamCount(Caller{}), 1u);
  Settle();
  StreamRef other{"000000000000", "us-east-1", "other"};
  ASSERT_TRUE(registry_->CreateStream(other, 1, StreamMode::kProvisioned, {}).ok());
  Settle();
  EXPECT_EQ(registry_->UpdateStreamMode(other, StreamMode::kOnDemand).code(), ErrorCode::kLimitExceeded);
}

TEST_F(ReshardTest, PutRecordsOverTheShardQuotaFailRecordByRecord) {
  Open();
  CreateActive(1);
  std::vector<PutEntry> entries;
  for (int i = 0; i < 500; ++i) entries.push_back({"k" + std::to_string(i), "v", std::nullopt});
  ASSERT_TRUE(TryPut(entries).ok());
  ASSERT_TRUE(TryPut(entries).ok());
  auto r = TryPut(entries);  // 1,500 records within one second
  ASSERT_TRUE(r.ok());
  int failed = 0;
  for (const PutOutcome& o : *r) {
    if (o.status.ok()) continue;
    ++failed;
    EXPECT_EQ(o.status.code(), ErrorCode::kThroughputExceeded);
    EXPECT_EQ(o.status.message(),
              "Rate exceeded for shard shardId-000000000000 in stream orders under account 000000000000.");
  }
  EXPECT_EQ(failed, 500);
  clock_.AdvanceMs(1000);
  r = TryPut(entries);
  ASSERT_TRUE(r.ok());
  for (const PutOutcome& o : *r) EXPECT_TRUE(o.status.ok());
}

TEST_F(ReshardTest, GetRecordsOverFivePerSecondIsThrottled) {
  Open();
  CreateActive(1);
  std::string it = Iterator(0, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(registry_->GetRecords(it, 10).ok());
  auto r = registry_->GetRecords(it, 10);
  EXPECT_EQ(r.status().code(), ErrorCode::kThroughputExceeded);
  EXPECT_EQ(r.status().message(),
            "Rate exceeded for shard shardId-000000000000 in stream orders under account 000000000000.");
  clock_.AdvanceMs(200);
  EXPECT_TRUE(registry_->GetRecords(it, 10).ok());
}

TEST_F(ReshardTest, InjectedFaultsFailPutRecordsEntriesDeterministically) {
  RegistryOptions ro;
  ro.faults.push_back(*ParseFaultRule("operation=PutRecords,error=InternalFailure,count=2"));
  Open(ro);
  CreateActive(1);
  auto r = TryPut({{"a", "1", std::nullopt}, {"b", "2", std::nullopt}, {"c", "3", std::nullopt}},
                  InjectedFaults("PutRecords"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].status.code(), ErrorCode::kInternal);
  EXPECT_EQ((*r)[1].status.code(), ErrorCode::kInternal);
  EXPECT_TRUE((*r)[2].status.ok());
  EXPECT_EQ((*r)[2].sequence.AtOffset(), model::LogOffset(0));  // failed entries were not written
}

TEST_F(ReshardTest, AHotOnDemandShardIsSplit) {
  RegistryOptions ro;
  ro.on_demand_scale_after_ms = 3000;
  ro.throughput.enabled = false;
  Open(ro);
  CreateActive(4, StreamMode::kOnDemand);
  std::vector<PutEntry> hot;
  for (int i = 0; i < 600; ++i) hot.push_back({"same-key", "v", std::nullopt});
  uint32_t hot_shard = PutOne("same-key", "v").shard.value;
  for (int second = 0; second < 4; ++second) {
    ASSERT_TRUE(TryPut(hot).ok());
    ASSERT_TRUE(TryPut(hot).ok());
    clock_.AdvanceMs(1000);
    registry_->RunMaintenance();
  }
  StreamMeta m = Meta();
  ASSERT_EQ(m.shards.size(), 6u);
  EXPECT_TRUE(m.shards[hot_shard].closed());
  EXPECT_EQ(m.shards[4].parent, std::optional<model::ShardIndex>(model::ShardIndex{hot_shard}));
  EXPECT_EQ(m.status, StreamStatus::kActive);
  EXPECT_NE(PutOne("same-key", "v").shard.value, hot_shard);
}

TEST_F(ReshardTest, ACalmOnDemandStreamKeepsItsShards) {
  RegistryOptions ro;
  ro.on_demand_scale_after_ms = 3000;
  Open(ro);
  CreateActive(4, StreamMode::kOnDemand);
  for (int second = 0; second < 5; ++second) {
    PutOne("k", "v");
    clock_.AdvanceMs(1000);
    registry_->RunMaintenance();
  }
  EXPECT_EQ(Meta().shards.size(), 4u);
}

}  // namespace
}  // namespace spate::streams
