// Edge cases of the shard log, one per test (leveldb db/log_test.cc style).

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "storage/format.h"
#include "storage/tests/test_util.h"
#include "util/crc32c.h"

namespace spate::storage::testing {
namespace {

using Fault = FaultInjectionFileSystem::Fault;
using Op = FaultInjectionFileSystem::Op;
using CrashMode = FaultInjectionFileSystem::CrashMode;

std::vector<Rec> Batch(int n, const std::string& tag, size_t data_bytes = 20) {
  std::vector<Rec> out;
  for (int i = 0; i < n; ++i) {
    std::string d = tag + "-" + std::to_string(i);
    d.resize(std::max(d.size(), data_bytes), '.');
    out.push_back(Rec{"pk-" + tag, d});
  }
  return out;
}

size_t BatchBytes(const std::vector<Rec>& recs) {
  std::vector<RecordInput> in;
  for (const Rec& r : recs) in.push_back(RecordInput{r.key, r.data});
  return format::EncodedBatchSize(in);
}

std::string ReadFile(const std::string& path) { return *util::ReadFileToString(util::PosixFileSystem(), path); }
void WriteAt(const std::string& path, uint64_t pos, std::string_view bytes) {
  auto f = util::PosixFileSystem()->OpenFile(path, util::OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->WriteAt(pos, bytes).ok());
}

class ShardLogTest : public StoreFixture {};

TEST_F(ShardLogTest, AppendThenRead) {
  auto log = Shard();
  EXPECT_EQ(log->StartOffset(), Offset(0));
  EXPECT_EQ(log->EndOffset(), Offset(0));
  EXPECT_EQ(log->LastArrivalMs(), -1);
  auto r1 = AppendSync(*log, Batch(3, "a"), 1000);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->base_offset, Offset(0));
  EXPECT_EQ(r1->count, 3u);
  auto r2 = AppendSync(*log, Batch(2, "b"), 1001);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->base_offset, Offset(3));
  EXPECT_EQ(log->EndOffset(), Offset(5));
  EXPECT_EQ(log->LastArrivalMs(), 1001);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].data.substr(0, 3), "a-0");
  EXPECT_EQ((*all)[0].partition_key, "pk-a");
  EXPECT_EQ((*all)[0].arrival_ms, 1000);
  EXPECT_EQ((*all)[4].offset, Offset(4));
  EXPECT_EQ((*all)[4].arrival_ms, 1001);
}

TEST_F(ShardLogTest, EmptyAppendIsRejected) {
  auto log = Shard();
  auto r = AppendSync(*log, {}, 1);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ShardLogTest, ReopenRecoversAcknowledged) {
  auto log = Shard();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(AppendSync(*log, Batch(3, std::to_string(i)), 1000 + i).ok());
  auto before = ReadAll(*log);
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(150));
  EXPECT_EQ(log->LastArrivalMs(), 1049);
  auto after = ReadAll(*log);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*after)[i].data, (*before)[i].data);
  EXPECT_GT(FilesWithSuffix(ShardDir(), ".log").size(), 1u);  // rolled at 2 KiB
  auto r = AppendSync(*log, Batch(1, "after"), 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset, Offset(150));
}

TEST_F(ShardLogTest, TornTailIsTruncated) {
  auto log = Shard();
  size_t end = 0;
  for (int i = 0; i < 3; ++i) {
    auto b = Batch(2, std::to_string(i));
    end += BatchBytes(b);
    ASSERT_TRUE(AppendSync(*log, b, 100).ok());
  }
  log.reset();
  store_.reset();
  // A fourth batch that only partly reached the disk.
  std::vector<RecordInput> in = {{"k", "a torn record that never got acknowledged"}};
  std::string torn(format::EncodedBatchSize(in), '\0');
  format::EncodeBatchBody(in, 100, torn.data());
  format::SealBatch(torn.data(), torn.size(), Offset(6), Offset(6));
  auto segs = FilesWithSuffix(ShardDir(), ".log");
  ASSERT_EQ(segs.size(), 1u);
  WriteAt(segs[0], end, std::string_view(torn).substr(0, torn.size() - 5));
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(6));
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 6u);
  // The torn bytes are gone: a new, shorter batch lands there and survives a reopen.
  ASSERT_TRUE(AppendSync(*log, {{"k", "x"}}, 101).ok());
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(7));
  ASSERT_EQ(ReadAll(*log)->back().data, "x");
}

TEST_F(ShardLogTest, GarbageTailIsTruncated) {
  auto log = Shard();
  auto b = Batch(2, "a");
  ASSERT_TRUE(AppendSync(*log, b, 100).ok());
  log.reset();
  store_.reset();
  WriteAt(FilesWithSuffix(ShardDir(), ".log")[0], BatchBytes(b), "random garbage, not a batch at all");
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(2));
  EXPECT_TRUE(ReadAll(*log).ok());
}

TEST_F(ShardLogTest, BadCrcMidFileWithoutCheckpointIsCorruptionAtOpen) {
  auto log = Shard();
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    auto b = Batch(2, std::to_string(i));
    sizes.push_back(BatchBytes(b));
    ASSERT_TRUE(AppendSync(*log, b, 100).ok());
  }
  auto other = Shard(1);
  ASSERT_TRUE(AppendSync(*other, Batch(1, "other"), 100).ok());
  log.reset();
  other.reset();
  store_.reset();
  ASSERT_TRUE(util::PosixFileSystem()->Unlink(ShardDir() + "/checkpoint").ok());  // as after a crash
  std::string seg = FilesWithSuffix(ShardDir(), ".log")[0];
  // Flip one data byte of the middle batch.
  uint64_t pos = sizes[0] + format::kBatchHeaderSize + 3;
  std::string byte = ReadFile(seg).substr(pos, 1);
  byte[0] ^= 0x10;
  WriteAt(seg, pos, byte);
  Reopen();
  log = Shard();
  auto r = log->Read(Offset(0), ReadLimits{});
  ASSERT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("crc32c mismatch"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("followed by a valid batch"), std::string::npos) << r.status().message();
  EXPECT_EQ(AppendSync(*log, Batch(1, "x"), 100).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(log->DropBefore(1 << 30).code(), ErrorCode::kCorruption);
  EXPECT_EQ(log->OffsetForTime(0).status().code(), ErrorCode::kCorruption);
  // The rest of the store keeps working.
  other = Shard(1);
  ASSERT_TRUE(AppendSync(*other, Batch(1, "more"), 100).ok());
  EXPECT_EQ(ReadAll(*other)->size(), 2u);
}

