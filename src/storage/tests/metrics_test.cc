// The store's metrics: registered in LogStoreOptions::metrics at open,
// counting what the writer did and what is on disk, removed at close.

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "metrics/registry.h"
#include "storage/tests/test_util.h"

namespace spate::storage {
namespace {

using testing::AppendSync;
using testing::Rec;

class StoreMetricsTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    options_.metrics = &registry_;
    StoreFixture::SetUp();
  }

  // The value of the unlabelled sample `name`, or nullopt if absent.
  std::optional<double> Sample(const std::string& name) {
    std::string text = "\n" + registry_.Scrape();
    size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + name.size() + 2));
  }

  static std::vector<Rec> Records(int n, char fill) {
    std::vector<Rec> out;
    for (int i = 0; i < n; ++i) out.push_back({"pk", std::string(100, fill)});
    return out;
  }

  // Declared after the fixture's store, destroyed before it: TearDown
  // closes the store first.
  metrics::Registry registry_;
};

TEST_F(StoreMetricsTest, CountsRoundsSyncsAndWhatIsOnDisk) {
  EXPECT_EQ(Sample("spate_storage_shard_logs"), 0);
  auto log = Shard();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendSync(*log, Records(2, 'a'), 1000 + i).ok());
  LogStoreStats stats = store_->Stats();
  // One append at a time: three rounds of one batch each.
  EXPECT_EQ(Sample("spate_storage_commit_rounds_total"), 3);
  EXPECT_EQ(Sample("spate_storage_commit_round_batches_count"), 3);
  EXPECT_EQ(Sample("spate_storage_commit_round_batches_bucket{le=\"1\"}"), 3);
  EXPECT_EQ(Sample("spate_storage_acknowledged_batches_total"), 3);
  EXPECT_EQ(Sample("spate_storage_fdatasyncs_total"), static_cast<double>(stats.file_syncs));
  EXPECT_EQ(Sample("spate_storage_fdatasync_seconds_count"), static_cast<double>(stats.file_syncs));
  EXPECT_EQ(Sample("spate_storage_journal_switches_total"), static_cast<double>(stats.journal_switches));
  EXPECT_EQ(Sample("spate_storage_writeback_hints_total"), static_cast<double>(stats.writeback_hints));
  EXPECT_EQ(Sample("spate_storage_page_cache_dropped_bytes_total"), static_cast<double>(stats.cache_dropped_bytes));
  EXPECT_EQ(Sample("spate_storage_shard_logs"), 1);
  EXPECT_EQ(Sample("spate_storage_segments"), 1);
  EXPECT_EQ(stats.segment_bytes, stats.bytes);  // one segment holding every acknowledged batch
  EXPECT_EQ(Sample("spate_storage_segment_bytes"), static_cast<double>(stats.bytes));
}

TEST_F(StoreMetricsTest, JournalSwitchesAndEarlyWritebackAreCounted) {
  options_.segment_bytes = 1 << 20;
  options_.writeback_bytes = 4096;
  Reopen();
  auto log = Shard();
  // 3 KiB batches through the fixture's 96 KiB journal files: it switches,
  // and every 4 KiB of journaled segment data gets a writeback hint.
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(AppendSync(*log, {{"pk", std::string(3 << 10, 'w')}}, 1000 + i).ok());
  }
  LogStoreStats stats = store_->Stats();
  EXPECT_GT(stats.journal_switches, 0u);
  EXPECT_GT(stats.writeback_hints, 0u);
  EXPECT_EQ(Sample("spate_storage_journal_switches_total"), static_cast<double>(stats.journal_switches));
  EXPECT_EQ(Sample("spate_storage_writeback_hints_total"), static_cast<double>(stats.writeback_hints));
}

TEST_F(StoreMetricsTest, SegmentsFollowRollsAcrossShards) {
  auto a = Shard(0);
  auto b = Shard(1);
  // 2 KiB segments (the fixture's): 40 records of 100 bytes roll several times.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendSync(*a, Records(2, 'x'), 1000 + i).ok());
  ASSERT_TRUE(AppendSync(*b, Records(1, 'y'), 2000).ok());
  LogStoreStats stats = store_->Stats();
  EXPECT_EQ(stats.open_logs, 2u);
  EXPECT_GT(stats.segments, 3u);
  EXPECT_EQ(stats.segment_bytes, stats.bytes);
  EXPECT_EQ(Sample("spate_storage_segments"), static_cast<double>(stats.segments));
}

