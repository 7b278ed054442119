// The put path of `spate put` over spate::Producer and the producer's fake
// KinesisClient (src/producer/tests/fake_kinesis.h): aggregation, the plain
// mode, order per key across throttling, and failures counted, never dropped.

#include "cli/record_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "producer/tests/fake_kinesis.h"
#include "spate/aggregation.h"

namespace spate::cli {
namespace {

using namespace std::chrono_literals;
using producer::testing::FakeKinesis;

// Every call refused as for a stream that does not exist; counts the calls.
class MissingStream final : public KinesisClient {
 public:
  std::atomic<int> calls{0};
  const ClientConfig& config() const override { return config_; }
  Outcome<std::string> CallJson(std::string_view, std::string_view, std::string_view) override { return No(); }
  Outcome<Done> CreateStream(std::string_view, int) override { return No(); }
  Outcome<Done> DeleteStream(std::string_view, bool) override { return No(); }
  Outcome<StreamSummary> DescribeStreamSummary(std::string_view) override { return No(); }
  Outcome<std::vector<std::string>> ListStreams() override { return No(); }
  Outcome<std::vector<Shard>> ListShards(std::string_view) override { return No(); }
  Outcome<Done> UpdateShardCount(std::string_view, int) override { return No(); }
  Outcome<PutRecordResult> PutRecord(std::string_view, const PutRecordsEntry&) override { return No(); }
  Outcome<PutRecordsResult> PutRecords(std::string_view, const std::vector<PutRecordsEntry>&) override { return No(); }
  Outcome<std::string> GetShardIterator(std::string_view, std::string_view, const IteratorPosition&) override {
    return No();
  }
  Outcome<GetRecordsResult> GetRecords(std::string_view, int) override { return No(); }

 private:
  ApiError No() {
    ++calls;
    return ApiError{"ResourceNotFoundException", "Stream s under account 000000000000 not found.", 400};
  }
  ClientConfig config_;
};

PutRecordsEntry Entry(std::string key, std::string data) {
  return PutRecordsEntry{std::move(data), std::move(key), ""};
}

ProducerConfig FastConfig(bool aggregate) {
  ProducerConfig c = CliProducerConfig(aggregate);
  c.min_backoff = 1ms;
  c.max_backoff = 4ms;
  return c;
}

std::unique_ptr<RecordWriter> Writer(std::shared_ptr<KinesisClient> client, ProducerConfig config) {
  Outcome<std::unique_ptr<RecordWriter>> w = MakeRecordWriter(std::move(client), "s", config);
  EXPECT_TRUE(w.ok());
  return std::move(w).value();
}

// The user records the fake stored, de-aggregated, by partition key in order.
std::map<std::string, std::vector<std::string>> UserRecordsByKey(const FakeKinesis& fake) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& s : fake.stored()) {
    for (const UserRecord& u : Deaggregate(s.entry.data, s.entry.partition_key, s.entry.explicit_hash_key)) {
      out[u.partition_key].push_back(u.data);
    }
  }
  return out;
}

