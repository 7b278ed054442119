// The commit journal (storage/journal.h): small batches are durable through
// it alone until it switches files, and replay restores them.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/format.h"
#include "storage/tests/test_util.h"

namespace spate::storage::testing {
namespace {

using CrashMode = FaultInjectionFileSystem::CrashMode;
using Fault = FaultInjectionFileSystem::Fault;
using Op = FaultInjectionFileSystem::Op;

std::vector<Rec> Batch(const std::string& tag, size_t data_bytes = 40) {
  std::string d = tag;
  d.resize(std::max(d.size(), data_bytes), '.');
  return {Rec{"pk-" + tag, d}};
}

class JournalTest : public StoreFixture {
 protected:
  // The process dies: unsynced writes are lost as `mode` says, and the dead
  // store does nothing more (its destructor runs against a dead file system).
  void CrashAndReopen(CrashMode mode) {
    fs_->SimulateCrash(mode);
    store_.reset();
    fs_->SetActive(true);
    Reopen();
  }
  // Appends `n` batches round-robin over `shards` shards; returns the data
  // acknowledged per shard.
  std::vector<std::vector<std::string>> AppendMany(int n, int shards, const std::string& tag) {
    std::vector<std::vector<std::string>> acked(static_cast<size_t>(shards));
    for (int i = 0; i < n; ++i) {
      int s = i % shards;
      auto recs = Batch(tag + std::to_string(i));
      auto r = AppendSync(*Shard(static_cast<uint32_t>(s)), recs, 1 + i);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) acked[static_cast<size_t>(s)].push_back(recs[0].data);
    }
    return acked;
  }
  void ExpectShardHolds(uint32_t shard, const std::vector<std::string>& want, const std::string& group = "stream-1") {
    auto log = Shard(shard, group);
    auto all = ReadAll(*log);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), want.size()) << "shard " << shard;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*all)[i].data, want[i]) << "shard " << shard << " #" << i;
  }
};

TEST_F(JournalTest, AcknowledgedSmallBatchesSurviveLosingEveryUnsyncedSegmentWrite) {
  auto acked = AppendMany(30, 3, "a");
  EXPECT_EQ(store_->Stats().journaled_batches, 30u);
  CrashAndReopen(CrashMode::kDropUnsynced);
  EXPECT_GT(store_->Stats().journal_replayed, 0u) << "the segments lost their tails; the journal gave them back";
  for (uint32_t s = 0; s < 3; ++s) ExpectShardHolds(s, acked[s]);
  // And appends go on after the replayed data.
  ASSERT_TRUE(AppendSync(*Shard(0), Batch("after"), 100).ok());
}

TEST_F(JournalTest, SwitchesSyncTheSegmentsBeforeTheOldRecordsAreReused) {
  // 96 KiB journal files: a few hundred small batches switch several times.
  auto acked = AppendMany(1500, 4, "s");
  EXPECT_GE(store_->Stats().journal_switches, 2u);
  for (CrashMode mode : {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix, CrashMode::kTearLastWrite}) {
    CrashAndReopen(mode);
    for (uint32_t s = 0; s < 4; ++s) ExpectShardHolds(s, acked[s]);
  }
}

// Journaled bytes wait in their segment file for the switch's sync; the
// writer hands them to the kernel's writeback in writeback_bytes steps, in
// file order, without making them durable.
TEST_F(JournalTest, JournaledSegmentBytesAreHandedToWritebackInSteps) {
  options_.segment_bytes = 1 << 20;
  options_.journal_bytes = 1 << 20;
  options_.writeback_bytes = 4 << 10;
  Reopen();
  auto acked = AppendMany(120, 1, "w");  // about 120 x 100 B into one segment file
  auto hints = fs_->WritebackHints();
  ASSERT_FALSE(hints.empty());
  EXPECT_EQ(store_->Stats().writeback_hints, hints.size());
  EXPECT_EQ(store_->Stats().journal_switches, 0u) << "the hints come before any switch";
  uint64_t next = hints[0].pos;
  for (const auto& h : hints) {
    EXPECT_NE(h.path.find(ShardDir(0)), std::string::npos) << h.path;
    EXPECT_EQ(h.pos, next) << "contiguous ranges";
    EXPECT_GE(h.len, options_.writeback_bytes);
    next = h.pos + h.len;
  }
  // A hint is no sync: the segment's tail is still lost by a crash, and the
  // journal still gives it back.
  EXPECT_GT(fs_->UnsyncedBytes(), 0u);
  CrashAndReopen(CrashMode::kDropUnsynced);
  EXPECT_GT(store_->Stats().journal_replayed, 0u);
  ExpectShardHolds(0, acked[0]);
}

