// The graceful hand-off of a running Consumer (threads and all, over the
// in-memory lease table): after Shutdown no lease is left owned by the
// worker, so the others take them at their next round, as the KCL's
// graceful shutdown leaves them.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include "consumer/consumer_impl.h"
#include "consumer/tests/fakes.h"

namespace spate::consumer {
namespace {

constexpr char kWorker[] = "worker-1";

// Passes through to a MemoryLeaseStore, except that the first write taking
// shard `held_shard` for kWorker waits, once `taking` is set, until `go` is.
class HoldingStore final : public LeaseStore {
 public:
  HoldingStore(testing::MemoryLeaseStore* store, std::string held_shard)
      : store_(store), held_shard_(std::move(held_shard)) {}
  Outcome<std::vector<LeaseRecord>> List() override { return store_->List(); }
  Outcome<LeaseRecord> Create(const std::string& shard_id, const std::string& checkpoint,
                              const std::vector<std::string>& parents) override {
    return store_->Create(shard_id, checkpoint, parents);
  }
  Outcome<LeaseRecord> Update(const LeaseUpdate& u) override {
    if (!held_ && u.shard_id == held_shard_ && u.owner && *u.owner == kWorker) {
      held_ = true;
      taking.set_value();
      go.get_future().wait();
    }
    return store_->Update(u);
  }
  Outcome<Done> Delete(const std::string& shard_id, int64_t expected_counter) override {
    return store_->Delete(shard_id, expected_counter);
  }

  std::promise<void> taking;
  std::promise<void> go;

 private:
  testing::MemoryLeaseStore* const store_;
  const std::string held_shard_;
  bool held_ = false;  // lease thread only
};

// Tells the test when it is initialised; counts the hand-offs it hears of.
class SignallingProcessor final : public RecordProcessor {
 public:
  SignallingProcessor(std::promise<void>* initialized, std::atomic<int>* shutdowns)
      : initialized_(initialized), shutdowns_(shutdowns) {}
  void Initialize(const std::string&) override { initialized_->set_value(); }
  void ProcessRecords(const std::vector<ConsumedRecord>&, Checkpointer&) override {}
  void ShardEnded(Checkpointer& cp) override { (void)cp.Checkpoint(); }
  void ShutdownRequested(Checkpointer&) override { shutdowns_->fetch_add(1); }

 private:
  std::promise<void>* const initialized_;
  std::atomic<int>* const shutdowns_;
};

// A taking round that is still writing when Shutdown begins ends without
// starting the shard's thread: the lease it took is given up at shutdown,
// not left to expire after the failover time.
TEST(ConsumerShutdownTest, ALeaseTakenWhileShuttingDownIsReleased) {
  testing::FakeStream stream;
  stream.AddShard("shardId-A");
  testing::MemoryLeaseStore table;
  auto store = std::make_unique<HoldingStore>(&table, "shardId-B");
  HoldingStore* holding = store.get();

  std::promise<void> initialized;
  std::atomic<int> shutdowns{0};
  ConsumerConfig config;
  config.application_name = "app";
  config.stream = "stream";
  config.worker_id = kWorker;
  config.failover_time = std::chrono::milliseconds(600'000);  // nothing expires during the test
  config.lease_taking_interval = std::chrono::milliseconds(5);
  config.idle_time_between_reads = std::chrono::milliseconds(5);
  config.processor_factory = [&] { return std::make_unique<SignallingProcessor>(&initialized, &shutdowns); };
  std::unique_ptr<HandOffConsumer> consumer = NewConsumer(config, &stream, std::move(store), "");
  consumer->Start();
  initialized.get_future().wait();  // shard A is held and its thread runs

  stream.AddShard("shardId-B");
  holding->taking.get_future().wait();  // the next round is taking B
  consumer->BeginShutdown();
  holding->go.set_value();  // the round takes B, then finds the consumer stopping
  consumer->Shutdown();

  EXPECT_EQ(table.Get("shardId-A").owner, "");
  EXPECT_EQ(table.Get("shardId-B").owner, "");
  EXPECT_TRUE(consumer->HeldShards().empty());
  EXPECT_EQ(shutdowns.load(), 1);  // A's processor had its last checkpoint chance; B never had a processor
}

}  // namespace
}  // namespace spate::consumer
