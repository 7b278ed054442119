// The producer's engine driven by hand: a fake clock (plain integers), calls
// answered by a FakeKinesis or by scripted answers. No threads, no sleeps.
#include "producer/engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "fake_kinesis.h"
#include "spate/aggregation.h"

namespace spate::producer {
namespace {

using testing::EvenShards;
using testing::FakeKinesis;

constexpr int64_t kMs = 1'000'000;

class EngineTest : public ::testing::Test {
 protected:
  void Make(ProducerConfig config = {}) { engine_ = std::make_unique<Engine>(config); }

  std::future<PutOutcome> Put(const std::string& pk, const std::string& data, const std::string& ehk = "") {
    auto r = std::make_unique<UserRecordState>();
    r->id = ++id_;
    r->partition_key = pk;
    r->data = data;
    r->explicit_hash_key = ehk;
    r->hash = ehk.empty() ? util::PartitionKeyHash(pk) : *util::ParseDecimal128(ehk);
    r->put_ns = now_;
    r->deadline_ns = now_ + 30'000 * kMs;
    auto f = r->promise.get_future();
    (void)engine_->Enqueue("s", std::move(r));
    return f;
  }

  // Polls; answers ListShards from `fake` at once; returns the PutRecords calls.
  std::vector<Work> Poll(FakeKinesis& fake) {
    std::vector<Work> puts;
    for (Work& w : engine_->Poll(now_, &done_)) {
      if (w.kind == Work::Kind::kListShards) {
        engine_->CompleteListShards(std::move(w), fake.ListShards("s"), now_, &done_);
        for (Work& w2 : engine_->Poll(now_, &done_)) puts.push_back(std::move(w2));
      } else {
        puts.push_back(std::move(w));
      }
    }
    return puts;
  }
  void Answer(Work w, FakeKinesis& fake) {
    auto result = fake.PutRecords(w.stream, w.entries);
    engine_->CompletePutRecords(std::move(w), std::move(result), now_, &done_);
  }
  // Runs until nothing is buffered or `limit_ms` of fake time passed.
  void Drain(FakeKinesis& fake, int64_t limit_ms = 60'000) {
    for (int64_t end = now_ + limit_ms * kMs; engine_->buffered_records() > 0 && now_ < end;) {
      std::vector<Work> puts = Poll(fake);
      for (Work& w : puts) Answer(std::move(w), fake);
      if (puts.empty()) now_ = std::max(now_ + kMs, std::min(engine_->NextWakeNs(), end));
    }
    Fulfil();
  }
  void Fulfil() {
    for (Completion& c : done_) c.record->promise.set_value(std::move(c.outcome));
    done_.clear();
  }

  // Every user record the fake stored, per partition key, in stream order.
  static std::map<std::string, std::vector<std::string>> ByKey(const FakeKinesis& fake) {
    std::map<std::string, std::vector<std::string>> out;
    for (const testing::Stored& s : fake.stored()) {
      for (UserRecord& u : Deaggregate(s.entry.data, s.entry.partition_key, s.entry.explicit_hash_key)) {
        out[u.partition_key].push_back(u.data);
      }
    }
    return out;
  }

