#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "consumer/lease_coordinator.h"
#include "spate/consumer.h"
#include "spate/kinesis_client.h"

namespace spate::consumer {

// Orders sequence numbers (decimal strings without leading zeros).
int CompareSequenceNumbers(std::string_view a, std::string_view b);

// Processes one held shard (KCL's ShardConsumer): waits for its parents to
// reach SHARD_END, initialises the processor, reads from the checkpoint with
// GetRecords, de-aggregates, delivers, and at the shard's end has the
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
  // `leases` when constructed.
  ShardConsumer(std::string shard_id, std::string stream, KinesisClient* client, LeaseCoordinator* leases,
                std::unique_ptr<RecordProcessor> processor, int max_records);

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
  StepResult Finish(bool lost);

  const std::string shard_id_;
  const std::string stream_;
  KinesisClient* const client_;
  LeaseCoordinator* const leases_;
  const std::unique_ptr<RecordProcessor> processor_;
  const int max_records_;
  std::atomic<bool> shutdown_requested_{false};

  State state_ = State::kWaitingForParents;
  bool initialized_ = false;
  std::string iterator_;
  // Records at or before this position were processed (resume point).
  std::optional<Position> skip_through_;
  // The last record delivered to ProcessRecords.
  std::optional<Position> last_delivered_;
};

}  // namespace spate::consumer