TEST_F(ShardLogTest, BadCrcMidFileUnderCheckpointFailsTheShardAtFirstRead) {
  auto log = Shard();
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    auto b = Batch(2, std::to_string(i));
    sizes.push_back(BatchBytes(b));
    ASSERT_TRUE(AppendSync(*log, b, 100).ok());
  }
  log.reset();
  store_.reset();  // clean close: the checkpoint covers all three batches
  std::string seg = FilesWithSuffix(ShardDir(), ".log")[0];
  uint64_t pos = sizes[0] + format::kBatchHeaderSize + 3;
  std::string byte = ReadFile(seg).substr(pos, 1);
  byte[0] ^= 0x10;
  WriteAt(seg, pos, byte);
  Reopen();
  log = Shard();  // recovery does not scan the checkpointed prefix
  EXPECT_EQ(log->EndOffset(), Offset(6));
  auto first = log->Read(Offset(0), ReadLimits{1, 1 << 20});  // before the damage
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto r = log->Read(Offset(0), ReadLimits{});
  ASSERT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("crc32c mismatch"), std::string::npos) << r.status().message();
  // From then on the shard is failed, as if found at open.
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{1, 1 << 20}).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(AppendSync(*log, Batch(1, "x"), 100).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(log->DropBefore(1 << 30).code(), ErrorCode::kCorruption);
}

TEST_F(ShardLogTest, CheckpointIsWrittenOnCleanClose) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(3, "a"), 100).ok());
  EXPECT_FALSE(util::PosixFileSystem()->Exists(ShardDir() + "/checkpoint"));  // far below the interval
  log.reset();
  store_.reset();
  EXPECT_TRUE(util::PosixFileSystem()->Exists(ShardDir() + "/checkpoint"));
  EXPECT_FALSE(util::PosixFileSystem()->Exists(ShardDir() + "/checkpoint.tmp"));
}

uint64_t AllocatedBytes(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

TEST_F(ShardLogTest, AnIdleShardReservesKilobytesAndACleanCloseGivesTheTailBack) {
  options_.segment_bytes = 128u << 20;
  options_.preallocate_bytes = 8u << 20;
  Reopen();
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(3, "a"), 100).ok());
  auto segments = FilesWithSuffix(ShardDir(), ".log");
  ASSERT_EQ(segments.size(), 1u);
  std::string path = segments[0];
  // A few records: the first 64 KiB step, not the 8 MiB one.
  EXPECT_LE(AllocatedBytes(path), 64u << 10);
  // Growing shards reserve in doubling steps, up to preallocate_bytes.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendSync(*log, Batch(10, std::to_string(i), 1000), 200 + i).ok());
  EXPECT_LE(AllocatedBytes(path), 1u << 20);
  log.reset();
  store_.reset();
  // Closed: the file holds its records and no reserved tail.
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LE(AllocatedBytes(path), static_cast<uint64_t>(st.st_size) + 4096);
  Reopen();
  log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(1, "after"), 300).ok());
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u + 400u + 1u);
}

TEST_F(ShardLogTest, RecoveryScansTheTailAfterTheCheckpoint) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(2, "before"), 100).ok());
  log.reset();
  Reopen();  // checkpoint at 2 records
  log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(2, "after"), 100).ok());
  log.reset();
  fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced);  // no final checkpoint
  store_.reset();                                                          // the dead process does nothing more
  fs_->SetActive(true);
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(4));
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[3].data, Batch(2, "after")[1].data);
  // And the tail keeps its torn-write rule: a torn batch after the checkpoint is truncated.
  ASSERT_TRUE(AppendSync(*log, Batch(1, "x"), 100).ok());
}

TEST_F(ShardLogTest, InvalidCheckpointIsIgnoredAndRewritten) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(3, "a"), 100).ok());
  log.reset();
  store_.reset();
  std::string cp = ShardDir() + "/checkpoint";
  std::string bytes = ReadFile(cp);
  std::string good = bytes;
  bytes[20] ^= 0x01;
  WriteAt(cp, 0, bytes);
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(3));
  EXPECT_EQ(ReadAll(*log)->size(), 3u);
  log.reset();
  store_.reset();
  EXPECT_EQ(ReadFile(cp), good);  // rebuilt from the log
  // A truncated (empty) checkpoint is just as harmless.
  ASSERT_TRUE(util::PosixFileSystem()->OpenFile(cp, util::OpenMode::kCreate).ok());
  Reopen();
  EXPECT_EQ(Shard()->EndOffset(), Offset(3));
}

TEST_F(ShardLogTest, SegmentShorterThanItsCheckpointIsCorruption) {
  auto log = Shard();
  auto first = Batch(2, "a");
  ASSERT_TRUE(AppendSync(*log, first, 100).ok());
  ASSERT_TRUE(AppendSync(*log, Batch(2, "b"), 100).ok());
  log.reset();
  store_.reset();
  // Cut at a batch boundary: without the checkpoint this would pass for a torn tail.
  auto f = util::PosixFileSystem()->OpenFile(FilesWithSuffix(ShardDir(), ".log")[0], util::OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Truncate(BatchBytes(first)).ok());
  Reopen();
  log = Shard();
  auto r = log->Read(Offset(0), ReadLimits{});
  ASSERT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
}

TEST_F(ShardLogTest, CheckpointNamingADamagedBatchIsCorruption) {
  auto log = Shard();
  auto first = Batch(2, "a");
  ASSERT_TRUE(AppendSync(*log, first, 100).ok());
  ASSERT_TRUE(AppendSync(*log, Batch(2, "b"), 100).ok());
  log.reset();
  store_.reset();
  // Zero the last batch's header: without the checkpoint this would look like the clean end.
  WriteAt(FilesWithSuffix(ShardDir(), ".log")[0], BatchBytes(first), std::string(format::kBatchHeaderSize, '\0'));
  Reopen();
  log = Shard();
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{}).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(AppendSync(*log, Batch(1, "x"), 100).status().code(), ErrorCode::kCorruption);
}

