// The replication side of the shard log: fencing epochs stamped into
// batches, follower appends of a leader's batches, truncation.

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "storage/format.h"
#include "storage/tests/test_util.h"

namespace spate::storage::testing {
namespace {

std::vector<RecordInput> Inputs(const std::vector<Rec>& recs) {
  std::vector<RecordInput> in;
  for (const Rec& r : recs) in.push_back(RecordInput{r.key, r.data});
  return in;
}

std::vector<Rec> Recs(int n, const std::string& tag) {
  std::vector<Rec> out;
  for (int i = 0; i < n; ++i) out.push_back(Rec{"pk-" + tag, tag + "-" + std::to_string(i) + std::string(40, '.')});
  return out;
}

Result<AppendResult> AppendUnder(ShardLog& log, const std::vector<Rec>& recs, int64_t ms, int64_t epoch) {
  std::promise<Result<AppendResult>> p;
  auto f = p.get_future();
  AppendOptions o;
  o.epoch = epoch;
  auto in = Inputs(recs);
  log.Append(in, ms, o, [&p](Result<AppendResult> r) { p.set_value(std::move(r)); });
  return f.get();
}

Result<AppendResult> Replicate(ShardLog& log, std::string_view batch, int64_t leader_epoch) {
  std::promise<Result<AppendResult>> p;
  auto f = p.get_future();
  log.AppendReplicated(batch, leader_epoch, [&p](Result<AppendResult> r) { p.set_value(std::move(r)); });
  return f.get();
}

std::vector<std::string> AllBatches(const ShardLog& log) {
  auto r = log.ReadBatches(log.StartOffset(), SIZE_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<std::string>{};
}

class ReplicaTest : public StoreFixture {
 protected:
  std::shared_ptr<ShardLog> Leader() { return Shard(0, "leader"); }
  std::shared_ptr<ShardLog> Follower() { return Shard(0, "follower"); }
  // Appends `n` batches of 3 records under `epoch` to the leader.
  void Fill(ShardLog& leader, int n, int64_t epoch, int64_t ms = 1000) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(AppendUnder(leader, Recs(3, std::to_string(epoch) + "." + std::to_string(i)), ms + i, epoch).ok());
    }
  }
};

TEST_F(ReplicaTest, EpochZeroWritesVersionOneBatches) {
  auto log = Leader();
  ASSERT_TRUE(AppendUnder(*log, Recs(2, "a"), 1, 0).ok());
  auto batches = AllBatches(*log);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(batches[0][format::kVersionPos]), format::kBatchVersion);
  EXPECT_EQ(batches[0].size(), format::EncodedBatchSize(Inputs(Recs(2, "a"))));
  EXPECT_EQ(log->Epoch(), 0);
}

TEST_F(ReplicaTest, EpochIsStampedReadAndRecovered) {
  auto log = Leader();
  const int64_t epoch = (int64_t{1} << 40) + 5;  // needs more than the old u32
  ASSERT_TRUE(AppendUnder(*log, Recs(2, "a"), 1, 0).ok());
  ASSERT_TRUE(AppendUnder(*log, Recs(2, "b"), 2, epoch).ok());
  auto batches = AllBatches(*log);
  ASSERT_EQ(batches.size(), 2u);
  format::BatchHeader h;
  ASSERT_EQ(format::ParseHeader(batches[1].data(), &h), format::HeaderCheck::kOk);
  EXPECT_EQ(h.version, format::kBatchVersionEpoch);
  EXPECT_EQ(h.header_length, format::kBatchHeaderSizeEpoch);
  EXPECT_EQ(format::BatchEpoch(batches[1].data(), h), epoch);
  EXPECT_EQ(log->Epoch(), epoch);
  ASSERT_TRUE(log->BatchAt(Offset(1)).ok()) << log->BatchAt(Offset(1)).status().ToString();
  ASSERT_TRUE(log->BatchAt(Offset(3)).ok()) << log->BatchAt(Offset(3)).status().ToString();
  EXPECT_EQ(log->BatchAt(Offset(1))->epoch, 0);
  EXPECT_EQ(log->BatchAt(Offset(1))->base_offset, Offset(0));
  EXPECT_EQ(log->BatchAt(Offset(1))->end_offset, Offset(2));
  EXPECT_EQ(log->BatchAt(Offset(2))->epoch, epoch);
  EXPECT_EQ(log->BatchAt(Offset(3))->base_offset, Offset(2));
  EXPECT_EQ(log->BatchAt(Offset(4)).status().code(), ErrorCode::kNotFound);
  log.reset();
  Reopen();
  log = Leader();
  EXPECT_EQ(log->Epoch(), epoch);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[3].data, Recs(2, "b")[1].data);
}

