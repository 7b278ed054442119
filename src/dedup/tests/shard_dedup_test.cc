#include "dedup/shard_dedup.h"

#include <gtest/gtest.h>

#include <optional>

namespace spate::dedup {
namespace {

ProducerStamp S(std::string id, uint64_t epoch, uint64_t seq) { return {std::move(id), epoch, seq}; }

Waiter NoWaiter() {
  return [](Result<uint64_t>) { ADD_FAILURE() << "unexpected waiter call"; };
}

class ShardDedupTest : public ::testing::Test {
 protected:
  ShardDedupTest() {
    EXPECT_TRUE(table_.RecoverOnce([](ShardDedup*) { return Status::Ok(); }).ok());
  }
  // Appends a stamped batch of `count` records at `base` (the first user record).
  void Append(const ProducerStamp& s, uint32_t count, uint64_t base, int64_t now = 0) {
    Decision d = table_.Begin(s, count, now, NoWaiter());
    ASSERT_EQ(d.verdict, Verdict::kAppend) << d.status.ToString();
    table_.Commit(s, base);
  }
  ShardDedup table_;
};

TEST_F(ShardDedupTest, NewRequestIsAppended) {
  EXPECT_EQ(table_.Begin(S("p", 1, 1), 3, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST_F(ShardDedupTest, ResendAfterCommitIsADuplicateWithTheOriginalOffset) {
  Append(S("p", 1, 1), 3, 100);
  Decision d = table_.Begin(S("p", 1, 1), 3, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kDuplicate);
  EXPECT_EQ(d.base_offset, 100u);
}

TEST_F(ShardDedupTest, ResendWhileInFlightWaitsForTheOriginal) {
  ASSERT_EQ(table_.Begin(S("p", 1, 5), 2, 0, NoWaiter()).verdict, Verdict::kAppend);
  std::optional<uint64_t> got;
  Decision d = table_.Begin(S("p", 1, 5), 2, 0, [&](Result<uint64_t> r) {
    ASSERT_TRUE(r.ok());
    got = *r;
  });
  EXPECT_EQ(d.verdict, Verdict::kWait);
  EXPECT_FALSE(got.has_value());
  table_.Commit(S("p", 1, 5), 77);
  EXPECT_EQ(got, 77u);
}

TEST_F(ShardDedupTest, AbortForgetsTheRequestAndFailsItsWaiters) {
  ASSERT_EQ(table_.Begin(S("p", 1, 5), 2, 0, NoWaiter()).verdict, Verdict::kAppend);
  Status seen;
  ASSERT_EQ(table_.Begin(S("p", 1, 5), 2, 0, [&](Result<uint64_t> r) { seen = r.status(); }).verdict, Verdict::kWait);
  table_.Abort(S("p", 1, 5), Status(ErrorCode::kUnavailable, "disk full"));
  EXPECT_EQ(seen.code(), ErrorCode::kUnavailable);
  // Not appended: a resend is appended now.
  EXPECT_EQ(table_.Begin(S("p", 1, 5), 2, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST_F(ShardDedupTest, ResendWithOtherRecordCountIsRefused) {
  Append(S("p", 1, 1), 3, 100);
  Decision d = table_.Begin(S("p", 1, 1), 2, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kRefused);
  EXPECT_EQ(d.status.code(), ErrorCode::kInvalidArgument);
}

TEST_F(ShardDedupTest, SequencesMayArriveOutOfOrder) {
  Append(S("p", 1, 7), 1, 10);
  // 5 and 6 went to other shards or lost a race: never seen here, appended.
  EXPECT_EQ(table_.Begin(S("p", 1, 5), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  EXPECT_EQ(table_.Begin(S("p", 1, 6), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST_F(ShardDedupTest, ProducersAreIndependent) {
  Append(S("a", 1, 1), 1, 10);
  EXPECT_EQ(table_.Begin(S("b", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST_F(ShardDedupTest, OlderEpochIsFenced) {
  Append(S("p", 2, 1), 1, 10);
  Decision d = table_.Begin(S("p", 1, 2), 1, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kRefused);
  EXPECT_EQ(d.status.code(), ErrorCode::kConcurrentModification);
  EXPECT_NE(d.status.message().find("fenced"), std::string::npos);
}

TEST_F(ShardDedupTest, NewEpochStartsAFreshWindow) {
  Append(S("p", 1, 1), 1, 10);
  // Sequence 1 of epoch 2 is a new request, not epoch 1's.
  EXPECT_EQ(table_.Begin(S("p", 2, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST_F(ShardDedupTest, NewEpochFailsTheOldEpochsWaiters) {
  ASSERT_EQ(table_.Begin(S("p", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  Status seen;
  ASSERT_EQ(table_.Begin(S("p", 1, 1), 1, 0, [&](Result<uint64_t> r) { seen = r.status(); }).verdict, Verdict::kWait);
  EXPECT_EQ(table_.Begin(S("p", 2, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  EXPECT_EQ(seen.code(), ErrorCode::kConcurrentModification);
  table_.Commit(S("p", 1, 1), 10);  // the old epoch's append finishing changes nothing
  EXPECT_EQ(table_.Begin(S("p", 2, 1), 1, 0, NoWaiter()).verdict, Verdict::kWait);
}

TEST(ShardDedupLimitsTest, WindowKeepsTheNewestAndRefusesOlder) {
  ShardDedup t(DedupLimits{.max_producers = 4, .window = 3, .expiry_ms = 1000});
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup*) { return Status::Ok(); }).ok());
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_EQ(t.Begin(S("p", 1, seq), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
    t.Commit(S("p", 1, seq), seq * 10);
  }
  // 3, 4, 5 remembered; 1 and 2 are below the window.
  EXPECT_EQ(t.Begin(S("p", 1, 3), 1, 0, NoWaiter()).verdict, Verdict::kDuplicate);
  Decision d = t.Begin(S("p", 1, 2), 1, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kRefused);
  EXPECT_EQ(d.status.code(), ErrorCode::kInvalidArgument);
}

TEST(ShardDedupLimitsTest, ProducerCapForgetsTheLeastRecentlyUsed) {
  ShardDedup t(DedupLimits{.max_producers = 2, .window = 8, .expiry_ms = 1000000});
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup*) { return Status::Ok(); }).ok());
  for (std::string id : {"a", "b"}) {
    ASSERT_EQ(t.Begin(S(id, 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
    t.Commit(S(id, 1, 1), 1);
  }
  EXPECT_EQ(t.Begin(S("a", 1, 1), 1, 1, NoWaiter()).verdict, Verdict::kDuplicate);  // a is now the most recent
  ASSERT_EQ(t.Begin(S("c", 1, 1), 1, 2, NoWaiter()).verdict, Verdict::kAppend);     // evicts b
  t.Commit(S("c", 1, 1), 2);
  EXPECT_EQ(t.producer_count(), 2u);
  EXPECT_EQ(t.Begin(S("a", 1, 1), 1, 3, NoWaiter()).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Begin(S("b", 1, 1), 1, 3, NoWaiter()).verdict, Verdict::kAppend);  // forgotten
}

TEST(ShardDedupLimitsTest, ProducersWithRequestsInFlightAreNeverEvicted) {
  ShardDedup t(DedupLimits{.max_producers = 1, .window = 8, .expiry_ms = 1000000});
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup*) { return Status::Ok(); }).ok());
  ASSERT_EQ(t.Begin(S("a", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  Decision d = t.Begin(S("b", 1, 1), 1, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kRefused);
  EXPECT_EQ(d.status.code(), ErrorCode::kThroughputExceeded);
  t.Commit(S("a", 1, 1), 5);
  EXPECT_EQ(t.Begin(S("b", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST(ShardDedupLimitsTest, IdleProducersExpire) {
  ShardDedup t(DedupLimits{.max_producers = 8, .window = 8, .expiry_ms = 1000});
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup*) { return Status::Ok(); }).ok());
  ASSERT_EQ(t.Begin(S("a", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  t.Commit(S("a", 1, 1), 5);
  ASSERT_EQ(t.Begin(S("b", 1, 1), 1, 999, NoWaiter()).verdict, Verdict::kAppend);
  t.Commit(S("b", 1, 1), 6);
  EXPECT_EQ(t.producer_count(), 2u);
  ASSERT_EQ(t.Begin(S("c", 1, 1), 1, 1500, NoWaiter()).verdict, Verdict::kAppend);  // a idle 1500 ms: gone
  EXPECT_EQ(t.producer_count(), 2u);
  EXPECT_EQ(t.Begin(S("b", 1, 1), 1, 1500, NoWaiter()).verdict, Verdict::kDuplicate);
}

// Recovery: the log's control records rebuild the table.
TEST(ShardDedupRecoveryTest, ControlRecordsRebuildTheTable) {
  ShardDedup t;
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup* d) {
                 d->Observe({S("p", 3, 10), 4}, 100, 0);  // control record at 100, users at 101..104
                 d->Observe({S("p", 3, 11), 2}, 105, 0);
                 return Status::Ok();
               }).ok());
  Decision d = t.Begin(S("p", 3, 10), 4, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kDuplicate);
  EXPECT_EQ(d.base_offset, 101u);
  d = t.Begin(S("p", 3, 11), 2, 0, NoWaiter());
  EXPECT_EQ(d.verdict, Verdict::kDuplicate);
  EXPECT_EQ(d.base_offset, 106u);
  EXPECT_EQ(t.Begin(S("p", 3, 12), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST(ShardDedupRecoveryTest, LowerSequenceNotInTheLogIsAppended) {
  ShardDedup t;
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup* d) {
                 d->Observe({S("p", 1, 10), 1}, 100, 0);
                 return Status::Ok();
               }).ok());
  // 9 was in flight beside 10 at the crash and never became durable: its
  // resend is a new request.
  EXPECT_EQ(t.Begin(S("p", 1, 9), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
}

TEST(ShardDedupRecoveryTest, RecoveryKeepsTheWindowBound) {
  ShardDedup t(DedupLimits{.max_producers = 4, .window = 2, .expiry_ms = 1000});
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup* d) {
                 for (uint64_t seq = 1; seq <= 4; ++seq) d->Observe({S("p", 1, seq), 1}, seq * 10, 0);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(t.Begin(S("p", 1, 4), 1, 0, NoWaiter()).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Begin(S("p", 1, 3), 1, 0, NoWaiter()).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Begin(S("p", 1, 2), 1, 0, NoWaiter()).status.code(), ErrorCode::kInvalidArgument);
}

TEST_F(ShardDedupTest, FencedWaitersAreToldTheirOwnEpoch) {
  ASSERT_EQ(table_.Begin(S("p", 1, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  Status seen;
  ASSERT_EQ(table_.Begin(S("p", 1, 1), 1, 0, [&](Result<uint64_t> r) { seen = r.status(); }).verdict, Verdict::kWait);
  ASSERT_EQ(table_.Begin(S("p", 2, 1), 1, 0, NoWaiter()).verdict, Verdict::kAppend);
  EXPECT_NE(seen.message().find("epoch 1 is older than its current epoch 2"), std::string::npos) << seen.ToString();
}

TEST(ShardDedupRecoveryTest, LaterEpochInTheLogWins) {
  ShardDedup t;
  ASSERT_TRUE(t.RecoverOnce([](ShardDedup* d) {
                 d->Observe({S("p", 1, 10), 1}, 100, 0);
                 d->Observe({S("p", 2, 1), 1}, 102, 0);
                 d->Observe({S("p", 1, 11), 1}, 104, 0);  // a fenced straggler: ignored
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(t.Begin(S("p", 1, 10), 1, 0, NoWaiter()).status.code(), ErrorCode::kConcurrentModification);
  EXPECT_EQ(t.Begin(S("p", 2, 1), 1, 0, NoWaiter()).verdict, Verdict::kDuplicate);
}

TEST(ShardDedupRecoveryTest, RecoversOnceAndReportsScanFailure) {
  ShardDedup t;
  int scans = 0;
  auto failing = [&](ShardDedup*) {
    ++scans;
    return Status(ErrorCode::kIoError, "read failed");
  };
  EXPECT_FALSE(t.RecoverOnce(failing).ok());
  EXPECT_FALSE(t.RecoverOnce(failing).ok());  // not marked recovered: tried again
  auto ok = [&](ShardDedup*) {
    ++scans;
    return Status::Ok();
  };
  EXPECT_TRUE(t.RecoverOnce(ok).ok());
  EXPECT_TRUE(t.RecoverOnce(ok).ok());
  EXPECT_EQ(scans, 3);
}

}  // namespace
}  // namespace spate::dedup