TEST_F(ShardLogTest, CheckpointOfARolledSegmentIsIgnored) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(2, "a"), 100).ok());
  log.reset();
  Reopen();  // checkpoint names segment 0
  log = Shard();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "r" + std::to_string(i)), 100).ok());
  ASSERT_GE(FilesWithSuffix(ShardDir(), ".log").size(), 2u);
  Offset end = log->EndOffset();
  log.reset();
  fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced);
  store_.reset();  // the dead process does nothing more
  fs_->SetActive(true);
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), end);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), end.value());
}

TEST_F(ShardLogTest, CheckpointIsWrittenInTheBackgroundEveryInterval) {
  options_.segment_bytes = 1 << 20;
  options_.checkpoint_interval_bytes = 1;  // after every round
  Reopen();
  auto log = Shard();
  std::string cp = ShardDir() + "/checkpoint";
  ASSERT_TRUE(AppendSync(*log, Batch(2, "a"), 100).ok());  // the round schedules one: it is due
  // The checkpointer runs on its own thread, while the log stays open.
  store_->WaitForBackgroundJobs();
  ASSERT_TRUE(util::PosixFileSystem()->Exists(cp));
  std::string first = ReadFile(cp);
  ASSERT_TRUE(AppendSync(*log, Batch(1, "more"), 100).ok());
  store_->WaitForBackgroundJobs();
  EXPECT_NE(ReadFile(cp), first) << "rewritten once the next interval's bytes are acknowledged";
}

TEST_F(ShardLogTest, ArrivalTimesNeverGoBackwards) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(1, "a"), 1000).ok());
  ASSERT_TRUE(AppendSync(*log, Batch(1, "b"), 400).ok());  // the wall clock stepped back
  ASSERT_TRUE(AppendSync(*log, Batch(1, "c"), 1200).ok());
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].arrival_ms, 1000);
  EXPECT_EQ((*all)[1].arrival_ms, 1000);  // clamped to the shard's last arrival
  EXPECT_EQ((*all)[2].arrival_ms, 1200);
  EXPECT_EQ(log->LastArrivalMs(), 1200);
  // The clamp survives a restart (it comes from the log).
  log.reset();
  Reopen();
  log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(1, "d"), 500).ok());
  EXPECT_EQ(ReadAll(*log)->back().arrival_ms, 1200);
  EXPECT_EQ(*log->OffsetForTime(1001), Offset(2));
}

TEST_F(ShardLogTest, WallClockStepBackNeverExpiresDataEarly) {
  constexpr int64_t kHour = 3'600'000;
  constexpr int64_t kDay = 24 * kHour;
  auto log = Shard();
  const int64_t t0 = clock_.NowMs();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "old" + std::to_string(i)), clock_.NowMs()).ok());
  clock_.SetWallMs(t0 - kDay);  // NTP steps the clock back a day
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "new" + std::to_string(i)), clock_.NowMs()).ok());
  ASSERT_GE(FilesWithSuffix(ShardDir(), ".log").size(), 3u);
  Offset end = log->EndOffset();
  // Retention of one hour while the clock is behind: the cutoff is earlier, nothing goes.
  ASSERT_TRUE(log->DropBefore(clock_.NowMs() - kHour).ok());
  EXPECT_EQ(log->StartOffset(), Offset(0));
  // The clock is corrected ten minutes after t0: the records appended while
  // it was behind carry t0, not t0 - 1 day, so they are not expired.
  clock_.SetWallMs(t0 + 10 * 60'000);
  ASSERT_TRUE(log->DropBefore(clock_.NowMs() - kHour).ok());
  EXPECT_EQ(log->StartOffset(), Offset(0));
  auto all = ReadAll(*log);  // held: a range-for over *ReadAll(...) would dangle
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), end.value());
  for (const StoredRecord& r : *all) EXPECT_EQ(r.arrival_ms, t0);
  // An hour after t0 everything has expired, at once.
  clock_.SetWallMs(t0 + kHour + 1);
  ASSERT_TRUE(log->DropBefore(clock_.NowMs() - kHour).ok());
  EXPECT_EQ(log->StartOffset(), end);
}

TEST_F(ShardLogTest, BadCrcInRolledSegmentIsNeverServed) {
  auto log = Shard();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, std::to_string(i)), 100 + i).ok());
  auto segs = FilesWithSuffix(ShardDir(), ".log");
  ASSERT_GE(segs.size(), 3u);
  // With the index cache present, open does not scan: the read catches it.
  uint64_t pos = format::kBatchHeaderSize + 2;
  std::string byte = ReadFile(segs[1]).substr(pos, 1);
  byte[0] ^= 0x01;
  log.reset();
  store_.reset();
  WriteAt(segs[1], pos, byte);
  Reopen();
  log = Shard();
  auto all = ReadAll(*log);
  EXPECT_EQ(all.status().code(), ErrorCode::kCorruption);
  // Without the index, open scans the segment and refuses the log.
  log.reset();
  store_.reset();
  ASSERT_TRUE(util::PosixFileSystem()->Unlink(FilesWithSuffix(ShardDir(), ".index")[1]).ok());
  Reopen();
  log = Shard();
  auto r = log->Read(Offset(0), ReadLimits{});
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("next segment starts"), std::string::npos) << r.status().message();
}

TEST_F(ShardLogTest, EmptySegment) {
  // A brand-new shard, reopened before any append.
  auto log = Shard();
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->StartOffset(), Offset(0));
  EXPECT_EQ(log->EndOffset(), Offset(0));
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{})->records.size(), 0u);
  EXPECT_EQ(*log->OffsetForTime(0), Offset(0));
  // A zero-length active segment after a rolled one (crash right after
  // creating it, before fallocate).
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, std::to_string(i)), 100).ok());
  Offset end = log->EndOffset();
  log.reset();
  store_.reset();
  std::string extra = ShardDir() + "/" + format::SegmentFileName(end);
  ASSERT_TRUE(util::PosixFileSystem()->OpenFile(extra, util::OpenMode::kCreate).ok());
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), end);
  EXPECT_EQ(ReadAll(*log)->size(), end.value());
  auto r = AppendSync(*log, Batch(1, "z"), 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset, end);
}

