#include "streams/fan_out.h"

#include <gtest/gtest.h>

#include <condition_variable>

#include "protocol/event_stream.h"
#include "protocol/json_codec.h"
#include "streams/consumers.h"
#include "streams/tests/registry_fixture.h"
#include "util/base64.h"

namespace spate::streams {
namespace {

namespace es = protocol::event_stream;
using metadata::ConsumerMeta;
using metadata::ConsumerStatus;
using metadata::StreamMode;

// An in-memory response body: what a client would have received.
class MemorySink final : public EventSink {
 public:
  bool Write(std::string bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_) return false;
    if (!ended_) bytes_ += bytes;
    cv_.notify_all();
    return true;
  }
  size_t Buffered() const override { return buffered_; }
  void End() override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  // Waits (bounded) until at least `n` bytes arrived; for the one test that
  // runs the push thread.
  bool WaitForBytes(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return bytes_.size() >= n; });
  }
  void OnClose(std::function<void()> cb) override {
    std::lock_guard<std::mutex> lock(mu_);
    on_close_ = std::move(cb);
  }

  // The client goes away.
  void Disconnect() {
    std::function<void()> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      gone_ = true;
      cb = std::move(on_close_);
    }
    if (cb) cb();
  }
  bool ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  std::string bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }
  // Every message received so far (asserts they all decode).
  std::vector<es::Message> Messages() const {
    std::string all = bytes();
    std::string_view in = all;
    std::vector<es::Message> out;
    std::string error;
    while (auto m = es::Decode(&in, &error)) out.push_back(std::move(*m));
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_TRUE(in.empty());
    return out;
  }
  size_t buffered_ = 0;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string bytes_;
  bool ended_ = false;
  bool gone_ = false;
  std::function<void()> on_close_;
};

protocol::Value Payload(const es::Message& m) {
  auto v = protocol::ParseJson(m.payload);
  EXPECT_TRUE(v.ok()) << m.payload;
  return v.ok() ? *v : protocol::Value();
}

class FanOutTest : public RegistryFixture {
 protected:
  FanOutTest() { ref_ = StreamRef{"000000000000", "us-east-1", "fan"}; }

  void SetUp() override {
    RegistryFixture::SetUp();
    OpenStores();
    MakeRegistry(RegistryOptions{});
    FanOutOptions fo;
    fo.heartbeat_ms = 5000;
    fo.subscription_ms = 300'000;
    fo.takeover_guard_ms = 5000;
    fo.validate_ms = 200;
    fan_out_ = std::make_unique<FanOut>(fo, registry_.get(), &clock_);
    registry_->SetAppendObserver([this](const std::string& g, model::ShardIndex s) { fan_out_->OnAppend(g, s); });
    StartRegistry();
    ASSERT_TRUE(registry_->CreateStream(ref_, 1, StreamMode::kProvisioned, {}).ok());
    Settle();
  }
  void TearDown() override {
    fan_out_.reset();
    RegistryFixture::TearDown();
  }

  // Registers an ACTIVE consumer and returns its ARN.
  std::string AddConsumer(const std::string& name) {
    std::string arn;
    EXPECT_TRUE(registry_
                    ->UpdateStream(ref_,
                                   [&](metadata::StreamMeta& m) {
                                     ConsumerMeta c{name, clock_.NowMs(), ConsumerStatus::kActive, clock_.NowMs(), {}};
                                     arn = ConsumerArn(m, c);
                                     m.consumers.push_back(c);
                                     return Status::Ok();
                                   })
                    .ok());
    return arn;
  }