  std::unique_ptr<Engine> engine_;
  std::vector<Completion> done_;
  int64_t now_ = 1'000 * kMs;
  uint64_t id_ = 0;
};

TEST_F(EngineTest, AsksForTheShardMapFirst) {
  Make();
  FakeKinesis fake(2);
  (void)Put("k", "v");
  std::vector<Work> works = engine_->Poll(now_, &done_);
  ASSERT_EQ(works.size(), 1u);
  EXPECT_EQ(works[0].kind, Work::Kind::kListShards);
  EXPECT_TRUE(engine_->Poll(now_, &done_).empty());  // one ListShards at a time
}

TEST_F(EngineTest, AggregatesPerShardAfterTheBufferedTime) {
  Make();
  FakeKinesis fake(4);
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(Put("key-" + std::to_string(i), "data-" + std::to_string(i)));
  EXPECT_TRUE(Poll(fake).empty());  // RecordMaxBufferedTime (100 ms) has not passed
  EXPECT_EQ(engine_->NextWakeNs(), now_ + 100 * kMs);
  now_ += 100 * kMs;
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);             // one PutRecords call...
  ASSERT_EQ(puts[0].entries.size(), 4u);  // ...with one aggregate per shard
  for (Work& w : puts) Answer(std::move(w), fake);
  Fulfil();
  std::vector<testing::Stored> stored = fake.stored();
  ASSERT_EQ(stored.size(), 4u);
  size_t users = 0;
  for (const testing::Stored& s : stored) {
    for (const UserRecord& u : Deaggregate(s.entry.data, s.entry.partition_key, s.entry.explicit_hash_key)) {
      ++users;
      // Every user record in an aggregate belongs to the shard it landed on.
      const std::vector<Shard> shards = EvenShards(4);
      const util::uint128 h = util::PartitionKeyHash(u.partition_key);
      for (const Shard& sh : shards) {
        if (sh.shard_id == s.shard_id) {
          EXPECT_GE(h, *util::ParseDecimal128(sh.hash_key_range.starting_hash_key));
          EXPECT_LE(h, *util::ParseDecimal128(sh.hash_key_range.ending_hash_key));
        }
      }
    }
  }
  EXPECT_EQ(users, 200u);
  for (auto& f : futures) {
    PutOutcome o = f.get();
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(o.value().aggregated);
    EXPECT_EQ(o.value().attempts, 1);
  }
  EXPECT_EQ(engine_->buffered_records(), 0u);
}

TEST_F(EngineTest, AFullAggregateGoesWithoutWaiting) {
  ProducerConfig c;
  c.aggregation_max_size = 1000;
  Make(c);
  FakeKinesis fake(1);
  for (int i = 0; i < 30; ++i) (void)Put("k", std::string(50, 'x'));
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_LE(puts[0].entries[0].data.size(), 1000u);
  EXPECT_GT(puts[0].sent[0].records.size(), 10u);
  EXPECT_LT(puts[0].sent[0].records.size(), 30u);
}

TEST_F(EngineTest, OneCallInFlightPerShard) {
  Make();
  FakeKinesis fake(1);
  (void)Put("k", "1");
  engine_->FlushAll();
  std::vector<Work> first = Poll(fake);
  ASSERT_EQ(first.size(), 1u);
  (void)Put("k", "2");
  engine_->FlushAll();
  EXPECT_TRUE(Poll(fake).empty());
  Answer(std::move(first[0]), fake);
  EXPECT_EQ(Poll(fake).size(), 1u);
}

TEST_F(EngineTest, OrderPerKeyHoldsAcrossAPartialFailure) {
  ProducerConfig c;
  c.aggregation_max_size = 600;  // several aggregates per shard
  Make(c);
  FakeKinesis fake(2);
  // Fail the first entry of every other call: a shard's aggregate is refused
  // while the other shard's in the same call succeeds.
  fake.entry_error = [](int call, size_t index) {
    return call % 2 == 0 && index == 0 ? "ProvisionedThroughputExceededException" : "";
  };
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 300; ++i) futures.push_back(Put("key-" + std::to_string(i % 5), std::to_string(i)));
  Drain(fake);
  ASSERT_EQ(engine_->buffered_records(), 0u);
  std::map<std::string, std::vector<std::string>> by_key = ByKey(fake);
  size_t total = 0;
  for (auto& [key, values] : by_key) {
    total += values.size();
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(std::stoi(values[i - 1]), std::stoi(values[i])) << key;
  }
  EXPECT_EQ(total, 300u);  // nothing lost, nothing twice
  int retried = 0;
  for (auto& f : futures) {
    PutOutcome o = f.get();
    ASSERT_TRUE(o.ok());
    if (o.value().attempts > 1) ++retried;
  }
  EXPECT_GT(retried, 0);
  EXPECT_GT(engine_->counters().retries, 0u);
  EXPECT_GT(engine_->counters().throttled, 0u);
}

TEST_F(EngineTest, AThrottledCallIsRetriedAfterBackoff) {
  ProducerConfig c;
  c.min_backoff = std::chrono::milliseconds(100);
  Make(c);
  FakeKinesis fake(1);
  fake.call_error = [](int call) -> std::optional<ApiError> {
    if (call == 0) return ApiError{"ProvisionedThroughputExceededException", "slow down", 400};
    return std::nullopt;
  };
  auto f = Put("k", "v");
  engine_->FlushAll();
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  Answer(std::move(puts[0]), fake);
  EXPECT_TRUE(Poll(fake).empty());  // backing off
  const int64_t wake = engine_->NextWakeNs();
  EXPECT_GE(wake, now_ + 50 * kMs);  // jitter keeps it in [min/2, min]
  EXPECT_LE(wake, now_ + 100 * kMs);
  now_ = wake;
  puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  Answer(std::move(puts[0]), fake);
  Fulfil();
  PutOutcome o = f.get();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().attempts, 2);
  EXPECT_EQ(engine_->counters().retries, 1u);
}