TEST_F(ShardLogTest, IndexMissingIsRebuilt) {
  auto log = Shard();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(AppendSync(*log, Batch(3, std::to_string(i)), 1000 + 10 * i).ok());
  auto before = ReadAll(*log);
  auto t = log->OffsetForTime(1000 + 10 * 37);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Offset(37u * 3));
  log.reset();
  store_.reset();
  auto indexes = FilesWithSuffix(ShardDir(), ".index");
  ASSERT_GE(indexes.size(), 2u);
  for (const auto& p : indexes) ASSERT_TRUE(util::PosixFileSystem()->Unlink(p).ok());
  Reopen();
  log = Shard();
  EXPECT_EQ(FilesWithSuffix(ShardDir(), ".index").size(), indexes.size());  // rewritten
  auto after = ReadAll(*log);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*after)[i].data, (*before)[i].data);
  EXPECT_EQ(*log->OffsetForTime(1000 + 10 * 37), Offset(37u * 3));
  EXPECT_EQ(*log->OffsetForTime(1000 + 10 * 37 - 5), Offset(37u * 3));
}

TEST_F(ShardLogTest, IndexStaleIsRebuilt) {
  auto log = Shard();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(AppendSync(*log, Batch(3, std::to_string(i)), 1000 + 10 * i).ok());
  log.reset();
  store_.reset();
  auto indexes = FilesWithSuffix(ShardDir(), ".index");
  ASSERT_GE(indexes.size(), 3u);
  // (a) garbage, (b) another segment's valid index, (c) a truncated index.
  WriteAt(indexes[0], 0, "garbage");
  ASSERT_TRUE(util::PosixFileSystem()->Unlink(indexes[1]).ok());
  ASSERT_TRUE(util::PosixFileSystem()->Rename(indexes[2], indexes[1]).ok());
  Reopen();
  log = Shard();
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 180u);
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].offset, Offset(i));
    EXPECT_EQ((*all)[i].data.substr(0, (*all)[i].data.find('-')), std::to_string(i / 3));
  }
  for (int i = 0; i < 60; ++i) EXPECT_EQ(*log->OffsetForTime(1000 + 10 * i), Offset(3u * i));
}

TEST_F(ShardLogTest, IndexOfChangedSegmentIsNotTrusted) {
  auto log = Shard();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(AppendSync(*log, Batch(3, std::to_string(i)), 1000 + 10 * i).ok());
  log.reset();
  store_.reset();
  // The segment's last batch changes under a structurally valid index: the
  // check of the last batch against the log catches it.
  auto segs = FilesWithSuffix(ShardDir(), ".log");
  std::string first = ReadFile(segs[0]);
  first[first.size() - 1] ^= 0x40;
  WriteAt(segs[0], 0, first);
  Reopen();
  log = Shard();
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{}).status().code(), ErrorCode::kCorruption);
}

TEST_F(ShardLogTest, RetentionBoundary) {
  auto log = Shard();
  // Three segments' worth at t=1000, then more at t=2000.
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "old" + std::to_string(i)), 1000).ok());
  Offset old_end = log->EndOffset();
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "new" + std::to_string(i)), 2000).ok());
  size_t segs_before = FilesWithSuffix(ShardDir(), ".log").size();
  ASSERT_GE(segs_before, 4u);
  // Newest record at exactly the cutoff: kept.
  ASSERT_TRUE(log->DropBefore(1000).ok());
  EXPECT_EQ(log->StartOffset(), Offset(0));
  ASSERT_TRUE(log->DropBefore(1001).ok());
  Offset start = log->StartOffset();
  EXPECT_GT(start, Offset(0));
  EXPECT_LE(start, old_end);  // the segment mixing old and new records stays
  EXPECT_LT(FilesWithSuffix(ShardDir(), ".log").size(), segs_before);
  auto r = log->Read(Offset(0), ReadLimits{});  // below the horizon: reads from it
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.front().offset, start);
  EXPECT_EQ(*log->OffsetForTime(0), start);
  // Everything expired: the active segment is rolled and dropped too.
  Offset end = log->EndOffset();
  ASSERT_TRUE(log->DropBefore(2001).ok());
  EXPECT_EQ(log->StartOffset(), end);
  EXPECT_EQ(log->EndOffset(), end);
  EXPECT_EQ(FilesWithSuffix(ShardDir(), ".log").size(), 1u);
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{})->records.size(), 0u);
  EXPECT_EQ(log->Read(Offset(0), ReadLimits{})->next_offset, end);
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->StartOffset(), end);
  EXPECT_EQ(log->EndOffset(), end);
  auto a = AppendSync(*log, Batch(1, "again"), 3000);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->base_offset, end);
  // Nothing to drop: no-op.
  ASSERT_TRUE(log->DropBefore(2500).ok());
  EXPECT_EQ(log->StartOffset(), end);
}