  void Put(std::vector<std::string> datas) {
    std::vector<PutEntry> entries;
    for (auto& d : datas) entries.push_back(PutEntry{"pk", d, std::nullopt});
    auto r = TryPut(ref_, std::move(entries));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Subscribes the consumer to shard 0 from `offset` (or the tip).
  Status Subscribe(const std::string& consumer, std::shared_ptr<MemorySink> sink,
                   std::optional<uint64_t> offset = std::nullopt) {
    SubscribeRequest r;
    r.stream = ref_;
    r.consumer_arn = consumer;
    EXPECT_TRUE(registry_
                    ->WithStream(ref_,
                                 [&](const Stream& s) {
                                   r.storage_group = s.meta().storage_group;
                                   r.epoch = s.meta().epoch;
                                   r.log = s.Log(model::ShardIndex{0});
                                   auto ref = ParseConsumerArn(consumer);
                                   const ConsumerMeta* c = FindConsumer(s.meta(), *ref);
                                   r.consumer_name = c->name;
                                   r.consumer_created_ms = c->created_ms;
                                   return Status::Ok();
                                 })
                    .ok());
    r.shard = model::ShardIndex{0};
    r.start_offset = offset ? model::LogOffset(*offset) : r.log->EndOffset();
    return fan_out_->Subscribe(std::move(r), [sink] { return sink; });
  }

  // The data of every record in the sink's SubscribeToShardEvents.
  static std::vector<std::string> Datas(const MemorySink& sink) {
    std::vector<std::string> out;
    for (const es::Message& m : sink.Messages()) {
      if (m.HeaderValue(":event-type") != "SubscribeToShardEvent") continue;
      protocol::Value payload = Payload(m);
      for (const protocol::Value& r : payload.Find("Records")->as_array()) {
        std::string data, error;
        EXPECT_TRUE(util::Base64Decode(r.Find("Data")->as_string(), &data, &error)) << error;
        out.push_back(data);
      }
    }
    return out;
  }
  static size_t EventCount(const MemorySink& sink) {
    size_t n = 0;
    for (const es::Message& m : sink.Messages()) n += m.HeaderValue(":event-type") == "SubscribeToShardEvent";
    return n;
  }

  std::unique_ptr<FanOut> fan_out_;
};

TEST_F(FanOutTest, FirstMessageIsInitialResponse) {
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  auto msgs = sink->Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].HeaderValue(":message-type"), "event");
  EXPECT_EQ(msgs[0].HeaderValue(":event-type"), "initial-response");
}

TEST_F(FanOutTest, HistoryFromTrimHorizonThenLiveRecordsInOrder) {
  Put({"a", "b", "c"});
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink, 0).ok());
  fan_out_->Poll();
  EXPECT_EQ(Datas(*sink), (std::vector<std::string>{"a", "b", "c"}));
  Put({"d"});
  Put({"e", "f"});
  fan_out_->Poll();
  EXPECT_EQ(Datas(*sink), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  auto msgs = sink->Messages();
  protocol::Value last = Payload(msgs.back());
  // The sixth record's number, of the stream's epoch (its first stream: kFirstExactEpoch).
  std::string sixth =
      model::SequenceNumber::OfRecord(model::ShardIndex{0}, model::kFirstExactEpoch, model::LogOffset(5)).ToString();
  EXPECT_EQ(last.GetString("ContinuationSequenceNumber"), sixth);
  EXPECT_EQ(last.Find("MillisBehindLatest")->as_int(), 0);
  EXPECT_FALSE(sink->ended());
}

// SubscribeToShard.Success and SubscribeToShardEvent.Records/Bytes/
// MillisBehindLatest, per consumer.
TEST_F(FanOutTest, CountsSubscriptionsAndPushedRecordsPerConsumer) {
  Put({"ab", "c"});
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink, 0).ok());
  fan_out_->Poll();
  Put({"def"});
  fan_out_->Poll();
  ASSERT_EQ(Datas(*sink), (std::vector<std::string>{"ab", "c", "def"}));
  // The same series the subscription counts into.
  auto m = registry_->metrics().ForConsumer(ref_, "c");
  EXPECT_EQ(m->subscribe_success->Value(), 1u);
  EXPECT_EQ(m->event_records->Value(), 3u);
  EXPECT_EQ(m->event_bytes->Value(), 4u + 3 + 5);       // data and partition key "pk"
  EXPECT_EQ(m->event_millis_behind->Read().count, 2u);  // two events with records, both caught up
  EXPECT_EQ(m->event_millis_behind->Read().counts[0], 2u);
  EXPECT_EQ(registry_->metrics().ForConsumer(ref_, "other")->event_records->Value(), 0u);
}