TEST_F(ReplicaTest, LowerEpochAppendIsRefused) {
  auto log = Leader();
  ASSERT_TRUE(AppendUnder(*log, Recs(1, "a"), 1, 7).ok());
  EXPECT_EQ(AppendUnder(*log, Recs(1, "b"), 2, 6).status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(AppendUnder(*log, Recs(1, "c"), 3, 8).ok());
  EXPECT_EQ(AppendUnder(*log, Recs(1, "d"), 4, 7).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(log->EndOffset(), Offset(2));
}

TEST_F(ReplicaTest, FollowerAppendsTheLeadersBatchesVerbatim) {
  auto leader = Leader();
  Fill(*leader, 30, 3);  // rolls several 2 KiB segments
  auto follower = Follower();
  for (const std::string& b : AllBatches(*leader)) {
    auto r = Replicate(*follower, b, 3);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(follower->EndOffset(), leader->EndOffset());
  EXPECT_EQ(AllBatches(*follower), AllBatches(*leader));
  EXPECT_EQ(follower->Epoch(), 3);
  auto a = ReadAll(*leader), b = ReadAll(*follower);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].offset, (*b)[i].offset);
    EXPECT_EQ((*a)[i].arrival_ms, (*b)[i].arrival_ms);
    EXPECT_EQ((*a)[i].data, (*b)[i].data);
  }
  follower.reset();
  Reopen();
  follower = Follower();
  leader = Leader();
  EXPECT_EQ(AllBatches(*follower), AllBatches(*leader));
}

