#include "consumer/consumer_impl.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "consumer/lease_coordinator.h"
#include "consumer/lease_store.h"
#include "consumer/shard_consumer.h"
#include "spate/consumer.h"
#include "util/clock.h"

namespace spate {
namespace {

using consumer::LeaseCoordinator;
using consumer::ShardConsumer;

constexpr int kMaxRecordsLimit = 10000;
constexpr int kRenewalsPerFailover = 3;
// How often Create asks whether a newly registered consumer is ACTIVE.
constexpr std::chrono::milliseconds kConsumerStatusPoll{250};

std::string DefaultWorkerId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(rd());
}

// Threads: one lease thread (Run) renews every failover/3 and takes leases
// every lease_taking_interval; one thread per shard held drives its
// ShardConsumer. mu_ guards shards_ and stopping_; cv_ wakes the lease
// thread and idle shard threads at shutdown.
class ConsumerImpl final : public consumer::HandOffConsumer {
 public:
  ConsumerImpl(ConsumerConfig config, KinesisClient* client, std::unique_ptr<consumer::LeaseStore> store,
               std::string consumer_arn)
      : config_(std::move(config)),
        client_(client),
        consumer_arn_(std::move(consumer_arn)),
        store_(std::move(store)),
        leases_(config_.worker_id, store_.get(), util::SystemClock(), config_.failover_time.count()) {}

  ~ConsumerImpl() override { Shutdown(); }

  void Start() override {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
    lease_thread_ = std::thread([this] { Run(); });
  }

  void BeginShutdown() override {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;  // no more taking; renewals go on until the hand-off is done
    for (auto& [shard, s] : shards_) s->consumer.RequestShutdown();
    cv_.notify_all();
  }

  void Shutdown() override {
    BeginShutdown();
    {
      std::lock_guard lock(mu_);
      if (!started_ || shut_down_) return;
    }
    // Shard threads end after ShutdownRequested and the release.
    std::map<std::string, std::unique_ptr<ShardThread>> shards;
    {
      std::lock_guard lock(mu_);
      shards.swap(shards_);
    }
    for (auto& [shard, s] : shards) s->thread.join();
    {
      std::lock_guard lock(mu_);
      shut_down_ = true;
      cv_.notify_all();
    }
    lease_thread_.join();
    // Leases held by no shard thread: taken by a round that met stopping_
    // before it could start their threads. Given up too, as the KCL's
    // graceful shutdown gives up every lease, so that the other workers
    // take them at their next round instead of after the failover time.
    for (const std::string& shard : leases_.Held()) (void)leases_.Release(shard);
  }

  std::vector<std::string> HeldShards() const override { return leases_.Held(); }
  const std::string& worker_id() const override { return config_.worker_id; }

 private:
  struct ShardThread {
    template <typename... Args>
    explicit ShardThread(Args&&... args) : consumer(std::forward<Args>(args)...) {}
    ShardConsumer consumer;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void Run() {
    const auto renew_every = config_.failover_time / kRenewalsPerFailover;
    const auto take_every =
        config_.lease_taking_interval.count() > 0 ? config_.lease_taking_interval : config_.failover_time;
    auto next_take = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!shut_down_) {
      lock.unlock();
      (void)leases_.RenewAll();  // lost shards' threads notice on their next step
      const bool take = std::chrono::steady_clock::now() >= next_take;
      lock.lock();
      ReapLocked();
      if (take && !stopping_) {
        lock.unlock();
        TakeAndStart();
        lock.lock();
        next_take = std::chrono::steady_clock::now() + take_every;
      }
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(renew_every, take_every),
                   [this] { return shut_down_; });
    }
  }

  void TakeAndStart() {
    auto shards = client_->ListShards(config_.stream);
    if (shards.ok()) {
      (void)leases_.SyncShards(shards.value(), config_.initial_position.type == IteratorPosition::Type::kLatest
                                                   ? std::string(consumer::kLatest)
                                                   : std::string(consumer::kTrimHorizon));
    }
    (void)leases_.TakeLeases();
    if (shards.ok()) (void)leases_.CleanUpFinished(shards.value());
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (const std::string& shard : leases_.Held()) {
      if (shards_.count(shard) != 0) continue;
      auto s = std::make_unique<ShardThread>(shard, config_.stream, client_, &leases_, config_.processor_factory(),
                                             config_.max_records, consumer_arn_);
      ShardThread* raw = s.get();
      raw->thread = std::thread([this, raw] { RunShard(raw); });
      shards_.emplace(shard, std::move(s));
    }
  }

