#include "consumer/shard_consumer.h"

#include <gtest/gtest.h>

#include "consumer/tests/fakes.h"
#include "spate/aggregation.h"

namespace spate::consumer {
namespace {

// Records every call; checkpoints as told.
struct Log {
  std::vector<std::string> events;
  std::vector<ConsumedRecord> records;
};

class RecordingProcessor final : public RecordProcessor {
 public:
  enum class Mode { kCheckpointEveryBatch, kNever };
  RecordingProcessor(Log* log, Mode mode) : log_(log), mode_(mode) {}
  void Initialize(const std::string& shard_id) override { log_->events.push_back("init " + shard_id); }
  void ProcessRecords(const std::vector<ConsumedRecord>& records, Checkpointer& cp) override {
    log_->events.push_back("records " + std::to_string(records.size()));
    log_->records.insert(log_->records.end(), records.begin(), records.end());
    if (mode_ == Mode::kCheckpointEveryBatch) {
      EXPECT_TRUE(cp.Checkpoint().ok());
    }
  }
  void ShardEnded(Checkpointer& cp) override {
    log_->events.push_back("ended");
    if (mode_ == Mode::kCheckpointEveryBatch) {
      EXPECT_TRUE(cp.Checkpoint().ok());
    }
  }
  void ShutdownRequested(Checkpointer& cp) override {
    log_->events.push_back("shutdown");
    EXPECT_TRUE(cp.Checkpoint().ok());
  }
  void LeaseLost() override { log_->events.push_back("lost"); }

