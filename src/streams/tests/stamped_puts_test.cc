// Stamped (exactly-once) puts in the registry (docs/exactly-once.md): a
// shard's table is rebuilt from its log on the recovery thread, never on
// the thread that makes the first stamped put, and other puts go on
// meanwhile.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "dedup/stamp.h"
#include "streams/tests/registry_fixture.h"

namespace spate::streams {
namespace {

// A shard log whose reads of control records (only the recovery scan asks
// for them) say so, then wait until the test lets them go, except on the
// thread named `caller`, where they only note that they ran there.
class HeldScanLog final : public storage::ShardLog {
 public:
  struct Gate {
    std::thread::id caller;
    std::atomic<bool> scanned_on_caller{false};
    std::promise<void> scanning;
    std::shared_future<void> release;
    std::once_flag once;
  };
  HeldScanLog(std::shared_ptr<storage::ShardLog> log, Gate* gate) : log_(std::move(log)), gate_(gate) {}

  Result<storage::ReadResult> Read(storage::Offset from, const storage::ReadLimits& limits) const override {
    if (limits.control_records) {
      std::call_once(gate_->once, [&] { gate_->scanning.set_value(); });
      if (std::this_thread::get_id() == gate_->caller) {
        gate_->scanned_on_caller = true;
      } else {
        gate_->release.wait();
      }
    }
    return log_->Read(from, limits);
  }

  using storage::ShardLog::Append;
  void Append(const std::vector<storage::RecordInput>& records, int64_t arrival_ms,
              const storage::AppendOptions& options, storage::AppendCallback done) override {
    log_->Append(records, arrival_ms, options, std::move(done));
  }
  Result<storage::ReadView> ReadViews(storage::Offset from, const storage::ReadLimits& limits) const override {
    return log_->ReadViews(from, limits);
  }
  storage::Offset StartOffset() const override { return log_->StartOffset(); }
  storage::Offset EndOffset() const override { return log_->EndOffset(); }
  storage::Offset AssignedEndOffset() const override { return log_->AssignedEndOffset(); }
  int64_t LastArrivalMs() const override { return log_->LastArrivalMs(); }
  Result<storage::Offset> OffsetForTime(int64_t ms) const override { return log_->OffsetForTime(ms); }
  using storage::ShardLog::DropBefore;
  Status DropBefore(int64_t cutoff_ms, storage::Offset keep_from) override {
    return log_->DropBefore(cutoff_ms, keep_from);
  }
  int64_t Epoch() const override { return log_->Epoch(); }
  void AppendReplicated(std::string_view batch, int64_t leader_epoch, storage::AppendCallback done) override {
    log_->AppendReplicated(batch, leader_epoch, std::move(done));
  }
  Status TruncateTo(storage::Offset end, int64_t epoch) override { return log_->TruncateTo(end, epoch); }
  Result<std::vector<std::string>> ReadBatches(storage::Offset from, size_t max_bytes) const override {
    return log_->ReadBatches(from, max_bytes);
  }
  Result<storage::BatchInfo> BatchAt(storage::Offset offset) const override { return log_->BatchAt(offset); }

 private:
  const std::shared_ptr<storage::ShardLog> log_;
  Gate* const gate_;
};

// The real store, its logs handed out as HeldScanLogs.
class HeldScanStore final : public storage::LogStore {
 public:
  HeldScanStore(std::unique_ptr<storage::LogStore> store, HeldScanLog::Gate* gate)
      : store_(std::move(store)), gate_(gate) {}
  Result<std::shared_ptr<storage::ShardLog>> OpenShard(std::string_view group, model::ShardIndex shard) override {
    SPATE_ASSIGN_OR_RETURN(std::shared_ptr<storage::ShardLog> log, store_->OpenShard(group, shard));
    return std::shared_ptr<storage::ShardLog>(std::make_shared<HeldScanLog>(std::move(log), gate_));
  }
  Status DropGroup(std::string_view group) override { return store_->DropGroup(group); }
  Result<std::vector<std::string>> ListGroups() override { return store_->ListGroups(); }
  storage::LogStoreStats Stats() const override { return store_->Stats(); }
  void WaitForBackgroundJobs() override { store_->WaitForBackgroundJobs(); }

 private:
  const std::unique_ptr<storage::LogStore> store_;
  HeldScanLog::Gate* const gate_;
};

class StampedPutsTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    gate_.caller = std::this_thread::get_id();
    gate_.release = release_.get_future().share();
    OpenStores();
    logs_ = std::make_unique<HeldScanStore>(std::move(logs_), &gate_);
    MakeRegistry(RegistryOptions{});
    StartRegistry();
    CreateActive(ref_, 1);
  }
  void TearDown() override {
    Release();
    RegistryFixture::TearDown();
  }
  void Release() {
    if (!released_) release_.set_value();
    released_ = true;
  }
  std::future<Result<std::vector<PutOutcome>>> StampedPut(const std::string& data, uint64_t sequence) {
    auto p = std::make_shared<std::promise<Result<std::vector<PutOutcome>>>>();
    auto f = p->get_future();
    dedup::ProducerStamp stamp{"producer-1", 1, sequence};
    registry_->Put(
        registry_->Find(ref_), {PutEntry{"pk", data, std::nullopt}},
        [p](Result<std::vector<PutOutcome>> r) { p->set_value(std::move(r)); }, {}, &stamp);
    return f;
  }

  HeldScanLog::Gate gate_;
  std::promise<void> release_;
  bool released_ = false;
};

TEST_F(StampedPutsTest, TheRecoveryScanRunsOffTheCallersThreadAndOtherPutsGoOn) {
  // Records from before this process's first stamped put: the table of the
  // shard is rebuilt from them.
  ASSERT_TRUE(TryPut(ref_, {PutEntry{"pk", "before", std::nullopt}}).ok());

  auto stamped = StampedPut("stamped", 0);
  EXPECT_FALSE(gate_.scanned_on_caller) << "the scan ran on the thread of the stamped put";
  gate_.scanning.get_future().wait();  // the scan is under way, held

  // A plain put of the same shard is served while the scan is held.
  auto plain = TryPut(ref_, {PutEntry{"pk", "plain", std::nullopt}});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE((*plain)[0].status.ok());
  EXPECT_NE(stamped.wait_for(std::chrono::seconds(0)), std::future_status::ready);

  Release();
  auto first = stamped.get();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE((*first)[0].status.ok()) << (*first)[0].status.ToString();

  // The table is recovered: a resend is answered from it, not appended.
  auto resend = StampedPut("stamped", 0).get();
  ASSERT_TRUE(resend.ok());
  EXPECT_EQ((*resend)[0].sequence.ToString(), (*first)[0].sequence.ToString());
  EXPECT_EQ(registry_->Find(ref_).stream->Log(model::ShardIndex{0})->EndOffset(), model::LogOffset(4));
}

}  // namespace
}  // namespace spate::streams