TEST(RecordWriterTest, AggregatesRecordsIntoFewKinesisRecords) {
  auto fake = std::make_shared<FakeKinesis>(2);
  auto w = Writer(fake, FastConfig(true));
  for (int i = 0; i < 1000; ++i) w->Add(Entry("k" + std::to_string(i), "d" + std::to_string(i)));
  w->Flush();
  const RecordWriter::Report r = w->report();
  EXPECT_EQ(r.put, 1000);
  EXPECT_EQ(r.failed, 0);
  const size_t kinesis = fake->stored().size();
  EXPECT_LT(kinesis, 100u);
  EXPECT_EQ(r.kinesis_records, kinesis);
  auto by_key = UserRecordsByKey(*fake);
  ASSERT_EQ(by_key.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(by_key["k" + std::to_string(i)], std::vector<std::string>{"d" + std::to_string(i)});
}

TEST(RecordWriterTest, NoAggregateSendsOneKinesisRecordPerRecord) {
  auto fake = std::make_shared<FakeKinesis>(2);
  auto w = Writer(fake, FastConfig(false));
  for (int i = 0; i < 60; ++i) w->Add(Entry("k" + std::to_string(i % 7), "d" + std::to_string(i)));
  w->Flush();
  EXPECT_EQ(w->report().put, 60);
  ASSERT_EQ(fake->stored().size(), 60u);
  for (const auto& s : fake->stored()) EXPECT_FALSE(IsAggregated(s.entry.data));
}

TEST(RecordWriterTest, ThrottledRecordsAreRetriedKeepingOrderPerKey) {
  auto fake = std::make_shared<FakeKinesis>(4);
  fake->entry_error = [](int call, size_t) {
    return call % 3 != 2 ? std::string("ProvisionedThroughputExceededException") : std::string();
  };
  auto w = Writer(fake, FastConfig(true));
  std::map<std::string, std::vector<std::string>> sent;
  for (int i = 0; i < 500; ++i) {
    std::string key = "k" + std::to_string(i % 5);
    sent[key].push_back(std::to_string(i));
    w->Add(Entry(key, std::to_string(i)));
  }
  w->Flush();
  EXPECT_EQ(w->report().put, 500);
  EXPECT_EQ(w->report().failed, 0);
  EXPECT_EQ(UserRecordsByKey(*fake), sent);
}

TEST(RecordWriterTest, RefusedCallsAreCountedWithTheErrorAndStopSending) {
  auto fake = std::make_shared<FakeKinesis>(1);
  fake->call_error = [](int) { return ApiError{"AccessDeniedException", "not allowed", 400}; };
  auto w = Writer(fake, FastConfig(true));
  for (int i = 0; i < 10; ++i) w->Add(Entry("k", "d"));
  w->Flush();
  const int calls = fake->put_calls();
  for (int i = 0; i < 10; ++i) w->Add(Entry("k", "d"));
  w->Flush();
  EXPECT_EQ(w->report().put, 0);
  EXPECT_EQ(w->report().failed, 20);
  EXPECT_EQ(w->report().last_error, "AccessDeniedException: not allowed");
  EXPECT_EQ(fake->put_calls(), calls);  // nothing sent after a stream-wide refusal
  EXPECT_TRUE(fake->stored().empty());
}

TEST(RecordWriterTest, MissingStreamFailsEveryRecord) {
  auto missing = std::make_shared<MissingStream>();
  auto w = Writer(missing, FastConfig(true));
  for (int i = 0; i < 3; ++i) w->Add(Entry("k" + std::to_string(i), "d"));
  w->Flush();
  EXPECT_EQ(w->report().failed, 3);
  EXPECT_EQ(w->report().last_error.rfind("ResourceNotFoundException: ", 0), 0u) << w->report().last_error;
}

TEST(RecordWriterTest, OversizedRecordFailsAloneAndTheRestArePut) {
  auto fake = std::make_shared<FakeKinesis>(1);
  auto w = Writer(fake, FastConfig(true));
  w->Add(Entry("a", "first"));
  w->Add(Entry("b", std::string(kMaxRecordSize, 'x')));  // data + key over 1 MiB
  w->Add(Entry("c", "last"));
  w->Flush();
  EXPECT_EQ(w->report().put, 2);
  EXPECT_EQ(w->report().failed, 1);
  EXPECT_EQ(w->report().last_error.rfind("ValidationException: ", 0), 0u) << w->report().last_error;
  auto by_key = UserRecordsByKey(*fake);
  EXPECT_EQ(by_key["a"], std::vector<std::string>{"first"});
  EXPECT_EQ(by_key["c"], std::vector<std::string>{"last"});
  EXPECT_FALSE(by_key.contains("b"));
}

}  // namespace
}  // namespace spate::cli