  void RunShard(ShardThread* s) {
    for (;;) {
      ShardConsumer::StepResult r = s->consumer.Step();
      if (r == ShardConsumer::StepResult::kDone) break;
      if (r == ShardConsumer::StepResult::kIdle) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, config_.idle_time_between_reads, [this] { return stopping_; });
      }
    }
    s->done = true;
  }

  // Joins the threads of shards that finished (ended, lost). Requires mu_.
  void ReapLocked() {
    for (auto it = shards_.begin(); it != shards_.end();) {
      if (it->second->done) {
        it->second->thread.join();
        it = shards_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const ConsumerConfig config_;
  KinesisClient* const client_;
  const std::string consumer_arn_;  // empty: polling
  const std::unique_ptr<consumer::LeaseStore> store_;
  LeaseCoordinator leases_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;                                        // guarded by mu_
  bool stopping_ = false;                                       // guarded by mu_
  bool shut_down_ = false;                                      // guarded by mu_
  std::map<std::string, std::unique_ptr<ShardThread>> shards_;  // guarded by mu_
  std::thread lease_thread_;
};

// Registers the application's stream consumer (or finds it registered) and
// waits, up to the configured timeout, until it is ACTIVE. Answers its ARN.
Outcome<std::string> RegisterActiveConsumer(KinesisClient* client, const std::string& stream_arn,
                                            const ConsumerConfig& config) {
  const std::string& name = config.consumer_name.empty() ? config.application_name : config.consumer_name;
  auto registered = client->RegisterStreamConsumer(stream_arn, name);
  if (!registered.ok()) return registered.error();
  const std::string arn = registered.value().consumer_arn;
  std::string status = registered.value().consumer_status;
  const auto deadline = std::chrono::steady_clock::now() + config.consumer_registration_timeout;
  while (status != "ACTIVE") {
    if (status == "DELETING") return ApiError{"ResourceInUseException", "consumer " + name + " is being deleted", 0};
    if (std::chrono::steady_clock::now() >= deadline) {
      return ApiError{"LimitExceededException", "consumer " + name + " did not become ACTIVE in time", 0};
    }
    std::this_thread::sleep_for(kConsumerStatusPoll);
    auto described = client->DescribeStreamConsumer(arn);
    if (described.ok()) {
      status = described.value().consumer_status;
    } else if (!described.error().retryable()) {
      return described.error();
    }
  }
  return arn;
}

}  // namespace

Outcome<std::unique_ptr<Consumer>> Consumer::Create(ConsumerConfig config, KinesisClient* client) {
  auto invalid = [](std::string m) { return ApiError{"InvalidConfiguration", std::move(m), 0}; };
  if (config.application_name.empty()) return invalid("application_name is required");
  if (config.stream.empty()) return invalid("stream is required");
  if (!config.processor_factory) return invalid("processor_factory is required");
  if (config.failover_time.count() < kRenewalsPerFailover) return invalid("failover_time is too short");
  if (config.max_records < 1 || config.max_records > kMaxRecordsLimit) {
    return invalid("max_records must be between 1 and 10000");
  }
  if (config.initial_position.type != IteratorPosition::Type::kTrimHorizon &&
      config.initial_position.type != IteratorPosition::Type::kLatest) {
    return invalid("initial_position must be TRIM_HORIZON or LATEST");
  }
  if (config.enhanced_fan_out && config.consumer_registration_timeout.count() <= 0) {
    return invalid("consumer_registration_timeout must be positive");
  }
  if (config.worker_id.empty()) config.worker_id = DefaultWorkerId();
  auto summary = client->DescribeStreamSummary(config.stream);
  if (!summary.ok()) return summary.error();
  std::string arn = summary.value().stream_arn;
  std::string consumer_arn;
  if (config.enhanced_fan_out) {
    auto registered = RegisterActiveConsumer(client, arn, config);
    if (!registered.ok()) return registered.error();
    consumer_arn = std::move(registered).value();
  }
  auto store = consumer::NewRemoteLeaseStore(client, config.application_name, std::move(arn));
  return std::unique_ptr<Consumer>(
      consumer::NewConsumer(std::move(config), client, std::move(store), std::move(consumer_arn)));
}

namespace consumer {

std::unique_ptr<HandOffConsumer> NewConsumer(ConsumerConfig config, KinesisClient* client,
                                             std::unique_ptr<LeaseStore> store, std::string consumer_arn) {
  return std::make_unique<ConsumerImpl>(std::move(config), client, std::move(store), std::move(consumer_arn));
}

}  // namespace consumer

}  // namespace spate
