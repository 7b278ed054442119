// Data Streams metrics through the registry: what Put and GetRecords count,
// shard-level series following EnableEnhancedMonitoring, and series going
// away with their stream. Read back from the exposition text, as a scrape
// sees them.

#include <optional>
#include <set>
#include <string>

#include "metrics/registry.h"
#include "registry_fixture.h"

namespace spate::streams {
namespace {

class StreamMetricsTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    RegistryOptions ro;
    ro.metrics = &metrics_;
    OpenRegistry(ro);
  }

  // The value of the sample `name{<ref_'s labels><extra>}`, or nullopt when
  // the scrape has no such series.
  std::optional<double> Sample(const std::string& name, const std::string& extra = "") {
    std::string prefix = name + "{account=\"" + ref_.account + "\",region=\"" + ref_.region + "\",stream_name=\"" +
                         ref_.name + "\"" + extra + "} ";
    std::string text = metrics_.Scrape();
    size_t at = text.find("\n" + prefix);
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + 1 + prefix.size()));
  }

  void SetShardLevelMetrics(std::set<std::string> names) {
    ASSERT_TRUE(registry_
                    ->UpdateStream(ref_,
                                   [&](metadata::StreamMeta& m) {
                                     m.shard_level_metrics = names;
                                     return Status::Ok();
                                   })
                    .ok());
  }

  static Status Throttle(const Stream&) { return Status(ErrorCode::kThroughputExceeded, "injected"); }

  metrics::Registry metrics_;  // outlives the registry (declared before it is opened)
};

TEST_F(StreamMetricsTest, SeriesAppearAtZeroWhenTheStreamIsCreated) {
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), std::nullopt);
  CreateActive(ref_, 2);
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 0);
  EXPECT_EQ(Sample("spate_kinesis_put_record_latency_seconds_count"), 0);
  // No shard-level series until enhanced monitoring selects them.
  EXPECT_EQ(metrics_.Scrape().find("spate_kinesis_shard_incoming_records_total{"), std::string::npos);
}

TEST_F(StreamMetricsTest, PutCountsDurableRecordsAndTheirBytes) {
  CreateActive(ref_, 2);
  auto r = TryPut(ref_, {{"a", "12345", std::nullopt}, {"bb", "1", std::nullopt}, {"ccc", "", std::nullopt}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 3);
  EXPECT_EQ(Sample("spate_kinesis_incoming_bytes_total"), 5 + 1 + 2 + 1 + 3);
  EXPECT_EQ(Sample("spate_kinesis_write_provisioned_throughput_exceeded_total"), 0);
}

TEST_F(StreamMetricsTest, ThrottledEntriesAreCountedNotIncoming) {
  CreateActive(ref_, 1);
  SetShardLevelMetrics({"WriteProvisionedThroughputExceeded"});
  auto r = TryPut(ref_, {{"a", "x", std::nullopt}, {"b", "y", std::nullopt}}, Throttle);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].status.code(), ErrorCode::kThroughputExceeded);
  EXPECT_EQ(Sample("spate_kinesis_write_provisioned_throughput_exceeded_total"), 2);
  EXPECT_EQ(
      Sample("spate_kinesis_shard_write_provisioned_throughput_exceeded_total", ",shard_id=\"shardId-000000000000\""),
      2);
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 0);
}