TEST_F(FanOutTest, LatestSeesOnlyNewRecords) {
  Put({"old"});
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  fan_out_->Poll();
  Put({"new"});
  fan_out_->Poll();
  EXPECT_EQ(Datas(*sink), (std::vector<std::string>{"new"}));
}

TEST_F(FanOutTest, TenSubscribersShareOneReadPerRange) {
  std::vector<std::shared_ptr<MemorySink>> sinks;
  for (int i = 0; i < 10; ++i) {
    sinks.push_back(std::make_shared<MemorySink>());
    ASSERT_TRUE(Subscribe(AddConsumer("c" + std::to_string(i)), sinks.back()).ok());
  }
  fan_out_->Poll();
  uint64_t before = fan_out_->ReadCount();
  Put({"x", "y"});
  fan_out_->Poll();
  EXPECT_EQ(fan_out_->ReadCount() - before, 1u);
  for (auto& s : sinks) {
    EXPECT_EQ(Datas(*s), (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(s->bytes(), sinks[0]->bytes());  // the same encoded event
  }
}

TEST_F(FanOutTest, SubscribersAtDifferentPositionsEachGetTheirRange) {
  Put({"a", "b"});
  auto from_start = std::make_shared<MemorySink>();
  auto from_tip = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("early"), from_start, 0).ok());
  ASSERT_TRUE(Subscribe(AddConsumer("late"), from_tip).ok());
  Put({"c"});
  fan_out_->Poll();
  EXPECT_EQ(Datas(*from_start), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Datas(*from_tip), (std::vector<std::string>{"c"}));
}

TEST_F(FanOutTest, HeartbeatAfterSilenceOnly) {
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  fan_out_->Poll();
  clock_.AdvanceMs(4999);
  fan_out_->Poll();
  EXPECT_EQ(EventCount(*sink), 0u);
  clock_.AdvanceMs(1);
  fan_out_->Poll();
  ASSERT_EQ(EventCount(*sink), 1u);
  protocol::Value hb = Payload(sink->Messages().back());
  EXPECT_TRUE(hb.Find("Records")->as_array().empty());
  EXPECT_TRUE(hb.Has("ContinuationSequenceNumber"));
  EXPECT_FALSE(hb.Has("ChildShards"));
  fan_out_->Poll();
  EXPECT_EQ(EventCount(*sink), 1u);
}

TEST_F(FanOutTest, EndsAfterSubscriptionLifetimeWithoutException) {
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  clock_.AdvanceMs(299'999);
  fan_out_->Poll();
  EXPECT_FALSE(sink->ended());
  clock_.AdvanceMs(1);
  fan_out_->Poll();
  EXPECT_TRUE(sink->ended());
  for (const auto& m : sink->Messages()) EXPECT_EQ(m.HeaderValue(":message-type"), "event");
  EXPECT_EQ(fan_out_->SubscriptionCount(), 0u);
}

TEST_F(FanOutTest, SecondSubscriptionWithinGuardIsRefused) {
  std::string c = AddConsumer("c");
  auto first = std::make_shared<MemorySink>();
  auto second = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(c, first).ok());
  clock_.AdvanceMs(4999);
  Status st = Subscribe(c, second);
  EXPECT_EQ(st.code(), ErrorCode::kResourceInUse);
  EXPECT_EQ(st.message(),
            "Another active subscription exists for this consumer: 000000000000:fan:shardId-000000000000:c");
  EXPECT_TRUE(second->bytes().empty());
  EXPECT_FALSE(first->ended());
}

