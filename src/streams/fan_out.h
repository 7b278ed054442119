#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "model/types.h"
#include "service/event_sink.h"
#include "streams/registry.h"
#include "util/clock.h"

namespace spate::streams {

// Subscriptions write to the front door's event-stream sinks.
using service::EventSink;
using service::EventSinkOpener;

struct FanOutOptions {
  int64_t heartbeat_ms = 5000;        // an event at least this often, records or not
  int64_t subscription_ms = 300'000;  // a subscription ends after this long
  int64_t takeover_guard_ms = 5000;   // a second subscription sooner than this is refused
  int64_t validate_ms = 200;          // how often subscriptions are re-checked against the catalog
  size_t max_event_bytes = 1u << 20;  // record bytes per event (at least one record)
  size_t max_event_records = 10000;
  size_t max_buffered_bytes = 4u << 20;  // a subscriber with more unsent bytes is skipped until it drains
  // Each subscription's own read throughput (record bytes per second), as
  // AWS gives every enhanced fan-out consumer 2 MiB/s per shard, apart from
  // the shard's shared GetRecords limit. 0 = unlimited (--limits=off).
  double read_bytes_per_second = 0;
};

// What SubscribeToShard resolved from its request.
struct SubscribeRequest {
  StreamRef stream;
  std::string storage_group;  // the stream instance
  uint32_t epoch = 0;         // its epoch (sequence numbers)
  std::string consumer_arn;
  std::string consumer_name;
  int64_t consumer_created_ms = 0;
  model::ShardIndex shard;
  std::shared_ptr<storage::ShardLog> log;
  model::LogOffset start_offset;  // first offset to deliver
};

// Enhanced fan-out: pushes a shard's records to every subscription of it as
// soon as they are durable.
//
// Per shard with subscribers there is one hub. The registry's append
// observer calls OnAppend (writer thread: it only marks the hub and wakes
// the push thread). The push thread groups the hub's subscriptions by
// position, reads each group's next range from the ShardLog once, encodes
// one SubscribeToShardEvent and writes the same bytes to every member, so
// N subscribers cost one read and one encoding per range. A subscriber whose
// sink has more than max_buffered_bytes unsent is skipped (it keeps its
// position and catches up as its own group); so is one that has used up its
// read_bytes_per_second (a token bucket per subscription, one second of
// burst; an event may overdraw it and the subscriber then waits). Heartbeat events (no records)
// go out after heartbeat_ms of silence; a subscription ends after
// subscription_ms (End), when its client goes away, when its consumer is
// deregistered or its stream deleted (exception frame), when a later
// subscription of the same consumer and shard takes over (exception frame
// ResourceInUseException), or at the end of a closed shard (a last event
// with ChildShards, then End).
//
// Thread-safe. Time comes from the injected clock; tests drive Poll()
// directly instead of starting the thread.
class FanOut {
 public:
  FanOut(FanOutOptions options, Registry* registry, util::Clock* clock);
  ~FanOut();
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  const FanOutOptions& options() const { return options_; }

  // Starts / stops the push thread. Stop ends every subscription.
  void Start();
  void Stop();

  // Adds a subscription. kResourceInUse (nothing opened) if a subscription
  // of the same consumer and shard began less than takeover_guard_ms ago;
  // otherwise an older one is ended with ResourceInUseException, `open` is
  // called to start the response, the initial-response event is written and
  // the first events follow from the push thread.
  Status Subscribe(SubscribeRequest request, const EventSinkOpener& open);

  // Records of the shard became durable. Cheap; any thread.
  void OnAppend(const std::string& storage_group, model::ShardIndex shard);

  // Ends every subscription of the consumer with an exception frame
  // (deregistration). Any thread.
  void EndConsumer(std::string_view consumer_arn, std::string_view exception_type, std::string_view message);

  // One push pass: delivers what is due to every subscription. The thread
  // calls it when woken; tests call it directly.
  void Poll();

  size_t SubscriptionCount() const;
  // Log reads made for deliveries so far (one per group and range).
  uint64_t ReadCount() const { return reads_.load(); }

 private:
  struct Subscription;
  struct Hub;
  static std::string HubKey(std::string_view storage_group, model::ShardIndex shard);
  void PollHub(Hub& hub, int64_t now_mono_ms);
  void Validate(Hub& hub);
  void Finish(Subscription& sub, std::string_view exception_type, std::string_view message);
  void Wake();
  void Loop();
  int64_t NowMonoMs() const { return clock_->MonotonicNs() / 1'000'000; }

  const FanOutOptions options_;
  Registry* const registry_;
  util::Clock* const clock_;

  // Hubs and their subscriptions. Taken by the push thread for a whole pass
  // and briefly by Subscribe/EndConsumer; never while holding wake_mu_.
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Hub>> hubs_;  // by HubKey; guarded by mu_
  int64_t last_validate_ms_ = 0;                      // guarded by mu_

  // Wake-ups: hubs with new data, closed clients. Taken from writer and
  // transport threads; held only for a few instructions.
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::set<std::string> dirty_;  // hub keys; guarded by wake_mu_
  bool woken_ = false;           // guarded by wake_mu_
  bool stopping_ = false;        // guarded by wake_mu_
  std::atomic<size_t> subscription_count_{0};
  std::atomic<uint64_t> reads_{0};
  std::thread thread_;
};

}  // namespace spate::streams
