#pragma once

// Producer's implementation: the Engine under one lock, a pump thread that
// turns the engine's due work into calls, and a pool of sender threads that
// make them (src/producer/README.md: Threads).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "producer/engine.h"
#include "spate/producer.h"
#include "util/clock.h"

namespace spate::producer {

// Put-to-completion latencies in logarithmic buckets (four per power of
// two, in microseconds): mean and max exact, quantiles within ~19 %.
class LatencyHistogram {
 public:
  void Record(int64_t ns);
  void Fill(ProducerMetrics* m) const;

 private:
  static constexpr int kBuckets = 4 * 40;
  uint64_t counts_[kBuckets] = {};
  uint64_t count_ = 0;
  double sum_ms_ = 0;
  double max_ms_ = 0;
};

// Checks a configuration; the message names the first bad option.
std::optional<ApiError> ValidateConfig(const ProducerConfig& config);

class ProducerImpl final : public Producer {
 public:
  // `clock` must outlive the producer; tests pass a ManualClock and call
  // Wake() after moving it.
  // `identity`: InitProducer's answer when config.exactly_once.
  ProducerImpl(std::shared_ptr<KinesisClient> client, const ProducerConfig& config, util::Clock* clock,
               std::optional<ProducerIdentity> identity = std::nullopt);
  ~ProducerImpl() override;

  std::future<PutOutcome> Put(std::string_view stream, std::string_view partition_key, std::string_view data,
                              std::string_view explicit_hash_key) override;
  void Flush() override;
  bool FlushAndWait(std::chrono::milliseconds timeout) override;
  ProducerMetrics metrics() const override;

  // Makes the pump look at the clock again (tests, after advancing it).
  void Wake();

 private:
  void PumpLoop();
  void SenderLoop();
  // Exactly-once: one stamped PutRecords call, resent unchanged while its
  // outcome is unknown, until answered or record_ttl passes.
  Outcome<PutRecordsResult> PutRecordsOnce(const std::string& stream, const std::vector<PutRecordsEntry>& entries);
  // Fulfils the promises and releases the buffer (takes mu_ itself).
  void Finish(std::vector<Completion> done);

  const std::shared_ptr<KinesisClient> client_;
  const ProducerConfig config_;
  util::Clock* const clock_;
  const std::optional<ProducerIdentity> identity_;  // set when exactly-once appends are on
  std::atomic<int64_t> next_sequence_{0};           // the next request's ProducerSequence

  mutable std::mutex mu_;
  std::condition_variable pump_cv_;      // wakes the pump: new records, answers, flush, stop
  std::condition_variable sender_cv_;    // wakes senders: work queued, stop
  std::condition_variable room_cv_;      // wakes blocked Puts and FlushAndWait: records completed
  Engine engine_;                        // guarded by mu_
  std::deque<Work> work_;                // guarded by mu_: calls waiting for a sender
  uint64_t next_id_ = 1;                 // guarded by mu_
  size_t buffered_bytes_ = 0;            // guarded by mu_
  uint64_t completed_upto_ = 0;          // guarded by mu_: every id <= it has completed
  std::vector<uint64_t> completed_ids_;  // guarded by mu_: completed ids above completed_upto_ (a min-heap)
  uint64_t user_records_put_ = 0;        // guarded by mu_
  uint64_t user_records_failed_ = 0;     // guarded by mu_
  uint64_t user_bytes_put_ = 0;          // guarded by mu_
  LatencyHistogram latency_;             // guarded by mu_
  bool stop_pump_ = false;               // guarded by mu_
  bool stop_senders_ = false;            // guarded by mu_
  bool wake_ = false;                    // guarded by mu_

  std::thread pump_;
  std::vector<std::thread> senders_;
};

}  // namespace spate::producer