 private:
  Log* log_;
  Mode mode_;
};

class ShardConsumerTest : public ::testing::Test {
 protected:
  ShardConsumerTest() : leases_("W", &store_, &clock_, 10'000) {}

  void Hold(const std::vector<Shard>& shards) {
    ASSERT_TRUE(leases_.SyncShards(shards, std::string(kTrimHorizon)).ok());
    ASSERT_TRUE(leases_.TakeLeases().ok());
  }
  std::unique_ptr<ShardConsumer> Make(const std::string& shard, RecordingProcessor::Mode mode, int max_records = 2) {
    return std::make_unique<ShardConsumer>(shard, "s", &stream_, &leases_,
                                           std::make_unique<RecordingProcessor>(&log_, mode), max_records);
  }
  // Steps until the consumer idles or is done (bounded).
  static ShardConsumer::StepResult Drain(ShardConsumer& c) {
    for (int i = 0; i < 100; ++i) {
      ShardConsumer::StepResult r = c.Step();
      if (r != ShardConsumer::StepResult::kContinue) return r;
    }
    ADD_FAILURE() << "no idle within 100 steps";
    return ShardConsumer::StepResult::kDone;
  }
  std::unique_ptr<ShardConsumer> MakeFanOut(const std::string& shard, RecordingProcessor::Mode mode) {
    return std::make_unique<ShardConsumer>(shard, "s", &stream_, &leases_,
                                           std::make_unique<RecordingProcessor>(&log_, mode), 2, "consumer-arn");
  }
  std::vector<Shard> OneShard() {
    stream_.AddShard("s0");
    return stream_.ListShards("s").value();
  }

  testing::MemoryLeaseStore store_;
  testing::FakeStream stream_;
  util::ManualClock clock_;
  LeaseCoordinator leases_;
  Log log_;
};

TEST(SequenceNumbers, CompareNumerically) {
  EXPECT_LT(CompareSequenceNumbers("9", "10"), 0);
  EXPECT_GT(CompareSequenceNumbers("100", "99"), 0);
  EXPECT_EQ(CompareSequenceNumbers("123", "123"), 0);
  EXPECT_LT(CompareSequenceNumbers("123", "124"), 0);
}

TEST_F(ShardConsumerTest, DeliversInOrderInBatchesAndCheckpoints) {
  Hold(OneShard());
  for (int i = 0; i < 5; ++i) stream_.Put("s0", "r" + std::to_string(i));
  auto c = Make("s0", RecordingProcessor::Mode::kCheckpointEveryBatch);
  EXPECT_EQ(Drain(*c), ShardConsumer::StepResult::kIdle);
  ASSERT_EQ(log_.records.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(log_.records[i].data, "r" + std::to_string(i));
  EXPECT_EQ(log_.events.front(), "init s0");
  EXPECT_EQ(store_.Get("s0").checkpoint, stream_.SequenceOf("s0", 4));
}

TEST_F(ShardConsumerTest, ResumesAfterTheCheckpointNotBeforeIt) {
  Hold(OneShard());
  for (int i = 0; i < 4; ++i) stream_.Put("s0", "r" + std::to_string(i));
  ASSERT_TRUE(leases_.Checkpoint("s0", stream_.SequenceOf("s0", 1), 0).ok());
  auto c = Make("s0", RecordingProcessor::Mode::kNever, 10);
  Drain(*c);
  ASSERT_EQ(log_.records.size(), 2u);
  EXPECT_EQ(log_.records[0].data, "r2");
}

TEST_F(ShardConsumerTest, AggregatedRecordsAreDeaggregatedAndResumeMidAggregate) {
  Hold(OneShard());
  Aggregator agg;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(agg.Add("k" + std::to_string(i), "u" + std::to_string(i)));
  stream_.Put("s0", agg.Finish().data);
  stream_.Put("s0", "plain");
  // Processed through sub-sequence 1 of the aggregate.
  ASSERT_TRUE(leases_.Checkpoint("s0", stream_.SequenceOf("s0", 0), 1).ok());
  auto c = Make("s0", RecordingProcessor::Mode::kNever, 10);
  Drain(*c);
  ASSERT_EQ(log_.records.size(), 3u);
  EXPECT_EQ(log_.records[0].data, "u2");
  EXPECT_EQ(log_.records[0].sub_sequence_number, 2u);
  EXPECT_TRUE(log_.records[0].aggregated);
  EXPECT_EQ(log_.records[0].partition_key, "k2");
  EXPECT_EQ(log_.records[2].data, "plain");
  EXPECT_FALSE(log_.records[2].aggregated);
}

TEST_F(ShardConsumerTest, ShardEndRequiresTheShardEndCheckpointThenReleases) {
  Hold(OneShard());
  stream_.Put("s0", "only");
  stream_.Close("s0");
  auto lazy = Make("s0", RecordingProcessor::Mode::kNever);
  EXPECT_EQ(Drain(*lazy), ShardConsumer::StepResult::kIdle);  // ShardEnded without a checkpoint: asked again
  EXPECT_EQ(log_.events.back(), "ended");
  EXPECT_NE(store_.Get("s0").checkpoint, kShardEnd);
  EXPECT_TRUE(leases_.Holds("s0"));

  auto good = Make("s0", RecordingProcessor::Mode::kCheckpointEveryBatch);
  EXPECT_EQ(Drain(*good), ShardConsumer::StepResult::kDone);
  EXPECT_EQ(store_.Get("s0").checkpoint, kShardEnd);
  EXPECT_EQ(store_.Get("s0").owner, "");  // released
}

TEST_F(ShardConsumerTest, ChildWaitsUntilItsParentIsAtShardEnd) {
  stream_.AddShard("p");
  stream_.AddShard("c", "p");
  stream_.Put("p", "parent");
  stream_.Put("c", "child");
  stream_.Close("p");
  Hold(stream_.ListShards("s").value());
  auto child = Make("c", RecordingProcessor::Mode::kCheckpointEveryBatch);
  EXPECT_EQ(Drain(*child), ShardConsumer::StepResult::kIdle);
  EXPECT_TRUE(log_.events.empty());  // not even initialised
  auto parent = Make("p", RecordingProcessor::Mode::kCheckpointEveryBatch);
  EXPECT_EQ(Drain(*parent), ShardConsumer::StepResult::kDone);
  ASSERT_TRUE(leases_.TakeLeases().ok());
  EXPECT_EQ(Drain(*child), ShardConsumer::StepResult::kIdle);
  ASSERT_EQ(log_.records.size(), 2u);
  EXPECT_EQ(log_.records[0].data, "parent");
  EXPECT_EQ(log_.records[1].data, "child");
}

TEST_F(ShardConsumerTest, ShutdownGivesTheProcessorAFinalCheckpointAndReleases) {
  Hold(OneShard());
  stream_.Put("s0", "a");
  auto c = Make("s0", RecordingProcessor::Mode::kNever);
  Drain(*c);
  c->RequestShutdown();
  EXPECT_EQ(c->Step(), ShardConsumer::StepResult::kDone);
  EXPECT_EQ(log_.events.back(), "shutdown");
  EXPECT_EQ(store_.Get("s0").checkpoint, stream_.SequenceOf("s0", 0));
  EXPECT_EQ(store_.Get("s0").owner, "");
}

TEST_F(ShardConsumerTest, LostLeaseStopsProcessingAndTellsTheProcessor) {
  Hold(OneShard());
  stream_.Put("s0", "a");
  auto c = Make("s0", RecordingProcessor::Mode::kNever);
  Drain(*c);
  // Another worker takes the lease; this one learns on renewal.
  LeaseRecord l = store_.Get("s0");
  LeaseUpdate steal;
  steal.shard_id = "s0";
  steal.expected_counter = l.counter;
  steal.owner = "X";
  ASSERT_TRUE(store_.Update(steal).ok());
  leases_.RenewAll();
  stream_.Put("s0", "b");
  EXPECT_EQ(c->Step(), ShardConsumer::StepResult::kDone);
  EXPECT_EQ(log_.events.back(), "lost");
  EXPECT_EQ(log_.records.size(), 1u);
}

TEST_F(ShardConsumerTest, ExpiredIteratorReopensAfterTheLastDeliveredRecord) {
  Hold(OneShard());
  stream_.Put("s0", "a");
  auto c = Make("s0", RecordingProcessor::Mode::kNever);
  Drain(*c);
  stream_.Put("s0", "b");
  stream_.expire_next_get_records = 1;
  Drain(*c);
  ASSERT_EQ(log_.records.size(), 2u);  // "a" not delivered twice
  EXPECT_EQ(log_.records[1].data, "b");
}

TEST_F(ShardConsumerTest, FanOutResubscribesAfterTheContinuationWithoutGapsOrRepeats) {
  Hold(OneShard());
  for (int i = 0; i < 7; ++i) stream_.Put("s0", "r" + std::to_string(i));
  auto c = MakeFanOut("s0", RecordingProcessor::Mode::kCheckpointEveryBatch);
  for (int i = 0; i < 8; ++i) ASSERT_NE(c->Step(), ShardConsumer::StepResult::kDone);
  ASSERT_EQ(log_.records.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(log_.records[i].data, "r" + std::to_string(i));
  EXPECT_EQ(store_.Get("s0").checkpoint, stream_.SequenceOf("s0", 6));
  // The first subscription's empty first event named record 0 (spated's
  // continuation before any delivery): the start was kept, not moved past it.
  ASSERT_GE(stream_.subscriptions.size(), 3u);
  EXPECT_EQ(stream_.subscriptions[0].type, IteratorPosition::Type::kTrimHorizon);
  EXPECT_EQ(stream_.subscriptions[1].type, IteratorPosition::Type::kAfterSequenceNumber);
  EXPECT_EQ(stream_.subscriptions[1].sequence_number, stream_.SequenceOf("s0", 3));
  EXPECT_EQ(stream_.subscriptions[2].sequence_number, stream_.SequenceOf("s0", 6));
}

TEST_F(ShardConsumerTest, FanOutStartsAtTheCheckpointAndSkipsWhatItCovers) {
  Hold(OneShard());
  for (int i = 0; i < 4; ++i) stream_.Put("s0", "r" + std::to_string(i));
  ASSERT_TRUE(leases_.Checkpoint("s0", stream_.SequenceOf("s0", 1), 0).ok());
  auto c = MakeFanOut("s0", RecordingProcessor::Mode::kCheckpointEveryBatch);
  for (int i = 0; i < 4; ++i) ASSERT_NE(c->Step(), ShardConsumer::StepResult::kDone);
  ASSERT_EQ(log_.records.size(), 2u);
  EXPECT_EQ(log_.records[0].data, "r2");
  EXPECT_EQ(stream_.subscriptions[0].type, IteratorPosition::Type::kAtSequenceNumber);
}

TEST_F(ShardConsumerTest, FanOutShardEndRequiresTheShardEndCheckpointThenReleases) {
  Hold(OneShard());
  for (int i = 0; i < 3; ++i) stream_.Put("s0", "r" + std::to_string(i));
  stream_.Close("s0");
  auto c = MakeFanOut("s0", RecordingProcessor::Mode::kCheckpointEveryBatch);
  EXPECT_EQ(Drain(*c), ShardConsumer::StepResult::kDone);
  EXPECT_EQ(log_.records.size(), 3u);
  EXPECT_EQ(log_.events.back(), "ended");
  EXPECT_EQ(store_.Get("s0").checkpoint, kShardEnd);
  EXPECT_EQ(store_.Get("s0").owner, "");
}

TEST_F(ShardConsumerTest, FanOutShutdownEndsTheSubscriptionWithAFinalCheckpoint) {
  Hold(OneShard());
  for (int i = 0; i < 3; ++i) stream_.Put("s0", "r" + std::to_string(i));
  auto c = MakeFanOut("s0", RecordingProcessor::Mode::kNever);
  for (int i = 0; i < 3; ++i) ASSERT_NE(c->Step(), ShardConsumer::StepResult::kDone);  // parents, init, subscribe
  ASSERT_FALSE(log_.records.empty());
  c->RequestShutdown();
  EXPECT_EQ(c->Step(), ShardConsumer::StepResult::kDone);
  EXPECT_EQ(log_.events.back(), "shutdown");
  EXPECT_EQ(store_.Get("s0").checkpoint, log_.records.back().sequence_number);
}

}  // namespace
}  // namespace spate::consumer