TEST_F(FanOutTest, LaterSubscriptionTakesOver) {
  std::string c = AddConsumer("c");
  auto first = std::make_shared<MemorySink>();
  auto second = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(c, first).ok());
  clock_.AdvanceMs(5000);
  ASSERT_TRUE(Subscribe(c, second).ok());
  EXPECT_TRUE(first->ended());
  auto msgs = first->Messages();
  EXPECT_EQ(msgs.back().HeaderValue(":message-type"), "exception");
  EXPECT_EQ(msgs.back().HeaderValue(":exception-type"), "ResourceInUseException");
  Put({"z"});
  fan_out_->Poll();
  EXPECT_EQ(Datas(*second), (std::vector<std::string>{"z"}));
  EXPECT_EQ(fan_out_->SubscriptionCount(), 1u);
}

TEST_F(FanOutTest, OtherConsumersOnTheSameShardAreIndependent) {
  auto a = std::make_shared<MemorySink>();
  auto b = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("a"), a).ok());
  EXPECT_TRUE(Subscribe(AddConsumer("b"), b).ok());
  EXPECT_EQ(fan_out_->SubscriptionCount(), 2u);
}

TEST_F(FanOutTest, BackpressuredSubscriberKeepsItsPositionAndCatchesUp) {
  auto slow = std::make_shared<MemorySink>();
  auto fast = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("slow"), slow).ok());
  ASSERT_TRUE(Subscribe(AddConsumer("fast"), fast).ok());
  slow->buffered_ = fan_out_->options().max_buffered_bytes + 1;
  Put({"1"});
  fan_out_->Poll();
  Put({"2"});
  fan_out_->Poll();
  EXPECT_EQ(Datas(*fast), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(Datas(*slow).empty());
  slow->buffered_ = 0;
  fan_out_->Poll();
  EXPECT_EQ(Datas(*slow), (std::vector<std::string>{"1", "2"}));
}

TEST_F(FanOutTest, EachSubscriptionIsLimitedToItsReadRate) {
  FanOutOptions fo = fan_out_->options();
  fo.read_bytes_per_second = 2 << 20;  // AWS: 2 MiB/s per consumer and shard
  fan_out_ = std::make_unique<FanOut>(fo, registry_.get(), &clock_);
  std::string big(512 << 10, 'x');  // 5 MiB in all, written within the shard's 1 MiB/s
  for (int i = 0; i < 10; ++i) {
    Put({big});
    clock_.AdvanceMs(600);
  }
  auto limited = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("limited"), limited, 0).ok());
  for (int i = 0; i < 10; ++i) fan_out_->Poll();
  // A full bucket (2 MiB) lets the last event (up to 1 MiB) overdraw it:
  // about 3 MiB at once, never all 5.
  size_t first = Datas(*limited).size();
  EXPECT_GE(first, 4u);
  EXPECT_LE(first, 6u);
  clock_.AdvanceMs(1000);
  for (int i = 0; i < 10; ++i) fan_out_->Poll();
  size_t second = Datas(*limited).size();
  EXPECT_GT(second, first);
  EXPECT_LT(second, 10u);
  clock_.AdvanceMs(2000);
  for (int i = 0; i < 10; ++i) fan_out_->Poll();
  EXPECT_EQ(Datas(*limited).size(), 10u);
  EXPECT_FALSE(limited->ended());
}

TEST_F(FanOutTest, DisconnectedClientIsDropped) {
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  sink->Disconnect();
  fan_out_->Poll();
  EXPECT_EQ(fan_out_->SubscriptionCount(), 0u);
}

TEST_F(FanOutTest, EndConsumerSendsExceptionFrame) {
  std::string c = AddConsumer("c");
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(c, sink).ok());
  fan_out_->EndConsumer(c, "ResourceNotFoundException", "gone");
  EXPECT_TRUE(sink->ended());
  auto msgs = sink->Messages();
  EXPECT_EQ(msgs.back().HeaderValue(":exception-type"), "ResourceNotFoundException");
  EXPECT_EQ(Payload(msgs.back()).GetString("message"), "gone");
}

