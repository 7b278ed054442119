#pragma once

// spate::Consumer: a KCL-style consumer. Workers of one application share a
// stream's shards through leases kept in the server's lease table (a Spate
// extension API, docs/leases.md): each shard is processed by one worker at a
// time, in order, from its last checkpoint; a worker that dies loses its
// leases after the failover time and the others take them; workers balance
// by stealing; a closed shard's children start only once the shard has been
// processed to its end. Delivery is at least once: records after the last
// checkpoint are processed again by whoever takes the lease next.
//
// This header is installed; it names no third-party type.
//
// Threading: the consumer runs one lease thread (renewal, taking, stealing)
// and one thread per shard it holds. A shard's RecordProcessor is called
// from that shard's thread only, one call at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spate/kinesis_client.h"

namespace spate {

// A user record: a plain Kinesis record, or one user record of a KPL
// aggregate (de-aggregated, sub_sequence_number its index in the aggregate).
struct ConsumedRecord {
  std::string sequence_number;  // of the Kinesis record that carried it
  uint64_t sub_sequence_number = 0;
  bool aggregated = false;
  std::string partition_key;
  std::string explicit_hash_key;  // empty when none
  std::string data;
  int64_t approximate_arrival_timestamp_ms = 0;
};

// Records progress in the lease table. A checkpoint says: every record up to
// and including this position is processed; after a failover processing
// resumes just after it. Fails with type "LeaseLost" when this worker no
// longer holds the shard's lease (nothing is written), and with the server's
// error otherwise.
class Checkpointer {
 public:
  virtual ~Checkpointer() = default;
  // Up to the last record delivered to ProcessRecords; in ShardEnded, the
  // shard's end (SHARD_END).
  virtual Outcome<Done> Checkpoint() = 0;
  // Up to (sequence_number, sub_sequence_number), a record already delivered.
  virtual Outcome<Done> Checkpoint(std::string_view sequence_number, uint64_t sub_sequence_number) = 0;
};

// The application's code for one shard. A new processor is made (by
// ConsumerConfig::processor_factory) every time this worker takes a lease.
class RecordProcessor {
 public:
  virtual ~RecordProcessor() = default;
  // Before the first records of `shard_id`.
  virtual void Initialize(const std::string& shard_id) = 0;
  // The next records of the shard, in order, never empty.
  virtual void ProcessRecords(const std::vector<ConsumedRecord>& records, Checkpointer& checkpointer) = 0;
  // The shard is closed and every record was delivered: the processor must
  // call checkpointer.Checkpoint() so that the shard's children may start.
  // Called again (after the idle time) until it does.
  virtual void ShardEnded(Checkpointer& checkpointer) = 0;
  // The consumer is shutting down gracefully: the last chance to checkpoint
  // before the lease is handed to another worker.
  virtual void ShutdownRequested(Checkpointer& checkpointer) = 0;
  // Another worker took the lease (or it expired): checkpointing is no
  // longer possible; the next owner resumes from the last checkpoint.
  virtual void LeaseLost() {}
};

struct ConsumerConfig {
  // The application: workers with the same name share the stream's shards.
  std::string application_name;
  // Stream name or ARN.
  std::string stream;
  // Unique per worker; empty: "<host>:<pid>:<random>".
  std::string worker_id;
  // Where a shard without a checkpoint starts: TRIM_HORIZON or LATEST. (A
  // child of a shard in the stream always starts at TRIM_HORIZON.)
  IteratorPosition initial_position = IteratorPosition::TrimHorizon();
  // A lease whose counter has not changed for this long is expired and may
  // be taken. Leases are renewed every failover_time / 3.
  std::chrono::milliseconds failover_time{10000};
  // How often the lease thread looks for leases to take or steal.
  std::chrono::milliseconds lease_taking_interval{0};  // 0: failover_time
  // Pause after a GetRecords that returned nothing (or between polls for
  // parents to finish).
  std::chrono::milliseconds idle_time_between_reads{1000};
  // GetRecords limit (at most 10,000).
  int max_records = 10000;
  // Enhanced fan-out instead of polling: the worker registers a stream
  // consumer named consumer_name (empty: application_name; workers of one
  // application share it) and reads each shard it holds with
  // SubscribeToShard, subscribing again from the last
  // ContinuationSequenceNumber whenever the service ends a subscription
  // (every 5 minutes on AWS). Leases, checkpoints, the processor's calls and
  // the resharding order are those of polling mode.
  bool enhanced_fan_out = false;
  std::string consumer_name;
  // How long Create waits for a newly registered consumer to become ACTIVE.
  std::chrono::milliseconds consumer_registration_timeout{60000};
  // Makes the processor of each lease taken. Required.
  std::function<std::unique_ptr<RecordProcessor>()> processor_factory;
};

class Consumer {
 public:
  // Validates `config`, finds the stream's ARN (in fan-out mode, registers
  // the stream consumer and waits until it is ACTIVE) and builds a consumer
  // that is not yet running. `client` must outlive it.
  static Outcome<std::unique_ptr<Consumer>> Create(ConsumerConfig config, KinesisClient* client);
  // Shuts down (as Shutdown()) if still running.
  virtual ~Consumer() = default;

  // Starts the lease thread. Call once.
  virtual void Start() = 0;
  // Graceful hand-off: stops taking leases, calls ShutdownRequested on every
  // shard's processor (its last checkpoint), then releases the leases so
  // other workers take them at once instead of after the failover time.
  // Blocks until done; idempotent.
  virtual void Shutdown() = 0;
  // The shards whose leases this worker holds now.
  virtual std::vector<std::string> HeldShards() const = 0;
  virtual const std::string& worker_id() const = 0;
};

}  // namespace spate
