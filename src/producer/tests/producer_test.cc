// spate::Producer with its threads, over FakeKinesis. Waits are on futures
// and FlushAndWait with generous bounds, never fixed sleeps; time-driven
// behaviour is checked with an injected ManualClock.
#include "spate/producer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_kinesis.h"
#include "producer/producer_impl.h"
#include "util/clock.h"

namespace spate::producer {
namespace {

using testing::FakeKinesis;
using namespace std::chrono_literals;

constexpr auto kWait = 20s;  // an upper bound for anything that should happen

// A gate a fake call waits at until opened.
class Gate {
 public:
  void Wait() {
    std::unique_lock lk(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lk(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool AwaitWaiter() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] { return waiting_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

std::map<std::string, std::vector<std::string>> ByKey(const FakeKinesis& fake) {
  std::map<std::string, std::vector<std::string>> out;
  for (const testing::Stored& s : fake.stored()) {
    for (UserRecord& u : Deaggregate(s.entry.data, s.entry.partition_key, s.entry.explicit_hash_key)) {
      out[u.partition_key].push_back(u.data);
    }
  }
  return out;
}

TEST(Producer, PutsAggregatesAndCompletesEveryRecord) {
  auto fake = std::make_shared<FakeKinesis>(4);
  auto created = Producer::Create(fake);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Producer> p = std::move(created).value();
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 5000; ++i) {
    futures.push_back(p->Put("s", "key-" + std::to_string(i % 50), std::to_string(i) + std::string(90, 'x')));
  }
  ASSERT_TRUE(p->FlushAndWait(kWait));
  std::map<std::string, int> subs_per_sequence;
  for (auto& f : futures) {
    PutOutcome o = f.get();
    ASSERT_TRUE(o.ok()) << o.error().type;
    EXPECT_FALSE(o.value().shard_id.empty());
    EXPECT_FALSE(o.value().sequence_number.empty());
    ++subs_per_sequence[o.value().sequence_number];
  }
  // Many user records share one Kinesis record.
  EXPECT_LT(subs_per_sequence.size(), 200u);
  size_t total = 0;
  for (auto& [key, values] : ByKey(*fake)) {
    total += values.size();
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(std::stoi(values[i - 1]), std::stoi(values[i])) << key;
  }
  EXPECT_EQ(total, 5000u);
  ProducerMetrics m = p->metrics();
  EXPECT_EQ(m.user_records_put, 5000u);
  EXPECT_EQ(m.user_records_failed, 0u);
  EXPECT_EQ(m.buffered_records, 0u);
  EXPECT_EQ(m.buffered_bytes, 0u);
  EXPECT_EQ(m.kinesis_records_put, subs_per_sequence.size());
  EXPECT_EQ(m.put_records_calls, static_cast<uint64_t>(fake->put_calls()));
  EXPECT_LT(m.put_records_calls, 200u);
  EXPECT_GT(m.latency_ms_max, 0.0);
  EXPECT_LE(m.latency_ms_p50, m.latency_ms_max);
}

TEST(Producer, InvalidRecordsFailAtOnce) {
  auto fake = std::make_shared<FakeKinesis>(1);
  std::unique_ptr<Producer> p = Producer::Create(fake).value();
  EXPECT_EQ(p->Put("s", "", "v").get().error().type, "ValidationException");
  EXPECT_EQ(p->Put("s", std::string(257, 'k'), "v").get().error().type, "ValidationException");
  EXPECT_EQ(p->Put("s", "k", std::string(1024 * 1024, 'd')).get().error().type, "ValidationException");
  EXPECT_EQ(p->Put("s", "k", "v", "2x").get().error().type, "ValidationException");
  EXPECT_EQ(p->Put("s", "k", "v", "340282366920938463463374607431768211456").get().error().type, "ValidationException");
  EXPECT_TRUE(p->Put("s", std::string(256, 'k'), "v").get().ok());  // limits are inclusive
}

TEST(Producer, InvalidConfigurationIsRefused) {
  auto fake = std::make_shared<FakeKinesis>(1);
  ProducerConfig c;
  c.collection_max_count = 501;
  auto created = Producer::Create(fake, c);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().type, "InvalidConfiguration");
  EXPECT_FALSE(Producer::Create(nullptr).ok());
}

TEST(Producer, AFullBufferFailsFastWhenAsked) {
  auto fake = std::make_shared<FakeKinesis>(1);
  Gate gate;
  fake->before_put = [&] { gate.Wait(); };
  ProducerConfig c;
  c.max_buffered_bytes = 10'000;
  c.block_when_full = false;
  c.record_max_buffered_time = 0ms;
  std::unique_ptr<Producer> p = Producer::Create(fake, c).value();
  std::vector<std::future<PutOutcome>> accepted;
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    std::future<PutOutcome> f = p->Put("s", "k", std::string(1000, 'x'));
    if (f.wait_for(0s) == std::future_status::ready) {
      PutOutcome o = f.get();
      ASSERT_EQ(o.error().type, "ProducerBufferFull");
      ++refused;
    } else {
      accepted.push_back(std::move(f));
    }
    EXPECT_LE(p->metrics().buffered_bytes, 10'000u);
  }
  EXPECT_GT(refused, 80);
  EXPECT_LE(accepted.size(), 10u);
  gate.Open();
  ASSERT_TRUE(p->FlushAndWait(kWait));
  for (auto& f : accepted) EXPECT_TRUE(f.get().ok());
}

TEST(Producer, AFullBufferBlocksPutUntilRoomFrees) {
  auto fake = std::make_shared<FakeKinesis>(1);
  Gate gate;
  fake->before_put = [&] { gate.Wait(); };
  ProducerConfig c;
  c.max_buffered_bytes = 5'000;
  c.record_max_buffered_time = 0ms;
  std::unique_ptr<Producer> p = Producer::Create(fake, c).value();
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(p->Put("s", "k", std::string(999, 'x')));  // 5 x 1,000 bytes
  ASSERT_TRUE(gate.AwaitWaiter());
  std::promise<void> returned;
  std::future<void> put_returned = returned.get_future();
  std::thread putter([&] {
    futures.push_back(p->Put("s", "k", std::string(999, 'y')));
    returned.set_value();
  });
  // The sixth Put cannot return while the first five hold the buffer (a
  // Put that did not block would return well within this bound).
  EXPECT_EQ(put_returned.wait_for(200ms), std::future_status::timeout);
  EXPECT_LE(p->metrics().buffered_bytes, 5'000u);
  gate.Open();
  putter.join();
  EXPECT_EQ(put_returned.wait_for(0s), std::future_status::ready);
  ASSERT_TRUE(p->FlushAndWait(kWait));
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
}

TEST(Producer, ThrottledCallsAreRetriedUntilTheyLand) {
  auto fake = std::make_shared<FakeKinesis>(2);
  fake->call_error = [](int call) -> std::optional<ApiError> {
    if (call < 3) return ApiError{"ProvisionedThroughputExceededException", "Rate exceeded for shard", 400};
    return std::nullopt;
  };
  fake->entry_error = [](int call, size_t index) { return call == 3 && index == 0 ? "InternalFailure" : ""; };
  ProducerConfig c;
  c.min_backoff = 1ms;
  c.max_backoff = 4ms;
  std::unique_ptr<Producer> p = Producer::Create(fake, c).value();
  std::vector<std::future<PutOutcome>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(p->Put("s", "key-" + std::to_string(i % 7), std::to_string(i)));
  ASSERT_TRUE(p->FlushAndWait(kWait));
  int retried = 0;
  for (auto& f : futures) {
    PutOutcome o = f.get();
    ASSERT_TRUE(o.ok());
    if (o.value().attempts > 1) ++retried;
  }
  EXPECT_GT(retried, 0);
  for (auto& [key, values] : ByKey(*fake)) {
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(std::stoi(values[i - 1]), std::stoi(values[i])) << key;
  }
  ProducerMetrics m = p->metrics();
  EXPECT_GE(m.throttled, 3u);
  EXPECT_GT(m.retries, 0u);
  EXPECT_EQ(m.user_records_put, 200u);
}

TEST(Producer, DestructionFlushesWhatIsBuffered) {
  auto fake = std::make_shared<FakeKinesis>(3);
  std::vector<std::future<PutOutcome>> futures;
  {
    ProducerConfig c;
    c.record_max_buffered_time = 60'000ms;  // only the shutdown flush sends them
    std::unique_ptr<Producer> p = Producer::Create(fake, c).value();
    for (int i = 0; i < 300; ++i) futures.push_back(p->Put("s", "key-" + std::to_string(i), "v"));
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    EXPECT_TRUE(f.get().ok());
  }
  size_t total = 0;
  for (auto& [key, values] : ByKey(*fake)) total += values.size();
  EXPECT_EQ(total, 300u);
}

TEST(Producer, DestructionGivesUpAtItsDeadline) {
  auto fake = std::make_shared<FakeKinesis>(1);
  fake->call_error = [](int) -> std::optional<ApiError> {
    return ApiError{"ProvisionedThroughputExceededException", "always", 400};
  };
  std::vector<std::future<PutOutcome>> futures;
  {
    ProducerConfig c;
    c.shutdown_timeout = 50ms;
    c.min_backoff = 1ms;
    c.max_backoff = 2ms;
    std::unique_ptr<Producer> p = Producer::Create(fake, c).value();
    for (int i = 0; i < 10; ++i) futures.push_back(p->Put("s", "k", "v"));
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    PutOutcome o = f.get();
    ASSERT_FALSE(o.ok());
    EXPECT_TRUE(o.error().type == "ProducerShutdown" || o.error().type == "ProvisionedThroughputExceededException")
        << o.error().type;
  }
}

TEST(Producer, RecordsWaitForTheBufferedTimeOnTheInjectedClock) {
  auto fake = std::make_shared<FakeKinesis>(1);
  util::ManualClock clock;
  ProducerConfig c;
  c.record_max_buffered_time = 100ms;
  ProducerImpl p(fake, c, &clock);
  std::future<PutOutcome> f = p.Put("s", "k", "v", "");
  // The shard map is fetched at once; the record waits for its time.
  EXPECT_EQ(f.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(fake->put_calls(), 0);
  clock.AdvanceMs(100);
  p.Wake();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(fake->put_calls(), 1);
}

TEST(Producer, FlushSendsWithoutWaitingForTheBufferedTime) {
  auto fake = std::make_shared<FakeKinesis>(1);
  util::ManualClock clock;  // never advanced
  ProducerImpl p(fake, ProducerConfig{}, &clock);
  std::future<PutOutcome> f = p.Put("s", "k", "v", "");
  p.Flush();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
}

TEST(Producer, ManyThreadsPutConcurrently) {
  auto fake = std::make_shared<FakeKinesis>(4);
  std::unique_ptr<Producer> p = Producer::Create(fake).value();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<PutOutcome>> fs;
      for (int i = 0; i < 500; ++i) fs.push_back(p->Put("s", "t" + std::to_string(t), std::to_string(i)));
      for (auto& f : fs) ok += f.get().ok() ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2000);
  for (auto& [key, values] : ByKey(*fake)) {
    ASSERT_EQ(values.size(), 500u);
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i], std::to_string(i)) << key;
  }
}

// ---- Exactly-once appends (docs/exactly-once.md) ----

TEST(ProducerExactlyOnce, OffByDefault) {
  auto fake = std::make_shared<FakeKinesis>(2);
  std::unique_ptr<Producer> p = Producer::Create(fake).value();
  EXPECT_TRUE(p->Put("s", "k", "v").get().ok());
  EXPECT_EQ(fake->init_calls(), 0);
  EXPECT_TRUE(fake->stamps().empty());
}

TEST(ProducerExactlyOnce, CreateTakesAnEpochAndStampsEveryCall) {
  auto fake = std::make_shared<FakeKinesis>(2);
  ProducerConfig config;
  config.exactly_once = true;
  config.producer_id = "app-1";
  std::unique_ptr<Producer> p = Producer::Create(fake, config).value();
  EXPECT_EQ(fake->init_calls(), 1);
  std::vector<std::future<PutOutcome>> fs;
  for (int i = 0; i < 300; ++i) fs.push_back(p->Put("s", "k" + std::to_string(i % 7), std::to_string(i)));
  ASSERT_TRUE(p->FlushAndWait(kWait));
  for (auto& f : fs) EXPECT_TRUE(f.get().ok());
  std::vector<ProducerStamp> stamps = fake->stamps();
  ASSERT_FALSE(stamps.empty());
  std::set<int64_t> sequences;
  for (const ProducerStamp& st : stamps) {
    EXPECT_EQ(st.producer_id, "app-1");
    EXPECT_EQ(st.epoch, 1);
    EXPECT_TRUE(sequences.insert(st.sequence).second) << "sequence " << st.sequence << " used twice";
  }
  EXPECT_EQ(fake->put_calls(), static_cast<int>(stamps.size()));
}

TEST(ProducerExactlyOnce, LostAnswerIsResentWithTheSameStampAndStoredOnce) {
  auto fake = std::make_shared<FakeKinesis>(1);
  fake->lose_answer = [](int call) { return call == 0; };  // the first call's answer never arrives
  ProducerConfig config;
  config.exactly_once = true;
  config.min_backoff = std::chrono::milliseconds(1);
  std::unique_ptr<Producer> p = Producer::Create(fake, config).value();
  std::vector<std::future<PutOutcome>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(p->Put("s", "k", std::to_string(i)));
  ASSERT_TRUE(p->FlushAndWait(kWait));
  for (auto& f : fs) ASSERT_TRUE(f.get().ok());
  std::vector<ProducerStamp> stamps = fake->stamps();
  ASSERT_GE(stamps.size(), 2u);
  EXPECT_EQ(stamps[1].sequence, stamps[0].sequence);  // the resend
  auto by_key = ByKey(*fake);
  ASSERT_EQ(by_key["k"].size(), 50u);  // once each, in order
  for (int i = 0; i < 50; ++i) EXPECT_EQ(by_key["k"][static_cast<size_t>(i)], std::to_string(i));
}

TEST(ProducerExactlyOnce, FencedProducerFailsItsRecords) {
  auto fake = std::make_shared<FakeKinesis>(1);
  ProducerConfig config;
  config.exactly_once = true;
  config.producer_id = "same";
  std::unique_ptr<Producer> old_one = Producer::Create(fake, config).value();
  std::unique_ptr<Producer> new_one = Producer::Create(fake, config).value();  // epoch 2 fences epoch 1
  PutOutcome fenced = old_one->Put("s", "k", "late").get();
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().type, "ConcurrentModificationException");
  EXPECT_TRUE(new_one->Put("s", "k", "fresh").get().ok());
}

}  // namespace
}  // namespace spate::producer