TEST_F(ShardLogTest, DropBeforeAnOffsetKeepsEverySegmentHoldingItOrLater) {
  auto log = Shard();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(AppendSync(*log, Batch(4, "r" + std::to_string(i)), 1000).ok());
  size_t segs_before = FilesWithSuffix(ShardDir(), ".log").size();
  ASSERT_GE(segs_before, 4u);
  Offset end = log->EndOffset();
  // Every record is older than the cutoff, but only what lies wholly below
  // offset 0 may go: nothing.
  ASSERT_TRUE(log->DropBefore(INT64_MAX, Offset(0)).ok());
  EXPECT_EQ(log->StartOffset(), Offset(0));
  // Below offset 60: whole segments before the one holding 60.
  ASSERT_TRUE(log->DropBefore(INT64_MAX, Offset(60)).ok());
  Offset start = log->StartOffset();
  EXPECT_GT(start, Offset(0));
  EXPECT_LE(start, Offset(60));
  auto r = log->Read(Offset(60), ReadLimits{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.front().offset, Offset(60));
  // Up to the end: the active segment is rolled and dropped too.
  ASSERT_TRUE(log->DropBefore(INT64_MAX, end).ok());
  EXPECT_EQ(log->StartOffset(), end);
  EXPECT_EQ(log->EndOffset(), end);
}

TEST_F(ShardLogTest, SegmentRollUnderConcurrentAppends) {
  auto log = Shard();
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::vector<std::future<Result<AppendResult>>>> futures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string d = std::to_string(t) + ":" + std::to_string(i) + ":";
        d.resize(d.size() + (i * 37 + t * 11) % 300, 'x');
        futures[t].push_back(AppendAsync(*log, {{"t" + std::to_string(t), d}, {"t", "second"}}, 100 + i));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<Offset> bases;
  for (int t = 0; t < kThreads; ++t) {
    Offset prev;
    for (int i = 0; i < kPerThread; ++i) {
      auto r = futures[t][i].get();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->count, 2u);
      if (i > 0) {
        EXPECT_GT(r->base_offset, prev);  // a thread's appends keep their order
      }
      prev = r->base_offset;
      EXPECT_TRUE(bases.insert(r->base_offset).second);
    }
  }
  EXPECT_EQ(log->EndOffset(), Offset(2u * kThreads * kPerThread));
  EXPECT_GT(FilesWithSuffix(ShardDir(), ".log").size(), 10u);
  EXPECT_GT(store_->Stats().rounds, 0u);
  EXPECT_LT(store_->Stats().rounds, uint64_t{kThreads} * kPerThread);  // some syncs were shared
  for (int pass = 0; pass < 2; ++pass) {
    auto all = ReadAll(*log);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 2u * kThreads * kPerThread);
    for (size_t i = 0; i < all->size(); i += 2) {
      EXPECT_TRUE(bases.count(Offset(i)));
      EXPECT_EQ((*all)[i + 1].data, "second");
    }
    log.reset();
    Reopen();
    log = Shard();
  }
}

TEST_F(ShardLogTest, ReadLimits) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(10, "a", 100), 1).ok());  // offsets 0..9, 100+ bytes each
  ASSERT_TRUE(AppendSync(*log, Batch(10, "b", 100), 2).ok());  // 10..19
  ReadLimits l;
  l.max_records = 4;
  auto r = log->Read(Offset(0), l);
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->next_offset, Offset(4));
  // From the middle of a batch, across the batch boundary.
  l.max_records = 8;
  r = log->Read(Offset(7), l);
  ASSERT_EQ(r->records.size(), 8u);
  EXPECT_EQ(r->records.front().offset, Offset(7));
  EXPECT_EQ(r->next_offset, Offset(15));
  // Bytes: each record is key (4) + data (100) bytes.
  l = ReadLimits{};
  l.max_bytes = 3 * 104 + 50;
  r = log->Read(Offset(0), l);
  EXPECT_EQ(r->records.size(), 3u);
  // At least one record even when it alone exceeds the limit.
  l.max_bytes = 1;
  r = log->Read(Offset(5), l);
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->next_offset, Offset(6));
  l.max_records = 0;
  l.max_bytes = 0;
  EXPECT_EQ(log->Read(Offset(5), l)->records.size(), 1u);
  // Everything.
  r = log->Read(Offset(0), ReadLimits{});
  EXPECT_EQ(r->records.size(), 20u);
  EXPECT_EQ(r->next_offset, Offset(20));
  // At and past the tip.
  r = log->Read(Offset(20), ReadLimits{});
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_offset, Offset(20));
}

// Control records (an empty partition key: the exactly-once stamp heading a
// stamped batch) take offsets but are skipped by reads, which count only the
// records they return; next_offset moves past the skipped ones. Asked for,
// they are returned like any record.
TEST_F(ShardLogTest, ReadsSkipControlRecordsUnlessAsked) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, {{"", "stamp-1"}, {"k1", "a"}, {"k2", "b"}}, 1).ok());  // 0..2
  ASSERT_TRUE(AppendSync(*log, {{"", "stamp-2"}, {"k3", "c"}}, 2).ok());               // 3..4
  ASSERT_TRUE(AppendSync(*log, {{"", "stamp-3"}}, 3).ok());                            // 5: nothing behind it
  auto offsets = [](const std::vector<StoredRecord>& recs) {
    std::vector<uint64_t> out;
    for (const StoredRecord& r : recs) out.push_back(r.offset.value());
    return out;
  };
  ReadLimits l;
  l.max_records = 2;
  auto r = log->Read(Offset(0), l);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(offsets(r->records), (std::vector<uint64_t>{1, 2}));  // the limit counts data records only
  EXPECT_EQ(r->next_offset, Offset(3));
  r = log->Read(r->next_offset, l);
  EXPECT_EQ(offsets(r->records), (std::vector<uint64_t>{4}));
  EXPECT_EQ(r->next_offset, Offset(6));  // past the trailing control record
  l.max_records = 1;
  r = log->Read(Offset(2), l);
  EXPECT_EQ(offsets(r->records), (std::vector<uint64_t>{2}));
  EXPECT_EQ(r->next_offset, Offset(3));
  r = log->Read(Offset(3), l);  // starting on a control record
  EXPECT_EQ(offsets(r->records), (std::vector<uint64_t>{4}));
  // Only control records left: nothing returned, the position still moves.
  r = log->Read(Offset(5), ReadLimits{});
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_offset, Offset(6));
  // The byte limit ignores control records too; the first data record is
  // always returned.
  l = ReadLimits{};
  l.max_bytes = 1;
  auto v = log->ReadViews(Offset(0), l);
  ASSERT_EQ(v->records.size(), 1u);
  EXPECT_EQ(v->records[0].partition_key, "k1");
  EXPECT_EQ(v->next_offset, Offset(2));
  // Asked for: every record, in order.
  l = ReadLimits{};
  l.control_records = true;
  r = log->Read(Offset(0), l);
  EXPECT_EQ(offsets(r->records), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(r->records[0].data, "stamp-1");
  EXPECT_TRUE(IsControlRecord(r->records[0].partition_key));
  EXPECT_FALSE(IsControlRecord(r->records[1].partition_key));
  l.max_records = 2;
  EXPECT_EQ(offsets(log->Read(Offset(0), l)->records), (std::vector<uint64_t>{0, 1}));
}