TEST_F(EngineTest, ANonRetryableErrorFailsTheRecords) {
  Make();
  FakeKinesis fake(1);
  fake.entry_error = [](int, size_t) { return "KMSAccessDeniedException"; };
  auto f = Put("k", "v");
  engine_->FlushAll();
  Drain(fake);
  PutOutcome o = f.get();
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().type, "KMSAccessDeniedException");
}

TEST_F(EngineTest, AMissingStreamFailsItsRecords) {
  Make();
  auto f = Put("k", "v");
  std::vector<Work> works = engine_->Poll(now_, &done_);
  ASSERT_EQ(works.size(), 1u);
  engine_->CompleteListShards(std::move(works[0]),
                              ApiError{"ResourceNotFoundException", "Stream s under account 0 not found.", 400}, now_,
                              &done_);
  Fulfil();
  PutOutcome o = f.get();
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().type, "ResourceNotFoundException");
}

TEST_F(EngineTest, RecordsExpireWithTheirLastErrorAfterTheirTtl) {
  Make();
  FakeKinesis fake(1);
  fake.call_error = [](int) -> std::optional<ApiError> {
    return ApiError{"ProvisionedThroughputExceededException", "always", 400};
  };
  auto f = Put("k", "v");
  engine_->FlushAll();
  Drain(fake, 40'000);
  PutOutcome o = f.get();
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().type, "ProvisionedThroughputExceededException");
  EXPECT_NE(o.error().message.find("TTL"), std::string::npos);
  EXPECT_GT(fake.put_calls(), 5);
}

TEST_F(EngineTest, StaysUnderTheShardRecordRate) {
  ProducerConfig c;
  c.aggregation_enabled = false;
  Make(c);
  FakeKinesis fake(1);
  for (int i = 0; i < 5000; ++i) (void)Put("k" + std::to_string(i), "v");
  engine_->FlushAll();
  std::vector<int64_t> sent_at;
  const int64_t start = now_;
  while (engine_->buffered_records() > 0 && now_ < start + 10'000 * kMs) {
    std::vector<Work> puts = Poll(fake);
    for (Work& w : puts) {
      sent_at.insert(sent_at.end(), w.entries.size(), now_);
      Answer(std::move(w), fake);
    }
    if (puts.empty()) now_ = std::max(now_ + 1, engine_->NextWakeNs());
  }
  Fulfil();
  ASSERT_EQ(sent_at.size(), 5000u);
  // The bucket starts full (one second's worth); after that, 1,000 per second.
  for (size_t i = 2000; i < sent_at.size(); ++i) EXPECT_GE(sent_at[i] - sent_at[i - 1000], 999 * kMs) << i;
  EXPECT_GT(engine_->counters().rate_limited_waits, 0u);
}

TEST_F(EngineTest, StaysUnderTheShardByteRate) {
  ProducerConfig c;
  c.aggregation_max_size = 1024 * 1024;
  c.record_max_buffered_time = std::chrono::milliseconds(0);
  Make(c);
  FakeKinesis fake(1);
  for (int i = 0; i < 40; ++i) (void)Put("k", std::string(256 * 1024, 'b'));
  Drain(fake);
  const EngineCounters& cnt = engine_->counters();
  EXPECT_GE(cnt.kinesis_bytes_put, 10u * 1024 * 1024);
  // 10 MiB at 1 MiB/s after a first full second: at least 9 s of fake time.
  EXPECT_GE(now_ - 1'000 * kMs, 8'900 * kMs);
}

TEST_F(EngineTest, AggregationOffSendsPlainRecords) {
  ProducerConfig c;
  c.aggregation_enabled = false;
  Make(c);
  FakeKinesis fake(1);
  auto f = Put("k", "plain", "123");
  Drain(fake);
  ASSERT_EQ(fake.stored().size(), 1u);
  EXPECT_EQ(fake.stored()[0].entry.data, "plain");
  EXPECT_EQ(fake.stored()[0].entry.explicit_hash_key, "123");
  EXPECT_FALSE(f.get().value().aggregated);
}