TEST_F(ReplicaTest, FollowerRefusesABatchThatDoesNotContinueItsLog) {
  auto leader = Leader();
  Fill(*leader, 3, 2);
  auto batches = AllBatches(*leader);
  auto follower = Follower();
  EXPECT_EQ(Replicate(*follower, batches[1], 2).status().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(Replicate(*follower, batches[0], 2).ok());
  EXPECT_EQ(Replicate(*follower, batches[0], 2).status().code(), ErrorCode::kInvalidArgument);  // a duplicate
  EXPECT_EQ(follower->EndOffset(), Offset(3));
}

TEST_F(ReplicaTest, FollowerRefusesALowerLeaderEpochAcrossRestarts) {
  auto leader = Leader();
  Fill(*leader, 3, 4);
  auto batches = AllBatches(*leader);
  auto follower = Follower();
  ASSERT_TRUE(Replicate(*follower, batches[0], 5).ok());  // a later leader catching up an old batch
  EXPECT_EQ(follower->Epoch(), 5);
  EXPECT_EQ(Replicate(*follower, batches[1], 4).status().code(), ErrorCode::kConcurrentModification);
  follower.reset();
  leader.reset();
  Reopen();
  follower = Follower();
  EXPECT_EQ(follower->Epoch(), 5);  // from the epoch file: the batch itself says 4
  EXPECT_EQ(Replicate(*follower, batches[1], 4).status().code(), ErrorCode::kConcurrentModification);
  EXPECT_TRUE(Replicate(*follower, batches[1], 5).ok());
}

TEST_F(ReplicaTest, FollowerRefusesDamagedOrOverstampedBatches) {
  auto leader = Leader();
  Fill(*leader, 1, 6);
  std::string b = AllBatches(*leader)[0];
  auto follower = Follower();
  std::string damaged = b;
  damaged[damaged.size() - 1] ^= 1;
  EXPECT_EQ(Replicate(*follower, damaged, 6).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(Replicate(*follower, b.substr(0, b.size() - 1), 6).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(Replicate(*follower, b, 5).status().code(), ErrorCode::kCorruption);  // stamped above its sender
  EXPECT_EQ(follower->EndOffset(), Offset(0));
}

TEST_F(ReplicaTest, TruncateCutsBackToABatchBoundaryAndAppendsContinue) {
  auto log = Leader();
  Fill(*log, 30, 2);
  auto before = AllBatches(*log);
  ASSERT_GT(FilesWithSuffix(ShardDir(0, "leader"), ".log").size(), 2u);
  EXPECT_EQ(log->TruncateTo(Offset(31), 3).code(), ErrorCode::kInvalidArgument);  // inside a batch
  EXPECT_EQ(log->TruncateTo(Offset(91), 3).code(), ErrorCode::kInvalidArgument);  // past the end
  ASSERT_TRUE(log->TruncateTo(Offset(30), 3).ok());
  EXPECT_EQ(log->EndOffset(), Offset(30));
  EXPECT_EQ(log->AssignedEndOffset(), Offset(30));
  EXPECT_EQ(log->Epoch(), 3);
  auto after = AllBatches(*log);
  ASSERT_EQ(after.size(), 10u);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], before[i]);
  EXPECT_EQ(AppendUnder(*log, Recs(1, "old"), 5000, 2).status().code(), ErrorCode::kUnavailable);
  auto r = AppendUnder(*log, Recs(3, "new"), 5000, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, Offset(30));
  log.reset();
  Reopen();  // the journal replays nothing of the cut batches
  log = Leader();
  EXPECT_EQ(log->EndOffset(), Offset(33));
  EXPECT_EQ(log->Epoch(), 3);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 33u);
  EXPECT_EQ((*all)[30].data, Recs(3, "new")[0].data);
}

TEST_F(ReplicaTest, TruncateToTheStartEmptiesTheLog) {
  auto log = Leader();
  Fill(*log, 10, 1);
  ASSERT_TRUE(log->TruncateTo(Offset(0), 2).ok());
  EXPECT_EQ(log->EndOffset(), Offset(0));
  EXPECT_TRUE(AllBatches(*log).empty());
  log.reset();
  Reopen();
  log = Leader();
  EXPECT_EQ(log->EndOffset(), Offset(0));
  EXPECT_EQ(log->Epoch(), 2);
}

TEST_F(ReplicaTest, TruncateWithALowerEpochIsRefused) {
  auto log = Leader();
  Fill(*log, 3, 5);
  EXPECT_EQ(log->TruncateTo(Offset(3), 4).code(), ErrorCode::kConcurrentModification);
  EXPECT_EQ(log->EndOffset(), Offset(9));
}

TEST_F(ReplicaTest, ReadBatchesStartsOnlyAtABoundary) {
  auto log = Leader();
  Fill(*log, 5, 1);
  EXPECT_EQ(log->ReadBatches(Offset(1), SIZE_MAX).status().code(), ErrorCode::kInvalidArgument);
  auto r = log->ReadBatches(Offset(3), 1);  // at least one
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  format::BatchHeader h;
  ASSERT_EQ(format::ParseHeader((*r)[0].data(), &h), format::HeaderCheck::kOk);
  EXPECT_EQ(h.base_offset, Offset(3));
  EXPECT_TRUE(log->ReadBatches(Offset(15), SIZE_MAX)->empty());
}

}  // namespace
}  // namespace spate::storage::testing
