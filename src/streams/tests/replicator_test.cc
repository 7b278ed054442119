// The registry's replication hook (replicator.h): a put is acknowledged
// only after the Replicator says so, its failure fails the shard's records,
// and the write gate's authority is stamped into the batch as its epoch.

#include "streams/replicator.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "storage/format.h"
#include "streams/api/operation.h"
#include "streams/read_outcome.h"
#include "streams/registry.h"
#include "streams/tests/registry_fixture.h"
#include "streams/token_codec.h"
#include "streams/write_gate.h"

namespace spate::streams {
namespace {

// Admits every append under a fixed authority.
class FixedGate final : public WriteGate {
 public:
  explicit FixedGate(int64_t authority) : authority_(authority) {}
  Result<int64_t> Admit(const metadata::StreamMeta&, model::ShardIndex) const override { return authority_; }
  bool StillHolds(int64_t) const override { return true; }

 private:
  int64_t authority_;
};

// Holds every call until the test answers it.
class HeldReplicator final : public Replicator {
 public:
  struct Call {
    ReplicatedShard shard;
    storage::Offset end;
    int64_t authority;
    std::function<void(Status)> done;
  };
  void Replicate(const ReplicatedShard& shard, std::shared_ptr<storage::ShardLog> log, storage::Offset end,
                 int64_t authority, std::function<void(Status)> done) override {
    std::lock_guard<std::mutex> l(mu_);
    EXPECT_GE(log->EndOffset(), end) << "called before the batch was durable locally";
    calls_.push_back(Call{shard, end, authority, std::move(done)});
    if (waiting_) {
      waiting_->set_value();
      waiting_.reset();
    }
  }
  storage::Offset CommittedEnd(const ReplicatedShard&, const storage::ShardLog& log) const override {
    std::lock_guard<std::mutex> l(mu_);
    return std::min(log.EndOffset(), committed_);
  }
  // What CommittedEnd answers (at most the log's end).
  void SetCommitted(storage::Offset end) {
    std::lock_guard<std::mutex> l(mu_);
    committed_ = end;
  }
  // Waits for the next call (or returns the one already made).
  Call Next() {
    std::future<void> f;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (calls_.empty()) {
        waiting_.emplace();
        f = waiting_->get_future();
      }
    }
    if (f.valid()) f.wait();
    std::lock_guard<std::mutex> l(mu_);
    Call c = std::move(calls_.front());
    calls_.erase(calls_.begin());
    return c;
  }

 private:
  mutable std::mutex mu_;
  storage::Offset committed_{UINT64_MAX};
  std::vector<Call> calls_;
  std::optional<std::promise<void>> waiting_;
};

class ReplicatorHookTest : public RegistryFixture {
 protected:
  void SetUp() override {
    RegistryFixture::SetUp();
    RegistryOptions ro;
    ro.write_gate = &gate_;
    ro.replicator = &replicator_;
    OpenRegistry(ro);
    CreateActive(ref_, 1);
  }
  std::future<Result<std::vector<PutOutcome>>> PutAsync(std::vector<PutEntry> entries) {
    auto p = std::make_shared<std::promise<Result<std::vector<PutOutcome>>>>();
    auto f = p->get_future();
    registry_->Put(ref_, std::move(entries), [p](Result<std::vector<PutOutcome>> r) { p->set_value(std::move(r)); });
    return f;
  }