TEST_F(FanOutTest, DeregisteredConsumerIsNoticedByValidation) {
  std::string c = AddConsumer("c");
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(c, sink).ok());
  fan_out_->Poll();
  ASSERT_TRUE(registry_
                  ->UpdateStream(ref_,
                                 [&](metadata::StreamMeta& m) {
                                   m.consumers[0].status = ConsumerStatus::kDeleting;
                                   return Status::Ok();
                                 })
                  .ok());
  clock_.AdvanceMs(200);
  fan_out_->Poll();
  EXPECT_TRUE(sink->ended());
  EXPECT_EQ(sink->Messages().back().HeaderValue(":exception-type"), "ResourceNotFoundException");
}

TEST_F(FanOutTest, ClosedShardEndsWithChildShards) {
  Put({"a"});
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink, 0).ok());
  // Close shard 0 at its tip with two children, as a split does.
  ASSERT_TRUE(registry_
                  ->UpdateStream(ref_,
                                 [&](metadata::StreamMeta& m) {
                                   metadata::ShardMeta parent = m.shards[0];
                                   m.shards[0].end_offset = model::LogOffset(1);
                                   m.shards[0].closed_ms = clock_.NowMs();
                                   auto mid = parent.range.start + (parent.range.end - parent.range.start) / 2;
                                   for (uint32_t i = 0; i < 2; ++i) {
                                     metadata::ShardMeta child;
                                     child.index = m.next_shard_index;
                                     ++m.next_shard_index.value;
                                     child.range = i == 0 ? model::HashKeyRange{parent.range.start, mid}
                                                          : model::HashKeyRange{mid + 1, parent.range.end};
                                     child.parent = parent.index;
                                     child.created_ms = clock_.NowMs();
                                     m.shards.push_back(child);
                                   }
                                   return Status::Ok();
                                 })
                  .ok());
  clock_.AdvanceMs(200);
  fan_out_->Poll();
  EXPECT_TRUE(sink->ended());
  EXPECT_EQ(Datas(*sink), (std::vector<std::string>{"a"}));
  protocol::Value last = Payload(sink->Messages().back());
  const protocol::Value* children = last.Find("ChildShards");
  ASSERT_NE(children, nullptr);
  ASSERT_EQ(children->as_array().size(), 2u);
  EXPECT_EQ(children->as_array()[0].GetString("ShardId"), "shardId-000000000001");
  EXPECT_EQ(children->as_array()[1].Find("ParentShards")->as_array()[0].as_string(), "shardId-000000000000");
}

TEST_F(FanOutTest, DeletedStreamEndsSubscriptions) {
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  ASSERT_TRUE(registry_->DeleteStream(ref_).ok());
  clock_.AdvanceMs(200);
  fan_out_->Poll();
  EXPECT_TRUE(sink->ended());
  EXPECT_EQ(sink->Messages().back().HeaderValue(":exception-type"), "ResourceNotFoundException");
}

TEST_F(FanOutTest, PushThreadDeliversWithoutPolling) {
  fan_out_->Start();
  auto sink = std::make_shared<MemorySink>();
  ASSERT_TRUE(Subscribe(AddConsumer("c"), sink).ok());
  size_t initial = sink->bytes().size();
  Put({"pushed"});
  // The append woke the push thread; wait for its event (bounded).
  ASSERT_TRUE(sink->WaitForBytes(initial + 1, std::chrono::seconds(10)));
  EXPECT_EQ(Datas(*sink), (std::vector<std::string>{"pushed"}));
  fan_out_->Stop();
  EXPECT_TRUE(sink->ended());
}

}  // namespace
}  // namespace spate::streams