TEST_F(StoreMetricsTest, ClosingTheStoreRemovesItsFamiliesAndReopeningAddsThem) {
  ASSERT_TRUE(AppendSync(*Shard(), Records(1, 'a'), 1000).ok());
  store_.reset();
  EXPECT_EQ(registry_.Scrape().find("spate_storage_"), std::string::npos);
  Reopen();
  EXPECT_EQ(Sample("spate_storage_commit_rounds_total"), 0);  // counts since this open
  EXPECT_EQ(Sample("spate_storage_segments"), 0);             // no log opened yet
  Shard();
  EXPECT_EQ(Sample("spate_storage_segment_bytes"), static_cast<double>(store_->Stats().segment_bytes));
  EXPECT_GT(Sample("spate_storage_segment_bytes").value_or(0), 0);  // recovered from disk
}

// Each acknowledged batch's time in the stages of spate_storage_append_stage_seconds.
class AppendStageTest : public StoreMetricsTest {
 protected:
  // The cumulative count of `stage` at or below `le` (a bucket bound as exposed).
  double Bucket(const std::string& stage, const std::string& le) {
    return Sample("spate_storage_append_stage_seconds_bucket{stage=\"" + stage + "\",le=\"" + le + "\"}").value_or(-1);
  }
  double Count(const std::string& stage) {
    return Sample("spate_storage_append_stage_seconds_count{stage=\"" + stage + "\"}").value_or(-1);
  }
  double Sum(const std::string& stage) {
    return Sample("spate_storage_append_stage_seconds_sum{stage=\"" + stage + "\"}").value_or(-1);
  }
};

TEST_F(AppendStageTest, ASlowSyncIsCountedInTheSyncStageAndWritesInTheWriteStage) {
  auto log = Shard();
  // Every write takes 2 ms and every sync 7 ms of the test's clock: the
  // round writes the segment and the journal record, then syncs the journal.
  fs_->SetLatency(&clock_, 2, 7);
  ASSERT_TRUE(AppendSync(*log, Records(1, 'a'), 1000).ok());
  ASSERT_EQ(store_->Stats().journaled_batches, 1u);
  for (const char* stage : {"admit", "queued", "write", "sync", "acknowledge"}) EXPECT_EQ(Count(stage), 1) << stage;
  EXPECT_EQ(Sum("sync"), 0.007);
  EXPECT_EQ(Bucket("sync", "0.005"), 0);
  EXPECT_EQ(Bucket("sync", "0.0075"), 1);
  EXPECT_EQ(Sum("write"), 0.004);
  // Nothing else moved the clock.
  for (const char* stage : {"admit", "queued", "acknowledge"}) EXPECT_EQ(Sum(stage), 0) << stage;
}

TEST_F(AppendStageTest, AdmitStartsWhenTheRequestWasReceived) {
  auto log = Shard();
  AppendOptions options;
  options.received_ns = clock_.MonotonicNs();
  clock_.AdvanceMs(3);  // decoding and routing the request
  std::promise<Result<AppendResult>> done;
  std::vector<RecordInput> in = {{"pk", "data"}};
  log->Append(in, 1000, options, [&](Result<AppendResult> r) { done.set_value(std::move(r)); });
  ASSERT_TRUE(done.get_future().get().ok());
  EXPECT_EQ(Sum("admit"), 0.003);
  EXPECT_EQ(Bucket("admit", "0.002"), 0);
  EXPECT_EQ(Bucket("admit", "0.003"), 1);
}

TEST_F(AppendStageTest, FailedBatchesAreNotCounted) {
  auto log = Shard();
  ASSERT_TRUE(AppendSync(*log, Records(1, 'a'), 1000).ok());
  fs_->SetFault(testing::FaultInjectionFileSystem::Op::kSync,
                {testing::FaultInjectionFileSystem::Fault::kIoError, 0, 1 << 30, false, ""});
  EXPECT_FALSE(AppendSync(*log, Records(1, 'b'), 1001).ok());
  for (const char* stage : {"admit", "queued", "write", "sync", "acknowledge"}) EXPECT_EQ(Count(stage), 1) << stage;
}

}  // namespace
}  // namespace spate::storage