TEST_F(JournalTest, NoWritebackHintsWhenDisabled) {
  options_.segment_bytes = 1 << 20;
  options_.writeback_bytes = 0;
  Reopen();
  AppendMany(60, 1, "n");
  EXPECT_TRUE(fs_->WritebackHints().empty());
  EXPECT_EQ(store_->Stats().writeback_hints, 0u);
}

// The page-cache budget (LogStoreOptions::page_cache_bytes): once more
// durable bytes than the budget are cached, the oldest are dropped: whole
// pages only, each file's from its start on without gaps, and never a byte
// that is not yet durable (fdatasync'd in its own file). Each drop reaches
// back 2 MiB over the file's previous one (the kernel frees a large folio
// only when a drop covers all of it, so the folio straddling the previous
// end would otherwise stay cached for good); the counter counts each byte
// once.
void ExpectDropsOnlyDurablePages(const std::vector<FaultInjectionFileSystem::CacheDrop>& drops, uint64_t counted) {
  constexpr uint64_t kReach = 2u << 20;
  std::map<std::string, uint64_t> dropped_end;  // per file: the end of its drops so far
  uint64_t total = 0;
  for (const auto& d : drops) {
    EXPECT_FALSE(d.unsynced) << d.path << " [" << d.pos << ", +" << d.len << ") was not yet durable";
    EXPECT_FALSE(d.by_a_writing_thread) << d.path << ": dropped by the thread that writes it, not in the background";
    EXPECT_EQ(d.pos % 4096, 0u) << d.path;
    EXPECT_EQ(d.len % 4096, 0u) << d.path;
    uint64_t& end = dropped_end[d.path];
    EXPECT_EQ(d.pos, end > kReach ? end - kReach : 0) << d.path << ": from the start, reaching back over the last";
    EXPECT_GT(d.pos + d.len, end) << d.path << ": every drop frees new bytes";
    total += d.pos + d.len - end;
    end = d.pos + d.len;
  }
  EXPECT_EQ(total, counted) << "spate_storage_page_cache_dropped_bytes_total counts what was dropped";
}