TEST_F(StreamMetricsTest, GetRecordsCountsRecordsBytesAndIteratorAge) {
  CreateActive(ref_, 1);
  ASSERT_TRUE(TryPut(ref_, {{"k", "abc", std::nullopt}, {"k", "de", std::nullopt}}).ok());
  clock_.AdvanceMs(3'000);
  // One record of two: 3 s behind the tip.
  auto r = registry_->GetRecords(IteratorAt(ref_, 0, 0), 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->millis_behind_latest, 3'000);
  EXPECT_EQ(Sample("spate_kinesis_get_records_records_total"), 1);
  EXPECT_EQ(Sample("spate_kinesis_get_records_bytes_total"), 4);
  EXPECT_EQ(Sample("spate_kinesis_get_records_iterator_age_seconds_bucket", ",le=\"0\""), 0);
  EXPECT_EQ(Sample("spate_kinesis_get_records_iterator_age_seconds_bucket", ",le=\"5\""), 1);
  EXPECT_EQ(Sample("spate_kinesis_get_records_iterator_age_seconds_sum"), 3);
  EXPECT_EQ(r->metrics.get(), registry_->Find(ref_).stream->metrics().get());  // for the handler's latency
  // Throttled reads count as ReadProvisionedThroughputExceeded, nothing else.
  EXPECT_EQ(registry_->GetRecords(IteratorAt(ref_, 0, 0), 10, {}, Throttle).status().code(),
            ErrorCode::kThroughputExceeded);
  EXPECT_EQ(Sample("spate_kinesis_read_provisioned_throughput_exceeded_total"), 1);
  EXPECT_EQ(Sample("spate_kinesis_get_records_records_total"), 1);
}

TEST_F(StreamMetricsTest, ShardLevelSeriesFollowEnhancedMonitoring) {
  CreateActive(ref_, 2);
  SetShardLevelMetrics({"IncomingRecords", "OutgoingBytes", "IteratorAgeMilliseconds"});
  const std::string shard0 = ",shard_id=\"shardId-000000000000\"", shard1 = ",shard_id=\"shardId-000000000001\"";
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_records_total", shard0), 0);
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_records_total", shard1), 0);
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_bytes_total", shard0), std::nullopt);  // not selected

  // Partition keys that land on each shard (MD5 below / above 2^127).
  std::vector<PutEntry> entries;
  for (int i = 0; i < 20; ++i) entries.push_back({"key-" + std::to_string(i), "v", std::nullopt});
  auto r = TryPut(ref_, entries);
  ASSERT_TRUE(r.ok());
  double on0 = 0, on1 = 0, bytes1 = 0;
  for (size_t i = 0; i < r->size(); ++i) {
    bool first = (*r)[i].shard.value == 0;
    (first ? on0 : on1) += 1;
    if (!first) bytes1 += static_cast<double>(entries[i].partition_key.size() + entries[i].data.size());
  }
  ASSERT_GT(on0, 0);
  ASSERT_GT(on1, 0);
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_records_total", shard0), on0);
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_records_total", shard1), on1);

  auto read = registry_->GetRecords(IteratorAt(ref_, 1, 0), 10'000);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Sample("spate_kinesis_shard_outgoing_bytes_total", shard1), bytes1);
  EXPECT_EQ(Sample("spate_kinesis_shard_iterator_age_milliseconds", shard1), 0);

  // Counts survive a change of the selection; deselected metrics vanish.
  SetShardLevelMetrics({"IncomingRecords"});
  EXPECT_EQ(Sample("spate_kinesis_shard_incoming_records_total", shard0), on0);
  EXPECT_EQ(Sample("spate_kinesis_shard_outgoing_bytes_total", shard1), std::nullopt);
  EXPECT_EQ(Sample("spate_kinesis_shard_iterator_age_milliseconds", shard1), std::nullopt);
  SetShardLevelMetrics({});
  EXPECT_EQ(metrics_.Scrape().find("shard_id="), std::string::npos);
}

TEST_F(StreamMetricsTest, DeletedStreamLeavesNoSeriesAndACreatedOneStartsAtZero) {
  CreateActive(ref_, 1);
  SetShardLevelMetrics({"IncomingRecords"});
  ASSERT_TRUE(TryPut(ref_, {{"a", "x", std::nullopt}}).ok());
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 1);
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  Settle();
  EXPECT_EQ(metrics_.Scrape().find("stream_name=\"orders\""), std::string::npos);
  CreateActive(ref_, 1);
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 0);
}

TEST_F(StreamMetricsTest, SameNameInTwoAccountsAreTwoSeries) {
  CreateActive(ref_, 1);
  StreamRef other{"111111111111", ref_.region, ref_.name};
  CreateActive(other, 1);
  ASSERT_TRUE(TryPut(other, {{"a", "x", std::nullopt}}).ok());
  EXPECT_EQ(Sample("spate_kinesis_incoming_records_total"), 0);
  EXPECT_NE(metrics_.Scrape().find("spate_kinesis_incoming_records_total{account=\"111111111111\",region=\"us-east-1\","
                                   "stream_name=\"orders\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace spate::streams
