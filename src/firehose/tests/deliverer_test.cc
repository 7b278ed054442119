#include "firehose/deliverer.h"
#include "firehose/destination.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

#include "storage/log_store.h"
#include "util/file_system.h"

namespace spate::firehose {
namespace {

// The destination stand-in: keeps objects in memory, fails the first
// `failures` puts (kUnavailable), lets a test wait for a number of objects.
class MemoryStore final : public ObjectStore {
 public:
  explicit MemoryStore(int failures = 0) : failures_(failures) {}

  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const std::atomic<bool>* /*cancel*/) override {
    std::lock_guard<std::mutex> l(mu_);
    attempts_.emplace_back(std::string(bucket) + "/" + std::string(key));
    if (failures_ != 0) {
      if (failures_ > 0) --failures_;
      cv_.notify_all();
      return Unavailable("injected: 503 SlowDown");
    }
    objects_[std::string(bucket) + "/" + std::string(key)] = std::string(body);
    cv_.notify_all();
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

  // Waits until the objects hold `n` bytes in all; false after 10 s.
  bool WaitForBytes(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] {
      size_t total = 0;
      for (const auto& [k, v] : objects_) total += v.size();
      return total >= n;
    });
  }
  // Waits until `n` objects exist (or attempts, with attempts=true); false after 10 s.
  bool WaitFor(size_t n, bool attempts = false) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10),
                        [&] { return (attempts ? attempts_.size() : objects_.size()) >= n; });
  }
  std::map<std::string, std::string> objects() {
    std::lock_guard<std::mutex> l(mu_);
    return objects_;
  }
  std::vector<std::string> attempts() {
    std::lock_guard<std::mutex> l(mu_);
    return attempts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int failures_;  // -1: fail forever
  std::map<std::string, std::string> objects_;
  std::vector<std::string> attempts_;
};

// A destination that sits on every upload until it is cancelled (at most 10 s).
class HangingStore final : public ObjectStore {
 public:
  Status PutObject(std::string_view, std::string_view, std::string_view, const std::atomic<bool>* cancel) override {
    entered_.store(true);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (cancel == nullptr || !cancel->load()) {
      if (std::chrono::steady_clock::now() > deadline) return Unavailable("never cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    cancelled_.store(true);
    return Unavailable("cancelled");
  }
  std::string Describe() const override { return "hanging"; }
  std::atomic<bool> entered_{false};
  std::atomic<bool> cancelled_{false};
};

// A sink whose every attempt waits `wait_ms` on the test's clock for an
// answer that says no; reports the wait as not counted by the retry window
// when `excluded` (as the HTTP endpoint sink does). Records its attempts and
// expiries.
class SlowFailingSink final : public Sink {
 public:
  SlowFailingSink(util::ManualClock* clock, int64_t wait_ms, bool excluded, int64_t window_ms)
      : clock_(clock), wait_ms_(wait_ms), excluded_(excluded), window_ms_(window_ms) {}

  BufferingHints Buffering() const override { return {5u << 20, 0}; }
  int64_t RetryWindowMs() const override { return window_ms_; }
  Status Deliver(const Batch&, SinkCounts* counts, const std::atomic<bool>*) override {
    clock_->AdvanceMs(wait_ms_);
    if (excluded_) counts->window_excluded_ms = wait_ms_;
    std::lock_guard<std::mutex> l(mu_);
    ++attempts_;
    cv_.notify_all();
    return Unavailable("injected: 500 after waiting");
  }
  Status Expire(const Batch& batch, const Status&, SinkCounts* counts, const std::atomic<bool>*) override {
    std::lock_guard<std::mutex> l(mu_);
    expired_at_attempt_ = attempts_;
    counts->failed = batch.records.size();
    cv_.notify_all();
    return Status::Ok();
  }
  std::string Describe() const override { return "slow failing sink"; }

  // Waits until `n` attempts were made; false after 10 s.
  bool WaitForAttempts(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] { return attempts_ >= n; });
  }
  // The attempt count when Expire was called (waits up to 10 s), or -1.
  int WaitForExpiry() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(10), [&] { return expired_at_attempt_ >= 0; });
    return expired_at_attempt_;
  }
  int expired_at_attempt() {
    std::lock_guard<std::mutex> l(mu_);
    return expired_at_attempt_;
  }

 private:
  util::ManualClock* const clock_;
  const int64_t wait_ms_;
  const bool excluded_;
  const int64_t window_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  int attempts_ = 0;
  int expired_at_attempt_ = -1;
};

