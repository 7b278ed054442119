#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consumer/lease_coordinator.h"
#include "spate/consumer.h"
#include "spate/kinesis_client.h"

namespace spate::consumer {

// Orders sequence numbers (decimal strings without leading zeros).
int CompareSequenceNumbers(std::string_view a, std::string_view b);

// Processes one held shard (KCL's ShardConsumer): waits for its parents to
// reach SHARD_END, initialises the processor, reads from the checkpoint with
// GetRecords (or, given a consumer ARN, with SubscribeToShard: enhanced
// fan-out), de-aggregates, delivers, and at the shard's end has the
// processor checkpoint SHARD_END and releases the lease. Driven by Step()
// from one thread (the shard's); RequestShutdown() from any thread.
class ShardConsumer {
 public:
  enum class StepResult {
    kContinue,  // call Step() again at once
    kIdle,      // nothing to do now: wait the idle time, then Step()
    kDone,      // finished: shard ended, lease lost, or shut down
  };

  // `client` and `leases` must outlive this; the shard's lease is held by
  // `leases` when constructed. `consumer_arn` empty: polling; else the
  // registered consumer that subscribes (one Step() is one subscription).
  ShardConsumer(std::string shard_id, std::string stream, KinesisClient* client, LeaseCoordinator* leases,
                std::unique_ptr<RecordProcessor> processor, int max_records, std::string consumer_arn = {});

  StepResult Step();
  // Graceful hand-off: the next Step() calls ShutdownRequested and releases
  // the lease.
  void RequestShutdown() { shutdown_requested_ = true; }
  const std::string& shard_id() const { return shard_id_; }

 private:
  class CheckpointerImpl;
  enum class State { kWaitingForParents, kInitializing, kProcessing, kShardEnded };
  struct Position {
    std::string sequence_number;
    uint64_t sub_sequence_number = 0;
  };

  Outcome<Done> OpenIterator(const std::string& checkpoint, uint64_t sub);
  StepResult Read();
  StepResult Subscribe();
  // De-aggregates, drops what the resume point covers, and hands the rest to
  // the processor.
  void Deliver(std::vector<Record>* records);
  StepResult Finish(bool lost);

  const std::string shard_id_;
  const std::string stream_;
  KinesisClient* const client_;
  LeaseCoordinator* const leases_;
  const std::unique_ptr<RecordProcessor> processor_;
  const int max_records_;
  const std::string consumer_arn_;  // empty: polling
  std::atomic<bool> shutdown_requested_{false};

  State state_ = State::kWaitingForParents;
  bool initialized_ = false;
  std::string iterator_;  // polling: the next GetRecords
  // Fan-out: where the next subscription starts (the checkpoint's position,
  // then AFTER_SEQUENCE_NUMBER the last continuation).
  IteratorPosition subscribe_from_;
  // Records at or before this position were processed (resume point).
  std::optional<Position> skip_through_;
  // The last record delivered to ProcessRecords.
  std::optional<Position> last_delivered_;
};

}  // namespace spate::consumer