  FixedGate gate_{41};
  HeldReplicator replicator_;
};

TEST_F(ReplicatorHookTest, ThePutWaitsForTheReplicatorAndTheEpochIsStamped) {
  auto put = PutAsync({{"a", "1", std::nullopt}, {"b", "2", std::nullopt}});
  HeldReplicator::Call call = replicator_.Next();
  EXPECT_EQ(call.shard.account, ref_.account);
  EXPECT_EQ(call.shard.region, ref_.region);
  EXPECT_EQ(call.shard.stream, ref_.name);
  EXPECT_EQ(call.shard.shard, model::ShardIndex{0});
  EXPECT_EQ(call.end, storage::Offset(2));
  EXPECT_EQ(call.authority, 41);
  EXPECT_EQ(put.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "acknowledged before replicated";
  call.done(Status::Ok());
  auto out = put.get();
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_TRUE((*out)[0].status.ok());
  EXPECT_TRUE((*out)[1].status.ok());
  // The batch on disk carries the authority as its fencing epoch.
  std::shared_ptr<storage::ShardLog> log;
  ASSERT_TRUE(registry_
                  ->WithStream(ref_,
                               [&](const Stream& s) {
                                 log = s.Log(model::ShardIndex{0});
                                 return Status::Ok();
                               })
                  .ok());
  auto batch = log->BatchAt(storage::Offset(0));
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->epoch, 41);
}

TEST_F(ReplicatorHookTest, AReplicationFailureFailsTheShardsRecords) {
  auto put = PutAsync({{"a", "1", std::nullopt}});
  replicator_.Next().done(Status(ErrorCode::kUnavailable, "no majority"));
  auto out = put.get();
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].status.code(), ErrorCode::kUnavailable);
}

// Exactly-once in cluster mode: a stamped batch durable here whose
// replication failed is in this node's log all the same. Its resend is not
// appended a second time: it is answered with the first copy's sequence
// numbers once the replicas hold that copy.
TEST_F(ReplicatorHookTest, AResendOfAStampedBatchWhoseReplicationFailedIsNotAppendedAgain) {
  auto stamped = [&] {
    auto p = std::make_shared<std::promise<Result<std::vector<PutOutcome>>>>();
    auto f = p->get_future();
    dedup::ProducerStamp stamp{"producer-1", 1, 0};
    registry_->Put(
        registry_->Find(ref_), {PutEntry{"a", "1", std::nullopt}},
        [p](Result<std::vector<PutOutcome>> r) { p->set_value(std::move(r)); }, {}, &stamp);
    return f;
  };
  auto first = stamped();
  HeldReplicator::Call call = replicator_.Next();
  EXPECT_EQ(call.end, storage::Offset(2));  // the control record and the record
  call.done(Status(ErrorCode::kUnavailable, "no majority"));
  auto failed = first.get();
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ((*failed)[0].status.code(), ErrorCode::kUnavailable);

  auto resend = stamped();
  call = replicator_.Next();  // the first copy's replication, asked again
  EXPECT_EQ(call.end, storage::Offset(2));
  EXPECT_EQ(call.authority, 41);
  call.done(Status::Ok());
  auto out = resend.get();
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)[0].status.ok()) << (*out)[0].status.ToString();
  EXPECT_EQ((*out)[0].sequence.ToString(),
            model::SequenceNumber::OfRecord(model::ShardIndex{0}, MetaOf(ref_).epoch, model::LogOffset(1)).ToString());
  EXPECT_EQ(registry_->Find(ref_).stream->Log(model::ShardIndex{0})->EndOffset(), storage::Offset(2));
}

TEST_F(ReplicatorHookTest, GetRecordsStopsAtTheCommittedEnd) {
  for (const char* data : {"1", "2", "3"}) {
    auto put = PutAsync({{"k", data, std::nullopt}});
    replicator_.Next().done(Status::Ok());
    ASSERT_TRUE(put.get().ok());
  }
  std::string from_start;
  ASSERT_TRUE(registry_
                  ->WithStream(ref_,
                               [&](const Stream& s) {
                                 from_start = registry_->MakeIterator(s, model::ShardIndex{0}, model::LogOffset(0));
                                 return Status::Ok();
                               })
                  .ok());
  auto datas = [](const GetRecordsOutcome& out) {
    std::vector<std::string> v;
    for (const auto& r : out.records) v.emplace_back(r.data);
    return v;
  };
  // Nothing committed (a node that does not lead the shard): nothing served,
  // and the iterator stays where it was.
  replicator_.SetCommitted(storage::Offset(0));
  auto none = registry_->GetRecords(from_start, 100);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->records.empty());
  // Two of the three records on a majority: only they are served.
  replicator_.SetCommitted(storage::Offset(2));
  auto first = registry_->GetRecords(*none->next_iterator, 100);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(datas(*first), (std::vector<std::string>{"1", "2"}));
  auto then = registry_->GetRecords(*first->next_iterator, 100);
  ASSERT_TRUE(then.ok());
  EXPECT_TRUE(then->records.empty());
  replicator_.SetCommitted(storage::Offset(3));
  auto rest = registry_->GetRecords(*then->next_iterator, 100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(datas(*rest), (std::vector<std::string>{"3"}));
  const std::shared_ptr<storage::ShardLog> log = [&] {
    std::shared_ptr<storage::ShardLog> l;
    EXPECT_TRUE(registry_
                    ->WithStream(ref_,
                                 [&](const Stream& s) {
                                   l = s.Log(model::ShardIndex{0});
                                   return Status::Ok();
                                 })
                    .ok());
    return l;
  }();
  EXPECT_EQ(registry_->ReadableEnd(ref_, model::ShardIndex{0}, *log), model::LogOffset(3));
  replicator_.SetCommitted(storage::Offset(1));
  EXPECT_EQ(registry_->ReadableEnd(ref_, model::ShardIndex{0}, *log), model::LogOffset(1));
}