// The real catalog, but PutEntry fails (kInternal, as a full or failing
// disk makes RocksDB's synced write fail) while `fail_puts` is set.
class FailingCatalog final : public metadata::Catalog {
 public:
  explicit FailingCatalog(metadata::Catalog* real) : real_(real) {}
  Status PutStream(const metadata::StreamMeta& meta) override { return real_->PutStream(meta); }
  Status DeleteStream(std::string_view key) override { return real_->DeleteStream(key); }
  Result<std::vector<metadata::StreamMeta>> LoadStreams() override { return real_->LoadStreams(); }
  Status PutEntry(std::string_view ns, std::string_view key, std::string_view value) override {
    if (fail_puts.load()) return Internal("injected: the catalog write failed");
    return real_->PutEntry(ns, key, value);
  }
  Status DeleteEntry(std::string_view ns, std::string_view key) override { return real_->DeleteEntry(ns, key); }
  Result<std::vector<std::pair<std::string, std::string>>> LoadEntries(std::string_view ns) override {
    return real_->LoadEntries(ns);
  }
  Result<std::optional<std::string>> GetEntry(std::string_view ns, std::string_view key) override {
    return real_->GetEntry(ns, key);
  }
  Result<std::optional<std::string>> GetSetting(std::string_view name) override { return real_->GetSetting(name); }
  Status PutSetting(std::string_view name, std::string_view value) override { return real_->PutSetting(name, value); }

  std::atomic<bool> fail_puts{false};

 private:
  metadata::Catalog* const real_;
};

// A MemoryStore that makes `catalog`'s writes fail once it has accepted an
// object: the delivery succeeds, saving its end does not.
class CatalogFailsAfterUpload final : public ObjectStore {
 public:
  explicit CatalogFailsAfterUpload(FailingCatalog* catalog) : catalog_(catalog) {}
  Status PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                   const std::atomic<bool>* cancel) override {
    SPATE_TRY(store.PutObject(bucket, key, body, cancel));
    catalog_->fail_puts = true;
    return Status::Ok();
  }
  std::string Describe() const override { return "memory, then a failing catalog"; }
  MemoryStore store;

 private:
  FailingCatalog* const catalog_;
};

class DelivererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("spate-deliverer-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto c = metadata::Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(c).value();
    storage::LogStoreOptions o;
    o.dir = (dir_ / "firehose").string();
    o.fs = util::PosixFileSystem();
    o.clock = &clock_;
    o.segment_bytes = 4096;
    auto l = storage::LogStore::Open(o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    logs_ = std::move(l).value();
    auto log = logs_->OpenShard("ds-0123456789abcdef", model::ShardIndex{0});
    ASSERT_TRUE(log.ok());
    log_ = *log;
  }
  void Close() {
    log_.reset();
    logs_.reset();
    catalog_.reset();
  }
  // An S3 destination as the tests write it; Real() makes its sink.
  struct TestTarget {
    std::string stream_name;
    int64_t version_id = 1;
    S3Destination s3;
  };
  DeliveryTarget Real(const TestTarget& t, ObjectStore* store, ObjectStore* error_output = nullptr,
                      int64_t retry_window_ms = DelivererOptions::kS3RetryWindowMs) {
    SinkContext ctx;
    ctx.stream_name = t.stream_name;
    ctx.version_id = t.version_id;
    ctx.objects = store;
    ctx.error_output = error_output;
    ctx.s3_retry_window_ms = retry_window_ms;
    ctx.clock = &clock_;
    DeliveryTarget real;
    real.stream_name = t.stream_name;
    real.version_id = t.version_id;
    real.sink = NewS3Sink(t.s3, ctx);
    return real;
  }
  std::unique_ptr<Deliverer> Make(ObjectStore* store, const TestTarget& target, ObjectStore* error_output = nullptr,
                                  int64_t retry_window_ms = DelivererOptions::kS3RetryWindowMs) {
    return MakeWith(catalog_.get(), store, target, error_output, retry_window_ms);
  }
  std::unique_ptr<Deliverer> MakeWith(metadata::Catalog* catalog, ObjectStore* store, const TestTarget& target,
                                      ObjectStore* error_output = nullptr,
                                      int64_t retry_window_ms = DelivererOptions::kS3RetryWindowMs) {
    DelivererOptions o;
    o.initial_backoff_ms = 1;
    o.max_backoff_ms = 4;
    return std::make_unique<Deliverer>(o, log_, catalog, &clock_, "ds-0123456789abcdef",
                                       Real(target, store, error_output, retry_window_ms));
  }
  static TestTarget Target(int64_t interval_ms, uint64_t bytes = 5u << 20) {
    TestTarget t;
    t.stream_name = "orders";
    t.version_id = 3;
    t.s3.bucket = "b";
    t.s3.buffer_interval_ms = interval_ms;
    t.s3.buffer_bytes = bytes;
    return t;
  }
  void Put(const std::vector<std::string>& records) {
    std::vector<storage::RecordInput> in;
    for (const auto& r : records) in.push_back({std::string_view(), r});
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status st;
    log_->Append(in, clock_.NowMs(), [&](Result<storage::AppendResult> r) {
      std::lock_guard<std::mutex> l(mu);
      st = r.status();
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done; });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::filesystem::path dir_;
  // 2018-08-27T10:30:00Z, the instant of AWS's documented prefix examples.
  util::ManualClock clock_{1535365800000};
  std::unique_ptr<metadata::Catalog> catalog_;
  std::unique_ptr<storage::LogStore> logs_;
  std::shared_ptr<storage::ShardLog> log_;
};

TEST_F(DelivererTest, ZeroBufferingDeliversUnderAwsKeyLayout) {
  MemoryStore store;
  auto d = Make(&store, Target(0));
  ASSERT_TRUE(d->Start().ok());
  Put({"a|", "b|", "c|"});
  d->Notify();
  ASSERT_TRUE(store.WaitFor(1));
  auto objects = store.objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, body] = *objects.begin();
  EXPECT_EQ(body, "a|b|c|");
  std::regex layout(
      R"(b/2018/08/27/10/orders-3-2018-08-27-10-30-00-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})");
  EXPECT_TRUE(std::regex_match(key, layout)) << key;
  d->Stop();
  EXPECT_EQ(d->Stats().records, 3u);
  EXPECT_EQ(d->Stats().objects, 1u);
}

TEST_F(DelivererTest, FailedUploadsAreRetriedUnderTheSameKey) {
  MemoryStore store(3);
  auto d = Make(&store, Target(0));
  ASSERT_TRUE(d->Start().ok());
  Put({"x", "y"});
  d->Notify();
  ASSERT_TRUE(store.WaitFor(1));
  auto attempts = store.attempts();
  ASSERT_EQ(attempts.size(), 4u);
  for (const auto& a : attempts) EXPECT_EQ(a, attempts[0]);
  EXPECT_EQ(store.objects().begin()->second, "xy");
  d->Stop();
  EXPECT_EQ(d->Stats().failed_attempts, 3u);
  EXPECT_TRUE(d->Stats().last_error.empty());
}