// ReadViews serves the bytes in place from chunks that grow from 256 KiB to
// 4 MiB: batches cut by a chunk's end are read again whole, every view stays
// valid after the result is moved, and the records are those Read copies.
TEST_F(ShardLogTest, ReadViewsAcrossChunkBoundariesStayValidAfterMove) {
  options_.segment_bytes = 64 << 20;
  Reopen();
  auto log = Shard();
  // 40 batches of 7 x 30,000 bytes (~210 KB): most straddle a chunk's end.
  std::vector<std::string> expect;
  for (int b = 0; b < 40; ++b) {
    auto recs = Batch(7, "b" + std::to_string(b), 30000);
    for (const Rec& r : recs) expect.push_back(r.data);
    ASSERT_TRUE(AppendSync(*log, recs, 100 + b).ok());
  }
  ReadLimits everything{100000, 64u << 20};
  auto read = log->ReadViews(Offset(3), everything);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ReadView moved = std::move(*read);
  ASSERT_EQ(moved.records.size(), expect.size() - 3);
  EXPECT_GT(moved.chunks.size(), 3u);
  for (size_t i = 0; i < moved.records.size(); ++i) {
    ASSERT_EQ(moved.records[i].offset, Offset(i + 3));
    ASSERT_EQ(moved.records[i].data, expect[i + 3]) << i;
    ASSERT_EQ(moved.records[i].partition_key, "pk-b" + std::to_string((i + 3) / 7));
    ASSERT_EQ(moved.records[i].arrival_ms, static_cast<int64_t>(100 + (i + 3) / 7));
  }
  EXPECT_EQ(moved.next_offset, Offset(expect.size()));
  // The byte limit cuts inside a batch; the copying read agrees.
  ReadLimits some{100000, 1000000};
  auto views = log->ReadViews(Offset(10), some);
  auto copies = log->Read(Offset(10), some);
  ASSERT_TRUE(views.ok() && copies.ok());
  ASSERT_EQ(views->records.size(), copies->records.size());
  EXPECT_EQ(views->records.size(), 33u);  // 30,005 bytes each (key "pk-bN", data)
  EXPECT_EQ(views->next_offset, copies->next_offset);
  for (size_t i = 0; i < views->records.size(); ++i) EXPECT_EQ(views->records[i].data, copies->records[i].data);
}

TEST_F(ShardLogTest, OffsetForTime) {
  auto log = Shard();
  // Batches at 100, 200, ..., 3000, three records each, over several segments.
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(AppendSync(*log, Batch(3, std::to_string(i), 200), 100 * i).ok());
  ASSERT_GT(FilesWithSuffix(ShardDir(), ".log").size(), 2u);
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(*log->OffsetForTime(0), Offset(0));
    EXPECT_EQ(*log->OffsetForTime(100), Offset(0));
    EXPECT_EQ(*log->OffsetForTime(101), Offset(3));
    EXPECT_EQ(*log->OffsetForTime(1500), Offset(42));
    EXPECT_EQ(*log->OffsetForTime(1499), Offset(42));
    EXPECT_EQ(*log->OffsetForTime(3000), Offset(87));
    EXPECT_EQ(*log->OffsetForTime(3001), Offset(90));  // after the newest: the tip
    log.reset();
    Reopen();
    log = Shard();
  }
  // A wall-clock step back: the answer is the first record at or after ms.
  ASSERT_TRUE(AppendSync(*log, Batch(1, "late"), 50).ok());
  EXPECT_EQ(*log->OffsetForTime(3001), Offset(91));
  EXPECT_EQ(*log->OffsetForTime(50), Offset(0));
}

TEST_F(ShardLogTest, DiskFullFailsFastThenResumes) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(2, "ok"), 1).ok());
  // The next segment write fails half-way with ENOSPC.
  fs_->SetFault(Op::kWrite, {Fault::kNoSpace, 0, 1, true, ShardDir()});
  auto f1 = AppendAsync(*log, Batch(2, "full1"), 2);
  auto r1 = f1.get();
  EXPECT_EQ(r1.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r1.status().message().find("No space"), std::string::npos) << r1.status().message();
  EXPECT_EQ(log->EndOffset(), Offset(2));
  // Not fenced: the next append retries the write, reusing the offsets.
  auto r2 = AppendSync(*log, Batch(1, "after"), 3);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->base_offset, Offset(2));
  auto all = ReadAll(*log);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].data.substr(0, 7), "after-0");
  // Disk full while rolling (fallocate of the new segment): fails, resumes.
  fs_->SetFault(Op::kAllocate, {Fault::kNoSpace, 0, 1 << 30, false, ""});
  int failed = 0;
  Offset before = log->EndOffset();
  for (int i = 0; i < 40; ++i) {
    auto r = AppendSync(*log, Batch(4, "fill" + std::to_string(i)), 4);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
      ++failed;
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_EQ(log->EndOffset(), before + 4u * (40 - failed));
  fs_->ClearFaults();
  ASSERT_TRUE(AppendSync(*log, Batch(4, "resumed"), 5).ok());
  Offset end = log->EndOffset();
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), end);
  all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].offset, Offset(i));
    EXPECT_EQ((*all)[i].data.find("full1"), std::string::npos);
  }
}