TEST_F(EngineTest, AggregationOffPacksAShardsDistinctKeysIntoOneCall) {
  ProducerConfig c;
  c.aggregation_enabled = false;
  Make(c);
  FakeKinesis fake(1);
  for (int i = 0; i < 100; ++i) (void)Put("key-" + std::to_string(i), "v");
  engine_->FlushAll();
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].entries.size(), 100u);
}

TEST_F(EngineTest, AggregationOffSendsAKeyOncePerCall) {
  ProducerConfig c;
  c.aggregation_enabled = false;
  Make(c);
  FakeKinesis fake(1);
  (void)Put("a", "1");
  (void)Put("b", "2");
  (void)Put("a", "3");
  (void)Put("c", "4");
  engine_->FlushAll();
  std::vector<Work> first = Poll(fake);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].entries.size(), 2u);  // a, b; the second a (and what follows it) waits
  EXPECT_TRUE(Poll(fake).empty());         // one call in flight per shard
  Answer(std::move(first[0]), fake);
  std::vector<Work> second = Poll(fake);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_EQ(second[0].entries.size(), 2u);
  EXPECT_EQ(second[0].entries[0].data, "3");
  EXPECT_EQ(second[0].entries[1].data, "4");
}

TEST_F(EngineTest, AggregationOffKeepsOrderPerKeyAcrossPartialFailures) {
  ProducerConfig c;
  c.aggregation_enabled = false;
  Make(c);
  FakeKinesis fake(2);
  // Every third entry of every other call is throttled.
  fake.entry_error = [](int call, size_t index) {
    return call % 2 == 0 && index % 3 == 0 ? "ProvisionedThroughputExceededException" : "";
  };
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 600; ++i) futures.push_back(Put("key-" + std::to_string(i % 17), std::to_string(i)));
  Drain(fake);
  ASSERT_EQ(engine_->buffered_records(), 0u);
  size_t total = 0;
  for (auto& [key, values] : ByKey(fake)) {
    total += values.size();
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(std::stoi(values[i - 1]), std::stoi(values[i])) << key;
  }
  EXPECT_EQ(total, 600u);  // nothing lost, nothing twice
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  EXPECT_GT(engine_->counters().retries, 0u);
  EXPECT_LT(engine_->counters().put_records_calls, 300u);  // several records a call, not one
}

TEST_F(EngineTest, CollectionLimitsSplitCalls) {
  ProducerConfig c;
  c.collection_max_count = 2;
  Make(c);
  FakeKinesis fake(5);
  for (int i = 0; i < 100; ++i) (void)Put("key-" + std::to_string(i), "v");
  engine_->FlushAll();
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 3u);  // 5 shards, 2 entries a call
  EXPECT_EQ(puts[0].entries.size() + puts[1].entries.size() + puts[2].entries.size(), 5u);
}

TEST_F(EngineTest, ALandingOnAnUnexpectedShardRefreshesTheMap) {
  Make();
  FakeKinesis fake(1);
  (void)Put("k", "1");
  engine_->FlushAll();
  std::vector<Work> puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  fake.SetShards(EvenShards(2, 1));  // resharded: shardId-1 and shardId-2 replace shardId-0
  Answer(std::move(puts[0]), fake);
  std::vector<Work> works = engine_->Poll(now_, &done_);
  ASSERT_EQ(works.size(), 1u);
  EXPECT_EQ(works[0].kind, Work::Kind::kListShards);
  engine_->CompleteListShards(std::move(works[0]), fake.ListShards("s"), now_, &done_);
  // New records route by the new map.
  for (int i = 0; i < 50; ++i) (void)Put("key-" + std::to_string(i), "v");
  engine_->FlushAll();
  puts = Poll(fake);
  ASSERT_EQ(puts.size(), 1u);
  ASSERT_EQ(puts[0].entries.size(), 2u);
  for (Work& w : puts) Answer(std::move(w), fake);
  for (const testing::Stored& s : fake.stored()) EXPECT_NE(s.shard_id, "none");
}

TEST_F(EngineTest, AbortFailsBufferedRecords) {
  Make();
  auto f = Put("k", "v");
  engine_->AbortBuffered(ApiError{"ProducerShutdown", "bye", 0}, &done_);
  Fulfil();
  EXPECT_EQ(f.get().error().type, "ProducerShutdown");
  EXPECT_EQ(engine_->buffered_records(), 0u);
}

}  // namespace
}  // namespace spate::producer