TEST_F(JournalTest, PageCacheBudgetDropsTheOldestDurableBytesOfBigBatches) {
  options_.segment_bytes = 256 << 10;
  options_.page_cache_bytes = 64 << 10;
  Reopen();
  // 9 KiB batches: over journal_max_batch_bytes, each synced in its file.
  std::vector<std::vector<std::string>> acked(2);
  for (int i = 0; i < 120; ++i) {
    uint32_t s = static_cast<uint32_t>(i % 2);
    auto recs = Batch("b" + std::to_string(i), 9 << 10);
    auto r = AppendSync(*Shard(s), recs, 1 + i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    acked[s].push_back(recs[0].data);
  }
  EXPECT_EQ(store_->Stats().journaled_batches, 0u);
  store_->WaitForBackgroundJobs();  // the drops run on the background thread
  auto drops = fs_->CacheDrops();
  ASSERT_FALSE(drops.empty());
  const uint64_t dropped = store_->Stats().cache_dropped_bytes;
  ExpectDropsOnlyDurablePages(drops, dropped);
  // About 1.1 MB written in all: what stays cached is the budget plus at
  // most a page per file left behind by rounding down.
  const uint64_t written = store_->Stats().bytes;
  EXPECT_GE(dropped + options_.page_cache_bytes + 16 * 4096, written);
  EXPECT_LE(dropped, written);
  std::set<std::string> files;
  for (const auto& d : drops) files.insert(d.path);
  EXPECT_GE(files.size(), 4u) << "segments of both shards, the rolled ones included";
  // A hint only: every record reads back, and survives a crash.
  for (uint32_t s = 0; s < 2; ++s) ExpectShardHolds(s, acked[s]);
  CrashAndReopen(CrashMode::kDropUnsynced);
  for (uint32_t s = 0; s < 2; ++s) ExpectShardHolds(s, acked[s]);
}

TEST_F(JournalTest, PageCacheDropsReachBackOverTheLastDropInALongSegment) {
  options_.segment_bytes = 16 << 20;
  options_.page_cache_bytes = 256 << 10;
  Reopen();
  std::vector<std::string> acked;
  for (int i = 0; i < 100; ++i) {  // 100 x 64 KiB: 6.4 MiB in one segment
    auto recs = Batch("l" + std::to_string(i), 64 << 10);
    auto r = AppendSync(*Shard(0), recs, 1 + i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    acked.push_back(recs[0].data);
  }
  store_->WaitForBackgroundJobs();  // the drops run on the background thread
  auto drops = fs_->CacheDrops();
  ExpectDropsOnlyDurablePages(drops, store_->Stats().cache_dropped_bytes);
  ASSERT_FALSE(drops.empty());
  EXPECT_GT(drops.back().pos, 0u) << "past 2 MiB, a drop no longer starts at the file's start";
  EXPECT_GE(store_->Stats().cache_dropped_bytes + options_.page_cache_bytes + 4096, store_->Stats().bytes);
  ExpectShardHolds(0, acked);
}

TEST_F(JournalTest, PageCacheBudgetWaitsForTheJournalSwitchToDropJournaledBytes) {
  options_.segment_bytes = 1 << 20;
  options_.page_cache_bytes = 4096;
  Reopen();
  // Small batches: durable through the journal; their segment bytes are
  // synced in their own file only when the journal switches.
  auto first = AppendMany(20, 1, "j");
  EXPECT_EQ(store_->Stats().journal_switches, 0u);
  store_->WaitForBackgroundJobs();
  EXPECT_TRUE(fs_->CacheDrops().empty()) << "nothing is durable in its segment file before a switch";
  auto rest = AppendMany(2000, 2, "k");
  ASSERT_GE(store_->Stats().journal_switches, 1u);
  store_->WaitForBackgroundJobs();  // the drops run on the background thread
  auto drops = fs_->CacheDrops();
  ASSERT_FALSE(drops.empty());
  ExpectDropsOnlyDurablePages(drops, store_->Stats().cache_dropped_bytes);
  first[0].insert(first[0].end(), rest[0].begin(), rest[0].end());
  ExpectShardHolds(0, first[0]);
  ExpectShardHolds(1, rest[1]);
}

TEST_F(JournalTest, NoPageCacheDropsWhenTheBudgetIsOff) {
  options_.segment_bytes = 256 << 10;
  options_.page_cache_bytes = 0;
  Reopen();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendSync(*Shard(0), Batch("o" + std::to_string(i), 9 << 10), 1 + i).ok());
  AppendMany(2000, 2, "p");
  store_->WaitForBackgroundJobs();
  EXPECT_TRUE(fs_->CacheDrops().empty());
  EXPECT_EQ(store_->Stats().cache_dropped_bytes, 0u);
}

// A round whose small batches add up to more than journal_round_max_bytes
// is synced in its segment files instead (bulk rounds are bound by the
// disk's bandwidth, which the journal copy would halve): still durable.
TEST_F(JournalTest, RoundsOverTheRoundCapAreSyncedInTheirFilesNotJournaled) {
  options_.journal_round_max_bytes = 16;  // below any one batch: no round is journaled
  Reopen();
  auto acked = AppendMany(20, 2, "r");
  EXPECT_EQ(store_->Stats().journaled_batches, 0u);
  EXPECT_EQ(fs_->UnsyncedBytes(), 0u) << "every acknowledged batch was synced in its segment";
  CrashAndReopen(CrashMode::kDropUnsynced);
  EXPECT_EQ(store_->Stats().journal_replayed, 0u);
  for (uint32_t s = 0; s < 2; ++s) ExpectShardHolds(s, acked[s]);

  options_.journal_round_max_bytes = 0;  // no cap: small batches go through the journal again
  Reopen();
  AppendMany(10, 2, "j");
  EXPECT_EQ(store_->Stats().journaled_batches, 10u);
}

// The journal's bound is per batch, not per file: small batches queued
// together for few files (PutRecords of 500 x 100 B: ~4.5 KiB per shard,
// several requests per round) all go through the journal, however many
// bytes one file receives in a round, so a round syncs one file, not one
// per shard; all survive a crash.
TEST_F(JournalTest, ManySmallBatchesForOneFileAreAllJournaled) {
  options_.segment_bytes = 1 << 20;
  Reopen();
  const int kBatches = 40;  // 40 x 3 KiB: far more than a batch's bound (8 KiB) in one file
  std::vector<std::future<Result<AppendResult>>> pending;
  std::vector<std::string> sent;
  for (int i = 0; i < kBatches; ++i) {
    auto recs = Batch("s" + std::to_string(i), 3 << 10);
    pending.push_back(AppendAsync(*Shard(0), recs, 1 + i));
    sent.push_back(recs[0].data);
  }
  for (auto& f : pending) ASSERT_TRUE(f.get().ok());
  LogStoreStats stats = store_->Stats();
  EXPECT_EQ(stats.journaled_batches, static_cast<uint64_t>(kBatches));
  // One journal sync per round, and the segment's when the journal switches.
  EXPECT_EQ(stats.file_syncs, stats.rounds + stats.journal_switches);
  CrashAndReopen(CrashMode::kDropUnsynced);
  ExpectShardHolds(0, sent);
}

// Small and big batches of one shard queued together: whichever of them
// share a round, a small one in a file that the round syncs anyway is not
// journaled, and every acknowledged batch survives a crash.
TEST_F(JournalTest, SmallBatchesBesideBigOnesInOneFileSurviveACrash) {
  options_.segment_bytes = 1 << 20;
  Reopen();
  std::vector<std::future<Result<AppendResult>>> pending;
  std::vector<std::string> sent;
  for (int i = 0; i < 40; ++i) {
    auto recs = Batch("m" + std::to_string(i), i % 2 == 0 ? options_.journal_max_batch_bytes + 1 : 100);
    pending.push_back(AppendAsync(*Shard(0), recs, 1 + i));
    sent.push_back(recs[0].data);
  }
  for (auto& f : pending) ASSERT_TRUE(f.get().ok());
  EXPECT_LT(store_->Stats().journaled_batches, 20u) << "at least one small batch shared a round with a big one";
  CrashAndReopen(CrashMode::kDropUnsynced);
  ExpectShardHolds(0, sent);
}

TEST_F(JournalTest, CleanCloseLeavesNothingToReplay) {
  auto acked = AppendMany(20, 2, "c");
  Reopen();
  EXPECT_EQ(store_->Stats().journal_replayed, 0u);
  for (uint32_t s = 0; s < 2; ++s) ExpectShardHolds(s, acked[s]);
}

TEST_F(JournalTest, BatchesAboveTheLimitAreSyncedInTheirSegment) {
  auto big = Batch("big", options_.journal_max_batch_bytes + 1);
  ASSERT_TRUE(AppendSync(*Shard(0), big, 1).ok());
  EXPECT_EQ(store_->Stats().journaled_batches, 0u);
  CrashAndReopen(CrashMode::kDropUnsynced);
  EXPECT_EQ(store_->Stats().journal_replayed, 0u);
  ExpectShardHolds(0, {big[0].data});
}

// A failed fdatasync of the journal: the round's batches fail, their logs
// are fenced (never retried, never acknowledged), the journal is frozen and
// other shards go on with per-file syncs.
TEST_F(JournalTest, JournalSyncErrorFencesTheRoundsLogsAndFreezesTheJournal) {
  auto acked = AppendMany(6, 2, "ok");
  fs_->SetFault(Op::kSync, {Fault::kIoError, 0, 1, false, std::string(format::kJournalDirName)});
  auto r = AppendSync(*Shard(0), Batch("lost"), 50);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  fs_->ClearFaults();
  auto again = AppendSync(*Shard(0), Batch("later"), 51);
  EXPECT_EQ(again.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(again.status().message().find("fenced"), std::string::npos);
  auto other = AppendSync(*Shard(1), Batch("other"), 52);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  acked[1].push_back(Batch("other")[0].data);
  EXPECT_EQ(store_->Stats().journaled_batches, 6u) << "frozen: no batch journaled since";
  // A restart: everything acknowledged is there (the frozen journal is kept
  // for replay), the failed batch is not (its record was retracted and the
  // fenced log trimmed), and the fence is gone.
  Reopen();
  ExpectShardHolds(0, acked[0]);
  ExpectShardHolds(1, acked[1]);
  ASSERT_TRUE(AppendSync(*Shard(0), Batch("new"), 60).ok());
}

// The same, but the process dies right after the failure: acknowledged
// batches survive through the frozen journal.
TEST_F(JournalTest, CrashAfterAJournalSyncErrorKeepsEveryAcknowledgedBatch) {
  auto acked = AppendMany(6, 2, "ok");
  fs_->SetFault(Op::kSync, {Fault::kIoError, 0, 1, false, std::string(format::kJournalDirName)});
  EXPECT_FALSE(AppendSync(*Shard(0), Batch("lost"), 50).ok());
  fs_->ClearFaults();
  CrashAndReopen(CrashMode::kDropUnsynced);
  ExpectShardHolds(1, acked[1]);
  auto log0 = ReadAll(*Shard(0));
  ASSERT_TRUE(log0.ok());
  ASSERT_GE(log0->size(), acked[0].size());
  for (size_t i = 0; i < acked[0].size(); ++i) EXPECT_EQ((*log0)[i].data, acked[0][i]);
}

// A group dropped and created again under the same name must not get the
// old group's journaled batches replayed into its new files.
TEST_F(JournalTest, DroppedGroupIsNeverReplayedIntoANewGroupOfTheSameName) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendSync(*Shard(0, "g"), Batch("old" + std::to_string(i)), 1).ok());
  ASSERT_TRUE(store_->DropGroup("g").ok());
  auto fresh = Batch("new0");
  ASSERT_TRUE(AppendSync(*Shard(0, "g"), fresh, 2).ok());
  CrashAndReopen(CrashMode::kDropUnsynced);
  ExpectShardHolds(0, {fresh[0].data}, "g");
}

// A journal that cannot be created (disk full) is not fatal: the store runs
// without it and syncs each shard file.
TEST_F(JournalTest, NoRoomForTheJournalRunsWithoutIt) {
  store_.reset();
  util::PosixFileSystem()->RemoveAll(options_.dir + "/" + std::string(format::kJournalDirName)).IgnoreError();
  fs_->SetFault(Op::kWrite, {Fault::kNoSpace, 0, 1 << 30, false, std::string(format::kJournalDirName)});
  Reopen();
  fs_->ClearFaults();
  ASSERT_TRUE(AppendSync(*Shard(0), Batch("x"), 1).ok());
  EXPECT_EQ(store_->Stats().journaled_batches, 0u);
  CrashAndReopen(CrashMode::kDropUnsynced);
  ExpectShardHolds(0, {Batch("x")[0].data});
}

}  // namespace
}  // namespace spate::storage::testing
