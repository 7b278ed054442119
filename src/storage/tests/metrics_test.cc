// The store's metrics: registered in LogStoreOptions::metrics at open,
// counting what the writer did and what is on disk, removed at close.

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
  EXPECT_EQ(Sample("spate_storage_shard_logs"), 1);
  EXPECT_EQ(Sample("spate_storage_segments"), 1);
  EXPECT_EQ(stats.segment_bytes, stats.bytes);  // one segment holding every acknowledged batch
  EXPECT_EQ(Sample("spate_storage_segment_bytes"), static_cast<double>(stats.bytes));
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

}  // namespace
}  // namespace spate::storage