TEST_F(ShardLogTest, DiskFullFailsLaterQueuedBatchesOfTheShard) {
  auto log = Shard();
  // Hold the writer inside a callback so the next appends share one round.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> entered;
  std::vector<RecordInput> in = {{"k", "first"}};
  log->Append(in, 1, [&](Result<AppendResult> r) {
    ASSERT_TRUE(r.ok());
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  fs_->SetFault(Op::kWrite, {Fault::kNoSpace, 0, 1, true, ShardDir()});
  std::vector<std::future<Result<AppendResult>>> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(AppendAsync(*log, Batch(1, std::to_string(i)), 2));
  release.set_value();
  // The batches wholly written before the failure point are acknowledged;
  // the one it cut and every later one of the shard fail.
  size_t ok = 0, failed = 0;
  for (auto& f : fs) {
    auto r = f.get();
    if (r.ok()) {
      EXPECT_EQ(failed, 0u) << "an ack after a failure would leave a hole";
      EXPECT_EQ(r->base_offset, Offset(1 + ok));
      ++ok;
    } else {
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
      ++failed;
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(log->EndOffset(), Offset(1 + ok));
  auto r = AppendSync(*log, Batch(1, "ok"), 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset, Offset(1 + ok));
}

TEST_F(ShardLogTest, FsyncErrorFencesLog) {
  options_.journal_bytes = 0;  // each round syncs the shard files (the journal's case is below)
  Reopen();
  auto log = Shard();
  auto other = Shard(1);
  ASSERT_TRUE(AppendSync(*log, Batch(2, "acked"), 1).ok());
  fs_->SetFault(Op::kSync, {Fault::kIoError, 0, 1, false, ShardDir()});
  auto r = AppendSync(*log, Batch(2, "lost"), 2);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  fs_->ClearFaults();
  // Never retried: the log stays fenced even though syncs work again.
  auto r2 = AppendSync(*log, Batch(1, "later"), 3);
  EXPECT_EQ(r2.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r2.status().message().find("fenced"), std::string::npos);
  EXPECT_EQ(log->EndOffset(), Offset(2));
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  ASSERT_TRUE(AppendSync(*other, Batch(1, "fine"), 3).ok());
  // After a restart the log works again and the failed batch is not there.
  log.reset();
  other.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), Offset(2));
  auto r3 = AppendSync(*log, Batch(1, "new"), 4);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->base_offset, Offset(2));
}

TEST_F(ShardLogTest, WriteErrorFencesLog) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(2, "acked"), 1).ok());
  fs_->SetFault(Op::kWrite, {Fault::kIoError, 0, 1, true, ShardDir()});
  EXPECT_EQ(AppendSync(*log, Batch(2, "lost"), 2).status().code(), ErrorCode::kUnavailable);
  fs_->ClearFaults();
  EXPECT_EQ(AppendSync(*log, Batch(1, "later"), 3).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ReadAll(*log)->size(), 2u);
}

TEST_F(ShardLogTest, QueueFullFailsFast) {
  options_.max_queued_bytes = 4096;
  Reopen();
  auto log = Shard();
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> entered;
  std::vector<RecordInput> in = {{"k", "first"}};
  log->Append(in, 1, [&](Result<AppendResult> r) {
    ASSERT_TRUE(r.ok());
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  std::vector<std::future<Result<AppendResult>>> queued;
  Status rejected;
  for (int i = 0; i < 100 && rejected.ok(); ++i) {
    auto f = AppendAsync(*log, Batch(1, "q", 200), 2);
    if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      rejected = f.get().status();  // failed inline, without queueing
    } else {
      queued.push_back(std::move(f));
    }
  }
  EXPECT_EQ(rejected.code(), ErrorCode::kUnavailable);
  EXPECT_NE(rejected.message().find("queue full"), std::string::npos);
  release.set_value();
  for (auto& f : queued) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(log->EndOffset(), Offset(1 + queued.size()));
}

// 51 appends to two shards, 50 of them queued while the writer is held
// inside the first one's callback so they form one round; returns the
// fdatasync calls of that round.
int SyncsOfOneSharedRound(ShardLog& a, ShardLog& b, FaultInjectionFileSystem& fs) {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> entered;
  std::vector<RecordInput> in = {{"k", "first"}};
  a.Append(in, 1, [&](Result<AppendResult>) {
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  std::vector<std::future<Result<AppendResult>>> fs_futures;
  for (int i = 0; i < 50; ++i) fs_futures.push_back(AppendAsync(i % 2 ? a : b, Batch(1, "x"), 2));
  int syncs_before = fs.SyncCalls();
  release.set_value();
  for (auto& f : fs_futures) EXPECT_TRUE(f.get().ok());
  return fs.SyncCalls() - syncs_before;
}

TEST_F(ShardLogTest, GroupCommitSharesSyncs) {
  options_.segment_bytes = 1 << 20;  // no rolls in this test
  Reopen();
  auto log = Shard();
  auto shard2 = Shard(2);
  EXPECT_EQ(SyncsOfOneSharedRound(*log, *shard2, *fs_), 1);  // one round, one fdatasync of the journal
}

TEST_F(ShardLogTest, GroupCommitSharesSyncsWithoutJournal) {
  options_.segment_bytes = 1 << 20;
  options_.journal_bytes = 0;
  Reopen();
  auto log = Shard();
  auto shard2 = Shard(2);
  EXPECT_EQ(SyncsOfOneSharedRound(*log, *shard2, *fs_), 2);  // one round, one fdatasync per file
}

TEST_F(ShardLogTest, DropGroupAndListGroups) {
  auto a = Shard(0, "alpha");
  auto b = Shard(3, "beta");
  ASSERT_TRUE(AppendSync(*a, Batch(1, "a"), 1).ok());
  ASSERT_TRUE(AppendSync(*b, Batch(1, "b"), 1).ok());
  EXPECT_EQ(*store_->ListGroups(), (std::vector<std::string>{"alpha", "beta"}));
  ASSERT_TRUE(store_->DropGroup("alpha").ok());
  EXPECT_EQ(*store_->ListGroups(), (std::vector<std::string>{"beta"}));
  EXPECT_EQ(AppendSync(*a, Batch(1, "a"), 2).status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(store_->DropGroup("alpha").ok());  // idempotent
  a = Shard(0, "alpha");
  EXPECT_EQ(a->EndOffset(), Offset(0));  // a fresh log
  EXPECT_EQ(store_->OpenShard("../x", model::ShardIndex{0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenShard(".hidden", model::ShardIndex{0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenShard("", model::ShardIndex{0}).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ShardLogTest, AppendAfterStoreClosedFails) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(1, "a"), 1).ok());
  store_.reset();
  EXPECT_EQ(AppendSync(*log, Batch(1, "b"), 2).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ReadAll(*log)->size(), 1u);  // reads still served
}

TEST_F(ShardLogTest, BatchLargerThanSegmentGetsItsOwn) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Batch(1, "small"), 1).ok());
  std::string big(20 << 10, 'B');
  ASSERT_TRUE(AppendSync(*log, {{"k", big}}, 2).ok());
  ASSERT_TRUE(AppendSync(*log, Batch(1, "small2"), 3).ok());
  log.reset();
  Reopen();
  log = Shard();
  auto all = ReadAll(*log);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].data, big);
}

// ---------------------------------------------------------------------------
// Overwrite-ready space (LogStoreOptions::ready_ahead_bytes).

class ReadySpaceTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    options_.segment_bytes = 64 << 10;
    options_.ready_ahead_bytes = 16 << 10;
    options_.small_write_round_bytes = 1 << 10;
    options_.journal_bytes = 0;  // with the journal, small writers' segments are not synced per round
    Reopen();
  }
  // Whether a zero-fill has run beyond `more_than` bytes once the background
  // jobs the acknowledged appends asked for are done (the writer schedules
  // them before it acknowledges), so the answer does not depend on timing.
  bool ZeroFilledAfterJobs(uint64_t more_than = 0) {
    store_->WaitForBackgroundJobs();
    return store_->Stats().zero_filled_bytes > more_than;
  }
};