TEST_F(DelivererTest, APendingObjectIsReplayedAfterRestartUnderTheSameKeyWithTheSameRecords) {
  std::string key;
  {
    MemoryStore down(-1);
    auto d = Make(&down, Target(0));
    ASSERT_TRUE(d->Start().ok());
    Put({"1;", "2;", "3;"});
    d->Notify();
    ASSERT_TRUE(down.WaitFor(2, /*attempts=*/true));
    d->Stop();  // the destination never answered: the object is still pending
    key = down.attempts()[0];
  }
  // Records acknowledged after the cut are not part of the pending object.
  Put({"4;"});
  Close();
  Open();
  MemoryStore up;
  auto d = Make(&up, Target(0));
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(up.WaitFor(2));
  auto objects = up.objects();
  ASSERT_EQ(objects.count(key), 1u) << key;
  EXPECT_EQ(objects[key], "1;2;3;");
  std::string rest;
  for (const auto& [k, v] : objects) {
    if (k != key) rest += v;
  }
  EXPECT_EQ(rest, "4;");
  d->Stop();
  // Delivered segments are trimmed from the buffer.
  EXPECT_EQ(log_->StartOffset(), log_->EndOffset());
}

TEST_F(DelivererTest, AnObjectFailingForTheWholeRetryWindowGoesToTheErrorOutputUnderItsKey) {
  MemoryStore down(-1);
  MemoryStore errors;
  auto d = Make(&down, Target(0), &errors, /*retry_window_ms=*/60'000);
  ASSERT_TRUE(d->Start().ok());
  Put({"p;", "q;"});
  d->Notify();
  ASSERT_TRUE(down.WaitFor(3, /*attempts=*/true));
  // Within the window: retried, never sent to the error output.
  clock_.AdvanceMs(59'999);
  size_t seen = down.attempts().size();
  ASSERT_TRUE(down.WaitFor(seen + 2, /*attempts=*/true));
  EXPECT_TRUE(errors.objects().empty());
  clock_.AdvanceMs(1);
  ASSERT_TRUE(errors.WaitFor(1));
  auto expired = errors.objects();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired.begin()->first, down.attempts()[0]);  // the key it would have had
  EXPECT_EQ(expired.begin()->second, "p;q;");
  // Records after it are a new object with a window of their own.
  Put({"r;"});
  d->Notify();
  size_t before = down.attempts().size();
  ASSERT_TRUE(down.WaitFor(before + 3, /*attempts=*/true));
  EXPECT_EQ(errors.objects().size(), 1u);
  d->Stop();
  EXPECT_EQ(d->Stats().expired_objects, 1u);
  EXPECT_EQ(d->Stats().expired_records, 2u);
  EXPECT_EQ(d->Stats().objects, 0u);
}

TEST_F(DelivererTest, TheRetryWindowIsNotResetByARestart) {
  std::string key;
  {
    MemoryStore down(-1);
    MemoryStore errors;
    auto d = Make(&down, Target(0), &errors, /*retry_window_ms=*/60'000);
    ASSERT_TRUE(d->Start().ok());
    Put({"s;"});
    d->Notify();
    ASSERT_TRUE(down.WaitFor(2, /*attempts=*/true));
    d->Stop();
    key = down.attempts()[0];
    EXPECT_TRUE(errors.objects().empty());
  }
  Close();
  Open();
  clock_.AdvanceMs(60'000);  // the window has passed while the server was down
  MemoryStore down(-1);
  MemoryStore errors;
  auto d = Make(&down, Target(0), &errors, /*retry_window_ms=*/60'000);
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(errors.WaitFor(1));
  EXPECT_EQ(errors.objects().begin()->first, key);
  EXPECT_EQ(errors.objects().begin()->second, "s;");
  // One attempt at the destination after the restart, then the error output.
  EXPECT_EQ(down.attempts().size(), 1u);
  d->Stop();
}

TEST_F(DelivererTest, TimeWaitingForAnswersIsNotCountedWhenTheSinkExcludesIt) {
  // HTTP endpoint: each attempt waits 10 s for its (failing) answer; the
  // 15 s window counts only the time between attempts.
  auto sink = std::make_shared<SlowFailingSink>(&clock_, 10'000, /*excluded=*/true, 15'000);
  DelivererOptions o;
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 4;
  DeliveryTarget target;
  target.stream_name = "orders";
  target.sink = sink;
  Deliverer d(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", target);
  ASSERT_TRUE(d.Start().ok());
  Put({"w;"});
  d.Notify();
  // Six attempts: a minute of waiting for answers, still inside the window.
  ASSERT_TRUE(sink->WaitForAttempts(6));
  EXPECT_EQ(sink->expired_at_attempt(), -1);
  // 15 s more on the test's clock (between attempts or during the sixth or
  // a later one, as the threads race: not all of it is an answer's wait):
  // the window has passed.
  clock_.AdvanceMs(15'000);
  EXPECT_GE(sink->WaitForExpiry(), 6);
  d.Stop();
  EXPECT_EQ(d.Stats().expired_records, 1u);
}

TEST_F(DelivererTest, TimeWaitingForAnswersCountsWhenTheSinkDoesNotExcludeIt) {
  // OpenSearch's and Redshift's windows include the first attempt: it
  // starts when the first attempt began (0 s); each attempt takes 10 s, so
  // the third ends at 30 s, past the 25 s window, and expires the batch (a
  // window started at the end of the first attempt would last to the fourth).
  auto sink = std::make_shared<SlowFailingSink>(&clock_, 10'000, /*excluded=*/false, 25'000);
  DelivererOptions o;
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 4;
  DeliveryTarget target;
  target.stream_name = "orders";
  target.sink = sink;
  Deliverer d(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", target);
  ASSERT_TRUE(d.Start().ok());
  Put({"w;"});
  d.Notify();
  EXPECT_EQ(sink->WaitForExpiry(), 3);
  d.Stop();
}

TEST_F(DelivererTest, AFirstAttemptLongerThanTheWindowIsNotRetried) {
  // AWS's Redshift: no retry "if the first delivery attempt takes longer
  // than" DurationInSeconds.
  auto sink = std::make_shared<SlowFailingSink>(&clock_, 10'000, /*excluded=*/false, 5'000);
  DelivererOptions o;
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 4;
  DeliveryTarget target;
  target.stream_name = "orders";
  target.sink = sink;
  Deliverer d(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", target);
  ASSERT_TRUE(d.Start().ok());
  Put({"w;"});
  d.Notify();
  EXPECT_EQ(sink->WaitForExpiry(), 1);
  d.Stop();
}

TEST_F(DelivererTest, WhenTheErrorOutputFailsTooBothAreRetriedAndNothingIsDropped) {
  MemoryStore down(-1);
  MemoryStore errors(/*failures=*/3);
  auto d = Make(&down, Target(0), &errors, /*retry_window_ms=*/1);
  ASSERT_TRUE(d->Start().ok());
  Put({"t;"});
  d->Notify();
  // A second attempt: the first failure has started the window.
  ASSERT_TRUE(down.WaitFor(2, /*attempts=*/true));
  clock_.AdvanceMs(1);
  ASSERT_TRUE(errors.WaitFor(1));
  EXPECT_EQ(errors.attempts().size(), 4u);
  EXPECT_EQ(errors.objects().begin()->second, "t;");
  EXPECT_GE(down.attempts().size(), 4u);
  d->Stop();
  EXPECT_EQ(d->Stats().expired_records, 1u);
}

TEST_F(DelivererTest, ABackupDelivererHoldsTheLogUntilItHasDeliveredAndNamesItsOwnObjects) {
  MemoryStore store;
  MemoryStore backup_store(-1);  // the backup's bucket is down at first
  LogTrimmer trimmer(log_, "ds-0123456789abcdef", 2, &clock_, nullptr);
  DelivererOptions o;
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 4;
  Deliverer main(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &store),
                 "ds-0123456789abcdef", &trimmer, 0);
  Deliverer backup(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &backup_store),
                   "ds-0123456789abcdef/backup", &trimmer, 1);
  // Enough batches to fill more than one 4 KiB segment, all in the log before
  // the deliverers start, so that each cuts them as one object.
  for (int i = 0; i < 4; ++i) Put(std::vector<std::string>(25, std::string(100, 'r')));
  ASSERT_TRUE(main.Start().ok());
  ASSERT_TRUE(backup.Start().ok());
  main.Notify();
  backup.Notify();
  ASSERT_TRUE(store.WaitForBytes(10000));
  ASSERT_TRUE(backup_store.WaitFor(2, /*attempts=*/true));
  // The destination has everything, but the backup has not: nothing is trimmed.
  EXPECT_EQ(log_->StartOffset().value(), 0u);
  backup.Stop();
  std::string backup_key = backup_store.attempts()[0];
  MemoryStore backup_up;
  Deliverer backup2(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &backup_up),
                    "ds-0123456789abcdef/backup", &trimmer, 1);
  ASSERT_TRUE(backup2.Start().ok());
  ASSERT_TRUE(backup_up.WaitForBytes(10000));
  main.Stop();
  backup2.Stop();
  // Same bucket, same prefix, same records: different keys (the id seeds the UUID).
  ASSERT_EQ(store.objects().size(), 1u);
  EXPECT_NE(store.objects().begin()->first, backup_key);
  EXPECT_EQ(backup_up.objects().count(backup_key), 1u);
  EXPECT_EQ(store.objects().begin()->second, backup_up.objects().begin()->second);
  // Both have delivered: the log is trimmed.
  EXPECT_GT(log_->StartOffset().value(), 0u);
}

TEST_F(DelivererTest, AReadersHoldKeepsDeliveredRecordsUntilItMovesOn) {
  MemoryStore store;
  LogTrimmer trimmer(log_, "ds-0123456789abcdef", 1, &clock_, nullptr);
  trimmer.Hold("reader", storage::Offset(0));
  DelivererOptions o;
  Deliverer main(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &store),
                 "ds-0123456789abcdef", &trimmer, 0);
  for (int i = 0; i < 4; ++i) Put(std::vector<std::string>(25, std::string(100, 'r')));
  ASSERT_TRUE(main.Start().ok());
  main.Notify();
  ASSERT_TRUE(store.WaitForBytes(10000));
  main.Stop();
  // Delivered, but the reader has not read past offset 0.
  EXPECT_EQ(log_->StartOffset().value(), 0u);
  trimmer.Hold("reader", log_->EndOffset());
  EXPECT_GT(log_->StartOffset().value(), 0u);
}

TEST_F(DelivererTest, AReleasedHoldLetsTheDeliveredLogGo) {
  MemoryStore store;
  LogTrimmer trimmer(log_, "ds-0123456789abcdef", 1, &clock_, nullptr);
  trimmer.Hold("reader", storage::Offset(0));
  DelivererOptions o;
  Deliverer main(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &store),
                 "ds-0123456789abcdef", &trimmer, 0);
  for (int i = 0; i < 4; ++i) Put(std::vector<std::string>(25, std::string(100, 'r')));
  ASSERT_TRUE(main.Start().ok());
  main.Notify();
  ASSERT_TRUE(store.WaitForBytes(10000));
  main.Stop();
  EXPECT_EQ(log_->StartOffset().value(), 0u);
  trimmer.Release("reader");
  EXPECT_GT(log_->StartOffset().value(), 0u);
}

TEST_F(DelivererTest, AHoldKeepsRecordsAtMost24HoursAndCountsWhatItLetsGo) {
  MemoryStore store;
  auto expired = std::make_shared<metrics::Counter>();
  LogTrimmer trimmer(log_, "ds-0123456789abcdef", 1, &clock_, expired);
  // A stopped application's hold at the log's start, never moved again.
  trimmer.Hold("ka-0123456789abcdef", storage::Offset(0));
  DelivererOptions o;
  Deliverer main(o, log_, catalog_.get(), &clock_, "ds-0123456789abcdef", Real(Target(0), &store),
                 "ds-0123456789abcdef", &trimmer, 0);
  for (int i = 0; i < 4; ++i) Put(std::vector<std::string>(25, std::string(100, 'r')));
  ASSERT_TRUE(main.Start().ok());
  main.Notify();
  ASSERT_TRUE(store.WaitForBytes(10000));
  // Delivered, and 24 h old less one millisecond: still held.
  clock_.AdvanceMs(LogTrimmer::kMaxHoldAgeMs - 1);
  Put({"young"});
  main.Notify();
  ASSERT_TRUE(store.WaitForBytes(10005));
  EXPECT_EQ(log_->StartOffset().value(), 0u);
  EXPECT_EQ(expired->Value(), 0u);
  // 24 h old: the 100 old records are let go (and, delivered, trimmed), the
  // young one is still held.
  clock_.AdvanceMs(1);
  Put({"newer"});
  main.Notify();
  ASSERT_TRUE(store.WaitForBytes(10010));
  main.Stop();
  EXPECT_EQ(expired->Value(), 100u);
  EXPECT_GT(log_->StartOffset().value(), 0u);
  EXPECT_LE(log_->StartOffset().value(), 100u);
  // A hold set again on old records (as after a restart) moves up at once;
  // the old records still in the log (the segment that holds offset 100
  // too) are let go once more.
  trimmer.Hold("ka-0123456789abcdef", storage::Offset(0));
  EXPECT_EQ(expired->Value(), 100u - log_->StartOffset().value() + 100u);
}

TEST_F(DelivererTest, APendingObjectIsReplayedWithTheCompressionItWasCutWith) {
  std::string key;
  {
    MemoryStore down(-1);
    TestTarget gzip = Target(0);
    gzip.s3.compression = "GZIP";
    auto d = Make(&down, gzip);
    ASSERT_TRUE(d->Start().ok());
    Put({"1;", "2;"});
    d->Notify();
    ASSERT_TRUE(down.WaitFor(2, /*attempts=*/true));
    d->Stop();
    key = down.attempts()[0];
  }
  ASSERT_EQ(key.substr(key.size() - 3), ".gz");
  Close();
  Open();
  // UpdateDestination switched the stream to UNCOMPRESSED while the object
  // was pending: the change is for later objects, not for the replay.
  MemoryStore up;
  auto d = Make(&up, Target(0));
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(up.WaitFor(1));
  auto objects = up.objects();
  ASSERT_EQ(objects.count(key), 1u) << key;
  EXPECT_EQ(objects[key].substr(0, 2), "\x1f\x8b");  // a gzip member, as the key says
  d->Stop();
}

TEST_F(DelivererTest, StopCancelsAnUploadInProgressWhichStaysPending) {
  {
    HangingStore hanging;
    auto d = Make(&hanging, Target(0));
    ASSERT_TRUE(d->Start().ok());
    Put({"p;"});
    d->Notify();
    for (int i = 0; i < 10000 && !hanging.entered_.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(hanging.entered_.load());
    d->Stop();  // returns once the store saw the cancel, not after its 10 s
    EXPECT_TRUE(hanging.cancelled_.load());
    EXPECT_EQ(d->Stats().failed_attempts, 0u);  // a cancel is not a failed attempt
  }
  MemoryStore up;
  auto d = Make(&up, Target(0));
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(up.WaitFor(1));
  EXPECT_EQ(up.objects().begin()->second, "p;");
  d->Stop();
}

TEST_F(DelivererTest, AnObjectIsCutWhenTheSizeHintIsReachedOrTheIntervalHasPassed) {
  MemoryStore store;
  auto d = Make(&store, Target(/*interval_ms=*/300'000, /*bytes=*/10));
  ASSERT_TRUE(d->Start().ok());
  Put({"01234", "56789", "ab"});  // the first two reach the 10-byte hint: cut at once, whatever the interval
  d->Notify();
  ASSERT_TRUE(store.WaitFor(1));
  EXPECT_EQ(store.objects().begin()->second, "0123456789");
  Put({"small"});  // "ab" + "small": under the size hint, so they wait for the interval
  d->Notify();
  clock_.AdvanceMs(300'000);
  d->Notify();
  ASSERT_TRUE(store.WaitForBytes(17));
  std::vector<std::string> bodies;
  for (const auto& [k, v] : store.objects()) bodies.push_back(v);
  std::sort(bodies.begin(), bodies.end());
  // One object, or two if the deliverer looked between the two appends.
  EXPECT_TRUE(bodies == (std::vector<std::string>{"0123456789", "absmall"}) ||
              bodies == (std::vector<std::string>{"0123456789", "ab", "small"}))
      << ::testing::PrintToString(bodies);
  d->Stop();
}

TEST_F(DelivererTest, UpdateAppliesToTheNextObject) {
  MemoryStore store;
  auto d = Make(&store, Target(300'000));
  ASSERT_TRUE(d->Start().ok());
  Put({"r"});
  TestTarget t = Target(0);
  t.version_id = 4;
  t.s3.prefix = "v4/";
  t.s3.compression = "GZIP";
  d->Update(Real(t, &store));
  ASSERT_TRUE(store.WaitFor(1));
  std::string key = store.objects().begin()->first;
  EXPECT_EQ(key.rfind("b/v4/2018/08/27/10/orders-4-", 0), 0u) << key;
  EXPECT_EQ(key.substr(key.size() - 3), ".gz");
  d->Stop();
}

TEST_F(DelivererTest, TheLogIsNotTrimmedPastTheDurableCheckpointWhenSavingTheDeliveredEndFails) {
  // Four records of 2,000 bytes over several 4 KiB segments, cut as one
  // object at the size hint.
  const std::vector<std::string> records = {std::string(2000, 'a'), std::string(2000, 'b'), std::string(2000, 'c'),
                                            std::string(2000, 'd')};
  std::string key;
  {
    FailingCatalog catalog(catalog_.get());
    CatalogFailsAfterUpload store(&catalog);
    auto d = MakeWith(&catalog, &store, Target(300'000, 8000));
    ASSERT_TRUE(d->Start().ok());
    for (const auto& r : records) Put({r});
    d->Notify();
    ASSERT_TRUE(store.store.WaitFor(1));
    d->Stop();
    key = store.store.objects().begin()->first;
  }
  // The catalog still says pending from offset 0: the log keeps that range.
  EXPECT_EQ(log_->StartOffset().value(), 0u);
  Close();
  Open();
  // After the restart the pending object is uploaded again whole under its
  // key (the same object: an overwrite with the same bytes), never a part
  // of it or nothing in its place.
  MemoryStore up;
  auto d = Make(&up, Target(300'000, 8000));
  ASSERT_TRUE(d->Start().ok());
  ASSERT_TRUE(up.WaitFor(1));
  auto objects = up.objects();
  ASSERT_EQ(objects.count(key), 1u) << key;
  EXPECT_EQ(objects[key], records[0] + records[1] + records[2] + records[3]);
  d->Stop();
  EXPECT_EQ(log_->StartOffset(), log_->EndOffset());
}

}  // namespace
}  // namespace spate::firehose
