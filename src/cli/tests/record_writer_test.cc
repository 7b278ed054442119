#include "cli/record_writer.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

namespace spate::cli {
namespace {

// The one call a RecordWriter makes, answered by a script over an in-memory
// stream: `refuse(call, entry_index, entry)` says which entries fail with
// ProvisionedThroughputExceededException; `call_error` fails whole calls.
// Every other KinesisClient call is refused (the writer must not make it).
class ScriptedPutRecords final : public KinesisClient {
 public:
  std::function<bool(int call, size_t index, const PutRecordsEntry&)> refuse = [](int, size_t, const auto&) {
    return false;
  };
  std::function<std::optional<ApiError>(int call)> call_error = [](int) { return std::nullopt; };

  std::vector<PutRecordsEntry> log;                 // accepted, in acceptance order
  std::vector<std::vector<PutRecordsEntry>> calls;  // every call's entries

  const ClientConfig& config() const override { return config_; }
  Outcome<std::string> CallJson(std::string_view, std::string_view, std::string_view) override { return No(); }
  Outcome<Done> CreateStream(std::string_view, int) override { return No(); }
  Outcome<Done> DeleteStream(std::string_view, bool) override { return No(); }
  Outcome<StreamSummary> DescribeStreamSummary(std::string_view) override { return No(); }
  Outcome<std::vector<std::string>> ListStreams() override { return No(); }
  Outcome<std::vector<Shard>> ListShards(std::string_view) override { return No(); }
  Outcome<Done> UpdateShardCount(std::string_view, int) override { return No(); }
  Outcome<PutRecordResult> PutRecord(std::string_view, const PutRecordsEntry&) override { return No(); }
  Outcome<std::string> GetShardIterator(std::string_view, std::string_view, const IteratorPosition&) override {
    return No();
  }
  Outcome<GetRecordsResult> GetRecords(std::string_view, int) override { return No(); }

  Outcome<PutRecordsResult> PutRecords(std::string_view stream, const std::vector<PutRecordsEntry>& entries) override {
    EXPECT_EQ(stream, "s");
    int call = static_cast<int>(calls.size());
    calls.push_back(entries);
    if (auto e = call_error(call); e.has_value()) return *e;
    PutRecordsResult r;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (refuse(call, i, entries[i])) {
        ++r.failed_record_count;
        r.records.push_back({"", "", "ProvisionedThroughputExceededException", "Rate exceeded for shard"});
      } else {
        log.push_back(entries[i]);
        r.records.push_back({"shardId-000000000000", std::to_string(log.size()), "", ""});
      }
    }
    return r;
  }

 private:
  static ApiError No() { return ApiError{"UnexpectedCall", "", 0}; }
  ClientConfig config_;
};

PutRecordsEntry Entry(std::string key, std::string data) {
  return PutRecordsEntry{std::move(data), std::move(key), ""};
}

class RecordWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordWriter> Writer() {
    return MakeRecordWriter(service_, "s", [this](int64_t ms) { sleeps_.push_back(ms); });
  }
  // The data of each key's accepted records, in acceptance order.
  std::map<std::string, std::vector<std::string>> ByKey() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : service_.log) out[e.partition_key].push_back(e.data);
    return out;
  }

  ScriptedPutRecords service_;
  std::vector<int64_t> sleeps_;
};

TEST_F(RecordWriterTest, DistinctKeysShareOneCallInOrder) {
  auto w = Writer();
  for (int i = 0; i < 499; ++i) w->Add(Entry("k" + std::to_string(i), "d" + std::to_string(i)));
  EXPECT_TRUE(service_.calls.empty());  // below a call's worth: still queued
  EXPECT_TRUE(w->has_pending());
  w->Flush();
  ASSERT_EQ(service_.calls.size(), 1u);
  ASSERT_EQ(service_.log.size(), 499u);
  for (int i = 0; i < 499; ++i) EXPECT_EQ(service_.log[i].data, "d" + std::to_string(i));
  EXPECT_EQ(w->report().put, 499);
  EXPECT_EQ(w->report().failed, 0);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RecordWriterTest, FiveHundredRecordsSendACall) {
  auto w = Writer();
  for (int i = 0; i < 1200; ++i) w->Add(Entry("k" + std::to_string(i), "d"));
  EXPECT_EQ(service_.calls.size(), 2u);  // sent as soon as 500 are queued
  w->Flush();
  ASSERT_EQ(service_.calls.size(), 3u);
  EXPECT_EQ(service_.calls[0].size(), 500u);
  EXPECT_EQ(service_.calls[2].size(), 200u);
}