// GetShardIterator through its handler: the iterator's offset, or the error.
Result<uint64_t> IteratorOffset(Registry* registry, const StreamRef& ref, std::string_view type,
                                const protocol::Value* timestamp = nullptr) {
  api::Context ctx;
  ctx.caller.account = ref.account;
  ctx.caller.region = ref.region;
  ctx.operation = "GetShardIterator";
  ctx.registry = registry;
  protocol::Value in = protocol::Value::MakeObject();
  in.Set("StreamName", protocol::Value::String(ref.name));
  in.Set("ShardId", protocol::Value::String("shardId-000000000000"));
  in.Set("ShardIteratorType", protocol::Value::String(std::string(type)));
  if (timestamp != nullptr) in.Set("Timestamp", *timestamp);
  std::optional<Result<protocol::Value>> out;
  api::FindHandler("GetShardIterator")(ctx, std::move(in), [&](Result<protocol::Value> r) { out = std::move(r); });
  if (!out.has_value()) return Status(ErrorCode::kInternal, "no answer");
  if (!out->ok()) return out->status();
  auto it = DecodeIterator(registry->tokens(), (*out)->GetString("ShardIterator"));
  if (!it.has_value()) return Status(ErrorCode::kInternal, "an iterator that does not decode");
  return it->offset.value();
}

TEST_F(ReplicatorHookTest, LatestAndAtTimestampNeverPointPastTheCommittedEnd) {
  int64_t third_at = 0;
  for (const char* data : {"1", "2", "3"}) {
    if (std::string_view(data) == "3") {
      clock_.AdvanceMs(1000);
      third_at = clock_.NowMs();
    }
    auto put = PutAsync({{"k", data, std::nullopt}});
    replicator_.Next().done(Status::Ok());
    ASSERT_TRUE(put.get().ok());
  }
  const protocol::Value at_third = protocol::Value::TimestampMs(third_at);
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "LATEST").value(), 3u);
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "AT_TIMESTAMP", &at_third).value(), 2u);
  // A follower that knows one record committed (or a leader whose others
  // are not on a majority yet): LATEST and AT_TIMESTAMP stop there, so what
  // follows is read once committed, and no offset past it is handed out.
  clock_.AdvanceMs(1000);  // GetShardIterator's rate: 5 per second and shard
  replicator_.SetCommitted(storage::Offset(1));
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "LATEST").value(), 1u);
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "AT_TIMESTAMP", &at_third).value(), 1u);
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "TRIM_HORIZON").value(), 0u);
  // Nothing known committed while the log holds records (a replica just
  // restarted): LATEST cannot be placed here; the caller retries.
  clock_.AdvanceMs(1000);
  replicator_.SetCommitted(storage::Offset(0));
  auto refused = IteratorOffset(registry_.get(), ref_, "LATEST");
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable) << refused.status().ToString();
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "AT_TIMESTAMP", &at_third).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(IteratorOffset(registry_.get(), ref_, "TRIM_HORIZON").value(), 0u);
}

}  // namespace
}  // namespace spate::streams