// A shard written in many small rounds gets the space ahead of its write
// position zero-filled in the background; the zeros become durable with the
// writer's next sync, and every record reads back, also after a reopen.
TEST_F(ReadySpaceTest, SmallRoundsGetSpaceZeroFilledAheadAndDataStaysIntact) {
  auto log = Shard();
  int appended = 0;
  for (; appended < 120; ++appended) ASSERT_TRUE(AppendSync(*log, Batch(1, "s" + std::to_string(appended)), 1).ok());
  ASSERT_TRUE(ZeroFilledAfterJobs()) << "no zero-fill after " << appended << " small rounds";
  for (int i = 0; i < 40; ++i, ++appended) {
    ASSERT_TRUE(AppendSync(*log, Batch(1, "s" + std::to_string(appended)), 2).ok());
  }
  EXPECT_EQ(fs_->UnsyncedBytes(), 0u) << "the writer's sync covers the zeros";
  EXPECT_GE(store_->Stats().zero_filled_bytes, options_.ready_ahead_bytes);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(appended));
  for (int i = 0; i < appended; ++i) {
    std::string want = "s" + std::to_string(i) + "-0";
    EXPECT_EQ((*all)[i].data.substr(0, want.size()), want);
  }
  log.reset();
  Reopen();
  log = Shard();
  EXPECT_EQ(log->EndOffset(), static_cast<Offset>(appended));
  ASSERT_TRUE(AppendSync(*log, Batch(1, "after"), 3).ok());
}

// Rounds bigger than small_write_round_bytes leave the space alone: for bulk
// ingest the zeros would double the bytes written.
TEST_F(ReadySpaceTest, BigRoundsAreNotZeroFilled) {
  options_.segment_bytes = 1 << 20;  // room for enough rounds to judge
  Reopen();
  auto log = Shard();
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(AppendSync(*log, Batch(1, "b" + std::to_string(i), 2000), 1).ok());
  store_->WaitForBackgroundJobs();
  EXPECT_EQ(store_->Stats().zero_filled_bytes, 0u);
  // The same rounds count as small under a higher threshold (the test can fail).
  options_.small_write_round_bytes = 4 << 10;
  log.reset();
  Reopen();
  log = Shard();
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(AppendSync(*log, Batch(1, "c" + std::to_string(i), 2000), 1).ok());
  EXPECT_TRUE(ZeroFilledAfterJobs());
}

// A crash right after a zero-fill (zeros not yet synced, kept in part or
// dropped) loses no acknowledged record, and the log goes on appending.
TEST_F(ReadySpaceTest, CrashAfterZeroFillKeepsEveryAcknowledgedRecord) {
  for (auto mode : {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix, CrashMode::kTearLastWrite}) {
    auto log = Shard();
    Offset base = log->EndOffset();
    uint64_t zeroed = store_->Stats().zero_filled_bytes;
    int n = 0;
    do {  // until the first zero-fill, whatever the threads' timing
      ASSERT_TRUE(AppendSync(*log, Batch(1, "c"), 1).ok());
      ++n;
    } while (!ZeroFilledAfterJobs(zeroed) && n < 400);
    ASSERT_GT(store_->Stats().zero_filled_bytes, zeroed) << "no zero-fill after " << n << " small rounds";
    Offset acked = log->EndOffset();
    ASSERT_EQ(acked, base + static_cast<uint64_t>(n));
    log.reset();
    fs_->SimulateCrash(mode);
    store_.reset();  // the dead process does nothing more
    fs_->SetActive(true);
    Reopen();
    log = Shard();
    EXPECT_EQ(log->EndOffset(), acked);
    auto all = ReadAll(*log);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->size(), static_cast<size_t>(acked - log->StartOffset()));
    auto r = AppendSync(*log, Batch(1, "next"), 2);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->base_offset, acked);
  }
}

// Appends that catch up with a zero-fill in progress wait for it and are
// never overwritten by its zeros; segment rolls wait too.
TEST_F(ReadySpaceTest, ConcurrentAppendsThroughZeroFillsAndRollsLoseNothing) {
  auto log = Shard();
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) {
        if (!AppendSync(*log, Batch(1, "t" + std::to_string(t) + "-" + std::to_string(i)), 1).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(FilesWithSuffix(ShardDir(), ".log").size(), 1u) << "rolled at least once";
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1600u);
  std::set<std::string> seen;
  for (const auto& r : *all) seen.insert(r.data);
  EXPECT_EQ(seen.size(), 1600u);
  log.reset();
  Reopen();
  EXPECT_EQ(Shard()->EndOffset(), Offset(1600));
}

}  // namespace
}  // namespace spate::storage::testing