TEST_F(RecordWriterTest, CallsStayUnderFiveMiB) {
  auto w = Writer();
  const std::string mib(1024 * 1024, 'x');
  for (int i = 0; i < 12; ++i) w->Add(Entry("k" + std::to_string(i), mib));
  w->Flush();
  size_t total = 0;
  for (const auto& call : service_.calls) {
    size_t bytes = 0;
    for (const auto& e : call) bytes += e.data.size() + e.partition_key.size();
    EXPECT_LE(bytes, 5u * 1024 * 1024);
    total += call.size();
  }
  EXPECT_EQ(total, 12u);
  EXPECT_EQ(w->report().put, 12);
}

TEST_F(RecordWriterTest, SameKeyRecordsNeverShareACall) {
  auto w = Writer();
  w->Add(Entry("a", "1"));
  w->Add(Entry("b", "x"));
  w->Add(Entry("a", "2"));
  w->Add(Entry("a", "3"));
  w->Flush();
  for (const auto& call : service_.calls) {
    std::set<std::string> keys;
    for (const auto& e : call) EXPECT_TRUE(keys.insert(e.partition_key).second);
  }
  EXPECT_EQ(ByKey()["a"], (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(RecordWriterTest, PartialFailuresAreRetriedKeepingOrderPerKey) {
  // The first three calls refuse every other entry: the refused record must
  // land before any later record of its key.
  service_.refuse = [](int call, size_t index, const PutRecordsEntry&) { return call < 3 && index % 2 == 0; };
  auto w = Writer();
  std::map<std::string, std::vector<std::string>> want;
  for (int i = 0; i < 300; ++i) {
    std::string key = "k" + std::to_string(i % 7);
    std::string data = std::to_string(i);
    want[key].push_back(data);
    w->Add(Entry(key, data));
  }
  w->Flush();
  EXPECT_EQ(ByKey(), want);
  EXPECT_EQ(w->report().put, 300);
  EXPECT_EQ(w->report().failed, 0);
  EXPECT_FALSE(sleeps_.empty());  // backed off after the refusals
}

TEST_F(RecordWriterTest, RetryableCallErrorsAreRetried) {
  service_.call_error = [](int call) -> std::optional<ApiError> {
    if (call < 2) return ApiError{"ServiceUnavailableException", "busy", 503};
    return std::nullopt;
  };
  auto w = Writer();
  w->Add(Entry("a", "1"));
  w->Flush();
  EXPECT_EQ(service_.calls.size(), 3u);
  EXPECT_EQ(w->report().put, 1);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_LE(sleeps_[0], sleeps_[1]);  // [100, 200] ms, then [200, 400] ms: doubling while nothing gets through
}

TEST_F(RecordWriterTest, SpentRetryBudgetIsCountedNotDropped) {
  service_.refuse = [](int, size_t, const PutRecordsEntry&) { return true; };
  auto w = Writer();
  for (int i = 0; i < 3; ++i) w->Add(Entry("k" + std::to_string(i), "d"));
  w->Flush();
  EXPECT_EQ(w->report().put, 0);
  EXPECT_EQ(w->report().failed, 3);
  EXPECT_EQ(w->report().last_error, "ProvisionedThroughputExceededException: Rate exceeded for shard");
  EXPECT_FALSE(w->has_pending());
  for (int64_t ms : sleeps_) EXPECT_LE(ms, 2000);
  EXPECT_GE(service_.calls.size(), 10u);
}

TEST_F(RecordWriterTest, RefusedCallFailsEveryRecordWithoutRetrying) {
  service_.call_error = [](int) -> std::optional<ApiError> {
    return ApiError{"ResourceNotFoundException", "Stream s not found.", 400};
  };
  auto w = Writer();
  w->Add(Entry("a", "1"));
  w->Add(Entry("b", "2"));
  w->Flush();
  w->Add(Entry("c", "3"));  // after the refusal: failed without a call
  w->Flush();
  EXPECT_EQ(service_.calls.size(), 1u);
  EXPECT_EQ(w->report().failed, 3);
  EXPECT_EQ(w->report().put, 0);
  EXPECT_EQ(w->report().last_error, "ResourceNotFoundException: Stream s not found.");
  EXPECT_TRUE(sleeps_.empty());
}

}  // namespace
}  // namespace spate::cli
