#include "streams/throughput.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "streams/api/control_plane_rates.h"

namespace spate::streams {
namespace {

constexpr uint64_t kMiB = 1 << 20;

class ShardThroughputTest : public ::testing::Test {
 protected:
  util::ManualClock clock_;
  ThroughputOptions options_;
};

TEST(TokenBucketTest, StartsFullAndRefillsAtItsRate) {
  TokenBucket b(10, 10, 0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.TryTake(1, 0));
  EXPECT_FALSE(b.TryTake(1, 0));
  EXPECT_FALSE(b.TryTake(1, 99'000'000));  // 0.99 tokens after 99 ms
  EXPECT_TRUE(b.TryTake(1, 100'000'000));
}

TEST(TokenBucketTest, NeverHoldsMoreThanItsCapacity) {
  TokenBucket b(10, 10, 0);
  EXPECT_DOUBLE_EQ(b.Tokens(3'600'000'000'000), 10);
}

TEST(TokenBucketTest, ARequestLargerThanTheCapacityPassesOnlyFromAFullBucket) {
  TokenBucket b(1, 2, 0);
  EXPECT_TRUE(b.TryTake(5, 0));
  EXPECT_DOUBLE_EQ(b.Tokens(0), -3);
  EXPECT_FALSE(b.TryTake(5, 4'000'000'000));  // 1 token
  EXPECT_TRUE(b.TryTake(5, 5'000'000'000));   // full again
}

TEST(TokenBucketTest, TimeGoingBackwardsChangesNothing) {
  TokenBucket b(1, 1, 1'000'000'000);
  EXPECT_TRUE(b.TryTake(1, 1'000'000'000));
  EXPECT_FALSE(b.TryTake(1, 0));
}

TEST_F(ShardThroughputTest, WritesStopAtOneThousandRecordsPerSecond) {
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(t.AdmitWrite(10)) << i;
  EXPECT_FALSE(t.AdmitWrite(10));
  clock_.AdvanceMs(1);  // one record's worth
  EXPECT_TRUE(t.AdmitWrite(10));
  EXPECT_FALSE(t.AdmitWrite(10));
}

TEST_F(ShardThroughputTest, WritesStopAtOneMebibytePerSecond) {
  ShardThroughput t(options_, &clock_);
  EXPECT_TRUE(t.AdmitWrite(kMiB / 2));
  EXPECT_TRUE(t.AdmitWrite(kMiB / 2));
  EXPECT_FALSE(t.AdmitWrite(1));
  clock_.AdvanceMs(500);
  EXPECT_TRUE(t.AdmitWrite(kMiB / 2));
  EXPECT_FALSE(t.AdmitWrite(kMiB / 2));
}

TEST_F(ShardThroughputTest, AThrottledWriteTakesNoTokens) {
  ShardThroughput t(options_, &clock_);
  EXPECT_TRUE(t.AdmitWrite(kMiB - 100));
  EXPECT_FALSE(t.AdmitWrite(200));  // bytes short: the record token is not taken either
  EXPECT_TRUE(t.AdmitWrite(100));
}

// AdmitWrites decides as AdmitWrite called for each record in turn: the
// records and bytes limits, a throttled record taking no tokens, a large
// record through an idle shard, and the demand counted for scaling.
TEST_F(ShardThroughputTest, AdmitWritesDecidesAsAdmitWriteInTurn) {
  ShardThroughput one(options_, &clock_);
  ShardThroughput many(options_, &clock_);
  const std::vector<std::vector<uint64_t>> calls = {
      std::vector<uint64_t>(400, 1000),  // 400 KB
      {kMiB / 2, 200, 100, kMiB, 5, 7},  // over the bytes limit midway
      std::vector<uint64_t>(1200, 10),   // over the records limit
      {},                                //
      {3 * kMiB},                        // larger than the bucket
  };
  for (const std::vector<uint64_t>& bytes : calls) {
    std::vector<bool> expected;
    for (uint64_t b : bytes) expected.push_back(one.AdmitWrite(b));
    std::unique_ptr<bool[]> admitted(new bool[bytes.size() + 1]);
    many.AdmitWrites(bytes, std::span<bool>(admitted.get(), bytes.size()));
    for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(admitted[i], expected[i]) << i;
    clock_.AdvanceMs(700);
  }
  EXPECT_EQ(one.HotForMs(), many.HotForMs());
  ThroughputOptions off;
  off.enabled = false;
  ShardThroughput unlimited(off, &clock_);
  const std::vector<uint64_t> big(2000, kMiB);
  std::unique_ptr<bool[]> admitted(new bool[big.size()]);
  unlimited.AdmitWrites(big, std::span<bool>(admitted.get(), big.size()));
  for (size_t i = 0; i < big.size(); ++i) ASSERT_TRUE(admitted[i]) << i;
}

TEST_F(ShardThroughputTest, ALargeRecordPassesAnIdleShardAndLeavesItInDebt) {
  ShardThroughput t(options_, &clock_);
  EXPECT_TRUE(t.AdmitWrite(3 * kMiB));
  clock_.AdvanceMs(1999);
  EXPECT_FALSE(t.AdmitWrite(1));
  clock_.AdvanceMs(2);
  EXPECT_TRUE(t.AdmitWrite(1));
}

TEST_F(ShardThroughputTest, ReadsStopAtFiveCallsPerSecond) {
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.AdmitRead());
  EXPECT_FALSE(t.AdmitRead());
  clock_.AdvanceMs(200);
  EXPECT_TRUE(t.AdmitRead());
  EXPECT_FALSE(t.AdmitRead());
}

TEST_F(ShardThroughputTest, ReadBytesOverTwoMebibytesPerSecondThrottleTheNextCalls) {
  ShardThroughput t(options_, &clock_);
  ASSERT_TRUE(t.AdmitRead());
  t.ChargeRead(4 * kMiB);  // 2 MiB of debt: one second to repay
  clock_.AdvanceMs(999);
  EXPECT_FALSE(t.AdmitRead());
  clock_.AdvanceMs(2);
  EXPECT_TRUE(t.AdmitRead());
}

TEST_F(ShardThroughputTest, ATenMebibyteResponseBlocksReadsForFiveSeconds) {
  ShardThroughput t(options_, &clock_);
  ASSERT_TRUE(t.AdmitRead());
  t.ChargeRead(10 * kMiB);
  clock_.AdvanceMs(4999);
  EXPECT_FALSE(t.AdmitRead());
  clock_.AdvanceMs(1);
  EXPECT_TRUE(t.AdmitRead());
}

TEST_F(ShardThroughputTest, GetShardIteratorStopsAtFivePerSecond) {
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.AdmitIterator());
  EXPECT_FALSE(t.AdmitIterator());
}

TEST_F(ShardThroughputTest, LimitsOffAdmitsEverything) {
  options_.enabled = false;
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(t.AdmitWrite(kMiB));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(t.AdmitRead());
  t.ChargeRead(10 * kMiB);
  EXPECT_TRUE(t.AdmitRead());
}

TEST_F(ShardThroughputTest, HotOnlyAfterWholeSecondsOverCapacity) {
  ShardThroughput t(options_, &clock_);
  EXPECT_EQ(t.HotForMs(), 0);
  for (int second = 0; second < 3; ++second) {
    for (int i = 0; i < 1001; ++i) t.AdmitWrite(1);  // offered, throttled or not
    clock_.AdvanceMs(1000);
  }
  EXPECT_EQ(t.HotForMs(), 3000);
}

TEST_F(ShardThroughputTest, AnIdleOrCalmSecondEndsTheHotRun) {
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 1001; ++i) t.AdmitWrite(1);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(t.HotForMs(), 1000);
  for (int i = 0; i < 999; ++i) t.AdmitWrite(1);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(t.HotForMs(), 0);
  for (int i = 0; i < 1001; ++i) t.AdmitWrite(1);
  clock_.AdvanceMs(2500);  // then idle
  EXPECT_EQ(t.HotForMs(), 0);
}

TEST_F(ShardThroughputTest, DemandIsMeasuredWithLimitsOff) {
  options_.enabled = false;
  ShardThroughput t(options_, &clock_);
  for (int i = 0; i < 2; ++i) t.AdmitWrite(kMiB);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(t.HotForMs(), 1000);
}

// What api::AdmitCall asks of the limiter for a call of `operation`: the
// operation's rate comes from the api edge's table.
Status AdmitAs(ControlPlaneLimiter& l, std::string_view account, std::string_view region, std::string_view operation,
               std::string_view stream) {
  std::optional<CallRate> rate = api::ControlPlaneRate(operation);
  return rate ? l.Admit(account, region, *rate, stream) : Status::Ok();
}

TEST(ControlPlaneLimiterTest, DescribeLimitsAllowsOneCallPerSecond) {
  util::ManualClock clock;
  ControlPlaneLimiter l(ThroughputOptions{}, &clock);
  EXPECT_TRUE(AdmitAs(l, "111122223333", "us-east-1", "DescribeLimits", "").ok());
  Status st = AdmitAs(l, "111122223333", "us-east-1", "DescribeLimits", "");
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(st.message(), "Rate exceeded for account 111122223333.");
  EXPECT_TRUE(AdmitAs(l, "444455556666", "us-east-1", "DescribeLimits", "").ok());  // per account
  clock.AdvanceMs(1000);
  EXPECT_TRUE(AdmitAs(l, "111122223333", "us-east-1", "DescribeLimits", "").ok());
}

TEST(ControlPlaneLimiterTest, ListShardsIsPerStream) {
  util::ManualClock clock;
  ControlPlaneLimiter l(ThroughputOptions{}, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(AdmitAs(l, "a", "r", "ListShards", "s1").ok());
  Status st = AdmitAs(l, "a", "r", "ListShards", "s1");
  EXPECT_EQ(st.message(), "Rate exceeded for stream s1 under account a.");
  EXPECT_TRUE(AdmitAs(l, "a", "r", "ListShards", "s2").ok());
}

TEST(ControlPlaneLimiterTest, DataPlaneAndUnlistedOperationsAreNotLimitedHere) {
  util::ManualClock clock;
  ControlPlaneLimiter l(ThroughputOptions{}, &clock);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(AdmitAs(l, "a", "r", "PutRecord", "s").ok());
    ASSERT_TRUE(AdmitAs(l, "a", "r", "GetRecords", "s").ok());
  }
}

TEST(ControlPlaneLimiterTest, LimitsOffAdmitsEverything) {
  util::ManualClock clock;
  ThroughputOptions off;
  off.enabled = false;
  ControlPlaneLimiter l(off, &clock);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(AdmitAs(l, "a", "r", "DescribeLimits", "").ok());
}

TEST(FaultRuleTest, ParsesEveryKey) {
  auto r = ParseFaultRule("operation=PutRecords,stream=s1,error=InternalFailure,rate=0.25,count=3,seed=9");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->operation, "PutRecords");
  EXPECT_EQ(r->stream, "s1");
  EXPECT_EQ(r->error, ErrorCode::kInternal);
  EXPECT_DOUBLE_EQ(r->rate, 0.25);
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(r->seed, 9u);
}

TEST(FaultRuleTest, RejectsBadRules) {
  EXPECT_FALSE(ParseFaultRule("error=InternalFailure").ok());           // no operation
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord").ok());             // no error
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=Oops").ok());  // unknown error
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=InternalFailure,rate=0").ok());
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=InternalFailure,rate=1.5").ok());
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=InternalFailure,count=0").ok());
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=InternalFailure,color=red").ok());
  EXPECT_FALSE(ParseFaultRule("operation=PutRecord,error=InternalFailure,junk").ok());
}

TEST(FaultInjectorTest, CountCapsTheFailures) {
  FaultInjector f({*ParseFaultRule("operation=PutRecord,error=ProvisionedThroughputExceededException,count=2")});
  EXPECT_EQ(f.Draw("PutRecord", "s", "a").code(), ErrorCode::kThroughputExceeded);
  EXPECT_EQ(f.Draw("PutRecord", "s", "a").message(), "Rate exceeded for stream s under account a.");
  EXPECT_TRUE(f.Draw("PutRecord", "s", "a").ok());
}

TEST(FaultInjectorTest, OnlyMatchingOperationsAndStreamsFail) {
  FaultInjector f({*ParseFaultRule("operation=GetRecords,stream=s1,error=InternalFailure")});
  EXPECT_TRUE(f.Draw("PutRecord", "s1", "a").ok());
  EXPECT_TRUE(f.Draw("GetRecords", "s2", "a").ok());
  EXPECT_EQ(f.Draw("GetRecords", "s1", "a").code(), ErrorCode::kInternal);
}

TEST(FaultInjectorTest, TheSameSeedGivesTheSameFailures) {
  auto rule = *ParseFaultRule("operation=PutRecords,error=InternalFailure,rate=0.3,seed=42");
  FaultInjector a({rule}), b({rule});
  int failed = 0;
  for (int i = 0; i < 1000; ++i) {
    bool fa = !a.Draw("PutRecords", "s", "x").ok();
    ASSERT_EQ(fa, !b.Draw("PutRecords", "s", "x").ok()) << i;
    failed += fa;
  }
  EXPECT_GT(failed, 240);  // ~300 expected
  EXPECT_LT(failed, 360);
}

}  // namespace
}  // namespace spate::streams
